#!/usr/bin/env bash
# SNODEP's Table 4 (gene expression, regular sampling) for NP, NODEP and SNODEP on two pathways:
# one run per model with the paper's protocol (every cell in training, seed 42), and runs with
# 20% of each day's cells held out for the fresh-trajectory metrics (seeds 1, 2, 3).
# Usage: bench/dynamics_table4.sh <fluxion binary> <output dir> [epochs=500] [parallel=2] [pathways="glucose-tcacycle mhc-i"]
# SEEDS="1 2" picks the held-out-cell seeds (SEEDS="" runs the paper protocol only); PAPER_SEEDS="42 7 8"
# repeats the paper's protocol with more seeds (seed 42 is named paper, others paper-s<seed>).
# REFERENCE_SEEDS="42 7 8" adds runs on the reference's own trajectories (--reference-draw --holdout 0),
# named refdraw-s<seed>: the seed then sets only the weights, the batch order and the latent samples.
# Summarise with: build/release/bench/dynamics_table <output dir>
set -euo pipefail
fluxion=$(readlink -f "$1")
out=$2
epochs=${3:-500}
parallel=${4:-2}
pathways=${5:-"glucose-tcacycle mhc-i"}
data=$(cd "$(dirname "$0")/../../shared/data/snodep/gene_expression" && pwd)
mkdir -p "$out"
jobs=()
for seed in ${PAPER_SEEDS-42}; do
  name=paper
  [ "$seed" = 42 ] || name=paper-s$seed
  for pw in $pathways; do
    for model in snodep nodep np; do jobs+=("$pw $model $name $seed 0"); done
  done
done
for seed in ${REFERENCE_SEEDS-}; do
  for pw in $pathways; do
    for model in snodep nodep np; do jobs+=("$pw $model refdraw-s$seed $seed 0 --reference-draw"); done
  done
done
for seed in ${SEEDS-1 2 3}; do
  for pw in $pathways; do
    for model in snodep nodep np; do jobs+=("$pw $model holdout$seed $seed 0.2"); done
  done
done
printf '%s\n' "${jobs[@]}" | xargs -P "$parallel" -L 1 bash -c '
  pw=$0 model=$1 name=$2 seed=$3 holdout=$4 extra=${5:-}
  dir='"$out"'/$pw/$model/$name
  [ -f "$dir/summary.json" ] && exit 0
  mkdir -p "$dir"
  '"$fluxion"' dynamics train -d '"$data"'/$pw --model $model --epochs '"$epochs"' --seed $seed --holdout $holdout $extra --threads 1 -q -o "$dir" > "$dir/stdout.txt" 2>&1 \
    && echo "done $pw $model $name" || echo "FAILED $pw $model $name (see $dir/stdout.txt)"'
