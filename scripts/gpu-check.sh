#!/usr/bin/env bash
# One prepared GPU check (issue 18), for a lent machine with one NVIDIA GPU and no registry:
#   bash scripts/gpu-check/pack.sh                    # here, once: .cache/gpucheck (~40 MiB)
#   bash scripts/gpu-check.sh OUTDIR                  # there, carrying .cache/gpucheck
#   bash scripts/gpu-check.sh OUTDIR --cpu-dry-run    # here: every step on CPU, tiny sizes
# Steps, each under `timeout` (the limits add up to 460 s):
#   survey    nvidia-smi (name, compute capability, memory, driver), node, Vulkan loader, torch
#   runtime   node (the installed one if >= 20, else the carried binary), the bundles and the
#             native packages unpacked; Vulkan: the system loader, else the carried libvulkan1,
#             and NVIDIA's ICD file when the driver ships one
#   doctor    `dlth doctor --json` for webgpu and auto; the GPU backend is the first that runs on a
#             GPU (dry run: the software adapter)
#   parity    EViT scores and tickets of deit-tiny and deit-small (random weights) on the GPU
#             backend against TF.js's cpu backend, on 2 fixture JPEGs and 1 made on the spot
#   forward   EViT scoring of a ready tensor: deit-small and deit-base at batch 64 and 256,
#             warm-up timed apart
#   score     `dlth score` end to end on JPEGs made on the spot, same models and batches; a run
#             of one batch first gives the warm-up, which is subtracted; UV_THREADPOOL_SIZE=nproc
#   torch     PyTorch's forward of the same EViT scorer on the same GPU (scripts/gpu-check/torch_evit.py)
#   summary   OUTDIR/summary.json: every step's result, GPU utilisation per step (nvidia-smi
#             sampled every 250 ms in the background), and the issue's goals
# Only three files land in OUTDIR (summary.json, gpu-check.log, util.csv): the device tool brings
# back at most 8. Exit status 0 when every step ran, 1 otherwise (summary.json says which).
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUTDIR="${1:?usage: gpu-check.sh OUTDIR [--cpu-dry-run]}"
DRY=0
[[ "${2:-}" == --cpu-dry-run ]] && DRY=1
PACK="${DLTH_GPU_CHECK_PACK:-$REPO/.cache/gpucheck}"
mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dlth-gpu-check.XXXXXX")"
PARTS="$WORK/parts"
mkdir -p "$PARTS"
LOG="$OUTDIR/gpu-check.log"
: >"$LOG"
START=$SECONDS
cd "$REPO" || exit 1

LIMIT_SCALE=1
if [[ $DRY == 1 ]]; then
  LIMIT_SCALE=3 # lavapipe on a shared CPU: the device's 8-minute budget does not apply
  MODELS_PARITY=deit-tiny MODELS=deit-tiny BATCHES=2,4 SECONDS_EACH=1 N_JPEGS=8 TORCH_DEVICE=cpu
  PY="${DLTH_PYTHON:-$([[ -x .venv/bin/python ]] && echo .venv/bin/python || echo python3)}"
else
  MODELS_PARITY=deit-tiny,deit-small MODELS=deit-small,deit-base BATCHES=64,256 SECONDS_EACH=5 N_JPEGS=4096 TORCH_DEVICE=cuda
  PY="${DLTH_PYTHON:-python3}"
fi

log() { printf '[gpu-check %3ds] %s\n' "$((SECONDS - START))" "$*" | tee -a "$LOG" >&2; }
# step NAME LIMIT_S FUNCTION: runs it in a child bash under timeout (state that later steps need
# goes to $WORK/env.sh, which every step sources), output to the log, one line to steps.jsonl.
step() {
  local name=$1 limit=$(($2 * LIMIT_SCALE)) fn=$3 t0=$SECONDS rc
  log "step $name (limit ${limit}s)"
  echo "$name $(date +%s.%N)" >>"$PARTS/marks"
  timeout -k 5 "$limit" bash -c "source '$WORK/env.sh'; $fn" >>"$LOG" 2>&1
  rc=$?
  echo "$name $(date +%s.%N)" >>"$PARTS/marks"
  printf '{"step":"%s","rc":%d,"seconds":%d,"timedOut":%s}\n' "$name" "$rc" "$((SECONDS - t0))" \
    "$([[ $rc == 124 || $rc == 137 ]] && echo true || echo false)" >>"$PARTS/steps.jsonl"
  log "step $name: exit $rc after $((SECONDS - t0))s"
  return $rc
}

