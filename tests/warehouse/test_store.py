from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from newsflow.errors import WarehouseError
from newsflow.records import Article, Drop, Evidence, FetchRecord, Removal, TopicTag
from warehouse import Warehouse
from warehouse.migrate import available

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def art(aid: str, text: str = "body text", dup: str | None = None) -> Article:
    return Article(article_id=aid, url=f"http://127.0.0.1:1/{aid}", canonical_url=f"https://x.example/{aid}",
                   source="src", site="x.example", title=f"Title {aid}", authors=("A. Writer",),
                   published_at=datetime(2021, 4, 11, 14, 2, tzinfo=UTC), language="en", text=text,
                   fetched_at=NOW, http_status=200, extractor="t", removed=(Removal("share_widget", "Spread the love"),),
                   content_hash=f"h-{text}", story_id=dup or aid, duplicate_of=dup)


def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    assert wh.migrate() == [v for v, _, _ in available()]
    assert wh.migrate() == []
    cols, rows = wh.query("SELECT version, name FROM schema_migrations ORDER BY 1")
    assert rows[0] == (1, "initial")


def test_load_is_bulk_idempotent_and_queryable(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    wh.start_run("r1", None, ["src"])
    articles = [art("a"), art("b", dup="a")]
    tags = [TopicTag("a", "migration", 0.8, (Evidence("migrants", "text", 3, 11),))]
    fetches = [FetchRecord("src", "http://127.0.0.1:1/a", "article", NOW, 200, None, 1234, 12.5)]
    drops = [Drop("extract", "src", "http://127.0.0.1:1/c", "too_short", "3 words")]
    result = wh.load("r1", articles, tags, fetches, drops, [("http://alias/a", "a")], "v1")
    assert (result.articles, result.topics, result.fetch_log, result.drops) == (2, 1, 1, 1)
    # the same load again inserts no article twice
    assert wh.load("r1", articles, tags, [], [], [], "v1").articles == 0
    wh.finish_run("r1", "completed", {"loaded": 2, "discovered": 3}, "ok")

    _, rows = wh.query("SELECT article_id, duplicate_of, authors, removed[1].rule, word_count FROM articles ORDER BY 1")
    assert rows == [("a", None, ["A. Writer"], "share_widget", 2), ("b", "a", ["A. Writer"], "share_widget", 2)]
    _, rows = wh.query("SELECT topic, evidence[1].phrase, taxonomy_version FROM article_topics")
    assert rows == [("migration", "migrants", "v1")]
    _, rows = wh.query("SELECT story_id, article_count, source_count, title FROM stories")
    assert rows == [("a", 2, 1, "Title a")]
    _, rows = wh.query("SELECT status, loaded, discovered, finished_at IS NOT NULL FROM runs")
    assert rows == [("completed", 2, 3, True)]
    assert set(wh.known_urls(["http://alias/a", "https://x.example/b", "http://127.0.0.1:1/a", "nope"])) == {
        "http://alias/a", "https://x.example/b", "http://127.0.0.1:1/a"}
    assert wh.known_urls(["http://alias/a"])["http://alias/a"] == NOW
    known = wh.lookup(["https://x.example/a"], ["h-body text"])
    assert known.canonical_urls["https://x.example/a"].article_id == "a"
    assert known.hashes == {"h-body text": ("a", "a")}


def test_published_at_is_a_timestamp_with_time_zone(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    wh.load("r", [art("a")], [], [], [], [], "v")
    _, rows = wh.query("SELECT typeof(published_at), published_at AT TIME ZONE 'UTC' FROM articles")
    assert rows[0][0] == "TIMESTAMP WITH TIME ZONE"
    assert str(rows[0][1]) == "2021-04-11 14:02:00"


def test_published_date_is_the_day_the_page_prints(tmp_path: Path) -> None:
    """18:00 in California on the 12th is the 13th in UTC: published_at is the
    instant, published_date the page's own day; an update without a date
    keeps both."""
    from datetime import timedelta, timezone

    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    local = datetime(2020, 4, 12, 18, 0, tzinfo=timezone(timedelta(hours=-7)))
    wh.load("r1", [replace(art("a"), published_at=local), replace(art("b"), published_at=None)], [], [], [], [], "v")
    _, rows = wh.query("SELECT article_id, published_at AT TIME ZONE 'UTC', published_date FROM articles ORDER BY 1")
    assert [(a, str(t), str(d)) for a, t, d in rows] == [("a", "2020-04-13 01:00:00", "2020-04-12"),
                                                         ("b", "None", "None")]
    newer = replace(art("a", "second text"), published_at=None, fetched_at=datetime(2026, 11, 29, tzinfo=UTC))
    wh.load("r2", [], [], [], [], [], "v", updates=[newer])
    _, rows = wh.query("SELECT text, published_date FROM articles WHERE article_id = 'a'")
    assert [(t, str(d)) for t, d in rows] == [("second text", "2020-04-12")]


def test_migration_016_gives_older_rows_their_utc_day(tmp_path: Path) -> None:
    from warehouse import migrate

    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    migrate.apply(con, upto=15)
    con.execute("INSERT INTO articles (article_id, url, canonical_url, source, site, text, word_count, content_hash,"
                " story_id, fetched_at, published_at) VALUES ('a', 'u', 'c', 's', 'x', 't', 1, 'h', 'a',"
                " TIMESTAMPTZ '2026-11-28 12:00:00+00', TIMESTAMPTZ '2020-04-12 18:00:00-07')")
    migrate.apply(con)
    assert str(con.execute("SELECT published_date FROM articles").fetchone()[0]) == "2020-04-13"
    assert "published_date" in [r[0] for r in con.execute("DESCRIBE articles_with_topics").fetchall()]
    con.close()


def test_reading_a_missing_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="no warehouse at"):
        Warehouse(tmp_path / "none.duckdb").query("SELECT 1")


def test_sql_is_read_only(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    with pytest.raises(WarehouseError, match="read-only"):
        wh.query("DELETE FROM articles")


def test_writer_waits_for_a_reader_in_another_process(tmp_path: Path) -> None:
    """A reader process holds the file for ~1.5 s; the writer retries and then succeeds."""
    path = tmp_path / "w.duckdb"
    Warehouse(path).migrate()
    script = textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(path)!r}, read_only=True)
        print("open", flush=True)
        time.sleep(1.5)
        con.close()
    """)
    reader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert reader.stdout is not None and reader.stdout.readline().strip() == "open"
    with pytest.raises(duckdb.IOException):
        duckdb.connect(str(path)).close()  # plain DuckDB refuses while the reader is open
    wh = Warehouse(path, lock_timeout=20)
    wh.start_run("r", None, [])  # newsflow's writer waits instead
    reader.wait(timeout=20)
    _, rows = wh.query("SELECT count(*) FROM runs")
    assert rows == [(1,)]


def test_runs_left_running_by_a_dead_process_are_marked_failed(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    wh.start_run("old", None, [])
    with wh.connect() as con:
        con.execute("UPDATE runs SET pid = ? WHERE run_id = 'old'", [int(dead.stdout)])
    assert wh.start_run("new", None, []) == ["old"]
    _, rows = wh.query("SELECT run_id, status FROM runs ORDER BY run_id")
    assert rows == [("new", "running"), ("old", "failed")]
    _, rows = wh.query("SELECT message FROM runs WHERE run_id = 'old'")
    assert rows[0][0].startswith("crashed:")


def test_an_update_keeps_the_old_text_as_a_version(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    wh.load("r1", [art("a", "first text")], [TopicTag("a", "migration", 0.8)], [], [], [], "v1")
    newer = replace(art("a", "second text"), fetched_at=datetime(2026, 11, 29, tzinfo=UTC))
    result = wh.load("r2", [], [TopicTag("a", "terrorism", 0.7)], [], [], [], "v1", updates=[newer],
                     feed_state=[("https://x.example/feed", "src", '"abc"', None, 200)])
    assert result.articles == 0
    _, rows = wh.query("SELECT text, run_id FROM articles")
    assert rows == [("second text", "r2")]
    _, rows = wh.query("SELECT version, text FROM article_versions")
    assert rows == [(1, "first text")]
    _, rows = wh.query("SELECT topic FROM article_topics")
    assert rows == [("terrorism",)]
    assert wh.feed_validators(["src"]) == {"https://x.example/feed": ('"abc"', None)}
