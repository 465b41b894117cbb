"""The one exception root of newsflow and its tree.

    NewsflowError
    ├── ConfigError        a sources/topics file is missing or invalid
    ├── FetchError         a network fetch failed (carries a short ``reason``)
    ├── ExtractError       a page could not be turned into an article
    └── WarehouseError     the DuckDB warehouse refused an operation

Errors a person sees say what failed, where, and what to do next.
Per-page failures inside a batch are *not* raised: stages record them as
``Drop`` rows (see ``newsflow.records``) so one bad page never fails a batch.
"""

from __future__ import annotations


class NewsflowError(Exception):
    """Root of every error newsflow raises on purpose."""


class ConfigError(NewsflowError):
    """A configuration file is missing, unreadable or invalid."""


class FetchError(NewsflowError):
    """A fetch failed. ``reason`` is a short machine-readable class such as
    ``timeout``, ``http_500``, ``blocked_private_address``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class ExtractError(NewsflowError):
    """A page could not be turned into an article."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class WarehouseError(NewsflowError):
    """The warehouse could not be opened, migrated or written."""
