#!/usr/bin/env bash
# Dataset generation speed: flux sets per second with every built-in tracer experiment
# of each built-in model, and the time to make a CCM training set of ML-Flux's size.
#   usage: bench/bench_dataset.sh [FLUXION] [THREADS] [REPEATS]
# Prints one line per run and the median per case; docs/benchmarks.md records them.
set -euo pipefail
fluxion=${1:-build/release/apps/fluxion/fluxion}
threads=${2:-2}
repeats=${3:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name | arguments
cases=(
  "simple|-m simple -n 100000 --exchange log-uniform"
  "upper_glycolysis|-m upper_glycolysis -n 100000 --exchange log-uniform"
  "glycolysis|-m glycolysis -n 100000 --exchange log-uniform --method achr"
  "glyppp|-m glyppp -n 20000 --exchange log-uniform --method achr"
  "ccm|-m ccm -n 20000 --method achr"
  "ccm paper size (117,077 sets)|-m ccm -n 117077 --method achr"
  "ccm paper protocol (1e6 ACHR draws, capped)|-m ccm --draws 1000000 --method achr --cap-fluxes ldh,pdh,ppck,me,mdh,akgdh"
)

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-46s %10s %10s %12s\n' case rows seconds rows/s
for c in "${cases[@]}"; do
  name=${c%%|*}
  args=${c#*|}
  secs=()
  for r in $(seq "$repeats"); do
    rm -rf "$tmp/ds"
    # shellcheck disable=SC2086
    "$fluxion" dataset $args --threads "$threads" -q -o "$tmp/ds"
    total=$(grep -o '"total_s": [0-9.e+-]*' "$tmp/ds/run_info.json" | awk '{ print $2 }')
    rows=$(grep -o '"rows": [0-9]*' "$tmp/ds/manifest.json" | head -1 | awk '{ print $2 }')
    secs+=("$total")
    printf '%-46s %10s %10.2f %12.0f   (run %d)\n' "$name" "$rows" "$total" "$(echo "$rows / $total" | bc -l)" "$r"
  done
  m=$(printf '%s\n' "${secs[@]}" | median)
  printf '%-46s %10s %10.2f %12.0f   median of %d\n' "$name" "$rows" "$m" "$(echo "$rows / $m" | bc -l)" "$repeats"
done
