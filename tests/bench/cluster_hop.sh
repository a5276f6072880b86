#!/usr/bin/env bash
# The cost of one extra hop inside the cluster: GET of one 1 KB paste through
# the HTTP port of the node that owns its shard, and through the port of a
# node that does not (its edge routes the request to the owner over the node
# link, or with CLUSTER_LINK=0 over CAF's middleman), same cluster, same run,
# same wrk settings (wrk -t2 -c64 --latency, keep-alive). The nodes of
# cluster-config/local-3.toml run on this machine (free ports, temporary data
# dirs), so they share its cores with each other and with wrk. Targets
# (issue 17): routed throughput >= 0.6 x the owner's, node CPU per routed
# GET <= 1.5 x a local one; the table reports both ratios.
#
# Usage: tests/bench/cluster_hop.sh        (env: DURATION=15s, WARMUP=2s,
#        THREADS=2, CONNECTIONS=64, DURABILITY=sync, CLUSTER_LINK=1,
#        RESULT_FILE=path)
# Prints a Markdown table on stdout (progress on stderr); with RESULT_FILE
# the table is also written there. Exits 1 if any request failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURABILITY=${DURABILITY:-sync}
PASTE_BYTES=${PASTE_BYTES:-1024}

bench_init
log "cluster_hop: wrk -t$THREADS -c$CONNECTIONS -d$DURATION (warm-up $WARMUP), load $(load_average)"
start_cluster hop "$DURABILITY"
first=${CLUSTER_NODES[0]}

# --- the paste, its shard's primary (owner) and a node without a copy --------
contents=$(head -c "$PASTE_BYTES" /dev/zero | tr '\0' 'a')
created=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' \
  --data "{\"paste_contents\":\"$contents\"}" \
  "${CLUSTER_URL[$first]}/pastebin/api/v1/paste") || die "creating the paste failed"
shortlink=$(sed -nE 's/.*"shortlink" *: *"([A-Za-z0-9]+)".*/\1/p' <<<"$created")
[[ -n $shortlink ]] || die "no shortlink in: $created"
path="/pastebin/api/v1/paste?shortlink=$shortlink"

shards=$(awk '/^\[/ { sec = $0 } sec == "[pastebin]" && /^shards *=/ { print $3 }' "$CLUSTER_DIR/cluster.toml")
shard=$(shard_of "$shortlink" "$shards")
owner=$(cluster_shard "${CLUSTER_URL[$first]}" pastebin "$shard" primary)
replicas=$(cluster_shard "${CLUSTER_URL[$first]}" pastebin "$shard" replicas)
[[ -n ${CLUSTER_URL[$owner]:-} ]] || die "shard $shard: primary '$owner' is not a node of this cluster"
state=$(cluster_shard "${CLUSTER_URL[$owner]}" pastebin "$shard" state)
[[ -n $state ]] || die "$owner does not report shard $shard as its own (shard_of disagrees with the node?)"
other="" # prefer a node that is not a replica: it has to ask the owner
for node in "${CLUSTER_NODES[@]}"; do
  [[ $node == "$owner" ]] && continue
  [[ -z $other || ,$replicas, == *",$other,"* ]] && other=$node
done
[[ -n $other ]] || die "the cluster has no node besides the owner $owner"

for node in "$owner" "$other"; do
  code=$(curl -sS --max-time 10 -o "$BENCH_WORK/body-$node.json" -w '%{http_code}' "${CLUSTER_URL[$node]}$path")
  [[ $code == 200 ]] || die "GET $path through $node answered $code"
done
cmp -s "$BENCH_WORK/body-$owner.json" "$BENCH_WORK/body-$other.json" ||
  die "the owner and the non-owner answered different bodies"
body_size=$(wc -c <"$BENCH_WORK/body-$owner.json")
note="holds no copy of it"
[[ ,$replicas, == *",$other,"* ]] && note="is one of its replicas"
log "paste $shortlink: shard $shard of $shards, primary $owner ($state), replicas ${replicas:-none}; non-owner $other; body $body_size B"

# --- measure: through the owner, then through the non-owner ------------------
wrk_args=(-t"$THREADS" -c"$CONNECTIONS" --latency)
for node in "$owner" "$other"; do
  url=${CLUSTER_URL[$node]}$path
  run_wrk_cluster "$BENCH_WORK/$node-warmup.txt" "${CLUSTER_PID[$node]}" "${wrk_args[@]}" -d"$WARMUP" "$url"
  log "through $node: measuring for $DURATION"
  run_wrk_cluster "$BENCH_WORK/$node.txt" "${CLUSTER_PID[$node]}" "${wrk_args[@]}" -d"$DURATION" "$url"
