"""Where a dataset's files come from: a local directory, or an http(s) base URL whose shards are
downloaded (in Range requests, streamed to disk) into a verified, content-addressed local cache
with a size limit (cache.py), under the request limits of http.py and the credentials of auth.py.
A store hands the reader a local file per shard; it never reads outside the dataset directory."""
from __future__ import annotations

import hashlib
import os
import re
import urllib.parse
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

from . import auth
from .cache import Part, ShardCache
from .errors import DlthError, IoError, ManifestError, ShardError
from .http import DEFAULT_MIN_BYTES_PER_SEC, DEFAULT_TIMEOUT, Body, HttpClient, HttpLimits
from .manifest import MANIFEST_FILE, MAX_MANIFEST_BYTES, SHARD_FILE, ShardEntry

DEFAULT_CACHE_LIMIT = 16 * 1024**3
RANGE_CHUNK = 8 * 1024**2
CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def is_url(location: str) -> bool:
    return location.lower().startswith(("http://", "https://"))


class LocalStore:
    """A dataset directory. Shard names must be plain names whose real path stays inside it."""

    def __init__(self, directory: Union[str, os.PathLike]):
        self.location = os.path.abspath(os.fspath(directory))
        self._root: Optional[str] = None

    def describe(self, name: str) -> str:
        return os.path.join(self.location, name)

    def _inside(self, name: str, error: type) -> str:
        path = self.describe(name)
        if name != MANIFEST_FILE and not SHARD_FILE.match(name):
            raise ManifestError(f"shard file name {name!r} is not a plain file name in the dataset directory", path)
        if self._root is None:
            self._root = os.path.realpath(self.location)
        root = self._root
        real = os.path.realpath(path)
        if not real.startswith(root + os.sep):
            raise ManifestError(f"file resolves outside the dataset directory ({real})", path)
        if not os.path.isfile(real):
            what = "no manifest.json here, not a dataset directory" if name == MANIFEST_FILE else "shard file is missing or not a regular file"
            raise error(what, path)
        return real

    def read_manifest(self) -> bytes:
        real = self._inside(MANIFEST_FILE, ManifestError)
        size = os.path.getsize(real)
        if size > MAX_MANIFEST_BYTES:
            raise ManifestError(f"{size} bytes is larger than the {MAX_MANIFEST_BYTES}-byte limit", self.describe(MANIFEST_FILE))
        with open(real, "rb") as f:
            return f.read()

    def shard_file(self, entry: ShardEntry) -> Tuple[str, bool]:
        """(local path, already hash-verified?) of a shard."""
        return self._inside(entry.file, ShardError), False


