#!/usr/bin/env bash
# Failover time: from SIGKILL of a shard's primary to the first successful
# write of a key it owned, median over TRIALS trials, with the etcd
# membership of cluster-config/local-3.toml: a shard fails over once its
# primary's lease expired in etcd (lease_ttl_ms 1000). Each trial kills
# another node of the three, then polls through a survivor every 10 ms:
#   - write: PUT of a cache key whose shard the killed node was primary of
#     (the first 204 means a backup took the shard over and serves it);
#   - read:  GET of a paste written before the kill whose shard the killed
#     node was primary of (the first 200 with the same body means the
#     backup took over with the replicated data).
# The killed node then restarts on its data dir and the trial waits until
# every node is ready (it caught up and took its shards back).
# SIGNAL=STOP freezes the node instead (the same: its lease expires) and
# thaws it after the measurement.
#
# Usage: tests/bench/failover_time.sh   (env: TRIALS=10, SIGNAL=KILL,
#        DURABILITY=sync, RESULT_FILE=path)
# Prints a Markdown table on stdout (progress on stderr); with RESULT_FILE
# the table is also written there. Exits 1 if a trial timed out.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TRIALS=${TRIALS:-10}
SIGNAL=${SIGNAL:-KILL}
[[ $SIGNAL == KILL || $SIGNAL == STOP ]] || die "SIGNAL must be KILL or STOP"
DURABILITY=${DURABILITY:-sync}
POLL_LIMIT_S=${POLL_LIMIT_S:-30}

bench_init
log "failover_time: $TRIALS trials, load $(load_average)"
start_cluster failover "$DURABILITY"
cfg=$CLUSTER_DIR/cluster.toml
bin=$(find_troupe_bin)
shards_of() { awk -v s="[$1]" '/^\[/ { sec = $0 } sec == s && /^shards *=/ { print $3 }' "$cfg"; }
cache_shards=$(shards_of cache)
paste_shards=$(shards_of pastebin)
failure_timeout=$(awk '/^failure_timeout_ms *=/ { print $3 }' "$cfg")
lease_ttl=$(awk '/^lease_ttl_ms *=/ { print $3 }' "$cfg")
membership=$(awk -F'"' '/^source *=/ { print $2 }' "$cfg")

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# primary_of URL SERVICE KEY SHARDS: the primary node of KEY's shard
primary_of() { cluster_shard "$1" "$2" "$(shard_of "$3" "$4")" primary; }

# cache_key_of URL NODE: a fresh cache key whose shard NODE is primary of
cache_key_of() {
  local k key
  for ((k = 0; k < 1000; k++)); do
    key="failover-$trial-$k"
    [[ $(primary_of "$1" cache "$key" "$cache_shards") == "$2" ]] && {
      echo "$key"
      return
    }
  done
  die "no cache key found for $2"
}

# paste_of URL NODE: creates pastes through URL until one lands in a shard
# NODE is primary of; prints "shortlink contents"
paste_of() {
  local k body link
  for ((k = 0; k < 200; k++)); do
    body="failover trial $trial paste $k"
    link=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' \
      --data "{\"paste_contents\":\"$body\"}" "$1/pastebin/api/v1/paste" |
      sed -nE 's/.*"shortlink" *: *"([A-Za-z0-9]+)".*/\1/p') || die "create failed"
    [[ $(primary_of "$1" pastebin "$link" "$paste_shards") == "$2" ]] && {
      echo "$link $body"
      return
    }
  done
  die "no paste landed on $2"
}

