#!/usr/bin/env bash
# Fan-out throughput on one node (issue 5): home-timeline deliveries per
# second while a stream of tweets from users with FOLLOWERS followers each
# is posted, and the latency of the posts.
#
# Setup (fresh node, through twitter_walk.lua): FOLLOWERS users (f0..) and
# AUTHORS users (a0..); every follower follows every author, so each author
# has FOLLOWERS followers; every follower reads its home timeline once (all
# are active). Then wrk -t$THREADS -c$CONNECTIONS --latency -s
# twitter_post.lua posts tweets, the authors in turn, for DURATION, twice
# (after a WARMUP run whose fan-out is drained first):
#
#   paced  TWEET_RATE tweets/s: each wrk thread sends its share on a fixed
#          schedule (twitter_post.lua; a request whose slot passed while
#          all connections were busy is not made up for, so an overloaded
#          node gets fewer). With 1,000 followers, the default 550/s is
#          just above the 500,000 deliveries/s of the target: the post
#          latency at the target's load.
#   max    no pause: as many tweets as the node answers; its fan-out
#          capacity, and the post latency while it is saturated.
#
# In each run troupe_twitter_deliveries_total is read before the run and
# again once troupe_twitter_fanout_backlog is 0 and every tweet reached
# every follower:
#
#   deliveries/s = deliveries in the window / (post time + drain time)
#
# Targets: >= 500,000 deliveries/s with post p99 < 10 ms (in one run).
#
# Usage: tests/bench/twitter_fanout.sh   (env: DURATION=10s, WARMUP=2s,
#        THREADS=2, CONNECTIONS=8, FOLLOWERS=1000, AUTHORS=20,
#        DURABILITY=sync, TWEET_RATE=550 (tweets/s of the paced run; 0:
#        skip it), MAX_RUN=1 (0: skip the unpaced run),
#        DRAIN_LIMIT=300 (s), SETUP_CONNECTIONS=16, RESULT_FILE=path)
# Prints a Markdown table on stdout (progress on stderr); with RESULT_FILE
# the table is also written there. Exits 1 if a post failed or a tweet did
# not reach every follower.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$BENCH_DIR/twitter_lib.sh"

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-8}
FOLLOWERS=${FOLLOWERS:-1000}
AUTHORS=${AUTHORS:-20}
DURABILITY=${DURABILITY:-sync}
TWEET_RATE=${TWEET_RATE:-550}
MAX_RUN=${MAX_RUN:-1}
((TWEET_RATE > 0 || MAX_RUN == 1)) || die "TWEET_RATE=0 and MAX_RUN=0: nothing to measure"
DRAIN_LIMIT=${DRAIN_LIMIT:-300}

bench_init
log "twitter_fanout: $AUTHORS authors x $FOLLOWERS followers, wrk -t$THREADS -c$CONNECTIONS -d$DURATION (warm-up $WARMUP), load $(load_average)"

start_troupe fanout "$DURABILITY"

# --- setup --------------------------------------------------------------------
tw_create_users authors a "$AUTHORS" "$BENCH_WORK/authors.txt"
tw_create_users followers f "$FOLLOWERS" "$BENCH_WORK/followers.txt"
tw_follow_all follows "$BENCH_WORK/followers.txt" "$BENCH_WORK/authors.txt"
tw_read_homes activate "$BENCH_WORK/followers.txt"

# One tweet by hand: fail early with a readable answer, and check that it
# reaches every follower.
read -r a0 a0_token <"$BENCH_WORK/authors.txt"
d_probe=$(tw_metric troupe_twitter_deliveries_total)
code=$(curl -sS --max-time 10 -o "$BENCH_WORK/probe.json" -w '%{http_code}' \
  -H 'Content-Type: application/json' \
  --data "{\"user_id\":\"$a0\",\"auth_token\":\"$a0_token\",\"status\":\"probe\"}" \
  "$TROUPE_URL$TW_API/tweet")
[[ $code == 201 ]] || die "probe tweet answered $code: $(cat "$BENCH_WORK/probe.json")"
tw_wait_drain $((d_probe + FOLLOWERS)) 30 ||
  die "the probe tweet reached $((TW_DELIVERIES - d_probe)) of $FOLLOWERS followers"
((TW_DELIVERIES == d_probe + FOLLOWERS)) ||
  die "the probe tweet made $((TW_DELIVERIES - d_probe)) deliveries, expected $FOLLOWERS"
