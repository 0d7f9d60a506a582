#!/usr/bin/env bash
# The bad-input suite: malformed files for every reader, each given to the command that
# reads it. Every case must end with the expected exit code (2: bad input), a message that
# names the file (and its line, where it has lines) once, no crash (no exit by a signal) and an
# output directory exactly as it was before (it holds one file, keep.txt, that must stay
# alone and unchanged).      usage: bad_inputs.sh FLUXION
set -u
fluxion=$1
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
n=0

# bad CODE PATTERN -- command… (the command's output directory is $out)
bad() {
  local code=$1 pattern=$2
  shift 3
  local output rc listing
  output=$("$@" 2>&1 </dev/null)
  rc=$?
  listing=$(ls -A "$out" | tr '\n' ' ')
  # (and no message names its file twice: "x.tsv: error: x.tsv: cannot open")
  if [ "$rc" -eq "$code" ] && [ "$rc" -lt 128 ] && grep -Eq -- "$pattern" <<<"$output" && [ "$listing" = "keep.txt " ] &&
     ! grep -Eq -- '([^ :]+): (error|warning): \1:' <<<"$output" &&
     [ "$(cat "$out/keep.txt")" = "results of an earlier run" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $* (exit $rc, wanted $code; pattern '$pattern'; output directory: $listing)"
    echo "$output" | head -8 | sed 's/^/    /'
  fi
}
# a fresh output directory holding the earlier run's keep.txt
fresh() {
  n=$((n + 1))
  out="$tmp/out$n"
  mkdir -p "$out"
  echo "results of an earlier run" > "$out/keep.txt"
}
# write NAME CONTENT (printf format): a case file in $tmp
write() { printf "$2" > "$tmp/$1"; }
# cases COMMAND…: one case per argument line "NAME|CONTENT|PATTERN" read from stdin; the
# command's {} becomes the case file and {out} its output directory
cases() {
  local name content where a args
  while IFS='|' read -r name content where; do
    [ -n "$name" ] || continue
    write "$name" "$content"
    fresh
    args=()
    for a in "$@"; do
      a=${a//\{\}/$tmp/$name}
      args+=("${a//\{out\}/$out}")
    done
    bad 2 "$where" -- "${args[@]}"
  done
}

mids_head='experiment\telement\tmetabolite\tisotopologue\tfraction\tsd\n'
ok_mid='e1\tC\tg6p\t0\t0.5\t0.01\ne1\tC\tg6p\t1\t0.5\t0.01\n'

# ---- MID tables: fluxion predict -p glycolysis -i FILE
cases "$fluxion" predict -p glycolysis -i {} -o {out} <<EOF
mid_nan.tsv|${mids_head}e1\tC\tg6p\t0\tnan\t0.01\n|mid_nan.tsv:2:
mid_inf.tsv|${mids_head}e1\tC\tg6p\t0\tinf\t0.01\n|mid_inf.tsv:2:
mid_overflow.tsv|${mids_head}e1\tC\tg6p\t0\t1e400\t0.01\n|mid_overflow.tsv:2:
mid_text.tsv|${mids_head}e1\tC\tg6p\t0\thalf\t0.01\n|mid_text.tsv:2:
mid_dup.tsv|${mids_head}${ok_mid}e1\tC\tg6p\t1\t0.5\t0.01\n|mid_dup.tsv:4:
mid_iso.tsv|${mids_head}e1\tC\tg6p\t-1\t0.5\t0.01\n|mid_iso.tsv:2:
mid_iso_frac.tsv|${mids_head}e1\tC\tg6p\t1.5\t0.5\t0.01\n|mid_iso_frac.tsv:2:
mid_sd_neg.tsv|${mids_head}e1\tC\tg6p\t0\t0.5\t-0.01\n|mid_sd_neg.tsv:2:
mid_no_column.tsv|experiment\tmetabolite\tfraction\ne1\tg6p\t0.5\n|mid_no_column.tsv:1:
mid_short_row.tsv|${mids_head}e1\tC\tg6p\n|mid_short_row.tsv:2:
mid_element.tsv|${mids_head}e1\tXx\tg6p\t0\t0.5\t0.01\n|mid_element.tsv:2:
mid_empty.tsv||mid_empty.tsv
mid_header_only.tsv|${mids_head}|mid_header_only.tsv
mid_binary.tsv|\x00\x01\x02\xff\xfe\x00PK\x03\x04|mid_binary.tsv
mid_bom_bad.tsv|\xef\xbb\xbf${mids_head}e1\tC\tg6p\t0\tnan\t0.01\r\n|mid_bom_bad.tsv:2:
mid_time.tsv|experiment\tmetabolite\ttime\tisotopologue\tfraction\ne1\tg6p\t1\t0\t1\n|mid_time.tsv:1:23:
mid_latin1_bad.tsv|${mids_head}\xe91\tC\tg6p\t0\tnan\t0.01\n|mid_latin1_bad.tsv:2:
mid_crlf_bad.tsv|experiment\telement\tmetabolite\tisotopologue\tfraction\tsd\r\ne1\tC\tg6p\t0\t1e999\t0.01\r\n|mid_crlf_bad.tsv:2:
EOF
# a gzip cut short, a directory, a FIFO, a file that does not exist
gzip -c "$repo/examples/glycolysis/mids.tsv" | head -c 200 > "$tmp/mid_cut.tsv.gz"
fresh; bad 2 'mid_cut.tsv.gz' -- "$fluxion" predict -p glycolysis -i "$tmp/mid_cut.tsv.gz" -o "$out"
mkdir -p "$tmp/mid_dir.tsv"
fresh; bad 2 'mid_dir.tsv: error: is a directory, not a file$' -- "$fluxion" predict -p glycolysis -i "$tmp/mid_dir.tsv" -o "$out"
mkfifo "$tmp/mid_fifo.tsv"
fresh; bad 2 'mid_fifo.tsv: error: is not a regular file' -- timeout 30 "$fluxion" predict -p glycolysis -i "$tmp/mid_fifo.tsv" -o "$out"
fresh; bad 2 'nowhere.tsv: error: cannot open: No such file' -- "$fluxion" predict -p glycolysis -i "$tmp/nowhere.tsv" -o "$out"

# ---- flux tables: fluxion simulate -m glycolysis -f FILE
flux_head='reaction\tnet\texchange\n'
cases "$fluxion" simulate -m glycolysis -f {} -o {out} <<EOF
flux_nan.tsv|${flux_head}GLC_IN\tnan\t0\n|flux_nan.tsv:2:
flux_unknown.tsv|${flux_head}NOPE\t1\t0\n|flux_unknown.tsv:2:
flux_dup.tsv|${flux_head}GLC_IN\t1\t0\nGLC_IN\t1\t0\n|flux_dup.tsv:3:
flux_overflow.tsv|${flux_head}GLC_IN\t1e400\t0\n|flux_overflow.tsv:2:
flux_no_column.tsv|reaction\tvalue\nGLC_IN\t1\n|flux_no_column.tsv:1:
flux_neg_exchange.tsv|${flux_head}PGI\t1\t-3\n|flux_neg_exchange.tsv:2:
EOF

# ---- pool sizes: fluxion simulate -m simple --times 1 --pools FILE
pool_head='metabolite\tsize\n'
cases "$fluxion" simulate -m simple -f "$repo/examples/simple/true_fluxes.tsv" --times 1 --pools {} --default-pool 1 -o {out} <<EOF
pool_zero.tsv|${pool_head}molB\t0\n|pool_zero.tsv:2:6:
pool_text.tsv|${pool_head}molB\tlots\n|pool_text.tsv:2:6:
pool_dup.tsv|${pool_head}molB\t1\nmolB\t2\n|pool_dup.tsv:3:1:
pool_unknown.tsv|${pool_head}NOPE\t1\n|pool_unknown.tsv:2:1:
pool_no_tab.tsv|${pool_head}molB 1\n|pool_no_tab.tsv:2:1:
pool_empty.tsv||pool_empty.tsv
pool_status.tsv|metabolite\tsize\tstatus\nmolB\t1\tmaybe\n|pool_status.tsv:2:8:
pool_bounds.tsv|metabolite\tsize\tstatus\tlower\tupper\nmolB\t1\tfree\t2\t3\n|pool_bounds.tsv:2:1:
pool_sd_fixed.tsv|metabolite\tsize\tsd\nmolB\t1\t0.1\n|pool_sd_fixed.tsv:2:8:
pool_column.tsv|metabolite\tsize\tcolour\nmolB\t1\tred\n|pool_column.tsv:1:17:
pool_measured.tsv|metabolite\tsize\tstatus\nmolB\t1\tmeasured\n|pool_measured.tsv:2:8:
pool_fixed_bounds.tsv|metabolite\tsize\tstatus\tlower\nmolB\t1\tfixed\t0.5\n|pool_fixed_bounds.tsv:2:8:
pool_cells.tsv|metabolite\tsize\nmolB\t1\tfree\n|pool_cells.tsv:2:8:
EOF
cases "$fluxion" simulate -m simple -f "$repo/examples/simple/true_fluxes.tsv" --times 1 --pools {} -o {out} <<EOF
pool_missing.tsv|${pool_head}molB\t1\n|pool_missing.tsv: error: no pool size for molD
EOF

# ---- tracer tables: fluxion simulate -m glycolysis -e FILE -f fluxes
tracer_head='experiment\tsubstrate\tlabel\tfraction\tpurity\n'
cases "$fluxion" simulate -m glycolysis -e {} -f "$repo/examples/glycolysis/true_fluxes.tsv" -o {out} <<EOF
tracer_nan.tsv|${tracer_head}e1\tGLC\t[1,2-13C2]\tnan\t0.99\n|tracer_nan.tsv:2:
tracer_label.tsv|${tracer_head}e1\tGLC\t[1,2-13Q2]\t1\t0.99\n|tracer_label.tsv:2:
tracer_purity.tsv|${tracer_head}e1\tGLC\t[1,2-13C2]\t1\t1.5\n|tracer_purity.tsv:2:
tracer_no_column.tsv|experiment\tlabel\ne1\t[1-13C]\n|tracer_no_column.tsv:1:
tracer_substrate.tsv|${tracer_head}e1\tNOPE\t[1-13C]\t1\t0.99\n|tracer_substrate.tsv
EOF

# ---- models: fluxion model convert FILE OUT (the converted file must not appear)
model_head='id\tequation\tlb\tub\n'
cases "$fluxion" model convert {} {out}/converted.json <<EOF
model_equation.tsv|${model_head}v1\tA ->> B\t0\t1\n|model_equation.tsv:2:
model_dup.tsv|${model_head}v1\tA -> B\t0\t1\nv1\tB -> C\t0\t1\n|model_dup.tsv:3:
model_nan_bound.tsv|${model_head}v1\tA -> B\tnan\t1\n|model_nan_bound.tsv:2:
model_lb_ub.tsv|${model_head}v1\tA -> B\t5\t1\n|model_lb_ub.tsv:2:
model_inf_bounds.tsv|${model_head}v1\tA <-> B\t-inf\t-inf\n|model_inf_bounds.tsv:2:
model_no_equation.tsv|id\tlb\tub\nv1\t0\t1\n|model_no_equation.tsv:1:
model_atoms.tsv|${model_head}v1\tA (abc) -> B (abd)\t0\t1\n|model_atoms.tsv:2:
model_empty.tsv||model_empty.tsv
model_cut.txt|//Reactions\n|model_cut.txt
model_cut2.txt|//Reactions\nr1\tA --> B\tA --> B\tAB --> AB\t(x)\t0\t1000\n|model_cut2.txt
model_sbml_cut.xml|<?xml version="1.0"?>\n<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">\n<model id="m">\n<listOfSpecies>\n|model_sbml_cut.xml
model_not_sbml.xml|<html><body>not a model</body></html>\n|model_not_sbml.xml
model_sbml_gpa.xml|<?xml version="1.0"?>\n<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" xmlns:fbc="http://www.sbml.org/sbml/level3/version1/fbc/version2" level="3" version="1" fbc:required="false">\n<model id="m"><listOfReactions><reaction id="R1" reversible="true" fast="false">\n<fbc:geneProductAssociation><fbc:geneProductRef fbc:geneProduct="G_1"/><fbc:foo/></fbc:geneProductAssociation>\n</reaction></listOfReactions></model></sbml>\n|model_sbml_gpa.xml:4: error: a gene-product association holds more than one element
model_json_cut.json|{"reactions": [{"id": "v1", "metabolites": {|model_json_cut.json
model_json_empty.json|{}\n|model_json_empty.json
model_fluxml_cut.fml|<?xml version="1.0"?>\n<fluxml xmlns="http://www.13cflux.net/fluxml">\n<reactionnetwork>\n|model_fluxml_cut.fml
EOF

# ---- bounds tables: fluxion fba -m glycolysis --set-bounds FILE
bounds_head='reaction\tlower\tupper\n'
cases "$fluxion" fba -m glycolysis --set-bounds {} -o {out} <<EOF
bounds_unknown.tsv|${bounds_head}NOPE\t0\t1\n|bounds_unknown.tsv:2:
bounds_nan.tsv|${bounds_head}PGI\tnan\t1\n|bounds_nan.tsv:2:
bounds_order.tsv|${bounds_head}PGI\t5\t1\n|bounds_order.tsv:2:
bounds_no_column.tsv|reaction\tvalue\nPGI\t1\n|bounds_no_column.tsv:1:
EOF

# ---- constraints and measured fluxes: fluxion fit -m simple -i mids --mid-sd 0.01 …
cases "$fluxion" fit -m simple -i "$repo/examples/simple/mids.tsv" --mid-sd 0.01 --constraints {} -o {out} <<EOF
constraints_syntax.txt|EX_molE === 1\n|constraints_syntax.txt:1:
constraints_unknown.txt|NOPE == 1\n|constraints_unknown.txt:1:
constraints_nan.txt|EX_molE == nan\n|constraints_nan.txt:1:
EOF
cases "$fluxion" fit -m simple -i "$repo/examples/simple/mids.tsv" --mid-sd 0.01 --measured-fluxes {} -o {out} <<EOF
measured_nan.tsv|flux\tvalue\tsd\nEX_molE\tnan\t0.1\n|measured_nan.tsv:2:
measured_sd.tsv|flux\tvalue\tsd\nEX_molE\t0.9\t-1\n|measured_sd.tsv:2:
measured_unknown.tsv|flux\tvalue\tsd\nNOPE\t0.9\t0.1\n|measured_unknown.tsv:2:
EOF

# ---- intensity tables: fluxion correct FILE
int_head='sample\tmetabolite\tisotopologue\tarea\tformula\n'
cases "$fluxion" correct {} -o {out} <<EOF
int_dup.tsv|${int_head}s1\tSer\t0\t4000\tC3H7NO3\ns1\tSer\t0\t4000\tC3H7NO3\n|int_dup.tsv:3:
int_nan.tsv|${int_head}s1\tSer\t0\tnan\tC3H7NO3\n|int_nan.tsv:2:
int_formula.tsv|${int_head}s1\tSer\t0\t4000\tC3H7Qq3\n|int_formula.tsv:2:
int_no_column.tsv|sample\tmetabolite\tarea\ns1\tSer\t1\n|int_no_column.tsv:1:
EOF
# the isotope table of --isotopes: a pipe (it hung) and a malformed line
write ok_int.tsv "${int_head}s1\tSer\t0\t4000\tC3H7NO3\n"
mkfifo "$tmp/isotopes_fifo.dat"
fresh; bad 2 'isotopes_fifo.dat: error: is not a regular file' -- timeout 20 "$fluxion" correct "$tmp/ok_int.tsv" --isotopes "$tmp/isotopes_fifo.dat" -o "$out"
cases "$fluxion" correct "$tmp/ok_int.tsv" --isotopes {} -o {out} <<EOF
isotopes_bad.dat|C\t0.98\tlots\n|isotopes_bad.dat:1
EOF

# ---- reference fluxes for FBApro: fluxion project -m model -r FILE
cases "$fluxion" project -m "$repo/examples/fbapro_toy/toy.tsv" -r {} -o {out} <<EOF
ref_nan.tsv|reaction\ts1\nR1\tnan\n|ref_nan.tsv:2:
ref_unknown.tsv|reaction\ts1\nNOPE\t1\n|ref_unknown.tsv
EOF

# ---- predictor packages and datasets
head -c 100000 "$repo/models/predictors/simple.fluxpkg" > "$tmp/cut.fluxpkg"
fresh; bad 2 'cut.fluxpkg: error: cannot be read as a predictor package' -- "$fluxion" predict -p "$tmp/cut.fluxpkg" -i "$repo/examples/simple/mids.tsv" -o "$out"
write empty.fluxpkg ''
fresh; bad 2 'empty.fluxpkg' -- "$fluxion" predict -p "$tmp/empty.fluxpkg" -i "$repo/examples/simple/mids.tsv" -o "$out"
write text.fluxpkg 'not a package\n'
fresh; bad 2 'text.fluxpkg' -- "$fluxion" predict -p "$tmp/text.fluxpkg" -i "$repo/examples/simple/mids.tsv" -o "$out"
mkdir -p "$tmp/not_a_dataset"
write not_a_dataset/dataset.h5 'plain text\n'
fresh; bad 2 'not_a_dataset' -- "$fluxion" train -d "$tmp/not_a_dataset" -o "$out"

# ---- Keras networks: fluxion import-keras -a JSON -w H5 --like simple -o OUT.fluxpkg
write keras_cut.json '{"class_name": "Sequential", "config": {"layers": ['
fresh; bad 2 'keras_cut.json' -- "$fluxion" import-keras -a "$tmp/keras_cut.json" -w "$repo/tests/data/mlflux/Simple_ANN.h5" --like simple -o "$out/net.fluxpkg"
write keras_not_h5.h5 'not hdf5\n'
fresh; bad 2 'keras_not_h5.h5' -- "$fluxion" import-keras -a "$repo/tests/data/mlflux/Simple_ANN.json" -w "$tmp/keras_not_h5.h5" --like simple -o "$out/net.fluxpkg"
# pipes where a binary file or JSON is read (HDF5 and JSON readers blocked on them)
mkfifo "$tmp/keras_fifo.json" "$tmp/keras_fifo.h5"
fresh; bad 2 'keras_fifo.json: error: is not a regular file' -- timeout 20 "$fluxion" import-keras -a "$tmp/keras_fifo.json" -w "$repo/tests/data/mlflux/Simple_ANN.h5" --like simple -o "$out/net.fluxpkg"
fresh; bad 2 'keras_fifo.h5: error: is not a regular file' -- timeout 20 "$fluxion" import-keras -a "$repo/tests/data/mlflux/Simple_ANN.json" -w "$tmp/keras_fifo.h5" --like simple -o "$out/net.fluxpkg"

echo "bad inputs: $pass passed, $fail failed ($n cases)"
[ "$fail" -eq 0 ]
