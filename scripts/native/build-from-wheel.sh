#!/usr/bin/env bash
# Build tfjs-node's binding from source against the tensorflow-cpu pip wheel, offline.
#   build-from-wheel.sh PKG_DIR NAPI_VERSION TF_VERSION CACHE_DIR
# Called by scripts/setup-native.sh (read it first). Exits non-zero after printing why it could not.
set -uo pipefail

PKG_DIR=$1 NAPI=$2 TF_VERSION=$3 CACHE=$4
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
START=$SECONDS
say() { printf '[build-from-wheel %3ds] %s\n' "$((SECONDS - START))" "$*"; }
fail() { say "cannot build: $*"; exit 1; }

[[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] || fail "only linux x86_64 is supported (this is $(uname -s)-$(uname -m))"
for tool in python3 make g++; do
  command -v "$tool" >/dev/null || fail "$tool not found (Debian: apt-get install -y python3 make g++)"
done
[[ -n "$NAPI" ]] || fail "could not tell which N-API version the tfjs-node loader expects"

# 1. The wheel, cached so reruns reuse it. DLTH_TF_WHEEL=tensorflow selects the GPU wheel (see README).
WHEEL_PKG="${DLTH_TF_WHEEL:-tensorflow-cpu}"
WHEELS="$CACHE/wheels"
mkdir -p "$WHEELS"
find_wheel() { ls "$WHEELS/${WHEEL_PKG//-/_}-$TF_VERSION"-*.whl 2>/dev/null | head -n1; }
WHEEL=$(find_wheel)
if [[ -z "$WHEEL" ]]; then
  say "pip download $WHEEL_PKG==$TF_VERSION into $WHEELS"
  PIP=(python3 -m pip download --no-deps --retries 0 --timeout 5 -d "$WHEELS" "$WHEEL_PKG==$TF_VERSION")
  # The wheel's libraries do not depend on the Python version; pin one if this Python has none.
  "${PIP[@]}" >"$CACHE/pip.log" 2>&1 ||
    "${PIP[@]}" --only-binary=:all: --implementation cp --python-version 3.11 \
      --platform manylinux_2_27_x86_64 >>"$CACHE/pip.log" 2>&1 ||
    fail "pip download failed: $(grep -m1 -iE 'error' "$CACHE/pip.log" | cut -c1-200)"
  WHEEL=$(find_wheel)
  [[ -n "$WHEEL" ]] || fail "pip reported success but no $WHEEL_PKG $TF_VERSION wheel is in $WHEELS"
else
  say "reusing cached wheel $(basename "$WHEEL")"
fi

# 2. Libraries and headers into deps/, skipped when the stamp says they came from this wheel.
DEPS="$PKG_DIR/deps"
STAMP="$DEPS/.dlth-wheel"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(basename "$WHEEL")" && -f "$DEPS/lib/libtensorflow_cc.so.2" ]]; then
  say "deps/ already extracted from $(basename "$WHEEL")"
else
  say "extracting libtensorflow_cc, libtensorflow_framework and C API headers into $DEPS"
  rm -rf "$DEPS"
  python3 "$HERE/extract-wheel.py" "$WHEEL" "$DEPS" || fail "extraction from $WHEEL failed"
  basename "$WHEEL" >"$STAMP"
fi

# 3. node-gyp: npm's bundled copy, offline against Node's installed headers.
NPM_CLI=$(readlink -f "$(command -v npm 2>/dev/null)" 2>/dev/null || true)
GYP="$(dirname "$(dirname "$NPM_CLI")")/node_modules/node-gyp/bin/node-gyp.js"
if [[ ! -f "$GYP" ]]; then
  GYP=$(command -v node-gyp || true)
  [[ -n "$GYP" ]] || fail "node-gyp not found (neither npm's bundled copy nor on PATH)"
fi
NODEDIR=$(npm config get nodedir 2>/dev/null || true)
if [[ -z "$NODEDIR" || "$NODEDIR" == undefined || "$NODEDIR" == null ]]; then
  NODEDIR=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
fi
[[ -f "$NODEDIR/include/node/node_api.h" ]] ||
  fail "Node headers not found under $NODEDIR/include/node (node-gyp would need to download them)"

MODULE_PATH="$PKG_DIR/lib/napi-v$NAPI"
say "node-gyp rebuild (nodedir=$NODEDIR, napi v$NAPI) -> $MODULE_PATH/tfjs_binding.node"
if ! (cd "$PKG_DIR" && node "$GYP" rebuild --nodedir="$NODEDIR" --jobs="$(nproc)" \
  --module_name=tfjs_binding --module_path="$MODULE_PATH" --napi_build_version="$NAPI") \
  >"$CACHE/node-gyp.log" 2>&1; then
  tail -n 15 "$CACHE/node-gyp.log"
  fail "node-gyp rebuild failed (full log: $CACHE/node-gyp.log)"
fi
[[ -f "$MODULE_PATH/tfjs_binding.node" ]] || fail "node-gyp succeeded but $MODULE_PATH/tfjs_binding.node is missing"
say "built $MODULE_PATH/tfjs_binding.node"
