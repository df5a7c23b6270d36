"""Turning a global sample index into a sparse sample: the row's numpy views (of the view
dlth.view_pick picks, in datasets with views), then the seeded per-epoch transforms (a random subset of the row's patches, an exact horizontal flip, then the
token augmentations' colour jitter and erasing, token_augment.py), in the order the TypeScript
loader applies them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from .augment import flip_row, should_flip, subset_indices
from .errors import ShardError, ViewError
from .reader import TicketReader
from .token_augment import TokenAugment
from .view_pick import pick_view


@dataclass(frozen=True)
class Transforms:
    """``subset``: keep this many of each row's patches, redrawn every epoch (for a ``full``
    dataset this is the paper's random baseline); ``flip``: exact random horizontal flips;
    ``augment``: colour jitter and token erasing (its mixing applies to batches: ``augment.mix``);
    ``view_index``: datasets with K views, always this view (0: the plain view), else a random one
    per epoch (dlth.view_pick)."""

    seed: int = 0
    flip: bool = False
    subset: Optional[int] = None
    augment: Optional[TokenAugment] = None
    view_index: Optional[int] = None

    def check(self, meta: Dict[str, Any]) -> None:
        if self.subset is not None and not 1 <= self.subset <= meta["k"]:
            raise ViewError(f"subset = {self.subset} must be in [1, k = {meta['k']}]")
        if self.augment is not None:
            self.augment.check(meta)

    def effective_meta(self, meta: Dict[str, Any]) -> Dict[str, Any]:
        return meta if self.subset is None else {**meta, "k": self.subset}


def sample(reader: TicketReader, g: int, epoch: int, t: Transforms) -> Dict[str, Any]:
    """Sample ``g`` (one of its views) after the transforms; ``dataset`` is the index of the dataset
    it comes from, ``view`` the view yielded (0 without views)."""
    s, r = reader.locate(g)
    shard, K = reader.shard(s), reader.views
    cols, i = shard.locate(r * K)
    sid, view = cols.ids[i], 0
    if K > 1:
        view = pick_view(t.seed, epoch, sid, K, t.view_index)
        cols, i = shard.locate(r * K + view)
        if cols.views is None or int(cols.views[i]) != view or cols.ids[i] != sid:
            raise ShardError(f"row {r * K + view} is not view {view} of {sid!r}", shard.where)
    patches, positions, scores = cols.patches[i], cols.positions[i], cols.scores[i]
    if t.subset is not None and t.subset < positions.shape[0]:
        keep = subset_indices(t.seed, epoch, sid, positions.shape[0], t.subset)
        patches, positions, scores = patches[keep], positions[keep], scores[keep]
    if t.flip and should_flip(t.seed, epoch, sid):
        patches, positions, scores = flip_row(patches, positions, scores, reader.meta["grid"][1])
    if t.augment is not None:
        patches = t.augment.row(patches, positions, sid, t.seed, epoch, reader.meta)
    return {"id": sid, "label": int(cols.labels[i]), "index": g, "dataset": reader.shards[s][0], "view": view,
            "patches": patches, "positions": positions, "scores": scores}
