"""The crawler's client keeps one connection pool per host, with keep-alive."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from crawler.client import PerHostTransport, make_client
from newsflow.config import FetchSettings


def _server(host: str, peers: list[tuple[str, int]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            peers.append(self.client_address)
            body = b"<html><body>ok</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    srv = ThreadingHTTPServer((host, 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.fixture()
def two_hosts() -> Iterator[list[tuple[str, list[tuple[str, int]]]]]:
    out, servers = [], []
    for host in ("127.0.0.1", "127.0.0.2"):
        peers: list[tuple[str, int]] = []
        srv = _server(host, peers)
        servers.append(srv)
        out.append((f"http://{host}:{srv.server_address[1]}", peers))
    yield out
    for srv in servers:
        srv.shutdown()


def test_one_pool_per_host_and_connections_are_reused(two_hosts: list[tuple[str, list[tuple[str, int]]]]) -> None:
    async def run() -> int:
        async with make_client(FetchSettings(), allow_private_hosts=True) as client:
            for _ in range(3):  # three rounds of 4 concurrent requests per host
                await asyncio.gather(*(client.get(f"{base}/p{i}") for base, _ in two_hosts for i in range(4)))
            transport = client._transport
            assert isinstance(transport, PerHostTransport)
            return len(transport._hosts)

    assert asyncio.run(run()) == 2
    for _, peers in two_hosts:
        assert len(peers) == 12
        assert len(set(peers)) <= 4  # later rounds reuse the first round's connections
