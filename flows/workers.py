"""What the extraction worker processes run, and their pool.

Kept apart from :mod:`flows.tasks` so a worker imports no Prefect: the
forkserver preloads this module (with trafilatura, the stories and topics
code), and each worker forked from it starts ready to work.  Importing
``flows.tasks`` in each worker cost 0.85 s (Prefect) on its first chunk.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

from newsflow import malloc
from newsflow.config import DEFAULT_PAGE_CPU_SECONDS
from newsflow.isolation import internal_error
from newsflow.records import Article, Drop, Page, TopicTag
from parsers.extract import extract_page
from parsers.site_boilerplate import SiteRules
from stories.dedupe import fingerprint, sketch
from stories.model import Sketch
from topics.tagger import tag_article
from topics.taxonomy import Taxonomy

T = TypeVar("T")
R = TypeVar("R")

# CPU seconds one page may take in a worker (``[extract] page_cpu_seconds``).
# Past this soft limit the page is dropped (``extract_timeout``) and the
# worker goes on; a page stuck in C code, where Python cannot interrupt it,
# is killed with its worker at HARD_LIMIT_FACTOR times it, and found as a
# crash (see WorkerPool).  The slowest real pages of the extraction corpus
# take about 2 s.
PAGE_CPU_SECONDS = DEFAULT_PAGE_CPU_SECONDS
HARD_LIMIT_FACTOR = 2.0

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ShippedTaxonomy:
    """A taxonomy as sent to the extraction workers: pickled once by the
    flow, unpickled once per worker process (cached by version), instead of
    pickling the compiled taxonomy (2 MB) for every chunk."""

    version: str
    blob: bytes

    @classmethod
    def of(cls, taxonomy: Taxonomy) -> ShippedTaxonomy:
        return cls(taxonomy.version, pickle.dumps(taxonomy))


_TAXONOMIES: dict[str, Taxonomy] = {}


def _unship(shipped: ShippedTaxonomy) -> Taxonomy:
    found = _TAXONOMIES.get(shipped.version)
    if found is None:
        found = _TAXONOMIES[shipped.version] = pickle.loads(shipped.blob)
    return found


@dataclass(frozen=True, slots=True)
class Chunk:
    """What a chunk of pages gives.  Beside the extraction: each article's
    content hash and story sketch (dedupe's per-article work) and its topics
    (tagging is per article too), so this CPU work runs in the workers, side
    by side, and not in the flow's process."""

    articles: list[Article]  # with content hashes
    drops: list[Drop]
    sketches: list[Sketch] = field(default_factory=list)
    tags: list[list[TopicTag]] = field(default_factory=list)  # per article, in order
    seconds: dict[str, float] = field(default_factory=dict)  # busy time: extract, dedupe (sketches), tag

    @staticmethod
    def merge(a: Chunk, b: Chunk) -> Chunk:
        seconds = {k: a.seconds.get(k, 0.0) + b.seconds.get(k, 0.0) for k in {*a.seconds, *b.seconds}}
        return Chunk(a.articles + b.articles, a.drops + b.drops, a.sketches + b.sketches, a.tags + b.tags, seconds)


class PageTimeout(BaseException):
    """A page went over its CPU budget in a worker.  A BaseException, so the
    libraries' own ``except Exception`` blocks cannot swallow it."""


_PAGE_CPU: float | None = None  # set in worker processes only (see _init_worker)


def _over_budget(_signum: int, _frame: object) -> None:
    raise PageTimeout


@contextmanager
def _page_budget() -> Iterator[None]:
    """In a worker: the page's CPU budget, soft (an exception) then hard
    (SIGPROF, whose default action ends the process)."""
    if _PAGE_CPU is None:
        yield
        return
    signal.setitimer(signal.ITIMER_VIRTUAL, _PAGE_CPU)
    signal.setitimer(signal.ITIMER_PROF, _PAGE_CPU * HARD_LIMIT_FACTOR)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)


def _extract_one(page: Page, language: str | None, rules: SiteRules | None) -> Article | Drop:
    try:
        with _page_budget():
            return extract_page(page, language, rules)
    except PageTimeout:
        return Drop("extract", page.source, page.url, "extract_timeout",
                    f"extraction took more than {_PAGE_CPU:g} s of CPU")


def extract_chunk(pages: list[Page], languages: dict[str, str], site_rules: dict[str, SiteRules] | None = None,
                  taxonomy: ShippedTaxonomy | None = None) -> Chunk:
    """Extract a chunk of pages (module-level, so a worker process can run
    it).  With a ``taxonomy``, it also fingerprints, sketches and tags the
    articles (see :class:`Chunk`).  Each page and each article is on its own:
    an unexpected exception drops that item (``internal_error``); an article
    whose tagging fails is kept, untagged, with a ``tag`` drop saying so."""
    t0 = time.process_time()
    articles: list[Article] = []
    drops: list[Drop] = []
    for page in pages:
        out = _extract_one(page, languages.get(page.source), (site_rules or {}).get(page.source))
        if isinstance(out, Article):
            articles.append(out)
        else:
            drops.append(out)
    t1 = time.process_time()
    if taxonomy is None:
        return Chunk(articles, drops, seconds={"extract": t1 - t0})
    hashed: list[Article] = []
    sketches: list[Sketch] = []
    for a in articles:
        try:
            (h,) = fingerprint([a])
            (sk,) = sketch([h])
        except Exception as exc:  # noqa: BLE001 - recorded as this article's drop (newsflow.isolation)
            drops.append(internal_error("dedupe", a.source, a.url, exc))
            continue
        hashed.append(h)
        sketches.append(sk)
    t2 = time.process_time()
    tax = _unship(taxonomy)
    tags: list[list[TopicTag]] = []
    for a in hashed:
        try:
            tags.append(tag_article(a, tax))
        except Exception as exc:  # noqa: BLE001 - the article stays, untagged; the drop says why
            drops.append(internal_error("tag", a.source, a.url, exc))
            tags.append([])
    t3 = time.process_time()
    return Chunk(hashed, drops, sketches, tags, {"extract": t1 - t0, "dedupe": t2 - t1, "tag": t3 - t2})


