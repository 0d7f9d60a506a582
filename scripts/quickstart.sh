#!/usr/bin/env bash
# The README's first command: install dependencies, build, run a short tour of the command
# line on the built-in models (results in ./fluxion-quickstart/), then start the web app on
# http://127.0.0.1:8080/ with the built-in models and predictors (jobs in ./fluxion-data/;
# Ctrl-C stops it, and a job that was running is re-queued at the next start).
#   FLUXION_PORT=8081 bash scripts/quickstart.sh   # another port
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
fluxion=build/release/apps/fluxion/fluxion
out=fluxion-quickstart
mkdir -p "$out"

echo
echo "== $($fluxion version)"
echo "== built-in models"
$fluxion model list
echo
echo "== the ML-Flux central carbon metabolism model: rank, free fluxes, exchange fluxes"
$fluxion model info ccm | tee "$out/ccm_info.tsv"
echo
echo "== glycolysis with 13C and 2H atom maps, written as FluxML and read back"
$fluxion model convert glycolysis "$out/glycolysis.fml"
$fluxion model info "$out/glycolysis.fml" --format json > "$out/glycolysis_info.json"
grep -E '"(n_metabolites|n_reactions|rank|n_free|n_exchange)"' "$out/glycolysis_info.json"
echo
echo "== its tracer experiment: which glucose atoms are heavy"
$fluxion model tracers glycolysis
echo
echo "== ML-Flux: fluxes, ΔG and standard errors from a partial glycolysis measurement (3 replicates)"
$fluxion predict -p glycolysis -i examples/glycolysis/mids.tsv -o "$out/glycolysis_prediction" --format table
echo "(the fluxes that made these MIDs: examples/glycolysis/true_fluxes.tsv; the χ² line says whether"
echo " the predicted fluxes reproduce the measured MIDs within their SDs. A network's prediction is"
echo " not a fit: it answers in milliseconds from what it learnt, and here it misses the MIDs by more"
echo " than their SDs allow, so least-squares MFA refines it, started from the prediction)"
echo
echo "== the hybrid: least-squares MFA (fluxion fit) started from ML-Flux's prediction"
$fluxion fit -m glycolysis -i examples/glycolysis/mids.tsv --start-from "$out/glycolysis_prediction/fluxes.tsv" \
  -o "$out/glycolysis_fit" 2>&1 | grep -E '^(SSR|best of)'
echo "(the fitted fluxes, with confidence intervals: $out/glycolysis_fit/fluxes.tsv)"
echo
echo "== FBApro: the paper's toy network (Table 1), reference fluxes projected onto its steady states"
$fluxion project -m examples/fbapro_toy/toy.tsv -r examples/fbapro_toy/references.tsv --variant all -o "$out/fbapro_toy"
paste "$out"/fbapro_toy/fluxes_full.tsv <(cut -f2 "$out"/fbapro_toy/fluxes_fixed.tsv) <(cut -f2 "$out"/fbapro_toy/fluxes_partial.tsv) \
  <(cut -f2 "$out"/fbapro_toy/fluxes_basic.tsv) | sed '1s/.*/reaction\tfull\tfixed\tpartial\tbasic/'
echo "(true fluxes 7 4 3 4 6; v1 was measured exactly, v3 and v4 with noise, v2 and v5 not at all)"
echo
echo "== the same engines in Python (import fluxion): FBA and FVA of cobrapy's E. coli core model"
python=$(sed -n 's/^Python3_EXECUTABLE:FILEPATH=//p' build/release/CMakeCache.txt)
PYTHONPATH=build/release/python "${python:-python3}" - <<'PY' || echo "(the Python package did not run; see README, Python)"
import cobra, fluxion
model = fluxion.from_cobra(cobra.io.load_model("textbook"))
fba = fluxion.fba(model, fva=True, fraction=0.9)
print(f"fluxion {fluxion.__version__}: growth {fba.attrs['objective']:.6f}, {fba.attrs['status']}")
print(fba.loc[["PGI", "PFK", "CS", "EX_glc__D_e"]].round(4).to_string())
PY
echo
echo "Wrote $out/. Next: 'fluxion model info <your model file>' (.tsv .fml .xml .sbml .json .txt)."
echo
echo "== the web app: open http://127.0.0.1:${FLUXION_PORT:-8080}/ in a browser (Ctrl-C stops it)"
serve=(serve --port "${FLUXION_PORT:-8080}" --data fluxion-data)
# the reference models and Escher maps beside the repository, when they are there
[ -d ../shared/data/bigg ] && serve+=(--model-dir ../shared/data/bigg)
[ -d ../shared/data/escher ] && serve+=(--map-dir ../shared/data/escher)
exec $fluxion "${serve[@]}"
