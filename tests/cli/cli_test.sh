#!/usr/bin/env bash
# CLI tests: commands that must succeed and commands that must fail, with the exit
# code and the message they must print.   usage: cli_test.sh FLUXION SHARED_DATA
set -u
fluxion=$1
data=${2:-}
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# expect CODE PATTERN -- command...: runs it, checks the exit code and that stdout+stderr match PATTERN
expect() {
  local code=$1 pattern=$2
  shift 3
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$code" ] && grep -Eq -- "$pattern" <<<"$out"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $* (exit $rc, wanted $code; pattern '$pattern')"
    echo "$out" | head -20 | sed 's/^/    /'
  fi
}

# numbers that are not numbers: every numeric option of every command refuses NaN,
# infinities and overflow, with a message that names the option and no help dump
expect 2 '^error: --fraction: .nan. is not a finite number' -- "$fluxion" fba -m simple --pfba --fraction nan -o "$tmp/nan1"
expect 2 '--fraction: .nan. is not a finite number' -- "$fluxion" fba -m simple --fva --fraction nan -o "$tmp/nan2"
expect 2 '--temperature: .nan. is not a finite number' -- "$fluxion" predict -p simple -i "$repo/examples/glycolysis/mids.tsv" --temperature nan -o "$tmp/nan3"
expect 2 '--mid-sd: .nan. is not a finite number' -- "$fluxion" predict -p simple -i "$repo/examples/glycolysis/mids.tsv" --mid-sd nan -o "$tmp/nan4"
expect 2 '--learning-rate: .1e300. is not a finite number|--learning-rate: must be' -- "$fluxion" scflux --learning-rate 1e300 -o "$tmp/nan5"
expect 2 '--learning-rate: .nan. is not a finite number' -- "$fluxion" scflux --learning-rate nan -o "$tmp/nan6"
expect 2 '--learning-rate: must be between|--learning-rate: .1e300' -- "$fluxion" dynamics train --learning-rate 1e300 -o "$tmp/nan7"
expect 2 '--fraction: .1e400. is not a finite number' -- "$fluxion" fba -m simple --fraction 1e400 -o "$tmp/nan8"
expect 2 '--fraction: .-inf. is not a finite number' -- "$fluxion" fba -m simple --fraction -inf -o "$tmp/nan9"
expect 0 '--temperature: must be between 1 and 1000, not 5000$' -- bash -c "\"$fluxion\" predict -p simple -i \"$repo/examples/glycolysis/mids.tsv\" --temperature 5000 -o \"$tmp/nan10\" 2>&1 | head -1"
expect 0 '^no usage$' -- bash -c "if \"$fluxion\" fba -m simple --fraction nan -o \"$tmp/nan11\" 2>&1 | grep -q Usage; then echo dumped; else echo no usage; fi"
expect 0 '^$' -- bash -c "ls -A \"$tmp\" | grep '^nan' || true"

# text as spreadsheets save it: Latin-1 / Windows-1252 (Excel on Windows) is read as such,
# a UTF-8 byte-order mark and CRLF line ends are accepted; a FIFO is refused, not waited on
sed 's/\tr1$/\tr\xe9/' "$repo/examples/glycolysis/mids.tsv" > "$tmp/latin1_mids.tsv"
expect 0 'predicted 31 fluxes from 3 replicate' -- "$fluxion" predict -p glycolysis -i "$tmp/latin1_mids.tsv" -o "$tmp/latin1_pred"
expect 0 '"ré"' -- cat "$tmp/latin1_pred/prediction.json"
{ printf '\xef\xbb\xbf'; sed 's/$/\r/' "$repo/examples/glycolysis/mids.tsv"; } > "$tmp/bom_mids.tsv"
expect 0 'predicted 31 fluxes from 3 replicate' -- "$fluxion" predict -p glycolysis -i "$tmp/bom_mids.tsv" -o "$tmp/bom_pred"
"$fluxion" model convert simple "$tmp/simple_plain.tsv" > /dev/null 2>&1
{ printf '#! name: mod\xe8le caf\xe9\n'; grep -v '^#! name' "$tmp/simple_plain.tsv"; } > "$tmp/latin1_model.tsv"
expect 0 '"name": "modèle café"' -- "$fluxion" model info "$tmp/latin1_model.tsv" --format json
expect 0 'wrote' -- "$fluxion" model convert "$tmp/latin1_model.tsv" "$tmp/latin1_model.json"
mkfifo "$tmp/fifo.tsv"
expect 2 'fifo.tsv: error: is not a regular file' -- timeout 20 "$fluxion" predict -p glycolysis -i "$tmp/fifo.tsv" -o "$tmp/fifo_pred"

# a model file cut short, and bounds no flux can meet
printf '//Reactions\n' > "$tmp/cut_model.txt"
expect 2 'cut_model.txt: error: the //Reactions section holds no reaction \(is the file cut short\?\)' -- "$fluxion" model info "$tmp/cut_model.txt"
printf '//Reactions\nr1\tA --> B\tA --> B\tAB --> AB\t(x)\t0\t1000\n' > "$tmp/cut_model2.txt"
expect 2 'no //Metabolites section after //Reactions' -- "$fluxion" model info "$tmp/cut_model2.txt"
"$fluxion" model convert simple "$tmp/simple_inf.tsv" > /dev/null 2>&1
sed -i 's/^\(v2\t[^\t]*\)\t-1000\t1000/\1\t-inf\t-inf/' "$tmp/simple_inf.tsv"
expect 2 "simple_inf.tsv:[0-9]+: error: reaction 'v2': bounds \[-inf, -inf\] admit no flux" -- "$fluxion" sample -m "$tmp/simple_inf.tsv" -n 10 -o "$tmp/inf_samples"

# 3,000 bad rows: the first 50 errors, then a count
{ head -1 "$repo/examples/glycolysis/mids.tsv"; for i in $(seq 3000); do printf 'e1\tC\tg6p\t0\tbad%d\t0.005\tr1\n' "$i"; done; } > "$tmp/many_bad.tsv"
expect 2 '… and 2950 more errors like these \(the first 50 are shown\)' -- "$fluxion" predict -p glycolysis -i "$tmp/many_bad.tsv" -o "$tmp/many_bad"
expect 0 '^51$' -- bash -c "\"$fluxion\" predict -p glycolysis -i \"$tmp/many_bad.tsv\" -o \"$tmp/many_bad\" 2>&1 | grep -c error"

# a damaged predictor package: a message, not LibTorch's C++ stack
head -c 100000 "$repo/models/predictors/simple.fluxpkg" > "$tmp/cut.fluxpkg"
expect 2 'cut.fluxpkg: error: cannot be read as a predictor package \(damaged or cut short\?\)' -- "$fluxion" predict -p "$tmp/cut.fluxpkg" -i "$repo/examples/simple/mids.tsv" -o "$tmp/cut_pred"
expect 0 '^0$' -- bash -c "\"$fluxion\" predict -p \"$tmp/cut.fluxpkg\" -i \"$repo/examples/simple/mids.tsv\" -o \"$tmp/cut_pred\" 2>&1 | grep -c 'frame #' || true"

# results never overwrite inputs: an output directory that holds an input is refused
mkdir -p "$tmp/res"
cp "$repo/examples/glycolysis/mids.tsv" "$tmp/res/mids.tsv"
expect 2 "^error: --output: '$tmp/res/' holds the input $tmp/res/mids.tsv" -- "$fluxion" predict -p glycolysis -i "$tmp/res/mids.tsv" -o "$tmp/res/"
expect 0 '^experiment' -- head -1 "$tmp/res/mids.tsv"
expect 0 'holds files already; results of this run replace' -- bash -c "\"$fluxion\" predict -p glycolysis -i \"$tmp/res/mids.tsv\" -o \"$tmp/res_out\" && \"$fluxion\" predict -p glycolysis -i \"$tmp/res/mids.tsv\" -o \"$tmp/res_out\""
# a run refused before it writes leaves the directory as it was (no marker, the same files)
expect 2 'fraction .bad1. is not a number' -- "$fluxion" predict -p glycolysis -i "$tmp/many_bad.tsv" -o "$tmp/res_out"
expect 0 '^delta_g.tsv fluxes.tsv map.json mids.tsv prediction.json replicates.tsv run_info.json $' -- bash -c "ls \"$tmp/res_out\" | tr '\n' ' '"

# success paths
# a MID without an SD: the error names the MID file and line (it named "fit")
expect 2 'simple/mids.tsv:2: error: M\+0 of .molB. \(experiment e1\) has no standard deviation' -- "$fluxion" fit -m simple -i "$repo/examples/simple/mids.tsv" -o "$tmp/fit_no_sd"
expect 2 "a --mids table takes at most one" -- "$fluxion" fit -m simple -i "$repo/examples/simple/mids.tsv" --mid-sd 0.01 --mfapy-experiment e1 --mfapy-experiment e2 -o "$tmp/fit_two_ex"
# a fit whose equality constraints fix every free flux evaluates that one point (it crashed)
printf 'EX_molE == 0.9\nEX_molF == 0.7\nxch(v2) == 3\n' > "$tmp/fix_all.txt"
expect 0 'with 102 measurements and 0 free parameters: dof 102' -- "$fluxion" fit -m simple -i "$repo/examples/simple/mids.tsv" --mid-sd 0.01 --constraints "$tmp/fix_all.txt" --profile all --monte-carlo 3 -o "$tmp/fit_fixed"
expect 0 '^fluxion [0-9]+\.[0-9]+\.[0-9]+ \(git ' -- "$fluxion" version
# fluxion loads no LibTorch; the learned commands run in fluxion-learn beside it
expect 0 '^0$' -- bash -c "ldd \"$fluxion\" | grep -c 'libtorch' || true"
expect 0 '^cuda: (yes|no)$' -- "$fluxion" version --cuda
expect 0 '^fluxes \(simple, ' -- "$fluxion" -q predict -p simple -i "$repo/examples/simple/mids.tsv" -o "$tmp/forwarded" --imputer knn --format table
mkdir -p "$tmp/alone" && cp "$fluxion" "$tmp/alone/fluxion"
expect 1 'alone/fluxion-learn \(the learned engines, with LibTorch\), which cannot be started' -- "$tmp/alone/fluxion" predict -p simple -i x -o "$tmp/alone_out"
expect 0 'rank	5' -- "$tmp/alone/fluxion" model info simple
expect 0 'simple' -- "$fluxion" model list
expect 0 'rank	5' -- "$fluxion" model info simple
expect 0 '"n_free": 21' -- "$fluxion" model info ccm --format json
expect 0 'free_net	GLC_IN,G6P_EX,F6P_EX,DHAP_EX' -- "$fluxion" model info upper_glycolysis --free GLC_IN,G6P_EX,F6P_EX,DHAP_EX
expect 0 'null_space_method	orthogonal' -- "$fluxion" model info glyppp --null-space orthogonal
expect 0 'wrote' -- "$fluxion" model convert glycolysis "$tmp/g.fml"
# maps: the built-in layout, an automatic one, a layout file; its errors at file:line:column
expect 0 'metabolites placed by the layout' -- "$fluxion" model map ccm "$tmp/ccm_map.json"
expect 0 '"map_name": "central carbon metabolism \(fluxion\)"' -- cat "$tmp/ccm_map.json"
expect 0 'laid out automatically' -- "$fluxion" model map "$repo/examples/fbapro_toy/toy.tsv" "$tmp/toy_map.json"
printf 'metabolite\tx\ty\ng6p\t0\t0\nf6p\tdown\t250\n' > "$tmp/bad_layout.tsv"
expect 2 "bad_layout.tsv:3:[0-9]+: error: x 'down' is not a number" -- "$fluxion" model map glycolysis "$tmp/m.json" --layout "$tmp/bad_layout.tsv"
expect 0 "not this model's layout.*laid out automatically" -- bash -c "\"$fluxion\" model map simple \"$tmp/m.json\" --layout \"$repo/models/maps/ccm.tsv\" 2>&1 | tr '\n' ' '"
expect 2 'maps are laid out automatically for up to 10' -- "$fluxion" model map glycolysis "$tmp/m.json" --max-reactions 10
cp "$tmp/g.fml" "$tmp/g_copy.fml"
expect 2 'is an input of this command' -- "$fluxion" model map "$tmp/g_copy.fml" "$tmp/g_copy.fml"
expect 0 '^<\?xml|^<fluxml' -- head -c 40 "$tmp/g_copy.fml"
expect 0 'n_free	8' -- "$fluxion" model info "$tmp/g.fml"
expect 0 'wrote' -- "$fluxion" model convert "$tmp/g.fml" "$tmp/g.tsv"
expect 0 'wrote' -- "$fluxion" model convert simple "$tmp/s.json"
expect 0 'Usage' -- "$fluxion" --help

expect 0 'e1	GLC_IN	\[1,2-13C2;5-2H1\]	1	1	C:110000 H:0000100' -- "$fluxion" model tracers glycolysis
expect 0 'e2	Gln_IN	\[U-13C5\]' -- "$fluxion" model tracers ccm
printf 'experiment\tsubstrate\tlabel\tfraction\tpurity\nmix\tGLC_IN\t[1-13C1]\t0.5\t0.99\nmix\tGLC_IN\t[U-13C6]\t0.3\n' > "$tmp/mix.tsv"
expect 0 'mix	GLC_IN	\[U-13C6\]	0.3	1	C:111111' -- "$fluxion" model tracers ccm "$tmp/mix.tsv"

