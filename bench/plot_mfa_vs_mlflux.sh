#!/usr/bin/env bash
# Plots of the head-to-head (bench/mfa_vs_mlflux): box plots per scenario and method of the
# flux SSR (net fluxes of size <= 10), the MID SSR and the wall time (the ML-Flux paper's
# Fig. 6a-c), and MFA's time against the number of tracer experiments (Fig. 6d), as SVG.
# Needs gnuplot (Debian: apt-get install gnuplot-nox); only for regenerating the docs.
#
#   usage: bench/plot_mfa_vs_mlflux.sh OUT_DIR ROWS.tsv [ROWS.tsv ...] [-- SUMMARY.err ...]
#   (ROWS: the bench's stdout; SUMMARY: its stderr, for the experiments table)
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 OUT_DIR ROWS.tsv [ROWS.tsv ...] [-- SUMMARY.err ...]" >&2
  exit 2
fi
command -v gnuplot > /dev/null || { echo "error: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 2; }
out=$1
shift
rows=()
errs=()
while [[ $# -gt 0 && $1 != -- ]]; do rows+=("$1"); shift; done
[[ $# -gt 0 ]] && shift
errs=("$@")
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

scenarios="complete complete+fluxes partial partial+fluxes"
methods="mlflux mfa hybrid"
# one gnuplot data block per (scenario, method): "value" rows; blocks in scenario-major order
for field in flux_ssr_bounded mid_ssr seconds; do
  awk -F'\t' -v field="$field" -v scenarios="$scenarios" -v methods="$methods" '
    FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col[field] != "nan" && $col[field] != "NA" && $col[field] + 0 > 0 { v[$1 SUBSEP $3] = v[$1 SUBSEP $3] $col[field] "\n" }
    END {
      ns = split(scenarios, s, " "); nm = split(methods, m, " ")
      for (i = 1; i <= ns; i++)
        for (j = 1; j <= nm; j++) {
          block = v[s[i] SUBSEP m[j]]
          printf "%s\n\n", block == "" ? "nan" : block
        }
    }' "${rows[@]}" > "$work/$field.dat"
done

box_plot() {  # field, y label, file, title
  gnuplot <<EOF
set terminal svg size 760,460 dynamic font "sans,12"
set bmargin 5
set output "$out/$3"
set title "$4"
set logscale y
set format y "%g"
set ylabel "$2"
set style fill solid 0.35 border -1
set style boxplot outliers pointtype 7
set pointsize 0.3
set boxwidth 0.6
set xtics ("complete" 2, "complete\n+ transport fluxes" 6, "partial" 10, "partial\n+ transport fluxes" 14) nomirror
set ytics nomirror
set xrange [0:16]
set key outside top center horizontal
colors = "#4477aa #ee6677 #228833"
names = "ML-Flux least-squares\\\\ MFA hybrid"
plot for [i=0:11] "$work/$1.dat" index i using (4*int(i/3) + i%3 + 1):1 with boxplot lc rgb word(colors, i%3 + 1) \
       title (i < 3 ? (i == 0 ? "ML-Flux" : i == 1 ? "least-squares MFA" : "hybrid (MFA from ML-Flux)") : "")
EOF
}
box_plot flux_ssr_bounded "flux SSR against the truth (net fluxes ≤ 10)" mfa_vs_mlflux_flux_ssr.svg \
  "Held-out CCM flux sets: flux error (Fig. 6a,b)"
box_plot mid_ssr "MID SSR ((simulated − measured)/0.01)²" mfa_vs_mlflux_mid_ssr.svg "Held-out CCM flux sets: fit to the MIDs"
box_plot seconds "wall time per flux set (s, one thread)" mfa_vs_mlflux_seconds.svg "Held-out CCM flux sets: time (Fig. 6c)"

# time against the number of tracer experiments: the stderr tables "| n | mfa s | ml s |",
# median over the summary files given
if [[ ${#errs[@]} -gt 0 ]]; then
  awk -F'|' '/^\| [0-9]+ \| [0-9.e+-]+ \| [0-9.e+-]+ \|$/ { n = $2 + 0; mfa[n] = mfa[n] " " $3 + 0; ml[n] = ml[n] " " $4 + 0; seen[n] = 1 }
    function med(list,   a, k, i, j, t) {
      k = split(list, a, " ")
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    END { for (n = 1; n <= 64; n++) if (seen[n]) print n, med(mfa[n]), med(ml[n]) }' "${errs[@]}" > "$work/experiments.dat"
  gnuplot <<EOF
set terminal svg size 560,400 dynamic font "sans,12"
set output "$out/mfa_vs_mlflux_experiments.svg"
set title "CCM: time against the number of tracer experiments (Fig. 6d)"
set logscale y
set format y "%g"
set xlabel "parallel tracer experiments"
set ylabel "seconds (median, one thread)"
set key left center
set xrange [0:21]
plot "$work/experiments.dat" using 1:2 with linespoints pt 7 lc rgb "#ee6677" title "least-squares MFA (2 starts)", \
     "" using 1:3 with linespoints pt 5 lc rgb "#4477aa" title "ML-Flux"
EOF
fi
ls "$out"/mfa_vs_mlflux_*.svg
