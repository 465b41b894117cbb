"""The ``newsflow`` command as a user runs it, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def newsflow(*args: str, env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    full_env.update({"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "200"})
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def test_demo_then_sql(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    run = newsflow("demo", env={"NEWSFLOW_DB": str(db)})
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert "31 new articles from 4 sources" in out
    for expected in ("morocco-world-news", "sahel-wire", "human_trafficking", "Try next:", " sql --db "):
        assert expected in out
    sql = newsflow("sql", "SELECT source, count(*) AS n FROM articles GROUP BY 1 ORDER BY 1", "--db", str(db))
    assert sql.returncode == 0, sql.stderr
    assert "maghreb-daily" in sql.stdout and "11" in sql.stdout
    why = newsflow("explain", "https://www.moroccoworldnews.com/2021/04/340207/morocco-played-strong-role-in-interpol-operation-weka",
                   "--db", str(db))
    assert why.returncode == 0, why.stderr
    assert "share_widget" in why.stdout and "Spread the love" in why.stdout and "headline_repeat" in why.stdout
    found = newsflow("search", "INTERPOL trafficking", "--db", str(db))
    assert found.returncode == 0, found.stderr
    assert "Morocco Played" in found.stdout and "articles_with_topics" in found.stdout
    found_fr = newsflow("search", "refugies passeurs", "--db", str(db), "--language", "fr")  # accents ignored
    assert found_fr.returncode == 0 and "le-courrier-du-detroit" in found_fr.stdout
    health = newsflow("sources", "--db", str(db))
    assert health.returncode == 0, health.stderr
    assert "sahel-wire" in health.stdout and "error_pct" in health.stdout
    assert "al-jazeera" in health.stdout and "never" in health.stdout  # configured, not yet run


def test_sql_errors_are_clear(tmp_path: Path) -> None:
    run = newsflow("sql", "SELECT 1", "--db", str(tmp_path / "missing.duckdb"))
    assert run.returncode == 1
    assert "no warehouse at" in run.stderr and "Traceback" not in run.stderr


def test_bad_sources_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text('[[sources]]\nname = "X"\nhomepage = "ftp://x"\nfeeds = ["https://x.example/f"]\nlanguage = "en"\n')
    run = newsflow("ingest", "--sources", str(bad), "--db", str(tmp_path / "w.duckdb"))
    assert run.returncode == 1
    assert "is not an http(s) URL" in run.stderr and "Traceback" not in run.stderr


def _store_pages(wh: Any, runs: list[tuple[str, str, Any]]) -> None:
    """Each (run id, article ids, fetch time) loaded as a run of incompressible 0.4 MB pages."""
    from newsflow.records import Article, Page
    from warehouse import pages

    for run_id, ids, at in runs:
        arts = [Article(article_id=x, url=f"http://127.0.0.1:1/{x}", canonical_url=f"https://x.example/{x}",
                        source="src", site="x.example", title=x, authors=(), published_at=at, language="en",
                        text=x, fetched_at=at, http_status=200, extractor="t", content_hash=x, story_id=x)
                for x in ids]
        raw = pages.raw_rows(arts, {a.url: Page(url=a.url, final_url=a.url, source="src", status=200,
                                                content_type="text/html", charset="utf-8",
                                                body=os.urandom(400_000), fetched_at=at) for a in arts})
        wh.load(run_id, arts, [], [], [], [], "v1", raw_pages=raw)


def test_compact_reports_what_it_gave_back(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from warehouse import Warehouse

    now = datetime(2026, 1, 1, tzinfo=UTC)
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    _store_pages(wh, [("run-1", "ab", now), ("run-2", "b", now)])
    run = newsflow("compact", "--db", str(tmp_path / "w.duckdb"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "run-1.pack" in run.stdout and "rewritten" in run.stdout
    # incompressible pages of 0.4 MB; the shipped sources file keeps all HTML
    assert "2 packs: 1.2 MB -> 0.8 MB (0.4 MB given back); 1 kept, 1 rewritten" in run.stdout
    assert "gave up" not in run.stdout
    bad = newsflow("compact", "--db", str(tmp_path / "w.duckdb"), "--min-waste", "2")
    assert bad.returncode == 1 and "min_waste must be between 0 and 1" in bad.stderr and "Traceback" not in bad.stderr


def test_compact_gives_up_html_older_than_the_retention(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from warehouse import Warehouse

    now = datetime.now(UTC)
    db = tmp_path / "w.duckdb"
    wh = Warehouse(db)
    wh.migrate()
    _store_pages(wh, [("old", "ab", now - timedelta(days=40)), ("mixed", "c", now - timedelta(days=40)),
                      ("new", "d", now - timedelta(days=2))])
    _store_pages(wh, [("mixed", "e", now - timedelta(days=1))])  # run "mixed": one old page, one recent
    sources = tmp_path / "sources.toml"
    sources.write_text((REPO / "config" / "sources.toml").read_text(encoding="utf-8")
                       + "\n[raw_pages]\nkeep_days = 30\nmin_waste = 0.4\n", encoding="utf-8")
    run = newsflow("compact", "--db", str(db), "--sources", str(sources))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "gave up the HTML of 3 pages fetched before" in run.stdout and "(1.2 MB compressed)" in run.stdout
    assert "3 packs: 2.0 MB -> 0.8 MB (1.2 MB given back); 1 kept, 1 removed, 1 rewritten" in run.stdout
    _, rows = Warehouse(db).query("SELECT article_id FROM raw_pages WHERE pack IS NOT NULL ORDER BY 1")
    assert rows == [("d",), ("e",)]
    where = newsflow("storage", "--db", str(db))
    assert where.returncode == 0, where.stderr[-3000:]
    assert "2 files; 0.0 MB no row points at (0% of them)" in where.stdout
    assert "HTML kept for 2 pages (oldest fetched " in where.stdout and "given up for 3 ([raw_pages] keep_days)" in where.stdout
    again = newsflow("compact", "--db", str(db), "--sources", str(sources), "--keep-days", "0")
    assert again.returncode == 0 and "gave up" not in again.stdout and "(0.0 MB given back)" in again.stdout
    neg = newsflow("compact", "--db", str(db), "--keep-days", "-1")
    assert neg.returncode == 1 and "keep_days must be >= 0" in neg.stderr and "Traceback" not in neg.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(sources.read_text(encoding="utf-8").replace("keep_days = 30", "keep_days = -3"), encoding="utf-8")
    wrong = newsflow("compact", "--db", str(db), "--sources", str(bad))
    assert wrong.returncode == 1 and "[raw_pages]: keep_days must be a number of days >= 0" in wrong.stderr

def test_values_and_errors_are_printed_as_written(tmp_path: Path) -> None:
    """Brackets in data or in an error are text, not rich markup: a title
    such as "[/b] ..." used to crash `newsflow sql`, and "[fetch]" vanished
    from config errors."""
    from warehouse import Warehouse

    db = tmp_path / "w.duckdb"
    Warehouse(db).migrate()
    run = newsflow("sql", "SELECT '[/b] closing [fetch] [red]red' AS title", "--db", str(db))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "[/b] closing [fetch] [red]red" in run.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[fetch]\nread_timout = 3\n[[sources]]\nname = "X"\nhomepage = "https://x.example/"\n'
                   'language = "en"\n', encoding="utf-8")
    wrong = newsflow("ingest", "--sources", str(bad), "--db", str(db))
    assert wrong.returncode == 1 and "[fetch]" in wrong.stderr and "read_timout" in wrong.stderr
