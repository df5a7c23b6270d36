"""dlth: read dlth ticket datasets (Arrow shards + manifest.json) from Python.

- ``TicketReader``: verified (sha256 once per shard and process), zero-copy numpy access to rows
  of local or http(s) datasets;
- ``TicketDataset``: map-style, random access by row;
- ``TicketIterable``: the dlth loader's exact order, rank split, worker split and resume;
- views ``sparse``, ``naflex``, ``zero``, ``packed`` (see ``dlth.views``);
- datasets with K augmented views per image (``dlth score --views K``): one view per sample and
  epoch, the TypeScript loader's (``dlth.view_pick``), or a fixed ``view_index``."""
from .datasets import TicketDataset, TicketIterable
from .errors import DlthError, InputError, IoError, ManifestError, ShardError, ViewError
from .manifest import Manifest, ShardEntry, parse_manifest
from .reader import TicketReader
from .store import HttpStore, LocalStore
from .views import make_view, normalise_table
from .view_pick import pick_view

__all__ = [
    "TicketDataset", "TicketIterable", "TicketReader", "HttpStore", "LocalStore", "Manifest", "ShardEntry", "parse_manifest",
    "make_view", "normalise_table", "pick_view", "DlthError", "InputError", "IoError", "ManifestError", "ShardError", "ViewError",
]
__version__ = "0.1.0"
