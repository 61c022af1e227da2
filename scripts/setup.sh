#!/usr/bin/env bash
# Installs what prereg needs from Debian 12's packages (only what is missing), then configures
# and builds. Extra CMake arguments come from PREREG_CMAKE_ARGS; the build directory from
# PREREG_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ make pkg-config nlohmann-json3-dev libfmt-dev catch2 libboost-dev libcli11-dev
          libhiredis-dev libyaml-dev libssl-dev libjemalloc-dev redis-server prometheus-cpp-dev
          wrk curl jsonnet openssl)
# Node may come from Debian (nodejs, >= 18, and npm) or be installed already by other means.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

bash scripts/install-packages.sh "${packages[@]}"

# The migration tool's JavaScript dependencies, exactly as the committed lockfile pins them.
if [ ! -f migration/js/node_modules/.package-lock.json ] ||
   [ migration/js/package-lock.json -nt migration/js/node_modules/.package-lock.json ]; then
  (cd migration/js && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# Test dependencies, each pinned by its lockfile: auth0-deploy-cli, whose own loaders check what
# `prereg migrate EXPORT` writes, and the platforms' reference code the front doors are tested with.
for dir in tests/deploy-cli tests/frontdoors; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
done

build_dir="${PREREG_BUILD_DIR:-build}"
# shellcheck disable=SC2086  # PREREG_CMAKE_ARGS is a list of arguments
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${PREREG_BUILD_TYPE:-RelWithDebInfo}" \
  ${PREREG_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
