#!/usr/bin/env bash
# Installs the Debian packages troupe needs to build and run it; with
# --tests also what only the tests need (promtool, and the dashboard's
# browser test: chromium, node and its npm packages). Idempotent and silent
# when nothing is missing. Run as root (or with sudo available).
#
# Usage: scripts/install-deps.sh [--tests]
set -euo pipefail

tests=false
case "${1:-}" in
  "") ;;
  --tests) tests=true ;;
  *)
    echo "usage: scripts/install-deps.sh [--tests]" >&2
    exit 2
    ;;
esac

packages=(
  g++ make cmake ccache pkg-config curl
  libcaf-dev            # C++ Actor Framework 0.17.6 (caf_core, caf_io)
  libboost-dev          # Boost.Beast / Asio 1.74 (header-only)
  libmsgpack-cxx-dev    # msgpack-c for stored state
  liblmdb-dev           # LMDB
  libtomlplusplus-dev   # TOML config
  nlohmann-json3-dev    # JSON at the HTTP edge
  libsimdjson-dev       # fast parsing of hot request bodies
  libjemalloc-dev       # allocator of the troupe binary
  libxxhash-dev         # shard placement hashing
  libssl-dev            # MD5 for shortlinks, AES-256-GCM for Mint's passwords, TLS
  libgumbo-dev          # HTML parsing for the crawler
  openssl               # the CLI: Mint keys (cluster-up.sh), test certificates
  libcli11-dev          # command line
  libgtest-dev googletest
  # The partition lab (tests/fault, docs/development.md): nft drop rules
  # between network namespaces, and etcd as the membership's configuration
  # manager. iproute2 (`ip netns`) is part of every Debian install.
  iproute2 nftables etcd-server
  # The crawler's end-to-end tests (tests/e2e/doc_site.hpp) crawl the
  # PostgreSQL documentation (~1170 HTML pages) served by their own nginx.
  nginx postgresql-doc-15
)
if $tests; then
  # promtool lints /metrics in the dashboard's end-to-end test; it ships
  # only in Debian's prometheus package.
  packages+=(prometheus)
  # The dashboard's browser test: chromium, node and its npm packages.
  "$(dirname "${BASH_SOURCE[0]}")/install-browser-deps.sh"
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
echo "troupe: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# etcd-server's package starts a system etcd on 127.0.0.1:2379 where systemd
# runs. troupe never uses it: local-3 and the tests start their own etcd (on
# other ports, with their own data), so stop and disable that service.
if [[ " ${missing[*]} " == *" etcd-server "* ]]; then
  "${sudo_cmd[@]}" systemctl disable --now etcd >/dev/null 2>&1 ||
    "${sudo_cmd[@]}" service etcd stop >/dev/null 2>&1 || true
fi

# prometheus's package starts a Prometheus server (and node exporter) where
# systemd runs. troupe only needs promtool, so stop them.
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
  for svc in prometheus prometheus-node-exporter; do
    "${sudo_cmd[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 ||
      "${sudo_cmd[@]}" service "$svc" stop >/dev/null 2>&1 || true
  done
fi

# nginx's package starts a system nginx on port 80. The tests never use it:
# they start their own from a temporary prefix (on other ports), so stop it.
if [[ " ${missing[*]} " == *" nginx "* ]]; then
  "${sudo_cmd[@]}" systemctl disable --now nginx >/dev/null 2>&1 ||
    "${sudo_cmd[@]}" service nginx stop >/dev/null 2>&1 || true
  "${sudo_cmd[@]}" nginx -s stop >/dev/null 2>&1 || true
fi
