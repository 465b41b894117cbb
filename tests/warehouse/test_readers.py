"""Readers and the scheduled writer never fail each other; a killed load
loses nothing; old files upgrade in place; the pinned DuckDB CLI reads the
files; Parquet export."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from warehouse import Warehouse
from warehouse.migrate import apply

REPO = Path(__file__).resolve().parents[2]


def _load_some(wh: Warehouse, run: str, ids: list[str]) -> None:
    from tests_support import article  # type: ignore[import-not-found]

    wh.start_run(run, None, ["src"])
    wh.load(run, [article(i) for i in ids], [], [], [], [], "v")
    wh.finish_run(run, "completed", {"loaded": len(ids)}, "ok")
    wh.publish()


@pytest.fixture(autouse=True)
def _support(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tests_support.py").write_text(textwrap.dedent('''
        from datetime import UTC, datetime
        from newsflow.records import Article
        def article(aid):
            return Article(article_id=aid, url=f"https://x.example/{aid}", canonical_url=f"https://x.example/{aid}",
                           source="src", site="x.example", title=f"Title {aid}", authors=(),
                           published_at=datetime(2021, 4, 11, tzinfo=UTC), language="en", text=f"text of {aid}",
                           fetched_at=datetime.now(UTC), http_status=200, extractor="t",
                           content_hash=f"h-{aid}", story_id=aid)
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))


def test_a_reader_holding_the_read_copy_never_blocks_five_loads(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb", lock_timeout=5)
    wh.migrate()
    _load_some(wh, "r0", ["a0"])
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(wh.read_path)!r}, read_only=True)
        print(con.execute("SELECT count(*) FROM articles").fetchone()[0], flush=True)
        sys.stdin.readline()          # hold the connection until told to stop
        print(con.execute("SELECT count(*) FROM articles").fetchone()[0], flush=True)
        con.close()
        con = duckdb.connect({str(wh.read_path)!r}, read_only=True)
        print(con.execute("SELECT count(*) FROM articles").fetchone()[0], flush=True)
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert reader.stdout is not None and reader.stdin is not None
    assert reader.stdout.readline().strip() == "1"
    for run in range(1, 6):  # five loads, each publishing, while the reader holds its connection
        _load_some(wh, f"r{run}", [f"a{run}-{k}" for k in range(3)])
    reader.stdin.write("go\n")
    reader.stdin.flush()
    held, reopened = reader.stdout.readline().strip(), reader.stdout.readline().strip()
    assert reader.wait(timeout=30) == 0
    assert held == "1"  # the open connection kept its snapshot
    assert reopened == "16"  # reconnecting sees all five runs
    _, rows = wh.query("SELECT count(*), count(DISTINCT article_id) FROM articles")
    assert rows == [(16, 16)]


KILL_SCRIPT = """
import os, sys, time
sys.path.insert(0, {support!r})
from tests_support import article
from warehouse import Warehouse
import warehouse.store as store
from stories.model import StoryRows
orig = store.stories_store.write
def slow_write(con, rows):
    # inside the load's transaction, after the articles and topics inserts
    n = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert n >= 5, n
    open({marker!r}, "w").close()
    time.sleep(60)
    return orig(con, rows)
store.stories_store.write = slow_write
wh = Warehouse({db!r})
wh.start_run("killed", None, ["src"])
wh.load("killed", [article(f"k{{i}}") for i in range(3)] + [article("a0")], [], [], [], [], "v",
        story_rows=StoryRows())
"""


def test_sigkill_in_the_middle_of_a_load_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    wh = Warehouse(db)
    wh.migrate()
    _load_some(wh, "r0", ["a0", "a1"])
    marker = tmp_path / "inside-load"
    script = KILL_SCRIPT.format(support=str(tmp_path), marker=str(marker), db=str(db))
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the load never started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)

    # the next run completes, nothing appears twice, nothing committed is lost
    _load_some(wh, "r1", ["k0", "k1", "k2", "a0"])  # a0 again: it must not be stored twice
    _, rows = wh.query("SELECT article_id FROM articles ORDER BY 1")
    assert [r[0] for r in rows] == ["a0", "a1", "k0", "k1", "k2"]
    _, rows = wh.query("SELECT run_id, status, message LIKE 'crashed:%' FROM runs ORDER BY started_at")
    assert rows == [("r0", "completed", False), ("killed", "failed", True), ("r1", "completed", False)]


def test_a_file_built_by_the_first_migration_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    apply(con, upto=1)
    con.execute("INSERT INTO runs (run_id, started_at, status) VALUES ('old', now(), 'completed')")
    con.close()
    wh = Warehouse(path)
    applied = wh.ensure_current()
    assert applied[0] == 2 and applied == sorted(applied)
    _, rows = wh.query("SELECT run_id FROM runs")
    assert rows == [("old",)]
    _, rows = wh.query("SELECT count(*) FROM latest_run")
    assert rows == [(1,)]
    assert wh.ensure_current() == []


def test_the_pinned_duckdb_cli_reads_the_warehouse_and_its_views(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    _load_some(wh, "r0", ["a0", "a1"])
    cli = Path(sys.executable).parent / "duckdb"
    version = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith(f"v{duckdb.__version__}")  # the CLI is the pinned library's version
    out = subprocess.run([str(cli), "-readonly", "-json", str(wh.read_path), "-c",
                          "SELECT count(*) AS n FROM articles_with_topics; SELECT count(*) AS n FROM stories;"],
                         capture_output=True, text=True, check=True).stdout
    assert [json.loads(block)[0]["n"] for block in out.strip().split("\n") if block.startswith("[")] == [2, 2]


def test_export_writes_parquet_partitioned_by_day(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    _load_some(wh, "r0", ["a0", "a1"])
    counts = wh.reader().export(tmp_path / "out")
    assert counts == {"articles": 2, "article_topics": 0, "stories": 2}
    assert (tmp_path / "out" / "articles" / "published_date=2021-04-11").is_dir()
    n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{tmp_path}/out/articles/**/*.parquet', hive_partitioning=true)")
    assert n.fetchone() == (2,)
