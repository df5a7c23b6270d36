"""Ticket datasets read as one, as the TypeScript loader reads them (src/loader/sources.ts):
manifests validated, geometry and views checked to agree, shards numbered globally (dataset 0's
first). Global sample g lives in the shard whose offset range holds it. With K views
(``meta["views"]``) a sample is an image: its K rows r·K … r·K + K − 1 of its shard, of which a
reader yields one (dlth.view_pick). Shards are opened lazily (each verified once per process) and
kept open in a small LRU."""
from __future__ import annotations

import bisect
import os
from collections import OrderedDict
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from .errors import InputError, ManifestError, ShardError
from .manifest import MANIFEST_FILE, Manifest, ShardEntry, canonical_json, parse_manifest
from .preprocessing import preprocessing_difference
from .shard import Columns, Shard
from .shuffle import shard_offsets
from .store import HttpStore, LocalStore, open_store
from .view_pick import describe_views, view_count

Location = Union[str, os.PathLike, LocalStore, HttpStore]
Store = Union[LocalStore, HttpStore]
GEOMETRY = ("k", "patchSize", "channels", "grid")


def open_manifest(store: Union[LocalStore, HttpStore], kind: Optional[str] = "tickets") -> Manifest:
    where = store.describe(MANIFEST_FILE)
    m = parse_manifest(store.read_manifest(), where)
    if kind is not None and m.kind != kind:
        raise ManifestError(f"dataset kind is {m.kind}, expected {kind}", where)
    return m


def _check_together(first_store: Store, first: Dict[str, Any], store: Store, meta: Dict[str, Any], allow_mixed: bool) -> None:
    """Geometry must agree; preprocessing too unless ``allow_mixed`` (as src/loader/sources.ts)."""
    for key in GEOMETRY:
        if meta[key] != first[key]:
            raise ManifestError(f"{key} is {meta[key]}, but the first dataset ({first_store.location}) has {first[key]}; "
                                "datasets read together must agree on k, patch size, channels and grid", store.describe(MANIFEST_FILE))
    if meta.get("views") != first.get("views"):
        raise InputError(f"has {describe_views(meta.get('views'))}, but the first dataset ({first_store.location}) has "
                         f"{describe_views(first.get('views'))}: datasets read together must hold the same views", store.describe(MANIFEST_FILE))
    diff = None if allow_mixed else preprocessing_difference(first, meta)
    if diff is not None:
        raise InputError(f"{store.location} and {first_store.location} were preprocessed differently ({diff}): their pixels are not "
                         "comparable and would share one normalisation; rebuild one with the other's preprocessing (materialize --scores), "
                         "or pass allow_mixed_preprocessing=True", store.describe(MANIFEST_FILE))


class TicketReader:
    """Random and sequential access to the rows of one or more ticket datasets.

    ``locations``: directories or http(s) URLs (or one of them). HTTP options (see HttpStore):
    ``cache_dir``, ``cache_limit`` (bytes), ``timeout``, ``min_bytes_per_sec``, ``deadline``
    (seconds), ``headers``. ``max_open_shards`` bounds the shards kept mapped at once.

    Datasets read together must agree on geometry (k, patch size, channels, grid: ManifestError)
    and on preprocessing (image size, mean/std, resize, crop, resampling: InputError, see
    dlth.preprocessing) unless ``allow_mixed_preprocessing``; then each is normalised with its
    own mean/std (``metas[d]``; ``dataset_of(g)`` says which dataset a row is from)."""

    def __init__(self, locations: Union[Location, Sequence[Location]], *, max_open_shards: int = 64,
                 allow_mixed_preprocessing: bool = False, **http: Any):
        if isinstance(locations, (str, os.PathLike, LocalStore, HttpStore)):
            locations = [locations]
        if len(locations) == 0:
            raise InputError("no dataset given")
        self.stores = [open_store(loc, **http) for loc in locations]
        self.manifests = [open_manifest(s) for s in self.stores]
        for store, m in zip(self.stores[1:], self.manifests[1:]):
            _check_together(self.stores[0], self.manifests[0].meta, store, m.meta, allow_mixed_preprocessing)
        self.meta: Dict[str, Any] = self.manifests[0].meta
        self.metas: List[Dict[str, Any]] = [m.meta for m in self.manifests]
        self.shards: List[Tuple[int, ShardEntry]] = [(d, e) for d, m in enumerate(self.manifests) for e in m.shards]
        #: K: rows (views) per sample; 1 without views. ``shard_rows`` and ``rows`` count samples (rows / K).
        self.views = view_count(self.meta)
        self.shard_rows = [e.rows // self.views for _, e in self.shards]
        self.offsets = shard_offsets(self.shard_rows)
        self.rows = self.offsets[-1]
        if self.rows > 2**32 - 1:
            raise InputError(f"{self.rows} rows in total exceed the loader's 2^32 − 1")
        self.fingerprints = [m.fingerprint for m in self.manifests]
        self._meta_json = [canonical_json(m.meta) for m in self.manifests]
        self.max_open = max(1, max_open_shards)
        self._open: "OrderedDict[int, Shard]" = OrderedDict()

    @property
    def k(self) -> int:
        return self.meta["k"]

    def shard(self, s: int) -> Shard:
        """Global shard ``s``, opened (and verified) on first use."""
        sh = self._open.get(s)
        if sh is not None:
            self._open.move_to_end(s)
            return sh
        sh = self._open_shard(*self.shards[s])
        self._open[s] = sh
        while len(self._open) > self.max_open:
            self._open.popitem(last=False)[1].close()
        return sh

    def _open_shard(self, d: int, entry: ShardEntry) -> Shard:
        store = self.stores[d]
        for again in (False, True):
            path, known_good = store.shard_file(entry)
            try:
                return Shard(path, entry, self.manifests[d].meta, store.describe(entry.file), known_good, self._meta_json[d])
            except ShardError:
                # A cache file another process evicted between its hand-over and its mapping: fetch it again, once.
                if again or os.path.exists(path):
                    raise
        raise AssertionError("unreachable")

    def locate(self, g: int) -> Tuple[int, int]:
        """(global shard, sample within it) of global sample ``g`` (its rows are sample·K … sample·K + K − 1)."""
        if not 0 <= g < self.rows:
            raise IndexError(f"row {g} is outside the dataset's {self.rows} rows")
        s = bisect.bisect_right(self.offsets, g) - 1
        while self.shard_rows[s] == 0:  # empty shards share their offset with the next one
            s += 1
        return s, g - self.offsets[s]

    def dataset_of(self, g: int) -> int:
        """The index (in ``locations``) of the dataset global sample ``g`` comes from."""
        return self.shards[self.locate(g)[0]][0]

    def row(self, g: int, view: int = 0) -> Tuple[Columns, int]:
        """The record batch (numpy views) holding view ``view`` of global sample ``g`` and its index within it."""
        s, r = self.locate(g)
        return self.shard(s).locate(r * self.views + view)

    def batches(self) -> Iterator[Columns]:
        """Every record batch in stored order (shards of dataset 0 first)."""
        for s in range(len(self.shards)):
            yield from self.shard(s).batches

    def close(self) -> None:
        """Drops the open shards (they are reopened, without hashing again, when next used)."""
        for sh in self._open.values():
            sh.close()
        self._open.clear()

    def __getstate__(self) -> Dict[str, Any]:
        state = self.__dict__.copy()
        state["_open"] = OrderedDict()  # workers and pickles reopen shards (mappings do not travel)
        return state
