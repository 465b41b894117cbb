"""Prefect tasks.  Each works on a batch (one source, or one stage of the
whole run) and its body is one call into a stage package.

Caching is off (``cache_policy=NONE``): inputs are page bodies and clients,
not worth hashing, and a rerun should really rerun.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NONE

from crawler.discover import Discovery, discover_source
from crawler.fetch import Crawler
from newsflow import progress
from newsflow.config import Source
from newsflow.records import Article, Drop, FeedEntry, FetchRecord, Page, TopicTag
from parsers.extract import extract_page
from parsers.site_boilerplate import SAMPLE_SIZE, SiteRules, learn_site_rules, learning_paragraphs
from parsers.urls import canonicalize
from stories.dedupe import DedupeResult, dedupe, fingerprint, sketch
from topics.tagger import tag_articles
from topics.taxonomy import Taxonomy
from warehouse import Warehouse
from warehouse import pages as pages_store
from warehouse.search import SearchIndex, rows_from_articles
from warehouse.store import LoadResult

@task(name="discover", cache_policy=NONE, task_run_name="discover · {source.id}")
async def discover(crawler: Crawler, source: Source, validators: dict[str, tuple[str | None, str | None]]) -> Discovery:
    """Read a source's feeds, sitemaps and section pages."""
    found = await discover_source(crawler, source, validators)
    progress.advance("discover")
    return found


@task(name="skip-known", cache_policy=NONE)
def skip_known(warehouse: Warehouse, entries: list[FeedEntry], refetch: bool = False) -> tuple[list[FeedEntry], int]:
    """Entries to fetch: those not stored yet, and stored ones whose feed item
    says they were updated after we fetched them.  Returns (entries, updated)."""
    if refetch:
        return entries, 0
    canonical = {e.url: canonicalize(e.url) for e in entries}
    known = warehouse.known_urls(sorted(set(canonical) | set(canonical.values())))
    todo: list[FeedEntry] = []
    updated = 0
    for e in entries:
        fetched = known.get(e.url) or known.get(canonical[e.url])
        if fetched is None:
            todo.append(e)
        elif e.updated_at is not None and e.updated_at > fetched:
            todo.append(e)
            updated += 1
    return todo, updated


@task(name="fetch", cache_policy=NONE, task_run_name="fetch · {source.id}")
async def fetch(crawler: Crawler, source: Source, entries: list[FeedEntry]) -> tuple[list[Page], list[Drop]]:
    for e in entries:
        crawler.register(e.url, source.politeness)
    return await crawler.fetch_pages(entries, source.id, workers=source.politeness.max_concurrency)


@task(name="learn-site-rules", cache_policy=NONE)
def learn_rules(warehouse: Warehouse, sources: list[str], run_id: str | None) -> dict[str, SiteRules]:
    """Relearn each source's boilerplate from its latest stored articles."""
    out: dict[str, SiteRules] = {}
    now = datetime.now(UTC)
    for src in sorted(sources):
        rows = pages_store.recent_texts(warehouse, src, SAMPLE_SIZE)
        rules = learn_site_rules(src, [(aid, learning_paragraphs(text, removed)) for aid, text, removed in rows])
        pages_store.save_site_rules(warehouse, src, rules, run_id, now)
        out[src] = rules
    return out


def extract_chunk(pages: list[Page], languages: dict[str, str], site_rules: dict[str, SiteRules] | None = None
                  ) -> tuple[list[Article], list[Drop], dict[str, bytes]]:
    """Extract a chunk of pages (module-level, so a worker process can run
    it).  Also compresses the HTML of each page that became an article, as
    ``raw_pages`` stores it: that CPU work then runs in the workers too."""
    articles: list[Article] = []
    drops: list[Drop] = []
    packed: dict[str, bytes] = {}
    for page in pages:
        out = extract_page(page, languages.get(page.source), (site_rules or {}).get(page.source))
        if isinstance(out, Article):
            articles.append(out)
            packed[page.final_url] = pages_store.pack(page.body)
        else:
            drops.append(out)
    return articles, drops, packed


def extraction_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for extraction, which is CPU-bound (HTML parsing).
    forkserver with the extractor preloaded: workers start in well under a
    second with trafilatura already imported, and nothing of the flow's
    threads or event loop is forked."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["parsers.extract"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


@task(name="extract", cache_policy=NONE, task_run_name="extract · {label}")
async def extract(pages: list[Page], languages: dict[str, str], label: str,
                  site_rules: dict[str, SiteRules] | None = None,
                  pool: ProcessPoolExecutor | None = None) -> tuple[list[Article], list[Drop], dict[str, bytes]]:
    """One chunk, in a worker process when ``pool`` is given (chunks then run
    side by side, one per core), else in this process."""
    if pool is None:
        result = extract_chunk(pages, languages, site_rules)
    else:
        result = await asyncio.get_running_loop().run_in_executor(pool, extract_chunk, pages, languages, site_rules)
    progress.advance("extract", len(pages))
    return result


# dedupe, tag, load and index-search are CPU or DuckDB work: each runs in a
# thread, so the event loop keeps fetching the next window meanwhile.

@task(name="dedupe", cache_policy=NONE)
async def dedupe_batch(warehouse: Warehouse, articles: list[Article]) -> DedupeResult:
    return await asyncio.to_thread(_dedupe, warehouse, articles)


def _dedupe(warehouse: Warehouse, articles: list[Article]) -> DedupeResult:
    hashed = fingerprint(articles)
    sketches = sketch(hashed)
    known = warehouse.lookup([a.canonical_url for a in hashed], [a.content_hash for a in hashed], sketches)
    return dedupe(hashed, known, sketches)


@task(name="tag", cache_policy=NONE)
async def tag(articles: list[Article], taxonomy: Taxonomy) -> list[TopicTag]:
    return await asyncio.to_thread(tag_articles, articles, taxonomy)


@task(name="load", cache_policy=NONE)
async def load(warehouse: Warehouse, run_id: str, deduped: DedupeResult, tags: list[TopicTag],
               fetches: list[FetchRecord], drops: list[Drop], taxonomy_version: str,
               feed_state: list[tuple[str, str, str | None, str | None, int]], fetched: dict[str, Page],
               packed: dict[str, bytes] | None = None) -> LoadResult:
    def run() -> LoadResult:
        raw = pages_store.raw_rows([*deduped.articles, *deduped.updates], fetched, packed)
        return warehouse.load(run_id, deduped.articles, tags, fetches, drops, deduped.aliases, taxonomy_version,
                              updates=deduped.updates, feed_state=feed_state, story_rows=deduped.story_rows,
                              raw_pages=raw)
    return await asyncio.to_thread(run)


@task(name="index-search", cache_policy=NONE, retries=1)
async def index_search(warehouse: Warehouse, articles: list[Article]) -> int:
    """Keep full-text search current: add or replace the run's new and updated articles."""
    return await asyncio.to_thread(lambda: SearchIndex.for_warehouse(warehouse.path).index(rows_from_articles(articles)))
