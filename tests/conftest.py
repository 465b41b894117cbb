from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

sys.path.insert(0, str(Path(__file__).parent))

from faultserver import FaultServer, fault_server  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One real Prefect test harness (temporary API + database) per session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator["Cluster"]:  # noqa: F821
    """One throw-away PostgreSQL 15 cluster on 127.0.0.1 per session (the
    catalog of the lake tests; each test makes its own database)."""
    from newsflow.pgcluster import temporary_cluster

    with temporary_cluster() as cluster:
        yield cluster


@pytest.fixture
def lake(pg_cluster: "Cluster", tmp_path: Path) -> tuple[str, str]:  # noqa: F821
    """A fresh lake: (its --db location, its data path)."""
    import uuid

    name = f"lake_{uuid.uuid4().hex[:10]}"
    pg_cluster.create_database(name)
    return pg_cluster.lake(name), str(tmp_path / "lake-data")


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server() as s:
        yield s


@pytest.fixture
def topics_file() -> Path:
    return REPO / "config" / "topics.toml"


def ingest_demo(tmp_path: Path) -> "Warehouse":  # noqa: F821 (imported lazily: Prefect is slow to import)
    """Serve the demo site on 127.0.0.1, run the real ingest flow into
    ``tmp_path/w.duckdb`` once, stop the site; returns the warehouse.  Needs
    the ``prefect_harness`` fixture."""
    import asyncio

    from flows.ingest import ingest
    from newsflow.demo.site import DemoSite, load_content, serve_resources
    from warehouse import Warehouse

    demo = DemoSite(load_content())
    db = tmp_path / "w.duckdb"
    with serve_resources(demo.render) as site:
        sources = tmp_path / "demo-sources.toml"
        sources.write_text(demo.sources_toml(site.base_url), encoding="utf-8")  # type: ignore[attr-defined]
        asyncio.run(ingest(sources_file=str(sources), db=str(db)))
    return Warehouse(db)
