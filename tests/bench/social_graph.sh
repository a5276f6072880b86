#!/usr/bin/env bash
# The social graph's figures: import rate, memory per friendship and the
# latency of friend_search against igraph, on one node and on three.
#
# The graph: social_graph_gen.py writes an Erdős–Rényi G(n, M) edge list of
# PEOPLE people (ids 1..PEOPLE) with M = PEOPLE x DEGREE / 2 distinct
# friendships (default 1,000,000 people, 25 M friendships) and PAIRS random
# query pairs (source != target), all seeded (SEED), under the temporary
# directory.
#
# One node (fresh data dir, durability DURABILITY, default group): VmRSS is
# sampled, the edge list is imported in one POST /social/api/v1/import (curl
# --data-binary, timed by curl: friendships / time_total is the import
# rate), and VmRSS is sampled again SETTLE seconds later (jemalloc returns
# pages freed by the import's transient buffers after its decay time):
# VmRSS growth x 1024 / friendships is the memory per friendship. Then every
# pair is searched once (GET /social/api/v1/friend_search, max_hops
# MAX_HOPS) by social_search.py: one request at a time over a keep-alive
# connection, each timed from send to last byte.
#
# With CLUSTER=1 (default) the same on the three nodes of
# cluster-config/local-3.toml (etcd membership, replication factor 2): the
# graph is imported through the first node and the pairs are searched
# through the three nodes in turn; messages per search is the sum over the
# nodes of the growth of troupe_social_search_messages_total divided by the
# growth of troupe_social_searches_total.
#
# Last, no troupe running, social_igraph.py loads the same edge list into
# python3-igraph and runs get_shortest_paths for the same pairs (igraph's C
# BFS, in process, no HTTP), timing each call, and checks every answer of
# troupe: a pair igraph connects within MAX_HOPS must have a 200 whose path
# has igraph's number of hops, starts at the source, ends at the target and
# links friends of the graph; every other pair a 404.
#
# Targets (issue): import >= 500,000 friendships/s at durability group,
# <= 24 bytes per friendship, troupe's median friend_search latency over
# HTTP <= igraph's median.
#
# Usage: tests/bench/social_graph.sh   (env: PEOPLE=1000000, DEGREE=50,
#        PAIRS=1000, CLUSTER=1, SEED=42, MAX_HOPS=6, DURABILITY=group,
#        SETTLE=20 (s), IMPORT_LIMIT=1800 (s), PYTHON=python3,
#        IGRAPH_PYTHON (default: the first of python3, /usr/bin/python3 that
#        imports igraph), RESULT_FILE=path)
# The edge list takes ~14 bytes per friendship under BENCH_TMPDIR (350 MB
# for the default size); the generator holds ~100 bytes per friendship
# while it runs and igraph ~50.
# Prints a Markdown section on stdout (progress on stderr); with RESULT_FILE
# it is also written there. Exits 1 if a request failed, the import stored
# other than the graph, or an answer disagrees with igraph.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$BENCH_DIR/twitter_lib.sh" # group3, at_most, rss_anon_kb

PEOPLE=${PEOPLE:-1000000}
DEGREE=${DEGREE:-50}
PAIRS=${PAIRS:-1000}
CLUSTER=${CLUSTER:-1}
SEED=${SEED:-42}
MAX_HOPS=${MAX_HOPS:-6}
DURABILITY=${DURABILITY:-group}
SETTLE=${SETTLE:-20}
IMPORT_LIMIT=${IMPORT_LIMIT:-1800}
PYTHON=${PYTHON:-python3}
API=/social/api/v1

find_igraph_python() {
  local py
  for py in ${IGRAPH_PYTHON:-python3 /usr/bin/python3}; do
    if "$py" -c 'import igraph' 2>/dev/null; then
      echo "$py"
      return
    fi
  done
  die "no python with igraph (${IGRAPH_PYTHON:-python3, /usr/bin/python3}): run tests/bench/install-deps.sh"
}

# metric_sum NAME URL...: node_metric summed over the URLs
metric_sum() {
  local name=$1 url s=0
  shift
  for url in "$@"; do s=$((s + $(node_metric "$url" "$name"))); done
  echo "$s"
}

