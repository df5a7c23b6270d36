"""A static file server on 127.0.0.1 for the HTTP tests, with Range support (206) that can be
turned off, a log of requests, and a redirect route."""
from __future__ import annotations

import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List


class Server:
    def __init__(self, root: str, ranges: bool = True):
        self.root, self.ranges, self.requests = root, ranges, []  # type: ignore[var-annotated]
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 - http.server's naming
                server.requests.append((self.path, self.headers.get("Range")))
                if self.path.startswith("/redirect/"):
                    self.send_response(302)
                    self.send_header("Location", "http://example.invalid/x")
                    self.end_headers()
                    return
                if not self.path.startswith(("/ok/", "/plain/")):
                    self.send_error(404)
                    return
                name = os.path.basename(self.path)
                path = os.path.join(server.root, name)
                if not os.path.isfile(path):
                    self.send_error(404)
                    return
                data = open(path, "rb").read()
                m = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range") or "")
                if m and server.ranges:
                    a, b = int(m.group(1)), min(int(m.group(2)), len(data) - 1)
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {a}-{b}/{len(data)}")
                    data = data[a:b + 1]
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def shard_requests(self) -> List[tuple]:
        return [r for r in self.requests if r[0].endswith(".arrow")]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
