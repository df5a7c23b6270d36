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

# Cancel what is still queued or running (while slurmctld is up), so no job outlives the cluster.
export SLURM_CONF="$DIR/slurm.conf"
if [ -s "$DIR/slurmctld.pid" ] && kill -0 "$(cat "$DIR/slurmctld.pid")" 2>/dev/null; then
  jobs="$(timeout 5 squeue -h -o %A 2>/dev/null | sort -u || true)"
  if [ -n "$jobs" ]; then
    # shellcheck disable=SC2086
    timeout 5 scancel --full $jobs 2>/dev/null || true
    for _ in $(seq 1 50); do [ -z "$(timeout 5 squeue -h -t PD,R,CG,CF -o %A 2>/dev/null)" ] && break; sleep 0.1; done
  fi
fi

# The job step daemons this cluster's slurmd started (found by their SLURM_CONF), and their children.
stepds() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = slurmstepd ] || continue
    tr '\0' '\n' < "$p/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$SLURM_CONF" && echo "${p#/proc/}"
  done
}

stop_pid slurmd "$DIR/slurmd.pid"
for pid in $(stepds); do
  for child in $(pgrep -P "$pid" 2>/dev/null); do kill -KILL "$child" 2>/dev/null || true; done
  kill -KILL "$pid" 2>/dev/null || true
done
stop_pid slurmctld "$DIR/slurmctld.pid"
stop_pid munged "$DIR/munge/munged.pid"
if [ "${2:-}" = "--rm" ]; then rm -rf "$DIR"; fi
echo "stop-cluster: stopped $DIR" >&2
