"""Task functions for the worker-pool tests: module-level, so the pool's
forkserver workers can import them (``tests/`` is on their ``sys.path``)."""

from __future__ import annotations

import os


def double_or_die(items: list[int], die_on: int) -> list[int]:
    """Each item doubled; the worker process ends (as a segfault would end
    it, with no exception to catch) when it meets ``die_on``."""
    out = []
    for x in items:
        if x == die_on:
            os._exit(11)
        out.append(2 * x)
    return out