log "probe tweet delivered to all $FOLLOWERS followers"

export TW_AUTHORS=$BENCH_WORK/authors.txt TW_CONNECTIONS=$CONNECTIONS TW_THREADS=$THREADS TW_RATE=0
wrk_args=(-t"$THREADS" -c"$CONNECTIONS" --latency -s "$BENCH_DIR/twitter_post.lua")

# --- warm-up ------------------------------------------------------------------
if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
  t_before=$(tw_metric troupe_twitter_tweets_total)
  d_before=$(tw_metric troupe_twitter_deliveries_total)
  run_wrk "$BENCH_WORK/warmup.txt" "$TROUPE_PID" "${wrk_args[@]}" -d"$WARMUP" "$TROUPE_URL"
  n=$(($(tw_metric troupe_twitter_tweets_total) - t_before))
  log "warm-up: $n tweets, draining their fan-out"
  tw_wait_drain $((d_before + n * FOLLOWERS)) "$DRAIN_LIMIT" || die "the warm-up's fan-out did not drain"
fi

# --- measured runs ------------------------------------------------------------
declare -A R # R[RUN.FIELD]: the results of each run
runs=()

# measure RUN RATE: posts for DURATION at most RATE tweets/s (0: unpaced),
# waits for the drain; fills R[RUN.*] and appends RUN to runs.
measure() {
  local run=$1 rate=$2 out=$BENCH_WORK/post-$1.txt drained=1 pace=""
  local tweets0 deliv0 cpu0 mach0 t0 t1 t2 deliv1 tweets1 backlog1 tweets cpu1 mach1
  local p_p99 p_bad p_err p_wcpu post_s window_s delivered
  ((rate > 0)) && pace=" at most $rate tweets/s"
  tweets0=$(tw_metric troupe_twitter_tweets_total)
  deliv0=$(tw_metric troupe_twitter_deliveries_total)
  cpu0=$(tree_cpu_ticks "$TROUPE_PID")
  mach0=$(machine_ticks)
  t0=$(date +%s.%N)
  log "$run: posting for $DURATION$pace"
  TW_RATE=$rate run_wrk "$out" "$TROUPE_PID" "${wrk_args[@]}" -d"$DURATION" "$TROUPE_URL"
  t1=$(date +%s.%N)
  deliv1=$(tw_metric troupe_twitter_deliveries_total)
  tweets1=$(tw_metric troupe_twitter_tweets_total)
  backlog1=$(tw_metric troupe_twitter_fanout_backlog)
  tweets=$((tweets1 - tweets0))
  log "$run: $tweets tweets in $(seconds_between "$t0" "$t1") s; backlog $backlog1, $((deliv1 - deliv0)) of $((tweets * FOLLOWERS)) deliveries done; draining"
  tw_wait_drain $((deliv0 + tweets * FOLLOWERS)) "$DRAIN_LIMIT" || drained=0
  t2=$TW_DRAIN_END
  cpu1=$(tree_cpu_ticks "$TROUPE_PID")
  mach1=$(machine_ticks)
  kill -0 "$TROUPE_PID" 2>/dev/null || die "troupe died during the $run run"
  read -r _ p_p99 p_bad p_err _ p_wcpu _ < <(parse_wrk "$out")
  post_s=$(seconds_between "$t0" "$t1")
  window_s=$(seconds_between "$t0" "$t2")
  delivered=$((TW_DELIVERIES - deliv0))
  R[$run.tweets]=$tweets
  R[$run.tweet_rate]=$(awk -v n="$tweets" -v w="$post_s" 'BEGIN { printf "%.0f", n / w }')
  R[$run.expected]=$((tweets * FOLLOWERS))
  R[$run.delivered]=$delivered
  R[$run.rate]=$(awk -v d="$delivered" -v w="$window_s" 'BEGIN { printf "%.0f", d / w }')
  R[$run.rate_post]=$(awk -v d="$((deliv1 - deliv0))" -v w="$post_s" 'BEGIN { printf "%.0f", d / w }')
  R[$run.backlog]=$backlog1
  R[$run.post_s]=$post_s
  R[$run.drain_s]=$(seconds_between "$t1" "$t2")
  R[$run.drained]=$drained
  R[$run.p50]=$(wrk_latency "$out" 50)
  R[$run.p90]=$(wrk_latency "$out" 90)
  R[$run.p99]=$p_p99
  R[$run.bad]=$p_bad
  R[$run.err]=$p_err
  R[$run.wcpu]=$p_wcpu
  R[$run.cores]=$(awk -v c0="$cpu0" -v c1="$cpu1" -v w="$window_s" -v hz="$CLK_TCK" \
    'BEGIN { printf "%.2f", (c1 - c0) / hz / w }')
  R[$run.machine]=$(awk -v m0="$mach0" -v m1="$mach1" -v w="$window_s" -v hz="$CLK_TCK" \
    'BEGIN { split(m0, a, " "); split(m1, b, " "); printf "%.2f", (b[1] - a[1]) / hz / w }')
  R[$run.us]=$(awk -v c0="$cpu0" -v c1="$cpu1" -v hz="$CLK_TCK" -v d="$delivered" \
    'BEGIN { if (d > 0) printf "%.2f", (c1 - c0) / hz / d * 1e6; else print "n/a" }')
  R[$run.threads]=$(threads_of "$out")
  runs+=("$run")
}

