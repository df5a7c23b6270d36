#!/usr/bin/env bash
# The CUDA route: build @tensorflow/tfjs-node-gpu's binding offline against the `tensorflow` pip
# wheel (2.21: CUDA 12.5, cuDNN 9) and provide NVIDIA's CUDA libraries from their pip wheels.
#   bash scripts/native/setup-gpu.sh [--require]
# Called by scripts/setup-native.sh when a GPU is wanted (nvidia-smi lists one, or DLTH_GPU=1).
#
#   1. if tfjs-node-gpu already loads and computes, and its CUDA libraries are linked: nothing to do;
#   2. pip download tensorflow==$DLTH_TF_VERSION (no deps) and the nvidia-*-cu12 wheels its
#      `and-cuda` extra lists, into $DLTH_NATIVE_GPU_CACHE/wheels (default .cache/native-gpu, ~3 GB);
#      unpack their lib/*.so* into $DLTH_NATIVE_GPU_CACHE/nvidia/<pkg>/lib;
#   3. build-from-wheel.sh against that wheel, linking the binding with the CUDA libraries as
#      DT_NEEDED (-Wl,--no-as-needed -l:libcudart.so.12 …): they load with the binding, through its
#      rpath $ORIGIN/../../deps/lib, so TensorFlow's own dlopen of each soname finds them loaded;
#   4. symlinks every unpacked CUDA library into deps/lib as well (flat), which also serves
#      libraries loaded later (cuDNN's sub-libraries, cuFFT, …) and libtensorflow's own $ORIGIN rpath.
# No LD_LIBRARY_PATH is needed. The NVIDIA driver (libcuda.so.1) comes from the system.
# DLTH_TF_GPU_WHEEL overrides the wheel (tensorflow-cpu: exercises the build of the GPU package on
# a machine that cannot get the `tensorflow` wheel; no CUDA wheels are fetched for a -cpu wheel).
set -uo pipefail

START=$SECONDS
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$REPO/scripts/native"
PKG=@tensorflow/tfjs-node-gpu
TF_VERSION="${DLTH_TF_VERSION:-2.21.0}"
WHEEL_PKG="${DLTH_TF_GPU_WHEEL:-tensorflow}"
CACHE="${DLTH_NATIVE_GPU_CACHE:-$REPO/.cache/native-gpu}"
REQUIRE="${DLTH_NATIVE_REQUIRED:-0}"
[[ "${1:-}" == "--require" ]] && REQUIRE=1
# The sonames the binding preloads, dependencies first (cuBLAS needs cuBLASLt, cuSPARSE nvJitLink).
PRELOAD=(libnvJitLink.so.12 libcudart.so.12 libcublasLt.so.12 libcublas.so.12 libcufft.so.11
  libcusparse.so.12 libcusolver.so.11 libcudnn.so.9)

say() { printf '[setup-gpu %4ds] %s\n' "$((SECONDS - START))" "$*"; }
finish() { # finish <ok|unavailable> <message>
  say "$2"
  [[ "$1" == ok ]] && exit 0
  say "the GPU route is unavailable; the CPU backends remain (see: dlth doctor)"
  [[ "$REQUIRE" == 1 ]] && exit 1
  exit 0
}
probe() { (cd "$REPO" && node "$HERE/probe.cjs" "$PKG" 2>/dev/null); }
pip_get() { # pip_get <log> <requirement>...: no deps; pins a Python if this one has no wheel
  local log=$1
  shift
  local cmd=(python3 -m pip download --no-deps --retries 0 --timeout 15 -d "$CACHE/wheels" "$@")
  "${cmd[@]}" >>"$log" 2>&1 ||
    "${cmd[@]}" --only-binary=:all: --implementation cp --python-version 3.11 \
      --platform manylinux_2_27_x86_64 >>"$log" 2>&1
}

cd "$REPO" || exit 1
node -e "require.resolve('$PKG/package.json')" 2>/dev/null || finish unavailable "$PKG is not installed (npm install)"
read -r BINDING NAPI PKG_DIR < <(node "$HERE/binding-path.cjs" "$PKG")
STAMP="$PKG_DIR/deps/.dlth-cuda"
BUILT_FROM=$(cat "$PKG_DIR/deps/.dlth-wheel" 2>/dev/null || true)
if [[ "$BUILT_FROM" == "${WHEEL_PKG//-/_}-$TF_VERSION-"* && -f "$STAMP" ]] && out=$(probe); then finish ok "nothing to do: $out; CUDA libraries: $(cat "$STAMP")"; fi
say "$PKG at $PKG_DIR; its loader expects $BINDING"

