"""Prefect tasks.  Each works on a batch (one source, or one stage of the
whole run) and its body is one call into a stage package.

Caching is off (``cache_policy=NONE``): inputs are page bodies and clients,
not worth hashing, and a rerun should really rerun.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from crawler.fetch import Crawler
from newsflow import progress
from newsflow.config import Source
from newsflow.records import Article, Drop, FeedEntry, Page, TopicTag
from parsers.extract import extract_page
from parsers.feeds import parse_feed
from stories.dedupe import DedupeResult, dedupe, fingerprint
from topics.tagger import tag_articles
from topics.taxonomy import Taxonomy
from warehouse import Warehouse

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
              "text/xml", "application/x-rss+xml", "text/html", "text/plain", "application/octet-stream")


@task(name="discover", cache_policy=NONE, task_run_name="discover · {source.id}")
async def discover(crawler: Crawler, source: Source) -> tuple[list[FeedEntry], list[Drop]]:
    """Read every feed of one source.  A feed that fails is a Drop."""
    entries: dict[str, FeedEntry] = {}
    drops: list[Drop] = []
    for feed_url in source.feeds:
        crawler.register(feed_url, source.politeness)
        body, drop = await crawler.fetch_document(feed_url, source.id, "feed", accept=FEED_TYPES)
        if drop is not None:
            drops.append(drop)
            continue
        assert body is not None
        result = parse_feed(body.body, body.final_url, source.id)
        if result.error:
            drops.append(Drop("discover", source.id, feed_url, result.error, result.detail))
            continue
        for e in result.entries:
            entries.setdefault(e.url, e)
    progress.advance("discover")
    return list(entries.values()), drops


@task(name="skip-known", cache_policy=NONE)
def skip_known(warehouse: Warehouse, entries: list[FeedEntry], refetch: bool = False) -> tuple[list[FeedEntry], int]:
    from parsers.urls import canonicalize

    if refetch:
        return entries, 0
    keys = {e.url for e in entries} | {canonicalize(e.url) for e in entries}
    known = warehouse.known_urls(sorted(keys))
    new = [e for e in entries if e.url not in known and canonicalize(e.url) not in known]
    return new, len(entries) - len(new)


@task(name="fetch", cache_policy=NONE, task_run_name="fetch · {source.id}")
async def fetch(crawler: Crawler, source: Source, entries: list[FeedEntry]) -> tuple[list[Page], list[Drop]]:
    for e in entries:
        crawler.register(e.url, source.politeness)
    return await crawler.fetch_pages(entries, source.id, workers=source.politeness.max_concurrency)


@task(name="extract", cache_policy=NONE, task_run_name="extract · {label}")
def extract(pages: list[Page], languages: dict[str, str], label: str) -> tuple[list[Article], list[Drop]]:
    articles: list[Article] = []
    drops: list[Drop] = []
    for page in pages:
        out = extract_page(page, languages.get(page.source))
        (articles if isinstance(out, Article) else drops).append(out)  # type: ignore[arg-type]
        progress.advance("extract")
    return articles, drops


@task(name="dedupe", cache_policy=NONE)
def dedupe_batch(warehouse: Warehouse, articles: list[Article]) -> DedupeResult:
    hashed = fingerprint(articles)
    known = warehouse.lookup([a.canonical_url for a in hashed], [a.content_hash for a in hashed])
    return dedupe(hashed, known)


@task(name="tag", cache_policy=NONE)
def tag(articles: list[Article], taxonomy: Taxonomy) -> list[TopicTag]:
    return tag_articles(articles, taxonomy)


@task(name="load", cache_policy=NONE)
def load(warehouse: Warehouse, run_id: str, articles: list[Article], tags: list[TopicTag],
         fetches: list, drops: list[Drop], aliases: list[tuple[str, str]], taxonomy_version: str):  # type: ignore[no-untyped-def]
    return warehouse.load(run_id, articles, tags, fetches, drops, aliases, taxonomy_version)
