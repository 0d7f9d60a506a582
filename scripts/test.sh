#!/usr/bin/env bash
# The README's second command (and CI): install dependencies, build, run every test
# except those labelled slow or gpu.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
ctest --preset release
