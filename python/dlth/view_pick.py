"""Which view of an image a reader yields, per (seed, epoch, sample), for datasets with K views
(``meta["views"]``, written by ``dlth score --views K``): the rule of the TypeScript loader and
``dlth stream`` (src/views/pick.ts), bit for bit.

- K = 1: view 0;
- a fixed ``view_index`` (0 is the plain view, for evaluation): that view;
- else ``1 + below(K − 1)`` of sfc32 keyed by ``hash_ints(seed, epoch, SALT_VIEW, hash_string(id))``:
  a random-resized-crop view, a new draw every epoch, never the plain view (timm's training
  transform never yields the centre crop either)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from .errors import InputError
from .rng import SALT_VIEW, Rng, hash_ints, hash_string


def view_count(meta: Dict[str, Any]) -> int:
    """K of a dataset: ``meta["views"]["count"]``, or 1."""
    return int(meta.get("views", {}).get("count", 1))


def pick_view(seed: int, epoch: int, sample_id: str, count: int, fixed: Optional[int] = None) -> int:
    """The view of sample ``sample_id`` in ``epoch`` among ``count`` (``fixed``: always that one)."""
    if fixed is not None:
        return fixed
    if count <= 1:
        return 0
    return 1 + Rng(hash_ints(seed, epoch, SALT_VIEW, hash_string(sample_id))).below(count - 1)


def check_view_index(index: Optional[int], count: int, where: str) -> None:
    """A fixed view index must be one of the dataset's views (InputError naming ``where``)."""
    if index is None:
        return
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        held = "only view 0 (no views: K = 1)" if count == 1 else f"views 0…{count - 1}"
        raise InputError(f"view index is {index!r}, but the dataset holds {held}", where)


def describe_views(views: Optional[Dict[str, Any]]) -> str:
    """A dataset's views as one line (as src/views/spec.ts describeViews)."""
    if not views:
        return "no views (K = 1)"
    r = lambda x: f"{round(x * 1000) / 1000:g}"  # noqa: E731
    return (f"K = {views['count']} (scale {r(views['scale'][0])}–{r(views['scale'][1])}, ratio {r(views['ratio'][0])}–"
            f"{r(views['ratio'][1])}, flip {views['flip']:g}, seed {views['seed']})")