printf 'reaction\tnet\texchange\nEX_molE\t0.9\t\nEX_molF\t0.7\t\nv2\t\t3\n' > "$tmp/simple_fluxes.tsv"
expect 0 'wrote' -- "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/sim"
expect 0 'e1	C	molB	1	0.8043478261' -- cat "$tmp/sim/mids.tsv"
# a fragment's atom list keeps its commas: "molB[1,2],molC" is two metabolites
expect 0 'wrote' -- "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/sim_frag" --measured "molB[1,2],molC"
expect 0 '^e1	C	molB\[1,2\]	2	' -- cat "$tmp/sim_frag/mids.tsv"
expect 0 '^e1	C	molC	0	' -- cat "$tmp/sim_frag/mids.tsv"
expect 0 '"sha256": "[0-9a-f]{64}"' -- cat "$tmp/sim/run_info.json"
expect 0 'wrote' -- "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/sim_j" --sensitivities
expect 0 'experiment	element	metabolite	isotopologue	net:EX_molE	net:EX_molF	xch:v2	xch:v3	xch:v4	xch:v5' -- head -1 "$tmp/sim_j/jacobian.tsv"
# non-stationary labelling: MIDs per time from the unlabelled start; at a late time the steady state's
printf 'metabolite\tsize\nmolB\t2\nmolD\t0.5\n' > "$tmp/pools.tsv"
expect 0 'wrote' -- "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/sim_t" --times 0,0.5,2,1000 --pools "$tmp/pools.tsv" --default-pool 1
expect 0 '^experiment	element	metabolite	time	isotopologue	fraction$' -- head -1 "$tmp/sim_t/mids.tsv"
expect 0 '^e1	C	molB	0	0	1$' -- cat "$tmp/sim_t/mids.tsv"
expect 0 '^e1	C	molB	1000	1	0.8043478261$' -- cat "$tmp/sim_t/mids.tsv"
expect 0 '"time": 0.5' -- cat "$tmp/sim_t/mids.json"
# and its sensitivities: per time, to the free fluxes and to every pool
expect 0 'wrote' -- "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/sim_tj" --times 0.5,2 --default-pool 1 --sensitivities
expect 0 '^experiment	element	metabolite	time	isotopologue	net:EX_molE	net:EX_molF	xch:v2	xch:v3	xch:v4	xch:v5	pool:molB	pool:molD	pool:molC	pool:molE	pool:molF$' -- head -1 "$tmp/sim_tj/jacobian.tsv"
# a time-course fit of those MIDs (sd 0.01): the pools in pools.tsv fitted, molB measured
printf 'metabolite\tsize\tstatus\tlower\tupper\tsd\nmolB\t1\tmeasured\t0.1\t10\t0.1\nmolD\t2\tfree\n' > "$tmp/fit_pools.tsv"
expect 0 'time course at 2 times; 5 pools, 2 of them fitted' -- "$fluxion" fit -m simple -i "$tmp/sim_tj/mids.tsv" --mid-sd 0.01 --default-pool 1 --starts 3 -o "$tmp/fit_t" --pools "$tmp/fit_pools.tsv"
expect 0 '^metabolite	size	se	ci95_low	ci95_high	fitted	lower	upper$' -- head -1 "$tmp/fit_t/pools.tsv"
expect 0 '^molD	(0\.99[0-9]*|1(\.00[0-9]*)?)	' -- cat "$tmp/fit_t/pools.tsv"
expect 0 '^pool		molB			1	0.1	' -- cat "$tmp/fit_t/residuals.tsv"
expect 0 '"time_course"' -- cat "$tmp/fit_t/fit.json"
# profile-likelihood and Monte-Carlo intervals of the fitted pools
expect 0 'profile-likelihood intervals of 2 fluxes and pools' -- "$fluxion" fit -m simple -i "$tmp/sim_tj/mids.tsv" --mid-sd 0.01 --default-pool 1 --starts 3 -o "$tmp/fit_tp" --pools "$tmp/fit_pools.tsv" --profile pools --monte-carlo 10
expect 0 '^pool\(molD\)	1	0\.9[0-9]*	1\.0[0-9]*	no	no	yes	' -- cat "$tmp/fit_tp/profile.tsv"
expect 0 '^metabolite	size	se	ci95_low	ci95_high	fitted	lower	upper	mc_low	mc_high$' -- head -1 "$tmp/fit_tp/pools.tsv"
expect 2 "--profile: error: 'pool\(molC\)' is not a fitted pool" -- "$fluxion" fit -m simple -i "$tmp/sim_tj/mids.tsv" --mid-sd 0.01 --default-pool 1 --pools "$tmp/fit_pools.tsv" --profile 'pool(molC)' -o "$tmp/fit_tp2"
# a time course without pool sizes says which it needs
expect 2 'no pool size for molB, .*; give --pools or --default-pool' -- "$fluxion" fit -m simple -i "$tmp/sim_tj/mids.tsv" --mid-sd 0.01 -o "$tmp/fit_t2"
printf 'fragment\tformula\nmolB\tC11H26N2OSi2\n' > "$tmp/ff.tsv"
expect 0 'wrote' -- "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/sim_ff" --fragment-formulas "$tmp/ff.tsv"
expect 0 'e1	C	molB	0	0.15204658' -- cat "$tmp/sim_ff/mids.tsv"
printf 'fragment\tformula\nmolB\tC2H6\n' > "$tmp/ff_bad.tsv"
expect 2 "formula of 'molB' has fewer C atoms than the 3 traced" -- "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/sim_ff" --fragment-formulas "$tmp/ff_bad.tsv"
printf '\xef\xbb\xbffragment\tformula\r\nmol\xe9\tC11H26N2OSi2\r\n' > "$tmp/ff_latin1.tsv"
expect 2 "ff_latin1.tsv:2:1: error: 'molé' is not a measured fragment" -- "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/sim_ff2" --fragment-formulas "$tmp/ff_latin1.tsv"
mkfifo "$tmp/ff_fifo"
expect 2 "ff_fifo: error: is not a regular file" -- timeout 20 "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/sim_ff2" --fragment-formulas "$tmp/ff_fifo"
expect 0 'no exchange flux given for v3, v4, v5; taken as 0' -- "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/sim"

cp "$tmp/sim/mids.tsv" "$tmp/measured.tsv"
expect 0 'e6	C	molF	4	1' -- "$fluxion" mids check "$tmp/measured.tsv" -m simple

printf 'sample\tmetabolite\tisotopologue\tarea\tformula\tderivative\ns1\tSer\t0\t4000\tC3H7NO3\tC14H33Si3\ns1\tSer\t1\t1500\tC3H7NO3\tC14H33Si3\ns1\tSer\t2\t1200\tC3H7NO3\tC14H33Si3\ns1\tSer\t3\t1000\tC3H7NO3\tC14H33Si3\n' > "$tmp/intensities.tsv"
expect 0 'read 1 spectra; wrote' -- "$fluxion" correct "$tmp/intensities.tsv" -o "$tmp/corr" --purity 0.99
# a duplicated isotopologue row is an error (it was added up), a negative area a warning
{ cat "$tmp/intensities.tsv"; printf 's1\tSer\t1\t1500\tC3H7NO3\tC14H33Si3\n'; } > "$tmp/intensities_dup.tsv"
expect 2 "intensities_dup.tsv:6:[0-9]+: error: M\+1 of 'Ser' in sample 's1' is given twice \(first on line 3\)" -- "$fluxion" correct "$tmp/intensities_dup.tsv" -o "$tmp/corr_dup"
sed 's/\t1200\t/\t-200\t/' "$tmp/intensities.tsv" > "$tmp/intensities_neg.tsv"
expect 0 "intensities_neg.tsv:4:[0-9]+: warning: M\+2 of 'Ser' in sample 's1' has a negative area \(-200\)" -- "$fluxion" correct "$tmp/intensities_neg.tsv" -o "$tmp/corr_neg"
expect 0 's1	Ser	C14H33Si3	3	1000	' -- cat "$tmp/corr/corrected.tsv"
printf 'sample\tmetabolite\tisotopologue\tarea\tformula\ne1\tpyr\t0\t500\tC3H4O3\ne1\tpyr\t1\t30\tC3H4O3\ne1\tpyr\t2\t400\tC3H4O3\ne1\tpyr\t3\t20\tC3H4O3\n' > "$tmp/pyr.tsv"
expect 0 'wrote' -- "$fluxion" correct "$tmp/pyr.tsv" -o "$tmp/corr_pyr"
expect 0 'e1	C	pyr	4	1' -- "$fluxion" mids check "$tmp/corr_pyr/corrected.tsv" -m glycolysis
# IsoCor's own abundance table (its v1 Isotopes.dat) reproduces its example output for E4P
printf 'O\t0.99757\t0.00038\t0.00205\nH\t0.99985\t0.00015\nN\t0.99632\t0.00368\nC\t0.9893\t0.0107\n' > "$tmp/isotopes.dat"
printf 'sample\tmetabolite\tisotopologue\tarea\tformula\nSample_1\tE4P\t0\t854\tC4H8O4\nSample_1\tE4P\t1\t10200\tC4H8O4\nSample_1\tE4P\t2\t7760\tC4H8O4\nSample_1\tE4P\t3\t1730\tC4H8O4\nSample_1\tE4P\t4\t320\tC4H8O4\nSample_1\tOA\t0\t0\tC4H3O5\nSample_1\tOA\t1\t0\tC4H3O5\n' > "$tmp/e4p.tsv"
expect 0 "'OA' of sample 'Sample_1': every area is 0" -- "$fluxion" correct "$tmp/e4p.tsv" -o "$tmp/corr_e4p" --purity 0.99 --isotopes "$tmp/isotopes.dat"
expect 0 'Sample_1	E4P		1	10200	[0-9.e+]+	0\.5057[45]' -- cat "$tmp/corr_e4p/corrected.tsv"
expect 0 '"isotopes"' -- cat "$tmp/corr_e4p/run_info.json"
printf 'C 0.9893 0.0107\nH 0.99 x\n' > "$tmp/bad_isotopes.dat"
expect 2 "bad_isotopes.dat:2:8: error: abundance 'x' of H is not a number" -- "$fluxion" correct "$tmp/e4p.tsv" -o "$tmp/corr_e4p2" --isotopes "$tmp/bad_isotopes.dat"

# sampling: uniform flux sets within the model's bounds and extra constraints
printf '# v2 held in a band\n0.2 <= v2 <= 0.9\nxch(v2) <= 5\n' > "$tmp/constraints.txt"
expect 0 '300 flux sets \(rejection in the LP bounding box\)' -- "$fluxion" sample -m simple -c "$tmp/constraints.txt" -n 300 --seed 3 -o "$tmp/samples"
expect 0 '^300$' -- awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "net:v2") c = i; next } $c >= 0.2 - 1e-9 && $c <= 0.9 + 1e-9 { n++ } END { print n }' "$tmp/samples/samples.tsv"
expect 0 '300 flux sets \(artificial-centering hit-and-run\)' -- "$fluxion" sample -m simple -c "$tmp/constraints.txt" -n 300 --method achr -o "$tmp/samples_achr"
expect 0 '^300$' -- awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "net:v2") c = i; next } $c >= 0.2 - 1e-9 && $c <= 0.9 + 1e-9 { n++ } END { print n }' "$tmp/samples_achr/samples.tsv"
expect 0 'sampling with ACHR' -- "$fluxion" sample -m glycolysis -n 20 -o "$tmp/samples_gly"
printf 'xch(v2) <= 0.1\n' > "$tmp/xlow.txt"
printf '1 <= xch(v2) <= 2\n' > "$tmp/xhigh.txt"
expect 0 'flux sets' -- "$fluxion" sample -m simple -n 400 --exchange-set "$tmp/xlow.txt=1" --exchange-set "$tmp/xhigh.txt=3" --exchange log-uniform -o "$tmp/samples_mix"
expect 0 '^400$' -- awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "xch:v2") c = i; next } ($c > 0 && $c <= 0.1) || ($c >= 1 && $c <= 2) { n++ } END { print n }' "$tmp/samples_mix/samples.tsv"
expect 2 "expected FILE=SHARE with a number" -- "$fluxion" sample -m simple --exchange-set "$tmp/xlow.txt=lots" -o "$tmp/samples_bad"
expect 2 "'nope' is not a reaction of the model" -- "$fluxion" sample -m simple --normalize nope -o "$tmp/samples_bad"
expect 0 'flux sets' -- "$fluxion" sample -m ccm -n 100 --cap-fluxes ldh,pdh --cap-bins 5 --cap-per-bin 100 --exchange log-normal -o "$tmp/samples_cap"
expect 0 'histogram_caps' -- cat "$tmp/samples_cap/run_info.json"
expect 2 "'nope' is not a reaction of the model" -- "$fluxion" sample -m ccm --cap-fluxes ldh,nope -o "$tmp/samples_bad"
# ML-Flux's GlyPPP exchange scheme: three bound sets, 20/20/60 %
g="$repo/models/constraints/glyppp_exchange"
expect 0 'flux sets' -- "$fluxion" sample -m glyppp -n 500 --method achr --exchange log-uniform --exchange-set "${g}_1of3.txt=0.2" --exchange-set "${g}_2of3.txt=0.2" --exchange-set "${g}_3of3.txt=0.6" -o "$tmp/samples_glyppp"
expect 0 '^500$' -- awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "xch:PGI") p = i; if ($i == "xch:SBA") b = i }; next } $p > 0 && $p <= 5 && $b <= 0.1 { n++ } END { print n }' "$tmp/samples_glyppp/samples.tsv"
printf 'v2 >= 5\nv2 <= 1\n' > "$tmp/conflict.txt"
expect 2 'conflict.txt line 1: v2 >= 5' -- "$fluxion" sample -m simple -c "$tmp/conflict.txt" -o "$tmp/samples_bad"
expect 2 'conflict.txt line 2: v2 <= 1' -- "$fluxion" sample -m simple -c "$tmp/conflict.txt" -o "$tmp/samples_bad"
printf 'v2 <= 1\nvq <= 2\n' > "$tmp/unknown.txt"
expect 2 "unknown.txt:2:1: error: 'vq' is not a reaction of the model" -- "$fluxion" sample -m simple -c "$tmp/unknown.txt" -o "$tmp/samples_bad"