write_ms=() read_ms=()
for ((trial = 1; trial <= TRIALS; trial++)); do
  victim=${CLUSTER_NODES[(trial - 1) % ${#CLUSTER_NODES[@]}]}
  via=${CLUSTER_NODES[trial % ${#CLUSTER_NODES[@]}]}
  url=${CLUSTER_URL[$via]}
  key=$(cache_key_of "$url" "$victim")
  read -r link body < <(paste_of "$url" "$victim")
  code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary before "$url/cache/api/v1/entry?key=$key")
  [[ $code == 204 ]] || die "PUT before the kill answered $code"

  kill -"$SIGNAL" "${CLUSTER_PID[$victim]}"
  t0=$(now_ms)
  wrote="" read_back=""
  while [[ -z $wrote || -z $read_back ]]; do
    t=$(now_ms)
    ((t - t0 < POLL_LIMIT_S * 1000)) || die "trial $trial: no take-over of $victim's shards within ${POLL_LIMIT_S}s"
    if [[ -z $wrote ]]; then
      code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -X PUT --data-binary after \
        "$url/cache/api/v1/entry?key=$key" || true)
      [[ $code == 204 ]] && wrote=$(($(now_ms) - t0))
    fi
    if [[ -z $read_back ]]; then
      got=$(curl -sS --max-time 5 "$url/pastebin/api/v1/paste?shortlink=$link" || true)
      [[ $got == *"\"paste_contents\":\"$body\""* ]] && read_back=$(($(now_ms) - t0))
    fi
    [[ -n $wrote && -n $read_back ]] || sleep 0.01
  done
  write_ms+=("$wrote")
  read_ms+=("$read_back")
  log "trial $trial: SIG$SIGNAL to $victim; via $via: write after $wrote ms, paste read after $read_back ms"

  if [[ $SIGNAL == STOP ]]; then
    kill -CONT "${CLUSTER_PID[$victim]}"
  else
    await_exit "${CLUSTER_PID[$victim]}" 5
    forget_pid "${CLUSTER_PID[$victim]}"
    "$bin" run --config "$cfg" --node "$victim" >>"$CLUSTER_DIR/$victim/troupe.log" 2>&1 &
    CLUSTER_PID[$victim]=$!
    BENCH_PIDS+=("${CLUSTER_PID[$victim]}")
  fi
  for node in "${CLUSTER_NODES[@]}"; do
    wait_ready "${CLUSTER_URL[$node]}/readyz" "${CLUSTER_PID[$node]}" 60 ||
      die "trial $trial: $node not ready after $victim restarted"
  done
done
stop_cluster

stats() { # stats VALUES...: median min max
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%d %d %d\n", m, v[1], v[NR] }'
}
read -r w_med w_min w_max < <(stats "${write_ms[@]}")
read -r r_med r_min r_max < <(stats "${read_ms[@]}")
verdict=$( ((w_med < 2000)) && echo met || echo "not met")
[[ $SIGNAL == STOP ]] && verdict="$verdict; the target is for SIGKILL"

table=$(
  cat <<EOF
### Cluster: failover time after SIG$SIGNAL of a primary

${#CLUSTER_NODES[@]} nodes of cluster-config/local-3.toml (membership $membership, lease TTL ${lease_ttl} ms, failure_timeout ${failure_timeout} ms, durability=$DURABILITY) on this one machine. $TRIALS trials, each sending SIG$SIGNAL to the next node and polling a survivor every 10 ms; the node then $([[ $SIGNAL == STOP ]] && echo "gets SIGCONT" || echo "restarts on its data dir") and catches up before the next trial. Times in ms from the signal.

| measure | median | min | max | target |
|---|---:|---:|---:|---|
| first successful write (cache PUT) of a key the failed node owned | **$w_med** | $w_min | $w_max | < 2000 ($verdict) |
| first read of a paste the failed node owned, served by its backup | $r_med | $r_min | $r_max | |

Per trial (write/read ms): $(for ((i = 0; i < ${#write_ms[@]}; i++)); do printf '%s/%s ' "${write_ms[i]}" "${read_ms[i]}"; done)
EOF
)
echo "$table"
[[ -n ${RESULT_FILE:-} ]] && echo "$table" >"$RESULT_FILE"
exit 0
