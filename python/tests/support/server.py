"""Servers on 127.0.0.1 for the HTTP tests.

``Server``: static files with Range support (206) that can be turned off, a log of requests, a
redirect route, and misbehaviours: Basic auth required, a body trickled a byte at a time, headers
trickled, a shard body that stalls halfway until released (or pauses there), a delay before shard
responses.
``RawServer``: answers every connection with fixed bytes (protocol garbage)."""
from __future__ import annotations

import base64
import os
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Optional, Tuple


class Server:
    def __init__(self, root: str, ranges: bool = True, auth: Optional[Tuple[str, str]] = None, trickle: Optional[float] = None,
                 trickle_headers: Optional[float] = None, stall: Optional[threading.Event] = None, delay: float = 0.0, pause: float = 0.0):
        self.root, self.ranges, self.requests = root, ranges, []  # type: ignore[var-annotated]
        self.auth = None if auth is None else "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        self.trickle, self.trickle_headers, self.stall, self.delay, self.pause = trickle, trickle_headers, stall, delay, pause
        self.auth_seen: List[Optional[str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 - http.server's naming
                server.requests.append((self.path, self.headers.get("Range")))
                server.auth_seen.append(self.headers.get("Authorization"))
                if server.auth is not None and self.headers.get("Authorization") != server.auth:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="dlth"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path.startswith("/redirect/"):
                    self.send_response(302)
                    self.send_header("Location", "http://example.invalid/x")
                    self.end_headers()
                    return
                if not self.path.startswith(("/ok/", "/plain/")):
                    self.send_error(404)
                    return
                path = os.path.join(server.root, os.path.basename(self.path))
                if not os.path.isfile(path):
                    self.send_error(404)
                    return
                shard = path.endswith(".arrow")
                if shard and server.delay:
                    time.sleep(server.delay)
                size = os.path.getsize(path)
                a, b = 0, size - 1
                m = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range") or "")
                if m and server.ranges:
                    a, b = int(m.group(1)), min(int(m.group(2)), size - 1)
                    self.send_head(206, b - a + 1, f"bytes {a}-{b}/{size}")
                else:
                    self.send_head(200, size)
                with open(path, "rb") as f:
                    f.seek(a)
                    self.send_body(f, b - a + 1, shard)

            def send_head(self, status: int, length: int, content_range: Optional[str] = None) -> None:
                headers = [f"Content-Length: {length}"] + ([f"Content-Range: {content_range}"] if content_range else [])
                if server.trickle_headers is None:
                    self.send_response(status)
                    for h in headers:
                        self.send_header(*h.split(": ", 1))
                    self.end_headers()
                    return
                self.wfile.write(f"HTTP/1.1 {status} X\r\n".encode())
                for byte in ("X-Padding: " + "x" * 200 + "\r\n").encode():  # headers a byte at a time
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(server.trickle_headers)
                self.wfile.write(("\r\n".join(headers) + "\r\n\r\n").encode())

            def send_body(self, f, n: int, shard: bool) -> None:
                if server.trickle is not None:
                    started = time.monotonic()
                    while n > 0 and time.monotonic() - started < 10:  # a byte at a time, for 10 s at most
                        self.wfile.write(f.read(1))
                        self.wfile.flush()
                        n -= 1
                        time.sleep(server.trickle)
                    return
                if shard and (server.stall is not None or server.pause):
                    self.wfile.write(f.read(n // 2))
                    self.wfile.flush()
                    if server.stall is not None:
                        server.stall.wait(30)
                    time.sleep(server.pause)
                    n -= n // 2
                while n > 0:  # streamed: the server holds no whole file
                    piece = f.read(min(n, 64 * 1024))
                    self.wfile.write(piece)
                    n -= len(piece)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def shard_requests(self) -> List[tuple]:
        return [r for r in self.requests if r[0].endswith(".arrow")]

    def close(self) -> None:
        if self.stall is not None:
            self.stall.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class RawServer:
    """Reads a request's head, then sends ``reply`` and closes the connection."""

    def __init__(self, reply: bytes):
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    data = conn.recv(4096)
                    if not data:
                        break
                    head += data
                try:
                    conn.sendall(self.reply)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()
