#!/usr/bin/env bash
# The README's first command: install dependencies, build, and run the main job on the
# built-in models (no input files needed). Results go to ./fluxion-quickstart/.
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
echo " the predicted fluxes reproduce the measured MIDs within their SDs: a network's prediction is"
echo " not a fit: least-squares MFA, fluxion fit, refines it)"
echo
echo "== FBApro: the paper's toy network (Table 1), reference fluxes projected onto its steady states"
$fluxion project -m examples/fbapro_toy/toy.tsv -r examples/fbapro_toy/references.tsv --variant all -o "$out/fbapro_toy"
paste "$out"/fbapro_toy/fluxes_full.tsv <(cut -f2 "$out"/fbapro_toy/fluxes_fixed.tsv) <(cut -f2 "$out"/fbapro_toy/fluxes_partial.tsv) \
  <(cut -f2 "$out"/fbapro_toy/fluxes_basic.tsv) | sed '1s/.*/reaction\tfull\tfixed\tpartial\tbasic/'
echo "(true fluxes 7 4 3 4 6; v1 was measured exactly, v3 and v4 with noise, v2 and v5 not at all)"
echo
echo "Wrote $out/. Next: 'fluxion model info <your model file>' (.tsv .fml .xml .sbml .json .txt)."
