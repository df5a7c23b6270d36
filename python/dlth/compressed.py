"""Compressed shards (``meta.compression``: Arrow IPC body compression, LZ4_FRAME or ZSTD): before
pyarrow decompresses anything, every record batch's declared uncompressed buffer lengths are read
(the 8-byte prefix of each buffer) and capped by what the batch's row count can hold, as the
TypeScript reader does (src/shards/decode/compression.ts). pyarrow allocates whatever a buffer
declares; a crafted shard declaring terabytes becomes one ShardError naming it instead."""
from __future__ import annotations

import struct
from typing import Any, Dict, List, Tuple

import pyarrow as pa

from .errors import ShardError
from .patch_jpeg import max_jpeg_allowance

#: Average id bytes per row a compressed batch may declare (src/shards/compression.ts MAX_ID_BYTES).
MAX_ID_BYTES = 4096
#: Bytes budgeted per id in rowBytes (schemas/README.md section 7).
ID_ALLOWANCE = 32


def max_inflated_bytes(meta: Dict[str, Any], rows: int, buffers: int) -> int:
    """The most uncompressed body bytes a compressed ticket batch of ``rows`` rows may declare."""
    p, c, k = meta["patchSize"], meta["channels"], meta["k"]
    row_bytes = 40 + k * (p * p * c + 6)
    return rows * (row_bytes - ID_ALLOWANCE + MAX_ID_BYTES + 64 + max_jpeg_allowance(meta)) + 8 * buffers


class _Flat:
    """Just enough of a bounds-checked flatbuffer reader for a RecordBatch message's header."""

    def __init__(self, data: bytes):
        self.data = data

    def _unpack(self, fmt: str, at: int) -> int:
        if at < 0 or at + struct.calcsize(fmt) > len(self.data):
            raise ValueError(f"offset {at} outside the {len(self.data)}-byte flatbuffer")
        return struct.unpack_from(fmt, self.data, at)[0]

    def table(self, at: int) -> Tuple[int, int, int]:
        vtable = at - self._unpack("<i", at)
        return at, vtable, self._unpack("<H", vtable)

    def field(self, t: Tuple[int, int, int], slot: int) -> int:
        at, vtable, size = t
        if slot >= size:
            return 0
        rel = self._unpack("<H", vtable + slot)
        return at + rel if rel else 0

    def deref(self, at: int) -> int:
        return at + self._unpack("<I", at)

    def i64(self, t: Tuple[int, int, int], slot: int) -> int:
        at = self.field(t, slot)
        return self._unpack("<q", at) if at else 0

    def buffers(self, t: Tuple[int, int, int], slot: int, limit: int = 4096) -> List[Tuple[int, int]]:
        at = self.field(t, slot)
        if not at:
            return []
        vec = self.deref(at)
        n = self._unpack("<I", vec)
        if n > limit:
            raise ValueError(f"{n} buffers")
        return [(self._unpack("<q", vec + 4 + 16 * i), self._unpack("<q", vec + 12 + 16 * i)) for i in range(n)]


def _batch_header(metadata: bytes) -> Tuple[int, List[Tuple[int, int]]]:
    """A RecordBatch message's row count and buffer regions (offset, length)."""
    f = _Flat(metadata)
    message = f.table(f.deref(0))
    kind = f.field(message, 6)
    if not kind or f._unpack("<B", kind) != 3:  # MessageHeader.RecordBatch
        raise ValueError("not a record batch message")
    header = f.field(message, 8)
    if not header:
        raise ValueError("no header")
    batch = f.table(f.deref(header))
    return f.i64(batch, 4), f.buffers(batch, 8)


def check_declared_lengths(source: pa.NativeFile, meta: Dict[str, Any], rows_allowed: int, where: str) -> None:
    """Reads every message of the stream at ``source`` (nothing decompressed) and checks each
    record batch's declared uncompressed lengths against its row count; seeks back to the start."""
    reader = pa.ipc.MessageReader.open_stream(source)
    rows_seen = 0
    while True:
        try:
            msg = reader.read_next_message()
        except StopIteration:
            break
        if msg.type != "record batch":
            continue
        try:
            rows, regions = _batch_header(msg.metadata.to_pybytes())
        except (ValueError, struct.error) as err:
            raise ShardError(f"malformed record batch header ({err})", where) from None
        body = msg.body
        if rows < 0 or rows > rows_allowed - rows_seen:
            raise ShardError(f"a record batch of {rows} rows exceeds the {rows_allowed - rows_seen} the manifest leaves", where)
        rows_seen += rows
        total = 0
        for i, (offset, length) in enumerate(regions):
            if offset < 0 or length < 0 or offset + length > body.size:
                raise ShardError(f"compressed buffer {i} lies outside the {body.size}-byte body", where)
            if length == 0:
                continue
            if length < 8:
                raise ShardError(f"compressed buffer {i} of {length} bytes cannot hold its 8-byte length prefix", where)
            declared = struct.unpack("<q", body.slice(offset, 8).to_pybytes())[0]
            if declared < -1:
                raise ShardError(f"compressed buffer {i}: declared uncompressed length {declared} is not a length", where)
            n = length - 8 if declared == -1 else declared
            total += (n + 7) // 8 * 8
        bound = max_inflated_bytes(meta, rows, len(regions))
        if total > bound:
            raise ShardError(f"a compressed record batch of {rows} rows declares {total} uncompressed bytes, more than the {bound} such rows can hold", where)
    source.seek(0)
