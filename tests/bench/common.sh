# shellcheck shell=bash disable=SC2034  # TROUPE_*/NGINX_*/REDIS_* are outputs for the callers
# Shared helpers of the load benchmarks (sourced, not run).
#
# Provides: troupe/bench binary discovery, free loopback ports, a troupe node,
# a troupe cluster (the nodes of local-3.toml) and nginx/redis reference
# servers started from temporary directories, cleanup that always stops
# whatever was started (EXIT/INT/TERM traps), wrk output parsing, CPU
# accounting and RSS of the server processes.
#
# Environment:
#   TROUPE_BIN       troupe binary (default: build/release/app/troupe, else
#                    the newest build/*/app/troupe)
#   LMDB_BENCH_BIN   lmdb_sync_put_bench binary (default: next to troupe's
#                    build tree, else the newest build/*/tests/bench/...)
#   CACHE_LOAD_BIN   cache_load_bench binary (found like LMDB_BENCH_BIN)
#   TROUPE_CONFIG_SET  config overrides for every node started, as for the
#                    extra arguments of start_troupe (space-separated)
#   BENCH_TMPDIR     where temporary data dirs go (default: $TMPDIR or /tmp);
#                    the disk under it is the one being measured
#   BENCH_KEEP=1     keep the temporary directory (logs) after the run

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/../.." && pwd)

BENCH_PIDS=()  # servers started by this script, stopped by bench_cleanup
BENCH_WORK=""  # temporary directory of this run
BENCH_PORTS=() # ports handed out by free_port in this run

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# --- setup / cleanup --------------------------------------------------------

bench_init() {
  local base=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
  mkdir -p "$base"
  BENCH_WORK=$(mktemp -d "$base/troupe-bench.XXXXXX")
  trap bench_cleanup EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated"; exit 143' TERM
  need_tools wrk curl nginx
}

# need_tools TOOL...: dies unless every TOOL is on the PATH.
need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 ||
      die "$tool not found: run tests/bench/install-deps.sh"
  done
}

# Stops every server this script started (TERM, then KILL after 15 s) and
# removes the temporary directory. Runs on every exit path.
bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${BENCH_PIDS[@]}"; do
    await_exit "$pid" 15
  done
  BENCH_PIDS=()
  if [[ -n $BENCH_WORK && -d $BENCH_WORK ]]; then
    if [[ ${BENCH_KEEP:-0} == 1 || $rc -ne 0 ]]; then
      log "temporary files kept in $BENCH_WORK"
    else
      rm -rf "$BENCH_WORK"
    fi
  fi
  exit "$rc"
}

forget_pid() {
  local gone=$1 p keep=()
  for p in "${BENCH_PIDS[@]}"; do
    [[ $p == "$gone" ]] || keep+=("$p")
  done
  BENCH_PIDS=("${keep[@]+"${keep[@]}"}")
}

