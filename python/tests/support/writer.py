"""A ticket dataset writer from the specification (schemas/README.md), pyarrow alone: the tests
build datasets of known images with it (the TypeScript writer is used through make_dataset.ts)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from dlth.manifest import canonical_json
from dlth.shard import expected_schema


def make_meta(image: int = 16, patch: int = 4, channels: int = 3, k: int = 8, policy: str = "ticket",
              mean: Optional[List[float]] = None, std: Optional[List[float]] = None) -> Dict[str, Any]:
    g = image // patch
    return {"format": "dlth", "version": 1, "kind": "tickets", "imageSize": [image, image], "patchSize": patch, "grid": [g, g],
            "channels": channels, "mean": mean or [0.485, 0.456, 0.406][:channels], "std": std or [0.229, 0.224, 0.225][:channels],
            "k": k, "keep": k / (g * g), "policy": policy, "seed": None, "selector": None,
            "source": {"kind": "pytest", "fingerprint": "sha256:pytest", "classes": None}, "numClasses": 10}


def cut_patches(images: np.ndarray, positions: np.ndarray, patch: int) -> np.ndarray:
    """images uint8 [n, H, W, C], positions [n, k] → patches uint8 [n, k, p·p·C] (row-major per patch)."""
    n, h, w, c = images.shape
    gw = w // patch
    grid = images.reshape(n, h // patch, patch, gw, patch, c).transpose(0, 1, 3, 2, 4, 5).reshape(n, -1, patch * patch * c)
    return np.take_along_axis(grid, positions.astype(np.int64)[:, :, None], axis=1)


def write_dataset(out: Path, meta: Dict[str, Any], ids: Sequence[str], labels: Sequence[Optional[int]], patches: np.ndarray,
                  positions: np.ndarray, scores: Optional[np.ndarray] = None, shard_rows: int = 1 << 30, batch_rows: int = 4,
                  compression: Optional[str] = None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    rows, k = positions.shape
    scores = np.full((rows, k), np.nan, dtype=np.float32) if scores is None else scores.astype(np.float32)
    schema = expected_schema(meta).with_metadata({"dlth": canonical_json(meta)})
    fsl = lambda flat, size, t: pa.FixedSizeListArray.from_arrays(pa.array(flat, type=t), size)  # noqa: E731
    table = pa.table({
        "id": pa.array(list(ids)), "label": pa.array(list(labels), type=pa.int32()),
        "patches": pa.FixedSizeListArray.from_arrays(fsl(patches.reshape(-1), patches.shape[-1], pa.uint8()), k),
        "positions": fsl(positions.reshape(-1).astype(np.uint16), k, pa.uint16()),
        "scores": fsl(scores.reshape(-1), k, pa.float32()),
    }).cast(schema)
    shards = []
    for j, a in enumerate(range(0, max(rows, 1), shard_rows)):
        b = min(rows, a + shard_rows)
        name = f"shard-{j:05d}.arrow"
        with ipc.new_stream(str(out / name), schema, options=ipc.IpcWriteOptions(compression=compression)) as w:
            w.write_table(table.slice(a, b - a), max_chunksize=batch_rows)
        data = (out / name).read_bytes()
        shards.append({"file": name, "rows": b - a, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    body = {"format": "dlth", "version": 1, "kind": "tickets", "meta": meta, "shards": shards}
    manifest = {**body, "rows": rows, "fingerprint": "sha256:" + hashlib.sha256(canonical_json(body).encode()).hexdigest()}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return out


def image_dataset(out: Path, n: int = 12, image: int = 16, patch: int = 4, channels: int = 3, k: int = 9, seed: int = 0,
                  shard_rows: int = 5, policy: str = "ticket"):
    """A dataset of random images with random kept positions; returns (dir, meta, images, positions)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, image, image, channels), dtype=np.uint8)
    g = (image // patch) ** 2
    positions = np.sort(np.stack([rng.choice(g, k, replace=False) for _ in range(n)]), axis=1).astype(np.uint16)
    meta = make_meta(image, patch, channels, k, policy)
    patches = cut_patches(images, positions, patch)
    labels = [None if i % 5 == 4 else i % 10 for i in range(n)]
    write_dataset(out, meta, [f"img{i:04d}" for i in range(n)], labels, patches, positions, shard_rows=shard_rows)
    return out, meta, images, positions
