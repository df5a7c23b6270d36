"""One shard, opened for reading: size and sha256 checked against the manifest (the hash once per
process), the Arrow stream memory-mapped, its schema and ``dlth`` metadata checked against the
manifest, an index of record-batch row offsets built, and every column exposed as numpy views into
the mapped file (no copy; a compressed shard's batches are decompressed by pyarrow, after
``compressed.check_declared_lengths`` has capped what they declare). Positions are checked (ascending, inside the grid) and labels (inside
``numClasses``) before any row is handed out."""
from __future__ import annotations

import bisect
import functools
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set, Tuple

import numpy as np
import pyarrow as pa

from .compressed import check_declared_lengths
from .errors import ShardError
from .manifest import ShardEntry, canonical_json
from .patch_jpeg import JpegPatches

NO_LABEL = -1
_VERIFIED: Set[Tuple[str, int, int, int, str]] = set()


def expected_schema(meta: Dict[str, Any]) -> pa.Schema:
    p, c, k = meta["patchSize"], meta["channels"], meta["k"]
    item = lambda t: pa.field("item", t, nullable=False)  # noqa: E731
    return pa.schema([
        pa.field("id", pa.string(), nullable=False),
        pa.field("label", pa.int32(), nullable=True),
        pa.field("patches", pa.binary() if meta.get("patchEncoding") else pa.list_(item(pa.list_(item(pa.uint8()), p * p * c)), k), nullable=False),
        pa.field("positions", pa.list_(item(pa.uint16()), k), nullable=False),
        pa.field("scores", pa.list_(item(pa.float32()), k), nullable=False),
        *([pa.field("view", pa.uint8(), nullable=False)] if "views" in meta else []),
    ])


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(8 << 20)
            if not chunk:
                return h.hexdigest()
            h.update(chunk)


def check_file(path: str, entry: ShardEntry, known_good: bool = False) -> Optional[str]:
    """Why the file at ``path`` is not the manifest's shard, or None when it is: the size always, the
    sha256 once per process (per path, inode, size and mtime; ``known_good``: hashed while written)."""
    try:
        st = os.stat(path)
    except OSError as err:
        return f"cannot stat the shard ({err.strerror})"
    if st.st_size != entry.bytes:
        return f"size is {st.st_size} bytes, the manifest says {entry.bytes} (truncated or replaced?)"
    key = (path, st.st_ino, st.st_size, st.st_mtime_ns, entry.sha256)
    if key in _VERIFIED:
        return None
    if not known_good:
        try:
            digest = sha256_file(path)
        except OSError as err:
            return f"cannot read the shard ({err.strerror})"
        if digest != entry.sha256:
            return f"sha256 {digest} differs from the manifest's {entry.sha256} (corrupted or replaced)"
    _VERIFIED.add(key)
    return None


def verify_once(path: str, entry: ShardEntry, where: str, known_good: bool = False) -> None:
    """``check_file``, failing with a ShardError naming ``where`` (``path`` is the real path the
    store resolved)."""
    reason = check_file(path, entry, known_good)
    if reason is not None:
        raise ShardError(reason, where)


@dataclass
class Columns:
    """One record batch as numpy views: patches uint8 [n, k, p, p, C] (a JPEG-encoded dataset's:
    a ``JpegPatches`` that decodes row i at ``patches[i]``), positions uint16 [n, k], scores float32
    [n, k], labels int32 [n] (−1 = none), ids (n strings); ``views`` uint8 [n], each row's view, in
    datasets with views (``meta["views"]``), else None."""

    patches: Any
    positions: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    ids: List[str]
    views: Optional[np.ndarray] = None


def _values(column: pa.Array, depth: int) -> np.ndarray:
    for _ in range(depth):
        column = column.flatten()
    return column.to_numpy(zero_copy_only=True)


@functools.lru_cache(maxsize=64)
def _expected(meta_json: str) -> Tuple[pa.Schema, bytes]:
    """The expected schema and canonical metadata bytes, once per distinct meta."""
    return expected_schema(json.loads(meta_json)), meta_json.encode("utf-8")


def _labels(column: pa.Array) -> np.ndarray:
    """int32 labels, −1 where null (a view when there are no nulls)."""
    if column.null_count == 0:
        return column.to_numpy(zero_copy_only=False)
    return column.fill_null(NO_LABEL).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)


def _check_schema(schema: pa.Schema, meta: Dict[str, Any], where: str, meta_json: Optional[str] = None) -> None:
    want, canonical = _expected(meta_json or canonical_json(meta))
    if len(schema) != len(want):
        raise ShardError(f"schema has {len(schema)} fields ({', '.join(schema.names)}), expected {', '.join(want.names)}", where)
    for i, (got, exp) in enumerate(zip(schema, want)):
        if got.name != exp.name or got.nullable != exp.nullable or not got.type.equals(exp.type, check_metadata=False):
            raise ShardError(f"schema field {i} is {got}, expected {exp}", where)
    raw = (schema.metadata or {}).get(b"dlth")
    if raw is None:
        raise ShardError('schema metadata has no "dlth" key', where)
    if raw == canonical:  # the usual case: the writer's canonical JSON, byte for byte
        return
    try:
        if json.loads(raw.decode("utf-8")) != meta:
            raise ShardError('the "dlth" schema metadata differs from the manifest\'s meta', where)
    except (UnicodeDecodeError, ValueError):
        raise ShardError('the "dlth" schema metadata is not UTF-8 JSON', where) from None


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:200] or type(err).__name__


