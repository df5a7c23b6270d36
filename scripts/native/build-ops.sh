#!/usr/bin/env bash
# Build dlth's own TensorFlow kernels (src/native/dlth_ops.cc) beside the libtensorflow that
# tfjs-node's binding loads:  <tfjs-node>/deps/lib/dlth_ops.node
#
#   build-ops.sh PKG_DIR CACHE_DIR
#
# Called by scripts/setup-native.sh once the binding works. Needs g++, Node's headers (node_api.h)
# and Eigen's headers, which come from the tensorflow-cpu wheel in CACHE_DIR/wheels (the wheel the
# binding was built from; extracted into deps/include when missing). Compiled with -march=native:
# the library is for this machine (it refuses to register its kernels on a CPU without the
# instructions it was built with; `dlth doctor` says so). Skips the build when the library is newer
# than its source and this script. Exits non-zero after printing why it could not build; the layers
# then use TensorFlow's own ops.
set -uo pipefail

PKG_DIR=$1 CACHE=$2
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SRC="$REPO/src/native/dlth_ops.cc"
DEPS="$PKG_DIR/deps"
OUT="$DEPS/lib/dlth_ops.node"
START=$SECONDS
say() { printf '[build-ops %3ds] %s\n' "$((SECONDS - START))" "$*"; }
fail() { say "cannot build dlth's kernels: $*"; exit 1; }

[[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] || fail "only linux x86_64 is supported"
command -v g++ >/dev/null || fail "g++ not found (Debian: apt-get install -y g++)"
[[ -f "$DEPS/lib/libtensorflow_framework.so.2" ]] || fail "no $DEPS/lib/libtensorflow_framework.so.2 (build the binding first)"
[[ -f "$DEPS/include/tensorflow/c/ops.h" ]] || fail "no TensorFlow C API headers in $DEPS/include"

if [[ -f "$OUT" && "$OUT" -nt "$SRC" && "$OUT" -nt "${BASH_SOURCE[0]}" ]]; then
  say "up to date: $OUT"
  exit 0
fi

NODE_INC=""
for dir in "$(npm config get nodedir 2>/dev/null)/include/node" /usr/include/node /usr/local/include/node \
  "$(dirname "$(dirname "$(command -v node)")")/include/node"; do
  if [[ -f "$dir/node_api.h" ]]; then NODE_INC=$dir; break; fi
done
[[ -n "$NODE_INC" ]] || fail "Node's headers (node_api.h) not found (Debian: apt-get install -y libnode-dev)"

if [[ ! -f "$DEPS/include/Eigen/Core" ]]; then
  WHEEL=$(ls "$CACHE"/wheels/tensorflow*-*.whl 2>/dev/null | head -n1)
  [[ -n "$WHEEL" ]] || fail "Eigen's headers are taken from the tensorflow-cpu wheel, and none is in $CACHE/wheels"
  say "extracting Eigen's headers from $(basename "$WHEEL")"
  python3 "$HERE/extract-wheel.py" --eigen "$WHEEL" "$DEPS" || fail "extracting Eigen from $WHEEL failed"
fi

say "g++ -O3 -march=native $SRC -> $OUT"
if ! g++ -std=c++17 -O3 -march=native -fPIC -shared -fvisibility=hidden -DNAPI_VERSION=8 \
  -I"$DEPS/include" -I"$NODE_INC" "$SRC" -o "$OUT.part.$$" \
  -L"$DEPS/lib" -l:libtensorflow_framework.so.2 -Wl,-rpath,'$ORIGIN' >"$CACHE/build-ops.log" 2>&1; then
  rm -f "$OUT.part.$$"
  tail -n 15 "$CACHE/build-ops.log"
  fail "g++ failed (log: $CACHE/build-ops.log)"
fi
mv -f "$OUT.part.$$" "$OUT"
say "built $OUT"
