#!/usr/bin/env bash
# Configures and builds a CMake preset (default: release), then the web front end into
# build/<preset>/web (npm packages from the registry, pinned by web/package-lock.json).
#   usage: scripts/build.sh [preset]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
if [ "$preset" != fuzz ]; then
  if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    # `npm install` (which follows package-lock.json) rather than `npm ci`: with this machine's
    # omit-lockfile-registry-resolved setting npm 11 writes locks that its own `npm ci` rejects
    # (the other platforms' optional rollup binaries are left out of the lock)
    (cd web && npm install --no-audit --no-fund --loglevel=error)
  fi
  (cd web && FLUXION_WEB_OUT="$PWD/../build/$preset/web" npm run --silent build >/dev/null)
  echo "build: web front end in build/$preset/web"
fi
