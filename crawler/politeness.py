"""Per-host politeness: a request-rate limit and a concurrency limit.

A :class:`HostGate` is shared by every fetch in one event loop, so two sources
on the same host share that host's budget (the first source to register a
host sets its limits; robots.txt Crawl-delay can only make them stricter).

Request starts are spaced ``SAFETY / rate_limit`` apart, measured from the
previous request's *actual* start: a request waits its turn (in order,
behind the host's lock), then checks the clock again after its sleep, so a
sleep that ends late on a busy machine delays only that request and never
shortens the gap to the next one.  (Spacing from the planned start did:
with another process keeping both cores busy, a late first request and an
on-time second one reached a server 0.205 s apart at a nominal 0.26 s, five
in one second at a limit of four.)  The 20% margin absorbs the jitter between
our clock and the moment the server sees a request (connection set-up, the
scheduling of both processes), so the *server* never counts more than
``rate_limit`` requests in a second: ``rate_limit + 1`` starts span at least
1.2 s by our clock, and the server's one-second window holds them only if
their delays differ by 0.2 s.  A 5% margin was not enough with another
process keeping both cores busy: the server saw five requests in a second
at a limit of four once in three runs of bench/crawl.py (the delays differed
by more than 50 ms).  bench/crawl.py and tests/crawler/test_politeness.py
check this from the servers' own logs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from newsflow.config import Politeness

SAFETY = 1.2


@dataclass
class _HostState:
    interval: float  # seconds between request starts
    semaphore: asyncio.Semaphore
    last_start: float = float("-inf")  # when the latest request actually started
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class HostGate:
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._hosts: dict[str, _HostState] = {}
        self._clock = clock
        self._sleep = sleep

    def register(self, host: str, politeness: Politeness) -> None:
        if host not in self._hosts:
            self._hosts[host] = _HostState(
                interval=SAFETY / politeness.rate_limit,
                semaphore=asyncio.Semaphore(politeness.max_concurrency),
            )

    def slow_down(self, host: str, min_interval: float) -> None:
        """Apply a robots.txt Crawl-delay (never makes a host faster)."""
        state = self._hosts.get(host)
        if state is not None and min_interval > state.interval:
            state.interval = min_interval

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Wait for a concurrency slot and the host's next rate slot."""
        state = self._hosts.get(host)
        if state is None:
            self.register(host, Politeness())
            state = self._hosts[host]
        async with state.semaphore:
            async with state.lock:  # one start at a time per host, first come first served
                while (wait := state.last_start + state.interval - self._clock()) > 0:
                    await self._sleep(wait)
                state.last_start = self._clock()
            yield
