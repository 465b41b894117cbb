"""The ``newsflow`` command as a user runs it, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_compact_reports_what_it_gave_back(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from newsflow.records import Article, Page
    from warehouse import Warehouse, pages

    now = datetime(2026, 1, 1, tzinfo=UTC)
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    for run_id, ids in (("run-1", "ab"), ("run-2", "b")):
        arts = [Article(article_id=x, url=f"http://127.0.0.1:1/{x}", canonical_url=f"https://x.example/{x}",
                        source="src", site="x.example", title=x, authors=(), published_at=now, language="en",
                        text=x, fetched_at=now, http_status=200, extractor="t", content_hash=x, story_id=x)
                for x in ids]
        raw = pages.raw_rows(arts, {a.url: Page(url=a.url, final_url=a.url, source="src", status=200,
                                                content_type="text/html", charset="utf-8",
                                                body=os.urandom(400_000), fetched_at=now) for a in arts})
        wh.load(run_id, arts, [], [], [], [], "v1", raw_pages=raw)
    run = newsflow("compact", "--db", str(tmp_path / "w.duckdb"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "run-1.pack" in run.stdout and "rewritten" in run.stdout
    assert "2 packs: 1.2 MB -> 0.8 MB (0.4 MB given back)" in run.stdout  # incompressible pages of 0.4 MB
    bad = newsflow("compact", "--db", str(tmp_path / "w.duckdb"), "--min-waste", "2")
    assert bad.returncode == 1 and "min_waste must be between 0 and 1" in bad.stderr and "Traceback" not in bad.stderr
