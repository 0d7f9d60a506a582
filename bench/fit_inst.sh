#!/usr/bin/env bash
# Non-stationary (INST) fits and simulations, on the data of mfapy's INST tutorial and
# FreeFlux's synthetic Synechocystis time course:
#   - mfapy Tutorial 2 with its status sheet's fixed pools, and with every pool fitted;
#   - Synechocystis (50 % [1-13C]CO2, purity 0.997, net fluxes in [-100, 100] and pools
#     fitted in [0.1, 100] as FreeFlux's tutorial sets them): the SSR at FreeFlux's true fluxes and pools, the fit from there, and the
#     multistart fit;
#   - influx_si's instationary E. coli (e_coli_i.ftbl with its file_labcin);
#   - one INST simulation at the measured times, without and with sensitivities (median of
#     5 runs of `fluxion simulate`, start-up and model compilation included, and the steady
#     state of the same command beside them).
# Prints one row per run: what, best SSR, χ² threshold, starts at the best, starts, wall s.
#   usage: bench/fit_inst.sh [fluxion binary] [shared data dir] [starts, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${1:-build/release/apps/fluxion/fluxion}
data=${2:-../shared/data}
starts=${3:-20}
mf="$data/mfa/mfapy"
syn="$data/mfa/freeflux/synechocystis/synthetic_data"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# mfapy Tutorial 2: 50 % [U-13C]glucose, natural abundance everywhere, six sheets
printf 'experiment\tsubstrate\tlabel\tfraction\tpurity\ntc\tSubsGlc\t[U-13C6]\t0.5\t1\n' > "$out/t2_tracers.tsv"
t2="-m $mf/Tutorial_2_INST-MFAtoymodel_model.txt --mfapy-status $mf/Tutorial_2_INST-MFAtoymodel_status.csv -e $out/t2_tracers.tsv --natural-abundance all"
for t in 0 5 10 15 30 50; do t2="$t2 --mfapy-mdv $mf/Tutorial_2_INST-MFAtoymodel_mdvtimecourse$t.txt@$t"; done
{ printf 'metabolite\tsize\tstatus\tlower\tupper\n'
  for m in G6P PEP Pyr CO2in OAC AcCoA Cit Suc Fum; do printf '%s\t100\tfree\t1\t1000\n' "$m"; done
  printf 'AKG\t10\tfree\t0.1\t1000\n'; } > "$out/t2_free_pools.tsv"

# FreeFlux's Synechocystis: its biomass reaction lists "0.133 GAP" with a space, which
# FreeFlux did not read as GAP (its true fluxes leave GAP unbalanced by exactly that term):
# the model without it, the true fluxes as a flux table, the pools free in [0.1, 100]
sed 's/+0.133 GAP//' "$syn/reactions.csv" > "$out/syn_reactions.csv"
printf 'experiment\tsubstrate\tlabel\tfraction\tpurity\ne1\tCO2.ex\t[1-13C1]\t0.5\t0.997\n' > "$out/syn_tracers.tsv"
{ printf 'metabolite\tsize\tstatus\tlower\tupper\n'; grep -v '^#' "$syn/concentrations.csv" | awk -F, '{print $1"\t"$2"\tfree\t0.1\t100"}'; } > "$out/syn_pools.tsv"
python3 - "$syn/fluxes.csv" "$out/syn_truth.tsv" <<'PY'
import sys
v = {}
for line in open(sys.argv[1]):
    if line.strip() and not line.startswith('#'):
        k, x = line.strip().split(',')
        v[k] = float(x)
rows, done = ["reaction\tnet\texchange"], set()
for k in v:
    base = k[:-2] if k.endswith(('_f', '_b')) else k
    if base in done:
        continue
    done.add(base)
    if base == k:
        rows.append(f"{k}\t{v[k]!r}\t0")
    else:
        f, b = v[base + '_f'], v[base + '_b']
        rows.append(f"{base}\t{f - b!r}\t{min(f, b)!r}")
open(sys.argv[2], 'w').write("\n".join(rows) + "\n")
PY
awk -F'\t' 'NR > 1 { print $1 " >= -100"; print $1 " <= 100" }' "$out/syn_truth.tsv" > "$out/syn_bounds.txt"  # FreeFlux's tutorial: every net flux in [-100, 100]
synargs="--constraints $out/syn_bounds.txt -m $out/syn_reactions.csv --mids $syn/measured_inst_MDVs.csv --measured-fluxes $syn/measured_fluxes.csv -e $out/syn_tracers.tsv --natural-abundance all --pools $out/syn_pools.tsv"

report() {  # name, fit directory, wall seconds
  python3 - "$2/fit.json" "$1" "$3" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]}\t{f['ssr']:.3f}\t{f['chi2_critical_95']:.2f}\t{f['starts_reached_best']}\t{f['starts']}\t{float(sys.argv[3]):.2f}")
