"""Deployments and schedules for ``newsflow serve``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

from newsflow.config import SourcesConfig, load_sources
from newsflow.errors import NewsflowError


def build_deployments(sources_file: str, db: str, max_lateness_minutes: float = 10.0,
                      data_path: str | None = None) -> list[Any]:
    """One deployment per distinct cron schedule, each ingesting the sources
    on that schedule; and the compaction of the stored pages on
    ``[raw_pages] compact_schedule`` (unless that is empty)."""
    from flows.compact import compact
    from flows.ingest import ingest

    config = load_sources(sources_file)
    deployments = []
    for cron, ids in sorted(_by_schedule(config).items()):
        deployments.append(ingest.to_deployment(
            name=f"ingest-{_group_name(ids)}", cron=cron,
            parameters={"sources_file": sources_file, "db": db, "only": ids,
                        "max_lateness_minutes": max_lateness_minutes,
                        **({"data_path": data_path} if data_path else {})},
            tags=["newsflow", *ids],
            # one run at a time per deployment; a run due while the last one
            # is still going is cancelled, not queued
            concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
            description=f"newsflow ingest of {', '.join(ids)} on '{cron}'",
        ))
    keep = config.raw_pages
    if keep.compact_schedule:
        deployments.append(compact.to_deployment(
            name="compact", cron=keep.compact_schedule,
            parameters={"db": db, "keep_days": keep.keep_days, "min_waste": keep.min_waste},
            tags=["newsflow", "maintenance"],
            concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
            description=("newsflow compact: give back unused pack bytes"
                         + (f", and the HTML of pages fetched over {keep.keep_days:g} days ago" if keep.keep_days else "")
                         + f", on '{keep.compact_schedule}'"),
        ))
    return deployments


def serve_schedules(sources_file: str, db: str, data_path: str | None = None) -> None:
    """Serve the deployments until interrupted."""
    serve(*build_deployments(sources_file, db, data_path=data_path))


POOL = "newsflow"


def source_groups(sources_file: str, groups: int = 1) -> list[tuple[str, str, list[str]]]:
    """(deployment name, cron, source ids): the sources of each schedule,
    split into ``groups`` groups of near-equal size (in id order, dealt out
    in turn), so that as many workers can ingest one schedule side by side."""
    if groups < 1:
        raise NewsflowError(f"--groups must be at least 1, got {groups}")
    out = []
    for cron, ids in sorted(_by_schedule(load_sources(sources_file)).items()):
        ids = sorted(ids)
        parts = [ids[k::groups] for k in range(min(groups, len(ids)))]
        for k, part in enumerate(parts):
            out.append((f"ingest-{_group_name(part)}" + (f"-g{k + 1}" if len(parts) > 1 else ""), cron, part))
    return out


def _by_schedule(config: SourcesConfig) -> dict[str, list[str]]:
    """Source ids per cron schedule, in the sources file's order."""
    by_cron: dict[str, list[str]] = defaultdict(list)
    for s in config.sources:
        by_cron[s.schedule].append(s.id)
    return by_cron


def _group_name(ids: list[str]) -> str:
    """A deployment's name part for these sources: the first id, and how many more."""
    return ids[0] if len(ids) == 1 else f"{ids[0]}+{len(ids) - 1}"


def deploy_to_pool(sources_file: str, db: str, data_path: str | None = None, groups: int = 1,
                   pool: str = POOL, home: str | None = None, max_lateness_minutes: float = 10.0,
                   schedule: bool = True) -> list[str]:
    """Create the process work pool ``pool`` if it is missing, and one
    deployment of the ingest flow per source group (see
    :func:`source_groups`) pulling from it.  Workers on any machine
    (``prefect worker start --pool newsflow``) run the flows from ``home``,
    the checkout on that machine (the same path everywhere).  A lake ``db``
    is created (migrated) here.  Returns the deployment names."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.utilities.asyncutils import run_coro_as_sync

    from flows.ingest import REPO_ROOT, ingest

    async def ensure_pool() -> None:
        async with get_client() as client:
            try:
                await client.read_work_pool(pool)
            except ObjectNotFound:
                try:
                    await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
                except ObjectAlreadyExists:  # a worker starting meanwhile made it
                    pass

    run_coro_as_sync(ensure_pool())
    from warehouse import Warehouse

    lake = Warehouse(db, data_path=data_path)
    if lake.is_lake:  # the tables are there before the first worker or reader comes
        lake.migrate()
    source = ingest.from_source(source=str(home or REPO_ROOT), entrypoint="flows/ingest.py:ingest")
    names = []
    for name, cron, ids in source_groups(sources_file, groups):
        source.deploy(
            name=name, work_pool_name=pool, cron=cron if schedule else None, build=False, push=False,
            parameters={"sources_file": sources_file, "db": db, "only": ids,
                        "max_lateness_minutes": max_lateness_minutes, **({"data_path": data_path} if data_path else {})},
            tags=["newsflow", *ids],
            concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
            description=f"newsflow ingest of {', '.join(ids)} on '{cron}'", print_next_steps=False)
        names.append(f"ingest/{name}")
    return names