# datasets: flux sets and MIDs in ML-Flux's layout (HDF5)
expect 0 '2000 rows \(2000 draws\)' -- "$fluxion" dataset -m simple -n 2000 --part-rows 500 --exchange log-uniform --threads 2 -o "$tmp/ds"
expect 0 'mids +Dataset \{2000, 120\}' -- h5ls "$tmp/ds/dataset.h5"
expect 0 '"train": 1600' -- cat "$tmp/ds/manifest.json"
expect 0 '2000 rows' -- "$fluxion" dataset -m simple -n 2000 --part-rows 500 --exchange log-uniform --threads 1 -o "$tmp/ds_t1"
expect 0 '' -- cmp "$tmp/ds/dataset.h5" "$tmp/ds_t1/dataset.h5"
expect 2 'holds a finished dataset' -- "$fluxion" dataset -m simple -n 2000 --part-rows 500 --exchange log-uniform -o "$tmp/ds"
# KNN over another dataset's training rows: one of the package's layout, and one that is not
expect 0 '"knn_reference"' -- bash -c "\"$fluxion\" -q predict -p simple -i \"$repo/examples/simple/mids.tsv\" -o \"$tmp/knnref\" --knn-reference \"$tmp/ds\" --imputer knn && cat \"$tmp/knnref/run_info.json\""
expect 2 'ds/dataset.h5: error: its MID layout is not the predictor.s' -- "$fluxion" -q predict -p glycolysis -i "$repo/examples/glycolysis/mids.tsv" -o "$tmp/knnref2" --knn-reference "$tmp/ds"
expect 2 'give the number of flux sets' -- "$fluxion" dataset -m simple -o "$tmp/ds_bad"
expect 2 'no built-in tracer experiments' -- "$fluxion" dataset -m "$tmp/g.fml" -n 10 -o "$tmp/ds_bad"
# an interrupted run (SIGINT, or a stop after two parts) is finished by --resume, identically
expect 1 'run the same command with --resume' -- env FLUXION_DATASET_STOP_AFTER_PARTS=2 "$fluxion" dataset -m simple -n 2000 --part-rows 500 --exchange log-uniform -o "$tmp/ds_cut"
expect 2 'add --resume to finish it' -- "$fluxion" dataset -m simple -n 2000 --part-rows 500 --exchange log-uniform -o "$tmp/ds_cut"
expect 2 'other settings \(first difference at /provenance/sampler/seed\)' -- "$fluxion" dataset -m simple -n 2000 --part-rows 500 --exchange log-uniform --seed 9 --resume -o "$tmp/ds_cut"
expect 0 '2000 rows' -- "$fluxion" dataset -m simple -n 2000 --part-rows 500 --exchange log-uniform --resume -o "$tmp/ds_cut"
expect 0 '' -- cmp "$tmp/ds/dataset.h5" "$tmp/ds_cut/dataset.h5"
# killed outright (SIGKILL) while writing: the parts on disk are whole and the rest is redone
ccm_ds=(dataset -m ccm -n 12000 --part-rows 500 --method achr --threads 2 -q)
"$fluxion" "${ccm_ds[@]}" -o "$tmp/ds_ccm" >/dev/null 2>&1
"$fluxion" "${ccm_ds[@]}" -o "$tmp/ds_kill" >/dev/null 2>&1 &
victim=$!
for _ in $(seq 400); do
  [ "$(ls "$tmp/ds_kill/parts" 2>/dev/null | grep -c '\.bin$')" -ge 3 ] && break
  sleep 0.02
done
kill -9 "$victim" 2>/dev/null
wait "$victim" 2>/dev/null
if [ -f "$tmp/ds_kill/manifest.json" ]; then
  echo "note: the SIGKILL test's run finished before it was killed"
else
  expect 0 'part-00000002.bin' -- ls "$tmp/ds_kill/parts"
  expect 0 '' -- "$fluxion" "${ccm_ds[@]}" --resume -o "$tmp/ds_kill"
fi
expect 0 '' -- cmp "$tmp/ds_ccm/dataset.h5" "$tmp/ds_kill/dataset.h5"
# a draw budget with histogram caps keeps what fits
expect 0 'rows \(3000 draws\)' -- "$fluxion" dataset -m ccm --draws 3000 --cap-fluxes ldh,pdh --cap-bins 5 --cap-per-bin 100 --method achr -o "$tmp/ds_caps"
# ML-Flux's distance-weighted acceptance
expect 0 '300 rows' -- "$fluxion" dataset -m simple -n 300 --density-neighbours 10 --exchange log-uniform -o "$tmp/ds_density"
expect 0 '"density_rejections": [1-9]' -- cat "$tmp/ds_density/manifest.json"
# several hosts: the same command under mpirun writes one shard per rank and a manifest
if command -v mpirun >/dev/null 2>&1; then
  # OpenMPI's own allocations outlive MPI_Finalize: LeakSanitizer (debug builds) is told
  # not to count leaks in these runs; every other sanitizer check stays on
  mpi=(env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
    "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" mpirun -np 2)
  expect 0 'rank 1 of 2' -- "${mpi[@]}" "$fluxion" dataset -m simple -n 2000 --part-rows 500 --exchange log-uniform --threads 1 -o "$tmp/ds_mpi"
  expect 0 '"file": "shard-1.h5"' -- cat "$tmp/ds_mpi/manifest.json"
  expect 0 'mids +Dataset \{1000, 120\}' -- h5ls "$tmp/ds_mpi/shard-1.h5"
  expect 0 '"rows": 2000' -- cat "$tmp/ds_mpi/manifest.json"
  expect 1 'not under mpirun' -- "${mpi[@]}" "$fluxion" dataset -m simple -n 100 --density-neighbours 10 -o "$tmp/ds_mpi_density"
fi

# training a flux predictor on a dataset
expect 0 'best epoch [0-9]+ of 40' -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train" --epochs 40 --hidden 64,32 --batch 64 --pcnn-epochs 3
expect 0 '^flux	mae	half_width_68' -- head -1 "$tmp/train/test_errors.tsv"
expect 0 '	skill$' -- head -1 "$tmp/train/test_errors.tsv"
# a training paused and resumed from its checkpoint
expect 0 'paused after epoch 2 of 5' -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train_resume" --epochs 5 --hidden 16 --batch 64 --pcnn-epochs 0 --stop-after-epochs 2 --schedule cosine --mid-noise 0.001
expect 2 'holds the checkpoint of a training \(checkpoint.pt\); continue it with --resume' -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train_resume" --epochs 5 --hidden 16 --batch 64 --pcnn-epochs 0
expect 2 'was made with other training settings' -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train_resume" --epochs 5 --hidden 17 --batch 64 --pcnn-epochs 0 --resume --schedule cosine --mid-noise 0.001
expect 0 'best epoch [0-9] of 5' -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train_resume" --epochs 5 --hidden 16 --batch 64 --pcnn-epochs 0 --resume --schedule cosine --mid-noise 0.001
expect 0 '"resumed_from_epoch": "2"' -- cat "$tmp/train_resume/run_info.json"
# ranged noise and ML-Flux's fine-tuning stage (the simple model's free fluxes: EX_molE, EX_molF and exchanges)
expect 0 'fine-tuning net:EX_molE, xch:v2: validation loss' -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train_tune" --epochs 3 --hidden 16 --batch 64 --pcnn-epochs 0 --mid-noise 0.01 --mid-noise-mode ranged --fine-tune EX_molE,xch:v2 --fine-tune-epochs 2
expect 0 '^0	NA	' -- sed -n 2p "$tmp/train_tune/fine_tune_loss.tsv"
expect 2 "cannot fine-tune 'net:nowhere': not a free flux of this dataset \\(its 6: net:EX_molE" -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train_tune_bad" --epochs 3 --hidden 16 --pcnn-epochs 0 --fine-tune nowhere --fine-tune-epochs 2
expect 2 'no checkpoint to resume' -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train_fresh" --epochs 5 --hidden 16 --resume
expect 0 '^40	' -- tail -1 "$tmp/train/loss.tsv"
expect 2 'hidden layer sizes must be positive \(got 0\)' -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train_bad" --hidden 16,0
expect 2 'is not an HDF5 file' -- "$fluxion" train -d "$tmp/samples/samples.tsv" -o "$tmp/train_bad"
expect 2 'nowhere: error: no such file' -- "$fluxion" train -d "$tmp/nowhere" -o "$tmp/train_bad"
expect 0 '^knn	0.5	0.75	[0-9]+	' -- cat "$tmp/train/vssr_acceptance.tsv"
expect 0 '^none	0	0	200	net:v1	' -- cat "$tmp/train/error_tables.tsv"
# two packages trained on one dataset joined into one that predicts their mean
expect 0 '2 members, 2 networks; test MAE [0-9.e-]+ per free flux' -- "$fluxion" ensemble -d "$tmp/ds" --member "$tmp/train/predictor.fluxpkg" --member "$tmp/train_resume/predictor.fluxpkg" -o "$tmp/ensemble" --masked-rows 200
expect 0 '^none	0	0	200	net:v1	' -- cat "$tmp/ensemble/error_tables.tsv"
expect 0 '"members": "2"' -- cat "$tmp/ensemble/run_info.json"
expect 0 'median skill' -- "$fluxion" score -p "$tmp/ensemble/predictor.fluxpkg" -d "$tmp/ds" -o "$tmp/score_ensemble" --identifiability-rows 0
expect 2 'an ensemble needs two or more members; 1 given' -- "$fluxion" ensemble -d "$tmp/ds" --member "$tmp/train/predictor.fluxpkg" -o "$tmp/ensemble_bad"
expect 2 'upper_glycolysis: error: has another MID layout than the first member' -- "$fluxion" ensemble -d "$tmp/ds" --member "$tmp/train/predictor.fluxpkg" --member upper_glycolysis -o "$tmp/ensemble_bad"
# an ensemble given as a member adds its networks: a shipped ensemble grows by one
expect 0 '2 members, 3 networks; test MAE [0-9.e-]+ per free flux' -- "$fluxion" ensemble -d "$tmp/ds" --member "$tmp/ensemble/predictor.fluxpkg" --member "$tmp/train/predictor.fluxpkg" -o "$tmp/ensemble3" --masked-rows 200
expect 0 '"networks": "3"' -- cat "$tmp/ensemble3/run_info.json"
expect 0 'wrote' -- "$fluxion" dataset -m simple -n 600 --part-rows 300 --seed 5 -o "$tmp/ds_other"
expect 0 'best epoch' -- "$fluxion" train -d "$tmp/ds_other" -o "$tmp/train_other" --epochs 2 --hidden 8 --pcnn-epochs 0
expect 2 'train_other/predictor.fluxpkg: error: was not trained on .*ds/dataset.h5' -- "$fluxion" ensemble -d "$tmp/ds" --member "$tmp/train/predictor.fluxpkg" --member "$tmp/train_other/predictor.fluxpkg" -o "$tmp/ensemble_bad"

# scoring the package beside the training mean; the authors' Keras toy network as a package
expect 0 'median skill [0-9.-]+ over [0-9]+ counted fluxes' -- "$fluxion" score -p "$tmp/train/predictor.fluxpkg" -d "$tmp/ds" -o "$tmp/score" --identifiability-rows 20 --format table
expect 0 '^net:EX_molE	yes	no	yes	[0-9.e-]+	yes	' -- cat "$tmp/score/scores.tsv"
expect 0 '^net:v1	no	yes	' -- cat "$tmp/score/scores.tsv"
expect 0 '^net_within_5_percent	' -- cat "$tmp/score/paper_metrics.tsv"
expect 0 '"median_skill_net"' -- cat "$tmp/score/score.json"
expect 2 'MID layout is not the predictor' -- "$fluxion" score -p upper_glycolysis -d "$tmp/ds" -o "$tmp/score_bad"
expect 2 'is neither a predictor package file nor a built-in predictor' -- "$fluxion" score -p nosuch -d "$tmp/ds" -o "$tmp/score_bad"
expect 0 'median skill' -- "$fluxion" score -p "$tmp/train/predictor.fluxpkg" -d "$tmp/ds" -o "$tmp/score_where" --subset all --where 'xch:v2<1' --identifiability-rows 0
expect 0 '"where": "xch:v2<1"' -- cat "$tmp/score_where/score.json"

