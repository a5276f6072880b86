#!/usr/bin/env bash
# Failover and recovery under a real partition, with etcd as the
# configuration manager: the time from isolating a node (cut from the other
# nodes and from etcd, in the partition lab of tests/fault) to the first
# acknowledged write of a key its shards held, through the majority; and
# from the heal to every node ready again. Median and range over TRIALS
# trials (the isolated node rotates), for each lease TTL of LEASE_TTLS.
# Needs root, iproute2, nftables and etcd-server (scripts/install-deps.sh).
#
# Usage: tests/bench/partition_time.sh   (env: TRIALS=5, LEASE_TTLS="1000
#        2000", HEARTBEAT_MS=100, RESULT_FILE=path)
# Prints a Markdown table on stdout (progress on stderr).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

export TRIALS=${TRIALS:-5}
LEASE_TTLS=${LEASE_TTLS:-1000 2000}
export TROUPE_LAB_HEARTBEAT_MS=${HEARTBEAT_MS:-100}
[[ $(id -u) -eq 0 ]] || die "the partition lab needs root (network namespaces)"

bench_init
bin=$(find_troupe_bin)
bench_bin=$(newest "$REPO_ROOT"/build/*/tests/fault/partition_bench)
[[ -x $bench_bin ]] || die "partition_bench not built: cmake --build --preset release"
log "partition_time: $TRIALS trials per TTL ($LEASE_TTLS ms), heartbeat $TROUPE_LAB_HEARTBEAT_MS ms, $bench_bin, load $(load_average)"

rows=""
for ttl in $LEASE_TTLS; do
  out=$BENCH_WORK/ttl-$ttl.txt
  log "lease TTL $ttl ms"
  TROUPE_BIN=$bin TROUPE_LAB_MEMBERSHIP=etcd TROUPE_LAB_LEASE_TTL_MS=$ttl \
    "$REPO_ROOT/tests/fault/run-in-lab.sh" "$bench_bin" >"$out" 2>"$out.err" || {
    cat "$out" "$out.err" >&2
    die "partition_bench failed (lease TTL $ttl ms)"
  }
  grep '^\[bench\]' "$out.err" >&2 || true
  field() { awk -v f="$1" -v c="$2" '$1 == "bench_result" && $2 == f { print $c }' "$out"; }
  rows+="| $ttl | $(field heartbeat_ms 3) | $(field trials 3) | $(field isolation_to_first_write 3) | $(field isolation_to_first_write 4) | $(field heal_to_ready 3) | $(field heal_to_ready 4) |"$'\n'
done

table=$(
  cat <<EOF
### Partitions with etcd: failover and recovery times

Three nodes and etcd, each in its own network namespace (tests/fault lab); a trial cuts one node from the others and from etcd, creates a Twitter user every 20 ms through a node of the majority with an id whose shard the cut node served, heals, and waits for every node to be ready and to see every node up. Load average at start $(load_average).

| lease TTL ms | heartbeat ms | trials | isolation -> first acknowledged write ms (median) | range | heal -> all nodes ready ms (median) | range |
|---:|---:|---:|---:|---|---:|---|
${rows%$'\n'}
EOF
)
echo "$table"
[[ -n ${RESULT_FILE:-} ]] && echo "$table" >"$RESULT_FILE"
exit 0
