"""reprocess re-extracts stored pages after a rule change; explain shows why
text was removed."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from conftest import ingest_demo

from flows.reprocess import run_reprocess
from flows.workers import extraction_pool
from parsers.extract import EXTRACTOR
from warehouse import pages

pytestmark = pytest.mark.usefixtures("prefect_harness")
EXAMPLE = "https://www.moroccoworldnews.com/2021/04/340207/morocco-played-strong-role-in-interpol-operation-weka"


def test_reprocess_applies_the_current_rules_to_stored_pages(tmp_path: Path) -> None:
    wh = ingest_demo(tmp_path)
    # What an older cleaner without the share-widget rule stored:
    with wh.connect() as con:
        con.execute("UPDATE articles SET text = 'date 2021-04-11 Spread the love' || chr(10) || chr(10) || text,"
                    " extractor = 'trafilatura-2.3.1+clean-1' WHERE canonical_url = ?", [EXAMPLE])
        con.execute("DELETE FROM article_topics WHERE article_id = (SELECT article_id FROM articles"
                    " WHERE canonical_url = ?)", [EXAMPLE])

    summary = run_reprocess(wh)  # the site is gone: stored pages only
    assert (summary["pages"], summary["changed"], summary["failed"]) == (1, 1, 0)
    _, rows = wh.query("SELECT text, extractor FROM articles WHERE canonical_url = ?", [EXAMPLE])
    text, extractor = rows[0]
    assert "Spread the love" not in text and text.startswith("Rabat – Morocco") and extractor == EXTRACTOR
    _, rows = wh.query("SELECT version, text LIKE 'date 2021-04-11 Spread the love%' FROM article_versions")
    assert rows == [(1, True)]
    _, rows = wh.query("SELECT topic FROM article_topics JOIN articles USING (article_id) WHERE canonical_url = ?"
                       " ORDER BY 1", [EXAMPLE])
    assert {"human_trafficking", "migrant_smuggling", "migration", "terrorism"} <= {r[0] for r in rows}
    # nothing else needed reprocessing, and a second pass finds nothing to do
    assert run_reprocess(wh)["pages"] == 0
    # --all re-extracts everything and changes nothing
    again = run_reprocess(wh, everything=True)
    assert again["pages"] == 31 and again["changed"] == 0


def test_reprocess_records_pages_whose_html_is_gone_and_goes_on(tmp_path: Path) -> None:
    wh = ingest_demo(tmp_path)
    packs = sorted(pages.pack_dir(wh.path).iterdir())
    assert len(packs) == 1  # one run, one pack
    with wh.connect() as con:  # another run's page, stored in a pack that is then lost
        con.execute("UPDATE raw_pages SET pack = 'lost.pack' WHERE article_id ="
                    " (SELECT article_id FROM articles WHERE canonical_url = ?)", [EXAMPLE])
    summary = run_reprocess(wh, everything=True)
    assert (summary["pages"], summary["changed"], summary["failed"]) == (31, 0, 1)
    _, rows = wh.query("SELECT stage, reason, detail LIKE 'FileNotFoundError%lost.pack%' FROM drops WHERE run_id = ?",
                       [summary["run_id"]])
    assert rows == [("reprocess", "raw_page_unreadable", True)]


def test_reprocess_leaves_articles_whose_html_the_retention_gave_up(tmp_path: Path) -> None:
    from datetime import timedelta

    from flows.compact import run_compact

    wh = ingest_demo(tmp_path)
    _, rows = wh.query("SELECT article_id, fetched_at FROM raw_pages ORDER BY fetched_at, article_id")
    cut = rows[10][1]  # the first ten pages fetched are "old"
    old = {aid for aid, at in rows if at < cut}
    assert 0 < len(old) < 31
    result = run_compact(wh, keep_days=1.0, min_waste=0.9, now=cut + timedelta(days=1))
    assert result.forgotten is not None and result.forgotten.pages == len(old) and result.forgotten.bytes > 0
    assert [c.action for c in result.changes] == ["kept"]  # a third of the only pack: under min_waste
    _, rows = wh.query("SELECT count(*) FROM raw_pages WHERE pack IS NULL AND html_zlib IS NULL"
                       " AND url IS NOT NULL AND fetched_at IS NOT NULL")
    assert rows == [(len(old),)]  # the fetch metadata stays
    _, rows = wh.reader().query("SELECT count(*) FROM raw_pages WHERE pack IS NULL")
    assert rows == [(len(old),)]  # published, though no pack changed
    summary = run_reprocess(wh, everything=True)
    assert (summary["pages"], summary["not_kept"], summary["failed"]) == (31 - len(old), len(old), 0)
    _, rows = wh.query("SELECT message, (SELECT count(*) FROM drops d WHERE d.run_id = r.run_id) FROM runs r"
                       " WHERE run_id = ?", [summary["run_id"]])
    assert rows[0][0].endswith(f"; {len(old)} articles left as they are, their HTML no longer kept")
    assert rows[0][1] == 0
    _, rows = wh.query("SELECT count(*) FROM articles WHERE article_id IN (SELECT unnest(?))", [sorted(old)])
    assert rows == [(len(old),)]  # the articles themselves stay
    # a second pass gives nothing more up; the reader sees the same as the writer
    again = run_compact(wh, keep_days=1.0, now=cut + timedelta(days=1))
    assert again.forgotten is not None and again.forgotten.pages == 0


@pytest.mark.parametrize("processes", [1, 2])
def test_reprocess_goes_through_the_pages_a_batch_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           processes: int) -> None:
    import flows.reprocess

    wh = ingest_demo(tmp_path)
    monkeypatch.setattr(flows.reprocess, "BATCH_PAGES", 4)  # 31 pages: 8 batches
    monkeypatch.setenv("NEWSFLOW_EXTRACT_PROCESSES", str(processes))
    monkeypatch.setattr(flows.reprocess, "PARALLEL_EXTRACT_MIN_PAGES", 1)
    pools = []

    def pool(workers: int) -> ProcessPoolExecutor:
        pools.append(workers)
        return extraction_pool(workers)

    monkeypatch.setattr(flows.reprocess, "extraction_pool", pool)
    _, rows = wh.query("SELECT article_id FROM articles ORDER BY article_id")
    ids = [r[0] for r in rows]
    edited, lost = [ids[1], ids[14], ids[30]], ids[20]
    with wh.connect() as con:
        con.execute("UPDATE articles SET text = 'old text', extractor = 'older' WHERE list_contains(?, article_id)",
                    [edited])
        con.execute("UPDATE articles SET extractor = 'older' WHERE article_id = ?", [lost])
        con.execute("UPDATE raw_pages SET pack = 'lost.pack' WHERE article_id = ?", [lost])
    summary = run_reprocess(wh, everything=True)
    assert (summary["pages"], summary["changed"], summary["unchanged"], summary["failed"]) == (31, 3, 27, 1)
    assert sorted(summary["changed_articles"]) == sorted(edited)
    _, rows = wh.query("SELECT count(*) FILTER (WHERE text = 'old text'), count(*) FILTER (WHERE extractor = ?)"
                       " FROM articles", [EXTRACTOR])
    assert rows == [(0, 30)]  # every readable page re-extracted; the lost one keeps what it had
    _, rows = wh.query("SELECT count(*) FROM article_versions")
    assert rows == [(3,)]
    assert pools == ([2] if processes == 2 else [])  # two worker processes extracted them, or the flow's own


def test_a_reprocess_that_fails_midway_keeps_what_it_loaded_and_says_so(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.reprocess

    wh = ingest_demo(tmp_path)
    monkeypatch.setattr(flows.reprocess, "BATCH_PAGES", 10)
    monkeypatch.setenv("NEWSFLOW_EXTRACT_PROCESSES", "1")
    with wh.connect() as con:
        con.execute("UPDATE articles SET text = 'old text', extractor = 'older'")
    real, calls = flows.reprocess._apply, []

    def apply_then_fail(*args: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(flows.reprocess, "_apply", apply_then_fail)
    with pytest.raises(OSError, match="disk full"):
        run_reprocess(wh)
    _, rows = wh.query("SELECT status, message FROM runs WHERE run_id LIKE 'reprocess-%'")
    assert rows == [("failed", "reprocess aborted after 20 of 31 pages (20 texts changed): OSError('disk full')")]
    _, rows = wh.query("SELECT count(*) FROM articles WHERE extractor = ?", [EXTRACTOR])
    assert rows == [(20,)]  # the first two batches stay loaded; the next reprocess does the other 11
    monkeypatch.setattr(flows.reprocess, "_apply", real)
    assert run_reprocess(wh)["changed"] == 11
