"""What the extraction worker processes run, and their pool.

Kept apart from :mod:`flows.tasks` so a worker imports no Prefect: the
forkserver preloads this module (with trafilatura, the stories and topics
code), and each worker forked from it starts ready to work.  Importing
``flows.tasks`` in each worker cost 0.85 s (Prefect) on its first chunk.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from newsflow import malloc
from newsflow.records import Article, Drop, Page, TopicTag
from parsers.extract import extract_page
from parsers.site_boilerplate import SiteRules
from stories.dedupe import fingerprint, sketch
from stories.model import Sketch
from topics.tagger import tag_article
from topics.taxonomy import Taxonomy

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


def extract_chunk(pages: list[Page], languages: dict[str, str], site_rules: dict[str, SiteRules] | None = None,
                  taxonomy: ShippedTaxonomy | None = None) -> Chunk:
    """Extract a chunk of pages (module-level, so a worker process can run
    it).  With a ``taxonomy``, it also fingerprints, sketches and tags the
    articles (see :class:`Chunk`)."""
    t0 = time.process_time()
    articles: list[Article] = []
    drops: list[Drop] = []
    for page in pages:
        out = extract_page(page, languages.get(page.source), (site_rules or {}).get(page.source))
        if isinstance(out, Article):
            articles.append(out)
        else:
            drops.append(out)
    t1 = time.process_time()
    if taxonomy is None:
        return Chunk(articles, drops, seconds={"extract": t1 - t0})
    articles = fingerprint(articles)
    sketches = sketch(articles)
    t2 = time.process_time()
    tax = _unship(taxonomy)
    tags = [tag_article(a, tax) for a in articles]
    t3 = time.process_time()
    return Chunk(articles, drops, sketches, tags, {"extract": t1 - t0, "dedupe": t2 - t1, "tag": t3 - t2})


def reextract_chunk(items: list[tuple[Page, str | None]], site_rules: dict[str, SiteRules]) -> list[Article | Drop]:
    """Extract stored pages again (``newsflow reprocess``), each with its
    article's stored language as the hint; one result per page, in order."""
    return [extract_page(page, language, site_rules.get(page.source)) for page, language in items]


def warm(taxonomy: ShippedTaxonomy | None) -> int:
    """A no-op chunk: makes the pool start a worker and, given the run's
    taxonomy, unpickle it there.  Returns the worker's pid."""
    malloc.fix_mmap_threshold()  # workers parse whole pages: see newsflow/malloc.py
    if taxonomy is not None:
        _unship(taxonomy)
    return os.getpid()


def _log_failure(future: Future[int]) -> None:
    if not future.cancelled() and future.exception() is not None:
        _log.warning("an extraction worker failed to start: %r", future.exception())


def extraction_pool(workers: int, taxonomy: ShippedTaxonomy | None = None) -> ProcessPoolExecutor:
    """Worker processes for extraction, which is CPU-bound (HTML parsing).
    forkserver with this module preloaded: workers start in well under a
    second with trafilatura already imported, and nothing of the flow's
    threads or event loop is forked.  The workers are started (and handed
    ``taxonomy``) at once, while the flow fetches the first window, not on
    the first chunk: the pool's start-up was 2 s of idle workers per run."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["flows.workers"])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    for _ in range(workers):  # each submit with no idle worker starts one
        pool.submit(warm, taxonomy).add_done_callback(_log_failure)
    return pool
