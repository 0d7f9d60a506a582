#!/usr/bin/env bash
# One knockout experiment on flux (SNODEP's Table 1, knockout rows, regular sampling): MHC-i module
# fluxes regenerated with fluxion's scFEA for the unperturbed cells and 5 knockout sets of
# Algorithm 1, then NP, NODEP and SNODEP trained on all_genes + 4 sets and tested on the held-out
# set (the Gaussian decoder predicts the 9 fluxes and the 281 presence indicators, as the reference).
# Usage: bench/dynamics_knockout.sh <fluxion binary> <output dir> [epochs=500] [parallel=2] [pathway=mhc-i] [test=ko_5]
set -euo pipefail
fluxion=$(readlink -f "$1")
out=$2
epochs=${3:-500}
parallel=${4:-2}
pw=${5:-mhc-i}
test=${6:-ko_5}
shared=$(cd "$(dirname "$0")/../../shared/data/snodep" && pwd)
mkdir -p "$out"
[ -d "$out/$pw/flux_knockout" ] || "$fluxion" dynamics scfea -d "$shared/gene_expression/$pw" -n "$shared/pathways/$pw" --knockouts 5 --threads 1 -o "$out/$pw"
printf '%s\n' snodep nodep np | xargs -P "$parallel" -I{} bash -c '
  dir='"$out/$pw"'/{}
  [ -f "$dir/summary.json" ] && exit 0
  mkdir -p "$dir"
  '"$fluxion"' dynamics train --configurations '"$out/$pw"'/flux_knockout --test-configuration '"$test"' --data-kind flux --model {} \
    --epochs '"$epochs"' --seed 42 --threads 1 -q -o "$dir" > "$dir/stdout.txt" 2>&1 && echo "done {}" || echo "FAILED {} (see $dir/stdout.txt)"'
