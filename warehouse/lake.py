"""The warehouse on DuckLake with a PostgreSQL catalog: several writers on
several machines, one set of tables, the same SQL.

A lake location is what ``--db`` / ``NEWSFLOW_DB`` holds when it starts
with ``ducklake:``, e.g. ``ducklake:postgres:dbname=newsflow host=db1``; its
data path (``--data-path`` / ``NEWSFLOW_DATA_PATH``) is the folder (or
``s3://`` prefix) where DuckLake writes its Parquet files.  This module is
the only place that knows the difference: how to attach the lake, how the
migrations' SQL is adapted to what DuckLake supports, and how writers on
different machines coordinate through PostgreSQL.

What DuckLake 1.4.4 does not support, and how newsflow adapts (once, here
and in :mod:`warehouse.store`, not by forking the SQL):

* PRIMARY KEY / UNIQUE constraints and indexes: :func:`translate` drops
  them from the migrations.  The warehouse never relied on them (migrations
  006 and 007 removed the keys of the large tables; loads de-duplicate with
  anti-joins), and uniqueness across writers comes from :class:`Coordinator`.
* Non-literal column defaults (``DEFAULT now()``): dropped; newsflow always
  writes those columns.
* ``INSERT OR REPLACE`` and ``INSERT ... RETURNING``: the store uses
  DELETE + INSERT and a temporary table of new ids instead, on both backends.
* Macros: none are used.  Views, LIST, STRUCT and MAP columns work as in
  DuckDB.

Several writers (see README, "Scale-out path"):

* **One load at a time, with a fresh snapshot.**  A window's dedupe (its
  lookup of stored URLs, hashes and stories) and its load transaction run
  under the PostgreSQL advisory lock ``LOAD_LOCK`` (:meth:`Coordinator.section`).
  A load therefore starts reading after the previous load committed, and
  its anti-joins and story lookup see every article stored before it, as
  with one writer: no ``article_id`` is stored twice, and a copy loaded by
  another worker is found and linked with ``duplicate_of`` at once.
* **A fence checked at commit.**  The lock is a fast path, not the proof:
  a writer whose lock session died (a network partition) could otherwise
  load on a stale view.  Every load also moves the one-row table
  ``load_fence`` from the value its lookup saw to the next one
  (compare-and-swap).  If another load committed since that lookup, the
  row has moved on and no row matches; if it commits meanwhile, both
  transactions delete from the same data file and DuckLake refuses the
  second commit.  Either way the load raises :class:`CommitConflict`, and
  the flow redoes the window's dedupe and load (counted and logged).
* **Run leases.**  A running run holds the advisory lock of its run id on
  a PostgreSQL session of its own.  A process that dies (SIGKILL, a machine
  lost) loses its session and so its lease; the next run on any machine
  finds the run ``running`` without a lease and marks it failed (crashed).
* **Migrations** run under ``MIGRATE_LOCK``, so two workers starting on a
  fresh lake do not both create the tables.

psycopg (3, the maintained PostgreSQL driver) holds those sessions: the
locks need one PostgreSQL session whose lifetime newsflow controls, which
DuckDB's postgres extension (a pool of connections behind ATTACH) does not
give.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from newsflow.errors import WarehouseError

log = logging.getLogger(__name__)

PREFIX = "ducklake:"
ALIAS = "wh"
LOAD_LOCK = 0x6E66_6C6F_6164  # "nfload": dedupe + load of one window
MIGRATE_LOCK = 0x6E66_6D69_6772  # "nfmigr"
LEASE_SPACE = 0x4E46  # high 32 bits of a run lease's lock key
T = TypeVar("T")


class CommitConflict(WarehouseError):
    """Another writer committed a change this transaction conflicts with;
    the work must be redone on a fresh snapshot."""


def is_lake(location: str | os.PathLike[str]) -> bool:
    return str(location).startswith(PREFIX)


def extension_directory() -> str:
    """Where the ``duckdb-ext-*`` packages put the extension files (they
    install offline from PyPI; ``INSTALL`` would need the internet)."""
    try:
        import duckdb_ext
    except ImportError as exc:  # pragma: no cover - the lock file installs it
        raise WarehouseError("the lake needs the duckdb-ext packages (pip install -r requirements.lock)") from exc
    return str(Path(duckdb_ext.__file__).parent / "extensions")


@dataclass(frozen=True, slots=True)
class Location:
    """A parsed ``ducklake:postgres:...`` location."""

    catalog: str  # "postgres:dbname=... host=..."
    data_path: str | None  # folder or s3:// prefix; needed when the lake is created

    @classmethod
    def parse(cls, location: str, data_path: str | None) -> Location:
        catalog = location.removeprefix(PREFIX)
        if not catalog.startswith("postgres:"):
            raise WarehouseError(
                f"unsupported lake catalog in {location!r}: newsflow's lake needs a PostgreSQL catalog"
                " (ducklake:postgres:dbname=... host=...), the one catalog several machines can write")
        if data_path and not data_path.startswith(("s3://", "gs://", "az://", "abfss://", "r2://")):
            data_path = str(Path(data_path).resolve())
        if data_path and not data_path.endswith("/"):
            data_path += "/"
        return cls(catalog, data_path)

    @property
    def dsn(self) -> str:
        """The PostgreSQL connection string of the catalog."""
        return self.catalog.removeprefix("postgres:")

    @property
    def remote(self) -> bool:
        return bool(self.data_path) and "://" in (self.data_path or "")

    def key(self) -> str:
        """A short stable name of the catalog (local folder names)."""
        return hashlib.sha1(self.catalog.encode()).hexdigest()[:12]


# -- connections ---------------------------------------------------------

def connect(loc: Location, read_only: bool) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as ``wh`` and in use, so
    unqualified names (``articles``, the views) are the lake's and Arrow
    tables registered on the connection still resolve."""
    con = duckdb.connect(config={"extension_directory": extension_directory(),
                                 "autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        con.execute("LOAD ducklake")
        con.execute("LOAD postgres")
        if loc.remote:
            con.execute("LOAD httpfs")  # credentials: CREATE SECRET in ~/.duckdb or the AWS_* variables
        opts = []
        if loc.data_path:
            opts.append(f"DATA_PATH '{_quote(loc.data_path)}'")
        if read_only:
            opts.append("READ_ONLY")
        con.execute(f"ATTACH '{_quote(PREFIX + loc.catalog)}' AS {ALIAS}" + (f" ({', '.join(opts)})" if opts else ""))
        con.execute(f"USE {ALIAS}")
        # commits that raced without a logical conflict are retried by DuckLake itself
        con.execute("SET GLOBAL ducklake_max_retry_count = 100")
    except duckdb.Error as exc:
        con.close()
        raise WarehouseError(f"cannot attach the lake {PREFIX}{loc.catalog}: {exc}. Check that PostgreSQL is"
                             " reachable, the database exists, and the data path is given the first time") from exc
    return con


def cli_setup(loc: Location) -> str:
    """Statements that make the DuckDB CLI (``newsflow shell``) a reader of
    the lake: the extensions from the same packages, the lake attached
    read-only as ``wh`` and in use."""
    return "; ".join([
        f"SET extension_directory = '{_quote(extension_directory())}'", "SET autoinstall_known_extensions = false",
        "LOAD ducklake", "LOAD postgres", *(["LOAD httpfs"] if loc.remote else []),
        f"ATTACH '{_quote(PREFIX + loc.catalog)}' AS {ALIAS} (READ_ONLY)", f"USE {ALIAS}"]) + ";"


def _quote(text: str) -> str:
    return text.replace("'", "''")


def is_conflict(exc: BaseException) -> bool:
    """A commit DuckLake refused because another writer got there first."""
    text = str(exc)
    return isinstance(exc, duckdb.Error) and ("Transaction conflict" in text or "conflict" in text.lower()
                                               and "commit" in text.lower())


# -- migrations ----------------------------------------------------------

_PK_COLUMN = re.compile(r"\s+(?:PRIMARY\s+KEY|UNIQUE)\b(?!\s*\()", re.I)
_PK_TABLE = re.compile(r",\s*(?:PRIMARY\s+KEY|UNIQUE)\s*\([^)]*\)", re.I)
_DEFAULT_CALL = re.compile(r"\s+DEFAULT\s+\w+\(\)", re.I)
_INDEX = re.compile(r"^\s*(?:--[^\n]*\n\s*)*CREATE\s+(?:UNIQUE\s+)?INDEX\b.*?(;|$)", re.I | re.S | re.M)



def translate(sql: str) -> str:
    """A migration's SQL as DuckLake takes it: without key and unique
    constraints, indexes and non-literal defaults (see the module's note)."""
    sql = _INDEX.sub("", sql)
    sql = _PK_TABLE.sub("", sql)
    sql = _PK_COLUMN.sub("", sql)
    return _DEFAULT_CALL.sub("", sql)


def current_snapshot(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"SELECT max(snapshot_id) FROM ducklake_snapshots('{ALIAS}')").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


ARTICLE_TEXT = "article_id, title, text, published_at, source, language"


def article_changes(con: duckdb.DuckDBPyConnection, since: int | None) -> tuple[int, Any]:
    """(current snapshot, a record batch reader of the articles inserted or
    updated after snapshot ``since``, oldest change first; every article at
    the current snapshot when ``since`` is None).  Rows: article_id, title,
    text, published_at, source, language (what the search index takes)."""
    now = current_snapshot(con)
    if since is None:
        query = f"SELECT {ARTICLE_TEXT} FROM articles AT (VERSION => {now})"
    elif since >= now:
        query = f"SELECT {ARTICLE_TEXT} FROM articles WHERE false"
    else:
        query = (f"SELECT {ARTICLE_TEXT} FROM ducklake_table_changes('{ALIAS}', 'main', 'articles', {since + 1}, {now})"
                 " WHERE change_type IN ('insert', 'update_postimage') ORDER BY snapshot_id, rowid")
    return now, con.execute(query).fetch_record_batch(20_000)


# -- coordination through PostgreSQL --------------------------------------

def _pg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - the lock file installs it
        raise WarehouseError("the lake needs psycopg (pip install -r requirements.lock)") from exc
    return psycopg


def lease_key(run_id: str) -> int:
    """The advisory lock key of a run's lease (64 bits, signed)."""
    low = int.from_bytes(hashlib.sha1(run_id.encode()).digest()[:4], "big")
    key = (LEASE_SPACE << 32) | low
    return key - (1 << 64) if key >= 1 << 63 else key


class Coordinator:
    """Advisory locks and run leases on the catalog's PostgreSQL."""

    def __init__(self, loc: Location) -> None:
        self.loc = loc
        self._leases: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _session(self) -> Any:
        psycopg = _pg()
        try:
            # keepalives: a writer whose machine vanished loses its locks
            # within about a minute instead of the kernel's two hours
            return psycopg.connect(self.loc.dsn, autocommit=True, keepalives=1, keepalives_idle=15,
                                   keepalives_interval=5, keepalives_count=4, connect_timeout=30,
                                   application_name="newsflow")
        except psycopg.Error as exc:
            raise WarehouseError(f"cannot reach the lake's PostgreSQL ({self.loc.dsn}): {exc}") from exc

    @contextmanager
    def section(self, key: int = LOAD_LOCK, timeout: float = 600.0) -> Iterator[float]:
        """Hold the advisory lock ``key`` (waiting up to ``timeout`` s);
        yields the seconds spent waiting."""
        t0 = time.monotonic()
        con = self._session()
        try:
            con.execute(f"SET lock_timeout = '{int(timeout * 1000)}ms'")
            try:
                con.execute("SELECT pg_advisory_lock(%s)", [key])
            except _pg().Error as exc:
                raise WarehouseError(f"waited {timeout:.0f} s for another writer's load to finish: {exc}") from exc
            yield time.monotonic() - t0
        finally:
            con.close()  # ends the session, and so the lock, also on errors

    def hold_lease(self, run_id: str) -> None:
        """Take the run's lease for as long as this process runs it."""
        con = self._session()
        row = con.execute("SELECT pg_try_advisory_lock(%s)", [lease_key(run_id)]).fetchone()
        if not row or not row[0]:
            con.close()
            raise WarehouseError(f"run {run_id} is already held by another process")
        with self._lock:
            self._leases[run_id] = con

    def release_lease(self, run_id: str) -> None:
        with self._lock:
            con = self._leases.pop(run_id, None)
        if con is not None:
            con.close()

    def orphaned(self, run_ids: list[str]) -> list[str]:
        """Of ``run_ids`` (runs marked running), those whose lease nobody
        holds: their process is gone."""
        if not run_ids:
            return []
        con = self._session()
        try:
            out = []
            for rid in run_ids:
                with self._lock:
                    if rid in self._leases:
                        continue
                row = con.execute("SELECT pg_try_advisory_lock(%s)", [lease_key(rid)]).fetchone()
                if row and row[0]:
                    out.append(rid)
                    con.execute("SELECT pg_advisory_unlock(%s)", [lease_key(rid)])
            return out
        finally:
            con.close()

    def close(self) -> None:
        with self._lock:
            leases, self._leases = self._leases, {}
        for con in leases.values():
            con.close()


@dataclass
class ConflictStats:
    """Commit conflicts this process met, and the retries they cost."""

    conflicts: int = 0
    retries: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, retried: bool) -> None:
        with self._lock:
            self.conflicts += 1
            self.retries += int(retried)


def retrying(fn: Callable[[], T], what: str, stats: ConflictStats, attempts: int = 8) -> T:
    """Run the transaction ``fn`` again when its commit conflicts with
    another writer's (it must start its own transaction), up to
    ``attempts`` times with a growing pause; each conflict is counted and
    logged."""
    delay = 0.05
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except CommitConflict as exc:
            last = attempt == attempts
            stats.add(retried=not last)
            log.warning("commit conflict in %s (attempt %d of %d)%s: %s", what, attempt, attempts,
                        "; giving up" if last else "; retrying", exc)
            if last:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")
