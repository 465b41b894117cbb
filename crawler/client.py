"""The one place an ``httpx.AsyncClient`` for crawling is built."""

from __future__ import annotations

from collections.abc import Callable

import httpcore
import httpx

from crawler.decode import ACCEPT_ENCODING
from crawler.guard import GuardedBackend, is_public_address
from newsflow.config import FetchSettings


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
    # keep-alive for as many connections as may be open: with fewer, every
    # request beyond that number of idle connections closes its connection and
    # the next one opens a new one (measured: about 1 ms of CPU a page)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    if not allow_private_hosts:
        # httpx does not expose httpcore's network_backend; swap the pool for
        # one with the same settings and the guarded backend.
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(address_policy),
        )
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
