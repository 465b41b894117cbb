"""Discovery against a real local server: feeds, autodiscovery, sitemap
indexes (gzipped, from robots.txt), Google News sitemaps and section pages."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime

from crawler.client import make_client
from crawler.discover import discover_source
from crawler.fetch import Crawler
from faultserver import FaultServer, Reply
from newsflow.config import FetchSettings, Politeness, Source

SETTINGS = FetchSettings(retries=0, read_timeout=2)
NOW = datetime(2021, 4, 12, 12, 0, tzinfo=UTC)
RSS1 = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="x"><title>t</title><link>http://x/</link></channel>
<item rdf:about="/rss1/a"><title>RSS 1.0 item</title><link>{base}/rss1/a</link></item></rdf:RDF>"""


def source(base: str, **kw: object) -> Source:
    return Source(id="s", name="S", homepage=f"{base}/", feeds=(), language="en",
                  politeness=Politeness(rate_limit=100, max_concurrency=4), **kw)  # type: ignore[arg-type]


def run(src: Source, stored: dict | None = None):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with make_client(SETTINGS, allow_private_hosts=True) as client:
            return await discover_source(Crawler(client, SETTINGS), src, stored, now=NOW)
    return asyncio.run(go())


def test_feed_autodiscovery_from_the_homepage(server: FaultServer) -> None:
    server.routes["/"] = Reply(body=b'<html><head><link rel="alternate" type="application/rss+xml" href="/rdf">'
                                    b"</head><body>home</body></html>")
    server.routes["/rdf"] = Reply(body=RSS1.replace(b"{base}", server.base_url.encode()),
                                  content_type="application/rdf+xml")
    d = run(source(server.base_url))
    assert [e.url for e in d.entries] == [server.url("/rss1/a")] and d.unusable == 0
    assert [e.title for e in d.entries] == ["RSS 1.0 item"] and not d.failed


def test_homepage_without_feeds_is_a_recorded_failure(server: FaultServer) -> None:
    server.routes["/"] = Reply(body=b"<html><body>no feeds here</body></html>")
    d = run(source(server.base_url))
    assert [x.reason for x in d.drops] == ["no_feed_found"]


def test_sitemaps_from_robots_index_gzip_and_news(server: FaultServer) -> None:
    base = server.base_url
    server.routes["/robots.txt"] = Reply(body=f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap_index.xml\n".encode(),
                                         content_type="text/plain")
    server.routes["/sitemap_index.xml"] = Reply(body=(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/news.xml.gz</loc></sitemap></sitemapindex>").encode(), content_type="application/xml")
    news = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>{base}/2021/04/11/fresh-story</loc><news:news><news:publication_date>2021-04-11T10:00:00Z"
        "</news:publication_date><news:title>Fresh</news:title></news:news></url>"
        f"<url><loc>{base}/2020/01/01/old-story</loc><lastmod>2020-01-01</lastmod></url></urlset>")
    server.routes["/news.xml.gz"] = Reply(body=gzip.compress(news.encode()), content_type="application/x-gzip",
                                          headers={"ETag": '"n1"'})
    d = run(source(base, robots_sitemaps=True))
    assert [(e.url, e.title) for e in d.entries] == [(f"{base}/2021/04/11/fresh-story", "Fresh")]
    assert d.stale == 1  # the 2020 URL is older than sitemap_max_age_days, and counted
    assert d.validators[f"{base}/news.xml.gz"][0] == '"n1"'
    # revisit with the stored validator: 304, no entries, not a failure
    d2 = run(source(base, robots_sitemaps=True), stored={f"{base}/news.xml.gz": ('"n1"', None)})
    assert d2.not_modified == [f"{base}/news.xml.gz"] and d2.entries == [] and not d2.failed


def test_section_pages(server: FaultServer) -> None:
    server.routes["/politics/"] = Reply(body=(
        b'<html><body><a href="/politics/">Politics</a><a href="/tag/x/">x</a>'
        b'<a href="/2021/04/11/morocco-interpol-operation">A</a>'
        b'<a href="/politics/long-story-about-the-border-and-migrants">B</a></body></html>'))
    d = run(source(server.base_url, sections=(server.url("/politics/"),)))
    assert [e.url for e in d.entries] == [server.url("/2021/04/11/morocco-interpol-operation"),
                                          server.url("/politics/long-story-about-the-border-and-migrants")]
