#!/usr/bin/env bash
# Installs what the dashboard's browser test (tests/browser, run by
# tests/cluster/dashboard_browser_test.cpp) needs: Debian's chromium,
# node/npm when missing, and the test's npm packages (puppeteer-core, pinned
# in tests/browser/package-lock.json; it never downloads a browser).
# Idempotent and quick when everything is there. Called by
# `install-deps.sh --tests`.
set -euo pipefail
browser_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/browser" && pwd)"

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)

missing=()
dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "ok installed" ||
  missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "troupe: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# node_modules is current when it was installed from this very lock file.
stamp="$browser_dir/node_modules/.troupe-lock.sha256"
want="$(sha256sum "$browser_dir/package-lock.json" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "troupe: npm ci in tests/browser" >&2
  # --ignore-scripts: no package may run an install step (none downloads a
  # browser either way: the test uses /usr/bin/chromium).
  (cd "$browser_dir" &&
    PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund \
      --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
fi
