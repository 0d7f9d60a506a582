#!/usr/bin/env bash
# Least-squares MFA of mfapy's E. coli GC-MS data (Example 2, Okahashi 2017): wall time
# of `fluxion fit` (load + all starts) and how many starts end statistically acceptable.
#   usage: bench/fit_mfapy_ecoli.sh [fluxion binary] [shared data dir] [runs, default 5] [starts, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${1:-build/release/apps/fluxion/fluxion}
data=${2:-../shared/data}
runs=${3:-5}
starts=${4:-20}
mf="$data/mfa/mfapy"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
walls=()
for run in $(seq 1 "$runs"); do
  t0=$(date +%s.%N)
  "$fluxion" fit -m "$mf/Example_2_Ecoli_model.txt" --mfapy-mdv "$mf/Example_2_Ecoli_mdv.txt" \
    --mfapy-status "$mf/Example_2_Ecoli_status.csv" -e examples/mfapy_ecoli/tracers.tsv \
    --natural-abundance SubsGlc,SubsAla,SubsAsp,SubsThr,SubsGlu,SubsPhe,SubsTyr,SubsIle,SubsLeu,SubsVal \
    --starts "$starts" --threads 2 --seed "$run" -o "$out/run$run" > "$out/run$run.log" 2>&1
  t1=$(date +%s.%N)
  walls+=("$(echo "$t1 - $t0" | bc -l)")
  threshold=$(grep -o '"chi2_critical_95": [0-9.e+-]*' "$out/run$run/fit.json" | awk '{print $2}')
  awk -F'\t' -v th="$threshold" -v run="$run" 'NR > 1 { n++; t += $6; if ($3 <= th) ok++; if (best == "" || $3 < best) best = $3 }
    END { printf "run %d: best SSR %.2f (threshold %.1f), %d of %d starts acceptable, %.3f s per start\n", run, best, th, ok, n, t / n }' "$out/run$run/starts.tsv"
done
printf '%s\n' "${walls[@]}" | sort -g | awk -v starts="$starts" '{ w[NR] = $1 } END { printf "wall time of fit (%d starts, 2 threads, load included): median %.2f s of %d runs (min %.2f, max %.2f)\n", starts, w[int((NR + 1) / 2)], NR, w[1], w[NR] }'
