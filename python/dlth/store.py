"""Where a dataset's files come from: a local directory, or an http(s) base URL whose shards are
downloaded (in Range requests) into a content-addressed local cache with a size limit. A store
hands the reader a local file per shard; it never reads outside the dataset directory."""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

from .errors import IoError, ManifestError, ShardError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
from .manifest import MANIFEST_FILE, MAX_MANIFEST_BYTES, SHARD_FILE, ShardEntry

DEFAULT_CACHE_LIMIT = 16 * 1024**3
RANGE_CHUNK = 8 * 1024**2


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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401 - urllib's signature
        return None


class HttpStore:
    """A served dataset directory. Shards are fetched whole in Range requests of 8 MiB, their sha256
    checked while downloading, and kept in ``cache_dir`` under their sha256 (content-addressed, so
    never stale); least recently used shards are evicted to stay under ``cache_limit`` bytes."""

    def __init__(self, url: str, cache_dir: Optional[Union[str, os.PathLike]] = None, cache_limit: int = DEFAULT_CACHE_LIMIT,
                 timeout: float = 30.0, headers: Optional[Dict[str, str]] = None):
        parsed = urllib.parse.urlsplit(url if url.endswith("/") else url + "/")
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ManifestError(f"not an http(s) URL: {url!r}")
        self.location = urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, parsed.path, "", ""))
        default_cache = os.environ.get("DLTH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "dlth")
        self.cache_dir = Path(cache_dir or default_cache) / "shards"
        self.cache_limit = cache_limit
        self.timeout = timeout
        self.headers = dict(headers or {})
        self._opener = urllib.request.build_opener(_NoRedirect)

    def describe(self, name: str) -> str:
        return urllib.parse.urljoin(self.location, urllib.parse.quote(name))

    def _get(self, name: str, error: type, byte_range: Optional[Tuple[int, int]] = None):
        url = self.describe(name)
        headers = {"Accept-Encoding": "identity", **self.headers}
        if byte_range:
            headers["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        try:
            resp = self._opener.open(urllib.request.Request(url, headers=headers), timeout=self.timeout)
        except urllib.error.HTTPError as err:
            where = f" (redirect to {err.headers.get('location')!r}; not followed)" if 300 <= err.code < 400 else ""
            missing = {MANIFEST_FILE: ": no manifest.json here, not a dataset directory"}.get(name, ": shard missing") if err.code == 404 else ""
            raise error(f"HTTP {err.code} {err.reason}{where}{missing}", url) from None
        except (urllib.error.URLError, OSError) as err:
            raise IoError(f"GET failed: {getattr(err, 'reason', err)}", url) from None
        encoding = resp.headers.get("content-encoding")
        if encoding and encoding != "identity":
            resp.close()
            raise error(f"content-encoding {encoding!r} is not supported (serve the files as they are)", url)
        return resp

    def read_manifest(self) -> bytes:
        url = self.describe(MANIFEST_FILE)
        with self._get(MANIFEST_FILE, ManifestError) as resp:
            data = _read(resp, MAX_MANIFEST_BYTES + 1, url)
        if len(data) > MAX_MANIFEST_BYTES:
            raise ManifestError(f"larger than the {MAX_MANIFEST_BYTES}-byte limit", url)
        return data

    def shard_file(self, entry: ShardEntry) -> Tuple[str, bool]:
        if not SHARD_FILE.match(entry.file):
            raise ManifestError(f"shard file name {entry.file!r} is not a plain file name", self.location)
        path = self.cache_dir / f"{entry.sha256}.arrow"
        if self._cached(path, entry):
            return str(path), False
        if entry.bytes > self.cache_limit:
            raise IoError(f"the shard's {entry.bytes} bytes exceed the cache limit of {self.cache_limit} bytes", self.describe(entry.file))
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with _Lock(self.cache_dir / f".{entry.sha256}.lock"):  # one download per shard across processes (DataLoader workers)
            if self._cached(path, entry):
                return str(path), False
            self._evict(entry.bytes)
            self._download(entry, path)
        return str(path), True

    @staticmethod
    def _cached(path: Path, entry: ShardEntry) -> bool:
        try:
            if path.stat().st_size != entry.bytes:
                return False
            os.utime(path)  # least recently used goes first
            return True
        except FileNotFoundError:
            return False

    def _download(self, entry: ShardEntry, path: Path) -> None:
        url = self.describe(entry.file)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix=".dl-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                at = 0
                while at < entry.bytes:
                    end = min(entry.bytes, at + RANGE_CHUNK) - 1
                    with self._get(entry.file, ShardError, (at, end)) as resp:
                        if resp.status == 200:  # the server ignores Range: the whole file at once
                            data = _read(resp, entry.bytes + 1, url)
                            if at != 0 or len(data) != entry.bytes:
                                raise ShardError(f"size is {len(data)} bytes, the manifest says {entry.bytes}", url)
                        else:
                            data = _read(resp, end - at + 2, url)
                            if len(data) != end - at + 1:
                                raise ShardError(f"Range {at}-{end} returned {len(data)} bytes (file shorter than the manifest's {entry.bytes}?)", url)
                    digest.update(data)
                    out.write(data)
                    at += len(data)
            if digest.hexdigest() != entry.sha256:
                raise ShardError(f"sha256 {digest.hexdigest()} differs from the manifest's {entry.sha256}", url)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _evict(self, incoming: int) -> None:
        files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.cache_dir.glob("*.arrow")]
        total = sum(s for _, s, _ in files)
        for _, size, p in sorted(files):
            if total + incoming <= self.cache_limit:
                break
            p.unlink(missing_ok=True)
            total -= size


class _Lock:
    """An exclusive advisory lock on a file (POSIX flock; no locking where fcntl is missing)."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> "_Lock":
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        if fcntl is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _read(resp, limit: int, url: str) -> bytes:
    try:
        return resp.read(limit)
    except (OSError, ValueError) as err:
        raise IoError(f"reading the body failed: {err}", url) from None


def open_store(location: Union[str, os.PathLike, LocalStore, HttpStore], **http) -> Union[LocalStore, HttpStore]:
    if isinstance(location, (LocalStore, HttpStore)):
        return location
    text = os.fspath(location)
    return HttpStore(text, **http) if is_url(text) else LocalStore(text)
