"""The epoch order, as the TypeScript loader computes it (src/loader/shuffle/): a shuffle sees only
shard sizes and returns a permutation of the global sample indices (shards of all datasets
concatenated, dataset 0 first), as an int64 numpy array. Registry: ``none``, ``shard`` (MosaicML's
py1s), ``block`` (py1b)."""
from __future__ import annotations

from typing import Callable, Dict, Sequence

import numpy as np

from .errors import InputError
from .rng import SALT_BLOCK, SALT_ROWS, SALT_SHARD_ORDER, Rng, hash_ints, permutation_array, shuffle_windows

ShuffleFn = Callable[[Sequence[int], int, int, int], np.ndarray]


def shard_offsets(shard_rows: Sequence[int]) -> np.ndarray:
    """Start offset of each shard in the concatenated index space (shards + 1 entries)."""
    return np.concatenate(([0], np.cumsum(np.asarray(shard_rows, dtype=np.int64))))


def concat_shards(shard_rows: Sequence[int], order: Sequence[int]) -> np.ndarray:
    """The rows of the shards in ``order``, one after another."""
    rows = np.asarray(shard_rows, dtype=np.int64)
    order = np.asarray(order, dtype=np.int64)
    lengths = rows[order]
    total = int(lengths.sum())
    # Position p of the output, in the k-th shard of the order, holds offset(shard) + (p − start of k).
    shift = shard_offsets(shard_rows)[order] - (np.cumsum(lengths) - lengths)
    return np.arange(total, dtype=np.int64) + np.repeat(shift, lengths)


def shuffle_none(shard_rows: Sequence[int], seed: int, epoch: int, block: int) -> np.ndarray:
    """The stored order, every epoch."""
    return np.arange(sum(shard_rows), dtype=np.int64)


def shuffle_shard(shard_rows: Sequence[int], seed: int, epoch: int, block: int) -> np.ndarray:
    """A seeded shard order, then each shard's rows permuted on their own."""
    shard_order = permutation_array(len(shard_rows), Rng(hash_ints(seed, epoch, SALT_SHARD_ORDER)))
    out = concat_shards(shard_rows, shard_order)
    bounds = np.concatenate(([0], np.cumsum(np.asarray(shard_rows, dtype=np.int64)[shard_order])))
    return shuffle_windows(out, bounds, Rng(hash_ints(seed, epoch, SALT_ROWS)))


def shuffle_block(shard_rows: Sequence[int], seed: int, epoch: int, block: int) -> np.ndarray:
    """A seeded shard order, concatenated, then windows of ``block`` positions shuffled (the first
    window shorter by a seeded offset, so boundaries move between epochs)."""
    if not isinstance(block, int) or block < 1:
        raise InputError(f"shuffle block must be a positive integer, got {block!r}")
    shard_order = permutation_array(len(shard_rows), Rng(hash_ints(seed, epoch, SALT_SHARD_ORDER)))
    out = concat_shards(shard_rows, shard_order)
    rng = Rng(hash_ints(seed, epoch, SALT_BLOCK))
    n = len(out)
    first = n if block >= n else rng.below(block) + 1
    bounds = np.concatenate(([0], np.arange(first, n, block, dtype=np.int64), [n])) if n else np.zeros(1, np.int64)
    return shuffle_windows(out, bounds, rng)


SHUFFLES: Dict[str, ShuffleFn] = {"none": shuffle_none, "shard": shuffle_shard, "block": shuffle_block}


def get_shuffle(name: str) -> ShuffleFn:
    if name not in SHUFFLES:
        raise InputError(f"unknown shuffle {name!r} (known: {', '.join(SHUFFLES)})")
    return SHUFFLES[name]
