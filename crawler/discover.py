"""Discovery: which article URLs does a source offer right now?

From its RSS/Atom feeds, its XML sitemaps (and sitemap indexes, Google News
sitemaps, robots.txt ``Sitemap:`` lines), its section pages, or, when none of
those is configured, from feeds autodiscovered on its homepage.  Feeds and
sitemaps are fetched with conditional GET: a 304 means "no change".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from crawler.fetch import HTML_TYPES, Crawler
from newsflow.config import Source
from newsflow.errors import ExtractError
from newsflow.records import Drop, FeedEntry
from parsers.feeds import parse_feed
from parsers.html import decode_html
from parsers.links import article_links, feed_links
from parsers.sitemaps import parse_sitemap

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
              "text/xml", "application/x-rss+xml", "text/html", "text/plain", "application/octet-stream")
MAX_SITEMAPS = 25  # documents read per source per run, index children included
Validators = tuple[str | None, str | None]


@dataclass
class Discovery:
    entries: list[FeedEntry] = field(default_factory=list)
    drops: list[Drop] = field(default_factory=list)
    # url -> (etag, last_modified, status) for feed_state
    validators: dict[str, tuple[str | None, str | None, int]] = field(default_factory=dict)
    not_modified: list[str] = field(default_factory=list)
    documents: int = 0  # discovery documents attempted
    succeeded: int = 0  # ... that answered (200 or 304)
    stale: int = 0  # sitemap URLs skipped as older than the source's max age
    unusable: int = 0  # feed items without a usable link (or repeating one)

    def add(self, entries: list[FeedEntry]) -> None:
        seen = {e.url for e in self.entries}
        self.entries.extend(e for e in entries if e.url not in seen and not seen.add(e.url))  # type: ignore[func-returns-value]

    @property
    def failed(self) -> bool:
        """Every discovery document failed: the source delivered nothing."""
        return self.documents > 0 and self.succeeded == 0


async def _document(crawler: Crawler, d: Discovery, url: str, source: Source, kind: str,
                    accept: tuple[str, ...] | None, stored: dict[str, Validators], conditional: bool) -> bytes | None:
    crawler.register(url, source.politeness)
    d.documents += 1
    body, drop = await crawler.fetch_document(url, source.id, kind, accept=accept,
                                              validators=stored.get(url) if conditional else None)
    if drop is not None:
        d.drops.append(drop)
        return None
    assert body is not None
    d.succeeded += 1
    if conditional:
        d.validators[url] = (body.etag, body.last_modified, body.status)
    if body.not_modified:
        d.not_modified.append(url)
        return None
    return body.body


def _decode(d: Discovery, body: bytes | None, source: Source, url: str) -> str | None:
    if body is None:
        return None
    try:
        return decode_html(body, None)[0]
    except ExtractError as exc:
        _reject(d, source, url, exc.reason, exc.message)
        return None


def _reject(d: Discovery, source: Source, url: str, reason: str, detail: str) -> None:
    """A document that answered but could not be used: it counts as failed."""
    d.succeeded -= 1
    d.drops.append(Drop("discover", source.id, url, reason, detail))


async def discover_source(crawler: Crawler, source: Source, stored: dict[str, Validators] | None = None,
                          now: datetime | None = None) -> Discovery:
    stored = stored or {}
    now = now or datetime.now(UTC)
    d = Discovery()
    feeds = list(source.feeds)

    if source.autodiscover:
        html = await _document(crawler, d, source.homepage, source, "homepage", HTML_TYPES, stored, False)
        text = _decode(d, html, source, source.homepage)
        if text is not None:
            feeds = feed_links(text, source.homepage)
            if not feeds:
                d.drops.append(Drop("discover", source.id, source.homepage, "no_feed_found",
                                    "the homepage links no RSS/Atom feed; set feeds, sitemaps or sections"))

    for url in feeds:
        body = await _document(crawler, d, url, source, "feed", FEED_TYPES, stored, True)
        if body is None:
            continue
        result = parse_feed(body, url, source.id)
        if result.error:
            _reject(d, source, url, result.error, result.detail)
        d.unusable += result.skipped
        d.add(result.entries)

    sitemaps = list(source.sitemaps)
    if source.robots_sitemaps:
        rules = await crawler.robots_for(source.homepage, source.id)
        sitemaps += [u for u in rules.sitemaps() if u not in sitemaps]
    oldest = now - timedelta(days=source.sitemap_max_age_days)
    queue = [(u, 0) for u in sitemaps]
    read = 0
    while queue and read < MAX_SITEMAPS:
        url, depth = queue.pop(0)
        read += 1
        body = await _document(crawler, d, url, source, "sitemap", None, stored, True)
        if body is None:
            continue
        result = parse_sitemap(body, url, source.id)
        if result.error:
            _reject(d, source, url, result.error, result.detail)
            continue
        if depth < 2:
            queue += [(child, depth + 1) for child in result.sitemaps]
        fresh = [e for e in result.entries if (e.published_at or e.updated_at or now) >= oldest]
        d.stale += len(result.entries) - len(fresh)
        d.add(fresh)

    for url in source.sections:
        body = await _document(crawler, d, url, source, "section", HTML_TYPES, stored, False)
        text = _decode(d, body, source, url)
        if text is None:
            continue
        d.add([FeedEntry(url=link, source=source.id, feed_url=url) for link in article_links(text, url)])
    return d
