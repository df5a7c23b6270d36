"""The two datasets a trainer uses.

``TicketDataset`` (map-style): ``ds[i]`` is global sample i (datasets concatenated, stored order;
one of its views in datasets with views), through a view; pair it with any sampler (e.g.
DistributedSampler).

``TicketIterable``: the TypeScript loader's epoch order — for the same seed, epoch, rank, world,
shuffle, block and partition it yields exactly the samples ``dlth stream`` yields, in the same
order (ranks split at sample level, equal counts with ``pad``/``drop``). DataLoader workers split
a rank's sequence further in chunks of ``batch_size`` taken round robin, which is the order in
which DataLoader returns their batches: pass the DataLoader's batch size and the batches equal the
loader's. ``state_dict()`` / ``load_state_dict()`` resume mid-epoch (the state is the TypeScript
loader's, so ``dlth stream --resume`` accepts it and vice versa)."""
from __future__ import annotations

from typing import Any, Dict, Iterator, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import InputError
from .partition import check_rank, partition, rank_sequence, PARTITIONS
from .reader import Location, TicketReader
from .sampling import Transforms, sample
from .shuffle import SHUFFLES, get_shuffle
from .token_augment import TokenAugment
from .torchcompat import IterBase, MapBase, dist_rank_world, worker
from .views import make_view
from .view_pick import check_view_index

STATE_VERSION = 1
ORDER_KEYS = ("datasets", "seed", "rank", "world", "shuffle", "block", "partition")
Locations = Union[Location, Sequence[Location]]


def _nonneg(name: str, v: Any, lo: int = 0) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise InputError(f"{name} must be an integer ≥ {lo}, got {v!r}")
    return v


class _Base:
    def _setup(self, locations: Locations, view: Any, view_options: Optional[Dict[str, Any]], seed: int,
               flip: bool, subset: Optional[int], augment: Optional[TokenAugment], reader_options: Dict[str, Any],
               view_index: Optional[int] = None) -> None:
        if augment is not None and not isinstance(augment, TokenAugment):
            raise InputError(f"augment must be a dlth.token_augment.TokenAugment, got {type(augment).__name__}")
        self.reader = TicketReader(locations, **reader_options)
        check_view_index(view_index, self.reader.views, self.reader.stores[0].location)
        self.transforms = Transforms(seed=_nonneg("seed", seed), flip=flip, subset=subset, augment=augment, view_index=view_index)
        self.transforms.check(self.reader.meta)
        # One view per dataset: each normalises with its own mean/std (they differ only where mixed preprocessing is allowed).
        self.views = [make_view(view, self.transforms.effective_meta(m), **(view_options or {})) for m in self.reader.metas]
        self.view = self.views[0]
        self.epoch = 0

    @property
    def meta(self) -> Dict[str, Any]:
        return self.reader.meta

    def set_epoch(self, epoch: int) -> None:
        """The epoch of the flips and subsets (and, for TicketIterable, of the order)."""
        self.epoch = _nonneg("epoch", epoch)

    def _item(self, g: int) -> Dict[str, Any]:
        s = sample(self.reader, g, self.epoch, self.transforms)
        out = self.views[s["dataset"]](s)
        out.setdefault("id", s["id"])
        if self.reader.views > 1:
            out.setdefault("view", s["view"])
        return out


class TicketDataset(_Base, MapBase):
    """Random access by row. ``view``: ``sparse`` | ``naflex`` | ``zero`` | ``packed`` | a callable;
    ``view_options`` e.g. ``{"max_patches": 256}`` for naflex; ``flip``, ``subset`` and ``augment``
    (a ``TokenAugment``: jitter and erasing per sample; mix collated ``sparse`` batches with
    ``augment.mix(batch, seed, epoch, meta)``) are redrawn per epoch (``set_epoch``). Datasets with
    K views: ``ds[i]`` is image i in one of its views, a random one per epoch (its ``view`` key says
    which) or always ``view_index`` (0: the plain view). Other keyword arguments go to TicketReader
    (HTTP cache and limits, ``allow_mixed_preprocessing``)."""

    def __init__(self, locations: Locations, view: Any = "sparse", *, view_options: Optional[Dict[str, Any]] = None,
                 seed: int = 0, flip: bool = False, subset: Optional[int] = None, augment: Optional[TokenAugment] = None,
                 view_index: Optional[int] = None, **reader_options: Any):
        self._setup(locations, view, view_options, seed, flip, subset, augment, reader_options, view_index)

    def __len__(self) -> int:
        return self.reader.rows

    def __getitem__(self, i: int) -> Dict[str, Any]:
        if i < 0:
            i += self.reader.rows
        return self._item(int(i))