# Waits up to $2 seconds for pid $1 (sent SIGTERM before) to exit, then
# SIGKILLs it; reaps it.
await_exit() {
  local pid=$1 limit=$2 i
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid still alive ${limit}s after SIGTERM: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# Stops one server: SIGTERM, wait up to $2 seconds (default 20), then SIGKILL.
stop_pid() {
  local pid=$1 limit=${2:-20}
  kill -TERM "$pid" 2>/dev/null || true
  await_exit "$pid" "$limit"
  forget_pid "$pid"
}

# --- binaries ---------------------------------------------------------------

# shellcheck disable=SC2012 # build paths have no odd characters
newest() { ls -t "$@" 2>/dev/null | head -n1; }

find_troupe_bin() {
  if [[ -n ${TROUPE_BIN:-} ]]; then
    [[ -x $TROUPE_BIN ]] || die "TROUPE_BIN=$TROUPE_BIN is not executable"
    echo "$TROUPE_BIN"
    return
  fi
  local b=$REPO_ROOT/build/release/app/troupe
  [[ -x $b ]] || b=$(newest "$REPO_ROOT"/build/*/app/troupe)
  [[ -n $b && -x $b ]] ||
    die "no troupe binary: build one (cmake --build build/release --target troupe) or set TROUPE_BIN"
  echo "$b"
}

# find_bench_tool TARGET ENV_VAR: the binary of the tests/bench target TARGET:
# $ENV_VAR if set, else next to troupe's build tree, else the newest
# build/*/tests/bench/TARGET.
find_bench_tool() {
  local target=$1 var=$2 troupe b
  if [[ -n ${!var:-} ]]; then
    [[ -x ${!var} ]] || die "$var=${!var} is not executable"
    echo "${!var}"
    return
  fi
  troupe=$(find_troupe_bin)
  b=$(dirname "$troupe")/../tests/bench/$target
  [[ -x $b ]] || b=$(newest "$REPO_ROOT"/build/*/tests/bench/"$target")
  [[ -n $b && -x $b ]] ||
    die "no $target: build the target $target or set $var"
  echo "$b"
}

find_lmdb_bench_bin() { find_bench_tool lmdb_sync_put_bench LMDB_BENCH_BIN; }
find_cache_load_bin() { find_bench_tool cache_load_bench CACHE_LOAD_BIN; }

# --- ports ------------------------------------------------------------------

port_in_use() {
  [[ -n $(ss -Htan "( sport = :$1 )" 2>/dev/null) ]] && return 0
  local p
  for p in "${BENCH_PORTS[@]}"; do [[ $p == "$1" ]] && return 0; done
  return 1
}

# free_port VAR: sets VAR to a loopback TCP port nobody listens on and not
# handed out before in this run (not a subshell, so the list is kept).
free_port() {
  local _fp_i _fp_port
  for ((_fp_i = 0; _fp_i < 200; _fp_i++)); do
    _fp_port=$((20000 + RANDOM % 30000))
    if ! port_in_use "$_fp_port"; then
      BENCH_PORTS+=("$_fp_port")
      printf -v "$1" '%s' "$_fp_port"
      return
    fi
  done
  die "no free port found"
}

# --- troupe -----------------------------------------------------------------

# set_config_key FILE SECTION.KEY=VALUE: replaces the value of KEY in the
# [SECTION] table of the TOML FILE (no SECTION. for a top-level key). VALUE is
# TOML as written (quote strings: log_level='"debug"'). Dies if the key is
# not there: troupe rejects unknown keys, so only existing ones are replaced.
set_config_key() {
  local file=$1 item=$2 path section="" key value
  [[ $item == *=* ]] || die "config override '$item' is not KEY=VALUE"
  path=${item%%=*}
  value=${item#*=}
  key=${path##*.}
  [[ $path == *.* ]] && section=${path%.*}
  awk -v sec="$section" -v key="$key" -v val="$value" '
    /^[[:space:]]*\[/ { cur = $0; sub(/^[[:space:]]*\[+[[:space:]]*/, "", cur); sub(/[[:space:]]*\].*/, "", cur) }
    !done && cur == sec && $0 ~ "^[[:space:]]*" key "[[:space:]]*=" { $0 = key " = " val; done = 1 }
    { print }
    END { exit !done }' "$file" >"$file.new" || {
    rm -f "$file.new"
    die "config override $item: no key '$key' in section [${section:-top level}] of $file"
  }
  mv "$file.new" "$file"
}

