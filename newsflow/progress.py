"""Progress events for long work, sent through the ``newsflow.progress``
logger so library code never prints.  The CLI attaches a handler that draws
them as progress bars; without a handler they cost almost nothing."""

from __future__ import annotations

import logging

logger = logging.getLogger("newsflow.progress")
logger.propagate = False
logger.setLevel(logging.DEBUG)
logger.addHandler(logging.NullHandler())


def start(stage: str, total: int | None = None) -> None:
    logger.debug(stage, extra={"nf_event": "start", "nf_stage": stage, "nf_total": total})


def advance(stage: str, n: int = 1) -> None:
    logger.debug(stage, extra={"nf_event": "advance", "nf_stage": stage, "nf_n": n})


def done(stage: str, note: str = "") -> None:
    logger.debug(stage, extra={"nf_event": "done", "nf_stage": stage, "nf_note": note})
