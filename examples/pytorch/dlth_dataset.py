"""A PyTorch IterableDataset over dlth ticket shards (Arrow IPC stream files + manifest.json).

Each item is (patches, positions, label):
  patches   uint8 tensor [k, p*p*C]  the kept patches, each row-major (row, col, channel)
  positions int64 tensor [k]         raster indices row*G_w + col in the full patch grid, ascending
  label     int                      class index (-1 where the dataset has none)

Shards are split among (rank, DataLoader worker) pairs, round robin after a seeded shuffle of the
shard order, so every pair reads whole shards of its own. Call set_epoch(e) before each epoch for
a new order. Each shard's sha256 is checked against the manifest before any of its rows is used.
For exact sample-level partitioning (equal counts per rank, resumable) use `dlth stream --rank`.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
from typing import Iterator, Sequence

import numpy as np
import pyarrow as pa
import torch
from torch.utils.data import IterableDataset, get_worker_info

FORMAT = "dlth"
VERSION = 1


def read_manifest(directory: str) -> dict:
    with open(os.path.join(directory, "manifest.json"), "rb") as f:
        manifest = json.load(f)
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ValueError(f"{directory}: not a dlth v{VERSION} dataset")
    if manifest.get("kind") != "tickets":
        raise ValueError(f"{directory}: kind is {manifest.get('kind')!r}, expected 'tickets'")
    for shard in manifest["shards"]:
        name = shard["file"]
        if os.path.basename(name) != name or name.startswith("."):
            raise ValueError(f"{directory}: unsafe shard file name {name!r}")
    return manifest


def _dist_rank_world() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class DlthTickets(IterableDataset):
    def __init__(self, dirs: str | Sequence[str], *, shuffle: bool = True, seed: int = 0,
                 rank: int | None = None, world: int | None = None, verify: bool = True):
        self.dirs = [dirs] if isinstance(dirs, str) else list(dirs)
        self.manifests = [read_manifest(d) for d in self.dirs]
        meta = self.manifests[0]["meta"]
        for d, m in zip(self.dirs, self.manifests):
            for key in ("k", "patchSize", "channels", "grid"):
                if m["meta"][key] != meta[key]:
                    raise ValueError(f"{d}: {key} differs from {self.dirs[0]}")
        self.meta = meta
        self.k = meta["k"]
        self.patch_bytes = meta["patchSize"] ** 2 * meta["channels"]
        self.shards = [(d, s) for d, m in zip(self.dirs, self.manifests) for s in m["shards"]]
        self.shuffle, self.seed, self.verify, self.epoch = shuffle, seed, verify, 0
        dist_rank, dist_world = _dist_rank_world()
        self.rank = dist_rank if rank is None else rank
        self.world = dist_world if world is None else world

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _my_shards(self) -> list[tuple[str, dict]]:
        order = list(range(len(self.shards)))
        if self.shuffle:
            random.Random(f"{self.seed}:{self.epoch}").shuffle(order)
        info = get_worker_info()
        workers, worker = (info.num_workers, info.id) if info else (1, 0)
        slot, slots = self.rank * workers + worker, self.world * workers
        return [self.shards[i] for i in order[slot::slots]]

    def _read_shard(self, directory: str, shard: dict) -> pa.Table:
        path = os.path.join(directory, shard["file"])
        with open(path, "rb") as f:
            data = f.read(shard["bytes"] + 1)
        if len(data) != shard["bytes"]:
            raise ValueError(f"{path}: size {len(data)} differs from the manifest's {shard['bytes']}")
        if self.verify and hashlib.sha256(data).hexdigest() != shard["sha256"]:
            raise ValueError(f"{path}: sha256 differs from the manifest")
        return pa.ipc.open_stream(pa.py_buffer(data)).read_all()

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, int]]:
        rng = random.Random(f"{self.seed}:{self.epoch}:{self.rank}:rows")
        for directory, shard in self._my_shards():
            table = self._read_shard(directory, shard)
            n = table.num_rows
            patches = _flat(table.column("patches"), 2).astype(np.uint8, copy=False).reshape(n, self.k, self.patch_bytes)
            positions = _flat(table.column("positions"), 1).reshape(n, self.k).astype(np.int64)
            labels = table.column("label").fill_null(-1).to_numpy()
            rows = list(range(n))
            if self.shuffle:
                rng.shuffle(rows)
            for i in rows:
                yield torch.from_numpy(patches[i].copy()), torch.from_numpy(positions[i]), int(labels[i])


def _flat(column: pa.ChunkedArray, depth: int) -> np.ndarray:
    """The innermost values of a (nested) FixedSizeList column as one numpy array."""
    parts = []
    for chunk in column.chunks:
        for _ in range(depth):
            chunk = chunk.flatten()
        parts.append(chunk.to_numpy(zero_copy_only=False))
    return np.concatenate(parts) if parts else np.zeros(0)
