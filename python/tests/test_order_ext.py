"""The compiled epoch order (dlth._order, python/dlth/_order.c) equals the pure-Python/numpy one
(dlth.rng with ``EXTENSION = None``) on many layouts, seeds, epochs, blocks and ranks, and rejects
bad arrays, states and bounds before writing anything. With ``DLTH_REQUIRE_EXT=1`` (set by .ci/run)
a missing extension is a failure instead of a skip: CI proves the compiled path was built and used.
(test_order_bulk.py checks whichever path is in use against the one-draw-one-swap reference.)"""
from __future__ import annotations

import importlib
import os

import numpy as np
import pytest

import dlth.rng
from dlth.partition import partition, rank_sequence
from dlth.rng import M32, Rng, below_many, permutation, shuffle_windows
from dlth.shuffle import shuffle_block, shuffle_shard

REQUIRED = os.environ.get("DLTH_REQUIRE_EXT") == "1"


def load_extension():
    try:
        return importlib.import_module("dlth._order")
    except ImportError as e:
        if REQUIRED:
            pytest.fail(f"DLTH_REQUIRE_EXT=1 but dlth._order does not import ({e}): run scripts/setup-python.sh")
        pytest.skip(f"dlth._order is not built ({e}); the pure path is in use")


@pytest.fixture
def ext():
    return load_extension()


def test_the_extension_is_built_and_used_where_required():
    if not REQUIRED:
        pytest.skip("DLTH_REQUIRE_EXT is not set")
    mod = load_extension()
    assert os.path.dirname(mod.__file__) == os.path.dirname(dlth.rng.__file__), "the extension beside the tested package"
    if os.environ.get("DLTH_PURE_PYTHON", "") in ("", "0"):
        assert dlth.rng.EXTENSION is mod, "dlth.rng must use the compiled loops when they are built"


def both(ext, monkeypatch, fn):
    """fn() with the compiled loops, then with the pure path: the results and the generator states."""
    out = []
    for mod in (ext, None):
        monkeypatch.setattr(dlth.rng, "EXTENSION", mod)
        out.append(fn())
    return out


def state(rng):
    return rng.a, rng.b, rng.c, rng.d


def random_layouts(count):
    g = np.random.default_rng(2024)
    for i in range(count):
        shards = int(g.integers(0, 40))
        rows = g.integers(0, 300, shards)
        rows[g.random(shards) < 0.15] = 0  # empty shards
        rows[g.random(shards) < 0.1] = 1  # one-row shards
        n = int(rows.sum())
        block = int(g.choice([1, 2, 3, int(g.integers(1, 5000)), max(n, 1), n + 1]))
        world = int(g.integers(1, 9))
        yield rows.tolist(), int(g.integers(0, 2**53)), int(g.integers(0, 1000)), block, world, int(g.integers(0, world))


EDGE_LAYOUTS = [([], 0, 0, 1, 1, 0), ([0], 1, 1, 1, 1, 0), ([1], 2, 3, 1, 2, 1), ([0, 1, 0], 5, 5, 2048, 3, 2),
                ([2], 9, 9, 1, 1, 0), ([3, 0, 3], 4, 4, 1, 4, 3), ([870] * 5 + [5], 7, 1, 2048, 8, 7)]


@pytest.mark.parametrize("layout", EDGE_LAYOUTS + list(random_layouts(60)),
                         ids=lambda c: f"{len(c[0])}shards-{sum(c[0])}rows-block{c[3]}-rank{c[5]}of{c[4]}")
def test_orders_equal_the_pure_path(layout, ext, monkeypatch):
    shard_rows, seed, epoch, block, world, rank = layout
    s = partition("pad", sum(shard_rows), world, rank)
    for shuffle in (shuffle_block, shuffle_shard):
        fast, pure = both(ext, monkeypatch, lambda: rank_sequence(shuffle(shard_rows, seed, epoch, block), s))
        assert fast.dtype == pure.dtype == np.int64
        assert fast.tolist() == pure.tolist(), shuffle.__name__


def test_a_full_shuffle_with_rejected_draws_equals_the_pure_path(ext, monkeypatch):
    """300,000 rows in one window (this seed rejects several outputs, see test_order_bulk.py)."""
    fast, pure = both(ext, monkeypatch, lambda: shuffle_block([1000] * 300, 3, 4, 300_000))
    assert np.array_equal(fast, pure)


def test_windows_and_the_generator_state_equal_the_pure_path(ext, monkeypatch):
    g = np.random.default_rng(5)
    a = g.integers(-10**12, 10**12, 700)
    for bounds in ([], [0], [700], [3, 3], [0, 700], [20, 20, 21, 50, 51, 53, 300, 480], list(range(0, 701, 7)),
                   list(range(0, 700)), [5, 6, 700]):
        def run():
            rng = Rng(41)
            return shuffle_windows(a, bounds, rng).tolist(), state(rng)
        fast, pure = both(ext, monkeypatch, run)
        assert fast == pure, bounds
    # Other element types go through the positions' permutation.
    for arr in (a.astype(np.float32), a.astype(np.uint32), np.arange(40).reshape(20, 2), list(range(30))):
        fast, pure = both(ext, monkeypatch, lambda: shuffle_windows(arr, [0, 7, 19], Rng(3)))
        assert fast.dtype == pure.dtype and fast.tolist() == pure.tolist()
    fast, pure = both(ext, monkeypatch, lambda: permutation(1000, Rng(1)))
    assert fast == pure


