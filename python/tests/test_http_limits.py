"""What a misbehaving http server can do to a reader: protocol garbage, a trickled or stalled body,
trickled headers, Range ignored on a large shard. Every failure is a typed error with one line
naming the URL; every wait is bounded; memory does not grow with the shard."""
from __future__ import annotations

import hashlib
import threading
import time
import tracemalloc

import pytest

from dlth import DlthError, InputError, IoError, ShardError, TicketReader
from dlth.reader import open_manifest
from dlth.store import HttpStore
from support.server import RawServer, Server
from support.writer import image_dataset

CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
GARBAGE = {
    "status line": b"HELLO WORLD\r\n\r\n",
    "binary": b"\x00\xff\xfe\x80" * 64,
    "status code": b"HTTP/1.1 abc OK\r\n\r\n",
    "protocol": b"HTTP/9.9 200 OK\r\n\r\n",
    "too many headers": b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 150 + b"\r\n",
    "header line too long": b"HTTP/1.1 200 OK\r\nX-A: " + b"a" * 70000 + b"\r\n\r\n",
    "chunk size": CHUNKED + b"zz\r\nhello\r\n0\r\n\r\n",
    "chunk cut short": CHUNKED + b"100\r\nhello",
    "body shorter than Content-Length": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{}",
    "nothing": b"",
}


@pytest.mark.parametrize("case", list(GARBAGE))
def test_protocol_garbage_is_an_io_error_naming_the_url(case, tmp_path):
    server = RawServer(GARBAGE[case])
    try:
        with pytest.raises(DlthError) as err:
            TicketReader(server.url + "/ok/", cache_dir=tmp_path, timeout=5)
    finally:
        server.close()
    assert type(err.value) is IoError, f"{type(err.value).__name__}: {err.value}"
    text = str(err.value)
    assert text.startswith(f"{server.url}/ok/manifest.json: ") and "\n" not in text and len(text) < 400, text


def test_protocol_garbage_from_a_server_given_credentials_does_not_show_them(tmp_path):
    server = RawServer(GARBAGE["too many headers"])
    port = server.url.rsplit(":", 1)[1]
    try:
        with pytest.raises(IoError) as err:
            TicketReader(f"http://reader:s3cret@127.0.0.1:{port}/ok/", cache_dir=tmp_path, timeout=5)
    finally:
        server.close()
    assert str(err.value).startswith(f"http://***@127.0.0.1:{port}/ok/manifest.json: GET failed: not a valid HTTP response")
    assert "s3cret" not in str(err.value) and "s3cret" not in repr(err.value)


def test_a_trickling_body_fails_below_the_minimum_rate(ts_datasets, tmp_path):
    server = Server(ts_datasets["one"], trickle=0.02)  # 50 bytes/s
    started = time.monotonic()
    try:
        with pytest.raises(IoError, match=r"/ok/manifest\.json: transfer too slow: \d+ bytes in 0\.\d s \(.* minimum 1024\)$"):
            TicketReader(server.url + "/ok/", cache_dir=tmp_path, timeout=0.5)
    finally:
        server.close()
    assert time.monotonic() - started < 3


def test_the_deadline_ends_a_request_that_keeps_the_rate(ts_datasets, tmp_path):
    server = Server(ts_datasets["one"], trickle=0.01)
    started = time.monotonic()
    try:
        with pytest.raises(IoError, match=r"/ok/manifest\.json: over the 1 s deadline of the request while reading the body"):
            TicketReader(server.url + "/ok/", cache_dir=tmp_path, timeout=0.5, min_bytes_per_sec=0, deadline=1)
    finally:
        server.close()
    assert 0.9 < time.monotonic() - started < 3


def test_headers_trickled_a_byte_at_a_time_time_out(ts_datasets, tmp_path):
    server = Server(ts_datasets["one"], trickle_headers=0.05)
    started = time.monotonic()
    try:
        with pytest.raises(IoError, match=r"/ok/manifest\.json: GET failed: no response headers within 0\.5 s$"):
            TicketReader(server.url + "/ok/", cache_dir=tmp_path, timeout=0.5)
    finally:
        server.close()
    assert time.monotonic() - started < 3


def test_a_stalled_body_times_out_and_leaves_no_download_behind(ts_datasets, tmp_path):
    server = Server(ts_datasets["one"], stall=threading.Event())
    try:
        reader = TicketReader(server.url + "/ok/", cache_dir=tmp_path, timeout=0.5)
        with pytest.raises(IoError, match=r"/ok/shard-00000\.arrow: no data for 0\.5 s while reading the body \(\d+ bytes received\)$"):
            reader.row(0)
    finally:
        server.close()
    assert not list((tmp_path / "shards").glob("*.part")) and not list((tmp_path / "shards").glob("*.arrow"))


@pytest.mark.parametrize("bad", [{"timeout": 0}, {"timeout": float("nan")}, {"min_bytes_per_sec": -1}, {"deadline": 0}, {"deadline": "5"}])
def test_bad_limits_are_input_errors(bad):
    with pytest.raises(InputError):
        HttpStore("http://127.0.0.1:1/x/", **bad)


def test_a_server_ignoring_range_is_streamed_to_disk_in_bounded_memory(tmp_path):
    d, *_ = image_dataset(tmp_path / "big", n=1000, image=32, patch=4, k=64, shard_rows=1000)  # one shard of about 3 MB
    server = Server(str(d), ranges=False)
    try:
        store = HttpStore(server.url + "/plain/", cache_dir=tmp_path / "c")
        entry = open_manifest(store).shards[0]
        assert entry.bytes > 3_000_000
        tracemalloc.start()
        try:
            path, verified = store.shard_file(entry)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    finally:
        server.close()
    assert verified and hashlib.sha256(open(path, "rb").read()).hexdigest() == entry.sha256
    assert peak < 1_000_000, f"{peak} bytes allocated at peak for a {entry.bytes}-byte shard"
    assert len(server.shard_requests()) == 1, "the whole body of the first response is used, not fetched again"


def test_a_server_sending_more_than_the_manifest_says_is_refused(tmp_path):
    d, *_ = image_dataset(tmp_path / "ds", n=6, shard_rows=6)
    shard = d / "shard-00000.arrow"
    server = Server(str(d), ranges=False)
    try:
        reader = TicketReader(server.url + "/plain/", cache_dir=tmp_path / "c")
        shard.write_bytes(shard.read_bytes() + b"x" * 100)  # the served file grew after the manifest
        with pytest.raises(ShardError, match=r"/plain/shard-00000\.arrow: the server sent more than the whole file"):
            reader.row(0)
    finally:
        server.close()