survey() {
  {
    echo "== nvidia-smi"
    nvidia-smi --query-gpu=index,name,compute_cap,memory.total,driver_version --format=csv,noheader 2>&1 || echo "nvidia-smi: unavailable"
    nvidia-smi 2>/dev/null | grep -m1 'CUDA Version' || true
    echo "== node: $(command -v node || echo none) $(node -v 2>/dev/null || true)"
    echo "== vulkan loader: $(ldconfig -p 2>/dev/null | grep -m1 'libvulkan.so.1 ' || echo none)"
    echo "== vulkan ICDs: $(ls /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | tr '\n' ' ')"
    echo "== python: $("$PY" -c 'import sys, torch; print(sys.version.split()[0], "torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1 | tail -n1)"
    echo "== cpu: $(nproc) cores; $(uname -srm)"
  } >"$PARTS/survey.txt" 2>&1
  cat "$PARTS/survey.txt"
}

# xz -dc, or Python's lzma where xz is not installed.
unxz_to_stdout() { xz -dc "$1" 2>/dev/null || "$PY" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; }

runtime() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [[ ${DLTH_GPU_CHECK_NODE:-} == carried ]] && major=0 # test the carried binary
  local NODE
  if [[ $major -ge 20 ]]; then NODE=$(command -v node); else
    unxz_to_stdout "$PACK/node.xz" >"$WORK/node" && chmod +x "$WORK/node" && NODE="$WORK/node" || return 1
  fi
  mkdir -p "$WORK/rt" && unxz_to_stdout "$PACK/node_modules.tar.xz" | tar -C "$WORK/rt" -xf - || return 1
  cp "$PACK/dlth.mjs" "$PACK/measure.mjs" "$WORK/rt/" || return 1
  echo "node: $NODE $("$NODE" -v)"
  if [[ $DRY == 1 ]]; then
    export VK_ICD_FILENAMES="${VK_ICD_FILENAMES:-$REPO/.cache/vulkan/lvp_icd.json}"
  else
    if ! ldconfig -p | grep 'libvulkan.so.1 ' >/dev/null; then # no -q: pipefail + SIGPIPE
      for deb in "$PACK"/*.deb; do dpkg -x "$deb" "$WORK/vk"; done
      export LD_LIBRARY_PATH="$WORK/vk/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      echo "Vulkan loader: carried ($(ls "$WORK/vk/usr/lib/x86_64-linux-gnu" | tr '\n' ' '))"
    fi
    for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
      if [[ -f $icd ]]; then export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd; echo "ICD: $icd"; cat "$icd"; break; fi
    done
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
      [[ -d $d ]] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
    done
  fi
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$WORK}"
  local v
  for v in NODE LD_LIBRARY_PATH VK_ICD_FILENAMES VK_DRIVER_FILES XDG_RUNTIME_DIR; do
    [[ -n ${!v:-} ]] && printf 'export %s=%q\n' "$v" "${!v}" >>"$WORK/env.sh"
  done
  return 0
}

dlth() { "$NODE" "$WORK/rt/dlth.mjs" "$@"; }
measure() { "$NODE" "$WORK/rt/measure.mjs" "$@"; }

doctor() {
  dlth doctor --json --backend webgpu >"$PARTS/doctor-webgpu.json"
  dlth doctor --json >"$PARTS/doctor-auto.json"
  GPU_BACKEND=$("$PY" - "$PARTS" "$DRY" <<'EOF'
import json, sys
parts, dry = sys.argv[1], sys.argv[2] == "1"
def load(name):
    try:
        return json.load(open(f"{parts}/{name}"))
    except Exception:
        return {}
auto, web = load("doctor-auto.json"), load("doctor-webgpu.json")
if auto.get("gpu") and auto.get("backend") == "tensorflow":
    print("tensorflow")
elif web.get("backend") == "webgpu" and (web.get("gpu") or dry):
    print("webgpu")
else:
    print("none")
EOF
  )
  echo "GPU backend: $GPU_BACKEND"
  echo "export GPU_BACKEND=$GPU_BACKEND" >>"$WORK/env.sh"
  [[ $GPU_BACKEND != none ]]
}

parity() {
  measure jpegs --n 1 --dir "$WORK/spot" &&
    measure parity --backend "$GPU_BACKEND" --ref cpu --models "$MODELS_PARITY" --out "$PARTS/parity.json" \
      --images test/fixtures/images/chelsea-150x100.jpg,test/fixtures/images/coffee-192x128.jpg,"$WORK/spot/a/img-000000.jpg"
}

forward() {
  measure forward --backend "$GPU_BACKEND" --models "$MODELS" --batches "$BATCHES" --seconds "$SECONDS_EACH" --out "$PARTS/forward.json"
}

# One `dlth score` run: prints "<seconds>" on success.
score_once() { # score_once MODEL BATCH ROOT OUT
  local t0 t1
  t0=$(date +%s.%N)
  # sharp decodes on libuv's pool, 4 threads unless told: one per core, or decoding caps the rate.
  UV_THREADPOOL_SIZE="${UV_THREADPOOL_SIZE:-$(nproc)}" dlth score --source imagefolder --root "$3" --model "$1-patch16-224" --mode evit --rate 0.7 \
    --batch-size "$2" --backend "$GPU_BACKEND" --concurrency "$(($(nproc) * 2))" -o "$4" -q >&2 || return 1
  t1=$(date +%s.%N)
  awk "BEGIN { print $t1 - $t0 }"
}

score() {
  local rows=() b m warm full
  measure jpegs --n "$N_JPEGS" --dir "$WORK/jpegs" || return 1
  for m in ${MODELS//,/ }; do
    for b in ${BATCHES//,/ }; do
      rm -rf "$WORK/warm" && mkdir -p "$WORK/warm/a"
      ls "$WORK/jpegs/a" | head -n "$b" | while read -r f; do ln "$WORK/jpegs/a/$f" "$WORK/warm/a/$f"; done
      local nwarm
      nwarm=$(ls "$WORK/warm/a" | wc -l)
      warm=$(score_once "$m" "$b" "$WORK/warm" "$WORK/out-warm-$m-$b") || return 1
      full=$(score_once "$m" "$b" "$WORK/jpegs" "$WORK/out-$m-$b") || return 1
      rows+=("{\"model\":\"$m-patch16-224\",\"batch\":$b,\"images\":$N_JPEGS,\"warmupRunSeconds\":$warm,\"warmupRunImages\":$nwarm,\"fullRunSeconds\":$full}")
      echo "score $m batch $b: warm-up run ${warm}s ($nwarm images), full run ${full}s ($N_JPEGS images)"
      (IFS=,; echo "{\"backend\":\"$GPU_BACKEND\",\"rows\":[${rows[*]}]}") >"$PARTS/score.json" # kept if a later run times out
    done
  done
}

torch_forward() {
  "$PY" scripts/gpu-check/torch_evit.py --models "$MODELS" --batches "$BATCHES" --seconds "$SECONDS_EACH" \
    --device "$TORCH_DEVICE" --out "$PARTS/torch.json"
}

start_sampler() {
  if command -v nvidia-smi >/dev/null && [[ $DRY == 0 ]]; then
    nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader,nounits -lms 250 \
      >"$OUTDIR/util.csv" 2>/dev/null &
    SAMPLER=$!
  else
    echo "# no nvidia-smi (or dry run): no utilisation samples" >"$OUTDIR/util.csv"
  fi
}

export REPO OUTDIR DRY PACK WORK PARTS LOG MODELS_PARITY MODELS BATCHES SECONDS_EACH N_JPEGS TORCH_DEVICE PY
export -f unxz_to_stdout survey runtime dlth measure doctor parity forward score_once score torch_forward
echo "export GPU_BACKEND=none" >"$WORK/env.sh"
SAMPLER=""
log "gpu-check: out $OUTDIR, pack $PACK, dry run $DRY"
step survey 15 survey
step runtime 30 runtime
start_sampler
if grep -q '^export NODE=' "$WORK/env.sh" && step doctor 30 doctor; then
  step parity 90 parity
  step forward 100 forward
  step score 120 score
else
  log "no GPU backend runs here (see doctor-*.json in summary.json): parity, forward and score skipped"
fi
step torch 60 torch_forward
[[ -n $SAMPLER ]] && kill "$SAMPLER" 2>/dev/null
step summary 15 '"$PY" scripts/gpu-check/summary.py "$PARTS" "$OUTDIR/util.csv" "$OUTDIR/summary.json" "$DRY"'
log "done in $((SECONDS - START))s: $OUTDIR/summary.json"
rm -rf "$WORK"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["allStepsRan"] else 1)' "$OUTDIR/summary.json"
