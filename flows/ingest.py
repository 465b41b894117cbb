"""The ``ingest`` flow: feeds -> fetch -> extract -> dedupe -> tag -> DuckDB.

Discovery runs concurrently per source, in task runs of up to
``DISCOVER_GROUP`` sources each.  The new pages
then go through fetch -> extract -> dedupe -> tag -> load in windows of
``[fetch] window_pages``, oldest feed items first, as a pipeline: window i+1
is fetched (per source, concurrently) and window i-1 deduped, tagged and
loaded (one transaction) while window i is extracted (in chunks, in worker
processes for large runs).  The per-article work of dedupe (content hash,
MinHash, feature counts) and tagging runs in the extraction chunks too, so
the flow's process keeps only what needs the whole window and the
warehouse.  A run holds at most three windows of pages, and copies within a
run are resolved against the earlier windows through the warehouse.  Each
stage's time is kept in ``runs.stage_seconds`` (dedupe and tag include their
CPU time in the workers).

Run status (``runs.status`` and the flow's final state):

* ``completed``: every source delivered its feeds (pages may still have
  failed; each is in ``fetch_log``/``drops`` with its reason);
* ``partial``: at least one source failed entirely (all its feeds failed, or
  an unexpected error); the others were loaded.  The flow run is Completed,
  with the failed sources named in the run message and the summary;
* ``failed``: every source failed; nothing new could be loaded.  The flow
  run ends Failed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from prefect import flow, get_run_logger
from prefect.states import Completed
from prefect.utilities.annotations import quote
from prefect.runtime import flow_run

from crawler.client import make_client
from crawler.discover import Discovery
from crawler.fetch import Crawler
from flows import report, tasks
from newsflow import malloc, progress
from newsflow.config import SourcesConfig, load_sources, read_toml
from newsflow.errors import NewsflowError, WarehouseError
from newsflow.records import Article, Drop, FeedEntry, Page, TopicTag
from parsers.site_boilerplate import SiteRules
from stories.model import Sketch
from topics.taxonomy import Taxonomy, compile_taxonomy
from warehouse import Warehouse
from warehouse.lake import CommitConflict

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOPICS = REPO_ROOT / "config" / "topics.toml"
# Pages per extraction chunk, at most: a window is cut into a multiple of
# the worker count of near-equal chunks, so no worker idles at the end of a
# window while another finishes a leftover chunk (at 100 pages a chunk and
# 2 workers, a 500-page window ran its fifth chunk alone).
EXTRACT_CHUNK = 50
# Sources per discovery task run: a task run costs the flow's process some
# CPU and the Prefect API a few records, so a thousand sources are read in
# twenty task runs, each reading its sources concurrently.
DISCOVER_GROUP = 50
# The first and last windows are at most this share of ``window_pages``
# (see ``_windows``).
FIRST_WINDOW_SHARE = 0.2
# Extraction is CPU-bound: from this many pages on, chunks run in worker
# processes, one per core (a pool costs ~1 s to start, so small runs stay here).
PARALLEL_EXTRACT_MIN_PAGES = 200
MAX_EXTRACT_PROCESSES = 8
# A window's dedupe and load, redone at most this many times when another
# writer of the same lake loaded in between (warehouse/lake.py).
LOAD_ATTEMPTS = 8


def extract_processes() -> int:
    """Worker processes for extraction: one per core (at most
    ``MAX_EXTRACT_PROCESSES``), or ``NEWSFLOW_EXTRACT_PROCESSES`` (1 keeps
    extraction in the flow's process)."""
    env = os.environ.get("NEWSFLOW_EXTRACT_PROCESSES", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError as exc:
            raise NewsflowError(f"NEWSFLOW_EXTRACT_PROCESSES must be a whole number, got {env!r}") from exc
    return min(os.cpu_count() or 1, MAX_EXTRACT_PROCESSES)


@dataclass
class RunSummary:
    run_id: str
    status: str = "running"
    message: str = ""
    counts: Counter[str] = field(default_factory=Counter)
    per_source: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    failures: Counter[str] = field(default_factory=Counter)  # "stage:reason" -> n
    failure_samples: dict[str, list[str]] = field(default_factory=dict)
    failed_sources: dict[str, str] = field(default_factory=dict)
    topics: Counter[str] = field(default_factory=Counter)
    new_stories: list[tuple[str, str, str]] = field(default_factory=list)  # (story_id, source, title)
    story_topics: dict[str, list[str]] = field(default_factory=dict)  # new story_id -> its topics
    new_articles: list[dict[str, Any]] = field(default_factory=list)  # title, source, topics, link
    crashed_runs: list[str] = field(default_factory=list)
    stage_seconds: Counter[str] = field(default_factory=Counter)  # busy time per stage (fetch overlaps the rest)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds[stage] += time.perf_counter() - t0

    def count(self, source: str, key: str, n: int = 1) -> None:
        self.counts[key] += n
        self.per_source[source][key] += n

    def drop(self, d: Drop) -> None:
        key = f"{d.stage}:{d.reason}"
        self.failures[key] += 1
        self.failure_samples.setdefault(key, [])
        if len(self.failure_samples[key]) < 3:
            self.failure_samples[key].append(d.url)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "status": self.status, "message": self.message,
            "counts": dict(self.counts), "per_source": {k: dict(v) for k, v in self.per_source.items()},
            "failures": dict(self.failures), "failure_samples": self.failure_samples,
            "failed_sources": self.failed_sources, "topics": dict(self.topics),
            "new_stories": [list(s) for s in self.new_stories], "crashed_runs": self.crashed_runs,
            "story_topics": self.story_topics, "new_articles": self.new_articles,
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
        }


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _windows(entries: list[FeedEntry], size: int) -> list[list[FeedEntry]]:
    """Windows of ``size`` entries, except the first and the last, which are
    at most ``FIRST_WINDOW_SHARE`` of it: extraction starts after a short
    fetch, and the store of the last window (which nothing overlaps) is
    short too."""
    small = max(1, int(size * FIRST_WINDOW_SHARE))
    if len(entries) <= small:
        return [entries]
    out = [entries[:small], *_chunks(entries[small:], size)]
    if len(out) > 2 and len(out[-1]) > small:
        last = out.pop()
        out += [last[:-small], last[-small:]]
    return out


def _balanced(items: list[Any], workers: int, most: int) -> list[list[Any]]:
    """``items`` in a multiple of ``workers`` near-equal chunks of at most
    ``most`` (fewer when there are fewer items)."""
    if not items:
        return []
    rounds = -(-len(items) // (max(1, workers) * most))
    n = min(len(items), max(1, workers) * rounds)
    step, extra = divmod(len(items), n)
    out, at = [], 0
    for k in range(n):
        size = step + (1 if k < extra else 0)
        out.append(items[at:at + size])
        at += size
    return out


@dataclass
class _Run:
    """What the stages of one run share."""

    config: SourcesConfig
    taxonomy: Taxonomy
    warehouse: Warehouse
    summary: RunSummary
    log: logging.Logger | logging.LoggerAdapter[Any]
    crawler: Crawler | None = None
    rules: dict[str, SiteRules] = field(default_factory=dict)
    pool: tasks.WorkerPool | None = None
    workers: int = 1  # processes in ``pool``
    discoveries: dict[str, Discovery] = field(default_factory=dict)
    drops: list[Drop] = field(default_factory=list)  # not loaded yet
    retry_sources: set[str] = field(default_factory=set)  # keep old feed validators (see _feed_state)
    extracted: int = 0  # pages through extraction so far (chunk labels)
    shipped: tasks.ShippedTaxonomy | None = None  # the taxonomy, pickled once for the workers


@dataclass
class _Extracted:
    """One window's extraction, with what the workers did beside it."""

    articles: list[Article]
    sketches: list[Sketch]
    tagged: tasks.TaggedBy


def _arrow_on_malloc() -> None:
    """Arrow tables built by the loads (a window's rows, then dropped) are
    allocated with the C library's malloc, not pyarrow's default mimalloc:
    mimalloc keeps a heap per thread, and the loads run in changing worker
    threads.  Measured with a plain run at 10,000 pages: peak RSS of the
    flow process 991 -> 874 MB (558 MB at 1,000), same speed."""
    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())


async def run_ingest(config: SourcesConfig, taxonomy: Taxonomy, warehouse: Warehouse,
                     refetch: bool = False, logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
                     flow_run_id: str | None = None) -> RunSummary:
    """The pipeline body, callable inside a flow (it calls Prefect tasks).

    After discovery, new pages go through fetch -> extract -> dedupe -> tag
    -> load in windows of ``[fetch] window_pages`` (oldest feed items first), each
    window loaded in its own transaction, so a run holds at most three
    windows of pages however many it has; the next window is fetched while
    the current one is extracted and the previous one stored.  The read copy is published once, at the end."""
    log = logger or logging.getLogger("newsflow.ingest")
    _arrow_on_malloc()
    malloc.fix_mmap_threshold()  # see newsflow/malloc.py: peak RSS of long runs
    started = time.perf_counter()
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    summary = RunSummary(run_id)
    warehouse.migrate()
    summary.crashed_runs = warehouse.start_run(run_id, flow_run_id, [s.id for s in config.sources])
    if summary.crashed_runs:
        log.warning("marked %d interrupted run(s) as failed (crashed): %s", len(summary.crashed_runs), ", ".join(summary.crashed_runs))
    run = _Run(config, taxonomy, warehouse, summary, log, shipped=tasks.ShippedTaxonomy.of(taxonomy))
    try:
        async with make_client(config.fetch, allow_private_hosts=config.allow_private_hosts) as client:
            run.crawler = Crawler(client, config.fetch)
            with summary.timed("discover"):
                new_entries = await _discover(run, refetch)
            windows = _windows(new_entries, max(1, config.fetch.window_pages)) or [[]]
            with summary.timed("learn_rules"):
                sources = sorted({e.source for e in new_entries})
                run.rules = tasks.learn_rules(warehouse, sources, run_id) if sources else {}
            learned = sum(len(r.rules) for r in run.rules.values())
            if learned:
                log.info("site boilerplate: %d rules learned for %d sources", learned, len(run.rules))
            progress.start("fetch", len(new_entries))
            progress.start("extract", len(new_entries))
            fetching: asyncio.Future[list[Page]] = asyncio.ensure_future(_fetch(run, windows[0]))
            storing: asyncio.Future[None] | None = None
            try:
                workers = extract_processes()
                if workers > 1 and len(new_entries) >= PARALLEL_EXTRACT_MIN_PAGES:
                    # started in a thread while the first window is fetched
                    # (the forkserver's start blocks for a third of a second)
                    run.pool = await asyncio.to_thread(tasks.extraction_pool, workers, run.shipped,
                                                       config.extract.page_cpu_seconds)
                    run.workers = workers
                # A pipeline over windows: window i+1 is fetched and window i
                # extracted (worker processes) while window i-1 is deduped,
                # tagged and loaded (threads); loads keep their order, so each
                # window's dedupe sees the windows before it in the warehouse.
                for i in range(len(windows)):
                    pages = await fetching
                    if i + 1 < len(windows):
                        fetching = asyncio.ensure_future(_fetch(run, windows[i + 1]))
                    extracted = await _extract(run, pages)
                    if storing is not None:
                        await storing
                    storing = asyncio.ensure_future(_store(run, extracted, pages, last=i + 1 == len(windows)))
                    if len(windows) > 1:
                        log.info("window %d/%d extracted: %d articles loaded so far", i + 1, len(windows),
                                 summary.counts["loaded"])
                assert storing is not None
                await storing
            finally:
                for pending in (fetching, storing):
                    if pending is not None and not pending.done():
                        pending.cancel()
                if run.pool is not None:
                    run.pool.close()
            progress.done("fetch")
            progress.done("extract")
        c = summary.counts
        log.info("fetch: %d pages fetched, %d failed; extract: %d articles, %d pages rejected",
                 c["fetched"], c["fetch_failures"], c["extracted"], c["extract_failures"])
        log.info("dedupe: %d known URLs or copies, %d updated texts; tag: %s; load: %d articles",
                 c["duplicates"], c["updated"],
                 ", ".join(f"{k} {v}" for k, v in summary.topics.most_common()) or "no tags", c["loaded"])
    except BaseException as exc:
        warehouse.finish_run(run_id, "failed", _run_counts(summary), f"run aborted: {exc!r}"[:1000],
                             summary.stage_seconds)
        warehouse.publish()
        raise

    summary.status, summary.message = _status(config, summary)
    summary.stage_seconds["total"] = time.perf_counter() - started
    warehouse.finish_run(run_id, summary.status, _run_counts(summary), summary.message, summary.stage_seconds)
    with summary.timed("publish"):  # in the summary only: the runs row is in the copy published here
        warehouse.publish()
    return summary


async def _discover(run: _Run, refetch: bool) -> list[FeedEntry]:
    """Every source's feeds, concurrently; returns the entries to fetch,
    oldest first, so that within a run an original precedes its copies."""
    config, summary, log, warehouse = run.config, run.summary, run.log, run.warehouse
    assert run.crawler is not None
    progress.start("discover", len(config.sources))
    validators = warehouse.feed_validators([s.id for s in config.sources])
    groups = _chunks(sorted(config.sources, key=lambda s: s.id), DISCOVER_GROUP)
    labels = [g[0].id if len(g) == 1 else f"{len(g)} sources ({g[0].id} … {g[-1].id})" for g in groups]
    per_group = await asyncio.gather(*(tasks.discover(quote(run.crawler), quote(g), quote(validators), label=lb)
                                       for g, lb in zip(groups, labels, strict=True)), return_exceptions=True)
    found_by: dict[str, Discovery | BaseException] = {}
    for group, got in zip(groups, per_group, strict=True):
        for source, result in zip(group, got if isinstance(got, list) else [got] * len(group), strict=True):
            found_by[source.id] = result
    found = [found_by[s.id] for s in config.sources]
    progress.done("discover")
    entries_by_source: dict[str, list[FeedEntry]] = {}
    for source, result in zip(config.sources, found, strict=True):
        if isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result
            log.error("source %s failed in discovery: %r", source.id, result)
            summary.failed_sources[source.id] = f"discovery error: {result!r}"
            run.drops.append(Drop("discover", source.id, source.homepage, "source_error", repr(result)[:500]))
            continue
        run.discoveries[source.id] = result
        run.drops.extend(result.drops)
        summary.count(source.id, "feed_failures", len(result.drops))
        summary.count(source.id, "not_modified", len(result.not_modified))
        if result.failed:
            reasons = ", ".join(sorted({d.reason for d in result.drops}))
            summary.failed_sources[source.id] = f"all {result.documents} feed/sitemap/section document(s) failed: {reasons}"
        entries = result.entries[: config.fetch.max_articles_per_source]
        entries_by_source[source.id] = entries
        summary.count(source.id, "discovered", len(entries))
        # items seen but not taken, counted so nothing vanishes
        summary.count(source.id, "over_cap", len(result.entries) - len(entries))
        summary.count(source.id, "stale", result.stale)
        summary.count(source.id, "unusable", result.unusable)

    # skip what we already hold
    flat = [e for es in entries_by_source.values() for e in es]
    new_entries, updated = tasks.skip_known(warehouse, quote(flat), refetch)
    new_per_source = Counter(e.source for e in new_entries)
    for sid, es in entries_by_source.items():
        summary.count(sid, "known", len(es) - new_per_source[sid])
    log.info("discover: %d items from %d sources (%d feeds unchanged), %d to fetch (%d updated since stored),"
             " %d already stored; not taken: %d over max_articles_per_source, %d older than"
             " sitemap_max_age_days, %d without a usable link", summary.counts["discovered"],
             len(config.sources), summary.counts["not_modified"], len(new_entries), updated,
             summary.counts["known"], summary.counts["over_cap"], summary.counts["stale"],
             summary.counts["unusable"])
    oldest = datetime.max.replace(tzinfo=UTC)
    return sorted(new_entries, key=lambda e: (e.published_at or oldest, e.source, e.url))


async def _fetch(run: _Run, entries: list[FeedEntry]) -> list[Page]:
    """One window's pages, each source's concurrently."""
    assert run.crawler is not None
    t0 = time.perf_counter()
    by_source: dict[str, list[FeedEntry]] = defaultdict(list)
    for e in entries:
        by_source[e.source].append(e)
    by_id = {s.id: s for s in run.config.sources}
    ids = sorted(by_source)
    n_sources = len(ids)
    fetched = await tasks.fetch(quote(run.crawler), quote([(by_id[sid], by_source[sid]) for sid in ids]),
                                label=f"{len(entries)} pages from {n_sources} source{'s' if n_sources != 1 else ''}")
    pages: list[Page] = []
    for sid, result in zip(ids, fetched, strict=True):
        if isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result
            run.log.error("source %s failed while fetching: %r", sid, result)
            run.summary.failed_sources[sid] = f"fetch error: {result!r}"
            run.drops.append(Drop("fetch", sid, by_id[sid].homepage, "source_error", repr(result)[:500]))
            run.retry_sources.add(sid)
            continue
        got, drops = result
        pages.extend(got)
        run.drops.extend(drops)
        run.retry_sources.update(d.source for d in drops if d.reason in RETRYABLE)
        run.summary.count(sid, "fetched", len(got))
        run.summary.count(sid, "fetch_failures", len(drops))
    run.summary.stage_seconds["fetch"] += time.perf_counter() - t0
    return pages


async def _extract(run: _Run, pages: list[Page]) -> _Extracted:
    """One window's pages, in chunks (side by side in worker processes
    when the run has a pool); the chunks also fingerprint, sketch and tag
    their articles (see ``tasks.Chunk``)."""
    summary = run.summary
    languages = {s.id: s.language for s in run.config.sources}
    pages.sort(key=lambda p: (p.source, p.url))
    chunks = _balanced(pages, run.workers if run.pool is not None else 1, EXTRACT_CHUNK)
    with summary.timed("extract"):
        results = await tasks.extract(quote(chunks), languages, label=f"{run.extracted}-{run.extracted + len(pages)}",
                                      site_rules=quote(run.rules), pool=run.pool, taxonomy=quote(run.shipped))
    run.extracted += len(pages)
    out = _Extracted([], [], {})
    for chunk in results:
        out.articles.extend(chunk.articles)
        out.sketches.extend(chunk.sketches)
        if chunk.tags:  # tagged in the worker
            for a, tags in zip(chunk.articles, chunk.tags, strict=True):
                out.tagged[(a.article_id, a.content_hash)] = tags
        run.drops.extend(chunk.drops)
        for d in chunk.drops:
            if d.stage == "extract":
                summary.count(d.source, "extract_failures")
            _log_unexpected(run, d)
        for stage in ("dedupe", "tag"):  # worker time, summed over the workers
            summary.stage_seconds[stage] += chunk.seconds.get(stage, 0.0)
    for a in out.articles:
        summary.count(a.source, "extracted")
    return out


UNEXPECTED = frozenset({"internal_error", "worker_crashed"})


def _log_unexpected(run: _Run, d: Drop) -> None:
    """An item that failed for a reason nobody planned for is logged once,
    with its URL, and counted (``internal_errors``); it is a drop like any
    other, and the run goes on."""
    if d.reason in UNEXPECTED:
        run.summary.count(d.source, "internal_errors")
        run.log.error("%s: %s in %s on %s: %s", d.source, d.reason, d.stage, d.url, d.detail)


async def _store(run: _Run, extracted: _Extracted, pages: list[Page], last: bool) -> None:
    """Dedupe, tag and load one window's articles (the last window also
    stores the feeds' validators), then index them for search."""
    summary, log = run.summary, run.log
    assert run.crawler is not None
    earlier, run.drops = run.drops, []
    fetches, run.crawler.records[:] = list(run.crawler.records), []
    # Dedupe and load as one section: on a lake, one writer at a time, and
    # redone on a fresh snapshot when another writer's load got in between
    # (warehouse/lake.py); a DuckDB file has one writer and goes straight through.
    for attempt in range(1, LOAD_ATTEMPTS + 1):
        try:
            async with tasks.load_section(run.warehouse):
                with summary.timed("dedupe"):
                    deduped = await tasks.dedupe_batch(run.warehouse, quote(extracted.articles),
                                                       quote(extracted.sketches))
                with summary.timed("tag"):
                    tags: list[TopicTag] = await tasks.tag(quote([*deduped.articles, *deduped.updates]),
                                                           quote(run.taxonomy), quote(extracted.tagged))
                drops = [*earlier, *deduped.drops]
                with summary.timed("load"):
                    result = await tasks.load(run.warehouse, summary.run_id, quote(deduped), quote(tags),
                                              quote(fetches), quote(drops), run.taxonomy.version,
                                              quote(_feed_state(run.discoveries, run.retry_sources) if last else []),
                                              quote({p.final_url: p for p in pages}))
            break
        except CommitConflict as exc:
            run.warehouse.conflicts.add(retried=attempt < LOAD_ATTEMPTS)
            log.warning("load of a window conflicted with another writer's (attempt %d of %d): %s",
                        attempt, LOAD_ATTEMPTS, exc)
            if attempt == LOAD_ATTEMPTS:
                raise
    for d in deduped.drops:
        if d.reason in UNEXPECTED:
            _log_unexpected(run, d)
        else:
            summary.count(d.source, "duplicates")
    for a in deduped.articles:
        if a.duplicate_of:
            summary.count(a.source, "duplicates")
    for a in deduped.updates:
        summary.count(a.source, "updated")
    summary.topics.update(t.topic for t in tags)
    for d in drops:
        summary.drop(d)
    topics_of: dict[str, list[str]] = defaultdict(list)
    for t in tags:
        topics_of[t.article_id].append(t.topic)
    rejected = {d.url for d in result.rejected}
    for d in result.rejected:
        summary.drop(d)
        _log_unexpected(run, d)
    for a in deduped.articles:
        if a.url in rejected:
            continue
        summary.count(a.source, "loaded")
        summary.new_articles.append({"title": a.title or "", "source": a.source,
                                     "topics": ", ".join(topics_of.get(a.article_id, [])), "link": a.canonical_url})
        if a.duplicate_of is None and a.story_id == a.article_id:  # the first article of a new story
            summary.new_stories.append((a.story_id, a.source, a.title or a.canonical_url))
            summary.story_topics[a.story_id] = topics_of.get(a.article_id, [])
    log.debug("load: %d articles, %d topic rows, %d fetch_log rows, %d drops",
              result.articles, result.topics, result.fetch_log, result.drops)
    if deduped.articles or deduped.updates:
        with summary.timed("search"):
            try:
                await tasks.index_search(run.warehouse, quote([*deduped.articles, *deduped.updates]))
            except WarehouseError as exc:  # the data is loaded; the index is derived and can be rebuilt
                log.error("search index not updated (%s); run `newsflow search --rebuild`", exc)
                summary.failures["search:index_not_updated"] += 1


RETRYABLE = {"http_429", "http_500", "http_502", "http_503", "http_504", "timeout", "connect_error", "read_error",
             "circuit_open", "robots_unavailable", "source_error"}


def _feed_state(discoveries: dict[str, Discovery], retry: set[str]) -> list[tuple[str, str, str | None, str | None, int]]:
    """Validators to store for conditional GET.  A source with pages that
    failed for a passing reason (``retry``) keeps its old validators, so the
    next run reads its feeds in full and retries those pages."""
    return [(url, sid, etag, lm, status)
            for sid, found in discoveries.items() if sid not in retry
            for url, (etag, lm, status) in found.validators.items()]


def _run_counts(s: RunSummary) -> dict[str, int]:
    c = s.counts
    return {
        "discovered": c["discovered"], "fetched": c["fetched"],
        "failed": c["feed_failures"] + c["fetch_failures"], "extracted": c["extracted"],
        "duplicates": c["duplicates"], "loaded": c["loaded"],
    }


def _status(config: SourcesConfig, s: RunSummary) -> tuple[str, str]:
    if not s.failed_sources:
        return "completed", f"{s.counts['loaded']} new articles from {len(config.sources)} sources"
    named = "; ".join(f"{k}: {v}" for k, v in sorted(s.failed_sources.items()))
    if len(s.failed_sources) == len(config.sources):
        return "failed", f"every source failed. {named}"
    return "partial", f"{len(s.failed_sources)} of {len(config.sources)} sources failed. {named}"


def run_name() -> str:
    """``ingest · <source or group> · <scheduled time>``, for the Prefect UI."""
    params = flow_run.parameters or {}
    only = params.get("only") or []
    who = only[0] if len(only) == 1 else (f"{only[0]} +{len(only) - 1}" if only else "all sources")
    when = flow_run.scheduled_start_time or datetime.now(UTC)
    return f"ingest · {who} · {when.astimezone(UTC).strftime('%Y-%m-%d %H:%M')}"


@flow(name="ingest", flow_run_name=run_name, log_prints=False)
async def ingest(sources_file: str = "config/sources.toml", db: str = "data/newsflow.duckdb",
                 only: list[str] | None = None, topics_file: str | None = None,
                 refetch: bool = False, max_lateness_minutes: float | None = None,
                 data_path: str | None = None) -> Any:
    """Fetch new articles from the sources' feeds and load them into DuckDB
    (a file, or a lake: ``db`` = ``ducklake:postgres:...`` with its
    ``data_path``, else ``NEWSFLOW_DATA_PATH``).

    A scheduled run that starts more than ``max_lateness_minutes`` after its
    scheduled time (the worker was down, the previous run overran) skips
    itself and ends in a Completed state named "Skipped": the next scheduled
    run picks up everything, so late runs never pile up.
    """
    logger = get_run_logger()
    scheduled = flow_run.scheduled_start_time
    if max_lateness_minutes is not None and scheduled is not None:
        late = (datetime.now(UTC) - scheduled).total_seconds() / 60
        if late > max_lateness_minutes:
            message = f"skipped: started {late:.0f} min after its scheduled time (limit {max_lateness_minutes:g} min)"
            logger.warning(message)
            return Completed(name="Skipped", message=message)
    config = load_sources(sources_file).select(only)
    taxonomy = compile_taxonomy(read_toml(topics_file or DEFAULT_TOPICS))
    worker = os.environ.get("PREFECT__WORKER_NAME")  # set by the Prefect worker that runs us, if one does
    if worker:
        logger.info("run by Prefect worker %s on %s", worker, socket.gethostname())
    warehouse = Warehouse(db, data_path=data_path or os.environ.get("NEWSFLOW_DATA_PATH") or None, worker=worker,
                          pages_path=os.environ.get("NEWSFLOW_PAGES_PATH") or None)
    summary = await run_ingest(config, taxonomy, warehouse, refetch=refetch, logger=logger,
                               flow_run_id=str(flow_run.get_id() or ""))
    await report.publish(summary, logger)
    if summary.status == "failed":
        raise NewsflowError(summary.message)
    if summary.status == "partial":
        logger.warning(summary.message)
        return Completed(message=f"partial: {summary.message}", data=summary.as_dict())
    return summary.as_dict()
