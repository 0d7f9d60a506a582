#!/usr/bin/env bash
# Rebuilds the trained predictor packages of the built-in models in models/predictors/
# (MODEL.fluxpkg, and MODEL/ with the loss curve, error tables and run_info.json).
# Seeded: the same LibTorch and BLAS give the same weights. simple and upper_glycolysis were
# trained before the learning-rate decay existed (--lr-decay-after 0 keeps that recipe).
# Times on 2 cores are in docs/benchmarks.md ("ML-Flux: shipped predictor packages").
#   usage: scripts/train-predictors.sh [MODEL ...]       (default: all five)
#   env:   FLUXION=path/to/fluxion   WORK=directory for datasets and runs (kept)
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${FLUXION:-build/release/apps/fluxion/fluxion}
work=${WORK:-$(mktemp -d)}
out=models/predictors
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(simple upper_glycolysis glycolysis glyppp ccm)
g=models/constraints/glyppp_exchange
mkdir -p "$out"
for m in "${models[@]}"; do
  case $m in
    # ML-Flux: 100,000 flux sets with log-uniform exchange fluxes; its layers and batch size
    simple) data=(-n 100000 --exchange log-uniform) train=(--epochs 1500 --patience 100 --pcnn-epochs 20 --lr-decay-after 0) ;;
    upper_glycolysis) data=(-n 100000 --exchange log-uniform) train=(--epochs 400 --patience 40 --lr-decay-after 0) ;;
    # batch 128 instead of ML-Flux's 32 (four times fewer steps per epoch), fewer epochs: 2 cores
    glycolysis) data=(-n 100000 --exchange log-uniform) train=(--epochs 100 --patience 15 --batch 128 --pcnn-epochs 15 --lr-decay-after 3) ;;
    # hit-and-run and the three exchange sheets (20/20/60 %); 100,000 sets instead of ML-Flux's
    # 1,000,000, 512-256-128-64 instead of 1024-512-256-128-64, 40 epochs, no PCNN (its 80×80
    # U-Net takes CPU hours per epoch): what 2 cores allow; KNN imputes
    glyppp) data=(-n 100000 --method achr --exchange log-uniform --exchange-set "${g}_1of3.txt=0.2"
                  --exchange-set "${g}_2of3.txt=0.2" --exchange-set "${g}_3of3.txt=0.6")
            train=(--hidden 512,256,128,64 --epochs 40 --patience 8 --batch 128 --lr-decay-after 3) ;;
    # ML-Flux's protocol: 1,000,000 hit-and-run draws, six fluxes capped at 10,000 per bin;
    # its weighted loss on full fluxes (the default for ccm); 120 epochs (ML-Flux: 250)
    ccm) data=(--draws 1000000 --method achr --cap-fluxes ldh,pdh,ppck,me,mdh,akgdh --exchange log-uniform)
         train=(--hidden 512,256,128,64 --epochs 120 --patience 12 --batch 128 --lr-decay-after 3) ;;
    *) echo "train-predictors: no recipe for '$m'" >&2; exit 2 ;;
  esac
  if [ ! -f "$work/data_$m/manifest.json" ]; then
    "$fluxion" dataset -m "$m" "${data[@]}" --seed 1 --threads 1 -o "$work/data_$m"
  fi
  "$fluxion" train -d "$work/data_$m" -o "$work/train_$m" --seed 1 "${train[@]}"
  cp "$work/train_$m/predictor.fluxpkg" "$out/$m.fluxpkg"
  mkdir -p "$out/$m"
  for f in loss.tsv pcnn_loss.tsv test_errors.tsv error_tables.tsv vssr_acceptance.tsv run_info.json; do
    [ -f "$work/train_$m/$f" ] && cp "$work/train_$m/$f" "$out/$m/"
  done
  echo "train-predictors: wrote $out/$m.fluxpkg ($(du -h "$out/$m.fluxpkg" | cut -f1))"
done