if ((TWEET_RATE > 0)); then measure paced "$TWEET_RATE"; fi
if ((MAX_RUN == 1)); then measure max 0; fi
home_entries=$(tw_metric troupe_twitter_home_entries)
stop_troupe "$TROUPE_PID"

# --- report -------------------------------------------------------------------
failed=0
met=NO
rows=""
notes=""
for run in "${runs[@]}"; do
  ok=yes
  ((R[$run.bad] == 0 && R[$run.err] == 0 && R[$run.drained] == 1 &&
    R[$run.delivered] == R[$run.expected])) || ok=NO
  [[ $ok == yes ]] || failed=1
  if [[ $ok == yes && $(meets "${R[$run.rate]}" 500000) == yes &&
    $(below "${R[$run.p99]}" 10) == yes ]]; then
    met=yes
  fi
  if [[ $run == paced ]]; then label="paced ($TWEET_RATE tweets/s)"; else label="max (unpaced)"; fi
  rows+="| $label | $(group3 "${R[$run.tweet_rate]}") | **$(group3 "${R[$run.rate]}")** | ${R[$run.p50]} | ${R[$run.p90]} | **${R[$run.p99]}** | $(group3 "${R[$run.backlog]}") | ${R[$run.drain_s]} | $(group3 "${R[$run.delivered]}") / $(group3 "${R[$run.expected]}") | ${R[$run.bad]} / ${R[$run.err]} | ${R[$run.cores]} | ${R[$run.us]} | ${R[$run.wcpu]} | ${R[$run.machine]} |"$'\n'
  notes+="- $label: posting ${R[$run.post_s]} s, deliveries/s while posting (before the drain) $(group3 "${R[$run.rate_post]}"); busiest troupe threads (thread/tid=cores): ${R[$run.threads]}."$'\n'
done

table=$(
  cat <<EOF
### Twitter fan-out: deliveries/s while $AUTHORS authors with $(group3 "$FOLLOWERS") followers each post

One node, durability=$DURABILITY, [twitter] defaults; the node, wrk and anything else running share the machine's $(nproc) CPUs. Every follower follows every author and read its home timeline once (active). Posts: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s twitter_post.lua (after a $WARMUP warm-up whose fan-out drained first), the $AUTHORS authors in turn; paced: the requests follow a fixed schedule of that many tweets/s (none made up for when every connection was busy). Window = posting + draining the backlog left when posting stopped; deliveries/s = deliveries in the window / window; troupe CPU over the window.

| run | tweets/s | deliveries/s | post p50 ms | p90 ms | p99 ms | backlog at stop | drain s | delivered / expected | non-2xx / socket errors | troupe CPU (cores) | troupe µs per delivery | wrk CPU (cores) | machine busy (cores) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows%$'\n'}

Target >= 500,000 deliveries/s with post p99 < 10 ms (in one run): **$met**. Home-timeline entries held at the end: $(group3 "$home_entries").

${notes%$'\n'}
EOF
)
if ((failed)); then
  table+=$'\n\n'"**FAILED RUN**: a post failed, the fan-out did not drain within ${DRAIN_LIMIT}s, or deliveries differ from tweets x followers (see the table)."
fi
echo "$table"
[[ -n ${RESULT_FILE:-} ]] && echo "$table" >"$RESULT_FILE"
exit "$failed"
