"""The one place an ``httpx.AsyncClient`` for crawling is built."""

from __future__ import annotations

import ssl
from collections.abc import Callable

import httpcore
import httpx

from crawler.decode import ACCEPT_ENCODING
from crawler.guard import GuardedBackend, is_public_address
from newsflow.config import FetchSettings


# Connections kept per host (scheme, host, port).  Politeness allows a few
# requests in flight per host (``max_concurrency``, 2 by default), so this is
# a ceiling, not a target.
HOST_CONNECTIONS = 16


def _host_transport(allow_private_hosts: bool, address_policy: Callable[[str], bool],
                    ssl_context: ssl.SSLContext) -> httpx.AsyncHTTPTransport:
    limits = httpx.Limits(max_connections=HOST_CONNECTIONS, max_keepalive_connections=HOST_CONNECTIONS)
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False, verify=ssl_context)
    if not allow_private_hosts:
        # httpx does not expose httpcore's network_backend; swap the pool for
        # one with the same settings and the guarded backend.
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(address_policy),
        )
    return transport


class PerHostTransport(httpx.AsyncBaseTransport):
    """One connection pool per host, made on first use.

    httpcore's pool scans all of its connections, and for each idle one all
    of them again, every time it assigns a request or a connection is
    released (httpcore 1.0.9, ``_assign_requests_to_connections``).  One
    pool for a crawl over many hosts made that the flow's largest CPU cost
    (19% of its py-spy samples in a 2,000-page run over 8 hosts); a
    pool per host keeps each scan to that host's few connections.  A pool
    per host also keeps a host's idle connections from being closed to make
    room for another host's (keep-alive across the whole run)."""

    def __init__(self, factory: Callable[[], httpx.AsyncHTTPTransport]) -> None:
        self._factory = factory
        self._hosts: dict[tuple[bytes, bytes, int | None], httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.raw_scheme, url.raw_host, url.port)
        transport = self._hosts.get(key)
        if transport is None:
            transport = self._hosts[key] = self._factory()
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        hosts, self._hosts = list(self._hosts.values()), {}
        for transport in hosts:
            await transport.aclose()


def make_client(settings: FetchSettings, *, allow_private_hosts: bool,
                address_policy: Callable[[str], bool] = is_public_address) -> httpx.AsyncClient:
    """An async client with timeouts, the project's User-Agent and, unless
    ``allow_private_hosts``, the private-address guard on every connection.

    Environment proxies are ignored (``trust_env=False``): the guard must see
    the real peer, and a crawler's egress should be explicit.
    """
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.total_timeout,
    )
    # One TLS context for every host: building one loads the CA bundle, 30 ms
    # of CPU, which per host was 30 s of a run over 1,000 sources (and the
    # first request to each host left late, after its politeness slot).
    ssl_context = httpx.create_ssl_context(trust_env=False)
    transport = PerHostTransport(lambda: _host_transport(allow_private_hosts, address_policy, ssl_context))
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        headers={
            "User-Agent": settings.user_agent,
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "en,fr;q=0.9,*;q=0.5",
            "Accept-Encoding": ACCEPT_ENCODING,  # crawler.decode inflates these with a size cap
        },
        follow_redirects=False,  # crawler.fetch follows them itself, with loop detection
        trust_env=False,
    )
