"""A reader process keeps a connection open on the warehouse for the whole
test while five real ingest runs load: nothing fails, nothing is lost, and
after reopening the reader sees the new data."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flows.ingest import ingest
from newsflow.demo.site import DemoSite, load_content, serve_resources
from warehouse import Warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_reader_and_five_ingest_runs(tmp_path: Path) -> None:
    content = load_content()
    originals = [a for a in content["articles"] if "copy_of" not in a]
    state = {"n": 5}

    def build(base: str) -> dict:
        # each run, the outlets have published five more articles
        subset = {"outlets": content["outlets"], "articles": originals[: state["n"]]}
        return DemoSite(subset).render(base)

    db = tmp_path / "w.duckdb"
    wh = Warehouse(db)
    with serve_resources(build) as site:
        sources = tmp_path / "s.toml"
        sources.write_text(DemoSite(content).sources_toml(site.base_url), encoding="utf-8")  # type: ignore[attr-defined]
        first = asyncio.run(ingest(sources_file=str(sources), db=str(db)))
        assert first["counts"]["loaded"] == 5
        reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(wh.read_path)!r}, read_only=True)
            print(con.execute("SELECT count(*) FROM articles_with_topics").fetchone()[0], flush=True)
            sys.stdin.readline()
            print(con.execute("SELECT count(*) FROM articles").fetchone()[0], flush=True)
            con.close()
            con = duckdb.connect({str(wh.read_path)!r}, read_only=True)
            print(con.execute("SELECT count(*) FROM articles").fetchone()[0], flush=True)
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert reader.stdin is not None and reader.stdout is not None
        assert reader.stdout.readline().strip() == "5"
        loaded = [5]
        for _ in range(5):
            state["n"] += 5
            site.resources = build(site.base_url)  # type: ignore[attr-defined]
            summary = asyncio.run(ingest(sources_file=str(sources), db=str(db)))
            assert summary["status"] == "completed", summary["message"]
            loaded.append(summary["counts"].get("loaded", 0))
        reader.stdin.write("go\n")
        reader.stdin.flush()
        held, reopened = reader.stdout.readline().strip(), reader.stdout.readline().strip()
        assert reader.wait(timeout=30) == 0
    total = min(len(originals), state["n"])
    assert sum(loaded) == total
    assert held == "5" and reopened == str(total)
    _, rows = wh.query("SELECT count(*), count(DISTINCT canonical_url) FROM articles")
    assert rows == [(total, total)]
    _, rows = wh.query("SELECT count(*) FROM runs WHERE status = 'completed'")
    assert rows == [(6,)]
