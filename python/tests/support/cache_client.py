"""Another process reading a served dataset through a shared cache (test_cache.py):
``python cache_client.py URL CACHE_DIR CACHE_LIMIT first|forward|backward``; prints the ids read."""
from __future__ import annotations

import sys

from dlth import TicketDataset


def main(url: str, cache: str, limit: str, order: str) -> None:
    ds = TicketDataset(url, cache_dir=cache, cache_limit=int(limit), max_open_shards=1)
    rows = {"first": [0], "forward": range(len(ds)), "backward": range(len(ds) - 1, -1, -1)}[order]
    print(" ".join(ds[i]["id"] for i in rows))


if __name__ == "__main__":
    main(*sys.argv[1:])
