#!/usr/bin/env bash
# Least-squares MFA of Park et al. 2016 (mammalian cells, [1,2-13C2]glucose, [U-13C6]glucose
# and [U-13C5]glutamine in parallel): prepares the inputs (examples/park2016/prepare.sh),
# fits, and prints the fit's verdict, how many starts reached the best SSR, and the
# central-carbon net fluxes of the [1,2-13C2] copy (the copies are tied together).
#   usage: bench/fit_park2016.sh [fluxion binary] [shared data dir] [sampled starts, default fluxion's 10 (and as many perturbed)] [threads, default 2] [out dir]
#   SD_FLOOR=0.025 (passed on to prepare.sh) floors every fraction's SD there: the fit is then accepted
set -euo pipefail
cd "$(dirname "$0")/.."
fluxion=${1:-build/release/apps/fluxion/fluxion}
data=${2:-../shared/data}
starts=${3:-10}
threads=${4:-2}
out=${5:-$(mktemp -d)}
pk="$data/mfa/park2016/mammalia"
bash examples/park2016/prepare.sh "$pk" "$out/inputs"
t0=$(date +%s.%N)
"$fluxion" fit -m "$pk/mammalia.xml" -i "$out/inputs/mids.tsv" -e "$out/inputs/tracers.tsv" \
  --constraints "$out/inputs/constraints.txt" --measured-fluxes "$out/inputs/fluxes.tsv" \
  --starts "$starts" --threads "$threads" -o "$out/fit" 2>&1 | grep -v '^fit ' | tail -3
t1=$(date +%s.%N)
printf 'wall time %.1f s (%d sampled and %d perturbed starts, %d threads, load included)\n' "$(echo "$t1 - $t0" | bc -l)" "$starts" "$starts" "$threads"
awk -F'\t' 'NR > 1 { s[NR] = $3 + 0; if (best == "" || $3 + 0 < best) best = $3 + 0 }
  END { for (i in s) if (s[i] <= best * 1.01) n++; for (i in s) if (s[i] <= best * 2) m++
        printf "starts within 1%% of the best SSR: %d of %d; within 2x: %d\n", n, length(s), m }' "$out/fit/starts.tsv"
printf '\nreaction\tnet\tnet_se\tci95_low\tci95_high\n'
for r in upt pgi pfk gapd pyk g6pdh gnd tkt1 tal pdh pc cs icdh akgdh sucd mdh me ppck PYR_Ala OGA_Glu EX_PYR; do
  awk -F'\t' -v id="${r}_12" '$1 == id { printf "%s\t%s\t%s\t%s\t%s\n", $1, $2, $3, $4, $5 }' "$out/fit/fluxes.tsv"
done
echo "outputs: $out/fit" >&2
