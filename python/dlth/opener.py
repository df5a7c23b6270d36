"""A urllib opener whose connections a watchdog can end: each request carries a ``Watch`` that
learns its socket when it connects and, at a set time (the headers' limit, then the request's
deadline), shuts the connection down so that a read blocked on it returns at once. Redirects are
not followed."""
from __future__ import annotations

import functools
import http.client
import socket
import threading
import urllib.request
from typing import Optional


class Watch:
    """Shuts a request's socket down at a point in time (headers' limit, then the deadline) so that
    a blocked read returns at once; ``reason`` says why, for the error."""

    def __init__(self) -> None:
        self.sock: Optional[socket.socket] = None
        self.reason: Optional[str] = None
        self._timer: Optional[threading.Timer] = None
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self.sock = sock
            if self.reason is not None:
                _shutdown(sock)

    def arm(self, seconds: Optional[float], reason: str) -> None:
        self.disarm()
        if seconds is not None:
            self._timer = threading.Timer(max(0.0, seconds), self._fire, (reason,))
            self._timer.daemon = True
            self._timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        self.disarm()
        with self._lock:
            self.sock = None

    def _fire(self, reason: str) -> None:
        with self._lock:
            self.reason = reason
            if self.sock is not None:
                _shutdown(self.sock)


def _shutdown(sock: socket.socket) -> None:
    """Ends the connection under a blocked reader (on a duplicate descriptor: an SSL socket object
    is not shut down from another thread)."""
    try:
        dup = socket.fromfd(sock.fileno(), sock.family, sock.type)
    except (OSError, ValueError):
        return
    with dup:
        try:
            dup.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _watched(base: type, watch: Watch):
    class Connection(base):  # type: ignore[valid-type, misc]
        def connect(self) -> None:
            super().connect()
            watch.attach(self.sock)
    return Connection


class _Http(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_watched(http.client.HTTPConnection, req.dlth_watch), req)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401 - urllib's signature
        return None


_HANDLERS: list = [_Http, _NoRedirect]
if hasattr(urllib.request, "HTTPSHandler"):  # Python built with ssl
    class _Https(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(_watched(http.client.HTTPSConnection, req.dlth_watch), req, context=self._context)

    _HANDLERS.append(_Https)


@functools.lru_cache(maxsize=1)
def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(*_HANDLERS)


def open_watched(req: urllib.request.Request, watch: Watch, timeout: float):
    """The response to ``req`` (urllib's errors as they are), its connection under ``watch``."""
    req.dlth_watch = watch  # type: ignore[attr-defined]  # read by the handlers above
    return _opener().open(req, timeout=timeout)
