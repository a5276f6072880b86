#!/usr/bin/env bash
# Starts the local three-node cluster of cluster-config/local-3.toml in the
# background. Installs what is missing and builds like scripts/run-node.sh
# (TROUPE_BIN=path runs that binary instead of building), then starts every
# node of the config with its log and pid file in its data dir
# (./data/local-3/nN/troupe.{log,pid}), waits until each /readyz is 200
# (READY_TIMEOUT=30 seconds) and prints the URLs. scripts/cluster-down.sh
# stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
config=cluster-config/local-3.toml
timeout=${READY_TIMEOUT:-30}

if [[ -z ${TROUPE_BIN:-} ]]; then
  scripts/install-deps.sh
  scripts/build.sh release
fi
bin=${TROUPE_BIN:-build/release/app/troupe}

# running PIDFILE: the pid file names a live troupe process (not a reused pid)
running() { [[ -f $1 && $(cat "/proc/$(<"$1")/comm" 2>/dev/null) == troupe ]]; }

# "name http data_dir" of every [[nodes]] entry
mapfile -t nodes < <(awk -F'"' '/^\[/ && n { print n, h, d; n = "" }
  /^name *=/ { n = $2 } /^http *=/ { h = $2 } /^data_dir *=/ { d = $2 }
  END { if (n) print n, h, d }' "$config")

for node in "${nodes[@]}"; do
  read -r name _ dir <<<"$node"
  if running "$dir/troupe.pid"; then
    echo "cluster-up: $name is already running (pid $(<"$dir/troupe.pid")); scripts/cluster-down.sh stops it" >&2
    exit 1
  fi
done

for node in "${nodes[@]}"; do
  read -r name _ dir <<<"$node"
  mkdir -p "$dir"
  nohup "$bin" run --config "$config" --node "$name" </dev/null >"$dir/troupe.log" 2>&1 &
  echo $! >"$dir/troupe.pid"
done

deadline=$((SECONDS + timeout))
for node in "${nodes[@]}"; do
  read -r name http dir <<<"$node"
  while kill -0 "$(<"$dir/troupe.pid")" 2>/dev/null && ((SECONDS < deadline)); do
    curl -fs -o /dev/null --max-time 1 "http://$http/readyz" && continue 2
    sleep 0.1
  done
  why="not ready after ${timeout}s"
  kill -0 "$(<"$dir/troupe.pid")" 2>/dev/null || why="exited"
  echo "cluster-up: $name (http://$http) $why; the logs end with:" >&2
  for other in "${nodes[@]}"; do
    read -r _ _ odir <<<"$other"
    tail -n 15 "$odir/troupe.log" | sed "s|^|$odir/troupe.log: |" >&2
  done
  scripts/cluster-down.sh
  exit 1
done

for node in "${nodes[@]}"; do
  read -r name http dir <<<"$node"
  echo "$name  http://$http/  (log $dir/troupe.log)"
done
