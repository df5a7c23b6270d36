"""Seeded randomness, bit-identical to the TypeScript loader's (src/loader/rng.ts): a murmur3
finaliser to mix integers into 32-bit keys, sfc32 as the generator, and Fisher–Yates shuffles.
All arithmetic is on unsigned 32-bit integers.

A shuffle of an epoch (a million rows and more) is computed in bulk: the generator's outputs in one
tight loop (``Rng.fill``; sfc32 has no jump-ahead, so its stream is sequential), then with numpy
the bounded draws with their rare rejections (``accepted_draws``) and the effect of all the swaps
(``swap_sources``). The result is the one of drawing and swapping one step at a time, as the
TypeScript loader does (python/tests/test_order_bulk.py keeps that implementation as reference).

When the package's C extension ``dlth._order`` (dlth/_order.c, built by ``pip install`` where a C
compiler is present) imports, ``Rng.fill``, ``below_many`` and ``shuffle_windows`` run their loops
in it instead, one draw and one swap at a time, with the same results; ``DLTH_PURE_PYTHON=1`` in
the environment at import time forces the pure path. ``EXTENSION`` is the module in use, or None."""
from __future__ import annotations

import os
from array import array
from types import ModuleType
from typing import Any, Callable, List, MutableSequence, Optional, Sequence, Union

import numpy as np

M32 = 0xFFFFFFFF


def _load_extension() -> Optional[ModuleType]:
    if os.environ.get("DLTH_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from . import _order  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _order


#: The compiled loops (dlth._order) when built and not disabled, else None (tests set it to None
#: to run the pure path).
EXTENSION: Optional[ModuleType] = _load_extension()

#: Purposes (salts), so that two decisions with the same (seed, epoch) are independent.
SALT_SHARD_ORDER = 1
SALT_ROWS = 2
SALT_BLOCK = 3
SALT_FLIP = 4
SALT_SUBSET = 5
#: Picking a view of a dataset with K views (src/views/pick.ts); 20 draws a view's crop when scoring (TypeScript only).
SALT_VIEW = 19


def mix32(h: int) -> int:
    """Finaliser of murmur3: a bijective 32-bit mix."""
    h &= M32
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    h ^= h >> 16
    return h


def hash_ints(*values: int) -> int:
    """Combines non-negative integers (each below 2^53) into one 32-bit key."""
    h = 0x9E3779B9
    for v in values:
        lo = v & M32
        hi = (v >> 32) & M32
        h = mix32(h ^ mix32(lo + 0x6A09E667))
        h = mix32(h ^ mix32(hi + 0xBB67AE85))
    return h


def hash_string(s: str) -> int:
    """FNV-1a over the UTF-16 code units of ``s``, then mixed."""
    h = 0x811C9DC5
    data = s.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(data), 2):
        h ^= data[i] | (data[i + 1] << 8)
        h = (h * 0x01000193) & M32
    return mix32(h)


class Rng:
    """sfc32: a 32-bit PRNG with a 128-bit state, seeded from one 32-bit key."""

    __slots__ = ("a", "b", "c", "d")

    def __init__(self, key: int):
        self.a = mix32(key ^ 0x243F6A88)
        self.b = mix32(key ^ 0x85A308D3)
        self.c = mix32(key ^ 0x13198A2E)
        self.d = 1
        for _ in range(12):
            self.next()

    def next(self) -> int:
        """A uniform 32-bit unsigned integer."""
        a, b, c, d = self.a, self.b, self.c, self.d
        t = (a + b + d) & M32
        self.d = (d + 1) & M32
        self.a = b ^ (b >> 9)
        self.b = (c + (c << 3)) & M32
        self.c = ((((c << 21) | (c >> 11)) & M32) + t) & M32
        return t

    def below(self, n: int) -> int:
        """A uniform integer in [0, n), n ≤ 2^32, without modulo bias."""
        limit = 0x100000000 - (0x100000000 % n)
        while True:
            x = self.next()
            if x < limit:
                return x % n

    def state(self) -> tuple:
        """(a, b, c, d), as Python ints."""
        return int(self.a), int(self.b), int(self.c), int(self.d)

    def fill(self, count: int) -> np.ndarray:
        """The next ``count`` outputs (uint32), as ``count`` calls of ``next`` would return them.
        The loop keeps only what the recurrence needs: the counter is the loop variable (its
        wrap-around at 2^32 and the output's are applied once, by the final cast), and each output
        is stored unmasked (below 2^34) in a machine array."""
        if count < 0:
            raise ValueError(f"fill: count must be non-negative, got {count}")
        if EXTENSION is not None:
            out = np.empty(count, dtype=np.uint32)
            self.a, self.b, self.c, self.d = EXTENSION.fill(self.state(), out)
            return out
        a, b, c, d0 = self.a, self.b, self.c, self.d
        out = array("Q")
        put = out.append
        for d in range(d0, d0 + count):
            t = a + b + d
            a = b ^ (b >> 9)
            b = (c * 9) & M32
            c = ((c << 21 | c >> 11) + t) & M32
            put(t)
        self.a, self.b, self.c, self.d = a, b, c, (d0 + count) & M32
        return np.frombuffer(out, dtype=np.uint64).astype(np.uint32) if count else np.zeros(0, np.uint32)


