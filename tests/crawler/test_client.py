"""The crawler's client keeps one connection pool per host, with keep-alive."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from faultserver import FaultServer, Reply, fault_server

from crawler.client import PerHostTransport, make_client
from newsflow.config import FetchSettings


@pytest.fixture()
def two_hosts() -> Iterator[list[FaultServer]]:
    with ExitStack() as stack:
        servers = [stack.enter_context(fault_server(host)) for host in ("127.0.0.1", "127.0.0.2")]
        for srv in servers:
            srv.routes.update({f"/p{i}": Reply(body=b"<html><body>ok</body></html>") for i in range(4)})
        yield servers


def test_one_pool_per_host_and_connections_are_reused(two_hosts: list[FaultServer]) -> None:
    async def run() -> int:
        async with make_client(FetchSettings(), allow_private_hosts=True) as client:
            for _ in range(3):  # three rounds of 4 concurrent requests per host
                await asyncio.gather(*(client.get(srv.url(f"/p{i}")) for srv in two_hosts for i in range(4)))
            transport = client._transport
            assert isinstance(transport, PerHostTransport)
            return len(transport._hosts)

    assert asyncio.run(run()) == 2
    for srv in two_hosts:
        assert len(srv.peers) == 12
        assert len(set(srv.peers)) <= 4  # later rounds reuse the first round's connections