class TicketIterable(_Base, IterBase):
    """The loader's order for one rank (see the module docstring). ``rank``/``world`` default to
    torch.distributed's when initialised, else 0/1. ``limit`` and ``drop_last_batch`` as in the
    TypeScript loader (``--limit``); ``augment`` and ``view_index`` as in TicketDataset (the view
    of each sample is the one ``dlth stream`` yields, or ``--view-index``'s)."""

    def __init__(self, locations: Locations, view: Any = "sparse", *, view_options: Optional[Dict[str, Any]] = None,
                 seed: int = 0, shuffle: str = "block", block: int = 2048, partition: str = "pad",
                 rank: Optional[int] = None, world: Optional[int] = None, flip: bool = False, subset: Optional[int] = None,
                 batch_size: int = 1, limit: Optional[int] = None, drop_last_batch: bool = False,
                 augment: Optional[TokenAugment] = None, view_index: Optional[int] = None, **reader_options: Any):
        get_shuffle(shuffle)
        if partition not in PARTITIONS:
            raise InputError(f"unknown partition {partition!r} (known: {', '.join(PARTITIONS)})")
        dist = dist_rank_world()
        self.rank = rank if rank is not None else (dist[0] if dist else 0)
        self.world = world if world is not None else (dist[1] if dist else 1)
        check_rank(self.rank, self.world)
        self.shuffle, self.block, self.partition = shuffle, _nonneg("block", block, 1), partition
        self.batch_size = _nonneg("batch_size", batch_size, 1)
        self.limit = None if limit is None else _nonneg("limit", limit)
        self.drop_last_batch = drop_last_batch
        self._setup(locations, view, view_options, seed, flip, subset, augment, reader_options, view_index)
        self._cache: Tuple[int, np.ndarray] = (-1, np.zeros(0, np.int64))
        self._resume: Optional[Tuple[int, int]] = None
        self.consumed = 0

    @property
    def seed(self) -> int:
        return self.transforms.seed

    def sequence(self, epoch: Optional[int] = None) -> np.ndarray:
        """This rank's global sample indices for ``epoch``, in yield order (an int64 array)."""
        epoch = self.epoch if epoch is None else epoch
        if self._cache[0] == epoch:
            return self._cache[1]
        order = SHUFFLES[self.shuffle](self.reader.shard_rows, self.seed, epoch, self.block)
        seq = rank_sequence(order, partition(self.partition, self.reader.rows, self.world, self.rank))
        if self.limit is not None and self.limit < len(seq):
            seq = seq[: self.limit]
        if self.drop_last_batch:
            seq = seq[: len(seq) - len(seq) % self.batch_size]
        self._cache = (epoch, seq)
        return seq

    def __len__(self) -> int:
        """Samples this rank yields per epoch (the same every epoch; computed without the order)."""
        s = partition(self.partition, self.reader.rows, self.world, self.rank)
        n = s.end - s.start + s.pad
        if self.limit is not None:
            n = min(n, self.limit)
        return n - n % self.batch_size if self.drop_last_batch else n

    def set_epoch(self, epoch: int) -> None:
        """The epoch of the order, flips and subsets. Computes the epoch's order here (about 0.3 µs
        per sample, 0.4 s for ImageNet-1k, most of it drawing sfc32's outputs one at a time: see
        bench/README.md, "Python epoch order"), so DataLoader workers forked afterwards inherit it.
        Workers must be forked per epoch (``persistent_workers=False``, the default): a persistent
        worker never sees a later ``set_epoch``."""
        super().set_epoch(epoch)
        self.sequence(epoch)

    @property
    def start(self) -> int:
        """Where the next iteration of this epoch starts: the resumed position after
        ``load_state_dict`` (for that state's epoch), else 0."""
        if self._resume is not None and self._resume[0] == self.epoch:
            return self._resume[1]
        return 0

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        seq = self.sequence()
        start = self.start
        self._resume = None
        self.consumed = start
        wid, workers = worker()
        B = self.batch_size
        for chunk in range(start + wid * B, len(seq), workers * B):
            for pos in range(chunk, min(chunk + B, len(seq))):
                item = self._item(int(seq[pos]))
                self.consumed = pos + 1
                yield item

    def _key(self) -> Dict[str, Any]:
        return {"datasets": list(self.reader.fingerprints), "seed": self.seed, "rank": self.rank, "world": self.world,
                "shuffle": self.shuffle, "block": self.block, "partition": self.partition}

    def state_dict(self, consumed: Optional[int] = None) -> Dict[str, Any]:
        """The loader state after ``consumed`` samples of this rank's epoch (default: what this
        process has yielded; with DataLoader workers pass the count the training loop consumed)."""
        n = self.consumed if consumed is None else _nonneg("consumed", consumed)
        return {"version": STATE_VERSION, **self._key(), "epoch": self.epoch, "consumed": n}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Continues from a saved state: sets the epoch; the next iteration starts at ``consumed``.
        A state of another order (datasets, seed, rank, world, shuffle, block, partition) is refused."""
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise InputError(f"unknown loader state version {state.get('version') if isinstance(state, dict) else state!r} (this reader knows {STATE_VERSION})")
        key = self._key()
        for f in ORDER_KEYS:
            if state.get(f) != key[f]:
                raise InputError(f"cannot resume: the saved loader state has {f} = {state.get(f)!r}, this dataset has {key[f]!r}")
        epoch, consumed = _nonneg("state epoch", state.get("epoch")), _nonneg("state consumed", state.get("consumed"))
        n = len(self.sequence(epoch))
        if consumed > n:
            raise InputError(f"cannot resume: the state has consumed {consumed} samples of an epoch of {n}")
        self.set_epoch(epoch)
        self._resume = (epoch, consumed)
        self.consumed = consumed
