#!/usr/bin/env bash
# Installs what is missing, builds, and runs a node in the foreground on the
# embedded default: HTTP on 127.0.0.1:8080, data in ./data. Extra arguments
# go to `troupe run` (e.g. --http 127.0.0.1:9090). Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
exec build/release/app/troupe run "$@"
