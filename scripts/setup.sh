#!/usr/bin/env bash
# One-time set-up after `npm ci` (idempotent; every step skips what is already there):
#  1. the native TensorFlow binding for @tensorflow/tfjs-node (built offline when it cannot be
#     downloaded; the wasm backend stays the fallback when neither works);
#  2. Debian's dataset-fashion-mnist (the full dataset, for the experiment and real-data tests)
#     when running as root on Debian, else a hint;
#  3. the Python venv (.venv) the interop tests and the reference benchmarks use;
#  4. the compiled CLI (`npm run build` → dist/): bin/dlth.js starts from it in a fraction of a
#     second instead of compiling the TypeScript at every start (it falls back to the source, via
#     tsx, whenever src/ is newer than dist/).
# Set DLTH_SKIP_PYTHON=1 / DLTH_SKIP_NATIVE=1 / DLTH_SKIP_BUILD=1 to skip a step.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

if [ "${DLTH_SKIP_NATIVE:-0}" != 1 ]; then
  bash scripts/setup-native.sh || { echo "setup: native TensorFlow unavailable; the wasm backend will be used"; }
fi
bash scripts/setup-webgpu.sh # software Vulkan for the webgpu backend's tests; never fails the set-up

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian's dataset-fashion-mnist"
    (apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dataset-fashion-mnist >/dev/null; }) \
      || { echo "setup: could not install dataset-fashion-mnist"; status=1; }
  else
    echo "setup: the full Fashion-MNIST is missing: run 'sudo apt-get install dataset-fashion-mnist' (Debian/Ubuntu)"
  fi
else
  echo "setup: Fashion-MNIST present in /usr/share/datasets/fashion-mnist"
fi

if [ "${DLTH_SKIP_PYTHON:-0}" != 1 ]; then
  bash scripts/setup-python.sh || { echo "setup: the Python venv could not be created (interop tests need it)"; status=1; }
fi
if [ "${DLTH_SKIP_BUILD:-0}" != 1 ]; then
  echo "setup: compiling the CLI (npm run build → dist/)"
  npm run -s build >/dev/null || { echo "setup: npm run build failed; bin/dlth.js will run the TypeScript source (slower start)"; status=1; }
fi
exit $status
