"""A run processes its new pages in windows: the result is the same as in
one window, and each stage's time is kept in ``runs``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from flows.ingest import ingest
from newsflow.demo.site import DemoSite, load_content, serve_resources
from warehouse import Warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")

SNAPSHOT = {
    "articles": "SELECT canonical_url, source, title, text, duplicate_of IS NOT NULL FROM articles ORDER BY 1",
    "topics": "SELECT canonical_url, topic FROM article_topics JOIN articles USING (article_id) ORDER BY 1, 2",
    "fetches": "SELECT kind, count(*) FROM fetch_log GROUP BY 1 ORDER BY 1",
    "pages": "SELECT count(*), count(DISTINCT article_id) FROM raw_pages",
    "feeds": "SELECT count(*) FROM feed_state WHERE etag IS NOT NULL OR last_modified IS NOT NULL",
}


def _ingest(tmp_path: Path, name: str, window_pages: int) -> Warehouse:
    demo = DemoSite(load_content())
    db = tmp_path / f"{name}.duckdb"
    with serve_resources(demo.render) as site:
        sources = tmp_path / f"{name}.toml"
        text = demo.sources_toml(site.base_url)  # type: ignore[attr-defined]
        sources.write_text(text + f"\n[fetch]\nwindow_pages = {window_pages}\n", encoding="utf-8")
        asyncio.run(ingest(sources_file=str(sources), db=str(db)))
    return Warehouse(db)


def test_small_windows_give_the_same_warehouse_as_one_window(tmp_path: Path) -> None:
    one = _ingest(tmp_path, "one", 500)
    small = _ingest(tmp_path, "small", 4)  # 31 articles: 8 windows
    for name, sql in SNAPSHOT.items():
        assert small.query(sql)[1] == one.query(sql)[1], name
    # Stories are clustered incrementally (a later window joins the stories
    # stored by earlier ones, as a later run does), so grouping may differ
    # from one batch; the same event reported by two outlets stays together.
    pair = ("SELECT count(DISTINCT story_id) FROM articles WHERE canonical_url LIKE '%mauritania-foils-canary%'"
            " OR canonical_url LIKE '%mauritania-coastguard-intercepts%'")
    assert small.query(pair)[1] == one.query(pair)[1] == [(1,)]
    _, rows = small.query("SELECT loaded, stage_seconds FROM latest_run")
    loaded, stages = rows[0]
    assert loaded == 31
    assert set(stages) == {"discover", "learn_rules", "fetch", "extract", "dedupe", "tag", "load", "search", "total"}
    assert all(v >= 0 for v in stages.values())
    assert stages["total"] >= stages["extract"] + stages["load"]


def test_windows_start_small_and_chunks_split_evenly_across_workers() -> None:
    from flows.ingest import _balanced, _windows

    entries = list(range(1234))
    windows = _windows(entries, 500)  # type: ignore[arg-type]
    assert [len(w) for w in windows] == [100, 500, 500, 34, 100]
    assert [e for w in windows for e in w] == entries
    assert [len(w) for w in _windows(list(range(2000)), 500)] == [100, 500, 500, 500, 300, 100]  # type: ignore[arg-type]
    assert [len(w) for w in _windows(entries[:650], 500)] == [100, 500, 50]  # type: ignore[arg-type]
    assert [len(w) for w in _windows(entries[:300], 500)] == [100, 200]  # type: ignore[arg-type]
    assert _windows(entries[:80], 500) == [entries[:80]]  # type: ignore[arg-type]
    chunks = _balanced(entries[:500], 2, 50)
    assert len(chunks) == 10 and {len(c) for c in chunks} == {50}
    chunks = _balanced(entries[:430], 2, 50)  # 9 chunks of 50 would leave one worker idle at the end
    assert len(chunks) == 10 and {len(c) for c in chunks} == {43}
    assert [e for c in chunks for e in c] == entries[:430]
    assert [len(c) for c in _balanced(entries[:3], 2, 50)] == [2, 1]
    assert [len(c) for c in _balanced(entries[:7], 1, 50)] == [7]
    assert _balanced([], 2, 50) == []


def test_ingest_puts_arrow_on_the_c_allocator() -> None:
    """run_ingest's Arrow tables come from malloc, not mimalloc's per-thread
    heaps (see flows.ingest._arrow_on_malloc)."""
    import pyarrow as pa

    from flows.ingest import _arrow_on_malloc

    _arrow_on_malloc()
    assert pa.default_memory_pool().backend_name == "system"
    assert pa.table({"x": [1, 2, 3]}).column("x").to_pylist() == [1, 2, 3]
