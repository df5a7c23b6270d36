#!/usr/bin/env python3
"""pyarrow peer for bench/loader.ts: iterates the same shards (ipc.open_stream over OSFile) and
builds the same batches of B rows (patches, positions, scores, labels, ids) by copying into
preallocated numpy arrays; also a read-only pass (record batches to numpy views, no batching).
Prints JSON: the median time of `repeats` passes of each. Usage: loader_pyarrow.py <dataset dir> <batch> [repeats]"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc


def views(rb, k):
    n = rb.num_rows
    patches = rb.column("patches").flatten().flatten().to_numpy().reshape(n, -1)
    positions = rb.column("positions").flatten().to_numpy().reshape(n, k)
    scores = rb.column("scores").flatten().to_numpy().reshape(n, k)
    labels = rb.column("label").fill_null(-1).to_numpy()
    return patches, positions, scores, labels


def read_only(files, k):
    rows = 0
    for f in files:
        with ipc.open_stream(pa.OSFile(str(f))) as reader:
            for rb in reader:
                views(rb, k)
                rows += rb.num_rows
    return rows


def batched(files, k, row_bytes, b):
    out_p = np.empty((b, row_bytes), np.uint8)
    out_pos = np.empty((b, k), np.uint16)
    out_s = np.empty((b, k), np.float32)
    out_l = np.empty(b, np.int32)
    fill, rows, batches = 0, 0, 0
    for f in files:
        with ipc.open_stream(pa.OSFile(str(f))) as reader:
            for rb in reader:
                patches, positions, scores, labels = views(rb, k)
                ids = rb.column("id").to_pylist()
                i = 0
                while i < rb.num_rows:
                    take = min(b - fill, rb.num_rows - i)
                    out_p[fill:fill + take] = patches[i:i + take]
                    out_pos[fill:fill + take] = positions[i:i + take]
                    out_s[fill:fill + take] = scores[i:i + take]
                    out_l[fill:fill + take] = labels[i:i + take]
                    _ = ids[i:i + take]
                    fill += take
                    i += take
                    if fill == b:
                        batches += 1
                        rows += fill
                        fill = 0
    return rows + fill


def median_of(fn, repeats):
    times, rows = [], 0
    for _ in range(repeats):
        t = time.perf_counter()
        rows = fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2], rows


def measure(root, b, repeats):
    manifest = json.loads((root / "manifest.json").read_text())
    meta = manifest["meta"]
    k = meta["k"]
    row_bytes = k * meta["patchSize"] ** 2 * meta["channels"]
    files = [root / s["file"] for s in manifest["shards"]]
    size = sum(s["bytes"] for s in manifest["shards"])
    t_read, rows = median_of(lambda: read_only(files, k), repeats)
    t_batch, rows_b = median_of(lambda: batched(files, k, row_bytes, b), repeats)
    return json.dumps({"bytes": size, "rows": rows, "read_seconds": t_read, "batch_seconds": t_batch, "batch_rows": rows_b})


def main():
    # usage: loader_pyarrow.py DIR BATCH [REPEATS] [--serve]
    # --serve: one measurement (a JSON line) per line read from stdin, until stdin closes. The
    # benchmark starts this process once, before its loaders fill their buffers: a process forked
    # later write-protects those buffers, and the loader's next epoch then faults on every page.
    args = [a for a in sys.argv[1:] if a != "--serve"]
    root, b = Path(args[0]), int(args[1])
    repeats = int(args[2]) if len(args) > 2 else 3
    if "--serve" not in sys.argv:
        print(measure(root, b, repeats))
        return
    for _ in sys.stdin:
        print(measure(root, b, repeats), flush=True)


if __name__ == "__main__":
    main()
