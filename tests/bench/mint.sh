#!/usr/bin/env bash
# Mint's figures: import rate, GET /mint/api/v1/spending against nginx
# serving the same body, and extraction jobs per second against the
# institution simulator (examples/bank_sim) with the p99 of one extraction.
#
# 1. Import: mint_gen.py writes TRANSACTIONS lines (default 5,000,000) over
#    USERS users (100,000) in Sep-Nov 2026 (seeded). A node with a fresh
#    data dir at durability DURABILITY (default group) gets the whole file
#    in one POST /mint/api/v1/transactions/import (curl --data-binary,
#    Content-Length); rate = imported / curl's time_total. Checked: every
#    line imported, troupe_mint_transactions_total == TRANSACTIONS, and the
#    spending of u1 in 2026-11 equals the generator's aggregation.
# 2. spending vs nginx: GET spending?user_id=u1&month=2026-11 on that node
#    under wrk -t$THREADS -c$CONNECTIONS (keep-alive) for DURATION after a
#    WARMUP, then nginx (2 workers) answering the same bytes.
# 3. Extraction: bank_sim (PER_DAY transactions a day per login, 273 per
#    login by default) and a fresh node whose [mint] allows 127.0.0.1 and
#    reaches back 400 days; ACCOUNTS accounts (logins b1..bN) are linked by
#    mint_link.py over LINKERS keep-alive connections, each link queueing a
#    pull. jobs/s =
#    ACCOUNTS / (last job done - first link), read from
#    troupe_mint_jobs_done_total; the p50/p99 of one extraction (a worker
#    taking a job to its end: the pull, parsing, the shard journaling the
#    transactions) from the troupe_mint_extract_seconds histogram (bucket
#    bounds, linearly interpolated as Prometheus' histogram_quantile).
#    Checked: no job failed, the transactions added == ACCOUNTS x per-login.
#
# Targets (issue): import >= 200,000 transactions/s at durability group (the
# notes' average is 2,000/s); spending requests/s >= 0.6 x nginx.
#
# Usage: tests/bench/mint.sh   (env: TRANSACTIONS=5000000, USERS=100000,
#        SEED=42, DURABILITY=group, DURATION=15s, WARMUP=2s, THREADS=2,
#        CONNECTIONS=64, ACCOUNTS=1000, LINKERS=8, WORKERS=8, PER_DAY=3,
#        JOBS_LIMIT=300 (s), PYTHON=python3, BANK_SIM=path, RESULT_FILE=path)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$BENCH_DIR/twitter_lib.sh" # group3, wrk_latency

TRANSACTIONS=${TRANSACTIONS:-5000000}
USERS=${USERS:-100000}
SEED=${SEED:-42}
DURABILITY=${DURABILITY:-group}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
ACCOUNTS=${ACCOUNTS:-1000}
LINKERS=${LINKERS:-8}
WORKERS=${WORKERS:-8}
PER_DAY=${PER_DAY:-3}
JOBS_LIMIT=${JOBS_LIMIT:-300}
PYTHON=${PYTHON:-python3}
API=/mint/api/v1

bench_init
need_tools "$PYTHON"
export TROUPE_MINT_KEY=${TROUPE_MINT_KEY:-$(openssl rand -hex 32)}
BANK_SIM=${BANK_SIM:-$(dirname "$(find_troupe_bin)")/../examples/bank_sim/bank_sim}
[[ -x $BANK_SIM ]] || die "no bank_sim at $BANK_SIM: build the target bank_sim or set BANK_SIM"
log "mint: $(group3 "$TRANSACTIONS") transactions over $(group3 "$USERS") users, durability $DURABILITY, load $(load_average)"

# --- import ---------------------------------------------------------------------
TX_FILE=$BENCH_WORK/transactions.tsv
"$PYTHON" "$BENCH_DIR/mint_gen.py" --transactions "$TRANSACTIONS" --users "$USERS" \
  --seed "$SEED" --out "$TX_FILE" >"$BENCH_WORK/gen.txt" || die "mint_gen.py failed"
gen_secs=$(value_of "$BENCH_WORK/gen.txt" seconds)
file_size=$(du -h "$TX_FILE" | cut -f1)
start_troupe mint-import "$DURABILITY"
sleep 1
rss0=$(rss_kb "$TROUPE_PID")
log "import: POSTing $file_size to $TROUPE_URL"
out=$BENCH_WORK/import.json
run_measured "$BENCH_WORK/cpu-import.txt" "$TROUPE_PID" \
  curl -sS --max-time 1800 -o "$out" -w '%{http_code} %{time_total}\n' -H 'Expect:' \
  --data-binary @"$TX_FILE" "$TROUPE_URL$API/transactions/import"