# time courses: a dataset of MIDs at several times with drawn pool sizes, a predictor of the
# fluxes and the pools, scored, and predicting from a simulated time course (some times left out)
printf 'molB\t1\tfixed\n' > "$tmp/tc_fixed.tsv"
expect 0 'time course at 3 times; 5 pools, 4 of them drawn per flux set' -- "$fluxion" dataset -m simple -n 1500 --part-rows 500 --times 0.5,1,2 --pools "$tmp/tc_fixed.tsv" --pool-range 0.2,5 -o "$tmp/ds_tc"
expect 0 'mids +Dataset \{1500, 360\}' -- h5ls "$tmp/ds_tc/dataset.h5"
expect 0 '"pool:molD"' -- cat "$tmp/ds_tc/manifest.json"
expect 2 'no pool size for molB, molD, molC, molE, molF' -- "$fluxion" dataset -m simple -n 10 --times 0.5,1 -o "$tmp/ds_tc_bad"
expect 2 'pool sizes are for time courses: give --times as well' -- "$fluxion" dataset -m simple -n 10 --pool-range 0.2,5 -o "$tmp/ds_tc_bad"
expect 0 'best epoch' -- "$fluxion" train -d "$tmp/ds_tc" -o "$tmp/train_tc" --epochs 3 --hidden 16 --pcnn-epochs 0 --masked-rows 100
expect 0 '^pool:molD	' -- cat "$tmp/train_tc/test_errors.tsv"
expect 0 'median skill' -- "$fluxion" score -p "$tmp/train_tc/predictor.fluxpkg" -d "$tmp/ds_tc" -o "$tmp/score_tc" --identifiability-rows 10
expect 0 '^pool:molF	yes	no	' -- cat "$tmp/score_tc/scores.tsv"
printf 'molB\t1\nmolC\t0.5\nmolD\t2\nmolE\t0.8\nmolF\t1.5\n' > "$tmp/tc_pools.tsv"
expect 0 'wrote' -- "$fluxion" simulate -m simple -f "$repo/examples/simple/true_fluxes.tsv" --times 0.5,1,2 --pools "$tmp/tc_pools.tsv" -o "$tmp/sim_tc"
awk -F'\t' 'NR == 1 || $1 == "e1" || $1 == "e3" && $4 != "1"' "$tmp/sim_tc/mids.tsv" > "$tmp/tc_mids.tsv"  # two tracers, one of them without t = 1
expect 0 'wrote' -- "$fluxion" predict -p "$tmp/train_tc/predictor.fluxpkg" -i "$tmp/tc_mids.tsv" -o "$tmp/pred_tc"
expect 0 '^molD	[0-9.e-]+	[0-9.e-]+	' -- cat "$tmp/pred_tc/pools.tsv"
expect 0 '^e3	1	molB	C	0	NA	' -- cat "$tmp/pred_tc/mids.tsv"
awk -F'\t' -v OFS='\t' 'NR > 1 && $4 == "2" { $4 = 3 } 1' "$tmp/tc_mids.tsv" > "$tmp/tc_mids_bad.tsv"
expect 2 'tc_mids_bad.tsv:53: error: .* at time 3: this predictor takes the times 0.5, 1, 2' -- "$fluxion" predict -p "$tmp/train_tc/predictor.fluxpkg" -i "$tmp/tc_mids_bad.tsv" -o "$tmp/pred_tc_bad"
expect 2 'has no time; this predictor takes time courses' -- "$fluxion" predict -p "$tmp/train_tc/predictor.fluxpkg" -i "$repo/examples/simple/mids.tsv" -o "$tmp/pred_tc_bad"
expect 2 'a time column: time-course MIDs' -- "$fluxion" predict -p simple -i "$tmp/tc_mids.tsv" -o "$tmp/pred_tc_bad"
# the hybrid: INST-MFA from the predicted fluxes and pool sizes recovers the simulated ones
awk -F'\t' -v OFS='\t' '{ print $1, $2, "free", 0.2, 5 }' "$tmp/tc_pools.tsv" > "$tmp/tc_free_pools.tsv"
expect 0 'the fit is statistically acceptable' -- "$fluxion" fit -m simple -i "$tmp/tc_mids.tsv" --mid-sd 0.01 --pools "$tmp/tc_free_pools.tsv" --start-from "$tmp/pred_tc/fluxes.tsv" --start-pools "$tmp/pred_tc/pools.tsv" --starts 2 -o "$tmp/fit_tc_hybrid"
expect 0 '^molD	(2|1\.99)[0-9.]*	' -- cat "$tmp/fit_tc_hybrid/pools.tsv"
printf 'metabolite\tsize\nmolD\t-1\n' > "$tmp/tc_bad_start.tsv"
expect 2 'tc_bad_start.tsv:2:6: error: size .-1. is not a number > 0' -- "$fluxion" fit -m simple -i "$tmp/tc_mids.tsv" --mid-sd 0.01 --pools "$tmp/tc_free_pools.tsv" --start-pools "$tmp/tc_bad_start.tsv" -o "$tmp/fit_tc_bad"
expect 0 'median skill' -- "$fluxion" score -p "$tmp/train/predictor.fluxpkg" -d "$tmp/ds" -o "$tmp/score_noise" --mid-noise 0.01 --identifiability-rows 0
expect 0 '"mid_noise": 0.01' -- cat "$tmp/score_noise/score.json"
expect 2 "is not FLUX<VALUE or FLUX>VALUE" -- "$fluxion" score -p "$tmp/train/predictor.fluxpkg" -d "$tmp/ds" -o "$tmp/score_bad" --where 'v2<1'
expect 2 'has no rows to score \(all rows where xch:v2>1e9\)' -- "$fluxion" score -p "$tmp/train/predictor.fluxpkg" -d "$tmp/ds" -o "$tmp/score_bad" --subset all --where 'xch:v2>1e9'
keras="$repo/tests/data/mlflux"
expect 0 '6 Dense layers \(Keras 2.10.0\), 6 outputs' -- "$fluxion" import-keras -a "$keras/Simple_ANN.json" -w "$keras/Simple_ANN.h5" --like "$tmp/train/predictor.fluxpkg" -o "$tmp/authors.fluxpkg"
expect 0 'median skill' -- "$fluxion" score -p "$tmp/authors.fluxpkg" -d "$tmp/ds" -o "$tmp/score_authors" --identifiability-rows 0
expect 0 'every MID measured' -- "$fluxion" predict -p "$tmp/authors.fluxpkg" -i "$tmp/sim/mids.tsv" -o "$tmp/pred_authors" --format table
expect 2 'takes 120 inputs; the upper_glycolysis predictor' -- "$fluxion" import-keras -a "$keras/Simple_ANN.json" -w "$keras/Simple_ANN.h5" --like upper_glycolysis -o "$tmp/bad.fluxpkg"
expect 2 'Simple_ANN.h5: error: is not JSON' -- "$fluxion" import-keras -a "$keras/Simple_ANN.h5" -w "$keras/Simple_ANN.h5" --like "$tmp/train/predictor.fluxpkg" -o "$tmp/bad.fluxpkg"
printf '{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 120]}}, {"class_name": "Conv2D", "config": {"name": "c"}}]}}' >"$tmp/conv.json"
expect 2 'layer class Conv2D is not supported' -- "$fluxion" import-keras -a "$tmp/conv.json" -w "$keras/Simple_ANN.h5" --like "$tmp/train/predictor.fluxpkg" -o "$tmp/bad.fluxpkg"
expect 2 'no_such.h5: error: cannot open: No such file or directory' -- "$fluxion" import-keras -a "$keras/Simple_ANN.json" -w "$tmp/no_such.h5" --like "$tmp/train/predictor.fluxpkg" -o "$tmp/bad.fluxpkg"

