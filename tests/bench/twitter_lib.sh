# shellcheck shell=bash disable=SC2034  # TW_* are outputs for the callers
# Helpers of the Twitter benchmarks (sourced after common.sh, not run):
# bulk setup through wrk and twitter_walk.lua (users, follows, reads,
# tweets), /metrics readings, waiting for the fan-out to drain, wrk
# latency percentiles.
#
# Environment:
#   SETUP_CONNECTIONS  connections (one wrk thread each) of the setup walks
#                      (default 16)
#   WALK_LIMIT         seconds one setup walk may take (default 600)

TW_API=/twitter/api/v1
SETUP_CONNECTIONS=${SETUP_CONNECTIONS:-16}
WALK_LIMIT=${WALK_LIMIT:-600}

# tw_metric NAME: the sum of the samples of metric NAME in $TROUPE_URL/metrics
# (all label sets); dies if the node does not report it.
tw_metric() {
  local name=$1 v
  v=$(curl -fsS --max-time 5 "$TROUPE_URL/metrics" | awk -v n="$name" '
    $1 == n || index($1, n "{") == 1 { s += $NF; found = 1 }
    END { if (found) printf "%.0f\n", s }') || die "GET /metrics failed"
  [[ -n $v ]] || die "metric $name not in $TROUPE_URL/metrics"
  echo "$v"
}

# tw_walk NAME FILE STATUS_RE [bodies]: sends every request of FILE (lines
# "METHOD<TAB>PATH<TAB>BODY") once to the node, over $SETUP_CONNECTIONS
# connections (twitter_walk.lua). Dies unless every line got an answer whose
# status matches the extended regex STATUS_RE. With "bodies", the answers
# are kept: TW_WALK_RESULT names a file of "STATUS<TAB>BODY" lines (in no
# particular order).
tw_walk() {
  local name=$1 file=$2 want=$3 bodies=${4:-} lines n out t0 t1 got bad pid rc done_files all_done
  lines=$(wc -l <"$file")
  n=$SETUP_CONNECTIONS
  ((lines < n)) && n=$((lines > 0 ? lines : 1))
  out=$BENCH_WORK/walk-$name
  rm -f "$out".*
  t0=$(date +%s.%N)
  WALK_FILE=$file WALK_THREADS=$n WALK_OUT=$out WALK_BODIES=$([[ $bodies == bodies ]] && echo 1 || echo 0) \
    wrk -t"$n" -c"$n" -d"${WALK_LIMIT}s" --timeout 30s -s "$BENCH_DIR/twitter_walk.lua" \
    "$TROUPE_URL" >"$out.wrk" 2>&1 &
  pid=$!
  BENCH_PIDS+=("$pid")
  # wrk runs for its whole -d unless interrupted: SIGINT once every thread
  # has created its done file
  all_done=0
  while kill -0 "$pid" 2>/dev/null; do
    done_files=("$out".done.*)
    if [[ -e ${done_files[0]} ]] && ((${#done_files[@]} >= n)); then
      all_done=1
      break
    fi
    sleep 0.02
  done
  kill -INT "$pid" 2>/dev/null || true
  rc=0
  wait "$pid" || rc=$?
  forget_pid "$pid"
  # (a SIGINT before wrk installed its handler kills it: fine once all are done)
  if ((rc != 0 && !all_done)); then
    cat "$out.wrk" >&2
    die "setup '$name': wrk failed (exit $rc)"
  fi
  t1=$(date +%s.%N)
  cat "$out".[0-9]* >"$out.all" 2>/dev/null || true
  got=$(wc -l <"$out.all")
  bad=$(awk -F'\t' -v re="^($want)\$" '$1 !~ re' "$out.all" | wc -l)
  if ((got != lines || bad > 0)); then
    awk -F'\t' -v re="^($want)\$" '$1 !~ re' "$out.all" | head -n 5 >&2
    grep -E 'Socket errors|Non-2xx' "$out.wrk" >&2 || true
    die "setup '$name': $got of $lines requests answered, $bad with a status other than $want"
  fi
  TW_WALK_RESULT=$out.all
  log "setup '$name': $lines requests in $(awk -v a="$t0" -v b="$t1" -v n="$lines" \
    'BEGIN { printf "%.1f s (%.0f/s)", b - a, n / (b - a) }')"
}

# tw_create_users NAME PREFIX COUNT OUT: creates users PREFIX0 ..
# PREFIX<COUNT-1> and writes "USER_ID AUTH_TOKEN" lines to OUT (sorted by
# user id).
tw_create_users() {
  local name=$1 prefix=$2 count=$3 out=$4 list=$BENCH_WORK/users-$1.req
  awk -v p="$prefix" -v n="$count" -v api="$TW_API" 'BEGIN {
    for (i = 0; i < n; i++)
      printf "POST\t%s/user\t{\"user_id\":\"%s%d\",\"name\":\"%s%d\"}\n", api, p, i, p, i }' >"$list"
  tw_walk "$name" "$list" 201 bodies
  awk -F'\t' '{
      u = ""; t = ""
      if (match($2, /"user_id" *: *"[^"]*"/)) { u = substr($2, RSTART, RLENGTH); sub(/.*: *"/, "", u); sub(/"$/, "", u) }
      if (match($2, /"auth_token" *: *"[^"]*"/)) { t = substr($2, RSTART, RLENGTH); sub(/.*: *"/, "", t); sub(/"$/, "", t) }
      if (u != "" && t != "") print u, t
    }' "$TW_WALK_RESULT" | sort >"$out"
  (($(wc -l <"$out") == count)) ||
    die "users '$name': $(wc -l <"$out") of $count answers carry a user_id and an auth_token (e.g. $(head -n1 "$TW_WALK_RESULT"))"
}

# tw_follow_all NAME FOLLOWERS AUTHORS: every user of the "USER TOKEN" file
# FOLLOWERS follows every user of AUTHORS (one line per author, interleaved
# so that concurrent follows go to different authors).
tw_follow_all() {
  local name=$1 followers=$2 authors=$3 list=$BENCH_WORK/follow-$1.req
  awk -v api="$TW_API" 'BEGIN { n = 0; m = 0 } NR == FNR { a[n++] = $1; next }
    { f[m] = $1; t[m] = $2; m++ }
    END { for (j = 0; j < n; j++) for (i = 0; i < m; i++)
      printf "POST\t%s/follow\t{\"user_id\":\"%s\",\"followee_id\":\"%s\",\"auth_token\":\"%s\"}\n", api, f[i], a[(i + j) % n], t[i] }' \
    "$authors" "$followers" >"$list"
  tw_walk "$name" "$list" 204
}

# tw_read_homes NAME USERS [COUNT]: one home_timeline read of every user of
# the "USER ..." file USERS (makes them active).
tw_read_homes() {
  local name=$1 users=$2 count=${3:-1} list=$BENCH_WORK/read-$1.req
  awk -v api="$TW_API" -v c="$count" '{ printf "GET\t%s/home_timeline?user_id=%s&count=%d\t\n", api, $1, c }' \
    "$users" >"$list"
  tw_walk "$name" "$list" 200
}

# tw_post NAME AUTHORS COUNT STATUS: COUNT tweets, the authors of the
# "USER TOKEN" file AUTHORS in turn, each "<author>: STATUS <n>".
tw_post() {
  local name=$1 authors=$2 count=$3 status=$4 list=$BENCH_WORK/post-$1.req
  awk -v api="$TW_API" -v n="$count" -v s="$status" 'BEGIN { k = 0 } { u[k] = $1; t[k] = $2; k++ }
    END { for (i = 0; i < n; i++)
      printf "POST\t%s/tweet\t{\"user_id\":\"%s\",\"auth_token\":\"%s\",\"status\":\"%s: %s %d\"}\n", api, u[i % k], t[i % k], u[i % k], s, i }' \
    "$authors" >"$list"
  tw_walk "$name" "$list" 201
}

# tw_wait_drain DELIVERIES LIMIT: waits until troupe_twitter_fanout_backlog
# is 0 and troupe_twitter_deliveries_total has reached DELIVERIES, polling
# every 50 ms for at most LIMIT seconds. Sets TW_DRAIN_END (date +%s.%N of
# the poll that saw it) and TW_DELIVERIES (the counter then). Returns 1 on
# timeout (TW_DELIVERIES is then the last reading).
tw_wait_drain() {
  local want=$1 limit=$2 t_end backlog
  t_end=$(awk -v s="$(date +%s.%N)" -v l="$limit" 'BEGIN { printf "%.3f", s + l }')
  while :; do
    backlog=$(tw_metric troupe_twitter_fanout_backlog)
    TW_DELIVERIES=$(tw_metric troupe_twitter_deliveries_total)
    TW_DRAIN_END=$(date +%s.%N)
    if ((backlog == 0 && TW_DELIVERIES >= want)); then
      return 0
    fi
    if awk -v a="$TW_DRAIN_END" -v b="$t_end" 'BEGIN { exit !(a > b) }'; then
      log "fan-out not drained after ${limit}s: backlog $backlog, deliveries $TW_DELIVERIES of $want"
      return 1
    fi
    kill -0 "$TROUPE_PID" 2>/dev/null || die "troupe died while the fan-out drained"
    sleep 0.05
  done
}

# wrk_latency FILE PERCENT: the PERCENT (50, 75, 90, 99) latency of a wrk
# --latency output, in ms.
wrk_latency() {
  awk -v p="$2%" '
    function ms(v) {
      if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
      if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
      if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
      if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
      return v + 0
    }
    $1 == p { printf "%.2f\n", ms($2); found = 1 }
    END { if (!found) print "n/a" }' "$1"
}

# below VALUE TARGET: prints "yes" if VALUE < TARGET, else "NO".
below() { awk -v a="$1" -v t="$2" 'BEGIN { print (a != "n/a" && a + 0 < t) ? "yes" : "NO" }'; }

# at_most VALUE TARGET: prints "yes" if VALUE <= TARGET, else "NO".
at_most() { awk -v a="$1" -v t="$2" 'BEGIN { print (a != "n/a" && a + 0 <= t) ? "yes" : "NO" }'; }

# seconds_between T0 T1: T1 - T0 (date +%s.%N values), 3 decimals.
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# rss_anon_kb PID: anonymous resident memory of PID in KiB (RssAnon).
rss_anon_kb() {
  awk '/^RssAnon:/ { print $2 }' "/proc/$1/status" 2>/dev/null || die "no process $1"
}

# group3 N: N with thousands separators (1234567 -> 1,234,567).
group3() { LC_ALL=C awk -v n="$1" 'BEGIN { s = sprintf("%.0f", n); r = ""
  while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
  print s r }'; }
