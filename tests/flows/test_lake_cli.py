"""Every command a person runs works against a lake: the demo ingested into
a DuckLake on a real PostgreSQL cluster, then sql, shell, sources, search,
export, explain, reprocess, retag, compact and storage on it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest import ingest
from newsflow.demo.site import DemoSite, load_content, serve_resources
from warehouse import Warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")
REPO = Path(__file__).resolve().parents[2]
INTERPOL = ("https://www.moroccoworldnews.com/2021/04/340207/"
            "morocco-played-strong-role-in-interpol-operation-weka")


def test_every_command_on_a_lake(lake: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # the reader's own search index goes there
    monkeypatch.setenv("COLUMNS", "200")
    demo = DemoSite(load_content())
    with serve_resources(demo.render) as site:
        sources = tmp_path / "demo-sources.toml"
        sources.write_text(demo.sources_toml(site.base_url), encoding="utf-8")  # type: ignore[attr-defined]
        summary = asyncio.run(ingest(sources_file=str(sources), db=lake[0], data_path=lake[1]))
    assert summary["counts"]["loaded"] == 31
    db = ["--db", lake[0]]
    cli = CliRunner()

    def run(*args: str) -> str:
        result = cli.invoke(app, [*args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "maghreb-daily" in run("sql", "SELECT source, count(*) AS n FROM articles GROUP BY 1 ORDER BY 1", *db)
    assert "sahel-wire" in run("sources", "--sources", str(sources), *db)
    found = run("search", "INTERPOL trafficking", *db)
    assert "Morocco Played" in found
    assert "share_widget" in run("explain", INTERPOL, *db)
    out = run("export", str(tmp_path / "parquet"), *db)
    assert "31 articles" in out and (tmp_path / "parquet" / "stories.parquet").exists()
    assert "reprocessed 31 pages" in run("reprocess", "--all", *db)  # the raw pages under the data path
    assert "retagged 31 articles" in run("retag", *db)
    assert "fewer data files after merging" in run("compact", *db, "--sources", str(sources))
    assert "lake data" in run("storage", *db)

    # a new article in the lake reaches this reader's search index from the snapshots
    wh = Warehouse(lake[0])
    with wh.connect() as con:
        con.execute("UPDATE articles SET title = 'Zanzibarian quokka census' WHERE canonical_url = ?", [INTERPOL])
    assert "Zanzibarian" in run("search", "quokka", *db)

    shell = subprocess.run([str(Path(sys.executable).with_name("newsflow")), "shell", *db],
                           input="SELECT count(*) AS n FROM articles_with_topics;\n", capture_output=True,
                           text=True, timeout=120, cwd=REPO)
    assert shell.returncode == 0, shell.stderr
    assert "31" in shell.stdout
    _, rows = wh.query("SELECT count(*) - count(DISTINCT article_id) FROM articles")
    assert rows == [(0,)]
