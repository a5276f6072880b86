#!/usr/bin/env bash
# Starts the local three-node cluster of cluster-config/local-3.toml in the
# background. Installs what is missing and builds like scripts/run-node.sh
# (TROUPE_BIN=path runs that binary instead of building), starts the
# cluster's etcd (the configuration manager of its shards: 127.0.0.1:2479,
# data and log in ./data/local-3/etcd), then every node of the config with
# its log and pid file in its data dir (./data/local-3/nN/troupe.{log,pid}),
# waits until each /readyz is 200 (READY_TIMEOUT=30 seconds) and prints the
# URLs. Whatever runs already is left alone, so after `kill -9` of one node
# this starts just that node again. scripts/cluster-down.sh stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cluster-lib.sh
timeout=${READY_TIMEOUT:-30}

if [[ -z ${TROUPE_BIN:-} ]]; then
  scripts/install-deps.sh
  scripts/build.sh release
fi
bin=${TROUPE_BIN:-build/release/app/troupe}

start_etcd() {
  if etcd_running; then
    return
  fi
  mkdir -p "$etcd_dir"
  nohup etcd --name local-3 --data-dir "$etcd_dir/data" \
    --listen-client-urls "http://$etcd_client" \
    --advertise-client-urls "http://$etcd_client" \
    --listen-peer-urls "http://$etcd_peer" \
    --initial-advertise-peer-urls "http://$etcd_peer" \
    --initial-cluster "local-3=http://$etcd_peer" \
    --election-timeout 500 --heartbeat-interval 50 \
    --log-level warn </dev/null >>"$etcd_dir/etcd.log" 2>&1 &
  echo $! >"$etcd_dir/etcd.pid"
  local deadline=$((SECONDS + timeout))
  until curl -fs --max-time 1 "http://$etcd_client/health" | grep -q true; do
    if ! etcd_running || ((SECONDS >= deadline)); then
      echo "cluster-up: etcd did not start; $etcd_dir/etcd.log ends with:" >&2
      tail -n 15 "$etcd_dir/etcd.log" >&2
      exit 1
    fi
    sleep 0.1
  done
}

if grep -q '^source *= *"etcd"' "$config"; then
  start_etcd
fi

# The nodes share one key for Mint's account passwords: made once, kept in
# ./data/local-3/mint.key (a TROUPE_MINT_KEY of your own wins).
if [[ -z ${TROUPE_MINT_KEY:-} ]]; then
  key_file=data/local-3/mint.key
  mkdir -p "$(dirname "$key_file")"
  [[ -s $key_file ]] || (umask 077 && openssl rand -hex 32 >"$key_file")
  TROUPE_MINT_KEY=$(<"$key_file")
  export TROUPE_MINT_KEY
fi

# "name http data_dir" of every [[nodes]] entry
mapfile -t nodes < <(awk -F'"' '/^\[/ && n { print n, h, d; n = "" }
  /^name *=/ { n = $2 } /^http *=/ { h = $2 } /^data_dir *=/ { d = $2 }
  END { if (n) print n, h, d }' "$config")

for node in "${nodes[@]}"; do
  read -r name _ dir <<<"$node"
  # A node still running stays as it is: after `kill -9` of one node this
  # starts just that one again (it catches up from the others).
  if running "$dir/troupe.pid"; then
    echo "cluster-up: $name is already running (pid $(<"$dir/troupe.pid"))" >&2
    continue
  fi
  mkdir -p "$dir"
  nohup "$bin" run --config "$config" --node "$name" </dev/null >>"$dir/troupe.log" 2>&1 &
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
  echo "cluster-up: stop the cluster with scripts/cluster-down.sh" >&2
  exit 1
done

for node in "${nodes[@]}"; do
  read -r name http dir <<<"$node"
  echo "$name  http://$http/  (log $dir/troupe.log)"
done
