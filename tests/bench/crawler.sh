#!/usr/bin/env bash
# Crawler and search figures (issue 16): crawl rate next to wget on the same
# hosts in the same run, search latency of cache misses and hits, index size
# per page.
#
# The site: one nginx (2 workers, loopback, keep-alive) with four servers,
# each a Debian documentation tree of its own (install-deps.sh):
#   pg   /usr/share/doc/postgresql-doc-15/html      seed /index.html
#   py   /usr/share/doc/python3.11/html             seed /index.html
#   c    /usr/share/cppreference/doc/html/en, only /c.html and /c/   seed /c.html
#   cpp  /usr/share/cppreference/doc/html/en, only /cpp.html and /cpp/ seed /cpp.html
# (cppreference's C pages link to its C++ pages and the other way round:
# those links answer 404 on the other host, for both crawlers alike.) The
# access log has one line per request: time, port, status, Content-Type, URI,
# connection serial number.
#
# 1. wget: one `wget -r -np -l inf` per host (keep-alive, no delay, robots.txt
#    read), all four in parallel, files into a temporary dir; page
#    requisites (css, js, images, fonts) rejected, as troupe only follows
#    <a>/<area> links. Time = start to the last wget exiting.
# 2. troupe: a node with a fresh data dir, [crawler] per_host_connections =
#    1, per_host_delay_ms = 0 (the same politeness as wget), max_pages =
#    MAX_PAGES, max_depth = MAX_DEPTH; one POST /crawler/api/v1/seeds of the four
#    seeds, allowed_hosts the four hosts. Time = the POST to the first of two
#    status polls (0.2 s apart) with queued = in_flight = 0 and nothing more
#    crawled in between (at most CRAWL_LIMIT s).
#    Pages (both) = text/html 200 answers in the access log during the
#    phase; rate = pages / time. Per host, from the same log: the seconds
#    to its last fetch and the connections used. troupe does more per page than wget
#    (parsing into terms, simhash near-duplicate lookup, indexing,
#    journaling the frontier and the index): reported as is.
# 3. Search on that node: crawler_gen.py draws two-term queries from the
#    trees' text (both terms in one page, 0.2-5 % of the pages each). Hits:
#    HITS queries asked once each (curl: all must answer 200, most with
#    results), then wrk cycling over them (crawler_queries.lua, limit 10);
#    misses: wrk asking no cache key twice (other queries, limit 10, then
#    11.. if the list runs out). Both wrk -t$THREADS -c$CONNECTIONS
#    -d$DURATION --latency; X-Cache of every answer counted by the script,
#    and a few samples by curl (a fresh query: MISS, then HIT).
# 4. Index size per page: index_bytes / indexed of the status; VmRSS of the
#    node / indexed (and the growth of VmRSS over the crawl / indexed).
#
# Target (issue): troupe pages/s >= the wgets' together.
#
# Usage: tests/bench/crawler.sh   (env: DURATION=10s, THREADS=2,
#        CONNECTIONS=16, HITS=50, MAX_PAGES=100000, MAX_DEPTH=64,
#        WORKERS (crawler.workers, default the node's), DURABILITY=group,
#        CRAWL_LIMIT=600 (s), WGET_LIMIT=600 (s), SEED=42, PYTHON=python3,
#        RESULT_FILE=path)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$BENCH_DIR/twitter_lib.sh" # group3, wrk_latency, seconds_between

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
HITS=${HITS:-50}
MAX_PAGES=${MAX_PAGES:-100000}
MAX_DEPTH=${MAX_DEPTH:-64}
WORKERS=${WORKERS:-}
DURABILITY=${DURABILITY:-group}
CRAWL_LIMIT=${CRAWL_LIMIT:-600}
WGET_LIMIT=${WGET_LIMIT:-600}
SEED=${SEED:-42}
PYTHON=${PYTHON:-python3}

PG_DOCS=/usr/share/doc/postgresql-doc-15/html
PY_DOCS=/usr/share/doc/python3.11/html
CPPREF=/usr/share/cppreference/doc/html/en
HOSTS=(pg py c cpp)
declare -A SEED_PATH=([pg]=/index.html [py]=/index.html [c]=/c.html [cpp]=/cpp.html)
declare -A PORT # host -> port

