"""Extraction in worker processes gives exactly what it gives in-process."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows import tasks
from flows.ingest import DEFAULT_TOPICS
from newsflow import packing
from newsflow.config import read_toml
from newsflow.demo.site import DemoSite, load_content
from newsflow.records import Page, TopicTag
from topics.tagger import tag_articles
from topics.taxonomy import compile_taxonomy

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _pages() -> list[Page]:
    demo = DemoSite(load_content())
    res = demo.render("http://127.0.0.1:1")
    return [Page(url=f"http://127.0.0.1:1{demo.local_path(a)}", final_url=f"http://127.0.0.1:1{demo.local_path(a)}",
                 source=a["outlet"], status=200, content_type="text/html", charset="utf-8",
                 body=res[demo.local_path(a)].body, fetched_at=datetime(2026, 1, 1, tzinfo=UTC))
            for a in demo.articles]


def test_pool_and_in_process_extraction_agree() -> None:
    """The workers get the pages compressed, as the flow fetches them; they
    give what in-process extraction of the plain pages gives."""
    pages = _pages()
    packed = [replace(p, body=packing.pack(p.body), packed=True) for p in pages]
    assert sum(len(p.body) for p in packed) < sum(len(p.body) for p in pages) / 2
    languages = {"cd": "fr"}
    shipped = tasks.ShippedTaxonomy.of(compile_taxonomy(read_toml(DEFAULT_TOPICS)))
    serial = tasks.extract_chunk(pages, languages, taxonomy=shipped)
    with tasks.extraction_pool(2) as pool:
        chunks = asyncio.run(tasks.extract([packed[i:i + 8] for i in range(0, len(packed), 8)], languages,
                                           label="all", pool=pool, taxonomy=shipped))
    parallel = [a for c in chunks for a in c.articles]
    assert [a.text for a in parallel] == [a.text for a in serial.articles]
    assert len(parallel) == len(pages) == 31
    # the per-article work of dedupe and tagging, done in the workers, is the same too
    assert all(a.content_hash for a in parallel)
    assert [a.content_hash for a in parallel] == [a.content_hash for a in serial.articles]
    assert [s.band_keys for c in chunks for s in c.sketches] == [s.band_keys for s in serial.sketches]
    assert [t for c in chunks for t in c.tags] == serial.tags
    assert sum(len(t) for t in serial.tags) > 31  # the demo articles do get topics
    assert {"extract", "dedupe", "tag"} <= set(serial.seconds)


def test_tag_takes_the_workers_tags_and_tags_the_rest() -> None:
    taxonomy = compile_taxonomy(read_toml(DEFAULT_TOPICS))
    chunk = tasks.extract_chunk(_pages()[:4], {"cd": "fr"}, taxonomy=tasks.ShippedTaxonomy.of(taxonomy))
    a, b, c, d = chunk.articles
    done = {(x.article_id, x.content_hash): tags for x, tags in zip(chunk.articles, chunk.tags, strict=True)}
    marker = [TopicTag(a.article_id, "marker", 1.0, ())]
    done[(a.article_id, a.content_hash)] = marker  # taken as is, not recomputed
    del done[(b.article_id, b.content_hash)]  # never seen by the workers: tagged here
    c2 = replace(c, title="Football : le Raja remporte le derby", content_hash="changed",  # a new text: tagged again
                 text="Le Raja a battu le Wydad deux buts à un dimanche soir au stade Mohammed V, en championnat.")
    got = tasks.tag.fn  # the task's body, without a flow
    out = asyncio.run(got([a, b, c2, d], taxonomy, done))
    by = {x.article_id: sorted(t.topic for t in out if t.article_id == x.article_id) for x in (a, b, c, d)}
    assert by[a.article_id] == ["marker"]
    assert by[b.article_id] == sorted(t.topic for t in tag_articles([b], taxonomy))
    assert by[c.article_id] == sorted(t.topic for t in tag_articles([c2], taxonomy))
    assert by[c.article_id] != sorted(t.topic for t in chunk.tags[2])
    assert by[d.article_id] == sorted(t.topic for t in chunk.tags[3])


def test_the_pool_starts_its_workers_with_the_taxonomy_before_the_first_chunk() -> None:
    """Workers are started (and given the run's taxonomy) when the pool is
    made, so the first window's extraction does not wait for them; they
    import no Prefect."""
    from flows import workers

    shipped = workers.ShippedTaxonomy.of(compile_taxonomy(read_toml(DEFAULT_TOPICS)))
    with workers.extraction_pool(2, shipped) as pool:
        pids = {pool.submit(workers.warm).result(timeout=120) for _ in range(6)}
        assert len(pids) <= 2
        assert pool.submit(_has_taxonomy, shipped.version).result(timeout=120)
    # what the forkserver preloads for the workers does not bring Prefect in
    code = "import sys, flows.workers; sys.exit('prefect' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2]).returncode == 0


def _has_taxonomy(version: str) -> bool:
    from flows import workers
    return version in workers._TAXONOMIES
