#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (preset 'fuzz') and runs each one for a while on a
# copy of its seed corpus.
#   usage: scripts/fuzz.sh [seconds per target, default 60] [targets run at once, default 1]
#   env:   FUZZ_TARGETS="sbml mid_table" runs only those
# A unit counts as hung after 60 s: with several targets at once on 2 cores under
# AddressSanitizer, 0.3 s units took over 10 s. Each target's log goes to
# build/fuzz/logs/<target>.log, its last lines to the terminal when it fails, and a summary
# (runs, runs/s, coverage, corpus) is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
parallel=${2:-1}
targets=(reaction_tsv fluxml sbml cobra_json mfapy tracer_table mid_table intensity_table isotope_table constraint_table mfapy_data freeflux reference_table expression_table bounds_table scfea_network cell_matrix request_path feature_table keras fragment_formulas ftbl pool_table map_layout)
[ -n "${FUZZ_TARGETS:-}" ] && read -r -a targets <<<"$FUZZ_TARGETS"
# only the fuzz targets: clang 14 cannot compile Debian's LibTorch headers with libstdc++ 12
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target "${targets[@]/#/fuzz_}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
logs=build/fuzz/logs
mkdir -p "$logs"
run_one() {
  local target=$1
  mkdir -p "$work/$target"
  cp tests/fuzz/corpus/$target/* "$work/$target/"
  if build/fuzz/tests/fuzz/fuzz_$target "$work/$target" -max_total_time="$seconds" -max_len=65536 -timeout=60 \
       -artifact_prefix="build/fuzz/crash-$target-" -print_final_stats=1 > "$logs/$target.log" 2>&1; then
    echo "== fuzz_$target: no crash in ${seconds}s"
  else
    echo "== fuzz_$target: FAILED (see $logs/$target.log)"
    tail -20 "$logs/$target.log"
    return 1
  fi
}
status=0
pids=()
for target in "${targets[@]}"; do
  run_one "$target" &
  pids+=($!)
  if (( ${#pids[@]} >= parallel )); then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
# summary: libFuzzer's final stats of each target
printf '%-18s %12s %10s %8s %8s\n' target runs exec/s cov corpus
for target in "${targets[@]}"; do
  log="$logs/$target.log"
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo '?')
  corpus=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo '?')
  printf '%-18s %12s %10s %8s %8s\n' "$target" "$runs" "$rate" "$cov" "$corpus"
done
exit $status
