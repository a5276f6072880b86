#!/usr/bin/env bash
# Stops the local cluster started by scripts/cluster-up.sh: SIGTERM to the
# node of every pid file in the config's data dirs, SIGKILL after a grace
# period (GRACE=20 seconds), then removes the pid files; then stops the
# cluster's etcd the same way. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster-lib.sh
grace=${GRACE:-20} # seconds

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

if etcd_running; then
  kill -TERM "$(<"$etcd_dir/etcd.pid")"
  deadline=$((SECONDS + grace))
  while etcd_running && ((SECONDS < deadline)); do sleep 0.1; done
  if etcd_running; then kill -KILL "$(<"$etcd_dir/etcd.pid")" || true; fi
fi
rm -f "$etcd_dir/etcd.pid"
