"""Crawler behaviour against a fault-injection server on real sockets."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

from crawler.client import make_client
from crawler.fetch import HTML_TYPES, Crawler
from faultserver import FaultServer, Reply
from newsflow.config import FetchSettings, Politeness
from newsflow.records import FeedEntry

PAGE = b"<html><body><p>" + b"hello " * 100 + b"</p></body></html>"
FAST = FetchSettings(connect_timeout=2, read_timeout=0.5, total_timeout=5, max_bytes=50_000, retries=2,
                     backoff_base=0.05, max_retry_after=2, circuit_breaker=100)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _fetch_all(server: FaultServer, paths: list[str], settings: FetchSettings = FAST,
                     allow_private: bool = True, pack: bool = False) -> tuple[Crawler, list, list]:
    async with make_client(settings, allow_private_hosts=allow_private) as client:
        crawler = Crawler(client, settings)
        crawler.register(server.base_url, Politeness(rate_limit=100, max_concurrency=4))
        entries = [FeedEntry(url=server.url(p), source="s", feed_url=server.url("/feed")) for p in paths]
        pages, drops = await crawler.fetch_pages(entries, "s", workers=4, pack=pack)
        return crawler, pages, drops


def test_pages_fetched_packed_arrive_compressed_and_read_back_whole(server: FaultServer) -> None:
    """The ingest flow fetches packed: a window of pages waits for its
    extraction compressed, a fifth of its size or less."""
    server.routes.update({"/a": Reply(body=PAGE), "/gz": Reply(body=gzip.compress(PAGE), headers={"Content-Encoding": "gzip"})})
    crawler, pages, drops = run(_fetch_all(server, ["/a", "/gz"], pack=True))
    assert drops == [] and len(pages) == 2
    for page in pages:
        assert page.packed and len(page.body) < len(PAGE) / 5
        assert page.html() == PAGE  # what the server sent, after its Content-Encoding
    assert [r.bytes for r in crawler.records if r.kind == "article"] == [len(PAGE)] * 2  # logged as served
    _, plain, _ = run(_fetch_all(server, ["/a"]))
    assert not plain[0].packed and plain[0].body == plain[0].html() == PAGE


def _reasons(drops: list) -> dict[str, str]:
    return {d.url.rsplit("/", 1)[-1]: d.reason for d in drops}


def test_bad_pages_are_recorded_and_good_pages_still_load(server: FaultServer) -> None:
    big = b"<html><body>" + b"x" * 60_000 + b"</body></html>"
    bomb = gzip.compress(b"<html>" + b"a" * 2_000_000)
    server.routes.update({
        "/ok1": Reply(body=PAGE), "/ok2": Reply(body=PAGE),
        "/gone": Reply(410, b"gone"),
        "/flaky": [Reply(500, b"oops"), Reply(body=PAGE)],
        "/slow": Reply(body=PAGE, delay=1.5),
        "/reset": Reply(body=PAGE * 3, reset_after=100),
        "/pdf": Reply(body=b"%PDF-1.4", content_type="application/pdf"),
        "/big": Reply(body=big, headers={"Content-Length": str(len(big))}),
        "/bomb": Reply(body=bomb, headers={"Content-Encoding": "gzip"}),
        "/loop-a": Reply(302, headers={"Location": "/loop-b"}),
        "/loop-b": Reply(302, headers={"Location": "/loop-a"}),
    })
    paths = ["ok1", "missing", "gone", "flaky", "slow", "reset", "pdf", "big", "bomb", "loop-a", "ok2"]
    crawler, pages, drops = run(_fetch_all(server, [f"/{p}" for p in paths]))
    assert sorted(p.url.rsplit("/", 1)[-1] for p in pages) == ["flaky", "ok1", "ok2"]
    assert _reasons(drops) == {
        "missing": "http_404", "gone": "http_410", "slow": "timeout", "reset": "read_error",
        "pdf": "not_html", "big": "too_large", "bomb": "too_large", "loop-a": "redirect_loop",
    }
    # every attempt is in the fetch log: the 500 and the retry that worked
    flaky = [r for r in crawler.records if r.url.endswith("/flaky")]
    assert [(r.status, r.error) for r in flaky] == [(500, "http_500"), (200, None)]
    assert all(r.elapsed_ms >= 0 for r in crawler.records)
    # a 404 is not retried; a timeout is (1 + 2 retries)
    assert server.hits("/missing") == 1
    assert server.hits("/slow") == 3


def test_retry_after_is_honoured(server: FaultServer) -> None:
    server.routes["/busy"] = [Reply(429, b"slow down", headers={"Retry-After": "1"}), Reply(body=PAGE)]
    _, pages, drops = run(_fetch_all(server, ["/busy"]))
    assert len(pages) == 1 and not drops
    (t1, _, _), (t2, _, _) = [e for e in server.log if e[1] == "/busy"]
    assert t2 - t1 >= 0.95


def test_retry_after_longer_than_allowed_gives_up(server: FaultServer) -> None:
    server.routes["/busy"] = Reply(429, b"slow down", headers={"Retry-After": "3600"})
    _, pages, drops = run(_fetch_all(server, ["/busy"]))
    assert not pages and drops[0].reason == "http_429"
    assert server.hits("/busy") == 1


def test_private_addresses_are_refused_by_default(server: FaultServer) -> None:
    server.routes["/ok"] = Reply(body=PAGE)
    crawler, pages, drops = run(_fetch_all(server, ["/ok"], allow_private=False))
    assert not pages
    assert drops[0].reason == "blocked_private_address"
    # the page itself and robots.txt were refused before any request was sent
    assert server.log == []
    assert any(r.error == "blocked_private_address" for r in crawler.records)


def test_names_resolving_to_loopback_are_refused(server: FaultServer) -> None:
    """The guard checks the address connected to, so a host *name* that
    resolves to loopback is refused like the address itself."""
    server.routes["/ok"] = Reply(body=PAGE)

    async def go() -> tuple[Any, Any]:
        async with make_client(FAST, allow_private_hosts=False) as client:
            crawler = Crawler(client, FAST)
            return await crawler.fetch_document(server.url("/ok").replace("127.0.0.1", "localhost"), "s",
                                                "article", accept=HTML_TYPES)

    body, drop = run(go())
    assert body is None and drop is not None and drop.reason == "blocked_private_address"
    assert server.log == []


def test_redirect_to_a_refused_address_is_refused() -> None:
    """127.0.0.1 plays a public host and 127.0.0.2 a private one: the
    redirect is followed, and the guard refuses the connection to the target."""
    from faultserver import fault_server

    with fault_server("127.0.0.1") as public, fault_server("127.0.0.2") as private:
        private.routes["/secret"] = Reply(body=PAGE)
        public.routes["/robots.txt"] = Reply(404)
        public.routes["/go"] = Reply(302, headers={"Location": private.url("/secret")})

        async def go() -> tuple[Any, Any, Crawler]:
            async with make_client(FAST, allow_private_hosts=False,
                                   address_policy=lambda ip: ip == "127.0.0.1") as client:
                crawler = Crawler(client, FAST)
                body, drop = await crawler.fetch_document(public.url("/go"), "s", "article", accept=HTML_TYPES)
                return body, drop, crawler

        body, drop, crawler = run(go())
        assert body is None and drop is not None and drop.reason == "blocked_private_address"
        assert public.hits("/go") == 1
        assert private.log == []  # not one byte of a request reached the private host
        assert [r.detail for r in crawler.records if r.url.endswith("/go")][0] == "redirect"


def test_robots_disallow_and_crawl_delay(server: FaultServer) -> None:
    server.routes["/robots.txt"] = Reply(body=b"User-agent: *\nDisallow: /private/\nCrawl-delay: 0.4\n",
                                         content_type="text/plain")
    server.routes["/private/a"] = Reply(body=PAGE)
    server.routes["/a"] = Reply(body=PAGE)
    server.routes["/b"] = Reply(body=PAGE)
    crawler, pages, drops = run(_fetch_all(server, ["/private/a", "/a", "/b"]))
    assert [(d.url.split("/", 3)[-1], d.reason) for d in drops] == [("private/a", "robots_disallowed")]
    assert server.hits("/private/a") == 0
    assert len(pages) == 2
    times = [t for t, p, _ in server.log if p in ("/a", "/b")]
    assert abs(times[1] - times[0]) >= 0.35  # Crawl-delay made the host slower
    assert any(r.error == "robots_disallowed" for r in crawler.records)


def test_user_agent_names_the_project(server: FaultServer) -> None:
    server.routes["/ok"] = Reply(body=PAGE)
    run(_fetch_all(server, ["/ok"]))
    assert all(ua.startswith("newsflow/") for _, _, ua in server.log)


def test_circuit_breaker_skips_the_rest_of_a_failing_source(server: FaultServer) -> None:
    settings = FetchSettings(connect_timeout=2, read_timeout=1, retries=0, circuit_breaker=3)
    paths = [f"/dead{i}" for i in range(10)]
    for p in paths:
        server.routes[p] = Reply(503, b"down")

    async def go() -> tuple[list, list]:
        async with make_client(settings, allow_private_hosts=True) as client:
            crawler = Crawler(client, settings)
            crawler.register(server.base_url, Politeness(rate_limit=100, max_concurrency=1))
            entries = [FeedEntry(url=server.url(p), source="s", feed_url="x") for p in paths]
            return await crawler.fetch_pages(entries, "s", workers=1)

    pages, drops = run(go())
    assert not pages and len(drops) == 10
    reasons = [d.reason for d in drops]
    assert reasons.count("http_503") == 3 and reasons.count("circuit_open") == 7
    assert sum(server.hits(p) for p in paths) == 3


def test_rate_limit_per_host_is_respected(server: FaultServer) -> None:
    for i in range(6):
        server.routes[f"/p{i}"] = Reply(body=PAGE)

    async def go() -> None:
        async with make_client(FAST, allow_private_hosts=True) as client:
            crawler = Crawler(client, FAST)
            crawler.register(server.base_url, Politeness(rate_limit=10, max_concurrency=4))
            entries = [FeedEntry(url=server.url(f"/p{i}"), source="s", feed_url="x") for i in range(6)]
            await crawler.fetch_pages(entries, "s", workers=4)

    run(go())
    times = sorted(t for t, p, _ in server.log if p.startswith("/p"))
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.08  # 10 requests/s -> >= 100 ms apart (timer slack allowed)
