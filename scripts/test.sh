#!/usr/bin/env bash
# Installs what is missing, builds the release preset and runs the whole
# test suite (unit, end-to-end, durability, supervision) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
scripts/build.sh release
ctest --preset release --timeout 300 -j2
