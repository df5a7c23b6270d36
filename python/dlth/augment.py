"""Per-sample, per-epoch randomness applied to sparse rows, keyed like the TypeScript loader's:
an exact horizontal flip (src/loader/augment/flip.ts) and a random subset of a row's patches
(src/loader/augment/subset.ts: the per-epoch random baseline over a ``full`` dataset; the subset
is drawn first, then the flip, as the loader does). Both are pure functions of
(seed, epoch, sample id), so every rank, worker and language draws the same."""
from __future__ import annotations

from typing import Tuple

import numpy as np

from .rng import SALT_FLIP, SALT_SUBSET, Rng, hash_ints, hash_string


def should_flip(seed: int, epoch: int, sample_id: str) -> bool:
    """A fair coin keyed by (seed, epoch, id)."""
    return (hash_ints(seed, epoch, SALT_FLIP, hash_string(sample_id)) & 0x80000000) != 0


def flip_row(patches: np.ndarray, positions: np.ndarray, scores: np.ndarray, grid_width: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The horizontal mirror of a row (new arrays): a patch at (r, c) moves to (r, G_w−1−c) with its
    pixels mirrored; positions stay ascending. ``patches`` is [k, p, p, C]."""
    pos = positions.astype(np.int64)
    flipped = (pos // grid_width) * grid_width + (grid_width - 1 - pos % grid_width)
    order = np.argsort(flipped, kind="stable")
    return patches[order, :, ::-1, :], flipped[order].astype(positions.dtype), scores[order]


def subset_indices(seed: int, epoch: int, sample_id: str, k: int, keep: int) -> np.ndarray:
    """``keep`` of a row's ``k`` patch slots, uniformly at random, ascending: a partial Fisher–Yates
    (``j = i + below(k − i)``, swap, for i < keep) from sfc32 keyed by
    hash_ints(seed, epoch, 5, hash_string(id))."""
    rng = Rng(hash_ints(seed, epoch, SALT_SUBSET, hash_string(sample_id)))
    a = list(range(k))
    for i in range(keep):
        j = i + rng.below(k - i)
        a[i], a[j] = a[j], a[i]
    return np.array(sorted(a[:keep]), dtype=np.int64)