# start_troupe NAME DURABILITY [SECTION.KEY=VALUE...]
# Starts a node from a fresh data dir and a config derived from
# cluster-config/single.toml, with the overrides of $TROUPE_CONFIG_SET and
# then the extra arguments applied (see set_config_key). Sets TROUPE_PID,
# TROUPE_PORT, TROUPE_URL, TROUPE_DIR. Waits for /readyz.
start_troupe() {
  local name=$1 durability=$2
  shift 2
  local bin dir http_port actor_port cfg item overrides
  read -ra overrides <<<"${TROUPE_CONFIG_SET:-}"
  bin=$(find_troupe_bin)
  dir=$BENCH_WORK/troupe-$name
  mkdir -p "$dir/data"
  free_port http_port
  free_port actor_port
  cfg=$dir/node.toml
  sed -E \
    -e "s|^(actor *= *)\"[^\"]*\"|\1\"127.0.0.1:$actor_port\"|" \
    -e "s|^(http *= *)\"[^\"]*\"|\1\"127.0.0.1:$http_port\"|" \
    -e "s|^(data_dir *= *)\"[^\"]*\"|\1\"$dir/data\"|" \
    -e "s|^(durability *= *)\"[^\"]*\"|\1\"$durability\"|" \
    -e "s|^(log_level *= *)\"[^\"]*\"|\1\"${TROUPE_LOG_LEVEL:-info}\"|" \
    "$REPO_ROOT/cluster-config/single.toml" >"$cfg"
  if ! { grep -q "^durability *= *\"$durability\"" "$cfg" &&
    grep -q "127.0.0.1:$http_port" "$cfg" &&
    grep -q "127.0.0.1:$actor_port" "$cfg" &&
    grep -q "$dir/data" "$cfg"; }; then
    die "could not derive a config from cluster-config/single.toml (keys renamed?)"
  fi
  for item in "${overrides[@]+"${overrides[@]}"}" "$@"; do
    set_config_key "$cfg" "$item"
    log "troupe '$name': config $item"
  done
  "$bin" run --config "$cfg" >"$dir/troupe.log" 2>&1 &
  TROUPE_PID=$!
  BENCH_PIDS+=("$TROUPE_PID")
  TROUPE_PORT=$http_port
  TROUPE_URL=http://127.0.0.1:$http_port
  TROUPE_DIR=$dir
  log "troupe '$name' (durability=$durability) pid $TROUPE_PID on $TROUPE_URL, data $dir/data"
  wait_ready "$TROUPE_URL/readyz" "$TROUPE_PID" 30 ||
    {
      tail -n 20 "$dir/troupe.log" >&2
      die "troupe '$name' did not become ready"
    }
}

# wait_ready URL PID SECONDS: polls URL until 200; fails if PID dies.
wait_ready() {
  local url=$1 pid=$2 limit=$3 i
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || {
      log "process $pid exited while waiting for $url"
      return 1
    }
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  log "timeout waiting for $url"
  return 1
}

stop_troupe() {
  local pid=${1:-$TROUPE_PID}
  stop_pid "$pid" 20
  log "troupe pid $pid stopped"
}

# --- troupe cluster -----------------------------------------------------------

CLUSTER_NODES=()       # node names of the cluster started by start_cluster
declare -A CLUSTER_PID # node name -> pid
declare -A CLUSTER_URL # node name -> http://127.0.0.1:PORT
CLUSTER_DIR=""

