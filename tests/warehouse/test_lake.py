"""The warehouse on DuckLake with a real PostgreSQL catalog: the same
schema and SQL as a DuckDB file, and the guarantees of several writers
(fence, load section, run leases, conflict retries)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from newsflow.errors import WarehouseError
from newsflow.records import Evidence, TopicTag
from warehouse import Warehouse
from warehouse.lake import CommitConflict, translate
from warehouse.migrate import available

sys.path.insert(0, str(Path(__file__).parent))
from test_store import NOW, art  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _schema(wh: Warehouse) -> dict[str, list[tuple[str, str]]]:
    _, tables = wh.query("SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()"
                         " AND table_schema = 'main' ORDER BY 1")
    out = {}
    for (name,) in tables:
        _, cols = wh.query(f"DESCRIBE {name}")
        out[name] = [(c[0], c[1]) for c in cols]
    return out


def test_every_migration_gives_the_same_tables_columns_and_views_on_the_lake(lake: tuple[str, str],
                                                                             tmp_path: Path) -> None:
    lake_wh = Warehouse(lake[0], data_path=lake[1])
    file_wh = Warehouse(tmp_path / "w.duckdb")
    assert lake_wh.migrate() == file_wh.migrate() == [v for v, _, _ in available()]
    assert lake_wh.migrate() == []
    file_schema, lake_schema = _schema(file_wh), _schema(lake_wh)
    assert "articles_with_topics" in lake_schema and "latest_run" in lake_schema
    assert lake_schema == file_schema


def test_translate_drops_what_ducklake_refuses() -> None:
    sql = ("CREATE TABLE t (a VARCHAR PRIMARY KEY, b INT UNIQUE, c TIMESTAMPTZ NOT NULL DEFAULT now(),"
           " d INT DEFAULT 0, PRIMARY KEY (a, b));\nCREATE INDEX t_b ON t (b);\nCREATE VIEW v AS SELECT 1;")
    out = translate(sql)
    assert "PRIMARY" not in out and "UNIQUE" not in out and "INDEX" not in out and "now()" not in out
    assert "DEFAULT 0" in out and "CREATE VIEW v" in out
    con = duckdb.connect()
    for statement in con.extract_statements(out):
        con.execute(statement)


def test_load_views_time_travel_and_read_only_on_the_lake(lake: tuple[str, str]) -> None:
    wh = Warehouse(lake[0], data_path=lake[1])
    wh.migrate()
    wh.start_run("r1", None, ["src"])
    tags = [TopicTag("a", "migration", 0.8, (Evidence("migrants", "text", 3, 11),))]
    result = wh.load("r1", [art("a"), art("b", dup="a")], tags, [], [], [("http://alias/a", "a")], "v1",
                     feed_state=[("https://x.example/feed", "src", '"e1"', None, 200)])
    assert result.articles == 2
    _, rows = wh.query("SELECT max(snapshot_id) FROM ducklake_snapshots('wh')")
    before = rows[0][0]
    assert wh.load("r1", [art("a"), art("c")], [], [], [], [], "v1",
                   feed_state=[("https://x.example/feed", "src", '"e2"', None, 200)]).articles == 1
    wh.finish_run("r1", "completed", {"loaded": 3}, "ok")
    _, rows = wh.query("SELECT article_id, duplicate_of, authors, removed[1].rule FROM articles ORDER BY 1")
    assert rows == [("a", None, ["A. Writer"], "share_widget"), ("b", "a", ["A. Writer"], "share_widget"),
                    ("c", None, ["A. Writer"], "share_widget")]
    assert wh.feed_validators(["src"]) == {"https://x.example/feed": ('"e2"', None)}
    _, rows = wh.query(f"SELECT count(*) FROM articles AT (VERSION => {before})")
    assert rows == [(2,)]
    _, rows = wh.query(f"SELECT snapshot_time FROM ducklake_snapshots('wh') WHERE snapshot_id = {before}")
    _, rows = wh.query(f"SELECT count(*) FROM articles AT (TIMESTAMP => '{rows[0][0].isoformat()}'::TIMESTAMPTZ)")
    assert rows == [(2,)]  # "what did the warehouse say then"
    for view in ("stories", "articles_with_topics", "daily_topic_counts", "daily_source_counts",
                 "stories_across_outlets", "source_health", "latest_run"):
        wh.query(f"SELECT * FROM {view}")
    _, rows = wh.query("SELECT status, loaded, worker IS NOT NULL, commit_conflicts FROM latest_run")
    assert rows == [("completed", 3, True, 0)]
    with pytest.raises(WarehouseError, match="read-only"):
        wh.query("DELETE FROM articles")


def test_a_load_after_another_writers_load_is_refused_by_the_fence(lake: tuple[str, str]) -> None:
    """The lookup saw the fence at n; another writer loads (n + 1); the
    first load must not commit on its stale lookup."""
    first, second = Warehouse(lake[0], data_path=lake[1]), Warehouse(lake[0])
    first.migrate()
    first.lookup(["https://x.example/a"], ["h"])
    second.lookup(["https://x.example/a"], ["h"])
    second.load("r2", [art("a")], [], [], [], [], "v1")
    with pytest.raises(CommitConflict, match="fence"):
        first.load("r1", [art("a")], [], [], [], [], "v1")
    _, rows = first.query("SELECT count(*) FROM articles")
    assert rows == [(1,)]
    first.lookup(["https://x.example/a"], ["h"])  # redone on a fresh snapshot, it goes through
    assert first.load("r1", [art("a"), art("b")], [], [], [], [], "v1").articles == 1


def test_a_conflicting_commit_is_retried_counted_and_logged(lake: tuple[str, str],
                                                           caplog: pytest.LogCaptureFixture) -> None:
    wh, other = Warehouse(lake[0], data_path=lake[1]), Warehouse(lake[0])
    wh.migrate()
    wh.start_run("r1", None, ["a"])
    other.start_run("r2", None, ["b"])
    attempts = []

    def finish(con: duckdb.DuckDBPyConnection) -> None:
        attempts.append(1)
        con.execute("UPDATE runs SET message = 'mine' WHERE run_id = 'r1'")
        if len(attempts) == 1:  # another writer changes the same rows' data file meanwhile
            other.write(lambda c: c.execute("UPDATE runs SET message = 'theirs' WHERE run_id IN ('r1', 'r2')"),
                        "the other writer's update")

    wh.write(finish, "a test update")
    assert len(attempts) == 2
    assert (wh.conflicts.conflicts, wh.conflicts.retries) == (1, 1)
    assert "commit conflict in a test update" in caplog.text
    _, rows = wh.query("SELECT run_id, message FROM runs ORDER BY 1")
    assert rows == [("r1", "mine"), ("r2", "theirs")]
    wh.finish_run("r1", "completed", {}, "ok")
    other.finish_run("r2", "completed", {}, "ok")


def test_concurrent_writers_store_no_article_twice(lake: tuple[str, str]) -> None:
    """Three processes load overlapping batches of the same article ids at
    once, each window as the flow does it (lookup, then load of what is
    not stored, in the load section, redone on a conflict)."""
    Warehouse(lake[0], data_path=lake[1]).migrate()
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_store import art
        from warehouse import Warehouse
        from warehouse.lake import CommitConflict
        wh = Warehouse({lake[0]!r})
        me = int(sys.argv[1])
        for window in range(6):
            ids = [f"a{{i}}" for i in range(window * 10, window * 10 + 30)]  # overlaps the next window and the others
            def one():
                with wh.load_section():
                    known = wh.lookup([f"https://x.example/{{i}}" for i in ids], [])
                    new = [art(i) for i in ids if f"https://x.example/{{i}}" not in known.canonical_urls]
                    return wh.load(f"r{{me}}", new, [], [], [], [], "v1")
            wh.retrying(one, "window")
        print("done", flush=True)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(i)], cwd=REPO, stdout=subprocess.PIPE, text=True)
             for i in range(3)]
    for p in procs:
        out, _ = p.communicate(timeout=240)
        assert p.returncode == 0 and "done" in out
    _, rows = Warehouse(lake[0]).query("SELECT count(*), count(DISTINCT article_id) FROM articles")
    assert rows == [(80, 80)]


def test_a_killed_writers_run_is_marked_crashed_by_the_next_run_anywhere(lake: tuple[str, str]) -> None:
    Warehouse(lake[0], data_path=lake[1]).migrate()
    script = textwrap.dedent(f"""
        import time
        from warehouse import Warehouse
        wh = Warehouse({lake[0]!r})
        wh.start_run("doomed", None, ["a"])
        print("started", flush=True)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    live = Warehouse(lake[0])
    assert live.start_run("alive-check", None, []) == []  # its lease is held: not crashed
    live.finish_run("alive-check", "completed", {}, "ok")
    with live.connect() as con:  # as if it ran on another machine: the host and pid say nothing
        con.execute("UPDATE runs SET host = 'elsewhere', pid = 1 WHERE run_id = 'doomed'")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert live.start_run("next", None, []) == ["doomed"]
    _, rows = live.query("SELECT status, message FROM runs WHERE run_id = 'doomed'")
    assert rows[0][0] == "failed" and rows[0][1].startswith("crashed:")
    live.finish_run("next", "completed", {}, "ok")


def test_the_data_path_is_read_back_from_the_catalog(lake: tuple[str, str]) -> None:
    Warehouse(lake[0], data_path=lake[1]).migrate()
    wh = Warehouse(lake[0])
    assert wh.pages_dir == Path(lake[1]).resolve() / "pages"
    assert NOW.year == 2026