def _read_batches(source: pa.NativeFile, meta: Dict[str, Any], where: str, meta_json: Optional[str]) -> Tuple[List[Columns], List[int], int]:
    """Every record batch of the stream as Columns, their first rows, and the row count."""
    k, p, c = meta["k"], meta["patchSize"], meta["channels"]
    reader = pa.ipc.open_stream(source)
    _check_schema(reader.schema, meta, where, meta_json)
    batches: List[Columns] = []
    starts: List[int] = []
    rows = 0
    for rb in reader:
        n = rb.num_rows
        starts.append(rows)
        batches.append(Columns(
            patches=JpegPatches(rb.column(2), meta, where) if meta.get("patchEncoding") else _values(rb.column(2), 2).reshape(n, k, p, p, c),
            positions=_values(rb.column(3), 1).reshape(n, k),
            scores=_values(rb.column(4), 1).reshape(n, k),
            labels=_labels(rb.column(1)),
            ids=rb.column(0).to_pylist(),
            views=rb.column(5).to_numpy(zero_copy_only=True) if "views" in meta else None,
        ))
        rows += n
    return batches, starts, rows


class Shard:
    """An opened, verified shard: ``batches`` (Columns per record batch) and a row index."""

    def __init__(self, path: str, entry: ShardEntry, meta: Dict[str, Any], where: str, known_good: bool = False, meta_json: Optional[str] = None):
        self.where, self.entry = where, entry
        verify_once(path, entry, where, known_good)
        try:
            self._map = pa.memory_map(path, "r")
            if meta.get("compression"):
                check_declared_lengths(self._map, meta, entry.rows, where)
            self.batches, self.starts, rows = _read_batches(self._map, meta, where, meta_json)
        except pa.ArrowException as err:
            raise ShardError(f"not a valid Arrow IPC stream ({_one_line(err)})", where) from None
        except OSError as err:  # pyarrow's IOError (a stream cut short inside a message) is a plain OSError
            raise ShardError(f"cannot read the Arrow stream, truncated or unreadable ({_one_line(err)})", where) from None
        if rows != entry.rows:
            raise ShardError(f"{rows} rows, the manifest says {entry.rows}", where)
        self.rows = rows
        self._check_values(meta)

    def _check_values(self, meta: Dict[str, Any]) -> None:
        """Positions strictly ascending inside the grid, labels inside numClasses: once per shard
        (on all its batches at once: a few numpy calls, whatever the number of batches)."""
        if self.rows == 0:
            return
        pos = np.concatenate([b.positions for b in self.batches]) if len(self.batches) > 1 else self.batches[0].positions
        labels = np.concatenate([b.labels for b in self.batches]) if len(self.batches) > 1 else self.batches[0].labels
        n_grid = meta["grid"][0] * meta["grid"][1]
        if pos.shape[1] > 1 and not (pos[:, 1:] > pos[:, :-1]).all():
            raise ShardError("positions are not strictly ascending in some row", self.where)
        if int(pos[:, -1].max()) >= n_grid:
            raise ShardError(f"a position is outside the grid of {n_grid} patches", self.where)
        classes = meta.get("numClasses")
        if classes is not None and (int(labels.max()) >= classes or int(labels.min()) < NO_LABEL):
            raise ShardError(f"a label is outside [0, {classes})", self.where)
        if "views" in meta:
            self._check_views(meta["views"]["count"])

    def _check_views(self, count: int) -> None:
        """Each image's rows are its views 0…K−1 in order, under one id (as src/shards/decode/views.ts)."""
        views = np.concatenate([b.views for b in self.batches])
        bad = np.flatnonzero(views != np.arange(self.rows) % count)
        if bad.size:
            r = int(bad[0])
            raise ShardError(f"row {r} has view {int(views[r])}, expected {r % count}: each image's rows are its views 0…{count - 1} in order", self.where)
        ids = [i for b in self.batches for i in b.ids]
        for r in range(self.rows):
            if r % count and ids[r] != ids[r - r % count]:
                raise ShardError(f"row {r} (view {r % count}) has id {ids[r]!r}, its view 0 has {ids[r - r % count]!r}", self.where)

    def locate(self, row: int) -> Tuple[Columns, int]:
        """The record batch holding ``row`` and the row's index within it."""
        b = bisect.bisect_right(self.starts, row) - 1
        return self.batches[b], row - self.starts[b]

    def close(self) -> None:
        """Drops this object's views; the mapping closes once no array handed out refers to it."""
        self.batches = []
        self._map = None