def accepted_draws(rng: Rng, steps: int, bound: Callable[[int], int], max_bound: int) -> np.ndarray:
    """The outputs that ``steps`` successive ``rng.below(bound(s))`` calls (s = 0 … steps − 1) keep,
    one per step (uint32; the result of step s is ``out[s] % bound(s)``), drawn in bulk with
    ``Rng.fill``. An output x is rejected for bound n when x ≥ 2^32 − (2^32 mod n), which needs
    x ≥ 2^32 − max_bound (rare: probability below n / 2^32); only those candidates are walked, one
    by one, each rejection moving the outputs after it to the next step. The generator ends where
    the calls would leave it."""
    x = rng.fill(steps)
    if max_bound <= 1:
        return x
    floor = 0x100000000 - max_bound
    parts, rejected, walked = [x], [], 0
    while True:
        part = parts[-1]
        for q in (np.flatnonzero(part >= floor) + walked).tolist():
            n = bound(q - len(rejected))  # the step this output is drawn for
            if int(part[q - walked]) >= 0x100000000 - (0x100000000 % n):
                rejected.append(q)
        walked += len(part)
        missing = steps + len(rejected) - walked
        if missing == 0:
            break
        parts.append(rng.fill(missing))
    if not rejected:
        return x
    return np.delete(np.concatenate(parts), rejected)


def below_many(rng: Rng, ns: Union[Sequence[int], np.ndarray]) -> np.ndarray:
    """``[rng.below(n) for n in ns]`` (int64), drawn in bulk (``accepted_draws``)."""
    n = np.asarray(ns, dtype=np.int64)
    if len(n) and (int(n.min()) < 1 or int(n.max()) > 0x100000000):
        raise ValueError("below: every bound must be in [1, 2^32]")
    if EXTENSION is not None:
        out = np.empty(len(n), dtype=np.int64)
        rng.a, rng.b, rng.c, rng.d = EXTENSION.below_many(rng.state(), np.ascontiguousarray(n), out)
        return out
    x = accepted_draws(rng, len(n), lambda s: int(n[s]), int(n.max()) if len(n) else 1)
    return (x.astype(np.int64) % n).astype(np.int64)


def swap_sources(J: np.ndarray) -> np.ndarray:
    """Where each position's final value comes from (``result = a[P]``) after the swaps
    ``a[p] ↔ a[J[p]]`` (J[p] ≤ p) applied for p = len − 1 down to 0, computed without applying them.

    A position p is written for the last time by its own swap, with what position x = J[p] held
    just before it. That is the original a[x], unless an earlier swap q > p also had J[q] = x: the
    last of them (the smallest such q, the next after p in x's group: ``succ``) left there what q
    held just before its own swap. What a position q held just before its swap is again a[q], unless
    a swap q' > q had J[q'] = q; the last of them is the first member of q's group above q (``up``).
    Following ``up`` ends at the position whose original value it is; the chains are short
    (logarithmic), resolved by pointer doubling."""
    size = len(J)
    if size < 2:
        return np.arange(size, dtype=np.int64)
    itype = np.int32 if size < 2**31 else np.int64
    q = np.arange(size, dtype=itype)
    bits = (size - 1).bit_length()
    keys = (J.astype(np.int64) << bits) | q
    keys.sort()  # by J, then by position: each group ascending
    sq = (keys & ((1 << bits) - 1)).astype(itype)
    sj = (keys >> bits).astype(itype)
    head = np.empty(size, dtype=bool)
    head[0] = True
    np.not_equal(sj[1:], sj[:-1], out=head[1:])
    succ = np.empty(size, dtype=itype)
    succ[sq[:-1]] = np.where(head[1:], -1, sq[1:])
    succ[sq[-1]] = -1
    first = np.full(size, -1, dtype=itype)
    first[sj[head]] = sq[head]
    up = np.where(J == q, succ, first)
    root = np.where(up >= 0, up, q)
    live = np.flatnonzero(up >= 0)
    while len(live):
        at = root[live]
        nxt = root[at]
        root[live] = nxt
        live = live[nxt != at]
    return np.where(succ >= 0, root[succ], J)


