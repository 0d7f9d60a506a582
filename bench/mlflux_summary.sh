#!/usr/bin/env bash
# Accuracy of trained predictor packages on their held-out test rows, from the error tables
# `fluxion train` writes (MODEL/error_tables.tsv and vssr_acceptance.tsv beside each
# MODEL.fluxpkg): one Markdown row per error level (complete patterns, then each imputer by
# band of masking). Fluxes that a model fixes (se 0 and MAE below 1e-6) are left out of the
# shares, so a constant column cannot flatter a model.
#   usage: bench/mlflux_summary.sh [PACKAGE_DIR ...]     (default: models/predictors/*/)
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=("$@")
[ ${#dirs[@]} -eq 0 ] && dirs=(models/predictors/*/)
echo "| model | imputer | masked | rows | net within ±0.05 | all within ±0.05 | net within 5 % | mean se (net) | ΔG within 1 kJ/mol | VSSR acceptance |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
for d in "${dirs[@]}"; do
  d=${d%/}
  [ -f "$d/error_tables.tsv" ] || { echo "mlflux_summary: $d/error_tables.tsv: no such file" >&2; exit 2; }
  awk -F'\t' -v model="$(basename "$d")" '
    FNR == 1 { next }
    FILENAME ~ /vssr_acceptance/ { vssr[$1 "|" $2 "|" $3] = $5; next }
    {
      k = $1 "|" $2 "|" $3
      if (!(k in rows)) { order[++n] = k; rows[k] = $4 }
      if ($5 ~ /^dG:/) { if ($8 != "NA") { dg[k] += $8; ndg[k]++ } next }
      if ($6 == "NA" || ($6 + 0 == 0 && $7 + 0 < 1e-6)) next   # fixed by the model
      all[k] += $8; nall[k]++
      if ($5 ~ /^net:/) { net[k] += $8; rel[k] += $9; se[k] += $6; nnet[k]++ }
    }
    function pct(s, c) { return c ? sprintf("%.1f %%", 100 * s / c) : "–" }
    END {
      for (i = 1; i <= n; i++) {
        k = order[i]; split(k, p, "|")
        if (rows[k] + 0 == 0) continue
        band = p[1] == "none" ? "0" : p[2] "–" p[3]
        printf "| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s |\n", model, p[1], band, rows[k],
          pct(net[k], nnet[k]), pct(all[k], nall[k]), pct(rel[k], nnet[k]),
          nnet[k] ? sprintf("%.3g", se[k] / nnet[k]) : "–", pct(dg[k], ndg[k]),
          (k in vssr) ? sprintf("%.1f %%", 100 * vssr[k]) : "–"
      }
    }' "$d/vssr_acceptance.tsv" "$d/error_tables.tsv"
done
