"""http(s) datasets, against a local server on 127.0.0.1: Range downloads into a size-limited,
content-addressed cache; the same rows as the local directory; failures name the URL."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from dlth import IoError, ManifestError, ShardError, TicketDataset, TicketIterable
from dlth import store as store_module
from dlth.shard import _VERIFIED
from support.server import Server


@pytest.fixture()
def served(ts_datasets, tmp_path):
    root = tmp_path / "served"
    shutil.copytree(ts_datasets["multi"], root)
    server = Server(str(root))
    _VERIFIED.clear()
    yield root, server
    server.close()


def test_a_url_reads_the_same_rows_as_the_directory(served, tmp_path, monkeypatch):
    root, server = served
    monkeypatch.setattr(store_module, "RANGE_CHUNK", 1000)  # several Range requests per shard
    cache = tmp_path / "cache"
    remote = TicketIterable(server.url + "/ok/", seed=3, world=2, rank=1, block=20, flip=True, cache_dir=cache)
    local = TicketIterable(str(root), seed=3, world=2, rank=1, block=20, flip=True)
    got, want = list(remote), list(local)
    assert [r["id"] for r in got] == [r["id"] for r in want]
    assert all(np.array_equal(a["patches"], b["patches"]) for a, b in zip(got, want))
    ranges = [r for _, r in server.shard_requests()]
    assert ranges and all(r and r.startswith("bytes=") for r in ranges), "shards come in Range requests"
    touched = {remote.reader.locate(g)[0] for g in remote.sequence()}
    assert len(list((cache / "shards").glob("*.arrow"))) == len(touched) < 8, "only the shards of this rank's rows are fetched"
    before = len(server.shard_requests())
    again = TicketDataset(server.url + "/ok", cache_dir=cache)
    assert [again[g]["id"] for g in remote.sequence()] == [r["id"] for r in got]
    assert len(server.shard_requests()) == before, "a second reader uses the cache"


def test_the_cache_stays_under_its_limit(served, tmp_path):
    root, server = served
    biggest = max(p.stat().st_size for p in root.glob("*.arrow"))
    limit = 3 * biggest
    ds = TicketDataset(server.url + "/ok/", cache_dir=tmp_path / "c", cache_limit=limit, max_open_shards=1)
    ids = [ds[i]["id"] for i in range(len(ds))]
    assert len(ids) == 120
    assert sum(p.stat().st_size for p in (tmp_path / "c" / "shards").glob("*.arrow")) <= limit
    with pytest.raises(IoError, match="exceed the cache limit"):
        TicketDataset(server.url + "/ok/", cache_dir=tmp_path / "d", cache_limit=100)[0]


def test_a_server_without_range_support_works(ts_datasets, tmp_path):
    server = Server(ts_datasets["one"], ranges=False)
    try:
        ds = TicketDataset(server.url + "/plain/", cache_dir=tmp_path / "c")
        assert [ds[i]["id"] for i in range(3)] == [TicketDataset(ts_datasets["one"])[i]["id"] for i in range(3)]
    finally:
        server.close()


def test_a_corrupted_served_shard_is_rejected_naming_the_url(served, tmp_path):
    root, server = served
    path = root / "shard-00003.arrow"
    data = bytearray(path.read_bytes())
    data[100] ^= 1
    path.write_bytes(bytes(data))
    ds = TicketDataset(server.url + "/ok/", cache_dir=tmp_path / "c")
    with pytest.raises(ShardError, match=r"^http://127\.0\.0\.1:\d+/ok/shard-00003\.arrow: sha256"):
        ds[ds.reader.offsets[3]]
    assert not list((tmp_path / "c" / "shards").glob("*00003*")), "nothing unverified is cached"


def test_http_errors_name_the_url(served, tmp_path):
    _, server = served
    with pytest.raises(ManifestError, match=r"/nowhere/x/manifest\.json: HTTP 404.*not a dataset directory"):
        TicketDataset(server.url + "/nowhere/x/", cache_dir=tmp_path)
    with pytest.raises(ManifestError, match=r"HTTP 302.*not followed"):
        TicketDataset(server.url + "/redirect/", cache_dir=tmp_path)
    with pytest.raises(IoError, match=r"127\.0\.0\.1:1/manifest\.json: GET failed"):
        TicketDataset("http://127.0.0.1:1/", cache_dir=tmp_path, timeout=2)


def test_dataloader_workers_download_each_shard_once(served, tmp_path):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
    from torch.utils.data import DataLoader

    root, server = served
    ds = TicketIterable(server.url + "/ok/", seed=1, batch_size=4, cache_dir=tmp_path / "c")
    ids = [i for b in DataLoader(ds, batch_size=4, num_workers=2, collate_fn=lambda xs: [x["id"] for x in xs]) for i in b]
    assert ids == [r["id"] for r in TicketIterable(str(root), seed=1)]
    starts = [path for path, rng in server.shard_requests() if rng.startswith("bytes=0-")]
    assert sorted(starts) == sorted(set(starts)) and len(starts) == 8, "every shard downloaded once, by one of the workers"
