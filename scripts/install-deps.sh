#!/usr/bin/env bash
# Installs every Debian 12 package fluxion needs to build, run and test.
# Idempotent and non-interactive; run as root (or through sudo).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo -E bash "$0" "$@"; fi
  echo "install-deps: run as root (apt-get needs it)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev          # libFuzzer targets and sanitizers
  # numerics
  libeigen3-dev libsuitesparse-dev libgmp-dev coinor-libclp-dev libboost-dev
  libblas-dev                       # dgemm (OpenBLAS from libopenblas0-openmp at run time)
  libnlopt-dev                      # SLSQP: constrained least-squares MFA
  coinor-libipopt-dev               # quadratic MoMA (interior point)
  coinor-libcbc-dev                 # iMAT (mixed-integer LP)
  # formats
  libpugixml-dev libsbml5-dev nlohmann-json3-dev zlib1g-dev libssl-dev libhdf5-dev hdf5-tools libhnswlib-dev
  # neural networks (CPU LibTorch); OpenBLAS replaces the reference BLAS libtorch would
  # otherwise get (12x faster training, docs/benchmarks.md)
  libtorch-dev libopenblas0-openmp
  # several hosts
  libopenmpi-dev openmpi-bin
  # command line and logging
  libcli11-dev libspdlog-dev libfmt-dev
  # the web service: HTTP server, job stores (SQLite; PostgreSQL for several hosts, and its
  # server for the tests), the browser the front-end tests drive
  libcpp-httplib-dev libsqlite3-dev libpqxx-dev postgresql chromium
  # tests and benchmarks (python3: the docs examples' extraction, the include check, bad-input cases)
  libgtest-dev libgmock-dev libbenchmark-dev python3
  # the Python package (pybind11 module) and what its tests compare with: cobrapy, AnnData
  python3-dev pybind11-dev python3-pybind11 python3-numpy python3-pandas python3-scipy
  python3-pytest python3-anndata python3-cobra python3-h5py
  # the example notebooks (examples/notebooks), executed by the tests
  python3-matplotlib python3-nbformat python3-nbconvert python3-ipykernel jupyter-nbconvert
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# the front end is built with Node.js and npm (packages from the npm registry); Debian's
# nodejs/npm when the machine has none of its own
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
