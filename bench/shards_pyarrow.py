#!/usr/bin/env python3
"""pyarrow peer for bench/shards.ts: reads the same shards (ipc.open_stream over OSFile, batch by
batch) and prints JSON {seconds, rows, bytes}. Usage: shards_pyarrow.py <dataset dir> [repeats]"""
import json
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc


def read_once(files):
    rows = 0
    for f in files:
        with ipc.open_stream(pa.OSFile(str(f))) as reader:
            for batch in reader:
                rows += batch.num_rows
    return rows


def main():
    root = Path(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    manifest = json.loads((root / "manifest.json").read_text())
    files = [root / s["file"] for s in manifest["shards"]]
    size = sum(s["bytes"] for s in manifest["shards"])
    best = float("inf")
    rows = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        rows = read_once(files)
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"seconds": best, "rows": rows, "bytes": size, "pyarrow": pa.__version__}))


if __name__ == "__main__":
    main()
