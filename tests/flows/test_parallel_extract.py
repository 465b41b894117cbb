"""Extraction in worker processes gives exactly what it gives in-process."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from flows import tasks
from newsflow.demo.site import DemoSite, load_content
from newsflow.records import Page

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _pages() -> list[Page]:
    demo = DemoSite(load_content())
    res = demo.render("http://127.0.0.1:1")
    return [Page(url=f"http://127.0.0.1:1{demo.local_path(a)}", final_url=f"http://127.0.0.1:1{demo.local_path(a)}",
                 source=a["outlet"], status=200, content_type="text/html", charset="utf-8",
                 body=res[demo.local_path(a)].body, fetched_at=datetime(2026, 1, 1, tzinfo=UTC))
            for a in demo.articles]


def test_pool_and_in_process_extraction_agree() -> None:
    pages = _pages()
    languages = {"cd": "fr"}
    serial = tasks.extract_chunk(pages, languages)
    pool = tasks.extraction_pool(2)
    try:
        async def both() -> list:
            return await asyncio.gather(*(tasks.extract(pages[i:i + 8], languages, label=str(i), pool=pool)
                                          for i in range(0, len(pages), 8)))
        chunks = asyncio.run(both())
    finally:
        pool.shutdown()
    parallel = [a for got, _, _ in chunks for a in got]
    packed = {url: html for _, _, chunk in chunks for url, html in chunk.items()}
    assert packed == serial[2] and len(packed) == 31  # every article's page, compressed in the workers
    assert [a.text for a in parallel] == [a.text for a in serial[0]]
    assert len(parallel) == len(pages) == 31
