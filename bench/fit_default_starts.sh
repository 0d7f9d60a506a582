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
mf="$data/mfa/mfapy"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ecoli_na=SubsGlc,SubsAla,SubsAsp,SubsThr,SubsGlu,SubsPhe,SubsTyr,SubsIle,SubsLeu,SubsVal
dataset_args() {
  case $1 in
    ecoli) echo "-m $mf/Example_2_Ecoli_model.txt --mfapy-mdv $mf/Example_2_Ecoli_mdv.txt --mfapy-status $mf/Example_2_Ecoli_status.csv -e examples/mfapy_ecoli/tracers.tsv --natural-abundance $ecoli_na" ;;
    tutorial1) echo "-m $mf/Tutorial_1_13C-MFAEcoli_model.txt --mfapy-mdv $mf/Tutorial_1_13C-MFAEcoli_mdv.txt --mfapy-sd 0.01 --mfapy-status $mf/Tutorial_1_13C-MFAEcoli_status.csv -e examples/mfapy_ecoli/tracers.tsv --natural-abundance $ecoli_na" ;;
    mcf7) echo "-m $mf/Example_3_MCF7_model.txt --mfapy-mdv $mf/Example_3_MCF7_mdv_1_13C_Glc.txt --mfapy-mdv $mf/Example_3_MCF7_mdv_U_13C_Gln.txt --mfapy-sd 0.015 --mfapy-status $mf/Example_3_MCF7_status.csv -e examples/mfapy_mcf7/tracers.tsv --natural-abundance SubsGlc,SubsGln,SubsLeu,SubsIle,SubsVal,SubsArg" ;;
    influx_si) echo "-m $data/mfa/influx_si/e_coli.ftbl" ;;
    park) echo "-m $data/mfa/park2016/mammalia/mammalia.xml -i $out/park/mids.tsv -e $out/park/tracers.tsv --constraints $out/park/constraints.txt --measured-fluxes $out/park/fluxes.tsv" ;;
    *) echo "-m $out/$1/model.tsv -e $out/$1/tracers.tsv -i $out/$1/mids.tsv --constraints $out/$1/constraints.txt --natural-abundance all" ;;
  esac
}
for set in $sets; do
  case $set in
    park) bash examples/park2016/prepare.sh "$data/mfa/park2016/mammalia" "$out/park" > /dev/null ;;
    wt* | pgi* | pyk*) python3 bench/bayflux_toya.py "$data/mfa/bayflux" "$set" "$out/$set" > /dev/null ;;
  esac
done
printf 'dataset\tseed\tbest_ssr\tthreshold\treached_best\tsampled\tperturbed\twall_s\n'
for set in $sets; do
  for seed in $(seq 1 "$seeds"); do
    dir="$out/$set-$seed"
    t0=$(date +%s.%N)
    # shellcheck disable=SC2046
    "$fluxion" fit $(dataset_args "$set") --threads 2 --seed "$seed" -o "$dir" > "$dir.log" 2>&1 || { echo "$set failed: $(tail -3 "$dir.log")" >&2; continue; }
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