#: Windows are resolved in groups of about this many positions (a longer window alone): the
#: scattered reads and writes of ``swap_sources`` then stay within the core's cache.
CHUNK = 1 << 16


def shuffle_windows(a: np.ndarray, bounds: Union[Sequence[int], np.ndarray], rng: Rng) -> np.ndarray:
    """A copy of ``a`` with each window ``[bounds[w], bounds[w + 1])`` Fisher–Yates shuffled, window
    after window, from one generator: what ``shuffle_range`` on each window in turn gives.

    Window w (start s, length m) takes m − 1 draws, for its positions s + m − 1 down to s + 1: the
    draw for position s + u is the (m − 1 − u)-th of the window, bounded by u + 1."""
    b = np.ascontiguousarray(bounds, dtype=np.int64)
    out = np.array(a, copy=True)
    if len(b) and (int(b[0]) < 0 or int(b[-1]) > len(out) or bool(np.any(np.diff(b) < 0))):
        raise ValueError("shuffle_windows: bounds must be non-decreasing within [0, len(a)]")
    if EXTENSION is not None:
        return _shuffle_windows_compiled(out, b, rng)
    if len(b) < 2 or int(b[-1]) - int(b[0]) < 2:
        return out
    lo = int(b[0])
    starts, lengths = b[:-1] - lo, np.diff(b)
    steps = np.maximum(lengths - 1, 0)
    base = np.cumsum(steps) - steps  # the window's first step
    total = int(steps.sum())
    if total == 0:
        return out

    def bound(step: int) -> int:
        w = int(np.searchsorted(base, step, side="right")) - 1
        while steps[w] == 0:  # windows without steps share their base with the next one
            w += 1
        return int(lengths[w] - (step - base[w]))

    x = accepted_draws(rng, total, bound, int(lengths.max()))
    # Draw index of position p in window w: base + (m − 1 − u) = (base + s + m − 1) − p.
    last_draw = base + starts + lengths - 1
    group = (starts + lengths - 1) // CHUNK  # by the window's last position
    cuts = np.concatenate(([0], np.flatnonzero(np.diff(group)) + 1, [len(lengths)])).tolist()
    for w0, w1 in zip(cuts, cuts[1:]):
        s0, e1 = int(starts[w0]), int(starts[w1 - 1] + lengths[w1 - 1])
        if e1 - s0 < 2:
            continue
        itype = np.int32 if e1 - s0 < 2**31 else np.int64
        m = lengths[w0:w1]
        p = np.arange(e1 - s0, dtype=itype)
        start = np.repeat((starts[w0:w1] - s0).astype(itype), m)
        u = p - start
        draw = np.repeat((last_draw[w0:w1] - s0).astype(itype), m) - p
        np.minimum(draw, total - 1, out=draw)  # a window's start has no draw (J = p), nor does a window of one
        J = np.where(u == 0, p, start + (x[draw] % (u + 1).astype(np.uint32)).astype(itype))
        seg = out[lo + s0:lo + e1]
        seg[:] = seg[swap_sources(J)]
    return out


def _shuffle_windows_compiled(out: np.ndarray, b: np.ndarray, rng: Rng) -> np.ndarray:
    """``shuffle_windows`` by dlth._order: on ``out`` itself when it is a 1-D int64 array, else
    through the positions' permutation."""
    assert EXTENSION is not None
    if out.dtype == np.int64 and out.ndim == 1:
        rng.a, rng.b, rng.c, rng.d = EXTENSION.shuffle_windows(rng.state(), out, b)
        return out
    src = np.arange(len(out), dtype=np.int64)
    rng.a, rng.b, rng.c, rng.d = EXTENSION.shuffle_windows(rng.state(), src, b)
    return out[src]


def shuffle_range(a: MutableSequence[Any], start: int, end: int, rng: Rng) -> None:
    """Fisher–Yates shuffle of ``a[start:end]`` in place (a list or a numpy array)."""
    if end - start < 2:
        return
    src = shuffle_windows(np.arange(end - start, dtype=np.int64), [0, end - start], rng)
    part = a[start:end]
    a[start:end] = part[src] if isinstance(a, np.ndarray) else [part[i] for i in src.tolist()]


def permutation_array(n: int, rng: Rng) -> np.ndarray:
    """The permutation 0 … n−1, shuffled (int64)."""
    return shuffle_windows(np.arange(n, dtype=np.int64), [0, n], rng)


def permutation(n: int, rng: Rng) -> List[int]:
    """The permutation 0 … n−1, shuffled."""
    return permutation_array(n, rng).tolist()
