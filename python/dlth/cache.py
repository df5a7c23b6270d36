"""The local cache of http(s) shards: one directory of files named by their sha256 (so never stale),
shared by every process that points at it (DataLoader workers, several jobs), bounded in bytes.

- A hit is verified (size always, sha256 once per process); a copy that fails is deleted, so the
  caller fetches it again.
- A download writes ``.<sha256>.<bytes>.<random>.part``, locked (flock) by its process for as long
  as it lives, and renames it into place once its sha256 is checked.
- Admission holds the cache-wide lock (``.lock``): it deletes the ``.part`` files nobody holds
  (downloads of processes that died), counts the live ones at the size they will have, evicts least
  recently used shards until the newcomer fits, and creates its ``.part``. When other processes'
  downloads leave no room, it waits for them (at most ``ADMIT_WAIT_SECONDS``).
- Without fcntl (Windows) there are no locks: a ``.part`` untouched for ``STALE_PART_SECONDS`` counts
  as dead."""
from __future__ import annotations

import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

from .errors import IoError, ShardError
from .manifest import ShardEntry
from .shard import check_file

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

STALE_PART_SECONDS = 3600.0
ADMIT_WAIT_SECONDS = 300.0
ADMIT_POLL_SECONDS = 0.2
LOCK_FILE = ".lock"
PART_SUFFIX = ".part"


class FileLock:
    """An exclusive advisory lock on a file (POSIX flock; no locking where fcntl is missing)."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> "FileLock":
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise IoError(f"cannot open the cache's lock file ({err.strerror})", str(self.path)) from None
        if fcntl is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        os.close(self.fd)  # releases the lock


class Part:
    """A download in progress: its file, open for writing and locked while this process lives."""

    def __init__(self, directory: Path, entry: ShardEntry):
        try:
            fd, name = tempfile.mkstemp(dir=directory, prefix=f".{entry.sha256}.{entry.bytes}.", suffix=PART_SUFFIX)
        except OSError as err:
            raise IoError(f"cannot create a download file in the cache ({err.strerror})", str(directory)) from None
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        self.path, self.file = Path(name), os.fdopen(fd, "wb")
        self.done = False

    def write(self, data: bytes) -> None:
        try:
            self.file.write(data)
        except OSError as err:
            raise IoError(f"writing the cache failed ({err.strerror})", str(self.path)) from None

    def commit(self, dest: Path) -> str:
        """Moves the finished file to ``dest`` (then unlocks it)."""
        try:
            self.file.flush()
            os.replace(self.path, dest)
        except OSError as err:
            raise IoError(f"cannot move the download into the cache ({err.strerror})", str(dest)) from None
        self.done = True
        self.file.close()
        return str(dest)

    def discard(self) -> None:
        if not self.done:
            self.done = True
            try:
                self.path.unlink(missing_ok=True)
                self.file.close()
            except OSError:  # a later sweep removes it; the error that brought us here matters more
                pass


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as err:
        raise IoError(f"cannot remove a file from the cache ({err.strerror})", str(path)) from None


def _declared(part: Path) -> int:
    """The size a ``.part`` will have (from its name), at least its present size."""
    try:
        size = part.stat().st_size
    except FileNotFoundError:
        return 0
    fields = part.name.split(".")
    return max(size, int(fields[2])) if len(fields) >= 5 and fields[2].isdigit() else size


def _is_live(part: Path) -> bool:
    """Whether a process still writes ``part`` (holds its lock); a dead one's part is deleted."""
    if fcntl is None:
        try:
            return time.time() - part.stat().st_mtime < STALE_PART_SECONDS
        except FileNotFoundError:
            return False
    try:
        fd = os.open(part, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


class ShardCache:
    """``directory`` (created on first use) holding at most ``limit`` bytes of shards and downloads."""

    def __init__(self, directory: Path, limit: int):
        self.directory, self.limit = directory, limit

    def __repr__(self) -> str:
        return f"ShardCache({str(self.directory)!r}, limit={self.limit})"

    def path(self, entry: ShardEntry) -> Path:
        return self.directory / f"{entry.sha256}.arrow"

    def lookup(self, entry: ShardEntry) -> Tuple[Optional[str], Optional[str]]:
        """(the verified cached copy, None), its use time refreshed; (None, None) when there is
        none; (None, why) when the copy there fails verification."""
        path = self.path(entry)
        if not path.is_file():
            return None, None
        reason = check_file(str(path), entry)
        if reason is not None:
            return None, reason
        try:
            with self._locked():
                os.utime(path)  # least recently used goes first
        except FileNotFoundError:  # evicted meanwhile
            return None, None
        except (IoError, OSError):  # a read-only cache: used as it is
            pass
        check_file(str(path), entry, known_good=True)  # the touched file, as verified
        return str(path), None

    def drop(self, entry: ShardEntry, reason: str) -> None:
        """Deletes a cached copy that failed verification (``reason``); call with ``shard_lock``."""
        path = self.path(entry)
        try:
            path.unlink(missing_ok=True)
        except OSError as err:
            raise ShardError(f"the cached copy failed verification ({reason}) and cannot be removed ({err.strerror})", str(path)) from None

    def shard_lock(self, entry: ShardEntry) -> FileLock:
        """Held while a shard is checked and fetched: one download per shard across processes."""
        self._mkdir()
        return FileLock(self.directory / f".{entry.sha256}.lock")

    @contextmanager
    def admit(self, entry: ShardEntry, url: str) -> Iterator[Part]:
        """Room for ``entry`` and its ``.part``, deleted on failure (``Part.commit`` keeps it)."""
        give_up = time.monotonic() + ADMIT_WAIT_SECONDS
        while True:
            with self._locked():
                reserved = self._sweep()
                if self._make_room(entry.bytes, reserved):
                    part = Part(self.directory, entry)
                    break
            if time.monotonic() > give_up:
                raise IoError(f"the cache is full: downloads of other processes reserve {reserved} of its {self.limit} bytes, "
                              f"this shard needs {entry.bytes} (waited {ADMIT_WAIT_SECONDS:g} s; {self.directory})", url)
            time.sleep(ADMIT_POLL_SECONDS)
        try:
            yield part
        finally:
            part.discard()

    def _mkdir(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise IoError(f"cannot create the cache directory ({err.strerror})", str(self.directory)) from None

    def _locked(self) -> FileLock:
        self._mkdir()
        return FileLock(self.directory / LOCK_FILE)

    def _sweep(self) -> int:
        """Deletes dead downloads' ``.part`` files; the bytes the live ones reserve."""
        reserved = 0
        for part in self.directory.glob("*" + PART_SUFFIX):
            if _is_live(part):
                reserved += _declared(part)
            else:
                _remove(part)
        return reserved

    def _shards(self) -> List[Tuple[int, int, Path]]:
        """(mtime, size, path) of every cached shard."""
        out = []
        for p in self.directory.glob("*.arrow"):
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            out.append((st.st_mtime_ns, st.st_size, p))
        return out

    def _make_room(self, incoming: int, reserved: int) -> bool:
        """Evicts least recently used shards until ``incoming`` fits; False (nothing evicted) when
        even an empty cache would not hold it next to the live downloads."""
        if reserved + incoming > self.limit:
            return False
        shards = self._shards()
        total = reserved + sum(s for _, s, _ in shards)
        for _, size, p in sorted(shards):
            if total + incoming <= self.limit:
                break
            _remove(p)
            total -= size
        return True
