#!/usr/bin/env bash
# Rebuilds the trained predictor packages of the built-in models in models/predictors/
# (MODEL.fluxpkg, and MODEL/ with the loss curve, error tables and run_info.json).
# Seeded: the same LibTorch, BLAS and thread count give the same weights. The recipes are in
# scripts/predictor-recipes.sh. A training interrupted (or paused with TRAIN_TIME_LIMIT
# minutes) continues from its checkpoint when the script is run again with the same WORK.
# An ensemble recipe (ccm) trains each member in WORK/train_MODEL_memberK, then joins them
# with fluxion ensemble.
# Times on 2 cores are in docs/benchmarks.md ("ML-Flux: shipped predictor packages").
#   usage: scripts/train-predictors.sh [RECIPE ...]      (default: the five built-in models; also simple_time_course)
#   env:   FLUXION=path/to/fluxion   WORK=directory for datasets and runs (kept)
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${FLUXION:-build/release/apps/fluxion/fluxion}
work=${WORK:-$(mktemp -d)}
out=models/predictors
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(simple upper_glycolysis glycolysis glyppp ccm)
source scripts/predictor-recipes.sh
mkdir -p "$out"
for m in "${models[@]}"; do
  predictor_recipe "$m" || exit 2
  if [ ! -f "$work/data_$m/manifest.json" ]; then
    "$fluxion" dataset -m "$model" "${data[@]}" --seed 1 --threads 1 -o "$work/data_$m"
  fi
  train_one() {  # train_one DIR [OPTIONS...]: a training, continued from its checkpoint when one is there
    local dir=$1 resume=() base=() i
    shift
    for ((i = 0; i < ${#train[@]}; i++)); do  # the recipe's options, less those OPTIONS set again
      if [[ ${train[$i]} == --* && " $* " == *" ${train[$i]} "* ]]; then
        [[ $((i + 1)) -lt ${#train[@]} && ${train[$((i + 1))]} != --* ]] && i=$((i + 1))
        continue
      fi
      base+=("${train[$i]}")
    done
    [ -f "$dir/checkpoint.pt" ] && [ ! -f "$dir/predictor.fluxpkg" ] && resume=(--resume)
    "$fluxion" train -d "$work/data_$m" -o "$dir" "${base[@]}" "$@" "${resume[@]}" ${TRAIN_TIME_LIMIT:+--time-limit "$TRAIN_TIME_LIMIT"}
  }
  if [ ${#members[@]} -eq 0 ]; then
    train_one "$work/train_$m" --seed 1
  else
    paused=0 joined=()
    for k in "${!members[@]}"; do
      read -r seed hidden threads extra <<<"${members[$k]}"
      read -r -a extra <<<"${extra:-}"  # options of this member only (they replace the recipe's)
      dir="$work/train_${m}_member$((k + 1))"
      train_one "$dir" --seed "$seed" --hidden "$hidden" --threads "$threads" "${extra[@]}"
      [ -f "$dir/predictor.fluxpkg" ] || paused=1
      joined+=(--member "$dir/predictor.fluxpkg")
    done
    [ $paused -eq 0 ] && [ ! -f "$work/train_$m/predictor.fluxpkg" ] && "$fluxion" ensemble -d "$work/data_$m" "${joined[@]}" -o "$work/train_$m"
  fi
  [ -f "$work/train_$m/predictor.fluxpkg" ] || { echo "train-predictors: $m paused; run again with WORK=$work to continue"; continue; }
  cp "$work/train_$m/predictor.fluxpkg" "$out/$m.fluxpkg"
  rm -rf "${out:?}/$m"  # no table of an older training stays beside the new package
  mkdir -p "$out/$m"
  for f in loss.tsv fine_tune_loss.tsv pcnn_loss.tsv test_errors.tsv error_tables.tsv vssr_acceptance.tsv run_info.json; do
    [ -f "$work/train_$m/$f" ] && cp "$work/train_$m/$f" "$out/$m/"
    for k in "${!members[@]}"; do  # an ensemble's members: their own curves and records
      [ -f "$work/train_${m}_member$((k + 1))/$f" ] && cp "$work/train_${m}_member$((k + 1))/$f" "$out/$m/member$((k + 1))_$f"
    done
  done
  echo "train-predictors: wrote $out/$m.fluxpkg ($(du -h "$out/$m.fluxpkg" | cut -f1))"
done
