#!/usr/bin/env bash
# One model on one and on both cores: seconds of `fluxion train` (the network only: no
# PCNN, no error tables) with --threads 1 and --threads 2, alternating, ROUNDS rounds;
# prints each run and the medians with their ratio. Run it on an idle machine.
#   usage: bench/train_threads.sh DATASET_DIR [EPOCHS=2] [ROUNDS=3] [extra fluxion train options...]
#   e.g.   bench/train_threads.sh /tmp/pkg/data_glycolysis 2 3 --batch 256 --loss hybrid --heads 2
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${FLUXION:-build/release/apps/fluxion/fluxion}
data=$1
epochs=${2:-2}
rounds=${3:-3}
shift $(($# < 3 ? $# : 3))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
declare -A times
for r in $(seq "$rounds"); do
  for t in 1 2; do
    "$fluxion" train -q -d "$data" -o "$work/t$t-$r" --epochs "$epochs" --patience 1000 --pcnn-epochs 0 --error-rows 1 --masked-rows 0 \
      --knn-reference-rows 0 --threads "$t" "$@" > /dev/null
    s=$(grep -o '"training_s": [0-9.e+-]*' "$work/t$t-$r/run_info.json" | cut -d' ' -f2)
    echo "round $r, $t thread(s): $s s"
    times[$t]="${times[$t]:-} $s"
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
m1=$(median "${times[1]}")
m2=$(median "${times[2]}")
echo "median: 1 thread $m1 s, 2 threads $m2 s, speed-up $(awk -v a="$m1" -v b="$m2" 'BEGIN { printf "%.2f", a / b }')x ($epochs epochs, $rounds rounds)"