@pytest.mark.parametrize("seed", [0, 77])
def test_bounded_draws_near_2_32_equal_the_pure_path(seed, ext, monkeypatch):
    """Bounds near 2^32 reject up to half the outputs: many rejections, some in a row."""
    g = np.random.default_rng(seed)
    ns = np.concatenate([g.integers(1, 2**32 + 1, 2000), np.full(1000, 2**31 + 1), np.full(500, 3 * 2**30),
                         [1, 2, 2**32, 2**32 - 1, 2**32 - 2, 2**31, 2**31 - 1], g.integers(1, 10, 300)])
    g.shuffle(ns)

    def run():
        rng = Rng(seed)
        rng.d = M32 - 1000  # the counter wraps within the draws
        return below_many(rng, ns).tolist(), state(rng), below_many(rng, []).tolist(), state(rng)
    fast, pure = both(ext, monkeypatch, run)
    assert fast == pure
    slow = Rng(seed)
    slow.d = M32 - 1000
    assert fast[0] == [slow.below(int(n)) for n in ns] and fast[1] == state(slow)


def test_fill_equals_the_pure_path(ext, monkeypatch):
    def run():
        rng = Rng(9)
        rng.d = M32 - 2
        first, second = rng.fill(5), rng.fill(0)
        assert first.dtype == np.uint32 and first.flags.writeable
        return first.tolist(), second.tolist(), rng.fill(3000).tolist(), state(rng)
    fast, pure = both(ext, monkeypatch, run)
    assert fast == pure
    for mod in (ext, None):
        monkeypatch.setattr(dlth.rng, "EXTENSION", mod)
        with pytest.raises(ValueError, match="non-negative"):
            Rng(1).fill(-1)


def test_bad_bounds_are_rejected_by_both_paths(ext, monkeypatch):
    a = np.arange(10, dtype=np.int64)
    for mod in (ext, None):
        monkeypatch.setattr(dlth.rng, "EXTENSION", mod)
        for bounds in ([0, 11], [-1, 5], [0, 6, 5, 10]):
            rng = Rng(1)
            with pytest.raises(ValueError, match="bounds"):
                shuffle_windows(a, bounds, rng)
            assert state(rng) == state(Rng(1))
        with pytest.raises(ValueError, match="2\\^32"):
            below_many(Rng(1), [5, 2**32 + 1])


def test_the_extension_checks_its_inputs_before_writing(ext):
    st = state(Rng(1))
    data = np.arange(10, dtype=np.int64)
    bad_calls = [
        (TypeError, lambda: ext.shuffle_windows(st, data.astype(np.int32), np.array([0, 10]))),
        (TypeError, lambda: ext.shuffle_windows(st, data.astype(np.float64), np.array([0, 10]))),
        (TypeError, lambda: ext.shuffle_windows(st, data, np.array([0, 10], dtype=np.int32))),
        (TypeError, lambda: ext.shuffle_windows(st, np.zeros((2, 5), np.int64), np.array([0, 10]))),
        (Exception, lambda: ext.shuffle_windows(st, np.arange(20, dtype=np.int64)[::2], np.array([0, 10]))),
        (Exception, lambda: ext.shuffle_windows(st, bytes(80), np.array([0, 10]))),  # read-only
        (ValueError, lambda: ext.shuffle_windows(st, data, np.array([0, 11]))),
        (ValueError, lambda: ext.shuffle_windows(st, data, np.array([-1, 10]))),
        (ValueError, lambda: ext.shuffle_windows(st, data, np.array([0, 8, 4, 10]))),
        (ValueError, lambda: ext.shuffle_windows((1, 2, 3, 2**32), data, np.array([0, 10]))),
        (Exception, lambda: ext.shuffle_windows((1, 2, 3, -1), data, np.array([0, 10]))),
        (TypeError, lambda: ext.shuffle_windows((1, 2, 3), data, np.array([0, 10]))),
        (TypeError, lambda: ext.shuffle_windows([1, 2, 3, 4], data, np.array([0, 10]))),
        (ValueError, lambda: ext.below_many(st, np.array([3, 0]), np.zeros(2, np.int64))),
        (ValueError, lambda: ext.below_many(st, np.array([3, 2**32 + 1]), np.zeros(2, np.int64))),
        (ValueError, lambda: ext.below_many(st, np.array([3, 4]), np.zeros(3, np.int64))),
        (TypeError, lambda: ext.fill(st, np.zeros(4, np.int64))),
        (TypeError, lambda: ext.fill(st, np.zeros(4, np.uint16))),
    ]
    for i, (kind, call) in enumerate(bad_calls):
        with pytest.raises(kind):
            call()
        assert data.tolist() == list(range(10)), f"call {i} wrote before failing"
