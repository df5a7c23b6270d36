"""state_dict() / load_state_dict(): a resumed epoch equals an uninterrupted one, and the state
is the TypeScript loader's (`dlth stream --resume` continues a Python state)."""
from __future__ import annotations

import itertools
import json

import pytest

from conftest import dlth_stream
from dlth import InputError, TicketIterable


def ids(ds):
    return [r["id"] for r in ds]


@pytest.mark.parametrize("cut", [0, 1, 23, 59, 60])
def test_resume_mid_epoch_equals_an_uninterrupted_epoch(ts_datasets, cut):
    opts = dict(seed=9, rank=1, world=2, block=16, flip=True)
    full = TicketIterable(ts_datasets["multi"], **opts)
    full.set_epoch(3)
    want = ids(full)
    first = TicketIterable(ts_datasets["multi"], **opts)
    first.set_epoch(3)
    head = [r["id"] for r in itertools.islice(iter(first), cut)]
    state = json.loads(json.dumps(first.state_dict()))  # through JSON, as a checkpoint would
    assert state["consumed"] == cut and state["epoch"] == 3
    resumed = TicketIterable(ts_datasets["multi"], **opts)
    resumed.load_state_dict(state)
    assert head + ids(resumed) == want
    resumed.set_epoch(4)
    assert len(ids(resumed)) == len(want), "the next epoch starts from its beginning"


def test_dlth_stream_resumes_from_a_python_state(ts_datasets, tmp_path):
    ds = TicketIterable(ts_datasets["multi"], seed=2, rank=0, world=3, shuffle="shard")
    ds.set_epoch(1)
    seq = ids(ds)
    state = ds.state_dict(consumed=14)
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    rest = [i for b in dlth_stream([ts_datasets["multi"]], "--seed", "2", "--rank", "0", "--world", "3", "--shuffle", "shard",
                                   "--epoch", "1", "--resume", str(path)) for i in b.column("id").to_pylist()]
    assert rest == seq[14:]


def test_a_state_of_another_order_is_refused(ts_datasets):
    ds = TicketIterable(ts_datasets["multi"], seed=1)
    state = ds.state_dict(consumed=3)
    other = TicketIterable(ts_datasets["multi"], seed=2)
    with pytest.raises(InputError, match="seed"):
        other.load_state_dict(state)
    with pytest.raises(InputError, match="consumed 999"):
        ds.load_state_dict({**state, "consumed": 999})
    with pytest.raises(InputError, match="version"):
        ds.load_state_dict({**state, "version": 2})
