#!/usr/bin/env bash
# ML-Flux for time courses on a real network: CCM with two tracers ([1,2-13C2]glucose;
# [U-13C5]glutamine) at six times and every pool drawn in [0.2, 5], against the same flux
# sets with every pool known (fixed at 1) and at isotopic steady state (same sampler stream,
# same network and budget), each scored
# beside the training mean on its test rows; then ML-Flux, INST-MFA and the hybrid on SETS
# held-out rows (bench/inst_mlflux). docs/benchmarks.md, "ML-Flux for time courses".
#   usage: bench/inst_ccm.sh [ROWS=50000] [EPOCHS=60] [SETS=6] [STARTS=2]
#   env:   FLUXION=path/to/fluxion  WORK=directory (kept; steps already done are skipped)
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${FLUXION:-build/release/apps/fluxion/fluxion}
work=${WORK:-$(mktemp -d)}
rows=${1:-50000} epochs=${2:-60} sets=${3:-6} starts=${4:-2}
mkdir -p "$work"
printf 'experiment\tsubstrate\tlabel\tfraction\tpurity\nglc12\tGLC_IN\t[1,2-13C2]\t1\t1\nglc12\tGln_IN\tunlabelled\t1\t1\ngln\tGLC_IN\tunlabelled\t1\t1\ngln\tGln_IN\t[U-13C5]\t1\t1\n' > "$work/tracers.tsv"
sampler=(-m ccm -e "$work/tracers.tsv" -n "$rows" --method achr --exchange log-uniform --threads 1 --seed 1)
train=(--hidden 512,256,128,64 --epochs "$epochs" --patience 1000 --batch 256 --learning-rate 2e-3 --schedule cosine --loss hybrid
       --mid-noise 0.01 --mid-noise-mode ranged --pcnn-epochs 0 --seed 1)
for kind in time_course known_pools steady_state; do
  extra=()
  [ $kind = time_course ] && extra=(--times 0.25,0.5,1,2,4,8 --pool-range 0.2,5)
  [ $kind = known_pools ] && extra=(--times 0.25,0.5,1,2,4,8 --default-pool 1)
  [ -f "$work/data_$kind/manifest.json" ] || "$fluxion" dataset "${sampler[@]}" "${extra[@]}" -o "$work/data_$kind"
  [ -f "$work/train_$kind/predictor.fluxpkg" ] || "$fluxion" train -d "$work/data_$kind" -o "$work/train_$kind" "${train[@]}" --threads 2
  "$fluxion" score -p "$work/train_$kind/predictor.fluxpkg" -d "$work/data_$kind" --identifiability-rows 50 -o "$work/score_$kind" 2>&1 | tail -n 1
done
build/release/bench/inst_mlflux "$work/train_time_course/predictor.fluxpkg" "$work/data_time_course" "$sets" "$starts" 1 > "$work/inst_mlflux.tsv"
