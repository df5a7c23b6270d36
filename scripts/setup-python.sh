#!/usr/bin/env bash
# Creates .venv with the Python packages the tests, parity fixtures and benchmarks use (pyarrow,
# Hugging Face datasets, polars, numpy, torch CPU, transformers, safetensors, pillow, pytest,
# jsonschema (the dlth package checks manifests against schemas/manifest.schema.json), and
# scikit-image, whose sample photos the preprocessing-parity tests use), and
# installs this repository's Python package (`pip install ./python`, package `dlth`, with its
# optional C extension dlth._order, also copied into python/dlth for the tests).
# Idempotent: skips the third-party packages when the venv already imports them all; the dlth
# package is reinstalled every time (it is small and follows the checkout).
# CPU torch (about 200 MB download, 1 GB installed) is what the Python training tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${DLTH_VENV:-.venv}
PKGS=(pyarrow datasets polars numpy torch transformers safetensors pillow pytest jsonschema scikit-image)
PIP=(--retries 0 --timeout 5 -q)
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import pyarrow, datasets, polars, numpy, torch, transformers, safetensors, PIL, pytest, jsonschema, skimage" 2>/dev/null; then
  echo "setup-python: $VENV already has ${PKGS[*]}"
else
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install "${PIP[@]}" "${PKGS[@]}"
fi
"$VENV/bin/python" -m pip install "${PIP[@]}" --no-deps --force-reinstall ./python
rm -rf python/build python/dlth.egg-info
# The tests and benchmarks import the checkout's python/dlth: put the compiled epoch order
# (dlth._order, python/dlth/_order.c, built by the install where a C compiler is) beside it.
rm -f python/dlth/_order.*.so
if "$VENV/bin/python" -I -c "import dlth._order as m, shutil; shutil.copy2(m.__file__, 'python/dlth/')" 2>/dev/null; then
  echo "setup-python: dlth._order built (the compiled epoch order)"
else
  echo "setup-python: dlth._order not built (no C compiler?): the pure-Python epoch order is used"
fi
"$VENV/bin/python" -c "import pyarrow, datasets, polars, numpy, torch, transformers, safetensors, pytest, jsonschema, dlth; print('setup-python: ok, pyarrow', pyarrow.__version__, 'torch', torch.__version__, 'transformers', transformers.__version__, 'dlth', dlth.__version__)"
