"""retag after a taxonomy change reports what changed and replaces the tags."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ingest_demo

from flows.ingest import DEFAULT_TOPICS
from flows.retag import run_retag

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_retag_after_a_taxonomy_change(tmp_path: Path) -> None:
    wh = ingest_demo(tmp_path)
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
