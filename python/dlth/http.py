"""One bounded HTTP GET, as the TypeScript CLI's http store does it (src/loader/store/http.ts and
body.ts): response headers within ``timeout`` seconds, at most ``timeout`` seconds between two
pieces of the body, an average body rate of at least ``min_bytes_per_sec`` once the body has been
read for ``timeout`` seconds, and an optional overall ``deadline`` per request. Redirects are not
followed. Every failure, protocol garbage included (a bad status line, too many or too long
headers, a broken chunked body), is a typed error with one line naming the URL (as shown, without
credentials) and the reason; bodies are read in pieces of at most ``BODY_CHUNK`` bytes."""
from __future__ import annotations

import http.client
import math
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Dict, Iterator, Optional, Tuple

from .auth import redact
from .errors import InputError, IoError
from .opener import Watch, open_watched

BODY_CHUNK = 256 * 1024
DEFAULT_TIMEOUT = 30.0
DEFAULT_MIN_BYTES_PER_SEC = 1024.0
# Everything a broken peer or protocol can raise from urllib/http.client (URLError is an OSError).
TRANSPORT_ERRORS = (OSError, http.client.HTTPException, ValueError, UnicodeError)


@dataclass(frozen=True)
class HttpLimits:
    """``timeout`` (s): for the response headers, and between two pieces of the body;
    ``min_bytes_per_sec``: minimum average body rate, checked once the body has been read for
    ``timeout`` seconds (0: no check); ``deadline`` (s): of a whole request, or None."""

    timeout: float = DEFAULT_TIMEOUT
    min_bytes_per_sec: float = DEFAULT_MIN_BYTES_PER_SEC
    deadline: Optional[float] = None

    def __post_init__(self) -> None:
        def ok(v: object, lo: float, strict: bool) -> bool:
            return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and (v > lo if strict else v >= lo)
        if not ok(self.timeout, 0, True):
            raise InputError(f"HTTP timeout {self.timeout!r} s must be a number > 0")
        if not ok(self.min_bytes_per_sec, 0, False):
            raise InputError(f"HTTP minimum rate {self.min_bytes_per_sec!r} bytes/s must be a number ≥ 0")
        if self.deadline is not None and not ok(self.deadline, 0, True):
            raise InputError(f"HTTP deadline {self.deadline!r} s must be a number > 0 or None")


def printable(text: str) -> str:
    """``text`` on one line, control characters escaped (a server's words)."""
    return " ".join("".join(c if c.isprintable() else repr(c)[1:-1] for c in text).split())


def one_line(err: BaseException, limit: int = 160) -> str:
    """An exception as one short printable line; its class where the text alone says little."""
    text = printable(str(err)) or "(no details)"
    if isinstance(err, http.client.HTTPException) and not text.startswith(type(err).__name__):
        text = f"{type(err).__name__}: {text}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Body:
    """A response body read in pieces under the limits; a context manager that closes it."""

    def __init__(self, resp, url: str, limits: HttpLimits, watch: Watch, started: float):
        self.resp, self.url, self.limits, self.watch = resp, url, limits, watch
        self.status: int = resp.status
        self.headers = resp.headers
        self.received = 0
        raw = resp.headers.get("content-length")
        self.length: Optional[int] = int(raw) if raw is not None and raw.strip().isdigit() else None
        self._body_started = time.monotonic()
        if limits.deadline is not None:
            watch.arm(limits.deadline - (self._body_started - started), f"over the {limits.deadline:g} s deadline of the request")

    def __enter__(self) -> "Body":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.watch.close()
        try:
            self.resp.close()
        except TRANSPORT_ERRORS:
            pass

    def chunks(self, size: Optional[int] = None) -> Iterator[bytes]:
        """Non-empty pieces of the body until its end; IoError at a limit or a broken body."""
        while True:
            try:
                piece = self.resp.read1(size or BODY_CHUNK)
            except socket.timeout:
                raise self._error(self.watch.reason or f"no data for {self.limits.timeout:g} s") from None
            except TRANSPORT_ERRORS as err:
                if self.watch.reason:  # the deadline shut the connection
                    raise self._error(self.watch.reason) from None
                what = "the body is not valid HTTP" if _is_protocol(err) else "reading the body failed"
                raise self._error(f"{what} ({one_line(err)}) after {self.received} bytes", body=False) from None
            if self.watch.reason:
                raise self._error(self.watch.reason)
            if not piece:
                if self.length is not None and self.received < self.length:
                    raise self._error(f"the connection closed after {self.received} of the {self.length} bytes announced", body=False)
                return
            self.received += len(piece)
            self._check_rate()
            yield piece

    def read_all(self, limit: int) -> bytes:
        """The whole body, or as soon as it passes ``limit`` bytes what was read (over the limit)."""
        parts = []
        for piece in self.chunks():
            parts.append(piece)
            if self.received > limit:
                break
        return b"".join(parts)

    def _check_rate(self) -> None:
        elapsed = time.monotonic() - self._body_started
        floor = self.limits.min_bytes_per_sec
        if floor == 0 or elapsed < self.limits.timeout:
            return
        rate = self.received / elapsed
        if rate < floor:
            raise self._error(f"transfer too slow: {self.received} bytes in {elapsed:.1f} s ({rate:.1f} bytes/s, minimum {floor:g})", body=False)

    def _error(self, why: str, body: bool = True) -> IoError:
        self.close()
        where = f" while reading the body ({self.received} bytes received)" if body else ""
        return IoError(f"{why}{where}", self.url)


