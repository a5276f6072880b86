#!/usr/bin/env bash
# Installs what the load benchmarks need: wrk (load generator) and nginx (the
# reference server). Debian packages via apt-get, idempotent: prints nothing
# and changes nothing when everything is already installed.
# Never leaves a system nginx running (the package's postinst starts one).
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

for tool in wrk nginx; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "install-deps: $tool still missing after install" >&2
    exit 1
  }
done
