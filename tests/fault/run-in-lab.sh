#!/usr/bin/env bash
# Usage: run-in-lab.sh FAULT_TESTS_BINARY [ARGS...]
#
# Runs the partition lab's test binary (CTest runs it through this script,
# gtest_discover_tests too) with a name prefix of its own for every network
# namespace and temp dir it makes (TROUPE_LAB_PREFIX=tl<this script's pid>),
# and removes whatever carries that prefix when it exits: normally, on
# failure, on Ctrl-C (INT) or on TERM. The binary removes its labs itself
# when it can; this catches a binary killed midway. (Only SIGKILL of this
# script escapes; the next lab then removes labs whose pid is gone.)
set -u
prefix="tl$$"
export TROUPE_LAB_PREFIX=$prefix
child=""

cleanup() {
  if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
    kill -KILL "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  if command -v ip >/dev/null 2>&1; then
    local ns pid round
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix-"); do
      for round in 1 2 3 4 5; do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [[ -z $pids ]] && break
        for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
        sleep 0.1
      done
      ip netns delete "$ns" 2>/dev/null
    done
  fi
  rm -rf "${TMPDIR:-/tmp}/$prefix"-* 2>/dev/null
}

on_signal() { # NUMBER: stop the binary, then exit 128+NUMBER (runs cleanup)
  trap - INT TERM
  [[ -n $child ]] && kill -TERM "$child" 2>/dev/null
  exit $((128 + $1))
}

trap cleanup EXIT
trap 'on_signal 2' INT
trap 'on_signal 15' TERM
# In the background, so that a signal to this script is handled at once
# (bash runs traps only between foreground commands).
"$@" &
child=$!
wait "$child"
status=$?
child=""
exit "$status"
