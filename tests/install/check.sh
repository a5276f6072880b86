#!/usr/bin/env bash
# Usage: check.sh BUILD_DIR CONSUMER_SOURCE_DIR CXX [CXX_FLAGS [LINKER_FLAGS]]
# 1. `cmake --install BUILD_DIR` into a temporary prefix;
# 2. configures, builds and runs the consumer project against that prefix
#    only (find_package(troupe CONFIG REQUIRED));
# 3. builds examples/embedded_counter and examples/custom_route the same way
#    and runs them: the counter survives a second run on the same data dir;
#    the custom route answers over HTTP (curl) and keeps its count across a
#    restart;
# 4. compiles every installed header alone (-fsyntax-only), two at a time.
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

examples=$(cd "$(dirname "$0")/../../examples" && pwd)
build_example() { # NAME: configure and build examples/NAME against the prefix
  cmake -S "$examples/$1" -B "$tmp/$1" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_EXE_LINKER_FLAGS="$ld_flags" \
    >"$tmp/$1-configure.log" || { cat "$tmp/$1-configure.log"; exit 1; }
  cmake --build "$tmp/$1" -j2 >"$tmp/$1-build.log" 2>&1 ||
    { tail -n 40 "$tmp/$1-build.log"; exit 1; }
}
expect() { # WHAT GOT WANT
  [[ $2 == "$3" ]] || { echo "$1: got '$2', want '$3'"; exit 1; }
}

build_example embedded_counter
counter=$tmp/embedded_counter/embedded_counter
expect "first run" "$("$counter" "$tmp/counter-data" visits other | tr '\n' ' ')" "visits=1 other=1 "
expect "second run" "$("$counter" "$tmp/counter-data" visits | tr '\n' ' ')" "visits=2 "

build_example custom_route
route_pid=""
start_route() { # starts custom_route on a free port; sets route_url
  "$tmp/custom_route/custom_route" "$tmp/route-data" 0 >"$tmp/route.log" 2>&1 &
  route_pid=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -nE 's|.*custom_route serving on http://127.0.0.1:([0-9]+).*|\1|p' "$tmp/route.log")
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { cat "$tmp/route.log"; exit 1; }
  route_url=http://127.0.0.1:$port
}
stop_route() { kill -TERM "$route_pid"; wait "$route_pid"; }
trap '[[ -n $route_pid ]] && kill -KILL "$route_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
start_route
post() { curl -sS -o "$tmp/body" -w '%{http_code} ' -XPOST --data "$1" "$route_url/counter/api/v1/increment"; cat "$tmp/body"; }
expect "increment" "$(post '{"key":"visits"}')" '200 {"key":"visits","value":1}'
expect "increment by 4" "$(post '{"key":"visits","by":4}')" '200 {"key":"visits","value":5}'
expect "bad JSON" "$(post '{"key":' | cut -c1-3)" '400'
expect "by not an integer" "$(post '{"key":"visits","by":"x"}' | cut -c1-3)" '400'
expect "by too large" "$(post '{"key":"visits","by":18446744073709551615}' | cut -c1-3)" '400'
stop_route
start_route
expect "value after restart" "$(curl -sS "$route_url/counter/api/v1/value?key=visits")" '{"key":"visits","value":5}'
stop_route
route_pid=""

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
echo "install check: consumer and examples ran, $count headers compile on their own"
