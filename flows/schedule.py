"""Deployments and schedules for ``newsflow serve``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

from newsflow.config import load_sources


def build_deployments(sources_file: str, db: str, max_lateness_minutes: float = 10.0,
                      data_path: str | None = None) -> list[Any]:
    """One deployment per distinct cron schedule, each ingesting the sources
    on that schedule; and the compaction of the stored pages on
    ``[raw_pages] compact_schedule`` (unless that is empty)."""
    from flows.compact import compact
    from flows.ingest import ingest

    config = load_sources(sources_file)
    groups: dict[str, list[str]] = defaultdict(list)
    for s in config.sources:
        groups[s.schedule].append(s.id)
    deployments = []
    for cron, ids in sorted(groups.items()):
        name = ids[0] if len(ids) == 1 else f"{ids[0]}+{len(ids) - 1}"
        deployments.append(ingest.to_deployment(
            name=f"ingest-{name}", cron=cron,
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
