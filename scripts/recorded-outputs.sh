#!/usr/bin/env bash
# Byte-identical outputs across a refactoring: runs a fixed list of commands (simulate, fit,
# predict, project, fba, scflux, dataset; fixed seeds, one thread) and lists the SHA-256 of
# every file they write, except run_info.json (it holds timings, dates and the git commit).
#
#   bash scripts/recorded-outputs.sh record   # before: writes tests/recorded_outputs.sha256
#   bash scripts/recorded-outputs.sh check    # after: the same files, byte for byte, or a diff
#
# The hashes hold for one machine and one build (compiler, OpenBLAS kernels, LibTorch): record
# and check on the same one. The list is not a ctest for that reason; the CLI and golden tests
# check the same commands with tolerances on every machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
fluxion=${FLUXION:-build/release/apps/fluxion/fluxion}
list=tests/recorded_outputs.sha256
work=$(mktemp -d "${TMPDIR:-/tmp}/fluxion-recorded.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1

run() {  # NAME ARGS...: one command, its outputs under $work/NAME
  local name=$1
  shift
  if ! "$fluxion" -q "$@" -o "$work/$name" > "$work/$name.stdout" 2> "$work/$name.stderr"; then
    echo "recorded-outputs: '$name' failed:" >&2
    cat "$work/$name.stderr" >&2
    exit 1
  fi
}

run simulate simulate -m simple -f examples/simple/true_fluxes.tsv
run simulate_glycolysis simulate -m glycolysis -f examples/glycolysis/true_fluxes.tsv --sensitivities
run fit fit -m simple -i examples/simple/mids.tsv --mid-sd 0.01 --starts 4 --seed 3 --monte-carlo 3
run predict predict -p glycolysis -i examples/glycolysis/mids.tsv
run predict_simple predict -p simple -i examples/simple/mids.tsv --imputer knn
run predict_time_course predict -p simple_time_course -i examples/simple_time_course/mids.tsv
run dataset_time_course dataset -m simple -n 200 --times 0.5,2 --pool-range 0.2,5 --threads 1 --seed 2
run project project -m examples/fbapro_toy/toy.tsv -r examples/fbapro_toy/references.tsv --variant all
data=${FLUXION_DATA:-../shared/data}
ecoli=$data/bigg/e_coli_core.xml.gz
if [ -f "$ecoli" ]; then
  run fba fba -m "$ecoli" --pfba
  run fba_fva fba -m "$ecoli" --fva --fraction 0.9
  run moma moma -m "$ecoli" --knockout PGI
else
  echo "recorded-outputs: no $ecoli; the FBA commands are left out" >&2
fi
sc=$data/scfea/changwn_scFEA
if [ -f "$sc/input/Melissa_full.csv" ]; then
  run scflux scflux -q -e "$sc/input/Melissa_full.csv" --module-genes "$sc/data/module_gene_m168.csv" --stoichiometry "$sc/data/cmMat_c70_m168.csv" \
    --compound-names "$sc/data/cName_c70_m168.csv" --module-info "$sc/data/Human_M168_information.symbols.csv" --epochs 5 --seed 16 --threads 1
else
  echo "recorded-outputs: no scFEA example under $sc; scflux is left out" >&2
fi
run dataset dataset -m simple -n 200 --seed 5 --threads 1

# Timings are masked before hashing: "seconds", "*_s" columns and JSON keys, and "<number> s"
# or "ms" in printed lines. Everything else must match byte for byte.
python3 - "$work" > "$work/hashes" <<'PY'
import hashlib, json, os, re, sys
root = sys.argv[1]
timing_key = re.compile(r'(^|_)(seconds|s|ms)$')
printed = re.compile(r'\b[0-9][0-9.]*(e[-+]?[0-9]+)? ?(s|ms|µs)\b')
def mask_json(v):
    if isinstance(v, dict):
        return {k: ('T' if timing_key.search(k) else mask_json(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [mask_json(x) for x in v]
    return v
def normalised(path, data):
    name = os.path.basename(path)
    if name.endswith('.json'):
        return json.dumps(mask_json(json.loads(data)), sort_keys=False).encode()
    text = data.decode('utf-8', 'replace')
    if name.endswith('.tsv') or name.endswith('.csv'):
        sep = '\t' if name.endswith('.tsv') else ','
        lines = text.split('\n')
        head = lines[0].split(sep)
        masked = [i for i, h in enumerate(head) if timing_key.search(h)]
        if masked:
            for n in range(1, len(lines)):
                cells = lines[n].split(sep)
                for i in masked:
                    if i < len(cells): cells[i] = 'T'
                lines[n] = sep.join(cells)
            return '\n'.join(lines).encode()
        return data
    if name.endswith('.stdout'):
        return printed.sub('T s', text).encode()
    return data
files = []
for d, _, names in os.walk(root):
    for n in names:
        p = os.path.join(d, n)
        rel = os.path.relpath(p, root)
        if n in ('run_info.json', 'dataset.h5', 'hashes', 'diff') or n.endswith('.stderr'):
            continue
        files.append(rel)
for rel in sorted(files):
    with open(os.path.join(root, rel), 'rb') as f:
        print(hashlib.sha256(normalised(rel, f.read())).hexdigest() + '  ' + rel)
PY
case $mode in
  record)
    { echo "# scripts/recorded-outputs.sh record on $(uname -m), $(date -u +%F), commit $(git rev-parse --short HEAD)"; cat "$work/hashes"; } > "$list"
    echo "recorded-outputs: $(wc -l < "$work/hashes") files recorded in $list"
    ;;
  check)
    if diff <(grep -v '^#' "$list") "$work/hashes" > "$work/diff"; then
      echo "recorded-outputs: all $(wc -l < "$work/hashes") files byte-identical"
    else
      echo "recorded-outputs: outputs differ from $list:" >&2
      cat "$work/diff" >&2
      exit 1
    fi
    ;;
  *) echo "usage: $0 record|check" >&2; exit 2 ;;
esac
