#!/usr/bin/env bash
# Every real ¹³C-MFA dataset of ../shared/data/mfa fitted with fluxion's default starts (10
# sampled, then 10 from the best of them perturbed), a few seeds each: the best SSR, the χ²
# threshold, how many starts reached the best SSR (within 1 % or 0.5) — sampled and perturbed
# apart — and the wall time of the fit with loading, on 2 threads.
#   usage: bench/fit_default_starts.sh [fluxion binary] [shared data dir] [seeds, default 3] [datasets, default all]
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${1:-build/release/apps/fluxion/fluxion}
data=${2:-../shared/data}
seeds=${3:-3}
sets=${4:-ecoli tutorial1 mcf7 influx_si park wt5h wt6h wt7h pgi16h pyk5h}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck source=bench/mfa_datasets.sh
source bench/mfa_datasets.sh
# shellcheck disable=SC2086
mfa_prepare "$data" "$out" $sets
printf 'dataset\tseed\tbest_ssr\tthreshold\treached_best\tsampled\tperturbed\twall_s\n'
for set in $sets; do
  for seed in $(seq 1 "$seeds"); do
    dir="$out/$set-$seed"
    t0=$(date +%s.%N)
    # shellcheck disable=SC2046
    "$fluxion" fit $(mfa_dataset_args "$data" "$out" "$set") --threads 2 --seed "$seed" -o "$dir" > "$dir.log" 2>&1 || { echo "$set failed: $(tail -3 "$dir.log")" >&2; continue; }
    t1=$(date +%s.%N)
    python3 - "$dir/fit.json" "$set" "$seed" "$(echo "$t1 - $t0" | bc -l)" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
n, p, rp = f["starts"], f["perturbed_starts"], f["perturbed_starts_reached_best"]
r = f["starts_reached_best"]
print(f"{sys.argv[2]}\t{sys.argv[3]}\t{f['ssr']:.3f}\t{f['chi2_critical_95']:.2f}\t{r}/{n} ({100 * r / n:.0f} %)\t{r - rp}/{n - p}\t{rp}/{p}\t{float(sys.argv[4]):.1f}")
PY
  done
done
