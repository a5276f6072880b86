#!/usr/bin/env bash
# The sales rank's figures: ingest rate over HTTP, memory per (category,
# product) pair with sales in the window, and GET /salesrank/api/v1/popular
# against nginx serving the same body.
#
# The sales: salesrank_gen.py writes SALES tab-separated lines (default
# 10,000,000, ~515 MB) under the temporary directory, timestamps uniform
# over the HOURS (160) hours before now (Unix seconds; ISO_FRACTION of them
# in ISO 8601 forms), CATEGORIES (1000) categories of Zipf-like sizes
# (weight 1/k: c1 gets ~13 %), products in three tiers (30 % of the sales to
# each category's 1000 hot products, 30 % to a warm pool of ~1.5 sales per
# product, 40 % to products sold once): ~6 M distinct pairs for the default
# size. All seeded (SEED). The generator also writes the expected ranking of
# c1 and the exact number of distinct pairs.
#
# 1. One connection: a node (fresh data dir, durability DURABILITY, default
#    group, every [salesrank] key at its default: refresh_interval_ms 1 h)
#    gets the whole file in one POST /salesrank/api/v1/sales (curl
#    --data-binary @file -H 'Expect:', Content-Length). Ingest rate =
#    accepted / curl's time_total. The node's CPU per thread over the ingest
#    is reported (/proc/PID/task/*/stat), and troupe_salesrank_sales_total
#    and VmRSS are sampled every SAMPLE seconds (the slowest and fastest
#    interval rate, the peak VmRSS). VmRSS and RssAnon are read before the
#    ingest and SETTLE seconds after it: growth x 1024 / troupe_salesrank_pairs
#    is the memory per pair. Checked: accepted == SALES, none rejected,
#    troupe_salesrank_sales_total == SALES, troupe_salesrank_pairs == the
#    generator's distinct pairs.
# 2. Two connections: a second node, fresh, the file split in two halves by
#    lines, both POSTed at once (the node has 2 I/O threads); rate = sum of
#    accepted / the longer time_total. Same checks.
# 3. popular vs nginx: the first node is restarted from its data dir (the
#    rankings are computed when the shards load, so no short refresh
#    interval is needed; the restore time is reported: start to /readyz).
#    The answer for category_id=c1&limit=LIMIT is checked against the
#    generator's ranking, then wrk -t$THREADS -c$CONNECTIONS --latency
#    (keep-alive) for DURATION after a WARMUP, then nginx (2 workers)
#    answering the byte-identical body under the same wrk settings.
#
# Targets (issue): ingest >= 1,000,000 lines/s at durability group (the
# notes' average is 400/s), popular requests/s >= 0.6 x nginx.
#
# Usage: tests/bench/salesrank.sh   (env: SALES=10000000, CATEGORIES=1000,
#        HOURS=160, ISO_FRACTION=0.05, SEED=42, DURABILITY=group,
#        SETTLE=20 (s), SAMPLE=2 (s), INGEST_LIMIT=1800 (s),
#        RESTORE_LIMIT=600 (s), TWO_CONNECTIONS=1, DURATION=15s, WARMUP=2s,
#        THREADS=2, CONNECTIONS=64, LIMIT=10, PYTHON=python3,
#        RESULT_FILE=path)
# The sales file takes ~52 bytes per sale under BENCH_TMPDIR, twice while
# the halves exist; the generator holds a few hundred MB while it runs.
# Prints a Markdown section on stdout (progress on stderr); with RESULT_FILE
# it is also written there. Exits 1 if a request failed or an answer or a
# count is not the expected one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$BENCH_DIR/twitter_lib.sh" # group3, at_most, rss_anon_kb, wrk_latency

SALES=${SALES:-10000000}
CATEGORIES=${CATEGORIES:-1000}
HOURS=${HOURS:-160}
ISO_FRACTION=${ISO_FRACTION:-0.05}
SEED=${SEED:-42}
DURABILITY=${DURABILITY:-group}
SETTLE=${SETTLE:-20}
SAMPLE=${SAMPLE:-2}
INGEST_LIMIT=${INGEST_LIMIT:-1800}
RESTORE_LIMIT=${RESTORE_LIMIT:-600}
TWO_CONNECTIONS=${TWO_CONNECTIONS:-1}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
LIMIT=${LIMIT:-10}
PYTHON=${PYTHON:-python3}
CATEGORY=c1 # the biggest category
API=/salesrank/api/v1

