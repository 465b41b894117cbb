"""A served deployment on a short interval runs by itself; its artifacts,
logs and events can be read back through the Prefect API.

The test harness's server is an *ephemeral* Prefect server, which starts no
background services, so nothing would turn the deployment's schedule into
runs.  The test therefore runs Prefect's own scheduler service function
(``schedule_deployments``) in-process against the harness's database, as
the server of `prefect server start` does every few seconds; the Runner then
picks the scheduled runs up by itself."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    DeploymentFilter,
    DeploymentFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.events.filters import EventFilter, EventNameFilter
from prefect.runner import Runner
from prefect.server.services.scheduler import schedule_deployments
from sqlalchemy.exc import OperationalError

from flows.ingest import ingest
from newsflow.demo.site import DemoSite, load_content, serve_resources

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_served_deployment_runs_on_its_own_and_explains_itself(tmp_path: Path) -> None:
    demo = DemoSite(load_content())
    with serve_resources(demo.render) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(demo.sources_toml(site.base_url), encoding="utf-8")  # type: ignore[attr-defined]
        db = tmp_path / "w.duckdb"
        asyncio.run(_serve_until_a_run_completes(sources, db))


async def _serve_until_a_run_completes(sources: Path, db: Path) -> None:
    runner = Runner(name="newsflow-test", query_seconds=1, prefetch_seconds=5)
    deployment_id = await runner.add_flow(
        ingest, name="ingest-demo", interval=timedelta(seconds=3), tags=["newsflow", "demo"],
        parameters={"sources_file": str(sources), "db": str(db), "only": ["morocco-world-news", "sahel-wire",
                                                                           "maghreb-daily"]},
        concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
    )
    serving = asyncio.create_task(runner.start())
    try:
        async with get_client() as client:
            done = None
            deadline = time.monotonic() + 150
            while done is None and time.monotonic() < deadline:
                try:
                    await schedule_deployments()
                except OperationalError:  # SQLite busy with the server's own writes: try again next second
                    pass
                await asyncio.sleep(1)
                runs = await client.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])))
                done = next((r for r in runs if r.state is not None and r.state.is_completed()), None)
            assert done is not None, "no scheduled run completed within 150 s"
            # runs that came due while one was going were cancelled, not run at the same time
            for r in runs:
                if r.state is not None and r.state.is_cancelled():
                    assert "concurrency limit" in (r.state.message or "")
            assert done.name.startswith("ingest · morocco-world-news +2 · ")
            assert {"newsflow", "demo"} <= set(done.tags)

            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[done.id])))
            by_key = {a.key: a for a in artifacts}
            assert "Counts per source and stage" in str(by_key["ingest-summary"].data)
            assert "human_trafficking" in str(by_key["ingest-new-articles"].data)

            # the runner ships the run's logs to the API in batches, so they
            # may land shortly after the run is Completed
            stages = ("discover:", "fetch:", "extract:", "dedupe:", "tag:", "load:")
            messages, log_deadline = "", time.monotonic() + 30
            while not all(s in messages for s in stages) and time.monotonic() < log_deadline:
                logs = await client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[done.id])))
                messages = " ".join(log.message for log in logs)
                if not all(s in messages for s in stages):
                    await asyncio.sleep(0.5)
            for stage in stages:
                assert stage in messages

            events = []
            for _ in range(20):  # events reach the API asynchronously
                page = await client.read_events(filter=EventFilter(event=EventNameFilter(name=["newsflow.story.new"])), limit=50)
                events = page.events
                if any(e.resource.get("newsflow.topic") == "terrorism" for e in events):
                    break
                await asyncio.sleep(0.5)
            assert any(e.resource.get("newsflow.topic") == "terrorism" for e in events)
            assert all(e.resource.id.startswith("newsflow.story.") for e in events)
    finally:
        await runner.stop()
        serving.cancel()
