#!/usr/bin/env bash
# Runs every load benchmark and writes one Markdown results block to stdout
# and to tests/bench/results/latest.md.
#
# Usage: tests/bench/run-all.sh   (env as for the single scripts: DURATION,
#        WARMUP, TROUPE_BIN, LMDB_BENCH_BIN, CACHE_LOAD_BIN, BENCH_TMPDIR;
#        DURATION applies to all, default 15s for reads, cache GETs, the
#        cluster hop and home_timeline reads, 10s for creates and the
#        Twitter fan-out; PEOPLE, DEGREE, PAIRS, CLUSTER for the social
#        graph; SALES, CATEGORIES for the sales rank; HITS, MAX_PAGES,
#        WORKERS for the crawler)
# Exits non-zero if a benchmark failed (its section says why).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$BENCH_DIR/common.sh"

"$BENCH_DIR/install-deps.sh"

results_dir=$BENCH_DIR/results
mkdir -p "$results_dir"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/troupe-bench-all.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

load_start=$(load_average)
rev=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$REPO_ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  rev+=" (+ uncommitted changes)"
fi
troupe_bin=$(find_troupe_bin)

status=0
section() { # section NAME SCRIPT [ARGS...]
  local name=$1 script=$2 rc=0
  shift 2
  log "=== $name"
  "$BENCH_DIR/$script" "$@" >"$tmp/$name.md" || rc=$?
  if ((rc != 0)); then
    status=1
    echo $'\n'"**$name failed (exit $rc)**; see the messages on stderr." >>"$tmp/$name.md"
  fi
}
section read read_vs_nginx.sh
# The dashboard (issue 18): sampling and open pages against the read path.
section dashboard dashboard_cost.sh
# Group commit is about concurrent writers: measure creates at two levels.
CONNECTIONS=64 section create64 create_durability.sh
CONNECTIONS=256 section create256 create_durability.sh
# Key-value cache vs Redis: GET hits, then memory per entry (fresh servers).
section cache-get cache_vs_redis.sh get
section cache-memory cache_vs_redis.sh memory
# The local three-node cluster: GET through the owner vs through a non-owner
# (over the node link, then over CAF), and creates with and without the link.
section cluster-hop cluster_hop.sh
CLUSTER_LINK=0 section cluster-hop-caf cluster_hop.sh
section cluster-create cluster_create.sh
# Failover: SIGKILL of a primary to the first write of a key it owned.
section failover failover_time.sh
# Partition safety (issue 12): sync creates with etcd vs static membership;
# partitions in the lab (network namespaces: root only).
section membership-writes membership_writes.sh
if [[ $(id -u) -eq 0 ]]; then
  section partition partition_time.sh
else
  echo "partition_time.sh needs root (network namespaces): skipped" >"$tmp/partition.md"
fi
# Twitter (issue 5): fan-out deliveries/s, home_timeline reads vs nginx,
# memory per home-timeline entry (each on a fresh node).
section twitter-fanout twitter_fanout.sh
section twitter-home twitter_home_vs_nginx.sh
section twitter-memory twitter_memory.sh
# Social graph (issue): import of 1 M people / 25 M friendships, memory per
# friendship, friend_search vs igraph, then on three nodes.
section social-graph social_graph.sh
# Sales rank (issue): ingest of 10 M sales at durability group over one and
# two connections, memory per (category, product) pair, popular vs nginx.
section salesrank salesrank.sh
# Crawler (issue 16): crawl rate vs four parallel wgets on four documentation
# hosts, search p50/p99 of cache hits and misses, index size per page.
section crawler crawler.sh
load_end=$(load_average)

{
  echo "## Benchmark results $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(uname -sr)"
  echo "- load average (1/5/15 min): $load_start at start, $load_end at end"
  echo "- git revision: $rev"
  echo "- troupe binary: ${troupe_bin#"$REPO_ROOT"/}"
  echo "- wrk $(wrk -v 2>&1 | head -n1 | awk '{ print $2 }'), nginx $(nginx -v 2>&1 | sed 's|.*/||'), redis $(redis-server --version | sed -E 's/.* v=([^ ]+).*/\1/')"
  echo
  cat "$tmp/read.md"
  echo
  cat "$tmp/dashboard.md"
  echo
  echo "#### 64 connections"
  cat "$tmp/create64.md"
  echo
  echo "#### 256 connections"
  cat "$tmp/create256.md"
  echo
  cat "$tmp/cache-get.md"
  echo
  cat "$tmp/cache-memory.md"
  echo
  cat "$tmp/cluster-hop.md"
  echo
  cat "$tmp/failover.md"
  echo
  cat "$tmp/membership-writes.md"
  echo
  cat "$tmp/partition.md"
  echo
  cat "$tmp/twitter-fanout.md"
  echo
  cat "$tmp/twitter-home.md"
  echo
  cat "$tmp/twitter-memory.md"
  echo
  cat "$tmp/social-graph.md"
  echo
  cat "$tmp/salesrank.md"
  echo
  cat "$tmp/crawler.md"
} >"$results_dir/latest.md.tmp"
mv "$results_dir/latest.md.tmp" "$results_dir/latest.md"
cat "$results_dir/latest.md"
exit "$status"
