#!/usr/bin/env bash
# The key-value cache (/cache/api/v1) against Redis 7, same machine, same run.
# Two parts, each against fresh servers:
#
#   get     GET hits: GET_KEYS (10,000) entries of 1 KB values, keys
#           key:000000000000 .. key:000000009999 (redis-benchmark -r keys),
#           preloaded into both by cache_load_bench; every request a random
#           existing key, no pipelining. troupe: wrk -t2 -c64 --latency -s
#           cache_get.lua; Redis: redis-benchmark -t get -c 50 -r 10000.
#           Checks: no miss (troupe stats, Redis keyspace_misses), no non-2xx.
#           Target: troupe ops/s >= 0.6 x Redis.
#   memory  memory per entry: MEM_ENTRIES (1,000,000) entries of 50 B keys and
#           270 B values loaded into a fresh server; RSS growth (VmRSS of
#           /proc/PID/status) per entry, and what the server accounts itself
#           (troupe stats `bytes`, Redis used_memory growth) per entry.
#           troupe runs with [cache] capacity_bytes = MEM_CAPACITY_BYTES so
#           nothing is evicted. Target: troupe RSS/entry <= Redis.
#
# Usage: tests/bench/cache_vs_redis.sh [get|memory]     (default: both)
#   env: DURATION=15s WARMUP=2s THREADS=2 CONNECTIONS=64 REDIS_CLIENTS=50
#        GET_KEYS=10000 GET_VALUE_BYTES=1024 MEM_ENTRIES=1000000
#        MEM_KEY_BYTES=50 MEM_VALUE_BYTES=270 MEM_CAPACITY_BYTES=2147483648
#        LOAD_CONNECTIONS=16 LOAD_PIPELINE=16 SETTLE=3 (seconds between the
#        end of a load and the second RSS sample), RESULT_FILE=path,
#        SERVERS="troupe redis" (measure only some of them, e.g. SERVERS=redis)
# Prints Markdown on stdout (progress on stderr). Exits 1 if a check failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
REDIS_CLIENTS=${REDIS_CLIENTS:-50}
GET_KEYS=${GET_KEYS:-10000}
GET_VALUE_BYTES=${GET_VALUE_BYTES:-1024}
MEM_ENTRIES=${MEM_ENTRIES:-1000000}
MEM_KEY_BYTES=${MEM_KEY_BYTES:-50}
MEM_VALUE_BYTES=${MEM_VALUE_BYTES:-270}
MEM_CAPACITY_BYTES=${MEM_CAPACITY_BYTES:-2147483648}
LOAD_CONNECTIONS=${LOAD_CONNECTIONS:-16}
LOAD_PIPELINE=${LOAD_PIPELINE:-16}
SETTLE=${SETTLE:-3}
SERVERS=${SERVERS:-troupe redis}
# redis-benchmark -r N names its keys "key:" + the number zero-padded to 12
# digits; cache_get.lua and the loader (16-byte keys) use the same names.
export CACHE_KEY_PREFIX=key: CACHE_KEYS=$GET_KEYS
GET_KEY_BYTES=16

part=${1:-all}
case $part in get | memory | all) ;; *) die "usage: $0 [get|memory]" ;; esac

bench_init
need_tools redis-server redis-cli redis-benchmark
LOADER=$(find_cache_load_bin)
failed=0
report=""
measures() { [[ " $SERVERS " == *" $1 "* ]]; }

# --- helpers ----------------------------------------------------------------

# load NAME cache_load_bench-args...: preloads entries; sets LOAD_RATE
# (entries/s). The loader's progress goes to stderr.
load() {
  local name=$1 out=$BENCH_WORK/load-$1.txt
  shift
  "$LOADER" "$@" --prefix "$CACHE_KEY_PREFIX" --connections "$LOAD_CONNECTIONS" \
    --pipeline "$LOAD_PIPELINE" >"$out" || die "loading $name failed: cache_load_bench $*"
  LOAD_RATE=$(sed -nE 's|^loaded [0-9]+ entries in .* \(([0-9.]+)/s\)$|\1|p' "$out")
  [[ -n $LOAD_RATE ]] || die "unexpected cache_load_bench output: $(cat "$out")"
  log "$name: $(cat "$out")"
}

