#!/usr/bin/env bash
# Seconds per training epoch (10 batches of 100 trajectories and one evaluation of 200; dopri5
# rtol 1e-7, atol 1e-9; 1 thread) for NP, NODEP, SNODEP (LSTM) and SNODEP with the GRU-ODE
# encoder (irregular, frequency 0.8), and the Latent ODE and RNN-VAE baselines, on each pathway's
# gene expression and on syn-small.
# Prints a markdown table of the median over the epochs of each run.
# Usage: bench/dynamics_epoch.sh <fluxion binary> <work dir> [epochs=10]
set -euo pipefail
fluxion=$(readlink -f "$1")
work=$2
epochs=${3:-10}
data=$(cd "$(dirname "$0")/../../shared/data/snodep/gene_expression" && pwd)
mkdir -p "$work"
[ -d "$work/syn/expression" ] || "$fluxion" dynamics synthesize -o "$work/syn" > /dev/null
echo "| data | features | NP | NODEP | SNODEP (LSTM) | SNODEP (GRU-ODE, frequency 0.8) | Latent ODE | RNN-VAE |"
echo "|---|---|---|---|---|---|---|---|"
for pw in syn-small mhc-i m171 ironion glucose-tcacycle; do
  dir=$data/$pw
  [ "$pw" = syn-small ] && dir=$work/syn/expression
  row="| $pw |"
  features=""
  for variant in "np" "nodep" "snodep" "snodep --frequency 0.8" "lode" "rnn-vae"; do
    out=$work/$pw-${variant// /_}
    "$fluxion" dynamics train -q -d "$dir" --model $variant --epochs "$epochs" --w1-samples 0 --threads 1 -o "$out" > /dev/null
    s=$(grep -o '"median_seconds_per_epoch": [0-9.e-]*' "$out/summary.json" | cut -d' ' -f2)
    features=$(grep -o '[0-9]* expression features' "$out/summary.json" | head -1 | cut -d' ' -f1)
    row="$row $(printf '%.2f' "$s") |"
  done
  echo "${row/| $pw |/| $pw | $features |}"
done
