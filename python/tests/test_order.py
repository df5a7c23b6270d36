"""TicketIterable yields exactly what `dlth stream` yields (the real CLI), for several seeds,
epochs, ranks, worlds, shuffles and partitions; ranks split at sample level."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import dlth_stream
from dlth import TicketIterable
from dlth.rng import Rng, hash_ints, hash_string, permutation

CASES = [
    # seed, epoch, rank, world, shuffle, block, partition, flip, limit
    (7, 0, 0, 1, "block", 2048, "pad", False, None),
    (7, 1, 1, 2, "block", 16, "pad", True, None),
    (3, 2, 2, 3, "shard", 2048, "exact", False, None),
    (0, 5, 3, 4, "none", 2048, "drop", False, None),
    (11, 3, 1, 3, "block", 30, "pad", True, 17),
]


def python_rows(locations, seed, epoch, rank, world, shuffle, block, partition, flip, limit):
    ds = TicketIterable(locations, seed=seed, shuffle=shuffle, block=block, partition=partition, rank=rank, world=world, flip=flip, limit=limit)
    ds.set_epoch(epoch)
    return list(ds)


def stream_args(seed, epoch, rank, world, shuffle, block, partition, flip, limit):
    args = ["--seed", str(seed), "--epoch", str(epoch), "--rank", str(rank), "--world", str(world), "--shuffle", shuffle,
            "--block", str(block), "--partition", partition, "--batch", "7"]
    return args + (["--flip"] if flip else []) + (["--limit", str(limit)] if limit is not None else [])


@pytest.mark.parametrize("case", CASES, ids=lambda c: "seed{}-epoch{}-rank{}of{}-{}-{}-{}{}".format(*c[:5], c[6], "flip" if c[7] else "", c[8] or ""))
def test_order_equals_dlth_stream(ts_datasets, case):
    locations = [ts_datasets["multi"], ts_datasets["one"]]
    batches = dlth_stream(locations, *stream_args(*case))
    rows = python_rows(locations, *case)
    k = 8
    assert [r["id"] for r in rows] == [i for b in batches for i in b.column("id").to_pylist()]
    assert [int(r["label"]) for r in rows] == [(-1 if v is None else v) for b in batches for v in b.column("label").to_pylist()]
    want_pos = np.concatenate([b.column("positions").flatten().to_numpy().reshape(-1, k) for b in batches])
    want_patches = np.concatenate([b.column("patches").flatten().flatten().to_numpy().reshape(-1, k, 48) for b in batches])
    assert np.array_equal(np.stack([r["positions"] for r in rows]), want_pos)
    assert np.array_equal(np.stack([r["patches"] for r in rows]), want_patches), "patch bytes (flipped where the loader flips)"


@pytest.mark.parametrize("world", [2, 3])
def test_one_shard_dataset_is_split_by_rows_and_balanced(ts_datasets, world):
    one = ts_datasets["one"]  # 50 rows, one shard
    per_rank = [[r["id"] for r in TicketIterable(one, rank=r, world=world, partition="exact", seed=5)] for r in range(world)]
    sizes = [len(ids) for ids in per_rank]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) > 0, sizes
    assert sorted(i for ids in per_rank for i in ids) == sorted(r["id"] for r in TicketIterable(one, shuffle="none"))
    padded = [len(TicketIterable(one, rank=r, world=world, seed=5)) for r in range(world)]
    assert padded == [-(-50 // world)] * world, "pad: equal counts, so DDP ranks take the same number of steps"
    last = world - 1
    assert per_rank[last] == [b for b in [i for x in dlth_stream([one], "--seed", "5", "--rank", str(last), "--world", str(world), "--partition", "exact")
                                           for i in x.column("id").to_pylist()]]


def test_rng_golden_values_match_the_typescript_loader():
    """Values printed by src/loader/rng.ts (sfc32, mix32-based hashing, Fisher–Yates)."""
    r = Rng(hash_ints(7, 3, 1))
    assert [r.next(), r.next(), r.below(10), r.below(1000)] == [2866771387, 686326902, 6, 777]
    assert hash_ints(2**40 + 5, 0, 9) == 1397195984
    assert hash_string("héllo😀") == 3757326888
    assert permutation(20, Rng(12345)) == [18, 9, 8, 16, 3, 10, 15, 12, 13, 1, 7, 2, 11, 17, 4, 5, 19, 0, 14, 6]


def test_dataloader_workers_split_a_rank_and_keep_its_order(ts_datasets):
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
    from torch.utils.data import DataLoader

    ds = TicketIterable(ts_datasets["multi"], seed=4, rank=1, world=2, batch_size=8)
    ds.set_epoch(2)
    want = [ds.reader.row(g)[0].ids[ds.reader.row(g)[1]] for g in ds.sequence()]
    got = [i for batch in DataLoader(ds, batch_size=8, num_workers=2, collate_fn=lambda xs: [x["id"] for x in xs]) for i in batch]
    assert got == want
    batch = next(iter(DataLoader(ds, batch_size=8, num_workers=0)))
    assert batch["patches"].dtype == torch.uint8 and tuple(batch["patches"].shape) == (8, 8, 48)
    assert batch["positions"].dtype == torch.int64


def test_per_epoch_subsets_equal_the_typescript_loaders(ts_datasets):
    """`subset` (a fresh random subset per sample and epoch) and flips, against TicketLoader."""
    import json
    import subprocess

    from conftest import NODE, ROOT

    script = ROOT / "python" / "tests" / "support" / "loader_rows.ts"
    for epoch in (0, 3):
        spec = {"locations": [ts_datasets["multi"]], "epoch": epoch, "options": {"seed": 6, "subset": 3, "flip": True, "world": 2, "rank": 1, "block": 40}}
        proc = subprocess.run([NODE, "--import", "tsx", str(script), json.dumps(spec)], cwd=ROOT, capture_output=True, timeout=300)
        assert proc.returncode == 0, proc.stderr.decode()
        want = json.loads(proc.stdout)
        ds = TicketIterable(ts_datasets["multi"], seed=6, subset=3, flip=True, world=2, rank=1, block=40)
        ds.set_epoch(epoch)
        rows = list(ds)
        assert [r["id"] for r in rows] == want["ids"]
        assert [r["positions"].tolist() for r in rows] == want["positions"]
        sums = [int((r["patches"].reshape(-1).astype(np.int64) * np.arange(1, r["patches"].size + 1)).sum() % 1_000_000_007) for r in rows]
        assert sums == want["patchSums"]


@pytest.mark.parametrize("opts", [dict(partition="pad", world=3, rank=2), dict(partition="drop", world=7, rank=6), dict(partition="exact", world=4, rank=3),
                                  dict(world=2, rank=1, limit=11), dict(world=3, rank=0, batch_size=16, drop_last_batch=True)])
def test_len_is_the_number_of_samples_yielded(ts_datasets, opts):
    ds = TicketIterable([ts_datasets["multi"], ts_datasets["one"]], seed=1, **opts)
    ds.set_epoch(2)
    assert len(ds) == len(list(ds)) == len(ds.sequence(5))
