"""retag after a taxonomy change reports what changed and replaces the tags."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from flows.ingest import DEFAULT_TOPICS, ingest
from flows.retag import run_retag
from newsflow.demo.site import DemoSite, load_content, serve_resources
from warehouse import Warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_retag_after_a_taxonomy_change(tmp_path: Path) -> None:
    demo = DemoSite(load_content())
    with serve_resources(demo.render) as site:
        sources = tmp_path / "s.toml"
        sources.write_text(demo.sources_toml(site.base_url), encoding="utf-8")  # type: ignore[attr-defined]
        db = tmp_path / "w.duckdb"
        asyncio.run(ingest(sources_file=str(sources), db=str(db)))
    wh = Warehouse(db)
    _, before = wh.query("SELECT topic, count(*) FROM article_topics GROUP BY 1")
    before_counts = dict(before)

    same = run_retag(wh, str(DEFAULT_TOPICS))
    assert same["articles"] == 31 and same["changes"] == {}

    # a stricter taxonomy: sports is never tagged, terrorism needs a much higher score
    text = DEFAULT_TOPICS.read_text(encoding="utf-8")
    text = text.replace("[topics.sports]\nthreshold = 0.75", "[topics.sports]\nthreshold = 1.01")
    text = text.replace('[topics.terrorism]\n', '[topics.terrorism]\nthreshold = 0.99\n')
    changed = tmp_path / "topics.toml"
    changed.write_text(text, encoding="utf-8")
    result = run_retag(wh, str(changed))
    assert result["changes"]["sports"] == {"added": 0, "removed": before_counts["sports"]}
    assert result["changes"]["terrorism"]["removed"] > 0
    _, rows = wh.query("SELECT count(*) FROM article_topics WHERE topic = 'sports'")
    assert rows == [(0,)]
    _, rows = wh.query("SELECT DISTINCT taxonomy_version FROM article_topics")
    assert rows == [(result["taxonomy_version"],)]
    # readers see it: the read copy was republished
    _, rows = wh.reader().query("SELECT count(*) FROM article_topics WHERE topic = 'sports'")
    assert rows == [(0,)]
