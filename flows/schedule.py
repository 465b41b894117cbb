"""Deployments and schedules for ``newsflow serve``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from prefect import serve

from newsflow.config import load_sources


def build_deployments(sources_file: str, db: str) -> list[Any]:
    """One deployment per distinct cron schedule, each ingesting the sources
    on that schedule."""
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
            parameters={"sources_file": sources_file, "db": db, "only": ids},
            tags=["newsflow", *ids],
        ))
    return deployments


def serve_schedules(sources_file: str, db: str) -> None:
    """Serve the deployments until interrupted."""
    serve(*build_deployments(sources_file, db))
