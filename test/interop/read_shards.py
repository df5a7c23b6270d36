#!/usr/bin/env python3
"""Reads a dlth dataset with pyarrow, Hugging Face datasets and polars, and checks it against the
expected values the TypeScript side wrote (expected.json). Also re-derives random tickets with an
independent implementation of the specified generator. Usage: read_shards.py <dataset dir> <expected.json> [<dir> <expected.json> …]
"""
import hashlib
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc
import datasets

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))  # the checkout's dlth package, not an installed copy
import dlth  # noqa: E402


def xoshiro_positions(seed, sample_id, n, k):
    """The random-ticket generator of schemas/README.md, implemented from the specification."""
    d = hashlib.sha256(f"dlth/random/v1:{seed}:{sample_id}".encode()).digest()
    s = list(struct.unpack("<4I", d[:16]))
    if s == [0, 0, 0, 0]:
        s[0] = 1
    M = 0xFFFFFFFF
    rotl = lambda x, r: ((x << r) | (x >> (32 - r))) & M

    def nxt():
        r = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 9) & M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11)
        return r

    def below(bound):
        limit = 2**32 - (2**32 % bound)
        while True:
            x = nxt()
            if x < limit:
                return x % bound

    a = list(range(n))
    for i in range(k):
        j = i + below(n - i)
        a[i], a[j] = a[j], a[i]
    return sorted(a[:k])


def sha(arr):
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def jpeg_patches(blobs, meta):
    """A JPEG-encoded dataset's patches [rows, k, p, p, C], decoded with Pillow and cut from each
    row's mosaic as schemas/README.md section 2b specifies (independently of dlth.patch_jpeg)."""
    from PIL import Image
    import io
    enc, k, p, c = meta["patchEncoding"], meta["k"], meta["patchSize"], meta["channels"]
    cell, cols = enc["cell"], enc["columns"]
    out = np.zeros((len(blobs), k, p, p, c), np.uint8)
    for r, blob in enumerate(blobs):
        im = np.asarray(Image.open(io.BytesIO(blob))).reshape(-(-k // cols) * cell, cols * cell, c)
        for j in range(k):
            y, x = (j // cols) * cell, (j % cols) * cell
            out[r, j] = im[y:y + p, x:x + p]
    return out


def check(root, expected_file):
    root = Path(root)
    expected = json.loads(Path(expected_file).read_text())
    manifest = json.loads((root / "manifest.json").read_text())
    meta = manifest["meta"]
    k, p, c = meta["k"], meta["patchSize"], meta["channels"]
    n = meta["grid"][0] * meta["grid"][1]
    files = [root / s["file"] for s in manifest["shards"]]
    jpeg = "patchEncoding" in meta

    # pyarrow: stream format, full validation, schema and metadata, values.
    tables = []
    for f, s in zip(files, manifest["shards"]):
        assert hashlib.sha256(f.read_bytes()).hexdigest() == s["sha256"], f
        with ipc.open_stream(pa.OSFile(str(f))) as reader:
            t = reader.read_all()
        t.validate(full=True)
        assert t.num_rows == s["rows"], (f, t.num_rows)
        assert json.loads(t.schema.metadata[b"dlth"]) == meta
        if jpeg:
            assert t.schema.field("patches").type == pa.binary()
        else:
            assert t.schema.field("patches").type == pa.list_(pa.field("item", pa.list_(pa.field("item", pa.uint8(), False), p * p * c), False), k)
        assert t.schema.field("positions").type == pa.list_(pa.field("item", pa.uint16(), False), k)
        assert t.schema.field("label").nullable and not t.schema.field("id").nullable
        tables.append(t)
    table = pa.concat_tables(tables)
    assert table.num_rows == manifest["rows"] == len(expected["ids"])
    assert table.column("id").to_pylist() == expected["ids"]
    assert table.column("label").to_pylist() == expected["labels"]
    blobs = table.column("patches").to_pylist() if jpeg else None
    patches = jpeg_patches(blobs, meta) if jpeg else table.column("patches").combine_chunks().flatten().flatten().to_numpy().reshape(-1, k, p, p, c)
    positions = table.column("positions").combine_chunks().flatten().to_numpy().reshape(-1, k)
    scores = table.column("scores").combine_chunks().flatten().to_numpy().reshape(-1, k)
    assert sha(patches) == expected["patchesSha256"], "patch bytes (row, col, channel order)"
    assert sha(positions.astype("<u2")) == expected["positionsSha256"]
    assert sha(scores.astype("<f4")) == expected["scoresSha256"]
    assert (np.diff(positions.astype(np.int32), axis=1) > 0).all() and positions.max() < n

    # The random policy, re-derived independently.
    if meta["policy"] == "random":
        for i, sid in enumerate(expected["ids"][:50]):
            assert positions[i].tolist() == xoshiro_positions(meta["seed"], sid, n, k), sid

    # Hugging Face datasets: Dataset.from_file on every shard, numpy format, shapes.
    for f, t in zip(files, tables):
        ds = datasets.Dataset.from_file(str(f)).with_format("numpy")
        assert len(ds) == t.num_rows
        if len(ds):
            if jpeg:
                assert str(ds.features["patches"].dtype) == "binary", ds.features
                assert ds.with_format(None)[: len(ds)]["patches"] == t.column("patches").to_pylist()
                continue
            batch = ds[: len(ds)]
            assert batch["patches"].shape == (len(ds), k, p * p * c), batch["patches"].shape
            assert batch["positions"].shape == (len(ds), k)
            # The numpy formatter widens integers to int64; the features keep the stored types.
            assert str(ds.features["patches"].feature.feature.dtype) == "uint8", ds.features
            assert str(ds.features["positions"].feature.dtype) == "uint16", ds.features
            np.testing.assert_array_equal(batch["positions"], t.column("positions").combine_chunks().flatten().to_numpy().reshape(-1, k))
            np.testing.assert_array_equal(batch["patches"].reshape(-1, k, p, p, c), t.column("patches").combine_chunks().flatten().flatten().to_numpy().reshape(-1, k, p, p, c))

    # polars: read_ipc_stream, same values.
    frames = [pl.read_ipc_stream(str(f)) for f in files]
    df = pl.concat(frames)
    assert df["id"].to_list() == expected["ids"]
    assert df["label"].to_list() == expected["labels"]
    pos_pl = np.array(df["positions"].to_list(), dtype=np.uint16).reshape(-1, k)
    np.testing.assert_array_equal(pos_pl, positions)
    if jpeg:
        assert df["patches"].to_list() == blobs
    # The dlth Python package: the same rows through TicketReader (verified, checked).
    reader = dlth.TicketReader(str(root))
    ids, chunks = [], []
    for b in reader.batches():
        ids.extend(b.ids)
        chunks.append(np.ascontiguousarray(b.patches))
    reader.close()
    assert ids == expected["ids"]
    if chunks:
        assert sha(np.concatenate(chunks)) == expected["patchesSha256"], "dlth.TicketReader patch bytes"
    print(f"interop ok: {len(files)} shards, {table.num_rows} rows, k={k}, pyarrow {pa.__version__}, datasets {datasets.__version__}, polars {pl.__version__}")


if __name__ == "__main__":
    for at in range(1, len(sys.argv), 2):
        check(sys.argv[at], sys.argv[at + 1])
