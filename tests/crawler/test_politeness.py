"""Per-host politeness holds on a busy machine: request starts are spaced
from the previous request's actual start, and a server never counts more
than ``rate_limit`` requests in any one-second window."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from crawler.client import make_client
from crawler.fetch import Crawler
from crawler.politeness import SAFETY, HostGate
from newsflow.config import FetchSettings, Politeness
from newsflow.records import FeedEntry


def test_a_late_start_pushes_the_next_one_back() -> None:
    """The second request's sleep ends 0.1 s late (a busy event loop); the
    third still starts a full interval after the second's actual start."""
    now = [0.0]
    sleeps = [0]

    async def sleep(seconds: float) -> None:
        sleeps[0] += 1
        now[0] += seconds + (0.1 if sleeps[0] == 1 else 0.0)
        await asyncio.sleep(0)

    gate = HostGate(clock=lambda: now[0], sleep=sleep)
    gate.register("h", Politeness(rate_limit=4, max_concurrency=3))
    starts: list[float] = []

    async def one() -> None:
        async with gate.slot("h"):
            starts.append(now[0])
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(4)))

    asyncio.run(main())
    interval = SAFETY / 4
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert len(starts) == 4
    assert gaps[0] >= interval + 0.1 - 1e-9  # the late one
    assert all(g >= interval - 1e-9 for g in gaps), gaps


def _serve(port_q: Any, log_q: Any, stop: Any) -> None:
    arrivals: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            arrivals.append(time.time())
            body = b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt" else b"<html><body><p>x</p></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    import threading

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port_q.put(server.server_address[1])
    stop.wait()
    server.shutdown()
    log_q.put(arrivals)


def _burn(stop: Any) -> None:
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best = j = 0
    for i in range(len(times)):
        while times[i] - times[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_the_server_never_counts_more_than_the_limit_while_both_cores_are_busy() -> None:
    ctx = mp.get_context("spawn")
    stop, port_q, log_q = ctx.Event(), ctx.Queue(), ctx.Queue()
    server = ctx.Process(target=_serve, args=(port_q, log_q, stop), daemon=True)
    burners = [ctx.Process(target=_burn, args=(stop,), daemon=True) for _ in range(2)]
    server.start()
    for b in burners:
        b.start()
    try:
        base = f"http://127.0.0.1:{port_q.get(timeout=30)}"

        async def crawl() -> int:
            settings = FetchSettings(retries=0)
            async with make_client(settings, allow_private_hosts=True) as client:
                crawler = Crawler(client, settings)
                crawler.register(base, Politeness(rate_limit=4, max_concurrency=2))
                entries = [FeedEntry(url=f"{base}/a/{n}", source="s", feed_url=base) for n in range(24)]
                got, drops = await crawler.fetch_pages(entries, "s", workers=2)
                assert not drops
                return len(got)

        assert asyncio.run(crawl()) == 24
    finally:
        stop.set()
    arrivals = log_q.get(timeout=30)
    server.join(timeout=10)
    for b in burners:
        b.join(timeout=10)
    assert len(arrivals) == 25  # robots.txt and the pages
    assert _max_in_window(arrivals) <= 4
