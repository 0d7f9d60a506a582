#!/usr/bin/env bash
# Least-squares MFA of influx_si's E. coli (e_coli.ftbl: real data, MS groups fitted up to
# a scale factor) beside influx_si's own result file (test/ok/e_coli.pres.csv of
# github.com/sgsokol/influx, commit 003e486: cost 61.5141593, 21 parameters): SSR, the
# share of starts at the best SSR, wall time, and each free flux against influx_si's.
#   usage: bench/fit_influx_si.sh [fluxion binary] [shared data dir] [runs, default 3] [starts, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${1:-build/release/apps/fluxion/fluxion}
data=${2:-../shared/data}
runs=${3:-3}
starts=${4:-20}
ftbl="$data/mfa/influx_si/e_coli.ftbl"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
walls=()
for run in $(seq 1 "$runs"); do
  t0=$(date +%s.%N)
  "$fluxion" fit -m "$ftbl" --starts "$starts" --threads 2 --seed "$run" -o "$out/run$run" > "$out/run$run.log" 2>&1
  t1=$(date +%s.%N)
  walls+=("$(echo "$t1 - $t0" | bc -l)")
  grep -E '^(SSR|best of)' "$out/run$run.log" | sed "s/^/run $run: /"
done
printf '%s\n' "${walls[@]}" | sort -g | awk -v starts="$starts" '{ w[NR] = $1 } END { printf "wall time of fit (%d starts, 2 threads, load included): median %.2f s of %d runs (min %.2f, max %.2f)\n", starts, w[int((NR + 1) / 2)], NR, w[1], w[NR] }'
# influx_si's free fluxes (net; exchange on its [0, 1) scale, x = xch / (1 + xch)) beside fluxion's
awk -F'\t' 'BEGIN {
    ref["Glucupt_1"] = 0.806513382553415; ref["gnd"] = 0.142234789861035; ref["out_Ac"] = 0.21300000512344
    ref["pyk"] = 1.54425507004632; ref["zwf"] = 0.142334789861035
    xr["ald"] = 0.42028195703618; xr["eno"] = 0.999; xr["fum_a"] = 0.301368299726794; xr["ppc"] = 0.147615336942728
    xr["ta"] = 0.361648085189948; xr["tk1"] = 0.151671491626991; xr["tk2"] = 1.34441069388203e-17
    printf "%-12s %-4s %14s %14s %10s\n", "flux", "kind", "influx_si", "fluxion", "diff" }
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  ($1 in ref) { v = $(col["net"]); printf "%-12s %-4s %14.8f %14.8f %10.2e\n", $1, "net", ref[$1], v, v - ref[$1] }
  ($1 in xr) { x = $(col["exchange"]); u = x / (1 + x); printf "%-12s %-4s %14.8f %14.8f %10.2e\n", $1, "xch", xr[$1], u, u - xr[$1] }' "$out/run1/fluxes.tsv"
