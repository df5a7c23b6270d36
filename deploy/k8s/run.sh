#!/usr/bin/env bash
# Applies the Indexed Job, waits for it, then the merge Job. The remaining stages (train, report)
# then run as one more Job (or anywhere that mounts the volume): `dlth run <pipeline> --out <dir>`.
#   deploy/k8s/run.sh [NAMESPACE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ns=(--namespace "${1:-default}")
kubectl "${ns[@]}" apply -f "$here/pvc.yaml"
kubectl "${ns[@]}" apply -f "$here/workers-job.yaml"
if ! kubectl "${ns[@]}" wait --for=condition=complete --timeout=7d job/dlth-workers; then
  echo "dlth-workers did not complete; failed indices:" >&2
  kubectl "${ns[@]}" get job dlth-workers -o jsonpath='{.status.failedIndexes}{"\n"}' >&2
  exit 1
fi
kubectl "${ns[@]}" apply -f "$here/merge-job.yaml"
kubectl "${ns[@]}" wait --for=condition=complete --timeout=1d job/dlth-merge
