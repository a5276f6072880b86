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
