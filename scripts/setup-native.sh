#!/usr/bin/env bash
# Provide the native TensorFlow binding of @tensorflow/tfjs-node, offline when need be.
#
#   bash scripts/setup-native.sh [--require]
#
# `npm install` never builds it ("allowScripts" disables tfjs-node's download script, so a machine
# without internet still installs). This script, in order, stopping at the first that works:
#   1. checks whether the binding already loads and computes (then exits at once: idempotent);
#   2. runs the package's own install script (downloads libtensorflow and a prebuilt addon; without
#      internet it fails fast, and it is given DLTH_NATIVE_DOWNLOAD_TIMEOUT seconds, default 60);
#   3. builds from source: `pip download tensorflow-cpu==$DLTH_TF_VERSION` (cached in
#      $DLTH_NATIVE_CACHE, default .cache/native/), extracts libtensorflow_cc / _framework and the C
#      API headers into node_modules/@tensorflow/tfjs-node/deps/{lib,include}, and runs npm's
#      bundled node-gyp there, offline against Node's own headers (npm's `nodedir`, else /usr).
#      The .node lands where the package's loader (node-pre-gyp find) looks: lib/napi-vN/.
# It prints what it did. When nothing works it says why and exits 0: the wasm backend still works,
# and `dlth doctor` reports the reason. With --require (or DLTH_NATIVE_REQUIRED=1) it exits 1 then.
# Set DLTH_NATIVE_NO_DOWNLOAD=1 to skip step 2.
# Once the binding works, scripts/native/build-ops.sh builds dlth's own kernels (src/native/dlth_ops.cc)
# beside it (DLTH_SKIP_OPS=1 skips that).
#
# GPU: when nvidia-smi lists a GPU, or DLTH_GPU=1 (DLTH_GPU=0: never), it first runs
# scripts/native/setup-gpu.sh: @tensorflow/tfjs-node-gpu built the same way against the `tensorflow`
# wheel (CUDA 12.5, cuDNN 9), with NVIDIA's nvidia-*-cu12 wheels in .cache/native-gpu, found at run
# time without LD_LIBRARY_PATH. See scripts/native/README.md. src/backend selects it only when a
# CUDA GPU is present and it loads.
set -uo pipefail

START=$SECONDS
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERE="$REPO/scripts/native"
PKG=@tensorflow/tfjs-node
TF_VERSION="${DLTH_TF_VERSION:-2.21.0}"
CACHE="${DLTH_NATIVE_CACHE:-$REPO/.cache/native}"
DL_TIMEOUT="${DLTH_NATIVE_DOWNLOAD_TIMEOUT:-60}"
REQUIRE="${DLTH_NATIVE_REQUIRED:-0}"
[[ "${1:-}" == "--require" ]] && REQUIRE=1

say() { printf '[setup-native %3ds] %s\n' "$((SECONDS - START))" "$*"; }

finish() { # finish <status: ok|unavailable> <message>
  say "$2"
  # dlth's own kernels, beside the working binding's libtensorflow (the layers use TensorFlow's own
  # ops when they cannot be built; `dlth doctor` says which).
  if [[ "$1" == ok && "${DLTH_SKIP_OPS:-0}" != 1 ]]; then
    bash "$HERE/build-ops.sh" "$PKG_DIR" "$CACHE" || say "dlth's kernels not built; TensorFlow's own ops will be used"
  fi
  say "done in $((SECONDS - START))s"
  if [[ "$1" != ok ]]; then
    say "the wasm backend remains the fallback (see: dlth doctor)"
    [[ "$REQUIRE" == 1 ]] && exit 1
  fi
  exit 0
}

probe() { (cd "$REPO" && node "$HERE/probe.cjs" "$PKG" 2>/dev/null); }

cd "$REPO" || exit 1

gpu_wanted() {
  case "${DLTH_GPU:-}" in 1) return 0 ;; 0) return 1 ;; esac
  command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep '^GPU ' >/dev/null
}
if gpu_wanted; then
  say "GPU wanted (DLTH_GPU=${DLTH_GPU:-unset}, nvidia-smi: $(command -v nvidia-smi || echo absent)): the CUDA route first"
  DLTH_NATIVE_REQUIRED="$REQUIRE" bash "$HERE/setup-gpu.sh" || exit 1
fi

if ! node -e "require.resolve('$PKG/package.json')" 2>/dev/null; then
  finish unavailable "$PKG is not installed (an optionalDependency; run npm install)"
fi
read -r BINDING NAPI PKG_DIR < <(node "$HERE/binding-path.cjs" "$PKG")
say "$PKG at $PKG_DIR; its loader expects $BINDING"

# 1. Already there?
if out=$(probe); then finish ok "nothing to do: $out"; fi
say "binding check: $out"

# 2. The package's own download (needs internet).
if [[ "${DLTH_NATIVE_NO_DOWNLOAD:-0}" != 1 ]]; then
  say "trying the package's install script (download, ${DL_TIMEOUT}s limit)"
  mkdir -p "$CACHE"
  BAK=$(mktemp)
  cp "$PKG_DIR/package.json" "$BAK"
  (cd "$PKG_DIR" && PATH="$REPO/node_modules/.bin:$PATH" timeout "$DL_TIMEOUT" node scripts/install.js) \
    >"$CACHE/install.log" 2>&1
  rc=$?
  # install.js rewrites package.json's "binary" while it builds; never leave that behind.
  cmp -s "$BAK" "$PKG_DIR/package.json" || cp "$BAK" "$PKG_DIR/package.json"
  rm -f "$BAK"
  if out=$(probe); then finish ok "installed by the package's script: $out"; fi
  say "package install script failed (exit $rc): $(grep -m1 -E '^[A-Za-z]*Error[: ]' "$CACHE/install.log" | cut -c1-200)"
fi

# 3. Build from source against the tensorflow-cpu wheel.
bash "$HERE/build-from-wheel.sh" "$PKG_DIR" "$NAPI" "$TF_VERSION" "$CACHE" || true
if out=$(probe); then finish ok "built from source: $out"; fi
finish unavailable "native binding unavailable: $out"
