#!/usr/bin/env python3
"""The `dlth` Python package's reader against bare pyarrow reading the same shards in the same
run, and the cost of each view. 224/16 RGB tickets at k = 100 (75 KiB of patches per row; a
square k so the packed view applies), written from the specification with pyarrow.

  .venv/bin/python bench/python_reader.py [rows=2000] [dir]

Rows/s of the fastest of several single passes, alternating ours and pyarrow (the least
disturbed figure on a shared machine):
- cold: the first read of every shard, sha256 included on both sides (ours checks it once per
  process; the peer is pyarrow + hashlib over the same files);
- warm rows: every row as numpy views (patches, positions, scores, label, id) in stored order, every
  shard opened again each pass (its sha256 was checked once, in the cold pass);
- warm batches: rows stacked into batches of 64 (what a DataLoader's collate does);
- a second pass over the same reader (its shards stay open: no parsing at all);
- the iterable dataset (block shuffle, sparse view, dicts) against the warm pyarrow rows;
- each view's cost per row (sparse, naflex, zero, packed), through TicketDataset in stored order.
The goal is ours ≥ 0.9× pyarrow. Ours does more per shard than the peer: it checks the schema and
the dlth metadata against the manifest and every row's positions and label (values a shard's
sha256 cannot vouch for)."""
from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "python" / "tests"))

from dlth import TicketDataset, TicketIterable, TicketReader  # noqa: E402
from dlth import shard as shard_module  # noqa: E402
from support.writer import make_meta, write_dataset  # noqa: E402
from machine import cpu  # noqa: E402  (bench/, the script's own directory)

K, P, C, IMAGE = 100, 16, 3, 224
BATCH = 64