# 2. The TensorFlow wheel, then its CUDA wheels.
mkdir -p "$CACHE/wheels"
LOG="$CACHE/pip.log"
TF_WHEEL=$(ls "$CACHE/wheels/${WHEEL_PKG//-/_}-$TF_VERSION"-*.whl 2>/dev/null | head -n1)
if [[ -z "$TF_WHEEL" ]]; then
  say "pip download $WHEEL_PKG==$TF_VERSION into $CACHE/wheels (about 600 MB)"
  : >"$LOG"
  pip_get "$LOG" "$WHEEL_PKG==$TF_VERSION" ||
    finish unavailable "pip could not download $WHEEL_PKG==$TF_VERSION: $(grep -m1 -E '^ERROR' "$LOG" | cut -c1-200) (log: $LOG)"
  TF_WHEEL=$(ls "$CACHE/wheels/${WHEEL_PKG//-/_}-$TF_VERSION"-*.whl 2>/dev/null | head -n1)
  [[ -n "$TF_WHEEL" ]] || finish unavailable "pip reported success but no $WHEEL_PKG $TF_VERSION wheel is in $CACHE/wheels"
fi
REQS=()
# tensorflow-cpu's METADATA repeats the and-cuda extra, but its libtensorflow has no CUDA support.
[[ "$WHEEL_PKG" == *-cpu ]] || mapfile -t REQS < <(python3 "$HERE/cuda-wheels.py" requirements "$TF_WHEEL")
LDFLAGS_CUDA=""
if [[ ${#REQS[@]} -eq 0 ]]; then
  say "no CUDA libraries for $(basename "$TF_WHEEL") (a CPU wheel, or no and-cuda extra): building without them"
else
  say "CUDA wheels (the and-cuda extra): ${REQS[*]}"
  : >"$LOG"
  pip_get "$LOG" "${REQS[@]}" ||
    finish unavailable "pip could not download the CUDA wheels: $(grep -m1 -E '^ERROR' "$LOG" | cut -c1-200) (log: $LOG)"
  mapfile -t NV_WHEELS < <(ls "$CACHE"/wheels/nvidia_*.whl)
  rm -rf "$CACHE/nvidia.part"
  python3 "$HERE/cuda-wheels.py" unpack "${NV_WHEELS[@]}" --into "$CACHE/nvidia.part" ||
    finish unavailable "no CUDA library in the nvidia wheels"
  rm -rf "$CACHE/nvidia" && mv "$CACHE/nvidia.part" "$CACHE/nvidia"
  LDFLAGS_CUDA="-Wl,--no-as-needed"
  for d in "$CACHE"/nvidia/*/lib; do LDFLAGS_CUDA+=" -L$d"; done
  for so in "${PRELOAD[@]}"; do
    ls "$CACHE"/nvidia/*/lib/"$so" >/dev/null 2>&1 && LDFLAGS_CUDA+=" -l:$so" || say "warning: $so is in no CUDA wheel"
  done
fi

# 3. The binding, linked with the CUDA libraries; 4. the libraries beside libtensorflow.
DLTH_TF_WHEEL="$WHEEL_PKG" LDFLAGS="${LDFLAGS:-} $LDFLAGS_CUDA" \
  bash "$HERE/build-from-wheel.sh" "$PKG_DIR" "$NAPI" "$TF_VERSION" "$CACHE" ||
  finish unavailable "building the $PKG binding failed"
if [[ -d "$CACHE/nvidia" && ${#REQS[@]} -gt 0 ]]; then
  python3 "$HERE/cuda-wheels.py" link "$CACHE/nvidia" "$PKG_DIR/deps/lib" || finish unavailable "linking the CUDA libraries failed"
  (cd "$CACHE/wheels" && ls nvidia_*.whl | sed 's/-py3.*//' | tr '\n' ' ') >"$STAMP"
else
  echo "none ($(basename "$TF_WHEEL"))" >"$STAMP"
fi
if out=$(probe); then finish ok "built: $out; CUDA libraries: $(cat "$STAMP")"; fi
rm -f "$STAMP"
finish unavailable "the built $PKG binding does not load: $out"
