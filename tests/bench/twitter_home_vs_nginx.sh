#!/usr/bin/env bash
# Home-timeline reads against a static reference (issue 5): GET
# /twitter/api/v1/home_timeline?user_id=U&count=20 from a troupe node vs
# nginx (2 workers) answering a body of the same size, same machine, same
# run, same wrk settings (wrk -t2 -c64 --latency, keep-alive).
#
# Setup (fresh node): AUTHORS authors (a0..) and READERS readers (r0..);
# every reader follows every author and reads its home timeline once (it is
# built then, and kept by fan-out); the authors post TWEETS tweets in turn
# (>= COUNT), of about STATUS_CHARS characters each. Once the fan-out has
# delivered every tweet to every reader, all readers have the same home
# timeline, so every answer has the same size. Each request reads the home
# timeline of a random reader (twitter_home.lua); nginx gets the same
# requests and answers all of them with troupe's body for r0.
# Target: troupe requests/s >= 0.5 x nginx.
#
# Usage: tests/bench/twitter_home_vs_nginx.sh   (env: DURATION=15s,
#        WARMUP=2s, THREADS=2, CONNECTIONS=64, DURABILITY=sync, READERS=1000,
#        AUTHORS=5, TWEETS=40, COUNT=20, STATUS_CHARS=100,
#        SETUP_CONNECTIONS=16, RESULT_FILE=path)
# Prints a Markdown table on stdout (progress on stderr); with RESULT_FILE
# the table is also written there. Exits 1 if any request failed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$BENCH_DIR/twitter_lib.sh"

DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURABILITY=${DURABILITY:-sync}
READERS=${READERS:-1000}
AUTHORS=${AUTHORS:-5}
TWEETS=${TWEETS:-40}
COUNT=${COUNT:-20}
STATUS_CHARS=${STATUS_CHARS:-100}
((TWEETS >= COUNT)) || die "TWEETS ($TWEETS) must be at least COUNT ($COUNT)"

bench_init
log "twitter_home_vs_nginx: $READERS readers x $AUTHORS authors, $TWEETS tweets, wrk -t$THREADS -c$CONNECTIONS -d$DURATION (warm-up $WARMUP), load $(load_average)"

# --- troupe -------------------------------------------------------------------
start_troupe home "$DURABILITY"
tw_create_users authors a "$AUTHORS" "$BENCH_WORK/authors.txt"
tw_create_users readers r "$READERS" "$BENCH_WORK/readers.txt"
tw_follow_all follows "$BENCH_WORK/readers.txt" "$BENCH_WORK/authors.txt"
# a home timeline is built on its first read; fan-out then keeps it
tw_read_homes activate "$BENCH_WORK/readers.txt"
# "<author>: <text> <n>" of about STATUS_CHARS characters
text=$(awk -v n="$STATUS_CHARS" 'BEGIN { w = "the quick brown fox jumps over the lazy dog and"
  s = ""; while (length(s) < n - 12) s = s (s == "" ? "" : " ") w; print substr(s, 1, n - 12) }')
tw_post tweets "$BENCH_WORK/authors.txt" "$TWEETS" "$text"
tw_wait_drain $((TWEETS * READERS)) 120 || die "the fan-out of the $TWEETS tweets did not complete"
log "fan-out done: $TW_DELIVERIES deliveries"

path0="$TW_API/home_timeline?user_id=r0&count=$COUNT"
body_file=$BENCH_WORK/troupe-body.json
code=$(curl -sS --max-time 10 -o "$body_file" -w '%{http_code}' "$TROUPE_URL$path0")
[[ $code == 200 ]] || die "GET $path0 answered $code: $(head -c 300 "$body_file")"
body_size=$(wc -c <"$body_file")
entries=$(grep -o '"tweet_id"' "$body_file" | wc -l)
((entries == COUNT)) || die "GET $path0 gave $entries entries, expected $COUNT: $(head -c 300 "$body_file")"
# every reader's answer must be the same (same follows, same tweets)
last=$(awk 'END { print $1 }' "$BENCH_WORK/readers.txt")
curl -fsS --max-time 10 -o "$BENCH_WORK/last-body.json" "$TROUPE_URL$TW_API/home_timeline?user_id=$last&count=$COUNT" ||
  die "GET home_timeline of $last failed"
