#!/usr/bin/env bash
# Stops the local cluster started by scripts/cluster-up.sh: SIGTERM to the
# node of every pid file in the config's data dirs, SIGKILL after a grace
# period (GRACE=20 seconds), then removes the pid files. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
config=cluster-config/local-3.toml
grace=${GRACE:-20} # seconds

# running PIDFILE: the pid file names a live troupe process (not a reused pid)
# (a killed one not yet reaped by its parent is a zombie: not running)
running() {
  [[ -f $1 ]] || return 1
  local pid
  pid=$(<"$1")
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == troupe ]] &&
    ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

mapfile -t pidfiles < <(awk -F'"' '/^data_dir *=/ { print $2 "/troupe.pid" }' "$config")
for f in "${pidfiles[@]}"; do
  if running "$f"; then kill -TERM "$(<"$f")"; fi
done
deadline=$((SECONDS + grace))
for f in "${pidfiles[@]}"; do
  while running "$f" && ((SECONDS < deadline)); do sleep 0.1; done
  if running "$f"; then
    echo "cluster-down: $f: pid $(<"$f") still running ${grace}s after SIGTERM: SIGKILL" >&2
    kill -KILL "$(<"$f")" || true
  fi
  rm -f "$f"
done
