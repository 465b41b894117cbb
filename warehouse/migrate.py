"""Numbered ``.sql`` migrations, applied in order and recorded in
``schema_migrations``."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources

import duckdb

from newsflow.errors import WarehouseError


def available() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration shipped, in order."""
    found = []
    for entry in resources.files("warehouse").joinpath("migrations").iterdir():
        m = re.fullmatch(r"(\d{3})_(\w+)\.sql", entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


SCHEMA_MIGRATIONS = ("CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")


def apply(con: duckdb.DuckDBPyConnection, upto: int | None = None,
          translate: Callable[[str], str] | None = None) -> list[int]:
    """Apply pending migrations (up to ``upto``); returns the versions
    applied.  ``translate`` adapts each migration's SQL to the backend (the
    lake's, see ``warehouse.lake.translate``); the same files serve both."""
    adapt = translate or (lambda sql: sql)
    con.execute(adapt(SCHEMA_MIGRATIONS))
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in available():
        if version in done or (upto is not None and version > upto):
            continue
        try:
            con.execute("BEGIN TRANSACTION")
            for statement in con.extract_statements(adapt(sql)):
                con.execute(statement)
            con.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, now())",
                        [version, name])
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise WarehouseError(f"migration {version:03d}_{name}.sql failed: {exc}") from exc
        applied.append(version)
    return applied