cmp -s "$body_file" "$BENCH_WORK/last-body.json" ||
  die "home timelines of r0 and $last differ ($(wc -c <"$BENCH_WORK/last-body.json") B vs $body_size B)"
log "home_timeline count=$COUNT: $entries entries, body $body_size B (same for r0 and $last)"

awk '{ print $1 }' "$BENCH_WORK/readers.txt" >"$BENCH_WORK/reader-ids.txt"
export TW_READERS=$BENCH_WORK/reader-ids.txt TW_COUNT=$COUNT
wrk_args=(-t"$THREADS" -c"$CONNECTIONS" --latency -s "$BENCH_DIR/twitter_home.lua")
run_wrk "$BENCH_WORK/troupe-warmup.txt" "$TROUPE_PID" "${wrk_args[@]}" -d"$WARMUP" "$TROUPE_URL"
log "troupe: measuring for $DURATION"
run_wrk "$BENCH_WORK/troupe.txt" "$TROUPE_PID" "${wrk_args[@]}" -d"$DURATION" "$TROUPE_URL"
kill -0 "$TROUPE_PID" 2>/dev/null || die "troupe died during the run"
# still the same timeline after the run (no entry lost or added)
curl -fsS --max-time 10 -o "$BENCH_WORK/after-body.json" "$TROUPE_URL$path0" || die "GET $path0 failed after the run"
cmp -s "$body_file" "$BENCH_WORK/after-body.json" || die "the home timeline of r0 changed during the run"
stop_troupe "$TROUPE_PID"

# --- nginx --------------------------------------------------------------------
measure_nginx "$body_file" "$path0" "" "${wrk_args[@]}"

# --- report -------------------------------------------------------------------
read -r t_rps t_p99 t_bad t_err t_cpu t_wcpu t_mcpu < <(parse_wrk "$BENCH_WORK/troupe.txt")
read -r n_rps n_p99 n_bad n_err n_cpu n_wcpu n_mcpu < <(parse_wrk "$BENCH_WORK/nginx.txt")
t_p50=$(wrk_latency "$BENCH_WORK/troupe.txt" 50)
n_p50=$(wrk_latency "$BENCH_WORK/nginx.txt" 50)
r=$(ratio "$t_rps" "$n_rps")
p=$(ratio "$t_p99" "$n_p99")

table=$(
  cat <<EOF
### Twitter: GET home_timeline (count=$COUNT), troupe vs nginx

wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s twitter_home.lua (after a $WARMUP warm-up): each request reads the home timeline of a random one of $(group3 "$READERS") readers, each following the same $AUTHORS authors ($TWEETS tweets of ~$STATUS_CHARS characters, fanned out before the run), so every answer is the same $body_size B ($COUNT entries). nginx answers the same requests with that body. troupe durability=$DURABILITY.

| server | requests/s | p50 ms | p99 ms | non-2xx | socket errors | server CPU (cores) | wrk CPU (cores) | machine busy (cores) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| troupe | $t_rps | $t_p50 | $t_p99 | $t_bad | $t_err | $t_cpu | $t_wcpu | $t_mcpu |
| nginx (2 workers) | $n_rps | $n_p50 | $n_p99 | $n_bad | $n_err | $n_cpu | $n_wcpu | $n_mcpu |
| **troupe / nginx** | **$r** | | $p | | | | | |

Target troupe/nginx requests/s >= 0.5: **$(meets "$r" 0.5)**.

Busiest server threads during the run (thread/tid=cores): troupe: $(threads_of "$BENCH_WORK/troupe.txt"); nginx: $(threads_of "$BENCH_WORK/nginx.txt").
EOF
)
echo "$table"
[[ -n ${RESULT_FILE:-} ]] && echo "$table" >"$RESULT_FILE"

if ((t_bad > 0 || n_bad > 0 || t_err > 0 || n_err > 0)); then
  log "FAILED: non-2xx troupe=$t_bad nginx=$n_bad, socket errors troupe=$t_err nginx=$n_err"
  exit 1
fi
exit 0
