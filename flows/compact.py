"""``newsflow compact`` and the ``compact`` flow ``newsflow serve`` runs on
``[raw_pages] compact_schedule``: give up the HTML older than
``[raw_pages] keep_days`` (when set), then give back the pack bytes no row
points at (:mod:`warehouse.pages`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger

from newsflow.errors import WarehouseError
from warehouse import Warehouse, pages


@dataclass(frozen=True, slots=True)
class Compaction:
    forgotten: pages.Forgotten | None  # None: keep_days is 0, every page's HTML is kept
    changes: list[pages.PackChange]
    merged_files: int = 0  # a lake's data files fewer after merging the small ones

    @property
    def bytes_before(self) -> int:
        return sum(c.bytes_before for c in self.changes)

    @property
    def bytes_after(self) -> int:
        return sum(c.bytes_after for c in self.changes)

    def lines(self) -> list[str]:
        """What was done, in a few sentences."""
        out = []
        if self.forgotten is not None:
            f = self.forgotten
            out.append(f"gave up the HTML of {f.pages} page{'' if f.pages == 1 else 's'} fetched before"
                       f" {f.before:%Y-%m-%d %H:%M} UTC ({f.bytes / 1e6:.1f} MB compressed)")
        by_action: dict[str, int] = {}
        for c in self.changes:
            by_action[c.action] = by_action.get(c.action, 0) + 1
        done = ", ".join(f"{n} {action}" for action, n in sorted(by_action.items()))
        out.append(f"{len(self.changes)} packs: {self.bytes_before / 1e6:.1f} MB -> {self.bytes_after / 1e6:.1f} MB"
                   f" ({(self.bytes_before - self.bytes_after) / 1e6:.1f} MB given back){f'; {done}' if done else ''}")
        out += [f"pack {c.pack} {c.action}: {c.detail}" for c in self.changes if c.action in ("skipped", "unreadable")]
        if self.merged_files:
            out.append(f"lake: {self.merged_files} fewer data files after merging the small ones")
        return out


def run_compact(wh: Warehouse, keep_days: float = 0.0, min_waste: float = 0.25,
                now: datetime | None = None) -> Compaction:
    """Forget the HTML of pages fetched more than ``keep_days`` ago (none
    when 0), then compact the packs; the read copy is published when either
    changed something."""
    if keep_days < 0:
        raise WarehouseError(f"keep_days must be >= 0 (0 keeps every page's HTML), got {keep_days}")
    wh.migrate()
    forgotten = None
    if keep_days > 0:
        forgotten = pages.forget(wh, (now or datetime.now(UTC)) - timedelta(days=keep_days))
    changes = pages.compact(wh, min_waste)
    published = any(c.action in ("removed", "rewritten") for c in changes)  # compact published before unlinking
    if forgotten is not None and forgotten.pages and not published:
        wh.publish()
    return Compaction(forgotten, changes, wh.merge_small_files())


@flow(name="compact", log_prints=False)
def compact(db: str = "data/newsflow.duckdb", keep_days: float = 0.0, min_waste: float = 0.25) -> dict[str, Any]:
    """Give up HTML older than ``keep_days`` and give back unused pack bytes."""
    from prefect.artifacts import create_markdown_artifact

    from flows.report import md

    log: logging.Logger | logging.LoggerAdapter[Any] = get_run_logger()
    result = run_compact(Warehouse(db), keep_days, min_waste)
    for line in result.lines():
        log.info("compact: %s", line)
    rows = "\n".join(f"| {c.pack} | {c.action} | {c.bytes_before / 1e6:.1f} | {c.bytes_after / 1e6:.1f} | {c.pages} |"
                     f" {md(c.detail)} |" for c in result.changes if c.action != "kept")
    create_markdown_artifact(
        key="compact-summary",
        markdown="\n\n".join(["# Compaction", *(f"- {md(line)}" for line in result.lines())]
                             + ([f"| pack | action | MB before | MB after | pages | detail |\n|---|---|---|---|---|---|\n{rows}"]
                                if rows else [])),
        description="What newsflow compact did")
    return {"forgotten_pages": result.forgotten.pages if result.forgotten else 0,
            "bytes_before": result.bytes_before, "bytes_after": result.bytes_after,
            "actions": [c.action for c in result.changes]}