# import_graph URL LABEL: POSTs the edge list to URL's import in one request;
# sets IMPORT_SECONDS (curl's time_total) and IMPORT_RATE; dies unless the
# answer is 200 with every friendship accepted and none rejected.
import_graph() {
  local url=$1 label=$2 out=$BENCH_WORK/import-$2.json code secs edges created rejected
  log "$label: importing $(group3 "$friendships") friendships ($(du -h "$EDGES" | cut -f1)) into $url"
  read -r code secs < <(curl -sS --max-time "$IMPORT_LIMIT" -o "$out" -w '%{http_code} %{time_total}\n' \
    -H 'Content-Type: text/plain' -H 'Expect:' --data-binary @"$EDGES" "$url$API/import" ||
    echo "000 0")
  [[ $code == 200 ]] || die "$label: POST $url$API/import answered $code: $(head -c 500 "$out" 2>/dev/null)"
  edges=$(json_number "$out" edges)
  created=$(json_number "$out" people_created)
  rejected=$(json_number "$out" rejected_count)
  IMPORT_SECONDS=$(awk -v s="$secs" 'BEGIN { printf "%.1f", s }')
  IMPORT_RATE=$(awk -v n="$edges" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
  log "$label: import answered 200 after $secs s: edges $edges, people_created $created, rejected $rejected ($(group3 "$IMPORT_RATE") friendships/s)"
  ((edges == friendships && rejected == 0)) ||
    die "$label: the import accepted $edges of $friendships lines and rejected $rejected: $(head -c 500 "$out")"
  ((created == with_friends)) ||
    die "$label: the import created $created people, the edge list names $with_friends"
}

# search_pairs LABEL URL...: social_search.py over the pairs through the
# URLs in turn; the answers go to $BENCH_WORK/search-LABEL.txt, the summary
# to $BENCH_WORK/search-LABEL.sum; sets SEARCH_MSGS (messages per search,
# from the metrics of the URLs' nodes) and SEARCH_COUNT (searches counted).
search_pairs() {
  local label=$1 s0 m0 s1 m1 url
  shift
  local args=()
  for url in "$@"; do args+=(--url "$url"); done
  s0=$(metric_sum troupe_social_searches_total "$@")
  m0=$(metric_sum troupe_social_search_messages_total "$@")
  log "$label: $PAIRS friend_search requests through $# node(s)"
  "$PYTHON" "$BENCH_DIR/social_search.py" "${args[@]}" --pairs "$PAIRS_FILE" --max-hops "$MAX_HOPS" \
    --out "$BENCH_WORK/search-$label.txt" >"$BENCH_WORK/search-$label.sum" ||
    die "$label: social_search.py failed"
  s1=$(metric_sum troupe_social_searches_total "$@")
  m1=$(metric_sum troupe_social_search_messages_total "$@")
  SEARCH_COUNT=$((s1 - s0))
  SEARCH_MSGS=$(awk -v m=$((m1 - m0)) -v s=$((s1 - s0)) 'BEGIN { if (s > 0) printf "%.1f", m / s; else print "n/a" }')
  log "$label: $(tr '\n' ' ' <"$BENCH_WORK/search-$label.sum"); $SEARCH_COUNT searches, $SEARCH_MSGS messages each"
}

bench_init
# The edge list is large: removed even when a failed run keeps the logs.
# shellcheck disable=SC2317 # run by the EXIT trap
social_cleanup() {
  local rc=$?
  set +e # errexit would end the trap at the (exit) below
  [[ ${BENCH_KEEP:-0} == 1 || -z ${EDGES:-} ]] || rm -f "$EDGES"
  (exit "$rc") # bench_cleanup takes the exit status from $?
  bench_cleanup
}
trap social_cleanup EXIT
need_tools "$PYTHON"
igraph_python=$(find_igraph_python)
igraph_version=$("$igraph_python" -c 'import igraph; print(igraph.__version__)')
log "social_graph: $PEOPLE people, average degree $DEGREE, $PAIRS pairs, cluster=$CLUSTER, load $(load_average)"

# --- the graph ------------------------------------------------------------------
EDGES=$BENCH_WORK/edges.txt
PAIRS_FILE=$BENCH_WORK/pairs.txt
"$PYTHON" "$BENCH_DIR/social_graph_gen.py" --people "$PEOPLE" --degree "$DEGREE" --pairs "$PAIRS" \
  --seed "$SEED" --edges-out "$EDGES" --pairs-out "$PAIRS_FILE" >"$BENCH_WORK/gen.txt" ||
  die "social_graph_gen.py failed"
friendships=$(value_of "$BENCH_WORK/gen.txt" friendships)
with_friends=$(value_of "$BENCH_WORK/gen.txt" people_with_friends)
log "graph: $(tr '\n' ' ' <"$BENCH_WORK/gen.txt")"
((friendships > 0)) || die "the graph has no friendships"

# --- one node -------------------------------------------------------------------
start_troupe social "$DURABILITY"
sleep 2
rss0=$(rss_kb "$TROUPE_PID")
anon0=$(rss_anon_kb "$TROUPE_PID")
log "one node before the import: VmRSS $rss0 KiB, RssAnon $anon0 KiB"
import_graph "$TROUPE_URL" one-node
one_rate=$IMPORT_RATE
one_secs=$IMPORT_SECONDS
halves=$(node_metric "$TROUPE_URL" troupe_social_friendship_halves)
people=$(node_metric "$TROUPE_URL" troupe_social_people)
((halves == 2 * friendships && people == with_friends)) ||
  die "one node holds $halves friendship halves and $people people, expected $((2 * friendships)) and $with_friends"
sleep "$SETTLE"
rss1=$(rss_kb "$TROUPE_PID")
anon1=$(rss_anon_kb "$TROUPE_PID")
disk_kb=$(du -sk "$TROUPE_DIR/data" | cut -f1)
log "one node ${SETTLE}s after the import: VmRSS $rss1 KiB, RssAnon $anon1 KiB, data dir $disk_kb KiB"
search_pairs one-node "$TROUPE_URL"
one_msgs=$SEARCH_MSGS
one_count=$SEARCH_COUNT
kill -0 "$TROUPE_PID" 2>/dev/null || die "troupe died during the run"
stop_troupe "$TROUPE_PID"

# --- three nodes ------------------------------------------------------------------
checks=(--check "one-node=$BENCH_WORK/search-one-node.txt")
if [[ $CLUSTER == 1 ]]; then
  start_cluster social "$DURABILITY"
  urls=()
  for node in "${CLUSTER_NODES[@]}"; do urls+=("${CLUSTER_URL[$node]}"); done
  first=${CLUSTER_NODES[0]}
  import_graph "${CLUSTER_URL[$first]}" cluster
  cl_rate=$IMPORT_RATE
  cl_secs=$IMPORT_SECONDS
  cl_halves=$(metric_sum troupe_social_friendship_halves "${urls[@]}")
  cl_people=$(metric_sum troupe_social_people "${urls[@]}")
  log "cluster: $cl_halves friendship halves and $cl_people people held over the nodes"
  search_pairs cluster "${urls[@]}"
  cl_msgs=$SEARCH_MSGS
  cl_count=$SEARCH_COUNT
  cl_rss=""
  for node in "${CLUSTER_NODES[@]}"; do
    kill -0 "${CLUSTER_PID[$node]}" 2>/dev/null || die "node $node died during the run"
    cl_rss+="${cl_rss:+ / }$(awk -v k="$(rss_kb "${CLUSTER_PID[$node]}")" 'BEGIN { printf "%.0f", k / 1024 }')"
  done
  stop_cluster
  checks+=(--check "cluster=$BENCH_WORK/search-cluster.txt")
fi

# --- igraph -----------------------------------------------------------------------
log "igraph $igraph_version ($igraph_python): loading the graph, $PAIRS get_shortest_paths"
"$igraph_python" "$BENCH_DIR/social_igraph.py" --edges "$EDGES" --people "$PEOPLE" --pairs "$PAIRS_FILE" \
  --lengths "$BENCH_WORK/igraph-lengths.txt" --max-hops "$MAX_HOPS" "${checks[@]}" \
  >"$BENCH_WORK/igraph.sum" || die "social_igraph.py failed"
log "igraph: $(tr '\n' ' ' <"$BENCH_WORK/igraph.sum")"

# --- report -----------------------------------------------------------------------
ig_median=$(value_of "$BENCH_WORK/igraph.sum" median_ms)
ig_p99=$(value_of "$BENCH_WORK/igraph.sum" p99_ms)
ig_hist=$(value_of "$BENCH_WORK/igraph.sum" hops_histogram)
ig_load=$(value_of "$BENCH_WORK/igraph.sum" load_seconds)
one_median=$(value_of "$BENCH_WORK/search-one-node.sum" median_ms)
one_p99=$(value_of "$BENCH_WORK/search-one-node.sum" p99_ms)
speed=$(ratio "$one_median" "$ig_median")

failed=0
problems=()
# check_answers LABEL: sets CHECKED to "OK of PAIRS" from the igraph check
# of LABEL's answers; records a failure for any mismatch, request error or
# malformed path.
check_answers() {
  local label=$1 line pairs ok sum=$BENCH_WORK/search-$1.sum errors bad
  line=$(grep "^check_$label " "$BENCH_WORK/igraph.sum") || die "no igraph check of $label"
  pairs=$(sed -E 's/.* pairs=([0-9]+).*/\1/' <<<"$line")
  ok=$(sed -E 's/.* ok=([0-9]+).*/\1/' <<<"$line")
  errors=$(value_of "$sum" errors)
  bad=$(value_of "$sum" bad_path)
  if ((ok != PAIRS || pairs != PAIRS || errors > 0 || bad > 0)); then
    failed=1
    problems+=("$label: ${line#check_"$label" }, request errors $errors, malformed paths $bad")
  fi
  CHECKED="$ok of $PAIRS"
}
check_answers one-node
one_checked=$CHECKED
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.2f", (b - a) * 1024 / n; else print "n/a" }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
bpf=$(per "$rss0" "$rss1" "$friendships")
bpf_anon=$(per "$anon0" "$anon1" "$friendships")

section=$(
  cat <<EOF
### Social graph: import, memory per friendship, friend_search vs igraph

Erdős–Rényi graph G(n, M): $(group3 "$PEOPLE") people, $(group3 "$friendships") distinct friendships (average $(awk -v m="$friendships" -v n="$PEOPLE" 'BEGIN { printf "%.1f", 2 * m / n }') friends; $(group3 "$with_friends") people have friends), seed $SEED; $(group3 "$PAIRS") random pairs (source != target), shortest paths of $ig_hist (hops:pairs, -1 = none). One node, durability=$DURABILITY, fresh data dir: the edge list ($(du -h "$EDGES" | cut -f1)) imported in one POST /social/api/v1/import by curl --data-binary (rate = friendships / curl's time_total); VmRSS (/proc/PID/status) sampled before the import and ${SETTLE}s after it. friend_search (max_hops=$MAX_HOPS) of every pair once, one request at a time over a keep-alive connection (python3 http.client), each timed from send to last byte. igraph $igraph_version: Graph.get_shortest_paths(s, to=t) of the same pairs on the same graph in the same run (C BFS, in process, no HTTP; graph loaded in ${ig_load}s), each call timed with time.perf_counter. Every troupe answer is checked against igraph: same number of hops, source first, target last, consecutive people friends in the graph (404 where igraph finds no path within max_hops).

| measure | value | target | met |
|---|---:|---:|---|
| **import rate** (friendships/s) | **$(group3 "$one_rate")** ($(group3 "$friendships") in ${one_secs} s) | >= 500,000 | $(meets "$one_rate" 500000) |
| VmRSS before / ${SETTLE}s after the import | $(mb "$rss0") / $(mb "$rss1") MiB | | |
| **bytes per friendship** (VmRSS growth / friendships) | **$bpf** | <= 24 | $(at_most "$bpf" 24) |
| RssAnon growth, bytes per friendship | $bpf_anon | | |
| data dir after the import (LMDB) | $(mb "$disk_kb") MiB | | |
| **friend_search median / p99, one node over HTTP** (ms) | **$one_median** / $one_p99 | | |
| **igraph get_shortest_paths median / p99** (ms) | **$ig_median** / $ig_p99 | | |
| **troupe median / igraph median** | **$speed** | <= 1 | $(at_most "$speed" 1) |
| messages to person servers per search, one node | $one_msgs ($one_count searches) | | |
| answers that agree with igraph, one node | $one_checked | all | $([[ $one_checked == "$PAIRS of $PAIRS" ]] && echo yes || echo NO) |
EOF
)
if [[ $CLUSTER == 1 ]]; then
  check_answers cluster
  cl_checked=$CHECKED
  cl_median=$(value_of "$BENCH_WORK/search-cluster.sum" median_ms)
  cl_p99=$(value_of "$BENCH_WORK/search-cluster.sum" p99_ms)
  section+=$'\n\n'$(
    cat <<EOF
#### Three nodes

The ${#CLUSTER_NODES[@]} nodes of cluster-config/local-3.toml (etcd membership, replication factor 2, durability=$DURABILITY) on this one machine: the same edge list imported through $first, the same pairs searched through ${CLUSTER_NODES[*]} in turn (one request at a time, a keep-alive connection per node). Messages per search: growth of troupe_social_search_messages_total summed over the nodes / growth of troupe_social_searches_total.

| measure | value |
|---|---:|
| import rate through $first (friendships/s) | $(group3 "$cl_rate") ($(group3 "$friendships") in ${cl_secs} s) |
| friendship halves / people held over the nodes | $(group3 "$cl_halves") / $(group3 "$cl_people") |
| VmRSS ${CLUSTER_NODES[*]} after the searches (MiB) | $cl_rss |
| **friend_search median / p99** (ms) | **$cl_median** / $cl_p99 |
| **messages to person servers per search** | **$cl_msgs** ($cl_count searches) |
| answers that agree with igraph | $cl_checked |
EOF
  )
fi
if ((failed)); then
  section+=$'\n\n'"**FAILED RUN**: answers that disagree with igraph or failed: ${problems[*]} (details on stderr)."
fi
echo "$section"
[[ -n ${RESULT_FILE:-} ]] && echo "$section" >"$RESULT_FILE"
exit "$failed"
