#!/usr/bin/env bash
# What the dashboard costs the read path: read_vs_nginx.sh's workload (GET of
# one 1 KB paste, wrk -t2 -c64, keep-alive) against two troupe nodes of the
# same run, measured in alternating rounds:
#   off       a node with [runtime] stats_interval_ms = 0 (no sampling)
#   sampling  a node sampling every second (the default), no page open
#   polling   the same node while a client polls /api/v1/stats as the page
#             does (the whole history once, then ?since= every second)
#   polling_x10  as ten open pages: ten times the cost, above the noise
#   browser   the same node with the real page open in headless chromium
#             (the browser's own CPU shares this 2-core machine with wrk and
#             the node, so this row is an upper bound, not the server's cost)
# Target: the cost of sampling + polling under 2 % of requests/s.
#
# Usage: tests/bench/dashboard_cost.sh   (env: DURATION=10s, ROUNDS=3,
#        THREADS=2, CONNECTIONS=64, RESULT_FILE=path)
# Prints a Markdown table on stdout; progress on stderr.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}

bench_init
log "dashboard_cost: wrk -t$THREADS -c$CONNECTIONS -d$DURATION x $ROUNDS rounds, load $(load_average)"

# A node serving one 1 KB paste; sets <prefix>_PID, _URL and _PATH.
start_reader() {
  local prefix=$1
  shift
  start_troupe "$prefix" sync "$@"
  local contents created link
  contents=$(head -c 1024 /dev/zero | tr '\0' 'a')
  created=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' \
    --data "{\"paste_contents\":\"$contents\"}" "$TROUPE_URL/pastebin/api/v1/paste") ||
    die "creating the paste failed"
  link=$(sed -nE 's/.*"shortlink" *: *"([A-Za-z0-9]+)".*/\1/p' <<<"$created")
  [[ -n $link ]] || die "no shortlink in: $created"
  printf -v "${prefix}_PID" '%s' "$TROUPE_PID"
  printf -v "${prefix}_URL" '%s' "$TROUPE_URL"
  printf -v "${prefix}_PATH" '%s' "/pastebin/api/v1/paste?shortlink=$link"
}

start_reader off runtime.stats_interval_ms=0
start_reader on

# Polls /api/v1/stats as PAGES open pages do (default 1) until killed
# (bounded by the run): the whole history once, then ?since= every second.
poll_like_page() {
  local url=$1 pages=${2:-1} since
  curl -fsS --max-time 5 -o /dev/null "$url/api/v1/stats" || true
  for _ in $(seq 1 $((600 * pages))); do
    sleep "$(awk -v n="$pages" 'BEGIN { print 1 / n }')"
    since=$(($(date +%s%3N) - 1500))
    curl -fsS --max-time 5 -o /dev/null "$url/api/v1/stats?since=$since" || true
  done
}

browser=""
command -v chromium >/dev/null 2>&1 && browser=chromium
[[ -z $browser ]] && log "chromium not found: the browser row is skipped (tests/bench/install-deps.sh)"

declare -A RPS P99 CPU
measure() {
  local mode=$1 round=$2 pid url path helper=""
  if [[ $mode == off ]]; then
    pid=$off_PID url=$off_URL path=$off_PATH
  else
    pid=$on_PID url=$on_URL path=$on_PATH
  fi
  case $mode in
    polling)
      poll_like_page "$url" &
      helper=$!
      ;;
    polling_x10)
      poll_like_page "$url" 10 &
      helper=$!
      ;;
    browser)
      "$browser" --headless=new --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$BENCH_WORK/chromium" "$url/" >"$BENCH_WORK/chromium.log" 2>&1 &
      helper=$!
      ;;
  esac
  [[ -n $helper ]] && BENCH_PIDS+=("$helper") && sleep 3 # page loaded, polling
  local out=$BENCH_WORK/$mode-$round.txt
  run_wrk "$out" "$pid" -t"$THREADS" -c"$CONNECTIONS" --latency -d"$DURATION" "$url$path"
  if [[ -n $helper ]]; then
    kill -TERM "$helper" 2>/dev/null || true
    pkill -TERM -P "$helper" 2>/dev/null || true
    await_exit "$helper" 10
    forget_pid "$helper"
  fi
  read -r rps p99 bad err cpu _ <<<"$(parse_wrk "$out")"
  ((bad == 0 && err == 0)) || die "$mode round $round: $bad non-2xx, $err socket errors"
  RPS[$mode]+="$rps "
  P99[$mode]+="$p99 "
  CPU[$mode]+="$cpu "
  log "$mode round $round: $rps req/s, p99 $p99 ms, node $cpu cores"
}