# cache_stats FILE: saves the troupe node's /cache/api/v1/stats to FILE.
# stat_of FILE FIELD: one number of it.
cache_stats() {
  curl -fsS --max-time 5 "$TROUPE_URL/cache/api/v1/stats" >"$1" ||
    die "GET /cache/api/v1/stats failed"
}
stat_of() {
  local v
  v=$(grep -oE "\"$2\" *: *[0-9]+" "$1" | grep -oE '[0-9]+$' | head -n1)
  [[ -n $v ]] || die "no \"$2\" in the cache stats: $(cat "$1")"
  echo "$v"
}

seconds_of() { awk -v d="$1" 'BEGIN { n = d + 0; if (d ~ /m$/) n *= 60; if (d ~ /h$/) n *= 3600; print n }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# verdict RATIO >=|<= LIMIT: yes, NO, or n/a (a server was not measured)
verdict() {
  awk -v a="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (a == "n/a") print "n/a"; else print ((op == ">=" ? a + 0 >= t : a + 0 <= t) ? "yes" : "NO") }'
}

# --- part 1: GET hits ----------------------------------------------------------

get_troupe() {
  local entry s0=$BENCH_WORK/get-stats0.json s1=$BENCH_WORK/get-stats1.json
  start_troupe cache-get sync
  entry=$TROUPE_URL/cache/api/v1/entry
  load troupe-get --http "127.0.0.1:$TROUPE_PORT" --count "$GET_KEYS" \
    --key-bytes "$GET_KEY_BYTES" --value-bytes "$GET_VALUE_BYTES"
  g_load[troupe]=$LOAD_RATE
  # the first and the last key, with ':' raw and percent-encoded
  local k size
  for k in "key:000000000000" "key%3A$(printf '%012d' $((GET_KEYS - 1)))"; do
    size=$(curl -fsS --max-time 5 "$entry?key=$k" | wc -c) || die "GET key=$k failed"
    ((size == GET_VALUE_BYTES)) || die "GET key=$k: $size bytes, expected $GET_VALUE_BYTES"
  done
  cache_stats "$s0"
  (($(stat_of "$s0" entries) == GET_KEYS)) || die "troupe holds $(stat_of "$s0" entries) entries, expected $GET_KEYS"

  local args=(-t"$THREADS" -c"$CONNECTIONS" --latency -s "$BENCH_DIR/cache_get.lua")
  run_wrk "$BENCH_WORK/get-troupe-warmup.txt" "$TROUPE_PID" "${args[@]}" -d"$WARMUP" "$TROUPE_URL"
  cache_stats "$s0"
  log "troupe: measuring GET for $DURATION"
  run_wrk "$BENCH_WORK/get-troupe.txt" "$TROUPE_PID" "${args[@]}" -d"$DURATION" "$TROUPE_URL"
  kill -0 "$TROUPE_PID" 2>/dev/null || die "troupe died during the run"
  sleep 1
  cache_stats "$s1"
  read -r 'g_ops[troupe]' 'g_p99[troupe]' 'g_bad[troupe]' 'g_err[troupe]' \
    'g_cpu[troupe]' 'g_ccpu[troupe]' 'g_mcpu[troupe]' < <(parse_wrk "$BENCH_WORK/get-troupe.txt")
  g_count[troupe]=$(awk '/requests in/ { print $1 }' "$BENCH_WORK/get-troupe.txt")
  g_hits[troupe]=$(($(stat_of "$s1" hits) - $(stat_of "$s0" hits)))
  g_miss[troupe]=$(($(stat_of "$s1" misses) - $(stat_of "$s0" misses)))
  g_threads=$(threads_of "$BENCH_WORK/get-troupe.txt")
  stop_troupe "$TROUPE_PID"
  # every answered GET must have been a hit (hits may exceed the answers
  # wrk counted by the requests in flight when it stopped)
  if ((g_miss[troupe] > 0 || g_bad[troupe] > 0 || g_err[troupe] > 0 ||
    g_hits[troupe] * 100 < g_count[troupe] * 99)); then
    failed=1
    log "troupe GET run: misses ${g_miss[troupe]}, hits ${g_hits[troupe]} for ${g_count[troupe]} requests, non-2xx ${g_bad[troupe]}, socket errors ${g_err[troupe]}"
  fi
}

# redis_bench OUT -n N: redis-benchmark GET with the settings of this part.
redis_bench() {
  local out=$1
  shift
  run_measured "$out" "$REDIS_PID" redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" \
    -t get -c "$REDIS_CLIENTS" -d "$GET_VALUE_BYTES" -r "$GET_KEYS" --csv "$@"
}

# csv_field FILE COLUMN: a column of the GET line of redis-benchmark --csv.
csv_field() { awk -F'","' -v c="$2" '/^"GET"/ { gsub(/"/, "", $c); print $c }' "$1"; }

get_redis() {
  local warm secs n t0
  start_redis cache-get
  load redis-get --redis "127.0.0.1:$REDIS_PORT" --count "$GET_KEYS" \
    --key-bytes "$GET_KEY_BYTES" --value-bytes "$GET_VALUE_BYTES"
  g_load[redis]=$LOAD_RATE
  (($(rcli dbsize) == GET_KEYS)) || die "redis holds $(rcli dbsize) keys, expected $GET_KEYS"
  (($(rcli strlen "key:000000000000") == GET_VALUE_BYTES)) || die "redis: wrong value size"
  # warm-up with a fixed count; it also sizes -n for about DURATION seconds
  redis_bench "$BENCH_WORK/get-redis-warmup.txt" -n 100000
  warm=$(csv_field "$BENCH_WORK/get-redis-warmup.txt" 2)
  [[ -n $warm ]] || die "no GET line in the redis-benchmark output: $(cat "$BENCH_WORK/get-redis-warmup.txt")"
  secs=$(seconds_of "$DURATION")
  n=$(calc %.0f "$warm * $secs")
  ((n >= 100000)) || n=100000
  rcli config resetstat >/dev/null
  log "redis: measuring GET, $n requests (~$secs s at the warm-up rate $warm/s)"
  t0=$(date +%s.%N)
  redis_bench "$BENCH_WORK/get-redis.txt" -n "$n"
  g_secs=$(calc %.1f "$(date +%s.%N) - $t0")
  g_ops[redis]=$(calc %.0f "$(csv_field "$BENCH_WORK/get-redis.txt" 2)")
  g_p99[redis]=$(csv_field "$BENCH_WORK/get-redis.txt" 7)
  g_count[redis]=$n
  g_hits[redis]=$(redis_info keyspace_hits stats)
  g_miss[redis]=$(redis_info keyspace_misses stats)
  read -r 'g_cpu[redis]' 'g_ccpu[redis]' 'g_mcpu[redis]' < <(cpu_of "$BENCH_WORK/get-redis.txt")
  stop_redis "$REDIS_PID"
  if ((g_miss[redis] > 0 || g_hits[redis] < n)); then
    failed=1
    log "redis GET run: misses ${g_miss[redis]}, hits ${g_hits[redis]} for $n requests"
  fi
}

get_part() {
  declare -gA g_ops g_p99 g_bad g_err g_cpu g_ccpu g_mcpu g_count g_hits g_miss g_load
  local s
  for s in troupe redis; do # the cells of a server not measured
    g_ops[$s]=n/a g_p99[$s]=n/a g_bad[$s]=0 g_err[$s]=0 g_cpu[$s]=n/a g_ccpu[$s]=n/a
    g_mcpu[$s]=n/a g_count[$s]=0 g_hits[$s]=0 g_miss[$s]=0 g_load[$s]=n/a
  done
  g_threads=n/a g_secs=n/a
  log "cache GET: $GET_KEYS keys, $GET_VALUE_BYTES B values, load $(load_average)"
  if measures troupe; then get_troupe; fi
  if measures redis; then get_redis; fi
  local r p
  r=$(ratio "${g_ops[troupe]}" "${g_ops[redis]}")
  p=$(ratio "${g_p99[troupe]}" "${g_p99[redis]}")
  report+=$(
    cat <<EOF
### Cache GET hits: troupe vs Redis $(redis-server --version | awk '{ sub("v=", "", $3); print $3 }')

$GET_KEYS entries of $GET_VALUE_BYTES B values (keys key:000000000000 .. key:$(printf '%012d' $((GET_KEYS - 1)))), each request a random existing key, no pipelining. troupe: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s cache_get.lua (after a $WARMUP warm-up), durability=sync. Redis: redis-benchmark -t get -c $REDIS_CLIENTS -r $GET_KEYS -n ${g_count[redis]} (took $g_secs s; sized by 100000 warm-up requests), no persistence, single-threaded. Preload with cache_load_bench ($LOAD_CONNECTIONS connections, pipeline $LOAD_PIPELINE).

| server | GET ops/s | p99 ms | requests | hits | misses | non-2xx | server CPU (cores) | client CPU (cores) | machine busy (cores) | preload entries/s |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
| troupe | ${g_ops[troupe]} | ${g_p99[troupe]} | ${g_count[troupe]} | ${g_hits[troupe]} | ${g_miss[troupe]} | ${g_bad[troupe]} | ${g_cpu[troupe]} | ${g_ccpu[troupe]} | ${g_mcpu[troupe]} | ${g_load[troupe]} |
| Redis | ${g_ops[redis]} | ${g_p99[redis]} | ${g_count[redis]} | ${g_hits[redis]} | ${g_miss[redis]} | | ${g_cpu[redis]} | ${g_ccpu[redis]} | ${g_mcpu[redis]} | ${g_load[redis]} |
| **troupe / Redis** | **$r** | $p | | | | | | | | |

Target troupe/Redis GET ops/s >= 0.6: **$(verdict "$r" '>=' 0.6)**. Client = wrk resp. redis-benchmark, on the same $(nproc) CPUs.

Busiest troupe threads (thread/tid=cores): $g_threads.
EOF
  )
  report+=$'\n\n'
}

# --- part 2: memory per entry -------------------------------------------------

# mem_row SERVER RSS0_KB RSS1_KB ENTRIES ACCOUNTED_BYTES: fills the m_* maps.
mem_row() {
  m_entries[$1]=$4
  m_rss0[$1]=$(calc %.1f "$2 / 1024")
  m_growth[$1]=$(calc %.1f "($3 - $2) / 1024")
  m_per[$1]=$(calc %.0f "($3 - $2) * 1024 / $4")
  m_acct[$1]=$(calc %.0f "$5 / $4")
}

mem_troupe() {
  local s=$BENCH_WORK/mem-stats.json rss0 rss1 entries
  start_troupe cache-mem sync "cache.capacity_bytes=$MEM_CAPACITY_BYTES"
  sleep 1
  rss0=$(rss_kb "$TROUPE_PID")
  load troupe-mem --http "127.0.0.1:$TROUPE_PORT" --count "$MEM_ENTRIES" \
    --key-bytes "$MEM_KEY_BYTES" --value-bytes "$MEM_VALUE_BYTES"
  m_load[troupe]=$LOAD_RATE
  sleep "$SETTLE"
  rss1=$(rss_kb "$TROUPE_PID")
  cache_stats "$s"
  entries=$(stat_of "$s" entries)
  ((entries == MEM_ENTRIES)) ||
    die "troupe holds $entries entries after loading $MEM_ENTRIES (evictions $(stat_of "$s" evictions), capacity_bytes $(stat_of "$s" capacity_bytes))"
  mem_row troupe "$rss0" "$rss1" "$entries" "$(stat_of "$s" bytes)"
  stop_troupe "$TROUPE_PID"
}

mem_redis() {
  local rss0 rss1 used0 entries
  start_redis cache-mem
  sleep 1
  rss0=$(rss_kb "$REDIS_PID")
  used0=$(redis_info used_memory memory)
  load redis-mem --redis "127.0.0.1:$REDIS_PORT" --count "$MEM_ENTRIES" \
    --key-bytes "$MEM_KEY_BYTES" --value-bytes "$MEM_VALUE_BYTES"
  m_load[redis]=$LOAD_RATE
  sleep "$SETTLE"
  rss1=$(rss_kb "$REDIS_PID")
  entries=$(rcli dbsize)
  ((entries == MEM_ENTRIES)) || die "redis holds $entries keys after loading $MEM_ENTRIES"
  mem_row redis "$rss0" "$rss1" "$entries" "$(($(redis_info used_memory memory) - used0))"
  stop_redis "$REDIS_PID"
}

memory_part() {
  declare -gA m_entries m_rss0 m_growth m_per m_acct m_load
  local s
  for s in troupe redis; do # the cells of a server not measured
    m_entries[$s]=n/a m_rss0[$s]=n/a m_growth[$s]=n/a m_per[$s]=n/a m_acct[$s]=n/a m_load[$s]=n/a
  done
  log "cache memory: $MEM_ENTRIES entries, $MEM_KEY_BYTES B keys, $MEM_VALUE_BYTES B values"
  if measures troupe; then mem_troupe; fi
  if measures redis; then mem_redis; fi
  local r a
  r=$(ratio "${m_per[troupe]}" "${m_per[redis]}")
  a=$(ratio "${m_acct[troupe]}" "${m_acct[redis]}")
  report+=$(
    cat <<EOF
### Cache memory per entry: troupe vs Redis

$MEM_ENTRIES entries of $MEM_KEY_BYTES B keys and $MEM_VALUE_BYTES B values ($((MEM_KEY_BYTES + MEM_VALUE_BYTES)) B of payload each) loaded into a fresh server by cache_load_bench ($LOAD_CONNECTIONS connections, pipeline $LOAD_PIPELINE); RSS = VmRSS before the load and ${SETTLE} s after it. troupe: [cache] capacity_bytes = $MEM_CAPACITY_BYTES; accounted = stats \`bytes\`. Redis: no persistence; accounted = growth of used_memory.

| server | entries | RSS before MB | RSS growth MB | bytes/entry (RSS) | accounted bytes/entry | load entries/s |
|---|---:|---:|---:|---:|---:|---:|
| troupe | ${m_entries[troupe]} | ${m_rss0[troupe]} | ${m_growth[troupe]} | ${m_per[troupe]} | ${m_acct[troupe]} | ${m_load[troupe]} |
| Redis | ${m_entries[redis]} | ${m_rss0[redis]} | ${m_growth[redis]} | ${m_per[redis]} | ${m_acct[redis]} | ${m_load[redis]} |
| **troupe / Redis** | | | | **$r** | $a | |

Target troupe/Redis bytes per entry (RSS) <= 1.0: **$(verdict "$r" '<=' 1.0)**.
EOF
  )
  report+=$'\n\n'
}

# --- run ----------------------------------------------------------------------

if [[ $part != memory ]]; then get_part; fi
if [[ $part != get ]]; then memory_part; fi
if ((failed)); then
  report+="**FAILED RUN**: a GET was not a hit or not answered 2xx (see stderr); the numbers above are not valid."$'\n'
fi
printf '%s' "$report"
[[ -n ${RESULT_FILE:-} ]] && printf '%s' "$report" >"$RESULT_FILE"
exit "$failed"
