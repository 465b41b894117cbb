"""Prefect tasks.  Each works on a batch (one source, or one stage of the
whole run) and its body is one call into a stage package.

Caching is off (``cache_policy=NONE``): inputs are page bodies and clients,
not worth hashing, and a rerun should really rerun.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NONE

from crawler.discover import Discovery, discover_source
from crawler.fetch import Crawler
from flows.workers import (  # noqa: F401 (re-exported)
    Chunk,
    ShippedTaxonomy,
    WorkerPool,
    crashed_page,
    extract_chunk,
    extraction_pool,
)
from newsflow import progress
from newsflow.config import Source
from newsflow.isolation import failing_items, internal_error, isolated
from newsflow.records import Article, Drop, FeedEntry, FetchRecord, Page, TopicTag
from parsers.site_boilerplate import VERSION as SITE_RULES_VERSION
from parsers.site_boilerplate import (
    SAMPLE_SIZE,
    SiteRules,
    learn_site_rules,
    learning_paragraphs,
)
from parsers.urls import canonicalize
from stories.dedupe import DedupeResult, dedupe, fingerprint, sketch
from stories.model import Sketch
from topics.tagger import tag_article
from topics.taxonomy import Taxonomy
from warehouse import Warehouse
from warehouse import pages as pages_store
from warehouse.search import SearchIndex, rows_from_articles
from warehouse.store import LoadResult

_log = logging.getLogger(__name__)


@task(name="discover", cache_policy=NONE, task_run_name="discover · {label}")
async def discover(crawler: Crawler, sources: list[Source], validators: dict[str, tuple[str | None, str | None]],
                   label: str) -> list[Discovery | BaseException]:
    """Read a group of sources' feeds, sitemaps and section pages,
    concurrently; per source, its Discovery or the error that stopped it
    (one source's failure does not stop the others).  One task run per
    group, not per source: with a thousand sources, a task run each cost
    more than the feeds (the per-source detail is in ``fetch_log``,
    ``drops`` and the run summary)."""
    async def one(source: Source) -> Discovery:
        found = await discover_source(crawler, source, validators)
        progress.advance("discover")
        return found
    return list(await asyncio.gather(*(one(s) for s in sources), return_exceptions=True))


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


async def _fetch_source(crawler: Crawler, source: Source, entries: list[FeedEntry]) -> tuple[list[Page], list[Drop]]:
    for e in entries:
        crawler.register(e.url, source.politeness)
    return await crawler.fetch_pages(entries, source.id, workers=source.politeness.max_concurrency, pack=True)


@task(name="fetch", cache_policy=NONE, task_run_name="fetch · {label}")
async def fetch(crawler: Crawler, work: list[tuple[Source, list[FeedEntry]]], label: str
                ) -> list[tuple[list[Page], list[Drop]] | BaseException]:
    """One window's pages, every source's concurrently; per source, its
    pages and drops, or the error that stopped it (one source's failure does
    not stop the others).  One task run per window, not per source and
    window: task runs cost the flow's process CPU and API round trips, and
    at 10,000 pages per-source fetch tasks were 176 task runs."""
    return list(await asyncio.gather(*(_fetch_source(crawler, src, entries) for src, entries in work),
                                     return_exceptions=True))


@task(name="learn-site-rules", cache_policy=NONE)
def learn_rules(warehouse: Warehouse, sources: list[str], run_id: str | None) -> dict[str, SiteRules]:
    """Each source's boilerplate rules: relearned, from its latest stored
    articles, for the sources that gained articles since they were last
    learned; as stored for the others.  A few set-based queries whatever
    the number of sources, and next to nothing when nothing changed."""
    stale = pages_store.sources_to_relearn(warehouse, sources, SITE_RULES_VERSION)
    texts = pages_store.recent_texts(warehouse, stale, SAMPLE_SIZE)
    learned = {src: learn_site_rules(src, [(aid, learning_paragraphs(text, removed)) for aid, text, removed in rows])
               for src, rows in texts.items()}
    pages_store.save_site_rules(warehouse, learned, run_id, datetime.now(UTC))
    kept = pages_store.site_rules(warehouse, [s for s in sources if s not in learned])
    return {**kept, **learned}


@task(name="extract", cache_policy=NONE, task_run_name="extract · {label}")
async def extract(chunks: list[list[Page]], languages: dict[str, str], label: str,
                  site_rules: dict[str, SiteRules] | None = None, pool: WorkerPool | None = None,
                  taxonomy: ShippedTaxonomy | None = None) -> list[Chunk]:
    """One window's pages, in ``chunks``: side by side in the worker
    processes of ``pool`` when given, else one after the other in this
    process.  One task run per window, not per chunk: each task run costs
    the flow's process some CPU and an API round trip."""
    if pool is None:
        out = []
        for chunk in chunks:
            out.append(extract_chunk(chunk, languages, site_rules, taxonomy))
            progress.advance("extract", len(chunk))
        return out
    async def one(chunk: list[Page]) -> Chunk:
        result = await pool.run(extract_chunk, chunk, (languages, site_rules, taxonomy), Chunk.merge, crashed_page)
        progress.advance("extract", len(chunk))
        return result
    return list(await asyncio.gather(*(one(chunk) for chunk in chunks)))


# dedupe, tag, load and index-search are CPU or DuckDB work: each runs in a
# thread, so the event loop keeps fetching the next window meanwhile.

@task(name="dedupe", cache_policy=NONE)
async def dedupe_batch(warehouse: Warehouse, articles: list[Article],
                       sketches: Sequence[Sketch] | None = None) -> DedupeResult:
    """``articles`` with their ``sketches`` when the extraction workers made
    them (then they carry content hashes too); else both are made here."""
    return await asyncio.to_thread(_dedupe, warehouse, articles, sketches)


def _dedupe(warehouse: Warehouse, articles: list[Article], sketches: Sequence[Sketch] | None = None) -> DedupeResult:
    if sketches is None or len(sketches) != len(articles):
        articles = fingerprint(articles)
        sketches = sketch(articles)
    known = warehouse.lookup([a.canonical_url for a in articles], [a.content_hash for a in articles], sketches)
    try:
        return dedupe(articles, known, sketches)
    except Exception:  # noqa: BLE001 - the articles that make it fail are found below and dropped
        pass
    # an article the dedupe code cannot handle (a bug on an unforeseen input)
    # is dropped as internal_error, the rest of the window deduped without it
    pairs = list(zip(articles, sketches, strict=True))

    def run(batch: Sequence[tuple[Article, Sketch]]) -> DedupeResult:
        return dedupe([a for a, _ in batch], known, [sk for _, sk in batch])
    good, bad = failing_items(pairs, run)
    result = run(good)
    return replace(result, drops=[*result.drops, *(internal_error("dedupe", a.source, a.url, exc) for (a, _), exc in bad)])


TaggedBy = dict[tuple[str, str | None], list[TopicTag]]  # (article_id, content_hash) -> its topics


@task(name="tag", cache_policy=NONE)
async def tag(articles: list[Article], taxonomy: Taxonomy, done: TaggedBy | None = None) -> list[TopicTag]:
    """The topics of ``articles``: taken from ``done`` (what the extraction
    workers tagged with the same taxonomy, keyed by article and text) where
    it has them, the rest tagged here."""
    have: list[TopicTag] = []
    rest: list[Article] = []
    for a in articles:
        found = (done or {}).get((a.article_id, a.content_hash))
        if found is None:
            rest.append(a)
        else:
            have.extend(found)
    if not rest:
        return have
    return have + await asyncio.to_thread(_tag_each, rest, taxonomy)


def _tag_each(articles: list[Article], taxonomy: Taxonomy) -> list[TopicTag]:
    """Each article's topics; one whose tagging raises stays untagged (the
    worker-side tagging records that case as a ``tag`` drop; here, in the
    flow, it is logged)."""
    out: list[TopicTag] = []
    for a in articles:
        got = isolated("tag", a.source, a.url, lambda a=a: tag_article(a, taxonomy))
        if isinstance(got, Drop):
            _log.error("%s: tagging failed on %s: %s", a.source, a.url, got.detail)
            continue
        out.extend(got)
    return out


@task(name="load", cache_policy=NONE)
async def load(warehouse: Warehouse, run_id: str, deduped: DedupeResult, tags: list[TopicTag],
               fetches: list[FetchRecord], drops: list[Drop], taxonomy_version: str,
               feed_state: list[tuple[str, str, str | None, str | None, int]], fetched: dict[str, Page]) -> LoadResult:
    def run() -> LoadResult:
        raw = pages_store.raw_rows([*deduped.articles, *deduped.updates], fetched)
        return warehouse.load(run_id, deduped.articles, tags, fetches, drops, deduped.aliases, taxonomy_version,
                              updates=deduped.updates, feed_state=feed_state, story_rows=deduped.story_rows,
                              raw_pages=raw)
    return await asyncio.to_thread(run)


@task(name="index-search", cache_policy=NONE, retries=1)
async def index_search(warehouse: Warehouse, articles: list[Article]) -> int:
    """Keep full-text search current: add or replace the run's new and
    updated articles.  A lake's writers keep no index: each reader keeps
    its own, brought up to date from the lake's snapshots (``newsflow search``)."""
    if warehouse.is_lake:
        return 0
    return await asyncio.to_thread(lambda: SearchIndex(warehouse.search_dir).index(rows_from_articles(articles)))


@asynccontextmanager
async def load_section(warehouse: Warehouse) -> AsyncIterator[None]:
    """``warehouse.load_section()`` entered in a thread (on a lake it may
    wait for another writer's load), so the event loop goes on fetching."""
    section = warehouse.load_section()
    await asyncio.to_thread(section.__enter__)
    try:
        yield
    finally:
        await asyncio.to_thread(section.__exit__, None, None, None)