# predicting fluxes from measured MIDs with the package
pkg="$tmp/train/predictor.fluxpkg"
expect 0 'MIDs of the predicted fluxes against the measured: SSR' -- "$fluxion" predict -p "$pkg" -i "$tmp/sim/mids.tsv" -o "$tmp/pred" --format table
expect 0 '^reaction	net	exchange	net_se	exchange_se	net_sd	exchange_sd$' -- head -1 "$tmp/pred/fluxes.tsv"
expect 0 '^v2	-?[0-9.e-]+	[0-9.e-]+	[0-9.e-]+	[0-9.e-]+	0	0$' -- cat "$tmp/pred/fluxes.tsv"
expect 0 '^v3	[-0-9.e]+	0	' -- cat "$tmp/pred/fluxes.tsv"
expect 0 '^v2	-?[0-9.e-]+	[0-9.e-]+	' -- cat "$tmp/pred/delta_g.tsv"
expect 0 '^v3	NA	' -- cat "$tmp/pred/delta_g.tsv"
expect 0 '^e1	molB	C	1	0.8043478261	NA	0.8043478261	[0-9.e-]+	measured$' -- cat "$tmp/pred/mids.tsv"
expect 0 '"dof": 96' -- cat "$tmp/pred/prediction.json"
expect 0 '"predictor"' -- cat "$tmp/pred/run_info.json"
# the simulated MIDs fed back: the fluxes of simulate's table read by simulate again
expect 0 'wrote' -- "$fluxion" simulate -m simple -f "$tmp/pred/fluxes.tsv" -o "$tmp/pred_sim"
# partial: experiment e1's molB and molF, with replicates
{ printf 'experiment\tmetabolite\tisotopologue\tfraction\tsd\treplicate\n'
  awk -F'\t' 'NR > 1 && $1 == "e1" && ($3 == "molB" || $3 == "molF") { print $1 "\t" $3 "\t" $4 "\t" $5 "\t0.005\ta" }' "$tmp/sim/mids.tsv"
  awk -F'\t' 'NR > 1 && $1 == "e1" && ($3 == "molB" || $3 == "molF") { f = $5; if ($4 == 0) f = f + 0.01; if ($4 == 1) f = f - 0.01; print $1 "\t" $3 "\t" $4 "\t" f "\t0.005\tb" }' "$tmp/sim/mids.tsv"
} > "$tmp/partial.tsv"
expect 0 'predicted 11 fluxes from 2 replicate' -- "$fluxion" predict -p "$pkg" -i "$tmp/partial.tsv" -o "$tmp/pred_partial" --imputer knn
expect 0 'predicted 11 fluxes from 2 replicate' -- "$fluxion" predict -p "$pkg" -i "$tmp/partial.tsv" -o "$tmp/pred_pcnn" --imputer pcnn
# auto: of the two, the imputer whose error table is tighter at this masking
expect 0 'fractions imputed by (pcnn|knn)\)' -- "$fluxion" predict -p "$pkg" -i "$tmp/partial.tsv" -o "$tmp/pred_auto" --format table
expect 0 '"imputer_option": "auto"' -- cat "$tmp/pred_auto/prediction.json"
expect 0 '^b	0.92156862[0-9]*	[-0-9.e]+	pcnn:0[.0-9]*-[.0-9]+	net:v1	' -- cat "$tmp/pred_pcnn/replicates.tsv"
expect 0 '"imputer": "pcnn"' -- cat "$tmp/pred_pcnn/prediction.json"
expect 0 '^a	0.92156862[0-9]*	[-0-9.e]+	knn:0[.0-9]*-[.0-9]+	net:v1	' -- cat "$tmp/pred_partial/replicates.tsv"
expect 0 '^e2	molC	C	0	NA	NA	[0-9.e-]+	[0-9.e-]+	imputed$' -- cat "$tmp/pred_partial/mids.tsv"
expect 0 '"measurements": 16' -- cat "$tmp/pred_partial/prediction.json"
expect 2 'incomplete and no imputer was chosen' -- "$fluxion" predict -p "$pkg" -i "$tmp/partial.tsv" -o "$tmp/pred_bad" --imputer none
# what does not fit the predictor, said with the row
printf 'experiment\tmetabolite\tisotopologue\tfraction\ne1\tmolA\t0\t0.5\ne1\tmolA\t1\t0.5\ne1\tmolA\t2\t0\ne1\tmolA\t3\t0\n' > "$tmp/p_molA.tsv"
expect 2 "p_molA.tsv:2: error: metabolite 'molA' \(C, experiment 'e1'\) is not an input of this predictor; it takes molB, molC, molD, molE, molF" -- "$fluxion" predict -p "$pkg" -i "$tmp/p_molA.tsv" -o "$tmp/pred_bad"
printf 'experiment\tmetabolite\tisotopologue\tfraction\ne1\tmolZ\t0\t1\n' > "$tmp/p_molZ.tsv"
expect 2 "metabolite 'molZ' is not in model 'simple'" -- "$fluxion" predict -p "$pkg" -i "$tmp/p_molZ.tsv" -o "$tmp/pred_bad"
printf 'experiment\tmetabolite\tisotopologue\tfraction\ne1\tmolB\t0\t0.5\ne1\tmolB\t1\t0.5\n' > "$tmp/p_short.tsv"
expect 2 "p_short.tsv:2: error: experiment 'e1', molB: missing M\\+2, M\\+3" -- "$fluxion" predict -p "$pkg" -i "$tmp/p_short.tsv" -o "$tmp/pred_bad"
printf 'experiment\tmetabolite\tisotopologue\tfraction\ne7\tmolE\t0\t0.5\ne7\tmolE\t1\t0.5\n' > "$tmp/p_exp.tsv"
expect 2 "experiment 'e7' is not one of this predictor's tracer experiments \(e1, e2, e3, e4, e5, e6\)" -- "$fluxion" predict -p "$pkg" -i "$tmp/p_exp.tsv" -o "$tmp/pred_bad"
expect 2 'is not the model this predictor was trained on' -- "$fluxion" predict -p "$pkg" -m upper_glycolysis -i "$tmp/sim/mids.tsv" -o "$tmp/pred_bad"
expect 2 'is neither a predictor package file nor a built-in predictor' -- "$fluxion" predict -p nosuch -i "$tmp/sim/mids.tsv" -o "$tmp/pred_bad"
expect 2 'cannot be read as a predictor package' -- "$fluxion" predict -p "$tmp/partial.tsv" -i "$tmp/sim/mids.tsv" -o "$tmp/pred_bad"
printf 'flux\tweight\nxch:v2\t0.01\n' > "$tmp/weights.tsv"
expect 0 'best epoch' -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train_w" --epochs 2 --hidden 16 --loss weighted_mse --loss-weights "$tmp/weights.tsv" --masked-rows 50 --pcnn-epochs 0
expect 0 '"outputs":"raw"' -- grep -a -o '"outputs":"[a-z]*"' "$tmp/train_w/predictor.fluxpkg"
printf 'flux\tweight\nxch:v9\t1\nnet:v1\tlots\n' > "$tmp/weights_bad.tsv"
expect 2 "weights_bad.tsv:2:1: error: 'xch:v9' is not a flux of the dataset" -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train_bad" --loss weighted_mse --loss-weights "$tmp/weights_bad.tsv"
expect 2 "weights_bad.tsv:3:8: error: weight 'lots' is not a number" -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train_bad" --loss weighted_mse --loss-weights "$tmp/weights_bad.tsv"
# the encoding policy of every reader holds here too: Latin-1 read as such (UTF-8 in the message), a FIFO refused
printf 'flux\tweight\nxch:v\xe9\t1\n' > "$tmp/weights_latin1.tsv"
expect 2 "weights_latin1.tsv:2:1: error: 'xch:vé' is not a flux of the dataset" -- "$fluxion" train -d "$tmp/ds" -o "$tmp/train_bad" --loss weighted_mse --loss-weights "$tmp/weights_latin1.tsv"
mkfifo "$tmp/weights_fifo"
expect 2 "weights_fifo: error: is not a regular file" -- timeout 20 "$fluxion" train -d "$tmp/ds" -o "$tmp/train_bad" --loss weighted_mse --loss-weights "$tmp/weights_fifo"
# any model: a model file of the user's, its own tracer table, dataset -> package -> prediction
expect 0 'wrote' -- "$fluxion" model convert simple "$tmp/toy.tsv"
printf 'experiment\tsubstrate\tlabel\tfraction\tpurity\nA1\tmolA\t[1-13C1]\t1\t1\nA2\tmolA\t[2-13C1]\t1\t1\n' > "$tmp/toy_tracers.tsv"
expect 0 '1000 rows' -- "$fluxion" dataset -m "$tmp/toy.tsv" -e "$tmp/toy_tracers.tsv" -n 1000 --exchange log-uniform -o "$tmp/toy_ds"
expect 0 'wrote .*predictor.fluxpkg' -- "$fluxion" train -d "$tmp/toy_ds" -o "$tmp/toy_train" --epochs 5 --pcnn-epochs 1
expect 0 'wrote' -- "$fluxion" simulate -m "$tmp/toy.tsv" -f "$tmp/simple_fluxes.tsv" -e "$tmp/toy_tracers.tsv" -o "$tmp/toy_sim"
expect 0 '2 replicate|every MID measured' -- "$fluxion" predict -p "$tmp/toy_train/predictor.fluxpkg" -i "$tmp/toy_sim/mids.tsv" -o "$tmp/toy_pred" --format table
mv "$tmp/toy.tsv" "$tmp/toy_moved.tsv"
expect 2 "needs its model '.*toy.tsv'; give it with --model" -- "$fluxion" predict -p "$tmp/toy_train/predictor.fluxpkg" -i "$tmp/toy_sim/mids.tsv" -o "$tmp/toy_pred"
expect 0 'every MID measured' -- "$fluxion" predict -p "$tmp/toy_train/predictor.fluxpkg" -m "$tmp/toy_moved.tsv" -i "$tmp/toy_sim/mids.tsv" -o "$tmp/toy_pred" --format table
# golden: shipped packages on the example MIDs against the recorded fluxes and standard
# errors (|a - b| <= 1e-4 + 1e-4·|b|, for SEs and SDs 1e-4·max(|b|, |net|): float32 forward
# passes on other BLAS builds and CPUs differ in the last digits, not more; an SD across
# replicates of ~995 differed by 3.6e-4 on a new machine). simple: complete patterns; glycolysis: partial, 3 replicates,
# the imputer auto chooses (KNN at this masking) and the PCNN.
golden_fluxes() {  # PACKAGE MIDS RECORDED [PREDICT OPTIONS]
  [ -f "$repo/models/predictors/$1.fluxpkg" ] || return 0
  expect 0 'predicted' -- "$fluxion" predict -p "$1" -i "$2" -o "$tmp/golden_$1" "${@:4}"
  expect 0 'agree' -- awk -F'\t' 'NR == FNR { if (FNR > 1) { gold[$1] = $0; n++ } next }
    FNR == 1 { next }
    { if (!($1 in gold)) { print "unexpected reaction " $1; bad = 1; next }
      split(gold[$1], g, "\t"); seen++
      for (c = 2; c <= NF; c++) if (g[c] != $c) {
        d = g[c] - $c; if (d < 0) d = -d; t = g[c] < 0 ? -g[c] : g[c]
        # a standard error or deviation across replicates carries the float error of the
        # fluxes it is made from: scale it by the net flux too
        if (c >= 4) { n2 = g[2] < 0 ? -g[2] : g[2]; if (n2 > t) t = n2 }
        if (g[c] == "NA" || $c == "NA" || d > 1e-4 + 1e-4 * t) { print $1 " column " c ": " $c " vs recorded " g[c]; bad = 1 } } }
    END { if (!bad && seen == n) print "fluxes agree with the recorded ones" }' "$3" "$tmp/golden_$1/fluxes.tsv"
}
golden_fluxes simple "$repo/examples/simple/mids.tsv" "$repo/tests/golden/data/predict_simple_fluxes.tsv"
golden_fluxes glycolysis "$repo/examples/glycolysis/mids.tsv" "$repo/tests/golden/data/predict_glycolysis_fluxes.tsv"
golden_fluxes glycolysis "$repo/examples/glycolysis/mids.tsv" "$repo/tests/golden/data/predict_glycolysis_pcnn_fluxes.tsv" --imputer pcnn
# the shipped time-course package: two tracers at 5 and 4 times (70 % imputed by KNN); its
# pool sizes within 3 SE of the simulated ones, then the hybrid fit recovers them
golden_fluxes simple_time_course "$repo/examples/simple_time_course/mids.tsv" "$repo/tests/golden/data/predict_simple_time_course_fluxes.tsv"
if [ -f "$repo/models/predictors/simple_time_course.fluxpkg" ]; then
  expect 0 'pools within 3 SE' -- awk -F'\t' 'NR == FNR { if (FNR > 1) truth[$1] = $2; next } FNR > 1 { d = $2 - truth[$1]; if (d < 0) d = -d; if (d > 3 * $3) bad = 1; n++ }
    END { if (!bad && n == 5) print "pools within 3 SE" }' "$repo/examples/simple_time_course/true_pools.tsv" "$tmp/golden_simple_time_course/pools.tsv"
  expect 0 'best of 1 starts .*100 %' -- "$fluxion" fit -m simple -i "$repo/examples/simple_time_course/mids.tsv" --mid-sd 0.01 --pools "$repo/examples/simple_time_course/pools.tsv" \
    --start-from "$tmp/golden_simple_time_course/fluxes.tsv" --start-pools "$tmp/golden_simple_time_course/pools.tsv" --starts 0 -o "$tmp/fit_tc_example"
  expect 0 'pools recovered' -- awk -F'\t' 'NR == FNR { if (FNR > 1) truth[$1] = $2; next } FNR > 1 { d = $2 - truth[$1]; if (d < 0) d = -d; if (d > 1e-3) bad = 1; n++ }
    END { if (!bad && n == 5) print "pools recovered" }' "$repo/examples/simple_time_course/true_pools.tsv" "$tmp/fit_tc_example/pools.tsv"
fi
if [ -d "$tmp/ds_mpi" ]; then
  expect 2 'holds MPI shards' -- "$fluxion" train -d "$tmp/ds_mpi" -o "$tmp/train_bad"
fi

# failures: exit code 2 and a message that says where and what
expect 2 'no such file, and no built-in model' -- "$fluxion" model info nosuch
expect 2 'model is required|Usage' -- "$fluxion" model info
expect 2 'the model has 4 free net fluxes \(9 reactions, rank 5\) but 1 were chosen' -- "$fluxion" model info upper_glycolysis --free GLC_IN
expect 2 'this choice of free fluxes is impossible' -- "$fluxion" model info upper_glycolysis --free GLC_IN,PGI,G6P_EX,F6P_EX
printf 'id\tequation\tlb\tub\nr1\tA (abc) -> B (ab)\t0\t1\nr2\tB -> C\tz\t1\n' > "$tmp/bad.tsv"
expect 2 'bad.tsv:3:[0-9]+: error: reaction .r2.: lb .z. is not a number' -- "$fluxion" model info "$tmp/bad.tsv"
printf '<fluxml>\n<reactionnetwork>\n' > "$tmp/bad.fml"
expect 2 'bad.fml:[0-9]+: error: malformed XML' -- "$fluxion" model info "$tmp/bad.fml"
printf '{"reactions": [' > "$tmp/bad.json"
expect 2 'bad.json:1:[0-9]+: error: malformed JSON' -- "$fluxion" model info "$tmp/bad.json"
touch "$tmp/x.dat"
expect 2 'cannot tell the model format' -- "$fluxion" model info "$tmp/x.dat"
expect 2 'cannot tell the output format' -- "$fluxion" model convert simple "$tmp/out.dat"
touch "$tmp/x.csv"
expect 2 'x.csv: error: the file defines no reactions' -- "$fluxion" model info "$tmp/x.csv"
expect 2 'writing the FreeFlux reactions format is not supported' -- "$fluxion" model convert simple "$tmp/out.csv"
printf '#reaction_ID,substrate_IDs(atom),product_IDs(atom),reversibility\nv1,A.ex(ab),"B(ab,ab)",0\n' > "$tmp/ff_bad.csv"
expect 2 "ff_bad.csv:2: error: reaction 'v1': 'B\\(ab,ab\\)': the second atom order is not the first reversed" -- "$fluxion" model info "$tmp/ff_bad.csv"
expect 2 'mfapy text format is not supported' -- "$fluxion" model convert simple "$tmp/out.txt"
printf 'experiment\tsubstrate\tlabel\nbad\tGLC_IN\t[7-13C1]\nbad\tH2O\t[1-13C1]\n' > "$tmp/bad_tracers.tsv"
expect 2 'bad_tracers.tsv:2: error: experiment .bad.: \[7-13C1\] on .GLC_IN.: position 7 but the substrate has 6 C atoms' -- "$fluxion" model tracers ccm "$tmp/bad_tracers.tsv"
expect 2 'bad_tracers.tsv:3: error: experiment .bad.: substrate .H2O. is not a metabolite' -- "$fluxion" model tracers ccm "$tmp/bad_tracers.tsv"
printf 'experiment\tsubstrate\tlabel\ne1\tGLC_IN\t[1,2-13X2]\n' > "$tmp/bad_label.tsv"
expect 2 'bad_label.tsv:2:[0-9]+: error: label: isotope' -- "$fluxion" model tracers ccm "$tmp/bad_label.tsv"
expect 2 'no built-in tracer experiments for this model' -- "$fluxion" model tracers "$tmp/g.fml"
printf 'reaction\tnet\nEX_molE\t0.9\nv1\t5\n' > "$tmp/bad_fluxes.tsv"
expect 2 'missing: v2' -- "$fluxion" simulate -m simple -f "$tmp/bad_fluxes.tsv" -o "$tmp/sim"
printf 'reaction\tnet\nEX_molE\t0.9\nEX_molF\t0.7\nv1\t5\n' > "$tmp/bad_fluxes.tsv"
expect 2 'bad_fluxes.tsv:4: error: net flux 5 of .v1. contradicts the free fluxes, which give 1' -- "$fluxion" simulate -m simple -f "$tmp/bad_fluxes.tsv" -o "$tmp/sim"
printf 'reaction\tnet\nnope\t0.9\n' > "$tmp/bad_fluxes.tsv"
expect 2 "bad_fluxes.tsv:2:1: error: unknown reaction 'nope'" -- "$fluxion" simulate -m simple -f "$tmp/bad_fluxes.tsv" -o "$tmp/sim"
expect 2 'no built-in tracer experiments for this model; give --experiments' -- "$fluxion" simulate -m "$tmp/g.fml" -f "$tmp/simple_fluxes.tsv" -o "$tmp/sim"
expect 2 'Required|required' -- "$fluxion" simulate -m simple
expect 2 "is not a metabolite of the model" -- "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/sim" --natural-abundance nope
expect 2 'exists and is not a directory' -- "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/simple_fluxes.tsv"
printf 'experiment\tmetabolite\tisotopologue\tfraction\ne1\tmolB\t0\t0.5\ne1\tmolB\t1\t0.2\ne7\tmolQ\t0\t1\n' > "$tmp/bad_mids.tsv"
expect 2 "bad_mids.tsv:2: error: experiment 'e1', molB: missing M\+2, M\+3" -- "$fluxion" mids check "$tmp/bad_mids.tsv" -m simple
expect 2 "bad_mids.tsv:4: error: experiment 'e7' is not in the tracer table" -- "$fluxion" mids check "$tmp/bad_mids.tsv" -m simple
printf 'sample\tmetabolite\tisotopologue\tarea\tformula\ns1\tSer\t0\t4000\tC3Qz\n' > "$tmp/bad_int.tsv"
expect 2 "bad_int.tsv:2:[0-9]+: error: formula \"C3Qz\": no isotope data for element 'Qz'" -- "$fluxion" correct "$tmp/bad_int.tsv" -o "$tmp/corr2"
printf 'sample\tmetabolite\tisotopologue\tarea\tformula\ns1\tX\t0\t4000\tH2O\n' > "$tmp/bad_int.tsv"
expect 2 "formula H2O of 'X' has no C atoms to trace" -- "$fluxion" correct "$tmp/bad_int.tsv" -o "$tmp/corr2"
expect 2 '^error: --tracer: 14C not in \{13C,2H,15N,18O\}' -- "$fluxion" correct "$tmp/intensities.tsv" -o "$tmp/corr2" --tracer 14C
mkdir -p "$tmp/blocked/mids.tsv"
expect 1 'blocked/mids.tsv: error: cannot open for writing' -- "$fluxion" simulate -m simple -f "$tmp/simple_fluxes.tsv" -o "$tmp/blocked"
expect 2 'is a directory' -- "$fluxion" model info "$tmp"
expect 2 '^error: --format: xml not in \{tsv,json\}' -- "$fluxion" model info simple --format xml
expect 2 'Usage|argument' -- "$fluxion" model bogus

