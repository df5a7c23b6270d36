"""The bulk (numpy) epoch order equals the straightforward one: draws one at a time from sfc32 and
swaps one at a time, as src/loader/rng.ts and src/loader/shuffle/ do. The straightforward
implementation lives here, as the reference (the package kept it until the order went to numpy)."""
from __future__ import annotations

import numpy as np
import pytest

import dlth.rng
from dlth.partition import partition, rank_sequence
from dlth.rng import (M32, SALT_BLOCK, SALT_ROWS, SALT_SHARD_ORDER, Rng, below_many, hash_ints, permutation,
                      shuffle_range, shuffle_windows, swap_sources)
from dlth.shuffle import concat_shards, shuffle_block, shuffle_none, shuffle_shard


# --- the reference: one draw and one swap at a time ------------------------------------------

def ref_shuffle_range(a, start, end, rng):
    for i in range(end - 1, start, -1):
        j = start + rng.below(i - start + 1)
        a[i], a[j] = a[j], a[i]


def ref_permutation(n, rng):
    a = list(range(n))
    ref_shuffle_range(a, 0, n, rng)
    return a


def ref_concat(shard_rows, order):
    offsets = [0]
    for r in shard_rows:
        offsets.append(offsets[-1] + r)
    out = []
    for s in order:
        out.extend(range(offsets[s], offsets[s] + shard_rows[s]))
    return out


def ref_shuffle_shard(shard_rows, seed, epoch, block):
    shard_order = ref_permutation(len(shard_rows), Rng(hash_ints(seed, epoch, SALT_SHARD_ORDER)))
    out = ref_concat(shard_rows, shard_order)
    rng = Rng(hash_ints(seed, epoch, SALT_ROWS))
    at = 0
    for s in shard_order:
        ref_shuffle_range(out, at, at + shard_rows[s], rng)
        at += shard_rows[s]
    return out


def ref_shuffle_block(shard_rows, seed, epoch, block):
    shard_order = ref_permutation(len(shard_rows), Rng(hash_ints(seed, epoch, SALT_SHARD_ORDER)))
    out = ref_concat(shard_rows, shard_order)
    rng = Rng(hash_ints(seed, epoch, SALT_BLOCK))
    n = len(out)
    start = 0
    end = n if block >= n else rng.below(block) + 1
    while start < n:
        ref_shuffle_range(out, start, end, rng)
        start = end
        end = min(n, start + block)
    return out


def ref_rank_sequence(order, s):
    n = len(order)
    out = list(order[s.start:s.end])
    for j in range(s.pad):
        out.append(order[(s.end - s.pad + j) % n])
    return out


def state(rng):
    return rng.a, rng.b, rng.c, rng.d


# --- the tests -------------------------------------------------------------------------------

LAYOUTS = [
    [],
    [0],
    [1],
    [5],
    [50, 50, 50],
    [7, 0, 13, 1, 0, 29],  # empty shards, a one-row shard
    [100] * 12 + [37],
    [870] * 40 + [123],
]


@pytest.mark.parametrize("chunk", [dlth.rng.CHUNK, 5, 64], ids=lambda c: f"chunk{c}")
@pytest.mark.parametrize("shard_rows", LAYOUTS, ids=lambda r: f"{len(r)}shards-{sum(r)}rows")
@pytest.mark.parametrize("seed,epoch", [(0, 0), (7, 1), (12345, 9), (2**40 + 3, 2)])
def test_shuffles_equal_the_reference(shard_rows, seed, epoch, chunk, monkeypatch):
    """Also with windows resolved in small groups (``CHUNK``), so that groups of several windows,
    windows longer than a group and group edges inside a window all occur."""
    monkeypatch.setattr(dlth.rng, "CHUNK", chunk)
    n = sum(shard_rows)
    for block in sorted({1, 2, 3, 16, 100, 2048, max(n, 1), n + 5}):
        got = shuffle_block(shard_rows, seed, epoch, block)
        assert got.dtype == np.int64
        assert got.tolist() == ref_shuffle_block(shard_rows, seed, epoch, block), f"block {block}"
    assert shuffle_shard(shard_rows, seed, epoch, 2048).tolist() == ref_shuffle_shard(shard_rows, seed, epoch, 2048)
    assert shuffle_none(shard_rows, seed, epoch, 2048).tolist() == list(range(n))


def test_an_epoch_of_several_groups_equals_the_reference():
    shard_rows = [870] * 200 + [555]  # 174,555 rows: about three groups of 2^16 positions
    for block in (1000, 2048, 70000):
        assert shuffle_block(shard_rows, 5, 3, block).tolist() == ref_shuffle_block(shard_rows, 5, 3, block), block
    assert shuffle_shard(shard_rows, 5, 3, 2048).tolist() == ref_shuffle_shard(shard_rows, 5, 3, 2048)