PY
}
run_fit() {  # name, arguments…
  local name=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  # shellcheck disable=SC2068
  "$fluxion" fit $@ --threads 2 -o "$out/$name" > "$out/$name.log" 2>&1 || { echo "$name failed: $(tail -3 "$out/$name.log")" >&2; return; }
  t1=$(date +%s.%N)
  report "$name" "$out/$name" "$(echo "$t1 - $t0" | bc -l)"
}
printf 'run\tbest_ssr\tthreshold\treached_best\tstarts\twall_s\n'
run_fit mfapy_t2_fixed_pools $t2 --starts "$starts"
run_fit mfapy_t2_free_pools $t2 --pools "$out/t2_free_pools.tsv" --starts "$starts"
run_fit synechocystis_at_truth $synargs --starts 0 --start-from "$out/syn_truth.tsv" --max-evaluations 1
run_fit synechocystis_from_truth $synargs --starts 0 --start-from "$out/syn_truth.tsv"
# (8 starts of at most 400 evaluations: a start costs 60-column sensitivities per Jacobian)
run_fit synechocystis_multistart $synargs --starts 8 --max-evaluations 400
run_fit influx_si_e_coli_i -m "$data/mfa/influx_si/e_coli_i.ftbl" --starts "$starts"
# the true net fluxes inside the fitted 95 % intervals (linearised), of the identifiable ones
for fit in synechocystis_from_truth synechocystis_multistart; do
  [ -f "$out/$fit/fluxes.tsv" ] || continue
  python3 - "$out/syn_truth.tsv" "$out/$fit/fluxes.tsv" "$fit" <<'PY'
import csv, sys
truth = {r['reaction']: float(r['net']) for r in csv.DictReader(open(sys.argv[1]), delimiter='\t')}
n = inside = 0
for r in csv.DictReader(open(sys.argv[2]), delimiter='\t'):
    if r['reaction'] not in truth or r['net_se'] in ('NA', 'inf'):
        continue
    n += 1
    inside += abs(float(r['net']) - truth[r['reaction']]) <= 1.96 * float(r['net_se']) + 1e-9
print(f"# {sys.argv[3]}: {inside} of {n} identifiable true net fluxes inside the 95 % intervals")
PY
done

# one INST simulation (median of 5), at the measured times, without and with sensitivities
sim() {  # name, arguments…
  local name=$1
  shift
  for sens in steady "" --sensitivities; do
    local times=()
    for k in 1 2 3 4 5; do
      local t0 t1
      t0=$(date +%s.%N)
      # shellcheck disable=SC2068
      if [ "$sens" = steady ]; then  # the same command without --times and the pool options
        # shellcheck disable=SC2046
        "$fluxion" simulate $(printf '%s\n' "$@" | awk '/^--(times|pools|default-pool)$/ { skip = 1; next } skip { skip = 0; next } { print }') -o "$out/sim_$name" > /dev/null 2>&1
      else
        "$fluxion" simulate "$@" $sens -o "$out/sim_$name" > /dev/null 2>&1
      fi
      t1=$(date +%s.%N)
      times+=("$(echo "$t1 - $t0" | bc -l)")
    done
    printf '%s\t%s\t%s\n' "simulate_$name" "${sens:-values}" "$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)"
  done
}
"$fluxion" fit $t2 --starts 1 --threads 1 -o "$out/t2_one" > /dev/null 2>&1
awk -F'\t' 'NR == 1 { next } $1 == "FUM" { print $1 "\t" $2 "\t" $6; next } { print $1 "\t" $2 "\t0" }' "$out/t2_one/fluxes.tsv" | sed '1i reaction\tnet\texchange' > "$out/t2_fluxes.tsv"
printf 'metabolite\tsize\nAKG\t10\n' > "$out/t2_pools.tsv"
sim mfapy_t2 -m "$mf/Tutorial_2_INST-MFAtoymodel_model.txt" -f "$out/t2_fluxes.tsv" -e "$out/t2_tracers.tsv" --natural-abundance all --measured AKG,OAC,PEP \
  --times 0,5,10,15,30,50 --pools "$out/t2_pools.tsv" --default-pool 100
sim synechocystis -m "$out/syn_reactions.csv" -f "$out/syn_truth.tsv" -e "$out/syn_tracers.tsv" --natural-abundance all \
  --measured 'Cit[1,2,3,4,5],Cit,DHAP,F6P,Fum,G3P,G3P[2,3],G6P,GAP,Ga[1,2],Ga,Mal[2,3,4],PEP,R5P,Ru5P,RuBP,S7P,Suc' --times 10,30,60,120,240,360 --pools "$syn/concentrations.csv"
