#!/usr/bin/env bash
# Stops the daemons of a cluster started by start-cluster.sh, by the pids in its state dir:
#   scripts/slurm/stop-cluster.sh DIR [--rm]     (--rm: also delete DIR)
# Safe to run twice, and on a half-started cluster.
set -uo pipefail
DIR="${1:?usage: stop-cluster.sh DIR [--rm]}"

stop_pid() { # name pidfile
  local pid
  [ -s "$2" ] || return 0
  pid="$(cat "$2")"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "stop-cluster: $1 ($pid) ignored SIGTERM for 5 s: SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

stop_pid slurmd "$DIR/slurmd.pid"
stop_pid slurmctld "$DIR/slurmctld.pid"
stop_pid munged "$DIR/munge/munged.pid"
if [ "${2:-}" = "--rm" ]; then rm -rf "$DIR"; fi
echo "stop-cluster: stopped $DIR" >&2
