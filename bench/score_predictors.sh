#!/usr/bin/env bash
# Scores the shipped predictor packages on fresh rows: for each model a new dataset made
# with the package's own recipe (scripts/predictor-recipes.sh) but another seed, so no row
# was seen in training; `fluxion score` on every row of it (up to ROWS), beside the
# training mean, with identifiability from the EMU sensitivities at MID SD 0.01.
#   usage: bench/score_predictors.sh [MODEL ...]          (default: all five)
#   env:   FLUXION=path/to/fluxion  WORK=directory for the datasets and scores (kept)
#          ROWS=5000  SEED=2  PACKAGES=models/predictors (MODEL.fluxpkg there)
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${FLUXION:-build/release/apps/fluxion/fluxion}
work=${WORK:-$(mktemp -d)}
rows=${ROWS:-5000}
seed=${SEED:-2}
packages=${PACKAGES:-models/predictors}
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(simple upper_glycolysis glycolysis glyppp ccm)
source scripts/predictor-recipes.sh
for m in "${models[@]}"; do
  predictor_recipe "$m" || exit 2
  d="$work/fresh_${m}_seed$seed"
  if [ ! -f "$d/manifest.json" ]; then
    # the recipe's row count is for training; the scored rows need fewer (ccm's recipe is a
    # draw budget with caps, kept whole so that its distribution is the training one)
    opts=("${data[@]}")
    [ "$m" != ccm ] && for i in "${!opts[@]}"; do [ "${opts[$i]}" = -n ] && opts[$((i + 1))]=$rows; done
    "$fluxion" dataset -m "$model" "${opts[@]}" --seed "$seed" --threads 2 -o "$d" >/dev/null
  fi
  "$fluxion" score -p "$packages/$m.fluxpkg" -d "$d" --subset all --rows "$rows" -o "$work/score_$m" --format table >"$work/score_$m.txt" 2>&1 ||
    { cat "$work/score_$m.txt"; exit 1; }
  tail -n 1 "$work/score_$m.txt"
done
echo "score_predictors: tables in $work/score_*.txt, per-flux TSVs in $work/score_*/"
