"""The shard cache of http(s) datasets, shared by processes: a corrupted entry is fetched again, the
downloads of killed processes are swept, live downloads count against the limit, and processes
sharing one cache never take it over its limit together."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from dlth import ShardError, TicketDataset
from dlth.shard import _VERIFIED
from support.server import Server
from support.writer import image_dataset

PYTHON_DIR = Path(__file__).resolve().parents[1]
CLIENT = Path(__file__).parent / "support" / "cache_client.py"


def client(url: str, cache: Path, limit: int, order: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PYTHON_DIR)}
    return subprocess.Popen([sys.executable, str(CLIENT), url, str(cache), str(limit), order], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def cache_bytes(shards: Path) -> int:
    """What the cache directory holds now: shards and downloads (one directory listing)."""
    total = 0
    for name in os.listdir(shards) if shards.is_dir() else []:
        if name.endswith((".arrow", ".part")):
            try:
                total += os.stat(shards / name).st_size
            except FileNotFoundError:
                pass
    return total


class Monitor:
    """The most the cache directory held, sampled every millisecond in a thread."""

    def __init__(self, shards: Path):
        self.shards, self.most, self._stop = shards, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.most = max(self.most, cache_bytes(self.shards))
            time.sleep(0.001)

    def stop(self) -> int:
        self._stop.set()
        self.thread.join()
        return max(self.most, cache_bytes(self.shards))


def wait_for(condition, what: str, seconds: float = 30) -> None:
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture()
def two_shards(tmp_path):
    d, *_ = image_dataset(tmp_path / "ds", n=12, shard_rows=6)
    _VERIFIED.clear()
    return d


@pytest.mark.parametrize("damage", ["flipped byte", "truncated"])
def test_a_damaged_cached_shard_is_deleted_and_fetched_again(two_shards, tmp_path, damage):
    server = Server(str(two_shards))
    url, cache = server.url + "/ok/", tmp_path / "c"
    try:
        want = TicketDataset(str(two_shards))[0]["patches"]
        first = TicketDataset(url, cache_dir=cache)
        entry = first.reader.manifests[0].shards[0]
        first[0]
        cached = cache / "shards" / f"{entry.sha256}.arrow"
        data = bytearray(cached.read_bytes())
        data[len(data) // 2] ^= 1
        cached.write_bytes(bytes(data) if damage == "flipped byte" else bytes(data[:-10]))
        _VERIFIED.clear()  # as a later process
        fetched = len(server.shard_requests())
        assert np.array_equal(TicketDataset(url, cache_dir=cache)[0]["patches"], want)
    finally:
        server.close()
    assert len(server.shard_requests()) == fetched + 1, "fetched again, once"
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == entry.sha256


def test_a_corrupted_cache_entry_and_a_corrupted_server_name_both(two_shards, tmp_path):
    server = Server(str(two_shards))
    url, cache = server.url + "/ok/", tmp_path / "c"
    try:
        ds = TicketDataset(url, cache_dir=cache)
        entry = ds.reader.manifests[0].shards[0]
        ds[0]
        cached = cache / "shards" / f"{entry.sha256}.arrow"
        for path in (cached, two_shards / entry.file):  # the cached copy and the served file both go bad
            data = bytearray(path.read_bytes())
            data[100] ^= 1
            path.write_bytes(bytes(data))
        _VERIFIED.clear()
        with pytest.raises(ShardError) as err:
            TicketDataset(url, cache_dir=cache)[0]
    finally:
        server.close()
    assert err.value.file == f"{url}{entry.file}"
    assert err.value.reason.startswith("sha256 ") and "differs from the manifest's" in err.value.reason
    assert f"the cached copy {cached} failed verification (sha256" in err.value.reason
    assert not list((cache / "shards").glob("*.arrow")) and not list((cache / "shards").glob("*.part"))


def test_the_part_file_of_a_killed_download_is_swept(two_shards, tmp_path):
    stall = threading.Event()
    server = Server(str(two_shards), stall=stall)
    url, shards = server.url + "/ok/", tmp_path / "c" / "shards"
    try:
        proc = client(url, tmp_path / "c", 1 << 30, "first")
        wait_for(lambda: any(shards.glob("*.part")), "the download to start")
        proc.kill()
        proc.wait()
        stall.set()
        assert list(shards.glob("*.part")), "the killed download left its part"
        TicketDataset(url, cache_dir=tmp_path / "c")[6]  # another shard: the sweep runs on admission
    finally:
        server.close()
    assert not list(shards.glob("*.part"))


def test_a_live_download_of_another_process_counts_against_the_limit(two_shards, tmp_path):
    stall = threading.Event()
    server = Server(str(two_shards), stall=stall)
    url, shards = server.url + "/ok/", tmp_path / "c" / "shards"
    sizes = [p.stat().st_size for p in sorted(two_shards.glob("*.arrow"))]
    limit = sum(sizes) - 1  # room for one of the two shards, not both
    try:
        proc = client(url, tmp_path / "c", limit, "first")  # shard 0, stalled halfway
        wait_for(lambda: any(shards.glob("*.part")), "the download to start")
        monitor = Monitor(shards)
        threading.Timer(0.5, stall.set).start()  # the other process finishes meanwhile
        row = TicketDataset(url, cache_dir=tmp_path / "c", cache_limit=limit)[6]  # shard 1 waits for room
        out, err = proc.communicate(timeout=60)
        most = monitor.stop()
    finally:
        server.close()
    assert proc.returncode == 0, err.decode()
    assert row["id"] == "img0006" and out.split() == [b"img0000"]
    assert most <= limit, f"the cache held {most} bytes, its limit is {limit}"


def test_two_processes_sharing_a_cache_stay_under_its_limit(ts_datasets, tmp_path):
    root = tmp_path / "served"
    shutil.copytree(ts_datasets["multi"], root)
    server = Server(str(root), pause=0.03)  # downloads overlap
    shards = tmp_path / "c" / "shards"
    limit = 3 * max(p.stat().st_size for p in root.glob("*.arrow"))
    try:
        monitor = Monitor(shards)
        procs = [client(server.url + "/ok/", tmp_path / "c", limit, order) for order in ("forward", "backward", "forward")]
        results = [p.communicate(timeout=120) for p in procs]
        most = monitor.stop()
    finally:
        server.close()
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err.decode()
        assert len(out.split()) == 120
    assert most <= limit, f"the cache held {most} bytes, its limit is {limit}"
