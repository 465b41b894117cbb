"""The real ingest flow, on a real Prefect test harness, against the demo
site served on 127.0.0.1 plus sources that fail, into a temp DuckDB file."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.ingest import ingest
from newsflow.demo.site import DemoSite, Resource, load_content, serve_resources
from newsflow.errors import NewsflowError
from warehouse import Warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")
SPECIALIST = {"migration", "human_trafficking", "migrant_smuggling", "terrorism", "organised_crime"}
EXAMPLE_URL = "https://www.moroccoworldnews.com/2021/04/340207/morocco-played-strong-role-in-interpol-operation-weka"


class Site:
    def __init__(self, demo: DemoSite, server: Any) -> None:
        self.demo = demo
        self.server = server
        self.base = server.base_url

    def sources(self, tmp: Path, extra: str = "") -> str:
        path = tmp / "sources.toml"
        path.write_text(self.demo.sources_toml(self.base) + extra, encoding="utf-8")
        return str(path)


def _build(demo: DemoSite) -> Any:
    def build(base: str) -> dict[str, Resource]:
        res = demo.render(base)
        res["/broken/feed.xml"] = Resource(200, "application/rss+xml", b"<rss><channel><item><title>unclosed")
        res["/down/feed.xml"] = Resource(500, "text/html", b"<h1>Internal Server Error</h1>")
        links = "".join(f"<item><title>{p}</title><link>{base}/mixed/{p}</link></item>" for p in ("gone", "pdf"))
        res["/mixed/feed.xml"] = Resource(200, "application/rss+xml",
                                          f'<rss version="2.0"><channel><title>m</title>{links}</channel></rss>'.encode())
        res["/mixed/pdf"] = Resource(200, "application/pdf", b"%PDF-1.4 not html")
        return res
    return build


EXTRA = """
[[sources]]
name = "Broken Feed"
homepage = "{base}/broken/"
feeds = ["{base}/broken/feed.xml"]
language = "en"

[[sources]]
name = "Down Outlet"
homepage = "{base}/down/"
feeds = ["{base}/down/feed.xml"]
language = "en"