def test_a_full_shuffle_with_rejected_draws_equals_the_reference():
    """One window of 300,000 rows: bounds up to 300,000 reject about one output in 30,000 (this
    seed and epoch reject several), the path the small layouts hardly take."""
    shard_rows = [1000] * 300
    n = sum(shard_rows)
    rng = Rng(hash_ints(3, 4, SALT_BLOCK))
    x = rng.fill(n)
    bounds = np.arange(n, 1, -1, dtype=np.uint64)
    rejected = int(np.count_nonzero(x[: n - 1] >= (2**32 - 2**32 % bounds)))
    assert rejected >= 2, "choose a seed whose full shuffle rejects outputs"
    assert shuffle_block(shard_rows, 3, 4, n).tolist() == ref_shuffle_block(shard_rows, 3, 4, n)


@pytest.mark.parametrize("seed", [1, 99])
def test_below_many_equals_below_one_at_a_time(seed):
    g = np.random.default_rng(seed)
    # Bounds near 2^32 reject up to half the outputs: many rejections, some in a row.
    ns = np.concatenate([g.integers(1, 2**32 + 1, 3000, dtype=np.uint64), np.full(2000, 3 * 2**30, np.uint64),
                         np.full(500, 2**31 + 1, np.uint64), g.integers(1, 10, 500, dtype=np.uint64),
                         np.array([1, 2**32, 2, 2**32 - 1], dtype=np.uint64)])
    g.shuffle(ns)
    fast, slow = Rng(seed), Rng(seed)
    assert below_many(fast, ns).tolist() == [slow.below(int(n)) for n in ns]
    assert state(fast) == state(slow)
    assert below_many(fast, []).tolist() == [] and state(fast) == state(slow)


def test_fill_equals_next_and_wraps_the_counter():
    fast, slow = Rng(5), Rng(5)
    assert fast.fill(0).tolist() == [] and state(fast) == state(slow)
    assert fast.fill(1000).tolist() == [slow.next() for _ in range(1000)]
    assert state(fast) == state(slow)
    fast.d = slow.d = M32 - 3  # the counter passes 2^32 within the next draws
    assert fast.fill(10).tolist() == [slow.next() for _ in range(10)]
    assert state(fast) == state(slow)


def test_swap_sources_equals_applying_the_swaps():
    g = np.random.default_rng(0)
    for size in (0, 1, 2, 3, 10, 1000, 20000):
        J = g.integers(0, np.arange(size) + 1) if size else np.zeros(0, np.int64)  # any J[p] ≤ p
        if size > 10:
            J[g.random(size) < 0.3] = 0  # long groups and chains
        a = list(range(size))
        for p in range(size - 1, -1, -1):
            j = int(J[p])
            a[p], a[j] = a[j], a[p]
        assert swap_sources(np.asarray(J, dtype=np.int64)).tolist() == a, size


def test_shuffle_windows_and_shuffle_range_equal_window_by_window():
    g = np.random.default_rng(3)
    a = g.integers(0, 1000, 500)
    bounds = [20, 20, 21, 50, 51, 53, 300, 480]  # empty and one-element windows, a tail left alone
    ref, rng_ref = a.tolist(), Rng(77)
    for s, e in zip(bounds, bounds[1:]):
        ref_shuffle_range(ref, s, e, rng_ref)
    rng = Rng(77)
    assert shuffle_windows(a, bounds, rng).tolist() == ref and state(rng) == state(rng_ref)
    as_list, rng = a.tolist(), Rng(8)
    ref, rng_ref = a.tolist(), Rng(8)
    shuffle_range(as_list, 10, 400, rng)
    ref_shuffle_range(ref, 10, 400, rng_ref)
    assert as_list == ref and state(rng) == state(rng_ref)
    as_array = a.copy()
    shuffle_range(as_array, 10, 400, Rng(8))
    assert as_array.tolist() == ref


@pytest.mark.parametrize("n", [0, 1, 2, 20, 500])
def test_permutation_equals_the_reference(n):
    assert permutation(n, Rng(n + 11)) == ref_permutation(n, Rng(n + 11))


def test_concat_shards_equals_the_reference():
    rows = [3, 0, 5, 1, 4]
    for order in ([0, 1, 2, 3, 4], [4, 2, 0, 3, 1], []):
        assert concat_shards(rows, order).tolist() == ref_concat(rows, order)


@pytest.mark.parametrize("mode", ["pad", "drop", "exact"])
@pytest.mark.parametrize("n,world", [(0, 1), (1, 3), (10, 3), (101, 7), (7, 7), (5, 8)])
def test_rank_sequence_equals_the_reference(mode, n, world):
    order = shuffle_block([n], 1, 2, 4)
    for rank in range(world):
        s = partition(mode, n, world, rank)
        got = rank_sequence(order, s)
        assert got.tolist() == ref_rank_sequence(order.tolist(), s)
        assert rank_sequence(order.tolist(), s).tolist() == got.tolist()