# start_cluster NAME DURABILITY [SECTION.KEY=VALUE...]
# Starts every node of cluster-config/local-3.toml on this machine, from
# fresh data dirs and free ports. The config is cluster-config/single.toml
# (every key at its default) with its [[nodes]] replaced by local-3's (actor,
# http and data_dir rewritten), local-3's other keys applied, then
# durability, $TROUPE_CONFIG_SET and the extra arguments (see
# set_config_key). Sets CLUSTER_NODES, CLUSTER_PID, CLUSTER_URL, CLUSTER_DIR
# (node NAME logs to $CLUSTER_DIR/NAME/troupe.log). Waits for every /readyz.
start_cluster() {
  local name=$1 durability=$2
  shift 2
  local src=$REPO_ROOT/cluster-config/local-3.toml bin dir cfg node item overrides items
  local ports=() port i
  read -ra overrides <<<"${TROUPE_CONFIG_SET:-}"
  bin=$(find_troupe_bin)
  dir=$BENCH_WORK/cluster-$name
  cfg=$dir/cluster.toml
  mkdir -p "$dir"
  mapfile -t CLUSTER_NODES < <(awk -F'"' '/^\[\[nodes\]\]/ { in_node = 1; next }
    /^\[/ { in_node = 0 } in_node && /^name *=/ { print $2 }' "$src")
  ((${#CLUSTER_NODES[@]} > 0)) || die "no [[nodes]] in $src"
  for ((i = 0; i < 3 * ${#CLUSTER_NODES[@]}; i++)); do
    free_port port
    ports+=("$port")
  done
  # local-3's [[nodes]], the k-th entry on the k-th triple of ports
  # CLUSTER_LINK=0: without the node link (routed requests over CAF's
  # middleman, as before docs/design.md "The node link")
  awk -v ports="${ports[*]}" -v names="${CLUSTER_NODES[*]}" -v dir="$dir" \
    -v nolink="$([[ ${CLUSTER_LINK:-1} == 0 ]] && echo 1 || echo 0)" '
    BEGIN { split(ports, p, " "); split(names, n, " ") }
    /^\[\[nodes\]\]/ { k++; in_node = 1; print; next }
    /^\[/ { in_node = 0 }
    !in_node { next }
    /^actor *=/ { $0 = "actor = \"127.0.0.1:" p[3 * k - 2] "\"" }
    /^http *=/ { $0 = "http = \"127.0.0.1:" p[3 * k - 1] "\"" }
    /^link *=/ { if (nolink) next; $0 = "link = \"127.0.0.1:" p[3 * k] "\"" }
    /^data_dir *=/ { $0 = "data_dir = \"" dir "/" n[k] "/data\"" }
    { print }' "$src" >"$dir/nodes.toml"
  # single.toml with its [[nodes]] entry replaced by those of local-3
  awk -v nodes="$dir/nodes.toml" '
    /^\[\[nodes\]\]/ { if (!done) while ((getline l < nodes) > 0) print l; done = 1; skip = 1; next }
    /^\[/ { skip = 0 }
    !skip { print }' "$REPO_ROOT/cluster-config/single.toml" >"$cfg"
  # local-3's other keys ("SECTION.KEY=VALUE", comments dropped), then ours
  mapfile -t items < <(awk '
    /^[[:space:]]*\[/ { sec = $0; gsub(/[][[:space:]]/, "", sec); next }
    /^[[:space:]]*(#|$)/ || sec == "nodes" { next }
    { sub(/[[:space:]]+#.*/, ""); k = $0; sub(/[[:space:]]*=.*/, "", k); v = $0; sub(/^[^=]*=[[:space:]]*/, "", v)
      print (sec == "" ? "" : sec ".") k "=" v }' "$src")
  for item in "${items[@]}" "persistence.durability=\"$durability\"" \
    "log_level=\"${TROUPE_LOG_LEVEL:-info}\"" "${overrides[@]+"${overrides[@]}"}" "$@"; do
    set_config_key "$cfg" "$item"
  done
  # membership source etcd: the bench's own etcd, a key prefix per cluster
  if grep -q '^source *= *"etcd"' "$cfg"; then
    start_bench_etcd
    set_config_key "$cfg" "membership.etcd_endpoints=[\"$BENCH_ETCD\"]"
    set_config_key "$cfg" "membership.etcd_prefix=\"/bench/$name\""
  fi
  for item in "${overrides[@]+"${overrides[@]}"}" "$@"; do
    log "cluster '$name': config $item"
  done
  for ((i = 0; i < ${#CLUSTER_NODES[@]}; i++)); do
    node=${CLUSTER_NODES[i]}
    mkdir -p "$dir/$node/data"
    "$bin" run --config "$cfg" --node "$node" >"$dir/$node/troupe.log" 2>&1 &
    CLUSTER_PID[$node]=$!
    CLUSTER_URL[$node]=http://127.0.0.1:${ports[3 * i + 1]}
    BENCH_PIDS+=("${CLUSTER_PID[$node]}")
    log "cluster '$name': $node pid ${CLUSTER_PID[$node]} on ${CLUSTER_URL[$node]} (actor port ${ports[3 * i]}, link port ${ports[3 * i + 2]})"
  done
  CLUSTER_DIR=$dir
  for node in "${CLUSTER_NODES[@]}"; do
    wait_ready "${CLUSTER_URL[$node]}/readyz" "${CLUSTER_PID[$node]}" 30 || {
      tail -n 20 "$dir"/*/troupe.log >&2
      die "cluster '$name': node $node did not become ready"
    }
  done
  log "cluster '$name': ${#CLUSTER_NODES[@]} nodes ready (durability=$durability, config $cfg)"
}

# start_bench_etcd: one etcd for the whole run (Debian's etcd-server) on
# free loopback ports, data under $BENCH_WORK; sets BENCH_ETCD (host:port)
# and BENCH_ETCD_PID. Each cluster uses a key prefix of its own. No-op when
# it runs already.
start_bench_etcd() {
  [[ -n ${BENCH_ETCD_PID:-} ]] && kill -0 "$BENCH_ETCD_PID" 2>/dev/null && return
  need_tools etcd
  local client peer i
  free_port client
  free_port peer
  mkdir -p "$BENCH_WORK/etcd"
  etcd --name bench --data-dir "$BENCH_WORK/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$client" \
    --advertise-client-urls "http://127.0.0.1:$client" \
    --listen-peer-urls "http://127.0.0.1:$peer" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "bench=http://127.0.0.1:$peer" \
    --election-timeout 500 --heartbeat-interval 50 \
    --log-level warn >"$BENCH_WORK/etcd/etcd.log" 2>&1 &
  BENCH_ETCD_PID=$!
  BENCH_PIDS+=("$BENCH_ETCD_PID")
  BENCH_ETCD=127.0.0.1:$client
  for ((i = 0; i < 150; i++)); do
    curl -fsS --max-time 1 "http://$BENCH_ETCD/health" 2>/dev/null | grep -q true && {
      log "etcd pid $BENCH_ETCD_PID on $BENCH_ETCD"
      return
    }
    kill -0 "$BENCH_ETCD_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$BENCH_WORK/etcd/etcd.log" >&2
  die "etcd did not start"
}

# stop_cluster: SIGTERM to every node of the cluster at once, then waits for
# each (SIGKILL after 20 s, see stop_pid).
stop_cluster() {
  local node
  for node in "${CLUSTER_NODES[@]}"; do
    kill -TERM "${CLUSTER_PID[$node]}" 2>/dev/null || true
  done
  for node in "${CLUSTER_NODES[@]}"; do
    stop_pid "${CLUSTER_PID[$node]}" 20
  done
  log "cluster stopped (${CLUSTER_NODES[*]})"
}

# cluster_shard URL SERVICE SHARD FIELD: FIELD of the row of SHARD of
# SERVICE in the shard map of GET URL/api/v1/cluster: primary, replicas
# (comma-separated) or state (only the primary reports a state).
cluster_shard() {
  local url=$1 service=$2 shard=$3 field=$4 row
  row=$(curl -fsS --max-time 5 "$url/api/v1/cluster" |
    sed -E "s/.*\"$service\":\[//; s/\}\].*/}/" | grep -o '{[^{}]*}' |
    grep -E "\"shard\":${shard}[,}]") || die "no row for $service shard $shard in $url/api/v1/cluster"
  sed -nE -e "s/.*\"$field\":\"([^\"]*)\".*/\1/p" -e "s/.*\"$field\":\[([^]]*)\].*/\1/p" <<<"$row" | tr -d '"'
}

# shard_of KEY SHARDS: the shard of KEY, computed as runtime::shard_of does
# (XXH64 with seed 0, modulo SHARDS) by a helper compiled on first use
# against the same xxhash.h (g++ and libxxhash-dev: scripts/install-deps.sh).
shard_of() {
  local tool=$BENCH_WORK/shard_of
  if [[ ! -x $tool ]]; then
    c++ -O2 -x c++ -o "$tool" - <<'EOF' || die "could not compile the shard_of helper (needs g++ and libxxhash-dev)"
#define XXH_INLINE_ALL
#include <xxhash.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
int main(int argc, char** argv) {
  if (argc != 3) return 2;
  unsigned long long shards = std::strtoull(argv[2], nullptr, 10);
  if (shards == 0) return 2;
  std::printf("%llu\n", static_cast<unsigned long long>(
                            XXH64(argv[1], std::strlen(argv[1]), 0) % shards));
}
EOF
  fi
  "$tool" "$1" "$2"
}

# run_wrk_cluster OUT_FILE SERVER_PID wrk-args...: run_wrk, plus a line
# "bench_node_cpu NAME=cores ..." with the CPU of every node of the cluster
# (average cores busy over the run).
run_wrk_cluster() {
  local out=$1 node t0 t1 before=() after=() i
  for node in "${CLUSTER_NODES[@]}"; do before+=("$(tree_cpu_ticks "${CLUSTER_PID[$node]}")"); done
  t0=$(date +%s.%N)
  run_wrk "$@"
  t1=$(date +%s.%N)
  for node in "${CLUSTER_NODES[@]}"; do after+=("$(tree_cpu_ticks "${CLUSTER_PID[$node]}")"); done
  {
    printf bench_node_cpu
    for ((i = 0; i < ${#CLUSTER_NODES[@]}; i++)); do
      awk -v n="${CLUSTER_NODES[i]}" -v a="${before[i]}" -v b="${after[i]}" -v t0="$t0" -v t1="$t1" \
        -v hz="$CLK_TCK" 'BEGIN { printf " %s=%.2f", n, (b - a) / hz / (t1 - t0) }'
    done
    echo
  } >>"$out"
}

# node_cpu_of FILE NAME: the cores node NAME used in a run_wrk_cluster run.
node_cpu_of() {
  awk -v n="$2" '/^bench_node_cpu/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == n) print kv[2] } }' "$1"
}

# --- nginx ------------------------------------------------------------------

# start_nginx BODY_FILE: nginx, 2 workers, loopback, answering every request
# with 200 and the bytes of BODY_FILE (application/json). Sets NGINX_PID,
# NGINX_PORT, NGINX_URL, NGINX_DIR.
start_nginx() {
  local body_file=$1 dir port body size
  dir=$BENCH_WORK/nginx
  mkdir -p "$dir/tmp"
  free_port port
  size=$(wc -c <"$body_file")
  body=$(<"$body_file")
  # nginx single-quoted strings interpolate $variables and treat \ and ' as
  # escapes; fall back to a synthetic body of the same length if needed.
  if [[ $body == *[\$\\\']* || $body == *$'\n'* ]] || ((${#body} != size)); then
    body='{"p":"'
    while ((${#body} < size - 2)); do body+=x; done
    body+='"}'
  fi
  local temps="client_body_temp_path $dir/tmp/body;"
  local m
  for m in proxy fastcgi uwsgi scgi; do
    nginx -V 2>&1 | grep -q -- "--without-http_${m}_module" ||
      temps+=" ${m}_temp_path $dir/tmp/$m;"
  done
  cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  default_type application/json;
  $temps
  server {
    listen 127.0.0.1:$port;
    location / { return 200 '$body'; }
  }
}
EOF
  nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -t >"$dir/test.log" 2>&1 ||
    {
      cat "$dir/test.log" >&2
      die "nginx config test failed"
    }
  nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/nginx.log" 2>&1 &
  NGINX_PID=$!
  BENCH_PIDS+=("$NGINX_PID")
  NGINX_PORT=$port
  NGINX_URL=http://127.0.0.1:$port
  NGINX_DIR=$dir
  log "nginx pid $NGINX_PID on $NGINX_URL (body $size bytes)"
  wait_ready "$NGINX_URL/" "$NGINX_PID" 10 || {
    cat "$dir/error.log" >&2 || true
    die "nginx did not start"
  }
}

stop_nginx() {
  local pid=${1:-$NGINX_PID}
  # nginx: TERM = fast shutdown (master stops its workers)
  stop_pid "$pid" 10
  log "nginx pid $pid stopped"
}

# measure_nginx BODY_FILE PROBE TARGET WRK_ARGS...: the nginx side of a
# comparison. Serves BODY_FILE, checks that GET PROBE answers a body of the
# same size, then runs wrk (WRK_ARGS, -d$WARMUP, then -d$DURATION) against
# $NGINX_URL/TARGET; the measured output goes to $BENCH_WORK/nginx.txt.
measure_nginx() {
  local body_file=$1 probe=$2 target=$3 size want
  shift 3
  start_nginx "$body_file"
  want=$(wc -c <"$body_file")
  size=$(curl -fsS --max-time 5 "$NGINX_URL$probe" | wc -c)
  [[ $size == "$want" ]] || die "nginx body is $size B, troupe's $want B"
  run_wrk "$BENCH_WORK/nginx-warmup.txt" "$NGINX_PID" "$@" -d"$WARMUP" "$NGINX_URL$target"
  log "nginx: measuring for $DURATION"
  run_wrk "$BENCH_WORK/nginx.txt" "$NGINX_PID" "$@" -d"$DURATION" "$NGINX_URL$target"
  stop_nginx "$NGINX_PID"
}

# --- redis ------------------------------------------------------------------

# start_redis NAME: redis-server from a temporary dir, no persistence (no RDB
# snapshots, no AOF), loopback, a free port. Sets REDIS_PID, REDIS_PORT,
# REDIS_DIR. Waits for PING.
start_redis() {
  local name=$1 dir port i
  dir=$BENCH_WORK/redis-$name
  mkdir -p "$dir"
  free_port port
  redis-server --save '' --appendonly no --port "$port" --bind 127.0.0.1 \
    --daemonize no --dir "$dir" --logfile "$dir/redis.log" >"$dir/stdout.log" 2>&1 &
  REDIS_PID=$!
  BENCH_PIDS+=("$REDIS_PID")
  REDIS_PORT=$port
  REDIS_DIR=$dir
  log "redis '$name' pid $REDIS_PID on 127.0.0.1:$port ($(redis-server --version | awk '{ print $3 }'))"
  for ((i = 0; i < 100; i++)); do
    kill -0 "$REDIS_PID" 2>/dev/null || break
    [[ $(redis-cli -p "$port" ping 2>/dev/null) == PONG ]] && return 0
    sleep 0.1
  done
  tail -n 20 "$dir/redis.log" "$dir/stdout.log" >&2 || true
  die "redis '$name' did not start"
}

stop_redis() {
  local pid=${1:-$REDIS_PID}
  stop_pid "$pid" 10
  log "redis pid $pid stopped"
}

# rcli ARGS...: redis-cli against the redis started last.
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

# redis_info FIELD [SECTION]: one numeric field of INFO (e.g. used_memory).
redis_info() {
  rcli info "${2:-all}" | tr -d '\r' | sed -n "s/^$1://p"
}

# --- memory -------------------------------------------------------------------
# value_of FILE KEY: the value of a "KEY value" line of FILE
value_of() { awk -v k="$2" '$1 == k { print $2; found = 1 } END { exit !found }' "$1" ||
  die "no '$2' in $1"; }

# node_metric URL NAME: the sum of the samples of metric NAME at URL/metrics
node_metric() {
  local v
  v=$(curl -fsS --max-time 5 "$1/metrics" | awk -v n="$2" '
    $1 == n || index($1, n "{") == 1 { s += $NF; found = 1 }
    END { if (found) printf "%.0f\n", s }') || die "GET $1/metrics failed"
  [[ -n $v ]] || die "metric $2 not in $1/metrics"
  echo "$v"
}

# json_number FILE KEY: a top-level number of the JSON object in FILE
json_number() {
  "${PYTHON:-python3}" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2>/dev/null ||
    die "no number '$2' in $1: $(head -c 300 "$1")"
}


# rss_kb PID: resident set size of PID in KiB (VmRSS).
rss_kb() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || die "no process $1"
}

# --- CPU accounting -----------------------------------------------------------

CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# Prints utime+stime ticks of PID and all its descendants (nginx workers).
tree_cpu_ticks() {
  local pid=$1 total=0 p stat
  local pids=("$pid")
  local kids
  kids=$(pgrep -P "$pid" 2>/dev/null || true)
  for p in $kids; do pids+=("$p"); done
  for p in "${pids[@]}"; do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    stat=${stat##*) } # fields after "(comm) "
    # shellcheck disable=SC2086
    set -- $stat
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

# thread_ticks PID: prints "tid comm ticks" for every thread of PID and of
# its children (comm with spaces squeezed to _).
thread_ticks() {
  local pid=$1 p t stat comm
  local pids=("$pid")
  for p in $(pgrep -P "$pid" 2>/dev/null || true); do pids+=("$p"); done
  for p in "${pids[@]}"; do
    for t in /proc/"$p"/task/*; do
      stat=$(cat "$t/stat" 2>/dev/null) || continue
      comm=${stat#*(}
      comm=${comm%)*}
      stat=${stat##*) }
      # shellcheck disable=SC2086
      set -- $stat
      echo "${t##*/} ${comm// /_} $((${12} + ${13}))"
    done
  done
}

# Prints "busy idle" jiffies of the whole machine.
machine_ticks() {
  local cpu user nice sys idle iowait irq softirq steal rest
  read -r cpu user nice sys idle iowait irq softirq steal rest </proc/stat
  echo "$((user + nice + sys + irq + softirq + steal)) $((idle + iowait))"
}

# Sets CHILD_CPU to the CPU seconds used by reaped children of this shell
# (e.g. wrk). Must not run in a subshell: `times` there sees its own children.
child_cpu() {
  times >"$BENCH_WORK/.times" # line 2: "XmY.YYYs XmY.YYYs" user sys of children
  CHILD_CPU=$(awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); n += a[1] * 60 + a[2] } printf "%.3f", n }' "$BENCH_WORK/.times")
}

# --- wrk ----------------------------------------------------------------------

# run_wrk OUT_FILE SERVER_PID wrk-args...: runs wrk, writes its output to
# OUT_FILE, appends CPU accounting lines "bench_cpu server=<cores>
# client=<cores> machine=<cores>" (average cores busy over the run; client =
# wrk) and "bench_threads ..." (busiest server threads).
run_wrk() {
  local out=$1 spid=$2
  shift 2
  run_measured "$out" "$spid" wrk "$@"
}

# run_measured OUT_FILE SERVER_PID COMMAND...: as run_wrk for any load
# generator (e.g. redis-benchmark); client = COMMAND and its children.
run_measured() {
  local out=$1 spid=$2
  shift 2
  local s0 s1 w0 w1 m0 m1 t0 t1
  s0=$(tree_cpu_ticks "$spid")
  thread_ticks "$spid" >"$out.threads0"
  child_cpu
  w0=$CHILD_CPU
  m0=$(machine_ticks)
  t0=$(date +%s.%N)
  "$@" >"$out" 2>&1 || {
    cat "$out" >&2
    die "$1 failed: $*"
  }
  t1=$(date +%s.%N)
  s1=$(tree_cpu_ticks "$spid")
  thread_ticks "$spid" >"$out.threads1"
  child_cpu
  w1=$CHILD_CPU
  m1=$(machine_ticks)
  awk -v s0="$s0" -v s1="$s1" -v w0="$w0" -v w1="$w1" -v m0="$m0" -v m1="$m1" \
    -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" 'BEGIN {
      split(m0, a, " "); split(m1, b, " "); el = t1 - t0
      printf "bench_cpu server=%.2f client=%.2f machine=%.2f\n",
        (s1 - s0) / hz / el, (w1 - w0) / el, (b[1] - a[1]) / hz / el
    }' >>"$out"
  # busiest threads of the server: "bench_threads comm/tid=cores ..."
  awk -v hz="$CLK_TCK" -v t0="$t0" -v t1="$t1" '
    NR == FNR { before[$1] = $3; next }
    { used = ($3 - before[$1]) / hz / (t1 - t0); if (used >= 0.01) printf "%s/%s=%.2f\n", $2, $1, used }
  ' "$out.threads0" "$out.threads1" | sort -t= -k2 -rn | head -n 8 |
    awk 'BEGIN { printf "bench_threads" } { printf " %s", $0 } END { print "" }' >>"$out"
}

# threads_of FILE: the "bench_threads" line of a run_wrk output, as text.
# cpu_of FILE: "server_cores client_cores machine_cores" of a run_measured
# output.
threads_of() { sed -n 's/^bench_threads *//p' "$1"; }
cpu_of() {
  awk '/^bench_cpu/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); cpu[kv[1]] = kv[2] } }
    END { printf "%s %s %s\n", cpu["server"] + 0, cpu["client"] + 0, cpu["machine"] + 0 }' "$1"
}

# parse_wrk FILE: prints "rps p99_ms non2xx socket_errors server_cores
# wrk_cores machine_cores" (p99 converted to milliseconds).
parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
      if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
      if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
      if (v ~ /h$/)  { sub(/h$/, "", v);  return v * 3600000 }
      if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
      return v + 0
    }
    /Requests\/sec:/ { rps = $2 }
    /^ *99%/ { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    /Socket errors:/ {
      # Socket errors: connect 0, read 0, write 0, timeout 0
      gsub(/,/, ""); errs = $4 + $6 + $8 + $10
    }
    /^bench_cpu/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); cpu[kv[1]] = kv[2] } }
    END {
      if (rps == "") rps = 0
      printf "%.0f %.2f %d %d %s %s %s\n", rps, p99, non2xx + 0, errs + 0,
        cpu["server"] + 0, cpu["client"] + 0, cpu["machine"] + 0
    }' "$1"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# meets VALUE TARGET: prints "yes"/"NO"
meets() { awk -v a="$1" -v t="$2" 'BEGIN { print (a != "n/a" && a + 0 >= t) ? "yes" : "NO" }'; }

load_average() { cut -d' ' -f1-3 /proc/loadavg; }
