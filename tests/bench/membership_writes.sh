#!/usr/bin/env bash
# What partition safety costs on the write path: paste creates/s and p99 of
# sync creates on the three nodes of cluster-config/local-3.toml with etcd
# as the configuration manager vs static membership, measured in the same
# run (ROUNDS alternating pairs, fresh clusters each time). etcd is off the
# per-write path (leases renew every third of the TTL, configurations change
# only on failures), so the target is etcd >= 0.9 x static.
#
# Usage: tests/bench/membership_writes.sh   (env: ROUNDS=2, DURATION=10s,
#        WARMUP=2s, THREADS=2, CONNECTIONS=32, PASTE_BYTES=1024,
#        RESULT_FILE=path)
# wrk sends every create to n1; n1 picks the shortlink, so two thirds of the
# creates are routed to the node serving their shard, and every create is
# replicated to its backup before it is acknowledged.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
export PASTE_BYTES=${PASTE_BYTES:-1024}
LUA=$BENCH_DIR/post_paste.lua

bench_init
log "membership_writes: $ROUNDS rounds of static and etcd, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, load $(load_average)"

declare -A sum_rps sum_p99 bad err
for source in static etcd; do
  sum_rps[$source]=0
  sum_p99[$source]=0
  bad[$source]=0
  err[$source]=0
done
rows=""

# measure SOURCE ROUND: one fresh cluster, warm-up, one measured run
measure() {
  local source=$1 round=$2 url out rps p99 nb ne cpu wcpu mcpu
  start_cluster "$source-$round" sync "membership.source=\"$source\""
  url=${CLUSTER_URL[n1]}/pastebin/api/v1/paste
  out=$BENCH_WORK/$source-$round.txt
  run_wrk_cluster "$out.warmup" "${CLUSTER_PID[n1]}" -t"$THREADS" -c"$CONNECTIONS" \
    --latency -s "$LUA" -d"$WARMUP" "$url"
  log "$source round $round: measuring for $DURATION"
  run_wrk_cluster "$out" "${CLUSTER_PID[n1]}" -t"$THREADS" -c"$CONNECTIONS" \
    --latency -s "$LUA" -d"$DURATION" "$url"
  read -r rps p99 nb ne cpu wcpu mcpu < <(parse_wrk "$out")
  stop_cluster
  sum_rps[$source]=$(awk -v a="${sum_rps[$source]}" -v b="$rps" 'BEGIN { print a + b }')
  sum_p99[$source]=$(awk -v a="${sum_p99[$source]}" -v b="$p99" 'BEGIN { print a + b }')
  bad[$source]=$((bad[$source] + nb))
  err[$source]=$((err[$source] + ne))
  rows+="| $source | $round | $rps | $p99 | $nb | $ne | $(node_cpu_of "$out" n1) / $(node_cpu_of "$out" n2) / $(node_cpu_of "$out" n3) | $mcpu |"$'\n'
}

for ((round = 1; round <= ROUNDS; round++)); do
  measure static "$round"
  measure etcd "$round"
done

mean() { awk -v s="$1" -v n="$ROUNDS" 'BEGIN { printf "%.0f", s / n }'; }
mean_ms() { awk -v s="$1" -v n="$ROUNDS" 'BEGIN { printf "%.2f", s / n }'; }
rps_static=$(mean "${sum_rps[static]}")
rps_etcd=$(mean "${sum_rps[etcd]}")
p99_static=$(mean_ms "${sum_p99[static]}")
p99_etcd=$(mean_ms "${sum_p99[etcd]}")
r=$(ratio "$rps_etcd" "$rps_static")
rp=$(ratio "$p99_static" "$p99_etcd")
failed=0
((bad[static] + bad[etcd] + err[static] + err[etcd] == 0)) || failed=1

table=$(
  cat <<EOF
### Sync creates on three nodes: etcd vs static membership

wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s post_paste.lua against n1 (after a $WARMUP warm-up), ${PASTE_BYTES} B pastes, durability sync, replication factor 2, fresh cluster per run, static and etcd alternating; load average at start $(load_average).

| membership | round | creates/s | p99 ms | non-2xx | socket errors | node CPU n1 / n2 / n3 (cores) | machine busy (cores) |
|---|---:|---:|---:|---:|---:|---|---:|
${rows%$'\n'}

| figure | static | etcd | etcd / static | target | met |
|---|---:|---:|---:|---:|---|
| creates/s (mean) | $rps_static | $rps_etcd | $r | >= 0.9 | $(meets "$r" 0.9) |
| p99 ms (mean; ratio static/etcd) | $p99_static | $p99_etcd | $rp | >= 0.9 | $(meets "$rp" 0.9) |
EOF
)
if ((failed)); then
  table+=$'\n\n'"**FAILED RUN**: non-2xx static=${bad[static]} etcd=${bad[etcd]}, socket errors static=${err[static]} etcd=${err[etcd]}."
fi
echo "$table"
[[ -n ${RESULT_FILE:-} ]] && echo "$table" >"$RESULT_FILE"
exit "$failed"
