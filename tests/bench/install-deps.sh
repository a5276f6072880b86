#!/usr/bin/env bash
# Installs what the load benchmarks need: wrk (load generator), nginx (the
# reference server of the read benchmark), redis-server + redis-tools
# (redis-cli, redis-benchmark: the reference of the cache benchmarks) and
# python3-igraph (the reference of the social graph benchmark, for Debian's
# /usr/bin/python3), wget and the documentation trees the crawler benchmark
# serves as its site (postgresql-doc-15, python3.11-doc,
# cppreference-doc-en-html).
# Debian packages via apt-get, idempotent: prints nothing and changes nothing
# when everything is already installed.
# Never leaves a system nginx or redis running (the packages' postinst
# scripts start one).
set -euo pipefail

installed() { dpkg -s "$1" >/dev/null 2>&1; }

missing=()
installed wrk && command -v wrk >/dev/null 2>&1 || missing+=(wrk)
# Any Debian nginx flavour will do (on Debian 12 nginx-light is a
# transitional package for nginx).
nginx_ok=false
for p in nginx nginx-light nginx-core nginx-full nginx-extras; do
  installed "$p" && nginx_ok=true
done
$nginx_ok && command -v nginx >/dev/null 2>&1 || missing+=(nginx)
installed redis-server && command -v redis-server >/dev/null 2>&1 ||
  missing+=(redis-server)
installed redis-tools && command -v redis-benchmark >/dev/null 2>&1 ||
  missing+=(redis-tools)
installed python3-igraph && /usr/bin/python3 -c 'import igraph' >/dev/null 2>&1 ||
  missing+=(python3-igraph)
installed wget && command -v wget >/dev/null 2>&1 || missing+=(wget)
for p in postgresql-doc-15 python3.11-doc cppreference-doc-en-html; do
  installed "$p" || missing+=("$p")
done

((${#missing[@]} == 0)) && exit 0

SUDO=
[[ $(id -u) -eq 0 ]] || SUDO=sudo
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# The nginx package starts a system service on port 80; the benchmarks run
# their own nginx from a temporary prefix, so stop the system one.
if [[ " ${missing[*]} " == *" nginx "* ]]; then
  $SUDO service nginx stop >/dev/null 2>&1 || true
  $SUDO nginx -s stop >/dev/null 2>&1 || true
fi
# Same for redis (port 6379): the benchmarks start their own redis-server.
if [[ " ${missing[*]} " == *" redis-server "* ]]; then
  $SUDO service redis-server stop >/dev/null 2>&1 || true
fi

for tool in wrk nginx redis-server redis-cli redis-benchmark wget; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "install-deps: $tool still missing after install" >&2
    exit 1
  }
done
/usr/bin/python3 -c 'import igraph' >/dev/null 2>&1 || {
  echo "install-deps: python3-igraph installed but /usr/bin/python3 cannot import igraph" >&2
  exit 1
}