bench_init
# On every exit the servers (nginx, the node, wgets still running) stop,
# then the bulky parts go: wget's copies of the trees and the node's data.
# bench_cleanup removes the rest, but keeps the small logs after a failure
# (as for every benchmark); after Ctrl-C or SIGTERM they go too (unless
# BENCH_KEEP=1).
# shellcheck disable=SC2317 # run by the EXIT trap
crawler_cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${BENCH_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_PIDS[@]}"; do await_exit "$pid" 15; done
  BENCH_PIDS=()
  if [[ -n $BENCH_WORK && -d $BENCH_WORK ]]; then
    rm -rf "$BENCH_WORK/wget" "$BENCH_WORK/troupe-crawler/data"
    if ((rc == 130 || rc == 143)) && [[ ${BENCH_KEEP:-0} != 1 ]]; then
      rm -rf "$BENCH_WORK"
      BENCH_WORK=""
    fi
  fi
  (exit "$rc")
  bench_cleanup
}
trap crawler_cleanup EXIT
need_tools wget "$PYTHON"
for d in "$PG_DOCS" "$PY_DOCS" "$CPPREF/c" "$CPPREF/cpp"; do
  [[ -d $d ]] || die "no $d: run tests/bench/install-deps.sh"
done
export TROUPE_BIN
TROUPE_BIN=$(find_troupe_bin)
log "crawler: 4 hosts, durability $DURABILITY, load $(load_average)"

# --- queries (before any timing) ------------------------------------------------
"$PYTHON" "$BENCH_DIR/crawler_gen.py" --tree "$PG_DOCS" --tree "$PY_DOCS" \
  --tree "$CPPREF/c" --tree "$CPPREF/cpp" --hits "$HITS" --seed "$SEED" \
  --hits-out "$BENCH_WORK/hits.txt" --misses-out "$BENCH_WORK/misses.txt" \
  >"$BENCH_WORK/gen.txt" || die "crawler_gen.py failed"
html_files=$(value_of "$BENCH_WORK/gen.txt" files)
log "queries: $HITS hits, $(value_of "$BENCH_WORK/gen.txt" misses) misses from $(group3 "$html_files") HTML files ($(value_of "$BENCH_WORK/gen.txt" vocabulary) terms of the vocabulary)"

# --- the site -----------------------------------------------------------------------
SITE=$BENCH_WORK/site
mkdir -p "$SITE/tmp"
for h in "${HOSTS[@]}"; do free_port "PORT[$h]"; done
temps="client_body_temp_path $SITE/tmp/body;"
for m in proxy fastcgi uwsgi scgi; do
  nginx -V 2>&1 | grep -q -- "--without-http_${m}_module" || temps+=" ${m}_temp_path $SITE/tmp/$m;"
done
cat >"$SITE/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $SITE/nginx.pid;
error_log $SITE/error.log warn;
events { worker_connections 1024; }
http {
  types {
    text/html html htm; text/css css; application/javascript js;
    text/plain txt rst py; image/png png; image/gif gif; image/jpeg jpg jpeg;
    image/svg+xml svg; image/x-icon ico; font/woff woff; font/woff2 woff2;
    application/zip zip;
  }
  default_type application/octet-stream;
  log_format crawl '\$msec \$server_port \$status "\$sent_http_content_type" \$request_uri \$connection';
  access_log $SITE/access.log crawl;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  sendfile on;
  $temps
  server { listen 127.0.0.1:${PORT[pg]}; root $PG_DOCS; }
  server { listen 127.0.0.1:${PORT[py]}; root $PY_DOCS; }
  server {
    listen 127.0.0.1:${PORT[c]}; root $CPPREF;
    location / { return 404; }
    location = /c.html { }
    location /c/ { }
  }
  server {
    listen 127.0.0.1:${PORT[cpp]}; root $CPPREF;
    location / { return 404; }
    location = /cpp.html { }
    location /cpp/ { }
  }
}
EOF
nginx -p "$SITE" -e "$SITE/error.log" -c "$SITE/nginx.conf" -t >"$SITE/test.log" 2>&1 || {
  cat "$SITE/test.log" >&2
  die "nginx config test failed"
}
nginx -p "$SITE" -e "$SITE/error.log" -c "$SITE/nginx.conf" >"$SITE/nginx.log" 2>&1 &
SITE_PID=$!
BENCH_PIDS+=("$SITE_PID")
for h in "${HOSTS[@]}"; do
  wait_ready "http://127.0.0.1:${PORT[$h]}${SEED_PATH[$h]}" "$SITE_PID" 10 || {
    cat "$SITE/error.log" >&2 || true
    die "nginx did not serve $h"
  }
