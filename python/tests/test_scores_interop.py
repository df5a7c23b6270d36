"""A multi-rate EViT score dataset written by dlth (the committed golden fixture) reads in Python as
the format specifies (schemas/README.md §3.2): the manifest parses and its fingerprint checks, and
the shards hold ``scores``/``rank`` for ``rates[0]`` and ``scores_r<r>``/``rank_r<r>`` for each
further rate, then ``content``; every rank row is a permutation of the grid."""
from pathlib import Path

import numpy as np
import pyarrow.ipc as ipc

from dlth.manifest import parse_manifest

GOLDEN = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "golden" / "scores"


def test_multi_rate_scores_read_as_specified():
    m = parse_manifest((GOLDEN / "manifest.json").read_bytes(), str(GOLDEN / "manifest.json"))
    rates = m.meta["rates"]
    assert rates == m.meta["selector"]["params"]["rate"] == [0.7, 0.9]
    n = m.meta["grid"][0] * m.meta["grid"][1]
    further = [f"{c}_r{r}" for r in rates[1:] for c in ("scores", "rank")]
    rows = 0
    for s in m.shards:
        with ipc.open_stream((GOLDEN / s.file).read_bytes()) as reader:
            t = reader.read_all()
        assert t.column_names == ["id", "label", "scores", "rank", *further, "content"]
        for name in ("rank", *further[1::2]):
            ranks = np.array(t.column(name).to_pylist(), dtype=np.int64)
            assert ranks.shape == (t.num_rows, n)
            assert (np.sort(ranks, axis=1) == np.arange(n)).all(), name
        rows += t.num_rows
    assert rows == m.rows
