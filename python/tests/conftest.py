"""Shared fixtures: datasets written by the TypeScript writer (make_dataset.ts) and by the
specification writer (support/writer.py), and the real `dlth stream` CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))  # test the checkout's package, not an installed copy
sys.path.insert(0, str(Path(__file__).parent))

import pyarrow as pa  # noqa: E402

NODE = os.environ.get("NODE", "node")
_CLI: List[str] = []


def cli() -> List[str]:
    """`node --import tsx src/cli/main.ts`, or the test-only entry when main.ts cannot run `stream`
    yet (others' work in progress in the checkout), as test/loader/python.test.ts does."""
    if _CLI:
        return _CLI
    main = ROOT / "src/cli/main.ts"
    probe = subprocess.run([NODE, "--import", "tsx", str(main), "stream", "--help"], cwd=ROOT, capture_output=True, timeout=120)
    entry = main
    if probe.returncode != 0:
        entry = ROOT / "test/loader/cli-entry.ts"
        sys.stderr.write(f"conftest: src/cli/main.ts cannot run `stream` ({probe.stderr.decode()[-300:]}); using {entry}\n")
    _CLI.extend([NODE, "--import", "tsx", str(entry)])
    return _CLI


def dlth_stream(locations: List[str], *args: str) -> List[pa.RecordBatch]:
    """The record batches `dlth stream` writes for these datasets and flags."""
    proc = subprocess.run([*cli(), "stream", *locations, "-q", *args], cwd=ROOT, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return list(pa.ipc.open_stream(pa.py_buffer(proc.stdout)))


def make_ts_datasets(specs: List[Dict[str, Any]]) -> None:
    script = Path(__file__).parent / "support" / "make_dataset.ts"
    proc = subprocess.run([NODE, "--import", "tsx", str(script), json.dumps(specs)], cwd=ROOT, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()


@pytest.fixture(scope="session")
def ts_datasets(tmp_path_factory) -> Dict[str, str]:
    """'multi': 120 rows in 8 shards; 'one': 50 rows in one shard (same geometry); both by the TS writer."""
    base = tmp_path_factory.mktemp("ts")
    specs = [
        {"dir": str(base / "multi"), "image": 16, "patch": 4, "channels": 3, "k": 8, "rows": 120, "shardBytes": 8000, "seed": 1, "prefix": "m"},
        {"dir": str(base / "one"), "image": 16, "patch": 4, "channels": 3, "k": 8, "rows": 50, "shardBytes": 1 << 20, "seed": 2, "prefix": "o"},
    ]
    make_ts_datasets(specs)
    return {"multi": specs[0]["dir"], "one": specs[1]["dir"]}
