#!/usr/bin/env bash
# Least-squares MFA solvers side by side (`fluxion fit --solver lm|slsqp`), interleaved in
# one run on the same machine: mfapy's E. coli (Example 2 and Tutorial 1) and MCF-7
# (Example 3, two parallel tracers), then the 90 net-flux profiles of E. coli. Prints, per
# run and solver, the best SSR, the χ² threshold, how many starts reached the best SSR
# (within 1 % or 0.5) and the wall time of the fit (load included).
#   usage: bench/fit_solvers.sh [fluxion binary] [shared data dir] [runs, default 3] [profile: yes|no, default yes]
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${1:-build/release/apps/fluxion/fluxion}
data=${2:-../shared/data}
runs=${3:-3}
profile=${4:-yes}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck source=bench/mfa_datasets.sh
source bench/mfa_datasets.sh
printf 'dataset\trun\tsolver\tbest_ssr\tthreshold\treached_best\tstarts\twall_s\n'
for set in ecoli tutorial1 mcf7; do
  for run in $(seq 1 "$runs"); do
    for solver in slsqp lm; do
      dir="$out/$set-$run-$solver"
      t0=$(date +%s.%N)
      # shellcheck disable=SC2046
      "$fluxion" fit $(mfa_dataset_args "$data" "$out" "$set") --starts 20 --perturbed-starts 0 --threads 2 --seed "$run" --solver "$solver" -o "$dir" > "$dir.log" 2>&1
      t1=$(date +%s.%N)
      python3 - "$dir/fit.json" "$set" "$run" "$solver" "$(echo "$t1 - $t0" | bc -l)" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]}\t{sys.argv[3]}\t{sys.argv[4]}\t{f['ssr']:.3f}\t{f['chi2_critical_95']:.2f}\t{f['starts_reached_best']}\t{f['starts']}\t{float(sys.argv[5]):.2f}")
PY
    done
  done
done
[ "$profile" = yes ] || exit 0
printf '\nprofile\tsolver\twall_s\trefits\tunconverged_ends\n'
for solver in slsqp lm; do
  dir="$out/profile-$solver"
  t0=$(date +%s.%N)
  # shellcheck disable=SC2046
  "$fluxion" fit $(mfa_dataset_args "$data" "$out"  ecoli) --starts 8 --perturbed-starts 0 --threads 2 --seed 1 --solver "$solver" --profile net -o "$dir" > "$dir.log" 2>&1
  t1=$(date +%s.%N)
  awk -F'\t' -v s="$solver" -v w="$(echo "$t1 - $t0" | bc -l)" 'NR > 1 { f += $8; if ($10 != "yes") u++ } END { printf "ecoli net (90)\t%s\t%.1f\t%d\t%d\n", s, w, f, u }' "$dir/profile.tsv"
  cp "$dir/profile.tsv" "$out/profile-$solver.tsv"
done
# the intervals, side by side: an end more than 2 % of the interval's width beyond the other's
paste "$out/profile-slsqp.tsv" "$out/profile-lm.tsv" | awk -F'\t' 'NR > 1 { w = $4 - $3; tol = 0.02 * w + 1e-6; n = NF / 2;
  lo = $(n + 3); hi = $(n + 4); if (lo < $3 - tol || hi > $4 + tol) wider++; if (lo > $3 + tol || hi < $4 - tol) narrower++ }
  END { printf "lm intervals against slsqp: %d wider, %d narrower, of %d\n", wider, narrower, NR - 1 }'
