#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (preset 'fuzz') and runs each one for a while
# on a copy of its seed corpus.   usage: scripts/fuzz.sh [seconds per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
targets=(reaction_tsv fluxml sbml cobra_json mfapy tracer_table mid_table intensity_table isotope_table constraint_table mfapy_data freeflux reference_table expression_table bounds_table scfea_network cell_matrix request_path feature_table keras)
# only the fuzz targets: clang 14 cannot compile Debian's LibTorch headers with libstdc++ 12
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target "${targets[@]/#/fuzz_}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for target in "${targets[@]}"; do
  mkdir -p "$work/$target"
  cp tests/fuzz/corpus/$target/* "$work/$target/"
  echo "== fuzz_$target (${seconds}s)"
  if ! build/fuzz/tests/fuzz/fuzz_$target "$work/$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
       -artifact_prefix="build/fuzz/crash-$target-" -print_final_stats=1 2>&1 | tail -5; then
    status=1
  fi
done
exit $status