class HttpStore:
    """A served dataset directory. Shards are fetched whole in Range requests of 8 MiB (or in one
    response from a server that ignores Range), streamed to disk with their sha256 checked, and kept
    in ``cache_dir`` under their sha256; least recently used shards are evicted to keep the cache,
    downloads in progress included, under ``cache_limit`` bytes, across processes. Request limits:
    ``timeout``, ``min_bytes_per_sec``, ``deadline`` (see dlth.http); credentials: see dlth.auth."""

    def __init__(self, url: str, cache_dir: Optional[Union[str, os.PathLike]] = None, cache_limit: int = DEFAULT_CACHE_LIMIT,
                 timeout: float = DEFAULT_TIMEOUT, headers: Optional[Dict[str, str]] = None,
                 min_bytes_per_sec: float = DEFAULT_MIN_BYTES_PER_SEC, deadline: Optional[float] = None):
        try:
            parsed = urllib.parse.urlsplit(url if url.endswith("/") else url + "/")
            host = parsed.hostname
        except ValueError:
            raise ManifestError(f"not a valid URL: {auth.redact(url)!r}") from None
        if parsed.scheme not in ("http", "https") or not host:
            raise ManifestError(f"not an http(s) URL: {auth.redact(url)!r}")
        netloc, creds = auth.resolve(parsed)
        self._base = urllib.parse.urlunsplit((parsed.scheme, netloc, parsed.path, "", ""))
        shown = f"***@{netloc}" if creds is not None and creds.source == auth.FROM_URL else netloc
        self.location = urllib.parse.urlunsplit((parsed.scheme, shown, parsed.path, "", ""))
        default_cache = os.environ.get("DLTH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "dlth")
        self.cache = ShardCache(Path(cache_dir or default_cache) / "shards", cache_limit)
        self.cache_dir, self.cache_limit = self.cache.directory, cache_limit
        self.limits = HttpLimits(timeout, min_bytes_per_sec, deadline)
        self._client = HttpClient(self.limits, {**(creds.header() if creds else {}), **(headers or {})}, creds.source if creds else None)

    def __repr__(self) -> str:
        return f"HttpStore({self.location!r}, {self.cache!r})"

    def describe(self, name: str) -> str:
        """The URL of ``name`` as messages show it (credentials as ``***``)."""
        return urllib.parse.urljoin(self.location, urllib.parse.quote(name))

    def _get(self, name: str, error: type, on_404: str, byte_range: Optional[Tuple[int, int]] = None) -> Body:
        url = urllib.parse.urljoin(self._base, urllib.parse.quote(name))
        return self._client.get(url, self.describe(name), error, on_404, byte_range)

    def read_manifest(self) -> bytes:
        url = self.describe(MANIFEST_FILE)
        with self._get(MANIFEST_FILE, ManifestError, ": no manifest.json here, not a dataset directory") as body:
            declared = _content_length(body)
            if declared is not None and declared > MAX_MANIFEST_BYTES:
                raise ManifestError(f"{declared} bytes is larger than the {MAX_MANIFEST_BYTES}-byte limit", url)
            data = body.read_all(MAX_MANIFEST_BYTES)
        if len(data) > MAX_MANIFEST_BYTES:
            raise ManifestError(f"larger than the {MAX_MANIFEST_BYTES}-byte limit", url)
        return data

    def shard_file(self, entry: ShardEntry) -> Tuple[str, bool]:
        """(local path, already hash-verified?) of a shard: a verified cached copy, else downloaded.
        A cached copy that fails verification is deleted and fetched again (once)."""
        if not SHARD_FILE.match(entry.file):
            raise ManifestError(f"shard file name {entry.file!r} is not a plain file name", self.location)
        path, _ = self.cache.lookup(entry)
        if path is not None:
            return path, True
        if entry.bytes > self.cache_limit:
            raise IoError(f"the shard's {entry.bytes} bytes exceed the cache limit of {self.cache_limit} bytes", self.describe(entry.file))
        with self.cache.shard_lock(entry):  # one download per shard across processes (DataLoader workers)
            path, bad = self.cache.lookup(entry)
            if path is not None:
                return path, True
            if bad is not None:
                self.cache.drop(entry, bad)
            return self._fetch(entry, bad), True

    def _fetch(self, entry: ShardEntry, dropped: Optional[str]) -> str:
        url = self.describe(entry.file)
        try:
            with self.cache.admit(entry, url) as part:
                self._download(entry, part)
                return part.commit(self.cache.path(entry))
        except DlthError as err:
            if dropped is None:
                raise
            note = f"; before this download the cached copy {self.cache.path(entry)} failed verification ({dropped}) and was removed"
            raise type(err)(err.reason + note, err.file) from None

    def _download(self, entry: ShardEntry, part: Part) -> None:
        url = self.describe(entry.file)
        digest = hashlib.sha256()

        def sink(piece: bytes) -> None:
            digest.update(piece)
            part.write(piece)

        at = 0
        while at < entry.bytes:
            end = min(entry.bytes, at + RANGE_CHUNK) - 1
            with self._get(entry.file, ShardError, ": shard missing", (at, end)) as body:
                if body.status == 206:
                    stop = _range_answered(body, at, end, entry.bytes, url)
                    _copy(body, 0, stop - at + 1, sink, url, f"Range {at}-{stop}")
                    at = stop + 1
                else:  # 200: the server ignores Range and sends the whole file; skip what we have
                    _copy(body, at, entry.bytes - at, sink, url, f"the whole file ({entry.bytes} bytes in the manifest)")
                    at = entry.bytes
        if digest.hexdigest() != entry.sha256:
            raise ShardError(f"sha256 {digest.hexdigest()} differs from the manifest's {entry.sha256}", url)


def _content_length(body: Body) -> Optional[int]:
    raw = body.headers.get("content-length")
    return int(raw) if raw is not None and raw.isdigit() else None


def _range_answered(body: Body, at: int, end: int, size: int, url: str) -> int:
    """The last byte of a 206 response to Range ``at``-``end`` (a server may send less)."""
    m = CONTENT_RANGE.match(body.headers.get("content-range") or "")
    if m is None:
        raise ShardError(f"a 206 response without a valid Content-Range ({(body.headers.get('content-range') or '')[:80]!r})", url)
    start, stop, total = int(m.group(1)), int(m.group(2)), m.group(3)
    if total != "*" and int(total) != size:
        raise ShardError(f"the served file has {total} bytes, the manifest says {size}", url)
    if start != at or stop < start or stop > end:
        raise ShardError(f"asked for bytes {at}-{end}, the server sent {start}-{stop}", url)
    return stop


def _copy(body: Body, skip: int, count: int, sink, url: str, what: str) -> None:
    """Passes bytes ``skip`` .. ``skip + count`` of the body to ``sink``, a piece at a time; the
    body must end there."""
    seen = 0
    for piece in body.chunks():
        lo, hi = max(0, skip - seen), min(len(piece), skip + count - seen)
        seen += len(piece)
        if seen > skip + count:
            raise ShardError(f"the server sent more than {what}", url)
        if hi > lo:
            sink(piece[lo:hi] if (lo, hi) != (0, len(piece)) else piece)
    if seen < skip + count:
        raise ShardError(f"the body ended after {seen} bytes, {skip + count} expected for {what} (truncated on the server?)", url)


def open_store(location: Union[str, os.PathLike, LocalStore, HttpStore], **http) -> Union[LocalStore, HttpStore]:
    if isinstance(location, (LocalStore, HttpStore)):
        return location
    text = os.fspath(location)
    if is_url(text):
        return HttpStore(text, **http)
    scheme = URL_SCHEME.match(text)
    if scheme:  # not a directory name either: refuse it without echoing any credentials
        raise ManifestError(f"unsupported URL scheme {scheme.group(1)!r} in {auth.redact(text)!r} (http and https only)")
    return LocalStore(text)
