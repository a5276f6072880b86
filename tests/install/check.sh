#!/usr/bin/env bash
# Usage: check.sh BUILD_DIR CONSUMER_SOURCE_DIR CXX [CXX_FLAGS [LINKER_FLAGS]]
# 1. `cmake --install BUILD_DIR` into a temporary prefix;
# 2. configures, builds and runs the consumer project against that prefix
#    only (find_package(troupe CONFIG REQUIRED));
# 3. compiles every installed header alone (-fsyntax-only), two at a time.
set -euo pipefail
build=$1 consumer=$2 cxx=$3 cxx_flags=${4:-} ld_flags=${5:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/troupe-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log"
cmake -S "$consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_EXE_LINKER_FLAGS="$ld_flags" \
  >"$tmp/configure.log" ||
  { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/consumer" -j2 >"$tmp/build.log" 2>&1 ||
  { tail -n 40 "$tmp/build.log"; exit 1; }
"$tmp/consumer/consumer" "$tmp/data"

headers=$(cd "$tmp/prefix/include" && find troupe -name '*.hpp' | sort)
count=$(wc -w <<<"$headers")
((count > 20)) || { echo "only $count headers installed"; exit 1; }
export CXX_BIN=$cxx PREFIX=$tmp/prefix
# shellcheck disable=SC2016 # expanded by the inner shell
xargs -n1 -P2 sh -c '"$CXX_BIN" -std=c++17 -fsyntax-only -DMSGPACK_NO_BOOST \
  -DBOOST_BEAST_USE_STD_STRING_VIEW -I"$PREFIX/include" -x c++ - \
  <<EOF || { echo "header $0 does not compile on its own"; exit 255; }
#include <$0>
EOF' <<<"$headers"
echo "install check: consumer ran, $count headers compile on their own"
