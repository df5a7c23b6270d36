"""Typed errors, mirroring the TypeScript library's (src/util/errors.ts). Every error about a file
or URL names it: ``str(err)`` is ``"<file>: <reason>"``."""
from __future__ import annotations

from typing import Optional


class DlthError(Exception):
    """Base class. ``code`` matches the TypeScript error codes; ``file`` is the file or URL, if any."""

    code = "E_DLTH"

    def __init__(self, message: str, file: Optional[str] = None):
        super().__init__(f"{file}: {message}" if file else message)
        self.reason = message
        self.file = file


class InputError(DlthError):
    """An argument or a saved state is unusable (bad rank, unknown shuffle, state of another order)."""

    code = "E_INPUT"


class ManifestError(DlthError):
    """manifest.json is missing, malformed, of an unknown version, inconsistent, or unsafe."""

    code = "E_MANIFEST"


class ShardError(DlthError):
    """A shard is corrupt (size, sha256), truncated, or inconsistent with its manifest or the format."""

    code = "E_SHARD"


class IoError(DlthError):
    """Reading failed: a network error, a timeout, an HTTP status, a full cache."""

    code = "E_IO"


class ViewError(DlthError):
    """A view cannot be built for this dataset (e.g. ``packed`` with a k that is not a square)."""

    code = "E_INPUT"