read -r code secs < <(head -n1 "$BENCH_WORK/cpu-import.txt")
[[ $code == 200 ]] || die "import answered $code: $(head -c 500 "$out")"
imported=$(json_number "$out" imported)
((imported == TRANSACTIONS)) || die "imported $imported of $TRANSACTIONS: $(head -c 500 "$out")"
import_rate=$(awk -v n="$imported" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
read -r imp_cpu imp_ccpu imp_mcpu < <(cpu_of "$BENCH_WORK/cpu-import.txt")
total=$(node_metric "$TROUPE_URL" troupe_mint_transactions_total)
((total == TRANSACTIONS)) || die "troupe_mint_transactions_total is $total"
rss1=$(rss_kb "$TROUPE_PID")
log "import: $(group3 "$imported") in $secs s ($(group3 "$import_rate")/s); node $imp_cpu cores, curl $imp_ccpu; VmRSS $rss0 -> $rss1 KiB"

# --- spending vs nginx ----------------------------------------------------------
path="$API/spending?user_id=u1&month=2026-11"
body_file=$BENCH_WORK/spending.json
curl -fsS --max-time 10 -o "$body_file" "$TROUPE_URL$path" || die "GET $path failed"
"$PYTHON" - "$body_file" "$BENCH_WORK/gen.txt" <<'EOF' || die "GET $path is not the generator's aggregation"
import json, sys
got = {r["category"]: r["amount"] for r in json.load(open(sys.argv[1]))}
want = {}
for line in open(sys.argv[2]):
    k, *v = line.split()
    if k == "check" and int(v[1]) != 0:
        c = int(v[1])
        want[v[0]] = "%s%d.%02d" % ("-" if c < 0 else "", abs(c) // 100, abs(c) % 100)
if got != want:
    print("got  %s\nwant %s" % (got, want)); sys.exit(1)
EOF
body_size=$(wc -c <"$body_file")
wrk_args=(-t"$THREADS" -c"$CONNECTIONS" --latency)
run_wrk "$BENCH_WORK/troupe-warmup.txt" "$TROUPE_PID" "${wrk_args[@]}" -d"$WARMUP" "$TROUPE_URL$path"
log "troupe: measuring GET spending for $DURATION"
run_wrk "$BENCH_WORK/troupe.txt" "$TROUPE_PID" "${wrk_args[@]}" -d"$DURATION" "$TROUPE_URL$path"
stop_troupe "$TROUPE_PID"
rm -f "$TX_FILE"
measure_nginx "$body_file" "$path" "$path" "${wrk_args[@]}"

# --- extraction -----------------------------------------------------------------
"$BANK_SIM" --port 0 --per-day "$PER_DAY" >"$BENCH_WORK/bank.out" 2>"$BENCH_WORK/bank.err" &
BANK_PID=$!
BENCH_PIDS+=("$BANK_PID")
for ((i = 0; i < 50; i++)); do grep -q '^listening' "$BENCH_WORK/bank.out" && break; sleep 0.1; done
bank_port=$(awk '/^listening/ { print $2 }' "$BENCH_WORK/bank.out")
[[ -n $bank_port ]] || die "bank_sim did not start: $(cat "$BENCH_WORK/bank.err")"
per_login=$(curl -fsS -u b1:pass-b1 "http://127.0.0.1:$bank_port/transactions?since=2020-01-01" |
  "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')
start_troupe mint-extract "$DURABILITY" 'mint.institution_hosts=["127.0.0.1"]' \
  mint.history_days=400 "mint.extract_workers=$WORKERS"
log "extraction: linking $ACCOUNTS accounts ($per_login transactions each) over $LINKERS keep-alive connections"
t0=$(date +%s.%N)
"$PYTHON" "$BENCH_DIR/mint_link.py" --port "$TROUPE_PORT" --bank-port "$bank_port" \
  --accounts "$ACCOUNTS" --connections "$LINKERS" >"$BENCH_WORK/link.txt" || die "mint_link.py failed"
t_linked=$(date +%s.%N)
(($(value_of "$BENCH_WORK/link.txt" failed) == 0)) || die "some links failed"
deadline=$(($(date +%s) + JOBS_LIMIT))
while :; do
  done_jobs=$(node_metric "$TROUPE_URL" troupe_mint_jobs_done_total)
  failed=$(node_metric "$TROUPE_URL" troupe_mint_jobs_failed_total)
  ((done_jobs + failed >= ACCOUNTS)) && break
  (($(date +%s) < deadline)) || die "only $done_jobs of $ACCOUNTS jobs done after $JOBS_LIMIT s"
  sleep 0.05
done
t1=$(date +%s.%N)
((failed == 0)) || die "$failed jobs failed"
added=$(node_metric "$TROUPE_URL" troupe_mint_transactions_total)
((added == ACCOUNTS * per_login)) || die "$added transactions added, expected $((ACCOUNTS * per_login))"
elapsed=$(seconds_between "$t0" "$t1")
link_secs=$(seconds_between "$t0" "$t_linked")
jobs_rate=$(awk -v n="$ACCOUNTS" -v s="$elapsed" 'BEGIN { printf "%.0f", n / s }')
curl -fsS "$TROUPE_URL/metrics" >"$BENCH_WORK/metrics.txt"
quantile() {
  awk -v q="$1" '$1 ~ /^troupe_mint_extract_seconds_bucket/ {
      match($1, /le="[^"]*"/); le = substr($1, RSTART + 4, RLENGTH - 5)
      n++; b[n] = (le == "+Inf" ? 1e9 : le + 0); c[n] = $2 }
    END { total = c[n]; rank = q * total; prev_b = 0; prev_c = 0
      for (i = 1; i <= n; i++) { if (c[i] >= rank) {
          if (b[i] == 1e9) { printf "> %s", prev_b; exit }
          printf "%.1f", 1000 * (prev_b + (b[i] - prev_b) * (rank - prev_c) / (c[i] - prev_c)); exit }
        prev_b = b[i]; prev_c = c[i] } }' "$BENCH_WORK/metrics.txt"
}
x_p50=$(quantile 0.5)
x_p99=$(quantile 0.99)
x_sum=$(awk '$1 == "troupe_mint_extract_seconds_sum" { print $2 }' "$BENCH_WORK/metrics.txt")
x_mean=$(awk -v s="$x_sum" -v n="$ACCOUNTS" 'BEGIN { printf "%.1f", 1000 * s / n }')
bank_stats=$(curl -fsS "http://127.0.0.1:$bank_port/_stats")
log "extraction: $ACCOUNTS jobs in $elapsed s ($jobs_rate/s; links took $link_secs s); one extraction p50 $x_p50 ms, p99 $x_p99 ms, mean $x_mean ms; bank $bank_stats"
stop_troupe "$TROUPE_PID"

# --- report ---------------------------------------------------------------------
read -r t_rps t_p99 t_bad t_err t_cpu t_wcpu t_mcpu < <(parse_wrk "$BENCH_WORK/troupe.txt")
read -r n_rps n_p99 n_bad n_err n_cpu n_wcpu n_mcpu < <(parse_wrk "$BENCH_WORK/nginx.txt")
t_p50=$(wrk_latency "$BENCH_WORK/troupe.txt" 50)
n_p50=$(wrk_latency "$BENCH_WORK/nginx.txt" 50)
r=$(ratio "$t_rps" "$n_rps")
section=$(
  cat <<EOF
### Mint: import rate, spending vs nginx, extraction

$(group3 "$TRANSACTIONS") transactions ($file_size, generated in ${gen_secs}s by mint_gen.py, seed $SEED) of $(group3 "$USERS") users over Sep-Nov 2026, 24 sellers (16 in the shipped map), one in 50 a refund. A node with a fresh data dir, durability=$DURABILITY, [mint] at its defaults (64 user shards); one POST /mint/api/v1/transactions/import by curl --data-binary (Content-Length), rate = imported / curl's time_total. Every line imported, troupe_mint_transactions_total equal, u1's spending in 2026-11 equal to the generator's aggregation.

| measure | value | target | met |
|---|---:|---:|---|
| **import** (transactions/s) | **$(group3 "$import_rate")** ($(group3 "$imported") in $secs s) | >= 200,000 (notes: 2,000) | $(meets "$import_rate" 200000) |
| node CPU / curl CPU during the import (cores) | $imp_cpu / $imp_ccpu (machine $imp_mcpu) | | |
| VmRSS before / after the import | $((rss0 / 1024)) / $((rss1 / 1024)) MiB | | |
| **spending: troupe / nginx requests/s** | **$r** | >= 0.6 | $(meets "$r" 0.6) |
| **extraction** (jobs/s, $ACCOUNTS accounts x $per_login transactions, $WORKERS workers) | **$jobs_rate** ($elapsed s from the first link to the last job done; linking took $link_secs s) | | |
| one extraction: p50 / p99 / mean (ms) | $x_p50 / **$x_p99** / $x_mean | | |

GET $path ($body_size B): wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up), keep-alive; nginx answers every request with the same bytes.

| server | requests/s | p50 ms | p99 ms | non-2xx | socket errors | server CPU (cores) | wrk CPU (cores) | machine busy (cores) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| troupe | $t_rps | $t_p50 | $t_p99 | $t_bad | $t_err | $t_cpu | $t_wcpu | $t_mcpu |
| nginx (2 workers) | $n_rps | $n_p50 | $n_p99 | $n_bad | $n_err | $n_cpu | $n_wcpu | $n_mcpu |
| **troupe / nginx** | **$r** | | $(ratio "$t_p99" "$n_p99") | | | | | |

Extraction: bank_sim on loopback ($PER_DAY transactions a day per login, 2026-09-01..11-30), [mint] institution_hosts = ["127.0.0.1"], history_days = 400; mint_link.py links the accounts over $LINKERS keep-alive connections (each link queues the first pull); no job failed and troupe_mint_transactions_total equals accounts x transactions per login. The bank's counters afterwards: $bank_stats.
EOF
)
echo "$section"
[[ -n ${RESULT_FILE:-} ]] && echo "$section" >"$RESULT_FILE"
((t_bad == 0 && n_bad == 0 && t_err == 0 && n_err == 0)) || {
  log "FAILED: non-2xx troupe=$t_bad nginx=$n_bad, socket errors troupe=$t_err nginx=$n_err"
  exit 1
}
exit 0
