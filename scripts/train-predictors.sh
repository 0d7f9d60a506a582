#!/usr/bin/env bash
# Rebuilds the trained predictor packages of the built-in models in models/predictors/
# (MODEL.fluxpkg, and MODEL/ with the loss curve, error tables and run_info.json).
# Seeded: the same LibTorch, BLAS and thread count give the same weights. The recipes are in
# scripts/predictor-recipes.sh. A training interrupted (or paused with TRAIN_TIME_LIMIT
# minutes) continues from its checkpoint when the script is run again with the same WORK.
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
source scripts/predictor-recipes.sh
mkdir -p "$out"
for m in "${models[@]}"; do
  predictor_recipe "$m" || exit 2
  if [ ! -f "$work/data_$m/manifest.json" ]; then
    "$fluxion" dataset -m "$m" "${data[@]}" --seed 1 --threads 1 -o "$work/data_$m"
  fi
  resume=()
  [ -f "$work/train_$m/checkpoint.pt" ] && [ ! -f "$work/train_$m/predictor.fluxpkg" ] && resume=(--resume)
  "$fluxion" train -d "$work/data_$m" -o "$work/train_$m" --seed 1 "${train[@]}" "${resume[@]}" ${TRAIN_TIME_LIMIT:+--time-limit "$TRAIN_TIME_LIMIT"}
  [ -f "$work/train_$m/predictor.fluxpkg" ] || { echo "train-predictors: $m paused; run again with WORK=$work to continue"; continue; }
  cp "$work/train_$m/predictor.fluxpkg" "$out/$m.fluxpkg"
  rm -rf "${out:?}/$m"  # no table of an older training stays beside the new package
  mkdir -p "$out/$m"
  for f in loss.tsv fine_tune_loss.tsv pcnn_loss.tsv test_errors.tsv error_tables.tsv vssr_acceptance.tsv run_info.json; do
    [ -f "$work/train_$m/$f" ] && cp "$work/train_$m/$f" "$out/$m/"
  done
  echo "train-predictors: wrote $out/$m.fluxpkg ($(du -h "$out/$m.fluxpkg" | cut -f1))"
done
