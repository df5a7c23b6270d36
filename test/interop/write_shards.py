#!/usr/bin/env python3
"""Writes a small dlth ticket dataset with pyarrow alone (from the specification), so the test can
check that our reader accepts another implementation's files. Usage: write_shards.py <out dir> [lz4|zstd]
(the second argument: Arrow IPC body compression, recorded as meta.compression)."""
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
codec = sys.argv[2] if len(sys.argv) > 2 else None
p, C, G, k, rows = 8, 3, 4, 5, 11
meta = {"format": "dlth", "version": 1, "kind": "tickets", "imageSize": [32, 32], "patchSize": p, "grid": [G, G],
        "channels": C, "mean": [0.5] * 3, "std": [0.25] * 3, "k": k, "keep": k / 16, "policy": "random", "seed": 3,
        "selector": None, "source": {"kind": "pyarrow", "fingerprint": "x", "classes": None}, "numClasses": 10}
if codec:
    meta["compression"] = codec
canon = lambda v: json.dumps(v, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
item = lambda t: pa.field("item", t, nullable=False)
schema = pa.schema([
    pa.field("id", pa.string(), nullable=False), pa.field("label", pa.int32()),
    pa.field("patches", pa.list_(item(pa.list_(item(pa.uint8()), p * p * C)), k), nullable=False),
    pa.field("positions", pa.list_(item(pa.uint16()), k), nullable=False),
    pa.field("scores", pa.list_(item(pa.float32()), k), nullable=False),
], metadata={"dlth": canon(meta)})
rng = np.random.default_rng(0)
patches = rng.integers(0, 256, (rows, k, p * p * C), dtype=np.uint8)
positions = np.sort(np.stack([rng.choice(16, k, replace=False) for _ in range(rows)]), axis=1).astype(np.uint16)
fsl = lambda flat, size, t: pa.FixedSizeListArray.from_arrays(pa.array(flat, type=t), size)
table = pa.table({
    "id": pa.array([f"py-{i}" for i in range(rows)]),
    "label": pa.array([None if i % 4 == 0 else i % 10 for i in range(rows)], type=pa.int32()),
    "patches": pa.FixedSizeListArray.from_arrays(fsl(patches.reshape(-1), p * p * C, pa.uint8()), k),
    "positions": fsl(positions.reshape(-1), k, pa.uint16()),
    "scores": fsl(np.full(rows * k, np.nan, dtype=np.float32), k, pa.float32()),
}).cast(schema)
shards = []
for j, (a, b) in enumerate([(0, 6), (6, rows)]):
    name = f"shard-{j:05d}.arrow"
    with ipc.new_stream(str(out / name), schema, options=ipc.IpcWriteOptions(compression=codec)) as w:
        w.write_table(table.slice(a, b - a), max_chunksize=4)
    data = (out / name).read_bytes()
    shards.append({"file": name, "rows": b - a, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
body = {"format": "dlth", "version": 1, "kind": "tickets", "meta": meta, "shards": shards}
manifest = {**body, "rows": rows, "fingerprint": "sha256:" + hashlib.sha256(canon(body).encode()).hexdigest()}
(out / "manifest.json").write_text(json.dumps(manifest, indent=2))
print(json.dumps({"ids": [f"py-{i}" for i in range(rows)], "positions": positions.tolist(), "patches0": patches[0, 0, :8].tolist()}))
