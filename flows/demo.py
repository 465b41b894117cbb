"""``newsflow demo``: serve the bundled demo site on 127.0.0.1 and run the
real ingest flow against it."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from newsflow.demo.site import DemoSite, load_content, serve_resources

EXAMPLE_QUERIES = (
    "SELECT source, count(*) AS articles FROM articles GROUP BY 1 ORDER BY 2 DESC",
    "SELECT topic, count(*) AS n FROM article_topics GROUP BY 1 ORDER BY 2 DESC",
    "SELECT title, source_count, article_count FROM stories WHERE article_count > 1",
)


def run_demo(db: str, topics_file: str | None = None) -> dict[str, Any]:
    """Serve the demo site, ingest it into ``db``, return the flow's summary."""
    from flows.ingest import ingest

    site = DemoSite(load_content())
    with serve_resources(site.render) as server, tempfile.TemporaryDirectory(prefix="newsflow-demo-") as tmp:
        sources = Path(tmp) / "sources.toml"
        sources.write_text(site.sources_toml(server.base_url), encoding="utf-8")  # type: ignore[attr-defined]
        return asyncio.run(ingest(sources_file=str(sources), db=db, topics_file=topics_file))  # type: ignore[arg-type]
