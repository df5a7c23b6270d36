"""The epoch order, as the TypeScript loader computes it (src/loader/shuffle/): a shuffle sees only
shard sizes and returns a permutation of the global sample indices (shards of all datasets
concatenated, dataset 0 first). Registry: ``none``, ``shard`` (MosaicML's py1s), ``block`` (py1b)."""
from __future__ import annotations

from typing import Callable, Dict, List, Sequence

from .errors import InputError
from .rng import SALT_BLOCK, SALT_ROWS, SALT_SHARD_ORDER, Rng, hash_ints, permutation, shuffle_range

ShuffleFn = Callable[[Sequence[int], int, int, int], List[int]]


def shard_offsets(shard_rows: Sequence[int]) -> List[int]:
    """Start offset of each shard in the concatenated index space (shards + 1 entries)."""
    out = [0]
    for r in shard_rows:
        out.append(out[-1] + r)
    return out


def concat_shards(shard_rows: Sequence[int], order: Sequence[int]) -> List[int]:
    offsets = shard_offsets(shard_rows)
    out: List[int] = []
    for s in order:
        out.extend(range(offsets[s], offsets[s] + shard_rows[s]))
    return out


def shuffle_none(shard_rows: Sequence[int], seed: int, epoch: int, block: int) -> List[int]:
    """The stored order, every epoch."""
    return list(range(sum(shard_rows)))


def shuffle_shard(shard_rows: Sequence[int], seed: int, epoch: int, block: int) -> List[int]:
    """A seeded shard order, then each shard's rows permuted on their own."""
    shard_order = permutation(len(shard_rows), Rng(hash_ints(seed, epoch, SALT_SHARD_ORDER)))
    out = concat_shards(shard_rows, shard_order)
    rng = Rng(hash_ints(seed, epoch, SALT_ROWS))
    at = 0
    for s in shard_order:
        shuffle_range(out, at, at + shard_rows[s], rng)
        at += shard_rows[s]
    return out


def shuffle_block(shard_rows: Sequence[int], seed: int, epoch: int, block: int) -> List[int]:
    """A seeded shard order, concatenated, then windows of ``block`` positions shuffled (the first
    window shorter by a seeded offset, so boundaries move between epochs)."""
    if not isinstance(block, int) or block < 1:
        raise InputError(f"shuffle block must be a positive integer, got {block!r}")
    shard_order = permutation(len(shard_rows), Rng(hash_ints(seed, epoch, SALT_SHARD_ORDER)))
    out = concat_shards(shard_rows, shard_order)
    rng = Rng(hash_ints(seed, epoch, SALT_BLOCK))
    n = len(out)
    start = 0
    end = n if block >= n else rng.below(block) + 1
    while start < n:
        shuffle_range(out, start, end, rng)
        start = end
        end = min(n, start + block)
    return out


SHUFFLES: Dict[str, ShuffleFn] = {"none": shuffle_none, "shard": shuffle_shard, "block": shuffle_block}


def get_shuffle(name: str) -> ShuffleFn:
    if name not in SHUFFLES:
        raise InputError(f"unknown shuffle {name!r} (known: {', '.join(SHUFFLES)})")
    return SHUFFLES[name]
