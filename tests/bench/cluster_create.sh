#!/usr/bin/env bash
# cluster_create.sh: paste creates (1 KB, durability sync) through one node of
# the three of cluster-config/local-3.toml, with the node link and without it
# (routed creates over CAF's middleman), in alternating rounds of the same run.
# About two of three creates land on a shard another node serves; every create
# is also replicated to one backup over CAF (the replication stream, unchanged
# by the link). Reports creates/s, p99, each node's CPU and the node CPU per
# create. REPLICATION="1 2" also runs each mode with replication_factor 1:
# the difference in CPU per create is the replication stream's cost per
# entry (sending it, the backup's durable write, the acknowledgement).
#
#   ROUNDS=2 DURATION=10s REPLICATION="1 2" tests/bench/cluster_create.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
export PASTE_BYTES=${PASTE_BYTES:-1024}
LUA=$BENCH_DIR/post_paste.lua
REPLICATION=${REPLICATION:-2}

bench_init
log "cluster_create: $ROUNDS rounds of link off/on, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, load $(load_average)"

rows=""
bad_total=0
measure() { # measure LINK ROUND RF
  local link=$1 round=$2 rf=$3 out url rps p99 nb ne _ wcpu mcpu node cpu sum=0 cpus=""
  CLUSTER_LINK=$link start_cluster "create-$link-$round-$rf" sync "replication_factor=$rf"
  url=${CLUSTER_URL[${CLUSTER_NODES[0]}]}/pastebin/api/v1/paste
  out=$BENCH_WORK/create-$link-$round-$rf.txt
  run_wrk_cluster "$out.warmup" "${CLUSTER_PID[${CLUSTER_NODES[0]}]}" \
    -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$LUA" "$url"
  run_wrk_cluster "$out" "${CLUSTER_PID[${CLUSTER_NODES[0]}]}" \
    -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "$url"
  stop_cluster
  read -r rps p99 nb ne _ wcpu mcpu < <(parse_wrk "$out")
  for node in "${CLUSTER_NODES[@]}"; do
    cpu=$(node_cpu_of "$out" "$node")
    cpus+=" $cpu |"
    sum=$(awk -v a="$sum" -v b="$cpu" 'BEGIN { print a + b }')
  done
  bad_total=$((bad_total + nb + ne))
  local per_create
  per_create=$(awk -v c="$sum" -v r="$rps" 'BEGIN { printf("%.0f", (r > 0) ? c / r * 1e6 : 0) }')
  rows+="| $([[ $link == 1 ]] && echo "node link" || echo "CAF (no link)") | $rf | $round | $rps | $p99 | $nb | $ne |$cpus $per_create | $wcpu | $mcpu |"$'\n'
}

for ((round = 1; round <= ROUNDS; round++)); do
  for rf in $REPLICATION; do
    measure 0 "$round" "$rf"
    measure 1 "$round" "$rf"
  done
done

cpu_head="" cpu_align=""
for node in "${CLUSTER_NODES[@]}"; do
  cpu_head+=" CPU $node |"
  cpu_align+="---:|"
done
table=$(
  cat <<EOF

Creates of $PASTE_BYTES B pastes through ${CLUSTER_NODES[0]} of three local nodes (durability sync, etcd), wrk -t$THREADS -c$CONNECTIONS -d$DURATION after a $WARMUP warm-up; CPU in cores during the run; µs/create is the three nodes' CPU per create.

| routed over | replication factor | round | creates/s | p99 ms | non-2xx | socket errors |$cpu_head µs/create | wrk CPU | machine busy |
|---|---:|---:|---:|---:|---:|---:|$cpu_align---:|---:|---:|
$rows
EOF
)
echo "$table"
[[ -n ${RESULT_FILE:-} ]] && echo "$table" >"$RESULT_FILE"
if ((bad_total > 0)); then
  log "FAILED: $bad_total non-2xx answers or socket errors"
  exit 1
fi
exit 0
