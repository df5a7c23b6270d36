#!/usr/bin/env python3
"""One rank's epoch order at ImageNet-1k scale (1,281,167 rows in shards of 870, about 64 MiB
each at 224/16, k = 100): the Python reader (``TicketIterable.sequence``: the shuffle, then the
rank's slice) against the TypeScript loader (src/loader/shuffle + partition, bench/epoch_order.ts)
for the same configurations, in one run. Every order's sha256 is compared: the two must be equal.

  .venv/bin/python bench/epoch_order.py [rows=1281167] [--rounds 3] [--epochs 5]

Each round runs the TypeScript process (one untimed warm-up epoch per configuration, then the
timed epochs) and then the Python side (the same), so the two alternate. Per configuration the
table shows the median wall time of an epoch's order over all rounds (the fastest in brackets),
the median CPU time of the process over the same span (less moved by other processes on a busy
machine), and Python / TypeScript of each. ``DLTH_BENCH_PYTHON=<dir>`` imports ``dlth`` from
<dir> instead of this checkout's python/ (e.g. an older commit's, from ``git archive``);
``DLTH_PURE_PYTHON=1`` runs dlth's pure-Python path instead of its compiled loops (dlth._order)."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("DLTH_BENCH_PYTHON") or str(ROOT / "python"))

from dlth.shuffle import SHUFFLES  # noqa: E402
from dlth.partition import partition, rank_sequence  # noqa: E402
from machine import cpu  # noqa: E402  (bench/, the script's own directory)

SHARD_ROWS = 870
CONFIGS = [
    dict(shuffle="block", block=2048, partition="pad", world=1, rank=0),
    dict(shuffle="block", block=2048, partition="pad", world=8, rank=3),
    dict(shuffle="block", block=16384, partition="pad", world=1, rank=0),
    dict(shuffle="shard", block=2048, partition="pad", world=1, rank=0),
    dict(shuffle="block", block=1 << 21, partition="pad", world=1, rank=0),  # one window: a full Fisher–Yates
]



def python_order(shard_rows, seed, epoch, c):
    """What TicketIterable.sequence computes (without a reader)."""
    order = SHUFFLES[c["shuffle"]](shard_rows, seed, epoch, c["block"])
    return rank_sequence(order, partition(c["partition"], sum(shard_rows), c["world"], c["rank"]))


def run_python(spec):
    out = []
    for c in spec["configs"]:
        python_order(spec["shardRows"], spec["seed"], 1000, c)  # warm-up, as the TypeScript side
        seconds, cpu_seconds, sha = [], [], []
        for epoch in spec["epochs"]:
            t0, c0 = time.perf_counter(), time.process_time()
            seq = python_order(spec["shardRows"], spec["seed"], epoch, c)
            seconds.append(time.perf_counter() - t0)
            cpu_seconds.append(time.process_time() - c0)
            sha.append(hashlib.sha256(np.asarray(seq, dtype="<u4").tobytes()).hexdigest())
        out.append({"seconds": seconds, "cpuSeconds": cpu_seconds, "sha256": sha})
    return out


def loops():
    """Which path dlth.rng runs: its compiled extension or pure Python (DLTH_PURE_PYTHON=1, no compiler, older dlth)."""
    import dlth.rng
    ext = getattr(dlth.rng, "EXTENSION", None)
    return f"compiled ({Path(ext.__file__).name})" if ext is not None else "pure Python/numpy"


def run_ts(spec):
    proc = subprocess.run(["node", "--import", "tsx", str(ROOT / "bench" / "epoch_order.ts"), json.dumps(spec)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout)


def label(c):
    s = f"{c['shuffle']} {c['block']}" if c["shuffle"] == "block" else c["shuffle"]
    return s + (f", rank {c['rank']} of {c['world']}" if c["world"] > 1 else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", nargs="?", type=int, default=1_281_167)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    shard_rows = [SHARD_ROWS] * (args.rows // SHARD_ROWS) + ([args.rows % SHARD_ROWS] if args.rows % SHARD_ROWS else [])
    spec = {"shardRows": shard_rows, "seed": 7, "epochs": list(range(1, args.epochs + 1)), "configs": CONFIGS}
    import dlth
    print(f"{cpu()}; load {os.getloadavg()[0]:.2f}; {args.rows} rows in {len(shard_rows)} shards; "
          f"{args.rounds} rounds × {args.epochs} epochs per configuration; dlth from {Path(dlth.__file__).parent}; "
          f"loops: {loops()}", flush=True)
    ts = [[] for _ in CONFIGS]
    py = [[] for _ in CONFIGS]
    for _ in range(args.rounds):
        for acc, res in ((ts, run_ts(spec)), (py, run_python(spec))):
            for i, r in enumerate(res):
                acc[i].append(r)
    same = all(t["sha256"] == p["sha256"] for i in range(len(CONFIGS)) for t, p in zip(ts[i], py[i]))
    print(f"load after {os.getloadavg()[0]:.2f}; orders equal (sha256 of every epoch): {'yes' if same else 'NO'}")
    print("| configuration | TypeScript: wall (fastest), CPU | Python: wall (fastest), CPU | Python / TypeScript: wall, CPU |")
    print("|---|---:|---:|---:|")
    for i, c in enumerate(CONFIGS):
        t, tc = ([s for r in ts[i] for s in r[k]] for k in ("seconds", "cpuSeconds"))
        p, pc = ([s for r in py[i] for s in r[k]] for k in ("seconds", "cpuSeconds"))
        tm, pm, tcm, pcm = (statistics.median(v) for v in (t, p, tc, pc))
        print(f"| {label(c)} | {tm * 1e3:.0f} ms ({min(t) * 1e3:.0f}), {tcm * 1e3:.0f} ms | "
              f"{pm * 1e3:.0f} ms ({min(p) * 1e3:.0f}), {pcm * 1e3:.0f} ms | {pm / tm:.1f}×, {pcm / tcm:.1f}× |")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