done
for node in "${CLUSTER_NODES[@]}"; do
  kill -0 "${CLUSTER_PID[$node]}" 2>/dev/null || die "node $node died during the run"
done
stop_cluster

# --- report -------------------------------------------------------------------
read -r o_rps o_p99 o_bad o_err _ o_wcpu o_mcpu < <(parse_wrk "$BENCH_WORK/$owner.txt")
read -r h_rps h_p99 h_bad h_err _ h_wcpu h_mcpu < <(parse_wrk "$BENCH_WORK/$other.txt")
role() { # role NODE: the node's part in this benchmark
  case $1 in
    "$owner") echo "owner" ;;
    "$other") echo "non-owner" ;;
    *) echo "not involved" ;;
  esac
}
cpu_head="" cpu_align="" o_cpu="" h_cpu=""
for node in "${CLUSTER_NODES[@]}"; do
  cpu_head+=" CPU $node ($(role "$node")) |"
  cpu_align+="---:|"
  o_cpu+=" $(node_cpu_of "$BENCH_WORK/$owner.txt" "$node") |"
  h_cpu+=" $(node_cpu_of "$BENCH_WORK/$other.txt" "$node") |"
done

per_req() { awk -v c="$1" -v r="$2" 'BEGIN { printf("%.1f", (r > 0) ? c / r * 1e6 : 0) }'; }
o_cpu_sum=0 h_cpu_sum=0
for node in "${CLUSTER_NODES[@]}"; do
  o_cpu_sum=$(awk -v a="$o_cpu_sum" -v b="$(node_cpu_of "$BENCH_WORK/$owner.txt" "$node")" 'BEGIN { print a + b }')
  h_cpu_sum=$(awk -v a="$h_cpu_sum" -v b="$(node_cpu_of "$BENCH_WORK/$other.txt" "$node")" 'BEGIN { print a + b }')
done

table=$(
  cat <<EOF
### Cluster: GET 1 KB paste through the owner vs through a non-owner (one extra hop)

${#CLUSTER_NODES[@]} nodes of cluster-config/local-3.toml (durability=$DURABILITY) on this one machine: all of them and wrk share its $(nproc) CPUs. Paste $shortlink is in pastebin shard $shard (primary $owner, replicas ${replicas:-none}); the non-owner $other $note and routes each GET to $owner over $([[ ${CLUSTER_LINK:-1} == 0 ]] && echo "CAF's middleman (CLUSTER_LINK=0)" || echo 'the node link'). wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency after a $WARMUP warm-up, response body $body_size B. CPU in average cores busy during the measured run.

| GET through | requests/s | p99 ms | non-2xx | socket errors |$cpu_head wrk CPU | machine busy |
|---|---:|---:|---:|---:|$cpu_align---:|---:|
| $owner (owner) | $o_rps | $o_p99 | $o_bad | $o_err |$o_cpu $o_wcpu | $o_mcpu |
| $other (non-owner, +1 hop) | $h_rps | $h_p99 | $h_bad | $h_err |$h_cpu $h_wcpu | $h_mcpu |
| **non-owner / owner** | **$(ratio "$h_rps" "$o_rps")** | $(ratio "$h_p99" "$o_p99") | | |$(printf ' |%.0s' "${CLUSTER_NODES[@]}") | |

Node CPU per GET (all three nodes): $(per_req "$o_cpu_sum" "$o_rps") µs through the owner, $(per_req "$h_cpu_sum" "$h_rps") µs routed: **$(ratio "$(per_req "$h_cpu_sum" "$h_rps")" "$(per_req "$o_cpu_sum" "$o_rps")")×**. p99 added by the hop: $(awk -v a="$h_p99" -v b="$o_p99" 'BEGIN { printf "%.2f", a - b }') ms.

Busiest threads of the node wrk talks to (thread/tid=cores): $owner serving locally: $(threads_of "$BENCH_WORK/$owner.txt"); $other routing to $owner: $(threads_of "$BENCH_WORK/$other.txt").
EOF
)
echo "$table"
[[ -n ${RESULT_FILE:-} ]] && echo "$table" >"$RESULT_FILE"

if ((o_bad > 0 || h_bad > 0 || o_err > 0 || h_err > 0)); then
  log "FAILED: non-2xx owner=$o_bad non-owner=$h_bad, socket errors owner=$o_err non-owner=$h_err"
  exit 1
fi
exit 0
