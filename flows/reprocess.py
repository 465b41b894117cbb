"""``newsflow reprocess``: re-extract stored pages with the current extractor,
so improvements reach old articles without fetching again."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger

from flows.ingest import (
    DEFAULT_TOPICS,
    PARALLEL_EXTRACT_MIN_PAGES,
    _balanced,
    extract_processes,
)
from flows.workers import WorkerPool, extraction_pool, reextract_chunk
from newsflow.config import read_toml
from newsflow.records import Article, Drop, Page
from parsers.extract import EXTRACTOR
from parsers.site_boilerplate import SiteRules
from stories.dedupe import fingerprint
from topics.tagger import tag_articles
from topics.taxonomy import Taxonomy, compile_taxonomy
from warehouse import Warehouse, pages
from warehouse.search import SearchIndex, rows_from_articles

BATCH_PAGES = 200  # pages read back, extracted and loaded together


def run_reprocess(wh: Warehouse, taxonomy_file: str | None = None, sources: list[str] | None = None,
                  everything: bool = False, logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
                  flow_run_id: str | None = None) -> dict[str, Any]:
    """Re-extract the stored pages of articles whose extractor is not the
    current one (all of them with ``everything``).  A changed text replaces
    the article's text (the old one goes to ``article_versions``) and its
    topics are recomputed; story assignment is kept."""
    log = logger or logging.getLogger("newsflow.reprocess")
    wh.migrate()
    taxonomy = compile_taxonomy(read_toml(taxonomy_file or DEFAULT_TOPICS))
    run_id = "reprocess-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    stored = pages.StoredPages(wh, None, None if everything else EXTRACTOR, sources)
    wh.start_run(run_id, flow_run_id, stored.sources)
    rules = pages.site_rules(wh, stored.sources)
    index = None if wh.is_lake else SearchIndex(wh.search_dir)  # a lake's readers index from its snapshots
    changed: list[str] = []
    unchanged = failed = 0
    workers = extract_processes()
    # extraction is CPU-bound: the ingest's worker processes, for enough pages to pay their start
    pool = extraction_pool(workers) if workers > 1 and len(stored) >= PARALLEL_EXTRACT_MIN_PAGES else None
    try:
        # a batch at a time: its pages' HTML, extraction, tags and one load; a
        # warehouse of any size is gone through in the memory of one batch.
        # Batches loaded before a failure are kept; the run says where it stopped.
        for batch, unreadable in stored.batches(BATCH_PAGES):
            _, rows = wh.query("SELECT article_id, text, language, story_id, duplicate_of FROM articles"
                               " WHERE article_id IN (SELECT unnest(?))", [[aid for _, aid in batch]])
            current = {aid: (text, lang, sid, dup) for aid, text, lang, sid, dup in rows}
            results = _extract([(page, current[aid][1]) for page, aid in batch], rules, pool, workers)
            ids, n_same, n_failed = _apply(wh, run_id, batch, results, unreadable, current, taxonomy, index)
            changed.extend(ids)
            unchanged += n_same
            failed += n_failed
    except BaseException as exc:
        wh.finish_run(run_id, "failed", {"extracted": len(changed) + unchanged},
                      f"reprocess aborted after {len(changed) + unchanged + failed} of {len(stored)} pages"
                      f" ({len(changed)} texts changed): {exc!r}"[:1000])
        raise
    finally:
        if pool is not None:
            pool.close()
    total = len(stored)
    # Articles whose HTML the retention gave up ([raw_pages] keep_days) stay
    # as they are.  Counted here, not one drop each: they were let go on
    # purpose, and every later reprocess would record them again.
    not_kept = stored.not_kept
    summary = {"run_id": run_id, "pages": total, "changed": len(changed), "unchanged": unchanged,
               "failed": failed, "not_kept": not_kept, "extractor": EXTRACTOR, "changed_articles": changed}
    left = f"; {not_kept} articles left as they are, their HTML no longer kept" if not_kept else ""
    wh.finish_run(run_id, "completed", {"extracted": len(changed) + unchanged},
                  f"reprocessed {total} pages: {len(changed)} texts changed, {unchanged} unchanged, {failed} failed{left}")
    wh.publish()
    log.info("reprocess: %d pages, %d texts changed, %d unchanged, %d failed%s", total, len(changed), unchanged,
             failed, left)
    return summary


@flow(name="reprocess", log_prints=False)
def reprocess(db: str = "data/newsflow.duckdb", sources: list[str] | None = None, everything: bool = False,
              topics_file: str | None = None, data_path: str | None = None) -> dict[str, Any]:
    """Re-extract stored pages with the current extractor."""
    from prefect.runtime import flow_run

    import os

    wh = Warehouse(db, data_path=data_path, pages_path=os.environ.get("NEWSFLOW_PAGES_PATH") or None)
    return run_reprocess(wh, topics_file, sources, everything, get_run_logger(),
                         str(flow_run.get_id() or ""))


def _extract(items: list[tuple[Page, str | None]], rules: dict[str, SiteRules], pool: WorkerPool | None,
             workers: int) -> list[Article | Drop]:
    """Each page extracted again, in order: in the worker processes, one
    chunk each, when there is a pool (a page that kills its worker becomes
    a ``worker_crashed`` drop, see :class:`flows.workers.WorkerPool`)."""
    if pool is None or len(items) < 2:
        return reextract_chunk(items, rules)
    chunks = _balanced(items, workers, BATCH_PAGES)
    used = {page.source for page, _ in items}
    done = pool.run_all(reextract_chunk, chunks, ({src: rules[src] for src in used if src in rules},),
                        lambda a, b: [*a, *b], _crashed)
    return [out for chunk in done for out in chunk]


def _crashed(item: tuple[Page, str | None], why: str) -> list[Article | Drop]:
    page = item[0]
    return [Drop("extract", page.source, page.url, "worker_crashed", why)]


def _apply(wh: Warehouse, run_id: str, batch: list[tuple[Page, str]], results: list[Article | Drop],
           unreadable: list[pages.Unreadable], current: dict[str, tuple[str, str | None, str | None, str | None]],
           taxonomy: Taxonomy, index: SearchIndex | None) -> tuple[list[str], int, int]:
    """Load one batch's outcome: changed texts (new versions, re-tagged),
    the extractor of unchanged ones, and what failed.  Returns the changed
    article ids, the unchanged count and the failed count."""
    updates: list[Article] = []
    drops = [Drop("reprocess", u.source, u.url, "raw_page_unreadable", u.detail) for u in unreadable]
    same: list[str] = []
    for (_, aid), out in zip(batch, results, strict=True):
        text, lang, story_id, dup = current[aid]
        if isinstance(out, Drop):
            drops.append(replace(out, stage="reprocess"))
            continue
        if out.text == text:
            same.append(aid)
            continue
        updates.append(replace(out, article_id=aid, story_id=story_id, duplicate_of=dup,
                               language=out.language or lang))
    updates = fingerprint(updates)
    tags = tag_articles(updates, taxonomy)
    # (on a lake, again when another writer's commit conflicted: updates need no fresh dedupe)
    wh.retrying(lambda: wh.load(run_id, [], tags, [], drops, [], taxonomy.version, updates=updates),
                f"reprocess load of run {run_id}")
    if updates and index is not None:
        index.index(rows_from_articles(updates))
    if same:
        wh.write(lambda con: con.execute("UPDATE articles SET extractor = ? WHERE article_id IN (SELECT unnest(?))",
                                         [EXTRACTOR, same]), "recording the extractor of unchanged texts")
    return [a.article_id for a in updates], len(same), len(drops)