def make(dir_: Path, rows: int) -> Path:
    if (dir_ / "manifest.json").exists():
        return dir_
    rng = np.random.default_rng(0)
    meta = make_meta(IMAGE, P, C, K, policy="random")
    meta["numClasses"] = 1000
    positions = np.sort(np.stack([rng.choice(196, K, replace=False) for _ in range(rows)]), axis=1).astype(np.uint16)
    patches = rng.integers(0, 256, (rows, K, P * P * C), dtype=np.uint8)
    rows_per_batch = (8 << 20) // (K * (P * P * C + 6) + 40)  # about 8 MiB of payload, as dlth writes
    write_dataset(dir_, meta, [f"r{i:07d}" for i in range(rows)], [i % 1000 for i in range(rows)], patches, positions,
                  shard_rows=(64 << 20) // (K * P * P * C), batch_rows=rows_per_batch)
    return dir_


def shard_paths(d: Path) -> list:
    import json
    return [d / s["file"] for s in json.loads((d / "manifest.json").read_text())["shards"]]


def pyarrow_batches(paths, hash_=False):
    for path in paths:
        if hash_:
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(8 << 20):
                    h.update(chunk)
            h.hexdigest()
        for rb in pa.ipc.open_stream(pa.memory_map(str(path), "r")):
            n = rb.num_rows
            yield (rb.column(2).flatten().flatten().to_numpy().reshape(n, K, P, P, C), rb.column(3).flatten().to_numpy().reshape(n, K),
                   rb.column(4).flatten().to_numpy().reshape(n, K), rb.column(1).fill_null(-1).to_numpy(), rb.column(0).to_pylist())


def pyarrow_rows(paths, hash_=False) -> int:
    n = 0
    for patches, positions, scores, labels, ids in pyarrow_batches(paths, hash_):
        for i in range(len(ids)):
            row = (patches[i], positions[i], scores[i], labels[i], ids[i])
            n += 1
    return n


def pyarrow_stacked(paths) -> int:
    n, buf = 0, []
    for patches, positions, scores, labels, ids in pyarrow_batches(paths):
        for i in range(len(ids)):
            buf.append(patches[i])
            if len(buf) == BATCH:
                np.stack(buf)
                n += len(buf)
                buf = []
    return n + len(buf)


def ours_rows(reader: TicketReader) -> int:
    n = 0
    for cols in reader.batches():
        patches, positions, scores, labels, ids = cols.patches, cols.positions, cols.scores, cols.labels, cols.ids
        for i in range(len(ids)):
            row = (patches[i], positions[i], scores[i], labels[i], ids[i])
            n += 1
    return n


def ours_stacked(reader: TicketReader) -> int:
    n, buf = 0, []
    for cols in reader.batches():
        for i in range(len(cols.ids)):
            buf.append(cols.patches[i])
            if len(buf) == BATCH:
                np.stack(buf)
                n += len(buf)
                buf = []
    return n + len(buf)


def timed(fn, at_least: float = 0.3) -> float:
    """Rows/s of ``fn`` (which returns its row count), repeated for at least ``at_least`` seconds."""
    t = time.perf_counter()
    n = 0
    while True:
        n += fn()
        elapsed = time.perf_counter() - t
        if elapsed >= at_least:
            return n / elapsed


def best(passes: int, ours, peer) -> tuple:
    """Rows/s of the fastest of ``passes`` single passes of each, alternating ours and the peer (the
    minimum is the figure least disturbed by other load on a shared machine)."""
    a, b = [], []
    for _ in range(passes):
        for fn, out in ((ours, a), (peer, b)):
            t = time.perf_counter()
            n = fn()
            out.append(n / (time.perf_counter() - t))
    return max(a), max(b)


def line(name: str, ours: float, peer: float) -> None:
    print(f"{name:<34} dlth {ours:>10,.0f} rows/s   pyarrow {peer:>10,.0f} rows/s   ratio {ours / peer:.2f}×", flush=True)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    d = make(Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.gettempdir()) / f"dlth-bench-py-{rows}", rows)
    paths = shard_paths(d)
    size = sum(p.stat().st_size for p in paths)
    print(f"python_reader: {rows} rows, 224/16 RGB, k = {K} ({K * P * P * C / 1024:.0f} KiB/row), {len(paths)} shards, "
          f"{size / 2**20:.0f} MiB, page cache warm; CPU: {cpu()}; Python {platform.python_version()}, pyarrow {pa.__version__}, numpy {np.__version__}")

    def ours_cold() -> int:
        shard_module._VERIFIED.clear()
        return ours_rows(TicketReader(str(d)))

    line("cold (sha256 + rows)", *best(7, ours_cold, lambda: pyarrow_rows(paths, hash_=True)))
    # Warm: shards already verified in this process; every pass opens (maps, parses, checks the
    # schema and values of) every shard again, as pyarrow does. The manifest is validated once per
    # reader (timed on its own below).
    reader = TicketReader(str(d))

    def fresh(fn):
        reader.close()
        return fn(reader)

    line("warm rows (numpy views)", *best(30, lambda: fresh(ours_rows), lambda: pyarrow_rows(paths)))
    line(f"warm batches of {BATCH} (np.stack)", *best(15, lambda: fresh(ours_stacked), lambda: pyarrow_stacked(paths)))
    opens = timed(lambda: TicketReader(str(d)) and 1)
    print(f"{'opening a dataset (manifest checks)':<34} {1e3 / opens:.2f} ms", flush=True)
    ours_rows(reader)
    line("second pass, same reader (shards open)", *best(30, lambda: ours_rows(reader), lambda: pyarrow_rows(paths)))
    it = TicketIterable(str(d), "sparse", seed=0)
    list(it)
    line("TicketIterable sparse (shuffled)", *best(10, lambda: sum(1 for _ in it), lambda: pyarrow_rows(paths)))

    print("views through TicketDataset, stored order (cost per row; ratio = rows/s against the sparse view):")
    rates = {}
    for view in ("sparse", "naflex", "zero", "packed"):
        ds = TicketDataset(str(d), view)
        n = min(len(ds), 1000)
        ds[0]
        rates[view] = max(timed(lambda: sum(1 for i in range(n) if ds[i] is not None), 0.0) for _ in range(7))
        print(f"  {view:<8} {rates[view]:>9,.0f} rows/s  {1e6 / rates[view]:>7.1f} µs/row  ratio {rates[view] / rates['sparse']:.2f}×", flush=True)


if __name__ == "__main__":
    main()
