"""A fault-injection HTTP server on 127.0.0.1, on real sockets.

Routes map a path to a :class:`Reply` or a list of them (served in turn, the
last one repeating).  A reply can be slow, reset the connection mid-body,
redirect, or carry any status, headers and body.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from newsflow.demo.site import serve_in_thread


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line
    reset_after: int | None = None  # send this many body bytes, then RST


class _Handler(BaseHTTPRequestHandler):
    server: FaultServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        self.server.log.append((time.monotonic(), self.path, self.headers.get("User-Agent", "")))
        self.server.peers.append(self.client_address)
        route = self.server.routes.get(path)
        if route is None:
            reply = Reply(404, b"<html><body>not found</body></html>")
        elif isinstance(route, list):
            n = self.server.counts.get(path, 0)
            self.server.counts[path] = n + 1
            reply = route[min(n, len(route) - 1)]
        else:
            reply = route
        if reply.delay:
            time.sleep(reply.delay)
        etag = reply.headers.get("ETag")
        if etag is not None and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        if "Content-Length" not in reply.headers:
            self.send_header("Content-Length", str(len(reply.body)))
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.end_headers()
        if reply.reset_after is not None:
            self.wfile.write(reply.body[: reply.reset_after])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        try:
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        return


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), _Handler)
        self.routes: dict[str, Reply | list[Reply]] = {}
        self.counts: dict[str, int] = {}
        self.log: list[tuple[float, str, str]] = []
        self.peers: list[tuple[str, int]] = []  # the client's (address, port) of each request

    @property
    def base_url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.log if p.split("?", 1)[0] == path)


@contextmanager
def fault_server(host: str = "127.0.0.1") -> Iterator[FaultServer]:
    server = FaultServer(host)
    with serve_in_thread(server):
        yield server
