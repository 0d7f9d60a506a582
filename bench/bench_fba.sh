#!/usr/bin/env bash
# FBA and FVA on the BiGG models (shared/data/bigg), one and two threads: the median over RUNS runs
# of the FBA solve and of FVA over all reactions (model loading excluded; the times
# `fluxion fba` records in run_info.json). FVA at cobrapy's default fraction 1.0, iML1515
# at 0.9 (the cobrapy anchor at 1.0 did not finish); iMM1415 has no objective in its file:
# BIOMASS_mm_1_no_glygln, as in the notes.
#   usage: bench/bench_fba.sh [fluxion binary] [shared data dir] [runs, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${1:-build/release/apps/fluxion/fluxion}
data=${2:-../shared/data}
runs=${3:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '| model | reactions | objective | FBA solve (ms) | FVA, all reactions, 1 thread (s) | FVA, 2 threads (s) | fraction |\n|---|---|---|---|---|---|---|\n'
for model in e_coli_core iND750 iML1515 iMM1415 RECON1; do
  extra=()
  fraction=1
  [[ $model == iML1515 ]] && fraction=0.9
  [[ $model == iMM1415 ]] && extra=(--objective BIOMASS_mm_1_no_glygln)
  fba=() fva=() fva2=()
  for run in $(seq 1 "$runs"); do
    "$fluxion" fba -m "$data/bigg/$model.xml.gz" "${extra[@]}" --fva --fraction "$fraction" --threads 1 -o "$out/$model" > "$out/$model.log" 2>&1 || true
    fba+=("$(grep -o '"fba_s": [0-9.e+-]*' "$out/$model/run_info.json" | awk '{print $2}')")
    fva+=("$(grep -o '"fva_s": [0-9.e+-]*' "$out/$model/run_info.json" | awk '{print $2}')")
    "$fluxion" fba -m "$data/bigg/$model.xml.gz" "${extra[@]}" --fva --fraction "$fraction" --threads 2 -o "$out/$model.2" > /dev/null 2>&1 || true
    fva2+=("$(grep -o '"fva_s": [0-9.e+-]*' "$out/$model.2/run_info.json" | awk '{print $2}')")
  done
  objective=$(grep -o 'objective [0-9.e+-]*' "$out/$model.log" | awk '{print $2}')
  reactions=$(grep -o '[0-9]* reactions' "$out/$model.log" | head -1 | awk '{print $1}')
  fba_ms=$(printf '%s\n' "${fba[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", 1000 * v[int((NR + 1) / 2)] }')
  fva_s=$(printf '%s\n' "${fva[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }')
  fva2_s=$(printf '%s\n' "${fva2[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }')
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$model" "$reactions" "$objective" "$fba_ms" "$fva_s" "$fva2_s" "$fraction"
done