# least-squares MFA: mfapy's E. coli GC-MS data (Example 2) with its status sheet
if [ -n "$data" ] && [ -d "$data/mfa/mfapy" ]; then
  mf="$data/mfa/mfapy"
  na=SubsGlc,SubsAla,SubsAsp,SubsThr,SubsGlu,SubsPhe,SubsTyr,SubsIle,SubsLeu,SubsVal
  ex="$(dirname "$0")/../../examples/mfapy_ecoli/tracers.tsv"
  expect 0 'dof 84, 95% threshold 106.4, p = [0-9.e-]+: the fit is statistically acceptable' -- "$fluxion" fit -m "$mf/Example_2_Ecoli_model.txt" --mfapy-mdv "$mf/Example_2_Ecoli_mdv.txt" --mfapy-status "$mf/Example_2_Ecoli_status.csv" -e "$ex" --natural-abundance "$na" --starts 4 --threads 2 -o "$tmp/fit"
  expect 0 '"accepted": true' -- cat "$tmp/fit/fit.json"
  expect 0 '^mid	ex1	Glu\[M-85\]	0	0.41569727	0.01	' -- cat "$tmp/fit/residuals.tsv"
  expect 0 '^r1	9[0-9.]+	1\.[0-9]+	' -- cat "$tmp/fit/fluxes.tsv"
  # the sheet's positivity bounds (one-way fluxes >= 1e-4) hold: every merged pair's exchange
  # flux is at least 1e-4; r51's cannot (r51 = r52 = 1e-6 by the formate balance) and is named
  expect 0 '^ok$' -- awk -F'\t' 'NR > 1 && $6 != "NA" && $6 < 0.99999e-4 { bad = bad " " $1 } END { print bad == "" ? "ok" : "below 1e-4:" bad }' "$tmp/fit/fluxes.tsv"
  expect 0 "Example_2_Ecoli_status.csv:52:6: warning: mfapy's positivity bound r51 >= 0.0001 is not applied: the other constraints allow at most 1e-06" -- "$fluxion" fit -m "$mf/Example_2_Ecoli_model.txt" --mfapy-mdv "$mf/Example_2_Ecoli_mdv.txt" --mfapy-status "$mf/Example_2_Ecoli_status.csv" -e "$ex" --natural-abundance "$na" --starts 1 --threads 1 -o "$tmp/fit_pos"
  # simulate honours the status sheet's pseudo reactions as fit does: the fitted fluxes are at
  # steady state only with them, and give the MIDs the fit simulated (Ala[M-57] keeps Ala's 3 C)
  cut -f1,2,6 "$tmp/fit/fluxes.tsv" > "$tmp/fit_fluxes.tsv"
  expect 2 'not at steady state' -- "$fluxion" simulate -m "$mf/Example_2_Ecoli_model.txt" -f "$tmp/fit_fluxes.tsv" -e "$ex" --natural-abundance "$na" -o "$tmp/sim_mf"
  expect 0 'wrote' -- "$fluxion" simulate -m "$mf/Example_2_Ecoli_model.txt" -f "$tmp/fit_fluxes.tsv" -e "$ex" --natural-abundance "$na" --mfapy-status "$mf/Example_2_Ecoli_status.csv" -o "$tmp/sim_mf"
  expect 0 '^same 0\.[0-9]{6}$' -- bash -c "a=\$(awk -F'\t' '\$3==\"Ala[M-57]\" && \$4==0 {printf \"%.6f\", \$7}' '$tmp/fit/residuals.tsv'); b=\$(awk -F'\t' '\$3==\"Ala\" && \$4==0 {printf \"%.6f\", \$5}' '$tmp/sim_mf/mids.tsv'); [ \"\$a\" = \"\$b\" ] && echo \"same \$a\" || echo \"fit \$a simulate \$b\""
  expect 2 'needs the model as an mfapy model file' -- "$fluxion" simulate -m simple -f "$tmp/fit_fluxes.tsv" --mfapy-status "$mf/Example_2_Ecoli_status.csv" -o "$tmp/sim_mf2"
  # a fragment the model has no target for is left out, with a warning (as mfapy); a bad
  # number is an error naming its line and column
  printf 'Name\tSpectrum\tSelect\tMDV\tStd\nAla[M-57]\t0\t1\t0.3\t0.01\nAla[M-99]\t0\t1\t0.3\t0.01\nAla[M-57]\tm1\t1\tx\t0.01\n' > "$tmp/bad_mdv.txt"
  expect 2 "bad_mdv.txt:3:1: warning: fragment 'Ala\[M-99\]' is not in the model's //Target_fragments; its rows are not used" -- "$fluxion" fit -m "$mf/Example_2_Ecoli_model.txt" --mfapy-mdv "$tmp/bad_mdv.txt" -e "$ex" -o "$tmp/fit2"
  expect 2 "bad_mdv.txt:4:[0-9]+: error: MDV 'x' is not a number" -- "$fluxion" fit -m "$mf/Example_2_Ecoli_model.txt" --mfapy-mdv "$tmp/bad_mdv.txt" -e "$ex" -o "$tmp/fit2"
  # parallel experiments: one sheet per experiment, each named (mfapy's Example 3 has two)
  expect 2 "mfapy-experiment.*names 1 experiments for 2 --mfapy-mdv tables" -- "$fluxion" fit -m "$mf/Example_2_Ecoli_model.txt" --mfapy-mdv "$tmp/bad_mdv.txt" --mfapy-mdv "$tmp/bad_mdv.txt" --mfapy-experiment ex1 -e "$ex" -o "$tmp/fit2"
  expect 2 "has 1 experiments; name each table's with --mfapy-experiment" -- "$fluxion" fit -m "$mf/Example_2_Ecoli_model.txt" --mfapy-mdv "$tmp/bad_mdv.txt" --mfapy-mdv "$tmp/bad_mdv.txt" -e "$ex" -o "$tmp/fit2"
  printf 'State,Id,type,value,stdev,lb,ub\nreaction,r2,fixed,5,1,0,1000\n' > "$tmp/bad_status.csv"
  expect 2 "bad_status.csv:2:3: error: 'r2' is one direction of reversible reaction 'PGI'" -- "$fluxion" fit -m "$mf/Example_2_Ecoli_model.txt" --mfapy-mdv "$mf/Example_2_Ecoli_mdv.txt" --mfapy-status "$tmp/bad_status.csv" -e "$ex" -o "$tmp/fit2"
  # an mfapy sheet that cannot be read says why (it said "cannot be read")
  expect 2 "nonexistent_mdv.txt: error: cannot open: No such file or directory" -- "$fluxion" fit -m "$mf/Example_2_Ecoli_model.txt" --mfapy-mdv "$tmp/nonexistent_mdv.txt" -e "$ex" -o "$tmp/fit2"
  expect 2 "error: is a directory, not a file" -- "$fluxion" fit -m "$mf/Example_2_Ecoli_model.txt" --mfapy-mdv "$mf/Example_2_Ecoli_mdv.txt" --mfapy-status "$tmp" -e "$ex" -o "$tmp/fit2"
  expect 2 'give the measured MIDs with --mids or --mfapy-mdv' -- "$fluxion" fit -m "$mf/Example_2_Ecoli_model.txt" -e "$ex" -o "$tmp/fit2"
fi

# influx_si's FTBL files carry the tracer, the MIDs and the measured fluxes: `fit -m x.ftbl`
# needs nothing else; a malformed file names its line and column
printf 'NETWORK\n\tv1\tA\t\tB\n\t\tab\t\t#ab\n' > "$tmp/bad.ftbl"
expect 2 "bad.ftbl:3:3: error: 'A' of reaction 'v1' needs a carbon map" -- "$fluxion" fit -m "$tmp/bad.ftbl" -o "$tmp/fitf"
expect 2 "bad.ftbl:3:3: error: 'A' of reaction 'v1' needs a carbon map" -- "$fluxion" model info "$tmp/bad.ftbl"
if [ -n "$data" ] && [ -f "$data/mfa/influx_si/e_coli.ftbl" ]; then
  expect 0 'SSR 61.51 with 54 measurements and 21 free parameters \(9 of them MID scale factors\)' -- "$fluxion" fit -m "$data/mfa/influx_si/e_coli.ftbl" --starts 4 --threads 1 -o "$tmp/fitf"
  grep -q '"scale_factors"' "$tmp/fitf/fit.json" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: fit.json of an FTBL fit lists no scale_factors"; }
  # simulate reads the FTBL's tracer and measured fragments too: the fit's MIDs at its fluxes
  expect 0 'wrote' -- "$fluxion" simulate -m "$data/mfa/influx_si/e_coli.ftbl" -f "$tmp/fitf/fluxes.tsv" -o "$tmp/simf"
  grep -q "^e_coli	C	Suc	4	" "$tmp/simf/mids.tsv" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: simulate of an FTBL model lacks Suc M+4"; }
  expect 0 "time course at 10 times; 25 pools, 14 of them fitted" -- "$fluxion" fit -m "$data/mfa/influx_si/e_coli_i.ftbl" --starts 1 --max-evaluations 2 -o "$tmp/fitfi"
fi

# Park et al. 2016: three tracers on one network copied per tracer, the copies tied by the
# model's own constraints (537 measurements, 411 free parameters, 84 left by the ties)
if [ -n "$data" ] && [ -d "$data/mfa/park2016/mammalia" ]; then
  pk="$data/mfa/park2016/mammalia"
  expect 0 '^relations	sucoasB_12 = sucoasA_12; fumB_12 = fumA_12' -- "$fluxion" model info "$pk/mammalia.xml"
  expect 0 'wrote .*mids.tsv \(532 fractions\)' -- bash "$(dirname "$0")/../../examples/park2016/prepare.sh" "$pk" "$tmp/park"
  expect 0 'with 537 measurements and 84 free parameters' -- "$fluxion" fit -m "$pk/mammalia.xml" -i "$tmp/park/mids.tsv" -e "$tmp/park/tracers.tsv" --constraints "$tmp/park/constraints.txt" --measured-fluxes "$tmp/park/fluxes.tsv" --starts 1 --max-evaluations 20 --threads 1 -o "$tmp/parkfit"
  expect 2 'prepare.sh DATA_DIR OUT_DIR' -- bash "$(dirname "$0")/../../examples/park2016/prepare.sh" "$pk"
  expect 2 'mammalia_mea__12_13C.csv: not found' -- bash "$(dirname "$0")/../../examples/park2016/prepare.sh" "$tmp" "$tmp/park2"
  # a previous fit's fluxes.tsv (NA exchange fluxes of one-way reactions) is a valid start
  expect 0 'best of 1 starts' -- "$fluxion" fit -m "$pk/mammalia.xml" -i "$tmp/park/mids.tsv" -e "$tmp/park/tracers.tsv" --constraints "$tmp/park/constraints.txt" --measured-fluxes "$tmp/park/fluxes.tsv" --starts 0 --start-from "$tmp/parkfit/fluxes.tsv" --max-evaluations 20 --threads 1 -o "$tmp/parkfit2"
fi

if [ -n "$data" ] && [ -d "$data/bigg" ]; then
  expect 0 '"rank": 67' -- "$fluxion" model info "$data/bigg/e_coli_core.xml.gz" --format json
  expect 0 'wrote' -- "$fluxion" model convert "$data/bigg/e_coli_core.xml.gz" "$tmp/ecoli.json"
  expect 0 'rank	67' -- "$fluxion" model info "$tmp/ecoli.json"
  # FBA, pFBA and FVA with cobrapy's numbers
  expect 0 'objective 0.8739215' -- "$fluxion" fba -m "$data/bigg/e_coli_core.xml.gz" --fva -o "$tmp/fba"
  expect 0 'BIOMASS_Ecoli_core_w_GAM	0.87392' -- cat "$tmp/fba/fva.tsv"
  expect 0 'loopless FVA of 95 reactions' -- "$fluxion" fba -m "$data/bigg/e_coli_core.xml.gz" --fva --loopless -o "$tmp/fvall"
  expect 0 '^FRD7	0	0	optimal$' -- cat "$tmp/fvall/fva.tsv"
  expect 0 'objective 0.873921[0-9]* \(pFBA' -- "$fluxion" fba -m "$data/bigg/e_coli_core.xml.gz" --pfba -o "$tmp/pfba"
  expect 0 'objective 0 ' -- "$fluxion" fba -m "$data/bigg/e_coli_core.xml.gz" --knockout BIOMASS_Ecoli_core_w_GAM -o "$tmp/fbako"
  expect 2 "'nope' is not a reaction of the model" -- "$fluxion" fba -m "$data/bigg/e_coli_core.xml.gz" --knockout nope -o "$tmp/fbako"
  expect 0 'objective -0.4794285' -- "$fluxion" fba -m "$data/bigg/e_coli_core.xml.gz" --objective EX_glc__D_e -o "$tmp/fbaobj"
fi
expect 2 'the model has no objective' -- "$fluxion" fba -m simple -o "$tmp/fbasimple"

