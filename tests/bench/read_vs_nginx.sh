#!/usr/bin/env bash
# Read path against a static reference: GET of one 1 KB paste from a troupe
# node vs nginx (2 workers) answering a body of the same size, same machine,
# same run, same wrk settings (wrk -t2 -c64 --latency, keep-alive).
# Target: troupe requests/s >= 0.6 x nginx.
#
# Usage: tests/bench/read_vs_nginx.sh        (env: DURATION=15s, WARMUP=2s,
#        THREADS=2, CONNECTIONS=64, DURABILITY=sync, RESULT_FILE=path,
#        DASHBOARD=1: the node's dashboard stays open in headless chromium
#        while troupe is measured; tests/bench/dashboard_cost.sh compares
#        with and without it in alternating rounds)
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
log "read_vs_nginx: wrk -t$THREADS -c$CONNECTIONS -d$DURATION (warm-up $WARMUP), load $(load_average)"

# --- troupe -----------------------------------------------------------------
start_troupe read "$DURABILITY"
contents=$(head -c "$PASTE_BYTES" /dev/zero | tr '\0' 'a')
created=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' \
  --data "{\"paste_contents\":\"$contents\"}" \
  "$TROUPE_URL/pastebin/api/v1/paste") || die "creating the paste failed"
shortlink=$(sed -nE 's/.*"shortlink" *: *"([A-Za-z0-9]+)".*/\1/p' <<<"$created")
[[ -n $shortlink ]] || die "no shortlink in: $created"
path="/pastebin/api/v1/paste?shortlink=$shortlink"
body_file=$BENCH_WORK/troupe-body.json
code=$(curl -sS --max-time 10 -o "$body_file" -w '%{http_code}' "$TROUPE_URL$path")
[[ $code == 200 ]] || die "GET $path answered $code"
body_size=$(wc -c <"$body_file")
log "paste $shortlink: ${PASTE_BYTES} B contents, response body $body_size B"

dashboard_note=""
if [[ ${DASHBOARD:-0} == 1 ]]; then
  need_tools chromium
  chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$BENCH_WORK/chromium" "$TROUPE_URL/" >"$BENCH_WORK/chromium.log" 2>&1 &
  BENCH_PIDS+=("$!")
  dashboard_note=", with the dashboard open in headless chromium"
  sleep 3
fi

wrk_args=(-t"$THREADS" -c"$CONNECTIONS" --latency)
run_wrk "$BENCH_WORK/troupe-warmup.txt" "$TROUPE_PID" "${wrk_args[@]}" -d"$WARMUP" "$TROUPE_URL$path"
log "troupe: measuring for $DURATION"
run_wrk "$BENCH_WORK/troupe.txt" "$TROUPE_PID" "${wrk_args[@]}" -d"$DURATION" "$TROUPE_URL$path"
kill -0 "$TROUPE_PID" 2>/dev/null || die "troupe died during the run"
stop_troupe "$TROUPE_PID"

# --- nginx ------------------------------------------------------------------
measure_nginx "$body_file" "$path" "$path" "${wrk_args[@]}"

# --- report -----------------------------------------------------------------
read -r t_rps t_p99 t_bad t_err t_cpu t_wcpu t_mcpu < <(parse_wrk "$BENCH_WORK/troupe.txt")
read -r n_rps n_p99 n_bad n_err n_cpu n_wcpu n_mcpu < <(parse_wrk "$BENCH_WORK/nginx.txt")
r=$(ratio "$t_rps" "$n_rps")
p=$(ratio "$t_p99" "$n_p99")

table=$(
  cat <<EOF
### Read: GET 1 KB paste, troupe vs nginx

wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up), response body $body_size B, troupe durability=$DURABILITY$dashboard_note.

| server | requests/s | p99 ms | non-2xx | socket errors | server CPU (cores) | wrk CPU (cores) | machine busy (cores) |
|---|---:|---:|---:|---:|---:|---:|---:|
| troupe | $t_rps | $t_p99 | $t_bad | $t_err | $t_cpu | $t_wcpu | $t_mcpu |
| nginx (2 workers) | $n_rps | $n_p99 | $n_bad | $n_err | $n_cpu | $n_wcpu | $n_mcpu |
| **troupe / nginx** | **$r** | $p | | | | | |

Target troupe/nginx requests/s >= 0.6: **$(meets "$r" 0.6)**.

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