[[sources]]
name = "Mixed Outlet"
homepage = "{base}/mixed/"
feeds = ["{base}/mixed/feed.xml"]
language = "en"
"""


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    demo = DemoSite(load_content())
    with serve_resources(_build(demo)) as server:
        yield Site(demo, server)


@pytest.fixture(scope="module")
def first_runs(site: Site, tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, dict, dict, str]:
    tmp = tmp_path_factory.mktemp("ingest")
    sources = site.sources(tmp, EXTRA.format(base=site.base))
    db = str(tmp / "w.duckdb")
    first = asyncio.run(ingest(sources_file=sources, db=db))
    second = asyncio.run(ingest(sources_file=sources, db=db))
    return Warehouse(db), first, second, sources


def test_example_article_is_clean_and_dated(first_runs: tuple) -> None:
    wh, *_ = first_runs
    _, rows = wh.query(
        "SELECT title, strftime(published_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M'), text, language, source"
        " FROM articles WHERE canonical_url = ?", [EXAMPLE_URL])
    assert len(rows) == 1
    title, published, text, language, source = rows[0]
    assert published == "2021-04-11 14:02"
    assert "Spread the love" not in text
    assert text.startswith("Rabat – Morocco played a “strong role”")
    assert language == "en" and source == "morocco-world-news"


def test_syndicated_copy_is_a_duplicate_of_the_original(first_runs: tuple) -> None:
    wh, *_ = first_runs
    _, rows = wh.query(
        "SELECT c.source, o.source, c.story_id = o.story_id FROM articles c JOIN articles o ON c.duplicate_of = o.article_id")
    assert rows == [("maghreb-daily", "sahel-wire", True)]
    _, rows = wh.query("SELECT article_count, source_count, sources, duplicate_count FROM stories"
                       " WHERE duplicate_count > 0")
    assert rows == [(2, 2, ["maghreb-daily", "sahel-wire"], 1)]


def test_articles_carry_their_expected_topics(first_runs: tuple, site: Site) -> None:
    wh, *_ = first_runs
    _, rows = wh.query(
        "SELECT a.canonical_url, list(t.topic) FILTER (WHERE t.topic IS NOT NULL)"
        " FROM articles a LEFT JOIN article_topics t USING (article_id) GROUP BY 1")
    got = {url: set(topics or []) & SPECIALIST for url, topics in rows}
    assert len(got) == len(site.demo.articles) == 31
    for a in site.demo.articles:
        assert got[site.demo.stable_url(a)] == set(a["topics"]) & SPECIALIST, a["title"]
    _, rows = wh.query("SELECT topic FROM article_topics t JOIN articles a USING (article_id) WHERE a.canonical_url = ?",
                       [EXAMPLE_URL])
    assert {"human_trafficking", "migrant_smuggling", "migration", "terrorism"} <= {r[0] for r in rows}


def test_failing_sources_are_recorded_and_do_not_stop_the_others(first_runs: tuple) -> None:
    wh, first, _, _ = first_runs
    assert first["status"] == "partial"
    assert set(first["failed_sources"]) == {"broken-feed", "down-outlet"}
    assert "broken-feed" in first["message"] and "down-outlet" in first["message"]
    _, rows = wh.query("SELECT source, stage, reason FROM drops WHERE run_id = ? ORDER BY 1, 3", [first["run_id"]])
    assert rows == [("broken-feed", "discover", "malformed_feed"), ("down-outlet", "discover", "http_500"),
                    ("mixed-outlet", "fetch", "http_404"), ("mixed-outlet", "fetch", "not_html")]
    # the 500 was retried: every attempt is in fetch_log
    _, rows = wh.query("SELECT count(*) FROM fetch_log WHERE source = 'down-outlet' AND status = 500 AND run_id = ?",
                       [first["run_id"]])
    assert rows == [(3,)]
    _, rows = wh.query("SELECT status, discovered, fetched, failed, extracted, duplicates, loaded FROM runs"
                       " WHERE run_id = ?", [first["run_id"]])
    assert rows == [("partial", 33, 31, 4, 31, 1, 31)]


def test_second_run_adds_nothing(first_runs: tuple) -> None:
    wh, first, second, _ = first_runs
    assert first["counts"]["loaded"] == 31
    assert second["counts"].get("loaded", 0) == 0
    # only the two pages that failed are tried again (and fail again)
    assert second["counts"].get("fetched", 0) == 0 and second["counts"]["fetch_failures"] == 2
    assert second["counts"]["known"] == 31
    _, rows = wh.query("SELECT count(*), count(DISTINCT canonical_url) FROM articles")
    assert rows == [(31, 31)]


def test_a_new_port_adds_no_articles(first_runs: tuple, tmp_path: Path) -> None:
    """The demo site on another port: pages are fetched again, but their
    rel=canonical URLs are known, so nothing new is stored."""
    wh, *_ = first_runs
    demo = DemoSite(load_content())
    with serve_resources(demo.render) as other:
        sources = tmp_path / "s.toml"
        sources.write_text(demo.sources_toml(other.base_url), encoding="utf-8")
        summary = asyncio.run(ingest(sources_file=str(sources), db=str(wh.path)))
    assert summary["counts"]["fetched"] == 31
    assert summary["counts"]["duplicates"] == 31 and summary["counts"].get("loaded", 0) == 0
    _, rows = wh.query("SELECT count(*) FROM articles")
    assert rows == [(31,)]


def test_private_addresses_are_refused_unless_allowed(site: Site, tmp_path: Path) -> None:
    text = site.demo.sources_toml(site.base).replace("allow_private_hosts = true", "allow_private_hosts = false")
    sources = tmp_path / "s.toml"
    sources.write_text(text, encoding="utf-8")
    db = tmp_path / "w.duckdb"
    hits_before = len(site.server.hits)
    with pytest.raises(NewsflowError, match="every source failed"):
        asyncio.run(ingest(sources_file=str(sources), db=str(db)))
    assert len(site.server.hits) == hits_before  # not one request reached the site
    wh = Warehouse(db)
    _, rows = wh.query("SELECT DISTINCT error FROM fetch_log")
    assert rows == [("blocked_private_address",)]
    _, rows = wh.query("SELECT status FROM runs")
    assert rows == [("failed",)]


def test_run_publishes_its_summary_artifact(first_runs: tuple) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    _, first, second, _ = first_runs

    async def read() -> list:
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-summary"])))

    artifacts = asyncio.run(read())
    bodies = [a.data for a in artifacts]
    assert any(first["run_id"] in b for b in bodies) and any(second["run_id"] in b for b in bodies)
    body = next(b for b in bodies if first["run_id"] in b)
    for expected in ("Counts per source and stage", "discover:malformed_feed", "fetch:http_404", "New stories",
                     "human_trafficking"):
        assert expected in body


def test_serve_builds_one_deployment_per_schedule(tmp_path: Path) -> None:
    from flows.schedule import build_deployments

    sources = Path(__file__).resolve().parents[2] / "config" / "sources.toml"
    deployments = build_deployments(str(sources), str(tmp_path / "w.duckdb"))
    *ingests, maintenance = deployments
    crons = sorted(d.schedules[0].schedule.cron for d in ingests)
    assert crons == ["*/30 * * * *", "0 * * * *", "0 */2 * * *"]
    every_source = sorted(i for d in ingests for i in d.parameters["only"])
    assert len(every_source) == 9 and "morocco-world-news" in every_source
    assert all("newsflow" in d.tags for d in deployments)
    # the stored pages are compacted nightly; the shipped file keeps all HTML
    assert (maintenance.name, maintenance.schedules[0].schedule.cron) == ("compact", "17 3 * * *")
    assert maintenance.parameters == {"db": str(tmp_path / "w.duckdb"), "keep_days": 0.0, "min_waste": 0.25}
    custom = tmp_path / "sources.toml"
    custom.write_text(sources.read_text(encoding="utf-8")
                      + '\n[raw_pages]\nkeep_days = 90\ncompact_schedule = "0 4 * * 0"\n', encoding="utf-8")
    maintenance = build_deployments(str(custom), "w.duckdb")[-1]
    assert maintenance.schedules[0].schedule.cron == "0 4 * * 0" and maintenance.parameters["keep_days"] == 90
    assert "fetched over 90 days ago" in (maintenance.description or "")
    custom.write_text(sources.read_text(encoding="utf-8") + '\n[raw_pages]\ncompact_schedule = ""\n', encoding="utf-8")
    assert [d.name for d in build_deployments(str(custom), "w.duckdb")] == [d.name for d in ingests]