# FBApro projections: the paper's Table 1, a saved projector, bad references
toy="$repo/examples/fbapro_toy"
expect 0 '^full: 1 samples, 1 fixed and 2 least-squares' -- "$fluxion" project -m "$toy/toy.tsv" -r "$toy/references.tsv" --variant all -o "$tmp/proj"
expect 0 '^v2	4\.2$' -- cat "$tmp/proj/fluxes_full.tsv"
expect 0 '^v5	3\.6$' -- cat "$tmp/proj/fluxes_fixed.tsv"
expect 0 '^v1	6\.6$' -- cat "$tmp/proj/fluxes_partial.tsv"
expect 0 '^v3	1$' -- cat "$tmp/proj/fluxes_basic.tsv"
expect 0 '^full	1	2	2	1	1	1	' -- cat "$tmp/proj/summary.tsv"
expect 0 'full:' -- "$fluxion" project -m "$toy/toy.tsv" -r "$toy/references.tsv" --save-projector "$tmp/toy.fluxproj" -o "$tmp/proj1"
expect 0 'full:' -- "$fluxion" project -m "$toy/toy.tsv" -r "$toy/references.tsv" --projector "$tmp/toy.fluxproj" -o "$tmp/proj2"
expect 0 '^v5	5\.6$' -- cat "$tmp/proj2/fluxes.tsv"
expect 0 'full: 1 samples' -- "$fluxion" project -m "$toy/toy.tsv" -r "$toy/references.tsv" --device cpu -o "$tmp/projcpu"
expect 0 '^v5	5\.6$' -- cat "$tmp/projcpu/fluxes.tsv"
if ! "$fluxion" version --cuda 2>/dev/null | grep -q 'cuda: yes'; then
  expect 1 'no CUDA device' -- "$fluxion" project -m "$toy/toy.tsv" -r "$toy/references.tsv" --device cuda -o "$tmp/projcuda"
fi
expect 2 'differ from those this projector was built for' -- "$fluxion" project -m "$toy/toy.tsv" -r "$toy/references.tsv" --unmeasured v4 --projector "$tmp/toy.fluxproj" -o "$tmp/proj3"
expect 2 'is the .full. variant, not .fixed.' -- "$fluxion" project -m "$toy/toy.tsv" -r "$toy/references.tsv" --variant fixed --projector "$tmp/toy.fluxproj" -o "$tmp/proj3"
expect 2 'holds one variant' -- "$fluxion" project -m "$toy/toy.tsv" -r "$toy/references.tsv" --variant all --save-projector "$tmp/x.fluxproj" -o "$tmp/proj3"
printf 'garbage\n' > "$tmp/bad.fluxproj"
expect 2 'not a fluxion projector file' -- "$fluxion" project -m "$toy/toy.tsv" -r "$toy/references.tsv" --projector "$tmp/bad.fluxproj" -o "$tmp/proj3"
printf 'reaction\tconfidence\ts1\nv1\tfixed\t7\nv9\tnoisy\t1\nv3\tsure\t2\nv4\tnoisy\tNA\nv2\tnoisy\t1x\n' > "$tmp/badref.tsv"
expect 2 "badref.tsv:3:1: error: 'v9' is not a reaction" -- "$fluxion" project -m "$toy/toy.tsv" -r "$tmp/badref.tsv" -o "$tmp/proj3"
expect 2 "badref.tsv:4:4: error: confidence 'sure' is not fixed, noisy or unmeasured" -- "$fluxion" project -m "$toy/toy.tsv" -r "$tmp/badref.tsv" -o "$tmp/proj3"
expect 2 "badref.tsv:5:10: error: no value for sample 's1' of noisy reaction 'v4'" -- "$fluxion" project -m "$toy/toy.tsv" -r "$tmp/badref.tsv" -o "$tmp/proj3"
expect 2 "badref.tsv:6:10: error: '1x' is not a finite number" -- "$fluxion" project -m "$toy/toy.tsv" -r "$tmp/badref.tsv" -o "$tmp/proj3"
printf 'reaction\tconfidence\ts1\ts2\nv2\tunmeasured\tNA\t3\nv4\tunmeasured\t4\t2\n' > "$tmp/unmeasured.tsv"
expect 2 'every reaction is unmeasured: there is nothing to project' -- "$fluxion" project -m "$toy/toy.tsv" -r "$tmp/unmeasured.tsv" -o "$tmp/proj5"
expect 2 "unmeasured.tsv:2: error: reaction 'v2' has no value for sample 's1', so it cannot be noisy" -- "$fluxion" project -m "$toy/toy.tsv" -r "$tmp/unmeasured.tsv" --noisy v2 -o "$tmp/proj5"
expect 0 'full: 2 samples, 0 fixed and 1 least-squares' -- "$fluxion" project -m "$toy/toy.tsv" -r "$tmp/unmeasured.tsv" --noisy v4 -o "$tmp/proj5"
expect 0 '^v4	4	2$' -- cat "$tmp/proj5/fluxes.tsv"
expect 2 'every reaction is unmeasured: MoMA has no reference' -- "$fluxion" moma -m "$toy/toy.tsv" -r "$tmp/unmeasured.tsv" -o "$tmp/moma5"
expect 2 'every reaction is unmeasured: iMAT has no scores' -- "$fluxion" imat -m "$toy/toy.tsv" -r "$tmp/unmeasured.tsv" -o "$tmp/imat5"
printf 'reaction\ts1\ts2\nv2\t1\t5\nv4\t2\t5\n' > "$tmp/clash.tsv"
expect 0 'the fixed fluxes contradict steady state' -- "$fluxion" project -m "$toy/toy.tsv" -r "$tmp/clash.tsv" --default-confidence fixed -o "$tmp/proj4"
expect 0 '^v2	1\.5	5$' -- cat "$tmp/proj4/fluxes.tsv"
if [ -n "$data" ] && [ -d "$data/bigg" ] && [ -f "$tmp/fba/fluxes.tsv" ]; then
  # a steady state projects onto itself
  expect 0 'basic: 1 samples' -- "$fluxion" project -m "$data/bigg/e_coli_core.xml.gz" -r "$tmp/fba/fluxes.tsv" --variant basic -o "$tmp/projeco"
  expect 0 '^BIOMASS_Ecoli_core_w_GAM	0\.87392' -- cat "$tmp/projeco/fluxes.tsv"
  # gene knockouts (cobrapy: pgi deletion grows at 0.863, gapA at 0), MoMA, iMAT, expression
  eco="$data/bigg/e_coli_core.xml.gz"
  expect 0 'objective 0\.86315' -- "$fluxion" fba -m "$eco" --knockout-genes b4025 -o "$tmp/gko"
  expect 0 'objective 0 ' -- "$fluxion" fba -m "$eco" --knockout-genes b1779 -o "$tmp/gko2"
  # a medium: anaerobic growth (cobrapy: 0.2117)
  printf 'reaction\tlower\tupper\nEX_o2_e\t0\t1000\n' > "$tmp/anaerobic.tsv"
  expect 0 'objective 0\.21166' -- "$fluxion" fba -m "$eco" --set-bounds "$tmp/anaerobic.tsv" -o "$tmp/anaer"
  expect 0 'quadratic MoMA: 1 samples' -- "$fluxion" moma -m "$eco" --set-bounds "$tmp/anaerobic.tsv" --knockout PFL -o "$tmp/anaermoma"
  printf 'reaction\tlower\tupper\nEX_o2_e\t5\t1\nnope\t0\t1\n' > "$tmp/badbounds.tsv"
  expect 2 'badbounds.tsv:2:9: error: lower bound 5 is greater than upper bound 1' -- "$fluxion" fba -m "$eco" --set-bounds "$tmp/badbounds.tsv" -o "$tmp/anaer2"
  expect 2 "badbounds.tsv:3:1: error: 'nope' is not a reaction" -- "$fluxion" fba -m "$eco" --set-bounds "$tmp/badbounds.tsv" -o "$tmp/anaer2"
  expect 2 "gene 'nope' appears in no GPR rule" -- "$fluxion" fba -m "$eco" --knockout-genes nope -o "$tmp/gko3"
  expect 0 'quadratic MoMA: 1 samples, 1 blocked reactions, 0 not optimal' -- "$fluxion" moma -m "$eco" --knockout PGI -o "$tmp/moma"
  expect 0 '^PGI	0$' -- cat "$tmp/moma/fluxes.tsv"
  expect 0 '^reference	optimal	' -- cat "$tmp/moma/summary.tsv"
  expect 0 'linear MoMA: 1 samples, 1 blocked reactions, 0 not optimal' -- "$fluxion" moma -m "$eco" --knockout-genes b4025 --linear -o "$tmp/lmoma"
  expect 0 'linear MoMA: 1 samples' -- "$fluxion" moma -m "$eco" -r "$tmp/fba/fluxes.tsv" --knockout PFK --linear -o "$tmp/lmoma2"
  {
    printf 'gene\ts1\ts2\ts3\n'
    grep -o 'b[0-9][0-9][0-9][0-9]' "$tmp/ecoli.json" | sort -u | awk '{ printf "%s\t%d\t%d\t%d\n", $1, (NR * 7) % 13, (NR * 5) % 11 + 1, NR % 17 }'
  } > "$tmp/expr.tsv"
  expect 0 '136 of the model.s 137 genes found' -- "$fluxion" expression -m "$eco" -e "$tmp/expr.tsv" -o "$tmp/expr"
  expect 0 '^PFK	noisy	' -- cat "$tmp/expr/references.tsv"
  expect 0 'full: 3 samples, 0 fixed and [0-9]+ least-squares' -- "$fluxion" project -m "$eco" -r "$tmp/expr/references.tsv" -o "$tmp/exprproj"
  expect 0 'iMAT: 3 samples, 0 not proven optimal' -- "$fluxion" imat -m "$eco" -e "$tmp/expr.tsv" --epsilon 0.1 -o "$tmp/imat"
  expect 0 '^s1	optimal	' -- cat "$tmp/imat/summary.tsv"
  expect 2 'give either --references or --expression' -- "$fluxion" imat -m "$eco" -o "$tmp/imat2"
  printf 'gene\ts1\nb0001\t-1\n' > "$tmp/badexpr.tsv"
  expect 2 'badexpr.tsv:2:7: error: .-1. is not a finite number >= 0' -- "$fluxion" expression -m "$eco" -e "$tmp/badexpr.tsv" -o "$tmp/expr2"
fi

