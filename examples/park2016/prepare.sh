#!/usr/bin/env bash
# Turns the Park et al. 2016 mammalian measurements (the per-sheet CSV dumps of
# mammalia_mea.xlsx in shared/data/mfa/park2016) into fluxion's inputs for `fluxion fit`:
#
#   mids.tsv         experiment, metabolite, isotopologue, fraction, sd: the replicate mean of
#                    every MID in sheets 12_13C, 12_13C_add, U_13C and UGln_13C; sd is the
#                    replicate standard deviation, at least SD_FLOOR (default 0.01; with
#                    0.025 the fit is accepted by the χ² test: docs/benchmarks.md, Park)
#   tracers.tsv      one experiment, "park": the network holds one copy per tracer (pool
#                    suffixes _12, _U, _UGln) fed by GLC12_IN ([1,2-13C2]glucose), GLCU_IN
#                    ([U-13C6]glucose) and GlnU_IN ([U-13C5]glutamine); every other input
#                    is unlabelled (as the authors' driver script sets them)
#   fluxes.tsv       measured fluxes (sheet fmea: expression, value, variance -> sd = sqrt)
#   constraints.txt  the net and exchange flux bounds of sheets net and xch
#
# The copies are tied to one flux vector by the model's own constraints (mammalia.xml).
#
#   usage: examples/park2016/prepare.sh DATA_DIR OUT_DIR
#   e.g.   examples/park2016/prepare.sh ../shared/data/mfa/park2016/mammalia out/park
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 DATA_DIR OUT_DIR   (DATA_DIR holds mammalia_mea__*.csv)" >&2
  exit 2
fi
data=$1
out=$2
floor=${SD_FLOOR:-0.01}
for sheet in 12_13C 12_13C_add U_13C UGln_13C fmea net xch; do
  if [[ ! -r "$data/mammalia_mea__$sheet.csv" ]]; then
    echo "error: $data/mammalia_mea__$sheet.csv: not found (expected the CSV dumps of mammalia_mea.xlsx)" >&2
    exit 2
  fi
done
mkdir -p "$out"

# MIDs: a row with a name starts a metabolite (M+0); rows with an empty first field are
# its next isotopologues; the other fields are replicates
{
  printf 'experiment\tmetabolite\tisotopologue\tfraction\tsd\n'
  for sheet in 12_13C 12_13C_add U_13C UGln_13C; do
    awk -F, -v floor="$floor" -v file="$data/mammalia_mea__$sheet.csv" '
      { sub(/\r$/, "") }
      NF < 2 { printf "error: %s:%d: expected a name and replicate values\n", file, NR > "/dev/stderr"; bad = 1; exit 2 }
      $1 != "" { name = $1; iso = 0 }
      $1 == "" { if (name == "") { printf "error: %s:%d: isotopologue row before any metabolite\n", file, NR > "/dev/stderr"; bad = 1; exit 2 }; iso++ }
      {
        n = 0; s = 0; ss = 0
        for (i = 2; i <= NF; i++) {
          if ($i == "") continue
          if ($i !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) { printf "error: %s:%d:%d: \"%s\" is not a number\n", file, NR, i, $i > "/dev/stderr"; bad = 1; exit 2 }
          n++; s += $i; ss += $i * $i
        }
        if (n == 0) { printf "error: %s:%d: no values\n", file, NR > "/dev/stderr"; bad = 1; exit 2 }
        mean = s / n
        sd = n > 1 ? sqrt((ss - n * mean * mean) / (n - 1) > 0 ? (ss - n * mean * mean) / (n - 1) : 0) : 0
        if (sd < floor) sd = floor
        if (mean < 0) mean = 0
        printf "park\t%s\t%d\t%.6g\t%.4g\n", name, iso, mean, sd
      }
      END { if (bad) exit 2 }' "$data/mammalia_mea__$sheet.csv"
  done
} > "$out/mids.tsv"

printf 'experiment\tsubstrate\tlabel\tfraction\tpurity\npark\tGLC12_IN\t[1,2-13C2]\t1\t1\npark\tGLCU_IN\t[U-13C6]\t1\t1\npark\tGlnU_IN\t[U-13C5]\t1\t1\n' > "$out/tracers.tsv"

{
  printf 'flux\tvalue\tsd\n'
  awk -F, -v file="$data/mammalia_mea__fmea.csv" '
    { sub(/\r$/, "") }
    NF != 3 || $3 + 0 <= 0 { printf "error: %s:%d: expected expression, value, variance > 0\n", file, NR > "/dev/stderr"; exit 2 }
    { printf "%s\t%s\t%.6g\n", $1, $2, sqrt($3) }' "$data/mammalia_mea__fmea.csv"
} > "$out/fluxes.tsv"

{
  printf '# net and exchange flux bounds of mammalia_mea.xlsx (sheets net, xch)\n'
  for sheet in net xch; do
    awk -F, -v sheet="$sheet" -v file="$data/mammalia_mea__$sheet.csv" '
      { sub(/\r$/, ""); gsub(/&lt;/, "<"); gsub(/&gt;/, ">") }
      NF != 3 { printf "error: %s:%d: expected left, operator, right\n", file, NR > "/dev/stderr"; exit 2 }
      {
        l = $1; r = $3
        if (sheet == "xch") {  # exchange fluxes: wrap the reaction id
          if (l ~ /^[A-Za-z_]/) l = "xch(" l ")"
          if (r ~ /^[A-Za-z_]/) r = "xch(" r ")"
        }
        print l " " $2 " " r
      }' "$data/mammalia_mea__$sheet.csv"
  done
} > "$out/constraints.txt"

echo "wrote $out/mids.tsv ($(($(wc -l < "$out/mids.tsv") - 1)) fractions), tracers.tsv, fluxes.tsv, constraints.txt" >&2
