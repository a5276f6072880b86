# shellcheck shell=bash
# Shared by scripts/cluster-up.sh and scripts/cluster-down.sh (sourced).

# The config both scripts act on.
config=cluster-config/local-3.toml

# running PIDFILE: the pid file names a live troupe process (not a reused
# pid; a killed one not yet reaped by its parent is a zombie: not running)
running() {
  [[ -f $1 ]] || return 1
  local pid
  pid=$(<"$1")
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == troupe ]] &&
    ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

# The local etcd of the cluster (membership source "etcd" in the config):
# its client endpoint, peer endpoint and data dir.
etcd_client=127.0.0.1:2479
etcd_peer=127.0.0.1:2480
etcd_dir=./data/local-3/etcd

# etcd_running: the pid file names a live etcd
etcd_running() {
  [[ -f $etcd_dir/etcd.pid ]] &&
    [[ $(cat "/proc/$(<"$etcd_dir/etcd.pid")/comm" 2>/dev/null) == etcd ]]
}
