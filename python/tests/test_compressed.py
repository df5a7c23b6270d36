"""Compressed shards (meta.compression, Arrow IPC body compression): read like plain ones, and a
buffer that declares more than its rows can hold is one ShardError naming the shard, before
pyarrow allocates it."""
from __future__ import annotations

import hashlib
import json
import struct

import numpy as np
import pytest

from dlth import ShardError, TicketReader
from dlth.compressed import _batch_header
from dlth.manifest import canonical_json
from dlth.shard import _VERIFIED
from support.writer import cut_patches, make_meta, write_dataset


def dataset(out, compression):
    rng = np.random.default_rng(4)
    images = np.repeat(rng.integers(0, 256, (10, 16, 1, 3), dtype=np.uint8), 16, axis=2)  # rows of one colour: compressible
    positions = np.sort(np.stack([rng.choice(16, 6, replace=False) for _ in range(10)]), axis=1).astype(np.uint16)
    meta = make_meta(16, 4, 3, 6)
    if compression:
        meta["compression"] = compression
    patches = cut_patches(images, positions, 4)
    write_dataset(out, meta, [f"c{i}" for i in range(10)], [i % 10 for i in range(10)], patches, positions,
                  scores=np.ones((10, 6)), shard_rows=6, compression=compression)
    return out


def rows(d):
    r = TicketReader(str(d))
    out = [(list(b.ids), np.array(b.patches), np.array(b.positions)) for b in r.batches()]
    r.close()
    return out


@pytest.mark.parametrize("codec", ["lz4", "zstd"])
def test_compressed_shards_read_like_plain_ones(tmp_path, codec):
    plain, packed = rows(dataset(tmp_path / "plain", None)), rows(dataset(tmp_path / codec, codec))
    assert len(plain) == len(packed)
    for (a_ids, a_p, a_pos), (b_ids, b_p, b_pos) in zip(plain, packed):
        assert a_ids == b_ids
        np.testing.assert_array_equal(a_p, b_p)
        np.testing.assert_array_equal(a_pos, b_pos)
    sizes = [sum(f.stat().st_size for f in (tmp_path / n).glob("*.arrow")) for n in ("plain", codec)]
    assert sizes[1] < sizes[0]


def set_first_patches_length(path, value):
    """Overwrites the declared uncompressed length of the first batch's largest buffer."""
    data = bytearray(path.read_bytes())
    at = 0
    while True:
        length = struct.unpack_from("<i", data, at + 4)[0]
        meta = bytes(data[at + 8: at + 8 + length])
        body = at + 8 + length
        try:
            _, regions = _batch_header(meta)
        except ValueError:
            regions = []
        if regions and any(n for _, n in regions):
            offset = max(regions, key=lambda r: r[1])[0]
            struct.pack_into("<q", data, body + offset, value)
            path.write_bytes(bytes(data))
            return bytes(data)
        # the schema message: skip its (empty) body
        at = body


@pytest.mark.parametrize("codec", ["lz4", "zstd"])
@pytest.mark.parametrize("value,reason", [(1 << 40, "more than the"), (-7, "not a length")])
def test_a_bomb_sized_declared_length_is_one_shard_error(tmp_path, codec, value, reason):
    d = dataset(tmp_path / "ds", codec)
    data = set_first_patches_length(d / "shard-00000.arrow", value)
    m = json.loads((d / "manifest.json").read_text())
    m["shards"][0].update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    body = {key: m[key] for key in ("format", "version", "kind", "meta", "shards")}
    m["fingerprint"] = "sha256:" + hashlib.sha256(canonical_json(body).encode()).hexdigest()
    (d / "manifest.json").write_text(json.dumps(m))
    _VERIFIED.clear()
    with pytest.raises(ShardError, match=rf"shard-00000\.arrow.*{reason}"):
        TicketReader(str(d)).shard(0)
