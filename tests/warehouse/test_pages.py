"""Raw HTML lives in pack files beside the warehouse; raw_pages says where."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsflow.errors import WarehouseError
from newsflow.records import Article, Page
from warehouse import Warehouse, pages
from warehouse.migrate import apply

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def art(aid: str) -> Article:
    return Article(article_id=aid, url=f"http://127.0.0.1:1/{aid}", canonical_url=f"https://x.example/{aid}",
                   source="src", site="x.example", title=f"Title {aid}", authors=(), published_at=NOW,
                   language="en", text=f"text of {aid}", fetched_at=NOW, http_status=200, extractor="t",
                   content_hash=f"h-{aid}", story_id=aid)


def page(a: Article) -> Page:
    body = f"<html><body><p>{a.article_id} é</p>{'x' * 5000}</body></html>".encode()
    return Page(url=a.url, final_url=a.url, source=a.source, status=200, content_type="text/html",
                charset="utf-8", body=body, fetched_at=NOW)


def load(wh: Warehouse, run_id: str, articles: list[Article]) -> None:
    raw = pages.raw_rows(articles, {a.url: page(a) for a in articles})
    wh.load(run_id, articles, [], [], [], [], "v1", raw_pages=raw)


def test_html_goes_to_a_pack_beside_the_warehouse_and_reads_back(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    load(wh, "run-1", [art("a"), art("b")])
    load(wh, "run-2", [art("c")])
    assert sorted(p.name for p in (tmp_path / "w.pages").iterdir()) == ["run-1.pack", "run-2.pack"]
    _, rows = wh.query("SELECT article_id, html_zlib IS NULL, pack, pack_offset, pack_length FROM raw_pages ORDER BY 1")
    assert [r[:3] for r in rows] == [("a", True, "run-1.pack"), ("b", True, "run-1.pack"), ("c", True, "run-2.pack")]
    assert rows[1][3] == rows[0][4]  # b follows a in the pack
    stored, bad = pages.read_pages(wh, None, None, None)
    assert bad == []
    assert [(aid, p.body) for p, aid in stored] == [(a.article_id, page(a).body) for a in (art("a"), art("b"), art("c"))]
    # the read copy's path finds the same packs
    assert pages.pack_dir(wh.read_path) == tmp_path / "w.pages"
    usage = pages.pack_usage(wh)
    assert usage["pack_bytes"] == usage["referenced_bytes"] > 0


def test_a_page_fetched_packed_is_stored_as_it_came(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    a, b = art("a"), art("b")
    frame = pages.pack(page(a).body)
    raw = pages.raw_rows([a, b], {a.url: replace(page(a), body=frame, packed=True), b.url: page(b)})
    assert raw.column("html_zlib").to_pylist() == [frame, pages.pack(page(b).body)]  # not packed twice
    wh.load("run-1", [a, b], [], [], [], [], "v1", raw_pages=raw)
    stored, bad = pages.read_pages(wh, None, None, None)
    assert bad == [] and [(aid, p.body) for p, aid in stored] == [("a", page(a).body), ("b", page(b).body)]


def test_stored_pages_read_back_a_batch_at_a_time(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    load(wh, "run-1", [art(x) for x in "abc"])
    load(wh, "run-2", [art(x) for x in "de"])
    (tmp_path / "w.pages" / "run-2.pack").unlink()
    stored = pages.StoredPages(wh, None, None, None)
    assert len(stored) == 5 and stored.sources == [art("a").source]
    batches = list(stored.batches(2))
    assert [([aid for _, aid in ok], [u.article_id for u in bad]) for ok, bad in batches] == [
        (["a", "b"], []), (["c"], ["d"]), ([], ["e"])]
    assert [p.body for ok, _ in batches for p, _ in ok] == [page(art(x)).body for x in "abc"]


def test_compact_gives_back_the_bytes_no_row_points_at(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    packs = tmp_path / "w.pages"
    load(wh, "run-1", [art(x) for x in "abcd"])
    load(wh, "run-2", [art(x) for x in "bcd"])  # fetched again: run-1 keeps only a's bytes
    load(wh, "run-3", [art("e")])
    load(wh, "run-4", [art("e")])  # nothing points at run-3 any more
    wh.start_run("run-5", None, ["src"])
    load(wh, "run-5", [art("f")])  # still running: left alone whatever it holds
    (packs / "run-0.pack").write_bytes(b"bytes of a load that rolled back")
    wh.publish()
    sizes = {p.name: p.stat().st_size for p in packs.iterdir()}
    before = pages.read_pages(wh, None, None, None)[0]

    changes = {c.pack: c for c in pages.compact(wh)}
    assert {name: c.action for name, c in changes.items()} == {
        "run-0.pack": "removed", "run-1.pack": "rewritten", "run-2.pack": "kept", "run-3.pack": "removed",
        "run-4.pack": "kept", "run-5.pack": "skipped"}
    one = changes["run-1.pack"]
    assert (one.bytes_before, one.pages) == (sizes["run-1.pack"], 1) and one.bytes_after == sizes["run-1.pack"] // 4
    new_name = one.detail.removeprefix("now ")
    assert sorted(p.name for p in packs.iterdir()) == sorted([new_name, "run-2.pack", "run-4.pack", "run-5.pack"])
    after, bad = pages.read_pages(wh, None, None, None)
    assert bad == [] and [(aid, p.body) for p, aid in after] == [(aid, p.body) for p, aid in before]
    # the read copy was published before the old packs went: it reads them too
    read_back, bad = pages.read_pages(wh.reader(), None, None, None)
    assert bad == [] and len(read_back) == 6
    usage = pages.pack_usage(wh)
    assert usage["pack_bytes"] == usage["referenced_bytes"] + sizes["run-5.pack"] - len(pages.pack(page(art("f")).body))
    # nothing left to do, and a rewritten pack is rewritten under its run's name again
    assert {c.action for c in pages.compact(wh)} == {"kept", "skipped"}
    load(wh, "run-6", [art("a")])
    (again,) = [c for c in pages.compact(wh) if c.pack == new_name]
    assert again.action == "removed"


def test_compact_never_touches_a_pack_written_while_it_looks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    load(wh, "run-1", [art("a")])
    query = wh.query

    def query_while_a_run_starts(sql: str, params: object = None) -> object:
        if "FROM runs" in sql:  # a run starts and spills its first window; its load is yet to commit
            (tmp_path / "w.pages" / "run-2.pack").write_bytes(pages.pack(b"<p>new</p>"))
        return query(sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(wh, "query", query_while_a_run_starts)
    assert [c.pack for c in pages.compact(wh)] == ["run-1.pack"]
    assert (tmp_path / "w.pages" / "run-2.pack").exists()


def test_compact_leaves_a_damaged_pack_as_it_is(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    load(wh, "run-1", [art(x) for x in "abc"])
    load(wh, "run-2", [art("a")])
    cut = tmp_path / "w.pages" / "run-1.pack"
    cut.write_bytes(cut.read_bytes()[:-10])  # c's bytes end short
    (change,) = [c for c in pages.compact(wh) if c.pack == "run-1.pack"]
    assert change.action == "unreadable" and "WarehouseError" in change.detail
    assert sorted(p.name for p in (tmp_path / "w.pages").iterdir()) == ["run-1.pack", "run-2.pack"]
    _, rows = wh.query("SELECT article_id, pack FROM raw_pages ORDER BY 1")
    assert rows == [("a", "run-2.pack"), ("b", "run-1.pack"), ("c", "run-1.pack")]
    with pytest.raises(WarehouseError, match="min_waste"):
        pages.compact(wh, 1.5)


def test_a_rolled_back_load_leaves_unreferenced_bytes_never_a_dangling_row(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    load(wh, "run-1", [art("a")])
    broken = replace(art("b"), url=None)  # type: ignore[arg-type]  # articles.url is NOT NULL: the load fails
    raw = pages.raw_rows([broken], {None: page(art("b"))})  # type: ignore[dict-item]
    with pytest.raises(WarehouseError):
        wh.load("run-1", [broken], [], [], [], [], "v1", raw_pages=raw)
    _, rows = wh.query("SELECT article_id FROM raw_pages")
    assert rows == [("a",)]
    usage = pages.pack_usage(wh)
    assert usage["pack_bytes"] > usage["referenced_bytes"]
    stored, bad = pages.read_pages(wh, None, None, None)
    assert [aid for _, aid in stored] == ["a"] and bad == []


def test_a_missing_or_cut_pack_is_reported_per_page(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    load(wh, "run-1", [art("a")])
    load(wh, "run-2", [art("b")])
    load(wh, "run-3", [art("c")])
    (tmp_path / "w.pages" / "run-1.pack").unlink()
    cut = tmp_path / "w.pages" / "run-3.pack"
    cut.write_bytes(cut.read_bytes()[:10])
    stored, bad = pages.read_pages(wh, None, None, None)
    assert [aid for _, aid in stored] == ["b"]
    assert {u.article_id: u.detail.split(":")[0] for u in bad} == {"a": "FileNotFoundError", "c": "WarehouseError"}


def test_pages_stored_inline_before_migration_9_still_read(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    a = art("old")
    with wh.connect() as con:  # a warehouse written before 009, with its HTML inline
        apply(con, upto=8)
        con.execute("INSERT INTO raw_pages (article_id, url, fetched_at, http_status, content_type, charset, html_zlib)"
                    " VALUES (?, ?, ?, 200, 'text/html', 'utf-8', ?)", [a.article_id, a.url, NOW, zlib.compress(b"<p>old</p>")])
    assert wh.migrate()[0] == 9
    wh.load("run-0", [a], [], [], [], [], "v1")
    stored, bad = pages.read_pages(wh, None, None, None)
    assert [(aid, p.body) for p, aid in stored] == [("old", b"<p>old</p>")] and bad == []


def test_forget_gives_up_the_html_fetched_before_a_time_and_nothing_else(tmp_path: Path) -> None:
    from datetime import timedelta

    wh = Warehouse(tmp_path / "w.duckdb")
    inline = art("inline")
    with wh.connect() as con:  # one page stored inline, before migration 009, fetched long ago
        apply(con, upto=8)
        con.execute("INSERT INTO raw_pages (article_id, url, fetched_at, http_status, content_type, charset, html_zlib)"
                    " VALUES (?, ?, ?, 200, 'text/html', 'utf-8', ?)",
                    [inline.article_id, inline.url, NOW - timedelta(days=100), zlib.compress(b"<p>inline</p>")])
    wh.migrate()
    wh.load("run-0", [inline], [], [], [], [], "v1")
    old, edge, new = art("old"), art("edge"), art("new")
    for a, at in ((old, NOW - timedelta(days=31)), (edge, NOW - timedelta(days=30)), (new, NOW)):
        wh.load(f"run-{a.article_id}", [a], [], [], [], [],  "v1",
                raw_pages=pages.raw_rows([a], {a.url: replace(page(a), fetched_at=at)}))
    with pytest.raises(WarehouseError, match="time zone"):
        pages.forget(wh, datetime(2026, 1, 1))
    cut = NOW - timedelta(days=30)
    _, rows = wh.query("SELECT sum(pack_length) FROM raw_pages WHERE article_id = 'old'")
    gone = pages.forget(wh, cut)  # strictly before: the page fetched at the cut stays
    assert (gone.pages, gone.bytes, gone.before) == (2, rows[0][0] + len(zlib.compress(b"<p>inline</p>")), cut)
    _, rows = wh.query("SELECT article_id, url IS NOT NULL, http_status, pack IS NULL AND html_zlib IS NULL"
                       " FROM raw_pages ORDER BY 1")
    assert rows == [("edge", True, 200, False), ("inline", True, 200, True), ("new", True, 200, False),
                    ("old", True, 200, True)]
    stored = pages.StoredPages(wh, None, None, None)
    assert (len(stored), stored.not_kept) == (2, 2)
    assert sorted(aid for batch, bad in stored.batches(10) for _, aid in batch) == ["edge", "new"]
    assert pages.forget(wh, cut).pages == 0  # nothing given up twice
    changes = {c.pack: c.action for c in pages.compact(wh)}
    assert changes == {"run-old.pack": "removed", "run-edge.pack": "kept", "run-new.pack": "kept"}


def test_packs_hold_zstd_frames_and_zlib_written_before_still_reads(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    load(wh, "run-1", [art("new")])
    (pack_file,) = (tmp_path / "w.pages").iterdir()
    assert pack_file.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"  # a zstd frame
    # a page packed with zlib (before zstd) in the same pack: appended, and its row pointed at it
    old = zlib.compress(b"<p>zlib era</p>", 3)
    with pack_file.open("ab") as fh:
        offset = fh.tell()
        fh.write(old)
    wh.load("run-1", [art("old")], [], [], [], [], "v1")
    with wh.connect() as con:
        con.execute("INSERT INTO raw_pages (article_id, url, fetched_at, http_status, pack, pack_offset, pack_length)"
                    " VALUES ('old', 'http://127.0.0.1:1/old', ?, 200, ?, ?, ?)", [NOW, pack_file.name, offset, len(old)])
    stored, bad = pages.read_pages(wh, None, None, None)
    assert bad == []
    assert {aid: p.body for p, aid in stored} == {"new": page(art("new")).body, "old": b"<p>zlib era</p>"}


def test_bytes_that_are_neither_zstd_nor_zlib_raise() -> None:
    assert pages.unpack(pages.pack(b"<p>x</p>")) == b"<p>x</p>"
    with pytest.raises(zlib.error):
        pages.unpack(b"<p>plain</p>")
    with pytest.raises(pages.zstandard.ZstdError):
        pages.unpack(pages.pack(b"<p>x</p>" * 100)[:-5])  # a cut frame


def test_a_packed_page_holds_only_its_frame_in_memory() -> None:
    """A packed page costs memory for its compressed bytes, not for the page
    it came from (python-zstandard's own result keeps a buffer as large as
    the input)."""
    import tracemalloc

    body = b"".join(b"<p>paragraph %d of a long page, with words</p>" % i for i in range(20_000))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        frame = pages.pack(body)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(frame) < len(body) / 10
    assert held < 2 * len(frame) + 10_000, (held, len(frame), len(body))
    assert pages.unpack(frame) == body
