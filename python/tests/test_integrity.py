"""Untrusted shards and manifests: every failure is a typed error naming the file."""
from __future__ import annotations

import hashlib
import json
import os
import shutil

import numpy as np
import pytest

from dlth import ManifestError, ShardError, TicketDataset, TicketReader
from dlth.shard import _VERIFIED
from support.writer import image_dataset


@pytest.fixture()
def dataset(tmp_path):
    d, *_ = image_dataset(tmp_path / "ds", n=12, shard_rows=5)
    _VERIFIED.clear()  # each test starts with nothing verified in this process
    return d


def first_row_of_shard(d, shard):
    return TicketDataset(str(d))[shard * 5]


def test_a_corrupted_shard_is_rejected_naming_the_file(dataset):
    path = dataset / "shard-00001.arrow"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    first_row_of_shard(dataset, 0)  # other shards still read
    with pytest.raises(ShardError, match=r"shard-00001\.arrow: sha256 .* differs from the manifest") as err:
        first_row_of_shard(dataset, 1)
    assert err.value.file == str(path)


def test_a_truncated_shard_is_rejected_naming_the_file(dataset):
    path = dataset / "shard-00002.arrow"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(ShardError, match=rf"shard-00002\.arrow: size is {len(data) - 100} bytes, the manifest says {len(data)}"):
        first_row_of_shard(dataset, 2)


CUTS = {"last 100 bytes lost": lambda n: n - 100, "half lost": lambda n: n // 2, "schema cut": lambda n: 20}


@pytest.mark.parametrize("cut", list(CUTS))
def test_a_truncated_shard_its_manifest_agrees_with_is_a_shard_error(dataset, cut):
    """A hostile or broken writer: the shard cut short (inside a message body, or its metadata) and
    the manifest's size and sha256 written for the cut file."""
    from dlth.manifest import ShardEntry, fingerprint

    path = dataset / "shard-00001.arrow"
    data = path.read_bytes()
    data = data[: CUTS[cut](len(data))]
    path.write_bytes(data)
    m = json.loads((dataset / "manifest.json").read_text())
    m["shards"][1].update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    m["fingerprint"] = fingerprint(m["meta"], [ShardEntry(**s) for s in m["shards"]])
    (dataset / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ShardError, match=r"shard-00001\.arrow: (cannot read the Arrow stream, truncated|not a valid Arrow IPC stream)") as err:
        first_row_of_shard(dataset, 1)
    assert err.value.file == str(path) and "\n" not in str(err.value)


def test_a_shard_is_hashed_once_per_process(dataset, monkeypatch):
    import dlth.shard as shard_module

    calls = []
    real = shard_module.sha256_file
    monkeypatch.setattr(shard_module, "sha256_file", lambda p: calls.append(p) or real(p))
    ds = TicketDataset(str(dataset))
    for _ in range(2):
        for i in range(len(ds)):
            ds[i]
    TicketDataset(str(dataset))[0]
    assert len(calls) == 3, "three shards, each hashed once"


def test_a_manifest_that_lies_is_rejected(dataset):
    m = json.loads((dataset / "manifest.json").read_text())
    m["shards"][0]["rows"] += 1
    m["rows"] += 1
    (dataset / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ManifestError, match=r"manifest\.json: \$\.fingerprint"):
        TicketReader(str(dataset))


@pytest.mark.parametrize("name", ["../x.arrow", ".hidden.arrow", "a/b.arrow"])
def test_unsafe_shard_names_are_refused(dataset, name):
    m = json.loads((dataset / "manifest.json").read_text())
    m["shards"][0]["file"] = name
    (dataset / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ManifestError, match=r"manifest\.json: \$\.shards\[0\]\.file"):
        TicketReader(str(dataset))


def test_a_symlink_out_of_the_dataset_is_refused(dataset, tmp_path):
    outside = tmp_path / "outside.arrow"
    shutil.move(dataset / "shard-00000.arrow", outside)
    os.symlink(outside, dataset / "shard-00000.arrow")
    with pytest.raises(ManifestError, match="outside the dataset directory"):
        first_row_of_shard(dataset, 0)


def test_a_missing_manifest_is_not_a_dataset(tmp_path):
    with pytest.raises(ManifestError, match="no manifest.json here"):
        TicketReader(str(tmp_path))


def test_rows_are_zero_copy_views_of_the_mapped_shard(dataset):
    reader = TicketReader(str(dataset))
    cols, i = reader.row(3)
    assert not cols.patches.flags.owndata and not cols.patches.flags.writeable
    assert cols.patches.base is not None and np.shares_memory(cols.patches, cols.patches[i])


@pytest.mark.parametrize("case", ["descending", "outside", "label"])
def test_values_a_hostile_writer_hashed_correctly_are_still_checked(tmp_path, case):
    """sha256 only proves the shard is the one the manifest names; the values are checked too."""
    from support.writer import make_meta, write_dataset

    meta = make_meta(16, 4, 3, 4)
    positions = np.tile(np.array([1, 2, 3, 4], dtype=np.uint16), (6, 1))
    labels = [0] * 6
    if case == "descending":
        positions[4] = [1, 3, 2, 4]
    elif case == "outside":
        positions[5, 3] = 16
    else:
        labels[2] = 10
    d = write_dataset(tmp_path / case, meta, [f"x{i}" for i in range(6)], labels, np.zeros((6, 4, 48), np.uint8), positions, batch_rows=2)
    want = {"descending": "not strictly ascending", "outside": "outside the grid of 16", "label": r"label is outside \[0, 10\)"}[case]
    with pytest.raises(ShardError, match=rf"shard-00000\.arrow: .*{want}"):
        TicketDataset(str(d))[0]
