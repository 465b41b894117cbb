"""A worker process that dies costs only the page that killed it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from crashy import double_or_die
from flows.workers import WorkerPool
from newsflow.demo.site import DemoSite, Resource, load_content, serve_resources
from warehouse import Warehouse


def test_the_pool_finds_the_item_that_kills_its_worker_and_keeps_the_rest() -> None:
    chunks = [list(range(0, 10)), list(range(10, 20)), list(range(20, 30))]
    crashed: list[tuple[int, str]] = []

    def gone(item: int, why: str) -> list[int]:
        crashed.append((item, why))
        return [-1]

    with WorkerPool(2) as pool:
        done = pool.run_all(double_or_die, chunks, (17,), lambda a, b: [*a, *b], gone)
        assert pool.crashes >= 2  # the chunk, then the halves that still held 17
        # the pool still works after its workers died
        assert pool.run_all(double_or_die, [[1, 2]], (17,), lambda a, b: [*a, *b], gone) == [[2, 4]]
    assert done[0] == [2 * x for x in range(10)]
    assert done[2] == [2 * x for x in range(20, 30)]
    assert done[1] == [2 * x for x in range(10, 17)] + [-1] + [2 * x for x in range(18, 20)]
    assert [item for item, _ in crashed] == [17]
    assert "exit code 11" in crashed[0][1]


KILLER = "/killer/huge-page.html"


def _killer_site(demo: DemoSite):  # noqa: ANN202 - serve_resources' build function
    def build(base: str) -> dict[str, Resource]:
        res = demo.render(base)
        # about 19 MB of tiny elements: parsing alone takes lxml over a second
        # of CPU inside one C call, where only the hard limit can stop it
        page = ("<html><head><title>Huge</title></head><body><div>" + "<b>x</b><i>y</i>" * 1_200_000
                + "</div></body></html>").encode()
        res[KILLER] = Resource(200, "text/html; charset=utf-8", page)
        res["/killer/feed.xml"] = Resource(200, "application/rss+xml", (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>k</title><link>' + base + '/killer/</link>'
            '<item><title>Huge</title><link>' + base + KILLER + '</link>'
            '<pubDate>Mon, 01 Dec 2025 10:00:00 GMT</pubDate></item></channel></rss>').encode())
        return res
    return build


@pytest.mark.usefixtures("prefect_harness")
def test_a_page_that_kills_its_worker_is_dropped_and_the_window_loads(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.ingest
    from flows.ingest import ingest

    monkeypatch.setattr(flows.ingest, "PARALLEL_EXTRACT_MIN_PAGES", 1)  # the worker processes, for 32 pages
    monkeypatch.setenv("NEWSFLOW_EXTRACT_PROCESSES", "2")
    demo = DemoSite(load_content())
    db = tmp_path / "w.duckdb"
    with serve_resources(_killer_site(demo)) as site:
        sources = tmp_path / "sources.toml"
        text = demo.sources_toml(site.base_url)  # type: ignore[attr-defined]
        text = text.replace("[defaults]", "[extract]\npage_cpu_seconds = 0.3\n\n[fetch]\nmax_bytes = 40000000\n\n"
                            "[defaults]", 1)
        text += (f'\n[[sources]]\nname = "Killer"\nhomepage = "{site.base_url}/killer/"\n'  # type: ignore[attr-defined]
                 f'feeds = ["{site.base_url}/killer/feed.xml"]\nlanguage = "en"\n')  # type: ignore[attr-defined]
        sources.write_text(text, encoding="utf-8")
        asyncio.run(ingest(sources_file=str(sources), db=str(db)))
    wh = Warehouse(db)
    _, rows = wh.query("SELECT status, loaded FROM latest_run")
    assert rows == [("completed", 31)]  # every demo article of the window loaded
    _, drops = wh.query("SELECT stage, reason, url, detail FROM drops WHERE reason NOT IN ('known_canonical_url')")
    assert [(s, r, u.endswith(KILLER)) for s, r, u, _ in drops] == [("extract", "worker_crashed", True)]
    assert "worker died" in drops[0][3]