# scFEA (fluxion scflux) on scFEA's example and network files
sc="$data/scfea/changwn_scFEA"
if [ -n "$data" ] && [ -f "$sc/input/Melissa_full.csv" ]; then
  m168=(--module-genes "$sc/data/module_gene_m168.csv" --stoichiometry "$sc/data/cmMat_c70_m168.csv" --compound-names "$sc/data/cName_c70_m168.csv" --module-info "$sc/data/Human_M168_information.symbols.csv")
  expect 0 '162 samples, 168 modules \(17 with no gene in the data\), 374 of the network.s 663 genes found; log2\(x \+ 1\)' -- "$fluxion" scflux -q -e "$sc/input/Melissa_full.csv" "${m168[@]}" --epochs 5 -o "$tmp/scflux"
  expect 0 '^module,A7_tophat,B7_tophat' -- head -1 "$tmp/scflux/flux.csv"
  expect 0 '^M_171,' -- tail -1 "$tmp/scflux/flux.csv"
  expect 0 '^compound \(balance = produced - consumed; > 0 accumulates\),A7_tophat' -- head -1 "$tmp/scflux/balance.csv"
  expect 0 '^AMP,' -- sed -n 2p "$tmp/scflux/balance.csv"
  expect 0 '^5,' -- tail -1 "$tmp/scflux/loss.csv"
  expect 0 '^M_1	Glucose_G6P	ADPGK	G6PC' -- head -1 "$tmp/scflux/modules.gmt"
  expect 0 '^M_1,Glucose_G6P,Glucose,G6P,1,10$' -- sed -n 2p "$tmp/scflux/module_info.csv"
  expect 0 '<svg' -- head -1 "$tmp/scflux/loss.svg"
  expect 0 '"final_loss"' -- cat "$tmp/scflux/run_info.json"
  expect 0 '^sample,M_1,M_2' -- bash -c "\"$fluxion\" scflux -q -e \"$sc/input/Melissa_full.csv\" ${m168[*]} --epochs 2 --orientation samples-by-modules -o \"$tmp/scflux2\" > /dev/null && head -1 \"$tmp/scflux2/flux.csv\""
  expect 0 '168 modules' -- "$fluxion" scflux -q -e "$sc/input/Melissa_full.csv" --network "$data/scfea/TrustMLRG_SNODEP/GSE_to_di_csv/scFEA_data/m171" --epochs 2 -o "$tmp/scflux3"
  mkfifo "$tmp/expr_fifo.h5ad"
  expect 2 'expr_fifo.h5ad: error: is not a regular file' -- timeout 20 "$fluxion" scflux -q -e "$tmp/expr_fifo.h5ad" "${m168[@]}" --epochs 2 -o "$tmp/scfifo"
  # bad input: the other network's matrix, too few samples, no network, a folder with two networks
  expect 2 'the matrix has 168 columns but .*module_gene_iron_m15.csv lists 15 modules' -- "$fluxion" scflux -q -e "$sc/input/Melissa_full.csv" --module-genes "$sc/data/module_gene_iron_m15.csv" --stoichiometry "$sc/data/cmMat_c70_m168.csv" -o "$tmp/scbad"
  head -1 "$sc/input/Melissa_full.csv" | cut -d, -f1-11 > "$tmp/ten.csv"
  tail -n +2 "$sc/input/Melissa_full.csv" | cut -d, -f1-11 >> "$tmp/ten.csv"
  expect 2 '10 samples; scFEA needs at least 25' -- "$fluxion" scflux -q -e "$tmp/ten.csv" "${m168[@]}" -o "$tmp/scbad"
  expect 0 'loss' -- "$fluxion" scflux -q -e "$tmp/ten.csv" "${m168[@]}" --min-cells 10 --epochs 2 -o "$tmp/scten"
  expect 2 'no network: give --network DIR' -- "$fluxion" scflux -q -e "$tmp/ten.csv" -o "$tmp/scbad"
  expect 2 'more than one module genes file' -- "$fluxion" scflux -q -e "$tmp/ten.csv" --network "$sc/data" -o "$tmp/scbad"
  # the same cells as a 10x matrix directory (features × barcodes, 1-based) and as a space-separated TXT
  mkdir -p "$tmp/mex"
  awk -F, -v dir="$tmp/mex" 'NR == 1 { for (c = 2; c <= NF; c++) { b = $c; gsub(/"/, "", b); print b > (dir "/barcodes.tsv") }; next }
    { g = $1; gsub(/"/, "", g); n++; print "ENSG" n "\t" g "\tGene Expression" > (dir "/features.tsv")
      for (c = 2; c <= NF; c++) if ($c != 0) { e++; line[e] = n " " (c - 1) " " $c } cols = NF - 1 }
    END { print "%%MatrixMarket matrix coordinate real general" > (dir "/matrix.mtx"); print n " " cols " " e > (dir "/matrix.mtx")
          for (i = 1; i <= e; i++) print line[i] > (dir "/matrix.mtx") }' "$sc/input/Melissa_full.csv"
  expect 0 '162 samples, 168 modules \(17 with no gene in the data\), 374 of the network.s 663 genes found' -- "$fluxion" scflux -q -e "$tmp/mex" "${m168[@]}" --epochs 2 -o "$tmp/scmex"
  expect 0 '"directory": "true"' -- cat "$tmp/scmex/run_info.json"
  tr ',' ' ' < "$sc/input/Melissa_full.csv" | sed 's/^"" //' > "$tmp/melissa.txt"
  expect 0 '162 samples, 168 modules \(17 with no gene in the data\), 374 of the network.s 663 genes found' -- "$fluxion" scflux -q -e "$tmp/melissa.txt" "${m168[@]}" --epochs 2 -o "$tmp/sctxt"
  # group comparison: the two plates of the example (tophat-named cells and the others)
  head -1 "$sc/input/Melissa_full.csv" | tr ',' '\n' | tail -n +2 | tr -d '"' | awk 'BEGIN { print "cell\tgroup" } { print $0 "\t" (($0 ~ /_tophat$/) ? "tophat" : "star") }' > "$tmp/labels.tsv"
  expect 0 '2 groups: [0-9]+ \(group, module\) pairs differ at q < 0.05' -- "$fluxion" scflux -q -e "$sc/input/Melissa_full.csv" "${m168[@]}" --epochs 5 --groups "$tmp/labels.tsv" -o "$tmp/scgroups"
  expect 0 '^tophat,M_1,Glucose_G6P,74,88,' -- sed -n 2p "$tmp/scgroups/groups_modules.csv"
  expect 0 '^tophat,AMP,74,.*,(accumulated|depleted|neither)$' -- sed -n 2p "$tmp/scgroups/groups_balance.csv"
  printf 'cell\tgroup\nA7_tophat\tx\nA7_tophat\ty\n' > "$tmp/badlabels.tsv"
  expect 2 "badlabels.tsv:3:1: error: cell 'A7_tophat' already has a label \\(line 2\\)" -- "$fluxion" scflux -q -e "$sc/input/Melissa_full.csv" "${m168[@]}" --groups "$tmp/badlabels.tsv" -o "$tmp/scbad"
  # a network derived from a genome-scale model (unbranched reaction chains), and its files read back as a network
  expect 0 'network derived from .*RECON1.xml.gz: [0-9]+ modules \([0-9]+ chains of several reactions' -- "$fluxion" scflux -q -e "$sc/input/Melissa_full.csv" -m "$data/bigg/RECON1.xml.gz" --epochs 2 -o "$tmp/screcon"
  expect 0 '^M_id,M_name,C_in,C_out,SM_id,genes_listed$' -- head -1 "$tmp/screcon/module_info.csv"
  expect 0 '162 samples, [0-9]+ modules' -- "$fluxion" scflux -q -e "$sc/input/Melissa_full.csv" --network "$tmp/screcon" --epochs 2 -o "$tmp/screcon2"
  expect 2 'give one network' -- "$fluxion" scflux -q -e "$sc/input/Melissa_full.csv" -m "$data/bigg/RECON1.xml.gz" --network "$tmp/screcon" -o "$tmp/scbad"
  expect 0 'MAGIC \(knn 5, t 3\), then log2' -- "$fluxion" scflux -q -e "$sc/input/Melissa_full.csv" "${m168[@]}" --impute --epochs 2 -o "$tmp/scmagic"
  expect 0 '"imputation": "MAGIC' -- cat "$tmp/scmagic/run_info.json"
  printf 'gene,c1\nADPGK,x\n' > "$tmp/badcells.csv"
  expect 2 'badcells.csv:2:7: error' -- "$fluxion" scflux -q -e "$tmp/badcells.csv" "${m168[@]}" -o "$tmp/scbad"
fi

# dynamics: the synthetic series, a short training, predictions at unseen days, and bad input
expect 0 '1335 cells over 16 days, 24 genes \([0-9.]+% zero counts\), 6 modules, 4 metabolites' -- "$fluxion" dynamics synthesize -o "$tmp/syn" --seed 3
expect 0 '^"","c1","c2"' -- bash -c "zcat '$tmp/syn/expression/d0.csv.gz' | head -1"
expect 0 'nodep \(encoder mlp, latent normal, likelihood normal, 6 flux features, 29792 parameters\)' -- "$fluxion" dynamics train -q -d "$tmp/syn/flux" --data-kind flux --model nodep --epochs 3 --trajectories 200 --test-trajectories 50 --solver rk4 --step 0.1 -o "$tmp/dyn"
expect 0 'fresh held-out trajectories MSE [0-9.]+ \(floor [0-9.]+\)' -- "$fluxion" dynamics train -q -d "$tmp/syn/expression" --epochs 2 --trajectories 200 --test-trajectories 50 --solver rk4 --step 0.1 -o "$tmp/dyn_counts"
expect 0 '^set,day,mse,floor,day_mean_mse,w1_sum_over_features,w1_exact$' -- head -1 "$tmp/dyn/day_metrics.csv"
expect 0 '"never trained on"' -- cat "$tmp/dyn/summary.json"
expect 0 '"protocol": ".*pseudo-trajectories' -- cat "$tmp/dyn/run_info.json"
expect 0 '50 trajectories at 3 days' -- "$fluxion" dynamics predict -m "$tmp/dyn" -c "$tmp/syn/flux" --days 0,20,30 -n 50 -o "$tmp/dyn_pred"
expect 0 '^30,"M_6",' -- tail -1 "$tmp/dyn_pred/summary.csv"
expect 0 'd30.csv.gz' -- ls "$tmp/dyn_pred/samples"
expect 2 'holds no per-day tables' -- "$fluxion" dynamics train -q -d "$tmp/syn" -o "$tmp/dynbad"
expect 2 'not non-negative integers; the Poisson likelihood needs raw counts' -- "$fluxion" dynamics train -q -d "$tmp/syn/flux" -o "$tmp/dynbad"
expect 2 '--target.*the data have 16 days' -- "$fluxion" dynamics train -q -d "$tmp/syn/flux" --data-kind flux --target 20 -o "$tmp/dynbad"
expect 2 'no day 0' -- bash -c "mkdir -p '$tmp/late' && cp '$tmp/syn/flux/d5.csv.gz' '$tmp/syn/flux/d6.csv.gz' '$tmp/late/' && '$fluxion' dynamics predict -m '$tmp/dyn' -c '$tmp/late' -o '$tmp/dynbad'"
expect 2 'day 1 of data has 1 cell\(s\): too few to hold some out' -- bash -c "mkdir -p '$tmp/tiny' && printf '\"\",\"c1\",\"c2\"\n\"G1\",1,2\n' > '$tmp/tiny/d0.csv' && printf '\"\",\"c1\"\n\"G1\",3\n' > '$tmp/tiny/d1.csv' && '$fluxion' dynamics train -q -d '$tmp/tiny' --context 1 --target 2 --trajectories 100 --test-trajectories 10 -o '$tmp/dynbad'"
expect 2 'features differ from the model' -- "$fluxion" dynamics predict -m "$tmp/dyn" -c "$tmp/syn/balance" -o "$tmp/dynbad"
expect 2 'no model.json' -- "$fluxion" dynamics predict -m "$tmp/syn" -c "$tmp/syn/flux" -o "$tmp/dynbad"
# scFEA per day and knockouts on the synthetic network
expect 0 '6 configurations \(all_genes and 5 knockouts of the top 8 expressed genes\): 30 flux rows and 28 balance rows' -- "$fluxion" dynamics scfea -d "$tmp/syn/expression" -n "$tmp/syn/network" --knockouts 5 --top-genes 8 --max-knockout 4 --epochs 5 -o "$tmp/synko"
expect 0 '^ko_1,G' -- sed -n 2p "$tmp/synko/knockouts.csv"
expect 0 'tested on the held-out configuration ko_5' -- "$fluxion" dynamics train -q --configurations "$tmp/synko/flux_knockout" --test-configuration ko_5 --data-kind flux --model snodep --epochs 2 --trajectories 200 --test-trajectories 50 --solver rk4 --step 0.1 -o "$tmp/dynko"
expect 0 'as the reference draws them \(numpy RandomState\(42\), pandas sample\)' -- "$fluxion" dynamics train -q -d "$tmp/syn/flux" --data-kind flux --model np --epochs 1 --trajectories 200 --test-trajectories 50 --holdout 0 --reference-draw -o "$tmp/dynref"
expect 0 'numpy RandomState\(7\)' -- "$fluxion" dynamics train -q -d "$tmp/syn/flux" --data-kind flux --model np --epochs 1 --trajectories 200 --test-trajectories 50 --holdout 0 --reference-draw --reference-draw-seed 7 -o "$tmp/dynref7"
expect 2 '--reference-draw.*give --holdout 0' -- "$fluxion" dynamics train -q -d "$tmp/syn/flux" --data-kind flux --reference-draw -o "$tmp/dynbad"
expect 2 'reference_draw.*covers one series' -- "$fluxion" dynamics train -q --configurations "$tmp/synko/flux_knockout" --test-configuration ko_5 --data-kind flux --holdout 0 --reference-draw --epochs 1 -o "$tmp/dynbad"
expect 2 "is 'ko_9', which is not among the configurations" -- "$fluxion" dynamics train -q --configurations "$tmp/synko/flux_knockout" --test-configuration ko_9 --data-kind flux -o "$tmp/dynbad"

# --format means one thing wherever a command has it: what goes to standard output. tsv
# prints the results file itself and nothing else; table adds an aligned table to the summary.
same_stdout_as_file() {  # FILE COMMAND...: the command's stdout is FILE's bytes
  local file=$1
  shift
  if cmp -s <("$@" 2>/dev/null) "$file"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: stdout of $* differs from $file"; fi
}
"$fluxion" -q fit -m simple -i "$repo/examples/simple/mids.tsv" --mid-sd 0.01 --starts 2 -o "$tmp/fmt_fit0" > /dev/null 2>&1
same_stdout_as_file "$tmp/fmt_fit0/fluxes.tsv" "$fluxion" -q fit -m simple -i "$repo/examples/simple/mids.tsv" --mid-sd 0.01 --starts 2 -o "$tmp/fmt_fit" --format tsv
same_stdout_as_file "$tmp/fmt_fit/fluxes.tsv" cat "$tmp/fmt_fit0/fluxes.tsv"
expect 0 '^SSR .* statistically acceptable' -- bash -c "\"$fluxion\" -q fit -m simple -i \"$repo/examples/simple/mids.tsv\" --mid-sd 0.01 --starts 2 -o \"$tmp/fmt_fit\" --format tsv 2>&1 >/dev/null"
expect 0 '^v2 +[0-9.]+ +[0-9.]+ +[0-9.]+$' -- "$fluxion" -q fit -m simple -i "$repo/examples/simple/mids.tsv" --mid-sd 0.01 --starts 2 -o "$tmp/fmt_fit" --format table
"$fluxion" -q fba -m simple --objective v5 -o "$tmp/fmt_fba0" > /dev/null 2>&1
same_stdout_as_file "$tmp/fmt_fba0/fluxes.tsv" "$fluxion" -q fba -m simple --objective v5 -o "$tmp/fmt_fba" --format tsv
expect 0 '^v5 +1 +[0-9.e-]+ +[0-9.e-]+$' -- "$fluxion" -q fba -m simple --objective v5 --fva -o "$tmp/fmt_fba" --format table
"$fluxion" -q predict -p simple -i "$repo/examples/simple/mids.tsv" -o "$tmp/fmt_pred" --format tsv > "$tmp/fmt_pred.out" 2>/dev/null
same_stdout_as_file "$tmp/fmt_pred/fluxes.tsv" cat "$tmp/fmt_pred.out"
expect 2 '^error: --format: xml not in \{summary,table,tsv\}' -- "$fluxion" fit -m simple -i "$repo/examples/simple/mids.tsv" -o "$tmp/fmt_bad" --format xml

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
