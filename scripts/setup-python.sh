#!/usr/bin/env bash
# Creates .venv with the Python packages the interop tests, parity fixtures and benchmarks use
# (pyarrow, Hugging Face datasets, polars, numpy, torch CPU, transformers, safetensors, pillow).
# Idempotent: skips when the venv already imports them all.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${DLTH_VENV:-.venv}
PKGS=(pyarrow datasets polars numpy torch transformers safetensors pillow)
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import pyarrow, datasets, polars, numpy, torch, transformers, safetensors, PIL" 2>/dev/null; then
  echo "setup-python: $VENV already has ${PKGS[*]}"
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --retries 0 --timeout 5 -q "${PKGS[@]}"
"$VENV/bin/python" -c "import pyarrow, datasets, polars, numpy, torch, transformers, safetensors; print('setup-python: ok, pyarrow', pyarrow.__version__, 'torch', torch.__version__, 'transformers', transformers.__version__)"