# rate N: N with thousands separators, or n/a
rate() { if [[ $1 == n/a ]]; then echo n/a; else group3 "$1"; fi; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.1f", (b - a) * 1024 / n; else print "n/a" }'; }

# post_sales FILE URL OUT: one POST of FILE; writes "code time_total" to
# OUT.time and the answer to OUT.
# shellcheck disable=SC2317 # run by ingest_all, itself run by run_measured
post_sales() {
  curl -sS --max-time "$INGEST_LIMIT" -o "$3" -w '%{http_code} %{time_total}\n' \
    -H 'Content-Type: text/tab-separated-values' -H 'Expect:' \
    --data-binary @"$1" "$2$API/sales" >"$3.time" 2>"$3.err" || echo "000 0" >"$3.time"
}

# ingest_all LABEL FILE...: POSTs the FILEs to the current node at once, one
# connection each (answers in $BENCH_WORK/ingest-LABEL-<i>.json).
# shellcheck disable=SC2317
ingest_all() {
  local label=$1 i=0 f p pids=()
  shift
  for f in "$@"; do
    post_sales "$f" "$TROUPE_URL" "$BENCH_WORK/ingest-$label-$i.json" &
    pids+=($!)
    i=$((i + 1))
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
}

# sampler URL PID OUT STOP_FILE: every SAMPLE seconds "seconds sales_total
# vmrss_kb" until STOP_FILE exists.
sampler() {
  local url=$1 pid=$2 out=$3 stop=$4 t0 s r
  t0=$(date +%s.%N)
  while [[ ! -e $stop ]] && kill -0 "$pid" 2>/dev/null; do
    s=$(curl -fsS --max-time 2 "$url/metrics" 2>/dev/null |
      awk '$1 == "troupe_salesrank_sales_total" { printf "%.0f", $NF }') || s=""
    r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || r=""
    [[ -n $s && -n $r ]] && echo "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') $s $r" >>"$out"
    sleep "$SAMPLE"
  done
}

# ingest LABEL FILE...: POSTs the FILEs at once (ingest_all) under
# run_measured (CPU per thread in $BENCH_WORK/cpu-LABEL.txt*), the sampler
# alongside. Sets INGEST_ACCEPTED, INGEST_SECONDS (the longest curl
# time_total), INGEST_RATE (accepted / INGEST_SECONDS) and INGEST_WALL;
# dies unless every answer is 200, nothing is rejected and SALES are
# accepted in all.
ingest() {
  local label=$1 i code secs accepted rejected out t0 t1
  shift
  local nfiles=$#
  INGEST_ACCEPTED=0
  INGEST_SECONDS=0
  log "$label: POSTing $(group3 "$SALES") sales over $nfiles connection(s) to $TROUPE_URL"
  rm -f "$BENCH_WORK/sampler.stop"
  sampler "$TROUPE_URL" "$TROUPE_PID" "$BENCH_WORK/samples-$label.txt" "$BENCH_WORK/sampler.stop" &
  SAMPLER_PID=$!
  t0=$(date +%s.%N)
  run_measured "$BENCH_WORK/cpu-$label.txt" "$TROUPE_PID" ingest_all "$label" "$@"
  t1=$(date +%s.%N)
  touch "$BENCH_WORK/sampler.stop"
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
  INGEST_WALL=$(seconds_between "$t0" "$t1")
  for ((i = 0; i < nfiles; i++)); do
    out=$BENCH_WORK/ingest-$label-$i.json
    read -r code secs <"$out.time"
    [[ $code == 200 ]] ||
      die "$label: POST $API/sales (connection $i) answered $code after $secs s: $(head -c 500 "$out" 2>/dev/null) $(cat "$out.err")"
    accepted=$(json_number "$out" accepted)
    rejected=$(json_number "$out" rejected_count)
    log "$label: connection $i answered 200 after $secs s: accepted $accepted, rejected $rejected"
    ((rejected == 0)) || die "$label: $rejected lines rejected: $(head -c 500 "$out")"
    INGEST_ACCEPTED=$((INGEST_ACCEPTED + accepted))
    INGEST_SECONDS=$(awk -v a="$INGEST_SECONDS" -v b="$secs" 'BEGIN { printf "%.3f", (b > a ? b : a) }')
  done
  ((INGEST_ACCEPTED == SALES)) || die "$label: accepted $INGEST_ACCEPTED of $SALES sales"
  INGEST_RATE=$(awk -v n="$INGEST_ACCEPTED" -v s="$INGEST_SECONDS" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
  log "$label: $(group3 "$INGEST_ACCEPTED") sales in $INGEST_SECONDS s ($(group3 "$INGEST_RATE") lines/s; wall $INGEST_WALL s)"
}

# thread_cpu LABEL: the node's CPU per thread over the ingest of LABEL,
# averaged over the transfer (the longest curl time_total; curl loading
# the file before it is excluded): "name/tid=cores, ..." busiest first,
# those >= 0.01 core. Sets NODE_CORES (all threads).
thread_cpu() {
  local f=$BENCH_WORK/cpu-$1.txt
  NODE_CORES=$(awk -v hz="$CLK_TCK" -v el="$INGEST_SECONDS" 'NR == FNR { before[$1] = $3; next }
    { used += $3 - before[$1] } END { printf "%.2f", used / hz / el }' "$f.threads0" "$f.threads1")
  THREAD_CORES=$(awk -v hz="$CLK_TCK" -v el="$INGEST_SECONDS" '
    NR == FNR { before[$1] = $3; next }
    { used = ($3 - before[$1]) / hz / el; if (used >= 0.01) printf "%.2f %s/%s\n", used, $2, $1 }
  ' "$f.threads0" "$f.threads1" | sort -rn | awk '{ printf "%s%s=%s", (NR > 1 ? ", " : ""), $2, $1 } END { print "" }')
}

# interval_rates LABEL: "slowest fastest peak_rss_kb" of the samples
# (sales/s between consecutive samples that both saw the ingest running).
interval_rates() {
  local f=$BENCH_WORK/samples-$1.txt
  [[ -s $f ]] || {
    echo "n/a n/a n/a"
    return
  }
  awk -v total="$SALES" '
    { if (NR > 1 && $2 > ps && $2 < total && ps > 0) { r = ($2 - ps) / ($1 - pt)
        if (min == "" || r < min) min = r; if (r > max) max = r }
      pt = $1; ps = $2; if ($3 > peak) peak = $3 }
    END { printf "%s %s %d\n", (min == "" ? "n/a" : sprintf("%.0f", min)),
      (max == "" ? "n/a" : sprintf("%.0f", max)), peak }' "$f"
}

# check_counts LABEL [SALES]: the node's pair metric (and its sales
# counter, unless SALES is "-": a restarted node counts from 0) against the
# generator's; sets NODE_PAIRS.
check_counts() {
  local sales want=${2:-$SALES}
  sales=$(node_metric "$TROUPE_URL" troupe_salesrank_sales_total)
  NODE_PAIRS=$(node_metric "$TROUPE_URL" troupe_salesrank_pairs)
  log "$1: troupe_salesrank_sales_total $sales, troupe_salesrank_pairs $NODE_PAIRS (generator: $gen_pairs pairs)"
  [[ $want == - ]] || ((sales == want)) || die "$1: troupe_salesrank_sales_total is $sales, expected $want"
  ((NODE_PAIRS == gen_pairs)) || die "$1: troupe_salesrank_pairs is $NODE_PAIRS, the file has $gen_pairs distinct pairs"
}

# restart_troupe: starts the node of TROUPE_DIR again (same config, data
# dir and ports); sets TROUPE_PID and RESTORE_SECONDS (start to /readyz).
restart_troupe() {
  local bin t0 t1
  bin=$(find_troupe_bin)
  t0=$(date +%s.%N)
  "$bin" run --config "$TROUPE_DIR/node.toml" >>"$TROUPE_DIR/troupe.log" 2>&1 &
  TROUPE_PID=$!
  BENCH_PIDS+=("$TROUPE_PID")
  log "troupe restarted: pid $TROUPE_PID on $TROUPE_URL, data $TROUPE_DIR/data"
  wait_ready "$TROUPE_URL/readyz" "$TROUPE_PID" "$RESTORE_LIMIT" || {
    tail -n 20 "$TROUPE_DIR/troupe.log" >&2
    die "the restarted node did not become ready"
  }
  t1=$(date +%s.%N)
  RESTORE_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
}

# check_popular FILE: FILE (an answer for c1) must be the expected top LIMIT
check_popular() {
  "$PYTHON" - "$1" "$EXPECT" "$CATEGORY" "$LIMIT" <<'EOF'
import json, sys
body, expect, category, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
got = json.load(open(body))
want = [l.split() for l in open(expect)][:limit]
rows = [(r["id"], r["category_id"], r["product_id"], r["total_sold"]) for r in got]
exp = [(i + 1, category, p, int(t)) for i, (p, t) in enumerate(want)]
if rows != exp:
    print("got  %s\nwant %s" % (rows, exp))
    sys.exit(1)
EOF
}

bench_init
# The sales files are large: removed even when a failed run keeps the logs.
# shellcheck disable=SC2317 # run by the EXIT trap
salesrank_cleanup() {
  local rc=$?
  set +e # errexit would end the trap at the (exit) below
  [[ -n ${SAMPLER_PID:-} ]] && touch "$BENCH_WORK/sampler.stop" && wait "$SAMPLER_PID"
  [[ ${BENCH_KEEP:-0} == 1 || -z ${SALES_FILE:-} ]] || rm -f "$SALES_FILE" "$SALES_FILE".half*
  (exit "$rc") # bench_cleanup takes the exit status from $?
  bench_cleanup
}
trap salesrank_cleanup EXIT
need_tools "$PYTHON" split
log "salesrank: $(group3 "$SALES") sales, $CATEGORIES categories, durability $DURABILITY, load $(load_average)"

# --- the sales ------------------------------------------------------------------
SALES_FILE=$BENCH_WORK/sales.tsv
EXPECT=$BENCH_WORK/expected-$CATEGORY.txt
"$PYTHON" "$BENCH_DIR/salesrank_gen.py" --sales "$SALES" --categories "$CATEGORIES" --hours "$HOURS" \
  --iso-fraction "$ISO_FRACTION" --seed "$SEED" --out "$SALES_FILE" --check-category "$CATEGORY" \
  --expect-out "$EXPECT" >"$BENCH_WORK/gen.txt" || die "salesrank_gen.py failed"
log "sales: $(tr '\n' ' ' <"$BENCH_WORK/gen.txt")"
gen_pairs=$(value_of "$BENCH_WORK/gen.txt" pairs)
gen_secs=$(value_of "$BENCH_WORK/gen.txt" seconds)
iso_lines=$(value_of "$BENCH_WORK/gen.txt" iso_lines)
c1_sales=$(value_of "$BENCH_WORK/gen.txt" check_category_sales)
c1_pairs=$(value_of "$BENCH_WORK/gen.txt" check_category_pairs)
file_size=$(du -h "$SALES_FILE" | cut -f1)
(($(wc -l <"$EXPECT") >= LIMIT)) || die "$CATEGORY has fewer than $LIMIT products"

# --- one connection ---------------------------------------------------------------
start_troupe salesrank-1 "$DURABILITY"
one_dir=$TROUPE_DIR
one_port=$TROUPE_PORT
sleep 2
rss0=$(rss_kb "$TROUPE_PID")
anon0=$(rss_anon_kb "$TROUPE_PID")
log "one connection: before the ingest VmRSS $rss0 KiB, RssAnon $anon0 KiB"
ingest one "$SALES_FILE"
one_rate=$INGEST_RATE
one_secs=$INGEST_SECONDS
thread_cpu one
one_threads=$THREAD_CORES
one_cores=$NODE_CORES
read -r one_cpu one_ccpu one_mcpu < <(cpu_of "$BENCH_WORK/cpu-one.txt")
read -r one_min one_max one_peak < <(interval_rates one)
log "one connection: node CPU $one_cores cores over the transfer (per thread: $one_threads); over the whole run node $one_cpu, curl $one_ccpu, machine $one_mcpu"
check_counts one
pairs=$NODE_PAIRS
sleep "$SETTLE"
rss1=$(rss_kb "$TROUPE_PID")
anon1=$(rss_anon_kb "$TROUPE_PID")
disk_kb=$(du -sk "$TROUPE_DIR/data" | cut -f1)
log "one connection: ${SETTLE}s after the ingest VmRSS $rss1 KiB, RssAnon $anon1 KiB, data dir $disk_kb KiB"
kill -0 "$TROUPE_PID" 2>/dev/null || die "troupe died during the run"
stop_troupe "$TROUPE_PID"

# --- two connections --------------------------------------------------------------
if [[ $TWO_CONNECTIONS == 1 ]]; then
  split -n l/2 -d "$SALES_FILE" "$SALES_FILE.half"
  start_troupe salesrank-2 "$DURABILITY"
  sleep 2
  two_rss0=$(rss_kb "$TROUPE_PID")
  ingest two "$SALES_FILE.half00" "$SALES_FILE.half01"
  rm -f "$SALES_FILE".half*
  two_rate=$INGEST_RATE
  two_secs=$INGEST_SECONDS
  thread_cpu two
  two_threads=$THREAD_CORES
  two_cores=$NODE_CORES
  read -r two_cpu two_ccpu two_mcpu < <(cpu_of "$BENCH_WORK/cpu-two.txt")
  read -r two_min two_max two_peak < <(interval_rates two)
  log "two connections: node CPU $two_cores cores over the transfer (per thread: $two_threads); over the whole run node $two_cpu, curl $two_ccpu, machine $two_mcpu"
  check_counts two
  sleep "$SETTLE"
  two_rss1=$(rss_kb "$TROUPE_PID")
  log "two connections: ${SETTLE}s after the ingest VmRSS $two_rss1 KiB"
  kill -0 "$TROUPE_PID" 2>/dev/null || die "troupe died during the run"
  stop_troupe "$TROUPE_PID"
fi

# --- popular vs nginx -------------------------------------------------------------
TROUPE_DIR=$one_dir
TROUPE_PORT=$one_port
TROUPE_URL=http://127.0.0.1:$one_port
restart_troupe
check_counts restarted -
rss_restored=$(rss_kb "$TROUPE_PID")
anon_restored=$(rss_anon_kb "$TROUPE_PID")
log "restarted node ready after $RESTORE_SECONDS s, VmRSS $rss_restored KiB, RssAnon $anon_restored KiB"
path="$API/popular?category_id=$CATEGORY&limit=$LIMIT"
body_file=$BENCH_WORK/troupe-body.json
code=$(curl -sS --max-time 10 -o "$body_file" -w '%{http_code}' "$TROUPE_URL$path")
[[ $code == 200 ]] || die "GET $path answered $code: $(head -c 300 "$body_file")"
check_popular "$body_file" || die "GET $path is not the expected ranking"
body_size=$(wc -c <"$body_file")
log "GET $path: the expected ranking, $body_size B"
wrk_args=(-t"$THREADS" -c"$CONNECTIONS" --latency)
run_wrk "$BENCH_WORK/troupe-warmup.txt" "$TROUPE_PID" "${wrk_args[@]}" -d"$WARMUP" "$TROUPE_URL$path"
log "troupe: measuring for $DURATION"
run_wrk "$BENCH_WORK/troupe.txt" "$TROUPE_PID" "${wrk_args[@]}" -d"$DURATION" "$TROUPE_URL$path"
kill -0 "$TROUPE_PID" 2>/dev/null || die "troupe died during the run"
curl -fsS --max-time 10 -o "$BENCH_WORK/after-body.json" "$TROUPE_URL$path" || die "GET $path failed after the run"
cmp -s "$body_file" "$BENCH_WORK/after-body.json" || die "the answer of $path changed during the run"
stop_troupe "$TROUPE_PID"
measure_nginx "$body_file" "$path" "$path" "${wrk_args[@]}"

# --- report -----------------------------------------------------------------------
read -r t_rps t_p99 t_bad t_err t_cpu t_wcpu t_mcpu < <(parse_wrk "$BENCH_WORK/troupe.txt")
read -r n_rps n_p99 n_bad n_err n_cpu n_wcpu n_mcpu < <(parse_wrk "$BENCH_WORK/nginx.txt")
t_p50=$(wrk_latency "$BENCH_WORK/troupe.txt" 50)
n_p50=$(wrk_latency "$BENCH_WORK/nginx.txt" 50)
r=$(ratio "$t_rps" "$n_rps")
best_rate=$one_rate
[[ $TWO_CONNECTIONS == 1 ]] && ((two_rate > best_rate)) && best_rate=$two_rate
bpp=$(per "$rss0" "$rss1" "$pairs")
bpp_anon=$(per "$anon0" "$anon1" "$pairs")

section=$(
  cat <<EOF
### Sales rank: ingest rate, memory per pair, popular vs nginx

$(group3 "$SALES") sales ($file_size, generated in ${gen_secs}s by salesrank_gen.py, seed $SEED): timestamps uniform over the last $HOURS hours ($(group3 "$iso_lines") in ISO 8601), $CATEGORIES categories of Zipf-like sizes ($CATEGORY: $(group3 "$c1_sales") sales, $(group3 "$c1_pairs") products), 30 % of the sales to 1000 hot products per category, 30 % to a warm pool, 40 % to products sold once: $(group3 "$gen_pairs") distinct (category, product) pairs. A node with a fresh data dir, durability=$DURABILITY, [salesrank] at its defaults; each POST /salesrank/api/v1/sales by curl --data-binary (Content-Length), rate = accepted / curl's time_total. Every line accepted, troupe_salesrank_sales_total and troupe_salesrank_pairs equal to the generator's counts. Memory: VmRSS before the ingest and ${SETTLE}s after it.

| measure | value | target | met |
|---|---:|---:|---|
| **ingest, one connection** (lines/s) | **$(group3 "$one_rate")** ($(group3 "$SALES") in $one_secs s) | | |
EOF
  if [[ $TWO_CONNECTIONS == 1 ]]; then
    echo "| **ingest, two connections** (half the file each, lines/s) | **$(group3 "$two_rate")** (in $two_secs s) | | |"
  fi
  cat <<EOF
| **ingest rate, best** (lines/s) | **$(group3 "$best_rate")** | >= 1,000,000 (notes: 400) | $(meets "$best_rate" 1000000) |
| VmRSS before / ${SETTLE}s after the ingest (largest ${SAMPLE}s sample during it) | $(mb "$rss0") / $(mb "$rss1") MiB ($(mb "$one_peak") MiB) | | |
| **bytes per pair** (VmRSS growth / troupe_salesrank_pairs, $(group3 "$pairs") pairs) | **$bpp** | | |
| RssAnon growth, bytes per pair | $bpp_anon | | |
| after a restart (restored from LMDB in $RESTORE_SECONDS s): VmRSS / RssAnon, RssAnon growth per pair | $(mb "$rss_restored") / $(mb "$anon_restored") MiB, $(per "$anon0" "$anon_restored" "$pairs") B | | |
| data dir after the ingest (LMDB) | $(mb "$disk_kb") MiB | | |
| **popular: troupe / nginx requests/s** | **$r** | >= 0.6 | $(meets "$r" 0.6) |

Ingest over one connection: node CPU $one_cores cores over the transfer, per thread (name/tid=cores): $one_threads. Over the whole curl run (incl. curl loading the file): node $one_cpu, curl $one_ccpu, machine $one_mcpu cores. Slowest / fastest ${SAMPLE}s interval (troupe_salesrank_sales_total): $(rate "$one_min") / $(rate "$one_max") sales/s.
EOF
  if [[ $TWO_CONNECTIONS == 1 ]]; then
    echo
    echo "Two connections: node CPU $two_cores cores over the transfer, per thread: $two_threads. Over the whole run: node $two_cpu, curl $two_ccpu, machine $two_mcpu cores. Slowest / fastest ${SAMPLE}s interval $(rate "$two_min") / $(rate "$two_max") sales/s; VmRSS $(mb "$two_rss0") -> $(mb "$two_rss1") MiB ${SETTLE}s after (largest sample during the ingest $(mb "$two_peak"))."
  fi
  cat <<EOF

GET $path (the node restarted from its data dir after the one-connection ingest, so the rankings are those computed when its shards loaded; answer checked against the generator's ranking), $body_size B: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up), keep-alive; nginx answers every request with the same bytes.

| server | requests/s | p50 ms | p99 ms | non-2xx | socket errors | server CPU (cores) | wrk CPU (cores) | machine busy (cores) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| troupe | $t_rps | $t_p50 | $t_p99 | $t_bad | $t_err | $t_cpu | $t_wcpu | $t_mcpu |
| nginx (2 workers) | $n_rps | $n_p50 | $n_p99 | $n_bad | $n_err | $n_cpu | $n_wcpu | $n_mcpu |
| **troupe / nginx** | **$r** | | $(ratio "$t_p99" "$n_p99") | | | | | |

Busiest server threads during the run (thread/tid=cores): troupe: $(threads_of "$BENCH_WORK/troupe.txt"); nginx: $(threads_of "$BENCH_WORK/nginx.txt").
EOF
)
echo "$section"
[[ -n ${RESULT_FILE:-} ]] && echo "$section" >"$RESULT_FILE"

if ((t_bad > 0 || n_bad > 0 || t_err > 0 || n_err > 0)); then
  log "FAILED: non-2xx troupe=$t_bad nginx=$n_bad, socket errors troupe=$t_err nginx=$n_err"
  exit 1
fi
exit 0