done
log "site: nginx pid $SITE_PID, $(for h in "${HOSTS[@]}"; do printf '%s=127.0.0.1:%s ' "$h" "${PORT[$h]}"; done)"

# log_lines: lines in the access log so far (a phase is the lines after a mark)
log_lines() { wc -l <"$SITE/access.log"; }
# phase_log FROM TO OUT: the access log lines FROM+1..TO
phase_log() { sed -n "$(($1 + 1)),$2p" "$SITE/access.log" >"$3"; }
# html_pages FILE [PORT]: text/html 200 answers in FILE (of PORT)
html_pages() {
  awk -v p="${2:-}" '$3 == 200 && $4 ~ /^"text\/html/ && (p == "" || $2 == p) { n++ } END { print n + 0 }' "$1"
}
# distinct_html FILE: distinct (port, URI) among its text/html 200 answers
distinct_html() {
  awk '$3 == 200 && $4 ~ /^"text\/html/ { seen[$2 " " $5] = 1 } END { print length(seen) }' "$1"
}
# connections FILE: "pg n, py n, ..." distinct connections per host
connections() {
  local h list=""
  for h in "${HOSTS[@]}"; do
    list+="${list:+, }$h $(awk -v p="${PORT[$h]}" '$2 == p { c[$NF] = 1 } END { print length(c) }' "$1")"
  done
  echo "$list"
}
# status_summary FILE: "200:n 404:n ..." of all its answers
status_summary() { awk '{ n[$3]++ } END { for (s in n) printf "%s:%d ", s, n[s] }' "$1" | xargs; }
# per_host FILE: "pg n, py n, ..." HTML pages per host
per_host() {
  local h list=""
  for h in "${HOSTS[@]}"; do list+="${list:+, }$h $(group3 "$(html_pages "$1" "${PORT[$h]}")")"; done
  echo "$list"
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
# last_fetches FILE T0: "pg 1.2, py 0.8, ..." seconds from T0 to the last
# request of each host in FILE
last_fetches() {
  local h list="" t
  for h in "${HOSTS[@]}"; do
    t=$(awk -v p="${PORT[$h]}" -v t0="$2" '$2 == p { t = $1 } END { if (t) printf "%.1f", t - t0; else print "-" }' "$1")
    list+="${list:+, }$h $t"
  done
  echo "$list"
}
# cores TICKS0 TICKS1 SECONDS: average cores busy
cores() { awk -v a="$1" -v b="$2" -v s="$3" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz / s }'; }

# phase_figures NAME T0: sets NAME_pages, NAME_distinct, NAME_requests,
# NAME_statuses, NAME_hosts, NAME_rate, NAME_last and NAME_conns from the
# phase's access log $BENCH_WORK/NAME.log (NAME_secs must be set)
phase_figures() {
  local name=$1 t0=$2 log=$BENCH_WORK/$1.log secs_var=$1_secs
  local pages
  pages=$(html_pages "$log")
  printf -v "${name}_pages" '%s' "$pages"
  printf -v "${name}_distinct" '%s' "$(distinct_html "$log")"
  printf -v "${name}_requests" '%s' "$(wc -l <"$log")"
  printf -v "${name}_statuses" '%s' "$(status_summary "$log")"
  printf -v "${name}_hosts" '%s' "$(per_host "$log")"
  printf -v "${name}_rate" '%s' "$(rate "$pages" "${!secs_var}")"
  printf -v "${name}_last" '%s' "$(last_fetches "$log" "$t0")"
  printf -v "${name}_conns" '%s' "$(connections "$log")"
}

# --- phase 1: wget ---------------------------------------------------------------------
WGET_DIR=$BENCH_WORK/wget
mkdir -p "$WGET_DIR"
reject='\.(css|js|png|gif|jpe?g|svg|ico|woff2?|ttf|eot)([?#].*)?$'
mark=$(log_lines)
log "wget: $((${#HOSTS[@]})) x wget -r -np -l inf in parallel"
wget_pids=()
child_cpu
c0=$CHILD_CPU
n0=$(tree_cpu_ticks "$SITE_PID")
read -r m0 _ < <(machine_ticks)
t0=$(date +%s.%N)
for h in "${HOSTS[@]}"; do
  wget -r -np -l inf -q -P "$WGET_DIR/$h" --reject-regex "$reject" \
    "http://127.0.0.1:${PORT[$h]}${SEED_PATH[$h]}" >"$WGET_DIR/$h.log" 2>&1 &
  wget_pids+=($!)
  BENCH_PIDS+=($!)
done
deadline=$(($(date +%s) + WGET_LIMIT))
for pid in "${wget_pids[@]}"; do
  while kill -0 "$pid" 2>/dev/null; do
    (($(date +%s) < deadline)) || die "wget still running after $WGET_LIMIT s"
    sleep 0.02
  done
done
t1=$(date +%s.%N)
wget_rc=0
for pid in "${wget_pids[@]}"; do
  rc=0
  wait "$pid" || rc=$?
  forget_pid "$pid"
  # 8: some answer was an error (the 404s of cross-tree links)
  ((rc == 0 || rc == 8)) || wget_rc=$rc
done
child_cpu
n1=$(tree_cpu_ticks "$SITE_PID")
read -r m1 _ < <(machine_ticks)
wget_cpu=$(awk -v a="$c0" -v b="$CHILD_CPU" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.2f", (b - a) / (t1 - t0) }')
wget_nginx_cpu=$(cores "$n0" "$n1" "$(seconds_between "$t0" "$t1")")
wget_machine=$(cores "$m0" "$m1" "$(seconds_between "$t0" "$t1")")
((wget_rc == 0)) || die "a wget failed (exit $wget_rc): $(cat "$WGET_DIR"/*.log | head -c 500)"
wget_secs=$(seconds_between "$t0" "$t1")
phase_log "$mark" "$(log_lines)" "$BENCH_WORK/wget.log"
phase_figures wget "$t0"
rm -rf "$WGET_DIR"
log "wget: $wget_pages HTML pages ($wget_requests requests: $wget_statuses) in $wget_secs s: $wget_rate pages/s; last fetch per host $wget_last; connections $wget_conns; wget $wget_cpu cores, nginx $wget_nginx_cpu, machine $wget_machine"

# --- phase 2: troupe -------------------------------------------------------------------
overrides=(crawler.per_host_connections=1 crawler.per_host_delay_ms=0
  "crawler.max_pages=$MAX_PAGES" "crawler.max_depth=$MAX_DEPTH")
[[ -n $WORKERS ]] && overrides+=("crawler.workers=$WORKERS")
start_troupe crawler "$DURABILITY" "${overrides[@]}"
sleep 1
rss0=$(rss_kb "$TROUPE_PID")
API=$TROUPE_URL/crawler/api/v1
status_json() { curl -fsS --max-time 5 "$API/status"; }
# field JSON KEY: a top-level number (or true/false) of a status answer
field() { sed -nE "s/.*\"$2\" *: *([0-9.eE+-]+|true|false).*/\1/p" <<<"$1"; }

seeds="" allowed=""
for h in "${HOSTS[@]}"; do
  seeds+="${seeds:+,}\"http://127.0.0.1:${PORT[$h]}${SEED_PATH[$h]}\""
  allowed+="${allowed:+,}\"127.0.0.1:${PORT[$h]}\""
done
body="{\"urls\":[$seeds],\"max_pages\":$MAX_PAGES,\"max_depth\":$MAX_DEPTH,\"allowed_hosts\":[$allowed]}"
mark=$(log_lines)
log "troupe: POST seeds $body"
s0=$(tree_cpu_ticks "$TROUPE_PID")
n0=$(tree_cpu_ticks "$SITE_PID")
read -r m0 _ < <(machine_ticks)
t0=$(date +%s.%N)
code=$(curl -sS --max-time 10 -o "$BENCH_WORK/seeds.json" -w '%{http_code}' \
  -H 'Content-Type: application/json' --data "$body" "$API/seeds")
[[ $code == 202 ]] || die "POST seeds answered $code: $(head -c 500 "$BENCH_WORK/seeds.json")"
deadline=$(($(date +%s) + CRAWL_LIMIT))
idle_since="" idle_crawled="" next_log=$(($(date +%s) + 5))
while :; do
  s=$(status_json) || die "GET status failed"
  now=$(date +%s.%N)
  q=$(field "$s" queued)
  f=$(field "$s" in_flight)
  c=$(field "$s" crawled)
  n=$(field "$s" failed)
  [[ -n $q && -n $f && -n $c && -n $n ]] || die "unexpected status: $s"
  if ((q == 0 && f == 0 && c + n > 0)); then
    # idle twice in a row with nothing crawled in between: done
    [[ -n $idle_since && $idle_crawled == "$c/$n" ]] && break
    idle_since=$now idle_crawled="$c/$n"
  else
    idle_since="" idle_crawled=""
  fi
  kill -0 "$TROUPE_PID" 2>/dev/null || die "troupe died during the crawl"
  (($(date +%s) < deadline)) || die "crawl not done after $CRAWL_LIMIT s: $s"
  if (($(date +%s) >= next_log)); then
    log "troupe: crawled $c, failed $n, queued $q, in flight $f"
    next_log=$(($(date +%s) + 5))
  fi
  sleep 0.2
done
s1=$(tree_cpu_ticks "$TROUPE_PID")
n1=$(tree_cpu_ticks "$SITE_PID")
read -r m1 _ < <(machine_ticks)
t_end=$(date +%s.%N)
troupe_cpu=$(cores "$s0" "$s1" "$(seconds_between "$t0" "$t_end")")
troupe_nginx_cpu=$(cores "$n0" "$n1" "$(seconds_between "$t0" "$t_end")")
troupe_machine=$(cores "$m0" "$m1" "$(seconds_between "$t0" "$t_end")")
t1=$idle_since
troupe_secs=$(seconds_between "$t0" "$t1")
phase_log "$mark" "$(log_lines)" "$BENCH_WORK/troupe.log"
phase_figures troupe "$t0"
# the last fetch per the access log (the polls add up to 0.4 s)
last_fetch=$(tail -n1 "$BENCH_WORK/troupe.log" | awk '{ print $1 }')
troupe_span=$(seconds_between "$t0" "${last_fetch:-$t1}")
log "troupe: $troupe_pages HTML pages ($troupe_requests requests: $troupe_statuses) in $troupe_secs s: $troupe_rate pages/s; last fetch per host $troupe_last; connections $troupe_conns; node $troupe_cpu cores, nginx $troupe_nginx_cpu, machine $troupe_machine"

# the index catches up with the crawl: wait until indexed stays put for 1 s
prev="" same=0
for ((i = 0; i < 600; i++)); do
  s=$(status_json) || die "GET status failed"
  cur=$(field "$s" indexed)/$(field "$s" index_bytes)
  if [[ $cur == "$prev" ]]; then
    ((++same >= 10)) && break
  else
    same=0 prev=$cur
  fi
  sleep 0.1
done
echo "$s" >"$BENCH_WORK/status.json"
crawled=$(field "$s" crawled)
failed=$(field "$s" failed)
duplicates=$(field "$s" duplicates)
skipped_robots=$(field "$s" skipped_robots)
skipped_limit=$(field "$s" skipped_limit)
indexed=$(field "$s" indexed)
index_bytes=$(field "$s" index_bytes)
status_rate=$(field "$s" pages_per_second)
partial=$(field "$s" partial)
failed_by=$(sed -nE 's/.*"failed_by_reason" *: *\{([^}]*)\}.*/\1/p' <<<"$s" | tr -d '"' | sed 's/,/, /g')
((indexed > 0)) || die "nothing indexed: $s"
rss1=$(rss_kb "$TROUPE_PID")
bytes_per_page=$(awk -v b="$index_bytes" -v n="$indexed" 'BEGIN { printf "%.0f", b / n }')
rss_per_page=$(awk -v r="$rss1" -v n="$indexed" 'BEGIN { printf "%.0f", r * 1024 / n }')
rss_growth_per_page=$(awk -v a="$rss0" -v b="$rss1" -v n="$indexed" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
log "status: $s"

# --- phase 3: search ------------------------------------------------------------------
SEARCH=$TROUPE_URL/search/api/v1/search
# search_once QUERY LIMIT: prints "X-Cache results"; dies unless 200
search_once() {
  local file=$BENCH_WORK/search-once.json code x
  code=$(curl -sS --max-time 10 -D "$file.h" -o "$file" -w '%{http_code}' "$SEARCH?query=$1&limit=$2")
  [[ $code == 200 ]] || die "search $1 answered $code: $(head -c 300 "$file")"
  x=$(tr -d '\r' <"$file.h" | awk -F': *' 'tolower($1) == "x-cache" { print $2 }')
  echo "${x:-none} $(grep -o '"link"' "$file" | wc -l)"
}
empty=0
while read -r q; do
  read -r x n < <(search_once "$q" 10)
  [[ $x == MISS ]] || die "first search of $q answered X-Cache $x"
  ((n > 0)) || empty=$((empty + 1))
done <"$BENCH_WORK/hits.txt"
log "search: $HITS hit queries warmed ($empty without results)"
((empty * 2 <= HITS)) || die "$empty of $HITS queries found nothing: is the index complete?"

wrk_args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$BENCH_DIR/crawler_queries.lua")
log "search: hits, wrk ${wrk_args[*]}"
CRAWLER_QUERIES=$BENCH_WORK/hits.txt CRAWLER_MODE=cycle CRAWLER_THREADS=$THREADS \
  run_wrk "$BENCH_WORK/wrk-hits.txt" "$TROUPE_PID" "${wrk_args[@]}" "$TROUPE_URL"
log "search: misses, wrk ${wrk_args[*]}"
CRAWLER_QUERIES=$BENCH_WORK/misses.txt CRAWLER_MODE=unique CRAWLER_THREADS=$THREADS \
  run_wrk "$BENCH_WORK/wrk-misses.txt" "$TROUPE_PID" "${wrk_args[@]}" "$TROUPE_URL"
# samples: queries wrk did not reach (the end of the list) miss, then hit
samples=""
while read -r q; do
  read -r x1 _ < <(search_once "$q" 10)
  read -r x2 _ < <(search_once "$q" 10)
  samples+="${samples:+, }$x1/$x2"
  [[ $x1 == MISS && $x2 == HIT ]] || log "WARNING: X-Cache of a fresh query twice: $x1 then $x2"
done < <(tail -n 3 "$BENCH_WORK/misses.txt")
kill -0 "$TROUPE_PID" 2>/dev/null || die "troupe died during the searches"
stop_troupe "$TROUPE_PID"
stop_pid "$SITE_PID" 10

# --- report --------------------------------------------------------------------------
xcache() { sed -nE 's/^xcache hit=([0-9]+) miss=([0-9]+) other=([0-9]+)/\1 \2 \3/p' "$1"; }
read -r h_rps h_p99 h_bad h_err h_cpu h_wcpu h_mcpu < <(parse_wrk "$BENCH_WORK/wrk-hits.txt")
read -r m_rps m_p99 m_bad m_err m_cpu m_wcpu m_mcpu < <(parse_wrk "$BENCH_WORK/wrk-misses.txt")
h_p50=$(wrk_latency "$BENCH_WORK/wrk-hits.txt" 50)
m_p50=$(wrk_latency "$BENCH_WORK/wrk-misses.txt" 50)
read -r hh hm ho < <(xcache "$BENCH_WORK/wrk-hits.txt")
read -r mh mm mo < <(xcache "$BENCH_WORK/wrk-misses.txt")
r=$(ratio "$troupe_rate" "$wget_rate")
section=$(
  cat <<EOF
### Crawler: crawl rate vs wget, search latency, index size

The site: one nginx (2 workers, loopback, keep-alive) serving four Debian documentation trees as four hosts: PostgreSQL 15 (pg), Python 3.11 (py), cppreference C (c: /c.html and /c/) and C++ (cpp: /cpp.html and /cpp/) — $(group3 "$html_files") HTML files; cross-tree links of cppreference answer 404 on the other host. Pages = text/html 200 answers in nginx's access log during the phase.

| crawler | HTML pages | distinct | requests (statuses) | seconds | **pages/s** |
|---|---:|---:|---|---:|---:|
| 4 x wget -r -np -l inf, in parallel | $(group3 "$wget_pages") ($wget_hosts) | $(group3 "$wget_distinct") | $(group3 "$wget_requests") ($wget_statuses) | $wget_secs | **$(group3 "$wget_rate")** |
| troupe, per_host_connections 1, delay 0 | $(group3 "$troupe_pages") ($troupe_hosts) | $(group3 "$troupe_distinct") | $(group3 "$troupe_requests") ($troupe_statuses) | $troupe_secs (last fetch at $troupe_span) | **$(group3 "$troupe_rate")** |
| **troupe / wget** | | | | | **$r** (target >= 1: $(meets "$r" 1)) |

| crawler | last fetch per host (s from the start) | connections per host | crawler CPU (cores) | nginx CPU (cores) | machine busy (cores) |
|---|---|---|---:|---:|---:|
| wget | $wget_last | $wget_conns | $wget_cpu (4 wgets) | $wget_nginx_cpu | $wget_machine |
| troupe | $troupe_last | $troupe_conns | $troupe_cpu (node) | $troupe_nginx_cpu | $troupe_machine |

wget: keep-alive, no delay, robots.txt read, css/js/images/fonts rejected (troupe follows only <a>/<area> links), files written to a temporary dir; time from the start to the last of the four exiting. troupe: a node with a fresh data dir, durability=$DURABILITY, [crawler] per_host_connections = 1, per_host_delay_ms = 0, max_pages = $MAX_PAGES, max_depth = $MAX_DEPTH, workers ${WORKERS:-at the default}; one POST of the four seeds (allowed_hosts the four hosts); time from the POST to the first of two status polls 0.2 s apart showing queued = in_flight = 0. troupe does more per page than wget: parsing into terms, simhash near-duplicate lookup, indexing, journaling. Its status afterwards: crawled $(group3 "$crawled"), failed $(group3 "$failed") (${failed_by:-none}), duplicates $(group3 "$duplicates"), skipped_robots $skipped_robots, skipped_limit $skipped_limit, pages_per_second $status_rate, partial $partial.

| index | value |
|---|---:|
| pages indexed | $(group3 "$indexed") |
| index_bytes | $(group3 "$index_bytes") |
| **index bytes per page** | **$(group3 "$bytes_per_page")** |
| node VmRSS after the crawl / per page indexed | $((rss1 / 1024)) MiB / $(group3 "$rss_per_page") B |
| VmRSS growth over the crawl ($((rss0 / 1024)) -> $((rss1 / 1024)) MiB) per page | $(group3 "$rss_growth_per_page") B |

Search (GET /search/api/v1/search, limit 10), wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency with crawler_queries.lua; two-term queries (AND) drawn from the pages' text by crawler_gen.py (seed $SEED). Hits: $HITS queries asked once before ($empty without results), then cycled. Misses: no cache key asked twice. X-Cache as counted by the script; curl samples of fresh queries (first/second): $samples.

| answers | requests/s | p50 ms | **p99 ms** | X-Cache HIT / MISS / none | non-2xx | socket errors | node CPU (cores) | wrk CPU (cores) | machine busy (cores) |
|---|---:|---:|---:|---|---:|---:|---:|---:|---:|
| cache hits | $(group3 "$h_rps") | $h_p50 | **$h_p99** | $hh / $hm / $ho | $h_bad | $h_err | $h_cpu | $h_wcpu | $h_mcpu |
| cache misses | $(group3 "$m_rps") | $m_p50 | **$m_p99** | $mh / $mm / $mo | $m_bad | $m_err | $m_cpu | $m_wcpu | $m_mcpu |
EOF
)
echo "$section"
[[ -n ${RESULT_FILE:-} ]] && echo "$section" >"$RESULT_FILE"
if ((h_bad + h_err + m_bad + m_err > 0 || hm + ho > 0 || mh + mo > 0)); then
  log "FAILED: non-2xx hits=$h_bad misses=$m_bad, socket errors hits=$h_err misses=$m_err, X-Cache hits $hh/$hm/$ho misses $mh/$mm/$mo"
  exit 1
fi
exit 0
