"""Datasets with K views (``meta["views"]``): the Python reader picks, per (seed, epoch, sample), the
view the TypeScript loader and ``dlth stream`` pick, byte for byte. The rule is pinned by the golden
file both languages check (test/fixtures/views/golden.json, written by test/fixtures/views/make.ts),
then checked live: TicketIterable against the real ``dlth stream`` (its ``view`` column) and against
the TypeScript loader's batches, on datasets written by the TypeScript writer."""
from __future__ import annotations

import base64
import json
import subprocess

import numpy as np
import pytest

from conftest import NODE, ROOT, dlth_stream, make_ts_datasets
from dlth import TicketDataset, TicketIterable
from dlth.errors import InputError, ShardError
from dlth.view_pick import pick_view

K = 4
GOLDEN = json.loads((ROOT / "test/fixtures/views/golden.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def views_datasets(tmp_path_factory):
    """'a': 40 images of K = 4 views in several shards; 'b': 13 images, same views; 'plain': no views;
    'swapped': K = 4 with rows 5 and 6 exchanged (image 1's views 1 and 2: a broken order)."""
    base = tmp_path_factory.mktemp("views")
    common = {"image": 16, "patch": 4, "channels": 3, "k": 8}
    specs = [
        {"dir": str(base / "a"), **common, "rows": 40, "shardBytes": 8000, "seed": 1, "prefix": "a", "views": K},
        {"dir": str(base / "b"), **common, "rows": 13, "shardBytes": 1 << 20, "seed": 2, "prefix": "b", "views": K},
        {"dir": str(base / "plain"), **common, "rows": 10, "shardBytes": 1 << 20, "seed": 3, "prefix": "p"},
        {"dir": str(base / "swapped"), **common, "rows": 4, "shardBytes": 1 << 20, "seed": 4, "prefix": "s", "views": K, "swap": 5},
    ]
    make_ts_datasets(specs)
    return {s["dir"].rsplit("/", 1)[1]: s["dir"] for s in specs}


def test_picks_equal_the_golden_file():
    assert len(GOLDEN["picks"]) > 200
    for p in GOLDEN["picks"]:
        assert pick_view(p["seed"], p["epoch"], p["id"], p["count"], p["fixed"]) == p["view"], p


CASES = [
    # seed, epoch, rank, world, shuffle, view_index
    (0, 0, 0, 1, "block", None),
    (7, 3, 1, 2, "block", None),
    (3, 1, 2, 3, "shard", None),
    (5, 2, 0, 1, "none", 0),
    (5, 2, 0, 1, "none", 3),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "seed{}-epoch{}-rank{}of{}-{}-view{}".format(*c))
def test_views_equal_dlth_stream_and_the_typescript_loader(views_datasets, case):
    seed, epoch, rank, world, shuffle, view_index = case
    locations = [views_datasets["a"], views_datasets["b"]]
    it = TicketIterable(locations, seed=seed, rank=rank, world=world, shuffle=shuffle, block=16, batch_size=7, view_index=view_index)
    it.set_epoch(epoch)
    rows = list(it)
    assert {r["view"] for r in rows} <= ({view_index} if view_index is not None else set(range(1, K)))
    args = ["--seed", str(seed), "--epoch", str(epoch), "--rank", str(rank), "--world", str(world), "--shuffle", shuffle,
            "--block", "16", "--batch", "7"] + ([] if view_index is None else ["--view-index", str(view_index)])
    batches = dlth_stream(locations, *args)
    assert [r["id"] for r in rows] == [i for b in batches for i in b.column("id").to_pylist()]
    assert [r["view"] for r in rows] == [v for b in batches for v in b.column("view").to_pylist()]
    want = np.concatenate([b.column("patches").flatten().flatten().to_numpy().reshape(-1, 8, 48) for b in batches])
    assert np.array_equal(np.stack([r["patches"] for r in rows]), want), "each row holds its view's patches"
    spec = {"locations": locations, "epoch": epoch, "options": {"seed": seed, "rank": rank, "world": world, "shuffle": shuffle, "block": 16,
                                                               "batchSize": 7, **({} if view_index is None else {"viewIndex": view_index})}}
    proc = subprocess.run([NODE, "--import", "tsx", str(ROOT / "python/tests/support/loader_batches.ts"), json.dumps(spec)], cwd=ROOT, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    ts = json.loads(proc.stdout)
    assert [r["view"] for r in rows] == [v for b in ts for v in b["views"]]
    assert [r["id"] for r in rows] == [i for b in ts for i in b["ids"]]
    ts_patches = np.frombuffer(b"".join(base64.b64decode(b["patches"]) for b in ts), np.uint8).reshape(-1, 8, 48)
    assert np.array_equal(np.stack([r["patches"] for r in rows]).reshape(-1, 8, 48), ts_patches)


def test_a_sample_is_an_image_and_its_view_is_redrawn_per_epoch(views_datasets):
    ds = TicketDataset(views_datasets["a"], seed=2)
    assert len(ds) == 40
    ids = [ds[i]["id"] for i in range(len(ds))]
    assert ids == sorted(set(ids)), "one sample per image, in stored order"
    first = [ds[i]["view"] for i in range(len(ds))]
    assert first == [pick_view(2, 0, i, K) for i in ids]
    ds.set_epoch(1)
    assert [ds[i]["view"] for i in range(len(ds))] == [pick_view(2, 1, i, K) for i in ids] != first
    plain = TicketDataset(views_datasets["a"], view_index=0)
    assert {plain[i]["view"] for i in range(len(plain))} == {0}
    assert "view" not in TicketDataset(views_datasets["plain"])[0], "datasets without views are read as before"


def test_bad_view_index_and_mixed_views_are_one_error_naming_the_dataset(views_datasets):
    with pytest.raises(InputError, match=r"/a: view index is 4, but the dataset holds views 0…3$"):
        TicketIterable(views_datasets["a"], view_index=4)
    with pytest.raises(InputError, match=r"/plain: view index is 1, but the dataset holds only view 0 \(no views: K = 1\)$"):
        TicketDataset(views_datasets["plain"], view_index=1)
    with pytest.raises(InputError, match=r"plain/manifest.json: has no views \(K = 1\), but the first dataset \(.*/a\) has K = 4 .*: datasets read together must hold the same views$"):
        TicketIterable([views_datasets["a"], views_datasets["plain"]])


def test_a_broken_view_order_is_refused_naming_the_shard(views_datasets):
    ds = TicketDataset(views_datasets["swapped"], view_index=1)
    with pytest.raises(ShardError, match=r"swapped/shard-00000\.arrow: row 5 has view 2, expected 1: each image's rows are its views 0…3 in order$"):
        ds[1]
