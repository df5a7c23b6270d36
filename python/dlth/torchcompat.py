"""torch is optional: the datasets subclass torch's Dataset classes when torch is installed (so
DataLoader treats them right), plain objects otherwise."""
from __future__ import annotations

import warnings
from typing import Optional, Tuple

try:
    import torch.distributed as _dist
    from torch.utils.data import Dataset as MapBase
    from torch.utils.data import IterableDataset as IterBase
    from torch.utils.data import get_worker_info as _worker_info

    HAVE_TORCH = True
    # Rows are read-only views of memory-mapped shards; default_collate copies them into the batch
    # tensor (torch.stack), so torch's warning about wrapping a read-only array does not apply.
    warnings.filterwarnings("ignore", message="The given NumPy array is not writable", category=UserWarning)
except ImportError:  # pragma: no cover - exercised where torch is absent
    MapBase = object  # type: ignore[misc,assignment]
    IterBase = object  # type: ignore[misc,assignment]
    _dist = None
    _worker_info = None
    HAVE_TORCH = False


def dist_rank_world() -> Optional[Tuple[int, int]]:
    """(rank, world) from an initialised torch.distributed process group, else None."""
    if _dist is not None and _dist.is_available() and _dist.is_initialized():
        return _dist.get_rank(), _dist.get_world_size()
    return None


def worker() -> Tuple[int, int]:
    """(worker id, number of workers) of the current DataLoader worker, (0, 1) outside one."""
    info = _worker_info() if _worker_info is not None else None
    return (info.id, info.num_workers) if info is not None else (0, 1)
