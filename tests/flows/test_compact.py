"""The ``compact`` flow ``newsflow serve`` runs nightly: it gives up HTML
older than the retention, gives back the unused pack bytes, and says so in
the Prefect UI (log lines and a markdown artifact)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.compact import compact
from newsflow.records import Article, Page
from warehouse import Warehouse, pages

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_the_compact_flow_gives_back_old_html_and_reports_it(tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    now = datetime.now(UTC)
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    for run_id, aid, at in (("old-run", "a", now - timedelta(days=100)), ("new-run", "b", now - timedelta(days=1))):
        a = Article(article_id=aid, url=f"http://127.0.0.1:1/{aid}", canonical_url=f"https://x.example/{aid}",
                    source="src", site="x.example", title=aid, authors=(), published_at=at, language="en",
                    text=aid, fetched_at=at, http_status=200, extractor="t", content_hash=aid, story_id=aid)
        body = f"<html><body><p>{aid}</p>{'x' * 50_000}</body></html>".encode()
        wh.load(run_id, [a], [], [], [], [], "v1", raw_pages=pages.raw_rows([a], {a.url: Page(
            url=a.url, final_url=a.url, source="src", status=200, content_type="text/html", charset="utf-8",
            body=body, fetched_at=at)}))

    out = compact(db=str(wh.path), keep_days=30)
    assert out["forgotten_pages"] == 1 and out["actions"] == ["kept", "removed"]
    assert sorted(p.name for p in pages.pack_dir(wh.path).iterdir()) == ["new-run.pack"]
    _, rows = wh.reader().query("SELECT article_id FROM raw_pages WHERE pack IS NOT NULL")
    assert rows == [("b",)]

    async def read() -> list:
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["compact-summary"])))

    (artifact,) = asyncio.run(read())
    assert "gave up the HTML of 1 page fetched before" in artifact.data
    assert "| old-run.pack | removed |" in artifact.data and "1 kept, 1 removed" in artifact.data