# The same costs as CPU, free of wrk's noise: both nodes idle side by side
# (IDLE_SECONDS each phase), then the sampling node while polled.
IDLE_SECONDS=${IDLE_SECONDS:-30}
idle_cpu() { # PID... : prints each node's cores over IDLE_SECONDS
  local pid before=() after=() i
  for pid in "$@"; do before+=("$(tree_cpu_ticks "$pid")"); done
  sleep "$IDLE_SECONDS"
  for pid in "$@"; do after+=("$(tree_cpu_ticks "$pid")"); done
  for i in "${!before[@]}"; do
    awk -v a="${before[$i]}" -v b="${after[$i]}" -v hz="$CLK_TCK" -v s="$IDLE_SECONDS" \
      'BEGIN { printf "%.4f ", (b - a) / hz / s }'
  done
}
log "idle CPU: both nodes, ${IDLE_SECONDS}s"
read -r idle_off idle_on <<<"$(idle_cpu "$off_PID" "$on_PID")"
poll_like_page "$on_URL" &
poller=$!
BENCH_PIDS+=("$poller")
log "idle CPU: the sampling node polled as by the page, ${IDLE_SECONDS}s"
read -r idle_polled <<<"$(idle_cpu "$on_PID")"
kill -TERM "$poller" 2>/dev/null || true
pkill -TERM -P "$poller" 2>/dev/null || true
await_exit "$poller" 10
forget_pid "$poller"
log "idle cores: off $idle_off, sampling $idle_on, sampling + polling $idle_polled"

modes=(off sampling polling polling_x10)
[[ -n $browser ]] && modes+=(browser)
for mode in off sampling; do # warm-up of both nodes
  pid=${mode/sampling/on}_PID url=${mode/sampling/on}_URL path=${mode/sampling/on}_PATH
  run_wrk "$BENCH_WORK/warmup-$mode.txt" "${!pid}" -t"$THREADS" -c"$CONNECTIONS" -d2s "${!url}${!path}"
done
for round in $(seq 1 "$ROUNDS"); do
  for mode in "${modes[@]}"; do
    measure "$mode" "$round"
  done
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base=$(median "${RPS[off]}")
cost() { awk -v a="$1" -v b="$base" 'BEGIN { printf "%+.1f %%", (1 - a / b) * 100 }'; }
rows=""
for mode in "${modes[@]}"; do
  m=$(median "${RPS[$mode]}")
  rows+="| $mode | $m | $(median "${P99[$mode]}") | $(median "${CPU[$mode]}") | ${RPS[$mode]}| $(cost "$m") |"$'\n'
done
polled=$(median "${RPS[polling]}")
measured=$(awk -v a="$polled" -v b="$base" 'BEGIN { printf "%.1f", (1 - a / b) * 100 }')
per_page=$(awk -v a="$(median "${RPS[polling_x10]}")" -v b="$base" 'BEGIN { printf "%.2f", (1 - a / b) * 10 }')
busy=$(median "${CPU[off]}")
# The node is CPU-bound under this load: the share of its busy cores that the
# dashboard takes is the share of requests/s it costs.
read -r c_sampling c_polling total < <(awk -v off="$idle_off" -v on="$idle_on" \
  -v polled="$idle_polled" -v busy="$busy" 'BEGIN {
    s = on - off; p = polled - on
    printf "%.2f %.2f %.2f\n", s / busy * 100, p / busy * 100, (s + p) / busy * 100 }')
table=$(
  cat <<EOF2
### Dashboard cost on the read path

GET of one 1 KB paste, wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS alternating rounds (medians), durability=sync.

| mode | requests/s | p99 ms | node CPU (cores) | requests/s per round | cost vs off |
|---|---:|---:|---:|---|---:|
$rows
Round to round the same mode varies by several per cent on this 2-core machine (wrk, the node and
the poller share it), so the throughput rows bound the cost only roughly (polling vs off:
${measured} %). Ten pages polling cost ten times one page's, well above that noise: one page
costs **${per_page} %** of requests/s by that row (the pollers' own curl processes, on the same
cores, included). The CPU the dashboard takes, measured on the idle nodes over ${IDLE_SECONDS} s each:

| node | cores |
|---|---:|
| off (no sampling) | $idle_off |
| sampling, no page | $idle_on |
| sampling, polled as by the page | $idle_polled |

Against the $busy cores the node is busy with under the read load: sampling ${c_sampling} %, polling
${c_polling} %, together **${total} %** of the node's capacity: target < 2 %:
**$(awk -v t="$total" 'BEGIN { print (t < 2) ? "yes" : "NO" }')**.
EOF2
)
echo "$table"
[[ -n ${RESULT_FILE:-} ]] && echo "$table" >"$RESULT_FILE"
exit 0