def reextract_chunk(items: list[tuple[Page, str | None]], site_rules: dict[str, SiteRules]) -> list[Article | Drop]:
    """Extract stored pages again (``newsflow reprocess``), each with its
    article's stored language as the hint; one result per page, in order."""
    return [_extract_one(page, language, site_rules.get(page.source)) for page, language in items]


def _init_worker(taxonomy: ShippedTaxonomy | None, page_cpu: float | None) -> None:
    """Each worker process, once: malloc as the flow has it, the run's
    taxonomy unpickled, the per-page CPU budget armed."""
    global _PAGE_CPU
    malloc.fix_mmap_threshold()  # workers parse whole pages: see newsflow/malloc.py
    if taxonomy is not None:
        _unship(taxonomy)
    if page_cpu:
        _PAGE_CPU = page_cpu
        signal.signal(signal.SIGVTALRM, _over_budget)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)


def warm() -> int:
    """A no-op task: makes the pool start a worker.  Returns its pid."""
    return os.getpid()


class WorkerPool:
    """Worker processes for extraction, which is CPU-bound (HTML parsing),
    where a worker that dies costs only the page that killed it.

    pebble's ProcessPool, not ``concurrent.futures``: when a worker dies
    (a segfault or out-of-memory kill inside lxml, or a page past its hard
    CPU limit) pebble fails only the task that worker was running and starts
    a new worker, where ``ProcessPoolExecutor`` breaks the whole pool and
    every task in flight.  :meth:`run` then retries that task's items in
    halves, in fresh workers, until the item that kills a worker is alone:
    it becomes ``crashed(item)`` (a ``worker_crashed`` drop).

    forkserver with this module preloaded: workers start in well under a
    second with trafilatura already imported, and nothing of the flow's
    threads or event loop is forked.  The workers are started (and handed
    ``taxonomy``) at once, while the flow fetches the first window, not on
    the first chunk."""

    def __init__(self, workers: int, taxonomy: ShippedTaxonomy | None = None,
                 page_cpu_seconds: float | None = PAGE_CPU_SECONDS) -> None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["flows.workers"])
        self.workers = workers
        self.crashes = 0  # tasks whose worker died
        self._pool = ProcessPool(max_workers=workers, initializer=_init_worker,
                                 initargs=(taxonomy, page_cpu_seconds), context=ctx)
        for _ in range(workers):
            self._pool.schedule(warm)

    async def run(self, fn: Callable[..., R], items: Sequence[T], args: tuple[Any, ...],
                  merge: Callable[[R, R], R], crashed: Callable[[T, str], R]) -> R:
        """``fn(items, *args)`` in a worker; when the worker dies, the same
        in halves (each in a worker of its own), down to the single item
        that kills it, which becomes ``crashed(item, why)``."""
        future = self._pool.schedule(fn, (list(items), *args))
        try:
            return await asyncio.wrap_future(future)
        except ProcessExpired as exc:
            self.crashes += 1
            why = f"the extraction worker died (exit code {exc.exitcode})"
            if len(items) == 1:
                _log.error("%s on %r; dropped as worker_crashed", why, items[0])
                return crashed(items[0], why)
            _log.warning("%s on a chunk of %d; retrying it in halves", why, len(items))
        mid = len(items) // 2
        left, right = await asyncio.gather(self.run(fn, items[:mid], args, merge, crashed),
                                           self.run(fn, items[mid:], args, merge, crashed))
        return merge(left, right)

    def run_all(self, fn: Callable[..., R], chunks: Sequence[Sequence[T]], args: tuple[Any, ...],
                merge: Callable[[R, R], R], crashed: Callable[[T, str], R]) -> list[R]:
        """:meth:`run` for each chunk, side by side, from synchronous code."""
        async def every() -> list[R]:
            return list(await asyncio.gather(*(self.run(fn, c, args, merge, crashed) for c in chunks)))
        with ThreadPoolExecutor(1) as thread:  # its own event loop, whatever the caller runs in
            return thread.submit(asyncio.run, every()).result()

    def submit(self, fn: Callable[..., R], *args: Any) -> Any:
        """A plain task (no crash handling): its concurrent.futures Future."""
        return self._pool.schedule(fn, args)

    def close(self) -> None:
        self._pool.close()
        self._pool.join()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def crashed_page(page: Page, why: str) -> Chunk:
    """The chunk of one page that killed its worker."""
    return Chunk([], [Drop("extract", page.source, page.url, "worker_crashed", why)])


def extraction_pool(workers: int, taxonomy: ShippedTaxonomy | None = None,
                    page_cpu_seconds: float | None = PAGE_CPU_SECONDS) -> WorkerPool:
    return WorkerPool(workers, taxonomy, page_cpu_seconds)
