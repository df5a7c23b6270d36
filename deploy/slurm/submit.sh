#!/usr/bin/env bash
# Submits a pipeline as Slurm jobs: per phase, a job array of N workers, the merge job
# (--dependency=afterok:<array>), then the remaining stages (--dependency=afterok:<merge>).
#
#   deploy/slurm/submit.sh -p PIPELINE -o OUT -n N [-i INDICES] [-- EXTRA_SBATCH_ARGS…]
#
# -i 1,3 submits only those array indices (a retry: the other workers' parts are complete). Simpler
# still: rerun the same submit.sh; finished workers find their stages up to date and exit at once.
# OUT must be on a file system every node sees (NFS, Lustre, GPFS, …). DLTH (default `dlth`) is
# the command the jobs run, e.g. DLTH="node /opt/dlth/bin/dlth.js". Prints the job ids, one
# `kind phase id` line each, and the last job's id as the final line (wait on it with
# `sbatch --wait --dependency=afterok:<id> --wrap true` or poll squeue).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { echo "usage: $0 -p PIPELINE -o OUT -n N [-i INDICES] [-- extra sbatch args]" >&2; exit 2; }
pipeline='' out='' n='' indices=''
while [ $# -gt 0 ]; do
  case "$1" in
    -p) pipeline="$2"; shift 2 ;;
    -o) out="$2"; shift 2 ;;
    -n) n="$2"; shift 2 ;;
    -i) indices="$2"; shift 2 ;;
    --) shift; break ;;
    *) usage ;;
  esac
done
[ -n "$pipeline" ] && [ -n "$out" ] && [[ "$n" =~ ^[1-9][0-9]*$ ]] || usage
[ -z "$indices" ] || [[ "$indices" =~ ^[0-9]+(,[0-9]+)*$ ]] || usage
pipeline="$(realpath "$pipeline")"
mkdir -p "$out" "$out/logs"
out="$(realpath "$out")"
export DLTH="${DLTH:-dlth}" DLTH_PIPELINE="$pipeline" DLTH_OUT="$out" DLTH_WORKERS="$n"

after=''   # afterok dependency of the next job
sb() { # name script [sbatch args…] → job id
  local name="$1" script="$2"; shift 2
  sbatch --parsable --export=ALL --kill-on-invalid-dep=yes ${after:+--dependency=afterok:$after} \
    --job-name="dlth-$name" "$@" "${EXTRA[@]}" "$here/$script" | cut -d';' -f1
}
EXTRA=("$@")
phase=0
while IFS='|' read -r offline serial; do
  phase=$((phase + 1))
  if [ -n "$offline" ]; then
    id="$(DLTH_ONLY="$offline" sb "workers-$phase" worker.sbatch --array="${indices:-0-$((n - 1))}" -o "$out/logs/worker-$phase-%a.log")"
    echo "workers $phase $id"; after="$id"
    id="$(sb "merge-$phase" merge.sbatch -o "$out/logs/merge-$phase.log")"
    echo "merge $phase $id"; after="$id"
  fi
  if [ -n "$serial" ]; then
    id="$(DLTH_ONLY="$serial" sb "serial-$phase" serial.sbatch -o "$out/logs/serial-$phase.log")"
    echo "serial $phase $id"; after="$id"
  fi
done < <(node "$here/phases.mjs" "$pipeline")
echo "$after"
