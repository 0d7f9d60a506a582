#!/usr/bin/env bash
# Exchange fluxes fitted as they are (`--exchange-parameters flux`) or on the ratio scale
# x/(β + x) (`ratio`), interleaved in one run on the same machine: mfapy's E. coli (Example 2,
# Tutorial 1), MCF-7 (Example 3), influx_si's E. coli (FTBL) and Park et al. 2016. Prints, per
# run and parametrisation, the best SSR, the χ² threshold, how many starts reached the best
# SSR (within 1 % or 0.5) and the wall time of the fit (load included).
#   usage: bench/fit_exchange_parameters.sh [fluxion binary] [shared data dir] [runs, default 3] [datasets, default all]
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${1:-build/release/apps/fluxion/fluxion}
data=${2:-../shared/data}
runs=${3:-3}
sets=${4:-ecoli tutorial1 mcf7 influx_si park}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck source=bench/mfa_datasets.sh
source bench/mfa_datasets.sh
# shellcheck disable=SC2086
mfa_prepare "$data" "$out" $sets
printf 'dataset\trun\texchange_parameters\tbest_ssr\tthreshold\treached_best\tstarts\twall_s\n'
for set in $sets; do
  for run in $(seq 1 "$runs"); do
    for kind in flux ratio; do
      dir="$out/$set-$run-$kind"
      t0=$(date +%s.%N)
      # shellcheck disable=SC2046
      "$fluxion" fit $(mfa_dataset_args "$data" "$out" "$set") --starts 20 --perturbed-starts 0 --threads 2 --seed "$run" --exchange-parameters "$kind" -o "$dir" > "$dir.log" 2>&1 || { echo "$set $kind failed: $(tail -3 "$dir.log")" >&2; continue; }
      t1=$(date +%s.%N)
      python3 - "$dir/fit.json" "$set" "$run" "$kind" "$(echo "$t1 - $t0" | bc -l)" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]}\t{sys.argv[3]}\t{sys.argv[4]}\t{f['ssr']:.3f}\t{f['chi2_critical_95']:.2f}\t{f['starts_reached_best']}\t{f['starts']}\t{float(sys.argv[5]):.2f}")
PY
    done
  done
done
