#!/usr/bin/env bash
# Write path and group commit: paste creates/s with durability "sync" (ack
# after the fsync of the group commit) vs "async" (ack when queued), two
# fresh nodes run one after the other, plus raw LMDB with one synced
# transaction per put (lmdb_sync_put_bench) on the same disk in the same run.
# Targets: sync >= 0.6 x async; sync >= 10 x raw one-sync-per-put.
#
# Usage: tests/bench/create_durability.sh    (env: DURATION=10s, WARMUP=2s,
#        THREADS=2, CONNECTIONS=64, LMDB_PUTS=2000, PASTE_BYTES=1024,
#        BENCH_TMPDIR=dir on the disk to measure, RESULT_FILE=path)
# Prints a Markdown table on stdout (progress on stderr). Exits 1 if any
# create answered non-2xx or a socket error occurred.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
LMDB_PUTS=${LMDB_PUTS:-2000}
export PASTE_BYTES=${PASTE_BYTES:-1024}
LUA=$BENCH_DIR/post_paste.lua

bench_init
lmdb_bin=$(find_lmdb_bench_bin)
log "create_durability: wrk -t$THREADS -c$CONNECTIONS -d$DURATION -s post_paste.lua (warm-up $WARMUP), load $(load_average)"
log "data dirs under $BENCH_WORK ($(df -P "$BENCH_WORK" | awk 'NR == 2 { print $1 }'))"

# raw_lmdb: one lmdb_sync_put_bench run in a fresh dir on the same disk;
# prints puts/s.
raw_lmdb() {
  local out v
  out=$("$lmdb_bin" "$LMDB_PUTS" "$BENCH_WORK/lmdb-raw") || die "lmdb_sync_put_bench failed"
  rm -rf "$BENCH_WORK/lmdb-raw"
  v=$(sed -nE 's/.*puts_per_sec=([0-9.]+).*/\1/p' <<<"$out")
  [[ -n $v ]] || die "unexpected lmdb_sync_put_bench output: $out"
  echo "$v"
}

# The disk is shared and fsync latency drifts: measure raw LMDB before and
# after the troupe runs and compare against their mean.
log "raw LMDB (before): $LMDB_PUTS puts, one synced txn each"
raw_before=$(raw_lmdb)

declare -A rps p99 bad err cpu wcpu mcpu count threads gc
for durability in sync async; do
  start_troupe "$durability" "$durability"
  url=$TROUPE_URL/pastebin/api/v1/paste
  # one create by hand: fail early with a readable answer
  code=$(curl -sS --max-time 10 -o "$BENCH_WORK/probe.json" -w '%{http_code}' \
    -H 'Content-Type: application/json' --data '{"paste_contents":"probe"}' "$url")
  [[ $code == 201 ]] || die "probe create answered $code: $(cat "$BENCH_WORK/probe.json")"
  wrk_args=(-t"$THREADS" -c"$CONNECTIONS" --latency -s "$LUA")
  run_wrk "$BENCH_WORK/$durability-warmup.txt" "$TROUPE_PID" "${wrk_args[@]}" -d"$WARMUP" "$url"
  log "$durability: measuring for $DURATION"
  run_wrk "$BENCH_WORK/$durability.txt" "$TROUPE_PID" "${wrk_args[@]}" -d"$DURATION" "$url"
  kill -0 "$TROUPE_PID" 2>/dev/null || die "troupe ($durability) died during the run"
  read -r rps[$durability] p99[$durability] bad[$durability] err[$durability] \
    cpu[$durability] wcpu[$durability] mcpu[$durability] < <(parse_wrk "$BENCH_WORK/$durability.txt")
  count[$durability]=$(awk '/requests in/ { print $1 }' "$BENCH_WORK/$durability.txt")
  threads[$durability]=$(threads_of "$BENCH_WORK/$durability.txt")
  stop_troupe "$TROUPE_PID"
  # the committer logs its totals on shutdown (info level): entries per fsync
  # is the average group-commit size (warm-up and probe included)
  gc[$durability]=$(sed -nE 's/.*group committer stopped: (.*)/\1/p' "$TROUPE_DIR/troupe.log" | tail -n1)
  if [[ -n ${gc[$durability]} ]]; then
    per=$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
      END { if (v["fsyncs"] > 0) printf "%.1f", v["entries"] / v["fsyncs"]; else print "n/a" }' <<<"${gc[$durability]}")
    gc[$durability]+=" (entries per fsync $per)"
  else
    gc[$durability]="n/a (not in the log)"
  fi
  if ((bad[$durability] > 0)); then
    log "$durability run: Non-2xx or 3xx responses: ${bad[$durability]} (of ${count[$durability]})"
  fi
done

log "raw LMDB (after): $LMDB_PUTS puts, one synced txn each"
raw_after=$(raw_lmdb)
raw=$(awk -v a="$raw_before" -v b="$raw_after" 'BEGIN { printf "%.0f", (a + b) / 2 }')

sa=$(ratio "${rps[sync]}" "${rps[async]}")
sr=$(ratio "${rps[sync]}" "$raw")
failed=0
for d in sync async; do
  ((bad[$d] == 0 && err[$d] == 0)) || failed=1
done

table=$(
  cat <<EOF
### Create: POST 1 KB paste, durability sync vs async vs raw LMDB

wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s post_paste.lua (after a $WARMUP warm-up), ${PASTE_BYTES} B paste_contents; raw = lmdb_sync_put_bench $LMDB_PUTS (100 B values, one synced txn per put), same disk.

| run | creates/s | p99 ms | non-2xx | socket errors | troupe CPU (cores) | wrk CPU (cores) | machine busy (cores) |
|---|---:|---:|---:|---:|---:|---:|---:|
| durability = sync | ${rps[sync]} | ${p99[sync]} | ${bad[sync]} | ${err[sync]} | ${cpu[sync]} | ${wcpu[sync]} | ${mcpu[sync]} |
| durability = async | ${rps[async]} | ${p99[async]} | ${bad[async]} | ${err[async]} | ${cpu[async]} | ${wcpu[async]} | ${mcpu[async]} |
| raw LMDB, 1 fsync per put | $raw puts/s (mean of $raw_before before, $raw_after after) | | | | | | |

| ratio | value | target | met |
|---|---:|---:|---|
| sync / async | $sa | >= 0.6 | $(meets "$sa" 0.6) |
| sync / raw one-sync-per-put | ${sr}x | >= 10x | $(meets "$sr" 10) |

Group committer totals at shutdown: sync: ${gc[sync]}; async: ${gc[async]}.

Busiest troupe threads (thread/tid=cores): sync: ${threads[sync]}; async: ${threads[async]}.
EOF
)
if ((failed)); then
  table+=$'\n\n'"**FAILED RUN**: non-2xx responses sync=${bad[sync]} async=${bad[async]}, socket errors sync=${err[sync]} async=${err[async]}; the creates/s above are not valid."
fi
echo "$table"
[[ -n ${RESULT_FILE:-} ]] && echo "$table" >"$RESULT_FILE"
exit "$failed"