class HttpClient:
    """GETs with fixed extra headers (authorization included) under ``limits``. ``credentials``
    names where the authorization came from, for a 401/403 message (never its value)."""

    def __init__(self, limits: HttpLimits, headers: Optional[Dict[str, str]] = None, credentials: Optional[str] = None):
        self.limits, self.headers, self.credentials = limits, dict(headers or {}), credentials

    def __repr__(self) -> str:
        return f"HttpClient({self.limits!r}, credentials from {self.credentials or 'nowhere'})"

    def get(self, url: str, shown: str, error: type, on_404: str = "", byte_range: Optional[Tuple[int, int]] = None) -> Body:
        """A 200 or 206 response to GET ``url``; a status error is ``error`` naming ``shown``."""
        headers = {"Accept-Encoding": "identity", **self.headers}
        if byte_range:
            headers["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        req = urllib.request.Request(url, headers=headers)
        watch = Watch()
        limits, started = self.limits, time.monotonic()
        header_limit = min(limits.timeout, limits.deadline or math.inf)
        watch.arm(header_limit, f"no response headers within {header_limit:g} s")
        try:
            resp = open_watched(req, watch, limits.timeout)
        except urllib.error.HTTPError as err:
            watch.close()
            message = self._status_message(err, on_404)
            err.close()
            raise error(message, shown) from None
        except TRANSPORT_ERRORS as err:
            watch.close()
            raise IoError(f"GET failed: {watch.reason or _reason(err, limits.timeout)}", shown) from None
        watch.disarm()
        if watch.reason:  # the headers came as the limit passed: the connection is already shut
            resp.close()
            raise IoError(f"GET failed: {watch.reason}", shown)
        body = Body(resp, shown, limits, watch, started)
        encoding = resp.headers.get("content-encoding")
        if encoding and encoding != "identity":
            body.close()
            raise error(f"content-encoding {encoding!r} is not supported (serve the files as they are)", shown)
        return body

    def _status_message(self, err: urllib.error.HTTPError, on_404: str) -> str:
        detail = ""
        if 300 <= err.code < 400:
            detail = f" (redirect to {printable(redact(err.headers.get('location') or ''))[:200]!r}; not followed)"
        elif err.code == 404:
            detail = on_404
        elif err.code in (401, 403):
            detail = f" (credentials from {self.credentials} refused)" if self.credentials else " (no credentials sent: see DLTH_HTTP_AUTH or netrc)"
        return f"HTTP {err.code} {printable(str(err.reason))[:120]}{detail}"


def _reason(err: BaseException, timeout: float) -> str:
    inner = getattr(err, "reason", err)
    if isinstance(inner, socket.timeout) or isinstance(err, socket.timeout):
        return f"no response within {timeout:g} s"
    if not isinstance(inner, BaseException):
        return printable(str(inner))
    return f"not a valid HTTP response ({one_line(inner)})" if _is_protocol(inner) else one_line(inner)


def _is_protocol(err: BaseException) -> bool:
    """Garbage from the peer (not a closed or failed connection)."""
    return isinstance(err, http.client.HTTPException) and not isinstance(err, ConnectionError)
