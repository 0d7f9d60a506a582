#!/usr/bin/env bash
# Configures and builds a CMake preset (default: release), then the web front end into
# build/<preset>/web (npm packages from the registry, pinned by web/package-lock.json). The
# release build's Python package is made importable (`import fluxion`) by a fluxion.pth in
# Debian python3's site directory (or the user's, without root) that points at
# build/release/python.
#   usage: scripts/build.sh [preset]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
if [ "$preset" = release ] && [ -d "build/$preset/python/fluxion" ]; then
  py=$(sed -n 's/^Python3_EXECUTABLE:FILEPATH=//p' "build/$preset/CMakeCache.txt")
  py=${py:-/usr/bin/python3}
  site=$("$py" -c 'import site; print(site.getsitepackages()[0])')
  if ! { mkdir -p "$site" 2>/dev/null && [ -w "$site" ]; }; then site=$("$py" -m site --user-site); mkdir -p "$site"; fi
  echo "$PWD/build/$preset/python" > "$site/fluxion.pth"
  echo "build: $py imports fluxion from build/$preset/python ($site/fluxion.pth)"
fi
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
