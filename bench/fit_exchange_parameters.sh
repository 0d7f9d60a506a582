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
mf="$data/mfa/mfapy"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ecoli_na=SubsGlc,SubsAla,SubsAsp,SubsThr,SubsGlu,SubsPhe,SubsTyr,SubsIle,SubsLeu,SubsVal
case " $sets " in *" park "*) bash examples/park2016/prepare.sh "$data/mfa/park2016/mammalia" "$out/park" > /dev/null ;; esac
dataset_args() {
  case $1 in
    ecoli) echo "-m $mf/Example_2_Ecoli_model.txt --mfapy-mdv $mf/Example_2_Ecoli_mdv.txt --mfapy-status $mf/Example_2_Ecoli_status.csv -e examples/mfapy_ecoli/tracers.tsv --natural-abundance $ecoli_na --starts 20" ;;
    tutorial1) echo "-m $mf/Tutorial_1_13C-MFAEcoli_model.txt --mfapy-mdv $mf/Tutorial_1_13C-MFAEcoli_mdv.txt --mfapy-sd 0.01 --mfapy-status $mf/Tutorial_1_13C-MFAEcoli_status.csv -e examples/mfapy_ecoli/tracers.tsv --natural-abundance $ecoli_na --starts 20" ;;
    mcf7) echo "-m $mf/Example_3_MCF7_model.txt --mfapy-mdv $mf/Example_3_MCF7_mdv_1_13C_Glc.txt --mfapy-mdv $mf/Example_3_MCF7_mdv_U_13C_Gln.txt --mfapy-sd 0.015 --mfapy-status $mf/Example_3_MCF7_status.csv -e examples/mfapy_mcf7/tracers.tsv --natural-abundance SubsGlc,SubsGln,SubsLeu,SubsIle,SubsVal,SubsArg --starts 20" ;;
    influx_si) echo "-m $data/mfa/influx_si/e_coli.ftbl --starts 20" ;;
    park) echo "-m $data/mfa/park2016/mammalia/mammalia.xml -i $out/park/mids.tsv -e $out/park/tracers.tsv --constraints $out/park/constraints.txt --measured-fluxes $out/park/fluxes.tsv --starts 20" ;;
  esac
}
printf 'dataset\trun\texchange_parameters\tbest_ssr\tthreshold\treached_best\tstarts\twall_s\n'
for set in $sets; do
  for run in $(seq 1 "$runs"); do
    for kind in flux ratio; do
      dir="$out/$set-$run-$kind"
      t0=$(date +%s.%N)
      # shellcheck disable=SC2046
      "$fluxion" fit $(dataset_args "$set") --threads 2 --seed "$run" --exchange-parameters "$kind" -o "$dir" > "$dir.log" 2>&1 || { echo "$set $kind failed: $(tail -3 "$dir.log")" >&2; continue; }
      t1=$(date +%s.%N)
      python3 - "$dir/fit.json" "$set" "$run" "$kind" "$(echo "$t1 - $t0" | bc -l)" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]}\t{sys.argv[3]}\t{sys.argv[4]}\t{f['ssr']:.3f}\t{f['chi2_critical_95']:.2f}\t{f['starts_reached_best']}\t{f['starts']}\t{float(sys.argv[5]):.2f}")
PY
    done
  done
done
