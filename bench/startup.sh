#!/usr/bin/env bash
# Start-up cost of small commands: `fluxion` (no LibTorch) against `fluxion-learn` (every
# command, LibTorch loaded at start, as the single binary was before 2026-12), same run,
# alternating, median wall time and peak memory of ROUNDS runs each.
#   bash bench/startup.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
dir=build/release/apps/fluxion
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
commands=("version" "model info simple" "simulate -m simple -f examples/simple/true_fluxes.tsv -o $out/sim" "fba -m examples/fbapro_toy/toy.tsv --objective v5 -o $out/fba")
printf '| command | fluxion (s) | fluxion-learn (s) | ratio | fluxion (MiB) | fluxion-learn (MiB) |\n|---|---:|---:|---:|---:|---:|\n'
for c in "${commands[@]}"; do
  for exe in fluxion fluxion-learn; do : > "$out/$exe.times"; done
  for ((i = 0; i < rounds; i++)); do
    for exe in fluxion fluxion-learn; do
      # shellcheck disable=SC2086
      /usr/bin/time -f '%e %M' -a -o "$out/$exe.times" "$dir/$exe" -q $c > /dev/null 2>&1
    done
  done
  med() { sort -n -k"$2" "$1" | awk -v k="$2" '{v[NR]=$k} END {print v[int((NR+1)/2)]}'; }
  a=$(med "$out/fluxion.times" 1) b=$(med "$out/fluxion-learn.times" 1)
  ma=$(med "$out/fluxion.times" 2) mb=$(med "$out/fluxion-learn.times" 2)
  awk -v c="$c" -v a="$a" -v b="$b" -v ma="$ma" -v mb="$mb" 'BEGIN {printf "| %s | %.3f | %.3f | %.1f× | %.0f | %.0f |\n", c, a, b, (a > 0 ? b / a : 0), ma / 1024, mb / 1024}' | sed "s|$out/|OUT/|g"
done
