"""Splitting an epoch's order among ranks at sample level, as the TypeScript loader does
(src/loader/partition.ts): each rank takes one contiguous slice of ⌊N/W⌋ or ⌈N/W⌉ samples.

- ``pad`` (default): a short slice repeats its own last samples, so every rank yields ⌈N/W⌉;
- ``drop``: every rank takes ⌊N/W⌋; the last N mod W samples of the order are skipped;
- ``exact``: nothing added or dropped (ranks may differ by one sample)."""
from __future__ import annotations

from typing import NamedTuple, Sequence, Union

import numpy as np

from .errors import InputError


class RankSlice(NamedTuple):
    start: int
    end: int
    pad: int


def _balanced(n: int, world: int, rank: int) -> tuple:
    return (rank * n) // world, ((rank + 1) * n) // world


def _pad(n: int, world: int, rank: int) -> RankSlice:
    start, end = _balanced(n, world, rank)
    return RankSlice(start, end, 0 if n == 0 else -(-n // world) - (end - start))


def _drop(n: int, world: int, rank: int) -> RankSlice:
    per = n // world
    return RankSlice(rank * per, (rank + 1) * per, 0)


def _exact(n: int, world: int, rank: int) -> RankSlice:
    start, end = _balanced(n, world, rank)
    return RankSlice(start, end, 0)


PARTITIONS = {"pad": _pad, "drop": _drop, "exact": _exact}


def check_rank(rank: int, world: int) -> None:
    if not isinstance(world, int) or world < 1:
        raise InputError(f"world size must be a positive integer, got {world!r}")
    if not isinstance(rank, int) or rank < 0 or rank >= world:
        raise InputError(f"rank must be an integer in [0, {world}), got {rank!r}")


def partition(mode: str, n: int, world: int, rank: int) -> RankSlice:
    if mode not in PARTITIONS:
        raise InputError(f"unknown partition {mode!r} (known: {', '.join(PARTITIONS)})")
    check_rank(rank, world)
    return PARTITIONS[mode](n, world, rank)


def rank_sequence(order: Union[Sequence[int], np.ndarray], s: RankSlice) -> np.ndarray:
    """The rank's samples (int64): its slice of ``order``, then its padding (repeating the slice's tail)."""
    order = np.asarray(order, dtype=np.int64)
    out = order[s.start:s.end]
    if s.pad <= 0:
        return out.copy()
    return np.concatenate((out, order[(s.end - s.pad + np.arange(s.pad)) % len(order)]))
