"""The warehouse's narrow storage API.

Two backends behind one class: a DuckDB file (the default, described
here) or a DuckLake on PostgreSQL for several writers (``--db
ducklake:postgres:...``, see :mod:`warehouse.lake`), with the same tables,
views and SQL.

Two files.  The **writer file** (``--db`` / ``NEWSFLOW_DB``) belongs to the
pipeline: writers open a connection per operation and keep transactions
short; when another process holds DuckDB's file lock, opening retries with
backoff for ``lock_timeout`` seconds before failing with a clear error.  The
**read copy** (``<name>.read.duckdb`` beside it) belongs to people: after each
run the writer checkpoints its file and publishes a copy of it by an atomic
rename.  A reader (``newsflow sql``, ``newsflow shell``, a notebook) opens the
read copy; it sees the data of the last finished run, never a half-written
one, and never blocks the writer: a reader that keeps a connection open keeps
reading the copy it opened, and sees new data when it reconnects.

Loads are bulk inserts from Arrow tables, never row by row.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from newsflow.errors import WarehouseError
from newsflow.isolation import failing_items, internal_error
from newsflow.records import Article, Drop, FetchRecord, TopicTag
from stories.dedupe import Known, Stored
from stories.model import Sketch, StoryRows
from warehouse import lake, migrate, pages, stories_store
from warehouse.lake import CommitConflict, ConflictStats

TS = pa.timestamp("us", tz="UTC")
T = TypeVar("T")

ARTICLE_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("url", pa.string()), ("canonical_url", pa.string()),
    ("source", pa.string()), ("site", pa.string()), ("title", pa.string()),
    ("authors", pa.list_(pa.string())), ("published_at", TS), ("fetched_at", TS),
    ("language", pa.string()), ("text", pa.string()), ("word_count", pa.int32()),
    ("content_hash", pa.string()), ("story_id", pa.string()), ("duplicate_of", pa.string()),
    ("http_status", pa.int32()), ("extractor", pa.string()), ("run_id", pa.string()),
    ("removed", pa.list_(pa.struct([("rule", pa.string()), ("text", pa.string())]))),
    ("standfirst", pa.string()), ("published_date", pa.date32()),
])
TOPIC_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("topic", pa.string()), ("score", pa.float64()),
    ("evidence", pa.list_(pa.struct([("phrase", pa.string()), ("field", pa.string()),
                                     ("start", pa.int32()), ("end", pa.int32())]))),
    ("taxonomy_version", pa.string()), ("tagged_at", TS),
])
FETCH_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("source", pa.string()), ("url", pa.string()), ("kind", pa.string()),
    ("fetched_at", TS), ("status", pa.int32()), ("error", pa.string()), ("bytes", pa.int64()),
    ("elapsed_ms", pa.float64()), ("final_url", pa.string()), ("detail", pa.string()),
])
DROP_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("stage", pa.string()), ("source", pa.string()), ("url", pa.string()),
    ("reason", pa.string()), ("detail", pa.string()), ("dropped_at", TS),
])
URL_SCHEMA = pa.schema([("url", pa.string()), ("article_id", pa.string()), ("first_seen_at", TS)])
FEED_STATE_SCHEMA = pa.schema([
    ("url", pa.string()), ("source", pa.string()), ("etag", pa.string()), ("last_modified", pa.string()),
    ("last_status", pa.int32()), ("checked_at", TS),
])
COUNT_COLUMNS = ("discovered", "fetched", "failed", "extracted", "duplicates", "loaded")


@dataclass(frozen=True, slots=True)
class LoadResult:
    articles: int  # new rows in articles (updates not counted)
    topics: int
    fetch_log: int
    drops: int
    rejected: tuple[Drop, ...] = ()  # articles that could not be turned into rows (written as drops)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_copy_path(path: Path) -> Path:
    """``data/newsflow.duckdb`` -> ``data/newsflow.read.duckdb``."""
    return path.with_name(f"{path.stem}.read{path.suffix or '.duckdb'}")


class Warehouse:
    """A warehouse at ``location``: a DuckDB file path, or a DuckLake
    location ``ducklake:postgres:...`` with its ``data_path`` (needed when
    the lake is created; afterwards the catalog knows it).  ``worker`` names
    the Prefect worker (or machine) that runs this process, for ``runs``."""

    def __init__(self, path: str | Path, lock_timeout: float = 60.0, data_path: str | None = None,
                 worker: str | None = None, pages_path: str | None = None) -> None:
        self.location = str(path)
        self.pages_path = pages_path  # a lake's pack files elsewhere than under its data path (needed for s3://)
        self.lock_timeout = lock_timeout
        self.worker = worker
        self.lake = lake.Location.parse(self.location, data_path) if lake.is_lake(self.location) else None
        self._path = None if self.lake else Path(path)
        self._coordinator: lake.Coordinator | None = None
        self._fence_seen: int | None = None  # load_fence as this object's last lookup saw it (lake only)
        self.conflicts = ConflictStats()
        self._db: dict[bool, duckdb.DuckDBPyConnection] = {}  # the lake attached: read-only (True) or not
        self._db_lock = threading.Lock()

    @property
    def is_lake(self) -> bool:
        return self.lake is not None

    @property
    def path(self) -> Path:
        """The DuckDB file (a lake has none: see ``location``)."""
        if self._path is None:
            raise WarehouseError(f"{self.location} is a lake, not a DuckDB file")
        return self._path

    def __repr__(self) -> str:
        return f"Warehouse({self.location!r})"

    def __getstate__(self) -> dict[str, Any]:  # sent to other processes without its sessions
        state = self.__dict__.copy()
        state.update(_coordinator=None, _db={}, _db_lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _db_lock=threading.Lock())

    @property
    def coordinator(self) -> lake.Coordinator:
        if self.lake is None:
            raise WarehouseError("only a lake has a coordinator")
        if self._coordinator is None:
            self._coordinator = lake.Coordinator(self.lake)
        return self._coordinator

    @property
    def data_path(self) -> str:
        """Where the lake's files are (from the catalog when not given)."""
        assert self.lake is not None
        if self.lake.data_path:
            return self.lake.data_path
        _, rows = self.query("SELECT value FROM __ducklake_metadata_wh.ducklake_metadata WHERE key = 'data_path'")
        if not rows:
            raise WarehouseError(f"the lake {self.location} records no data path; give --data-path")
        self.lake = lake.Location(self.lake.catalog, str(rows[0][0]))
        return str(rows[0][0])

    @property
    def pages_dir(self) -> Path:
        """Where the pack files of raw HTML are: beside the DuckDB file, or
        under the lake's data path (shared by every worker)."""
        if self.lake is None:
            return pages.pack_dir(self.path)
        if self.pages_path:
            return Path(self.pages_path)
        if self.lake.remote:
            raise WarehouseError(f"raw page packs need a shared folder and the data path {self.data_path} is"
                                 " remote: set NEWSFLOW_PAGES_PATH to a folder every worker mounts")
        return Path(self.data_path) / "pages"

    @property
    def search_dir(self) -> Path:
        """The tantivy index: beside the DuckDB file, or for a lake a local
        one per reader (``~/.cache/newsflow/search/<catalog>``), kept up to
        date from the lake's snapshots (see ``warehouse.search``)."""
        from warehouse.search import index_path

        if self.lake is None:
            return index_path(self.path)
        return Path.home() / ".cache" / "newsflow" / "search" / self.lake.key()

    @property
    def read_path(self) -> Path:
        return read_copy_path(self.path)

    def publish(self) -> Path | None:
        """Checkpoint the writer file and atomically replace the read copy
        with a copy of it.  Returns the read copy's path.  A lake needs no
        copy (readers see committed snapshots): nothing to do, None."""
        if self.lake is not None:
            return None
        with self.connect() as con:
            con.execute("CHECKPOINT")
            tmp = self.read_path.with_name(f".{self.read_path.name}.{os.getpid()}.tmp")
            try:
                shutil.copyfile(self.path, tmp)  # under the writer's lock: nobody writes meanwhile
                os.replace(tmp, self.read_path)
            finally:
                tmp.unlink(missing_ok=True)
        return self.read_path

    def reader(self) -> Warehouse:
        """The warehouse people read: the read copy when one was published,
        else the writer file itself (opened read-only).  A lake is read
        where it is."""
        if self.lake is not None:
            return self
        return Warehouse(self.read_path, self.lock_timeout) if self.read_path.exists() else self

    # -- connections -----------------------------------------------------

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.lake is not None:
            con = self._lake_cursor(read_only)
            try:
                yield con
            finally:
                con.close()
            return
        if read_only and not self.path.exists():
            raise WarehouseError(f"no warehouse at {self.path}; run `newsflow ingest` or `newsflow demo` first")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.05
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise WarehouseError(
                        f"cannot open {self.path}{' read-only' if read_only else ''}: {exc}. "
                        "Another process holds the warehouse; close it or try again."
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        try:
            yield con
        finally:
            con.close()

    def _lake_cursor(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A new connection to this object's DuckDB with the lake attached
        (read-only or not).  The DuckDB, its extensions and the ATTACH are
        made once per object: loading the two extensions costs about 0.45 s,
        a connection to a running DuckDB next to nothing."""
        assert self.lake is not None
        with self._db_lock:
            root = self._db.get(read_only)
            if root is None:
                root = self._db[read_only] = lake.connect(self.lake, read_only)
        con = root.cursor()
        con.execute(f"USE {lake.ALIAS}")
        return con

    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], T], what: str) -> T:
        """Run ``fn`` in one write transaction and commit.  On a lake, a
        commit that conflicts with another writer's is rolled back and run
        again (counted in ``conflicts`` and logged); anything else rolls
        back and raises ``WarehouseError``."""
        return self.retrying(lambda: self._write_once(fn, what), what)

    def retrying(self, fn: Callable[[], T], what: str) -> T:
        """``fn`` (a whole transaction), again when its commit conflicts."""
        if self.lake is None:
            return fn()
        return lake.retrying(fn, what, self.conflicts)

    def _write_once(self, fn: Callable[[duckdb.DuckDBPyConnection], T], what: str) -> T:
        with self.connect() as con:
            try:
                con.execute("BEGIN TRANSACTION")
                out = fn(con)
                con.execute("COMMIT")
                return out
            except duckdb.Error as exc:
                _rollback(con)
                if lake.is_conflict(exc):
                    raise CommitConflict(f"{what} in {self.location}: {exc}") from exc
                raise WarehouseError(f"{what} in {self.location} failed: {exc}") from exc

    def merge_small_files(self) -> int:
        """On a lake: merge the small Parquet files each window's commit
        leaves into larger ones (``ducklake_merge_adjacent_files``; the
        snapshots and time travel stay).  Returns the data files before
        minus after; 0 for a DuckDB file."""
        if self.lake is None:
            return 0

        def files() -> int:
            _, rows = self.query(f"SELECT count(*) FROM __ducklake_metadata_{lake.ALIAS}.ducklake_data_file"
                                 " WHERE end_snapshot IS NULL")
            return int(rows[0][0])

        def merge() -> None:
            with self.connect() as con:
                try:
                    con.execute(f"CALL ducklake_merge_adjacent_files('{lake.ALIAS}')")
                except duckdb.Error as exc:
                    if lake.is_conflict(exc):
                        raise CommitConflict(f"merging the files of {self.location}: {exc}") from exc
                    raise WarehouseError(f"merging the files of {self.location} failed: {exc}") from exc

        before = files()
        self.retrying(merge, "merging small files")
        return before - files()

    @contextmanager
    def load_section(self) -> Iterator[None]:
        """Around a window's dedupe and load: on a lake, one writer at a
        time (the lookup must see every load before it, see
        ``warehouse.lake``); nothing to do for a file, which has one writer."""
        if self.lake is None:
            yield
            return
        with self.coordinator.section() as waited:
            if waited > 1:
                lake.log.info("waited %.1f s for another writer's load", waited)
            yield

    def migrate(self) -> list[int]:
        if self.lake is None:
            with self.connect() as con:
                return migrate.apply(con)
        with self.coordinator.section(lake.MIGRATE_LOCK), self.connect() as con:
            return migrate.apply(con, translate=lake.translate)

    def ensure_current(self) -> list[int]:
        """Upgrade an existing warehouse file written by an older newsflow
        (checked read-only first, so a current file is never write-locked)."""
        latest = max(v for v, _, _ in migrate.available())
        with self.connect(read_only=True) as con:
            try:
                row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
            except duckdb.CatalogException:
                row = (0,)
        if row is not None and (row[0] or 0) >= latest:
            return []
        return self.migrate()

    # -- lookups ---------------------------------------------------------

    def known_urls(self, urls: Sequence[str]) -> dict[str, datetime]:
        """Which of ``urls`` already led to a stored article, with the time
        that article's text was fetched."""
        if not urls:
            return {}
        keys = pa.table({"url": pa.array(list(set(urls)), pa.string())})
        with self.connect() as con:
            con.register("keys", keys)
            rows = con.execute(
                "SELECT url, max(fetched_at) FROM ("
                " SELECT k.url, a.fetched_at FROM keys k JOIN article_urls u ON u.url = k.url"
                "  JOIN articles a ON a.article_id = u.article_id"
                " UNION ALL"
                " SELECT k.url, a.fetched_at FROM keys k JOIN articles a ON a.canonical_url = k.url"
                ") GROUP BY url"
            ).fetchall()
        return {url: when for url, when in rows}

    def feed_validators(self, sources: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """Stored (ETag, Last-Modified) of the sources' feeds and sitemaps,
        for conditional GET."""
        if not sources:
            return {}
        with self.connect() as con:
            rows = con.execute(
                "SELECT url, etag, last_modified FROM feed_state WHERE list_contains(?, source)"
                " AND (etag IS NOT NULL OR last_modified IS NOT NULL)", [list(sources)]).fetchall()
        return {url: (etag, lm) for url, etag, lm in rows}

    def lookup(self, canonical_urls: Sequence[str], hashes: Sequence[str], sketches: Sequence[Sketch] = ()) -> Known:
        """What the warehouse holds for a batch: its canonical URLs, content
        hashes and, for ``sketches``, near-duplicate and story candidates
        (LSH band and retrieval-key joins, see warehouse/stories_store.py)."""
        with self.connect() as con:
            if self.lake is not None:  # every read below from one snapshot, which the load's fence checks
                con.execute("BEGIN TRANSACTION")
                row = con.execute("SELECT max(n) FROM load_fence").fetchone()
                self._fence_seen = int(row[0]) if row and row[0] is not None else 0
            con.register("c_keys", pa.table({"k": pa.array(list(set(canonical_urls)), pa.string())}))
            con.register("h_keys", pa.table({"k": pa.array(list(set(hashes)), pa.string())}))
            canon = con.execute(
                "SELECT a.canonical_url, a.article_id, a.content_hash, a.story_id, a.duplicate_of"
                " FROM articles a JOIN c_keys c ON a.canonical_url = c.k"
            ).fetchall()
            # the earliest article holding each hash is the original
            hashed = con.execute(
                "SELECT a.content_hash, arg_min(a.article_id, (coalesce(a.published_at, a.fetched_at), a.article_id)),"
                " arg_min(a.story_id, (coalesce(a.published_at, a.fetched_at), a.article_id))"
                " FROM articles a JOIN h_keys h ON a.content_hash = h.k WHERE a.duplicate_of IS NULL"
                " GROUP BY a.content_hash"
            ).fetchall()
            story_known = stories_store.lookup(con, sketches)
            if self.lake is not None:
                con.execute("COMMIT")
        return Known(canonical_urls={url: Stored(aid, h, sid, dup) for url, aid, h, sid, dup in canon},
                     hashes={h: (aid, sid) for h, aid, sid in hashed}, stories=story_known)

    # -- runs ------------------------------------------------------------

    def start_run(self, run_id: str, flow_run_id: str | None, sources: Sequence[str]) -> list[str]:
        """Record a new run; mark runs left 'running' by dead processes as
        'failed' (message "crashed: ...").  Returns their ids.  A DuckDB file
        knows the runs of this host by their pid; a lake knows every
        machine's by their lease in PostgreSQL (see ``warehouse.lake``),
        which this run takes first."""
        host = socket.gethostname()
        now = datetime.now(UTC)
        if self.lake is not None:
            self.coordinator.hold_lease(run_id)

        def record(con: duckdb.DuckDBPyConnection) -> list[str]:
            if self.lake is not None:
                running = [rid for (rid,) in con.execute("SELECT run_id FROM runs WHERE status = 'running'").fetchall()]
                crashed = self.coordinator.orphaned(running)
            else:
                stale = con.execute(
                    "SELECT run_id, pid FROM runs WHERE status = 'running' AND host = ?", [host]).fetchall()
                crashed = [rid for rid, pid in stale if pid is None or not _pid_alive(pid)]
            if crashed:
                con.execute(
                    "UPDATE runs SET status = 'failed', finished_at = ?, message = 'crashed: the process ended"
                    " without finishing the run (killed, or the machine stopped); windows loaded before that are kept,"
                    " the rest is fetched by later runs'"
                    " WHERE run_id IN (SELECT unnest(?))", [now, crashed])
            con.execute(
                "INSERT INTO runs (run_id, flow_run_id, started_at, status, sources, host, pid, worker)"
                " VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
                [run_id, flow_run_id, now, list(sources), host, os.getpid(), self.worker or f"{host}:{os.getpid()}"],
            )
            return crashed

        try:
            return self.write(record, f"starting run {run_id}")
        except BaseException:
            if self.lake is not None:
                self.coordinator.release_lease(run_id)
            raise

    def finish_run(self, run_id: str, status: str, counts: dict[str, int], message: str | None,
                   stage_seconds: dict[str, float] | None = None) -> None:
        sets = ", ".join(f"{c} = ?" for c in COUNT_COLUMNS)
        stages = {k: round(float(v), 4) for k, v in sorted((stage_seconds or {}).items())}

        def record(con: duckdb.DuckDBPyConnection) -> None:
            con.execute(
                f"UPDATE runs SET status = ?, finished_at = ?, message = ?, {sets},"
                " stage_seconds = MAP(?::VARCHAR[], ?::DOUBLE[]), commit_conflicts = ?, commit_retries = ?"
                " WHERE run_id = ?",
                [status, datetime.now(UTC), message, *(int(counts.get(c, 0)) for c in COUNT_COLUMNS),
                 list(stages), list(stages.values()), self.conflicts.conflicts, self.conflicts.retries, run_id],
            )
        try:
            self.write(record, f"finishing run {run_id}")
        finally:
            if self.lake is not None:
                self.coordinator.release_lease(run_id)

    # -- the load --------------------------------------------------------

    def load(self, run_id: str, articles: Sequence[Article], tags: Sequence[TopicTag],
             fetches: Sequence[FetchRecord], drops: Sequence[Drop], aliases: Sequence[tuple[str, str]],
             taxonomy_version: str, updates: Sequence[Article] = (),
             feed_state: Sequence[tuple[str, str, str | None, str | None, int]] = (),
             story_rows: StoryRows | None = None, raw_pages: pa.Table | None = None) -> LoadResult:
        """Write one window of a run's results in a single transaction, in bulk.

        ``updates`` are new texts of stored articles: the stored text moves to
        ``article_versions`` and the article's topics are replaced.
        ``feed_state`` rows are (url, source, etag, last_modified, status)."""
        now = datetime.now(UTC)
        art, articles, bad_new = _rows_or_drops(articles, run_id)
        upd, updates, bad_upd = _rows_or_drops(updates, run_id)
        rejected = (*bad_new, *bad_upd)
        drops = [*drops, *rejected]
        fst = pa.Table.from_pylist(
            [{"url": u, "source": src, "etag": e, "last_modified": lm, "last_status": st, "checked_at": now}
             for u, src, e, lm, st in feed_state], schema=FEED_STATE_SCHEMA)
        top = pa.Table.from_pylist([_topic_row(t, taxonomy_version, now) for t in tags], schema=TOPIC_SCHEMA)
        fet = pa.Table.from_pylist([_fetch_row(f, run_id) for f in fetches], schema=FETCH_SCHEMA)
        drp = pa.Table.from_pylist(
            [{"run_id": run_id, "stage": d.stage, "source": d.source, "url": d.url, "reason": d.reason,
              "detail": d.detail, "dropped_at": now} for d in drops], schema=DROP_SCHEMA)
        url_rows = [{"url": a.url, "article_id": a.article_id, "first_seen_at": now} for a in articles]
        url_rows += [{"url": a.canonical_url, "article_id": a.article_id, "first_seen_at": now} for a in articles]
        url_rows += [{"url": u, "article_id": aid, "first_seen_at": now} for u, aid in aliases]
        url_rows += [{"url": a.url, "article_id": a.article_id, "first_seen_at": now} for a in updates]
        urls = pa.Table.from_pylist(url_rows, schema=URL_SCHEMA)
        # the HTML goes to the run's pack file first, flushed: rows that point
        # at it are committed below or not at all (warehouse/pages.py)
        raw = pages.spill(self.pages_dir, run_id, raw_pages) if raw_pages is not None else None
        fence, self._fence_seen = self._fence_seen, None
        with self.connect() as con:
            for name, table in (("new_articles", art), ("new_topics", top), ("new_fetches", fet),
                                ("new_drops", drp), ("new_urls", urls), ("new_updates", upd),
                                ("new_feed_state", fst)):
                con.register(name, table)
            try:
                con.execute("BEGIN TRANSACTION")
                if self.lake is not None:
                    _move_fence(con, fence)
                # No key index (migration 007): the anti-join keeps article_id unique.
                # (A list of ids, not INSERT ... RETURNING, which a lake does not support.)
                ids = con.execute(
                    "SELECT DISTINCT n.article_id FROM new_articles n"
                    " WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.article_id = n.article_id)").fetchall()
                inserted = len(ids)
                con.register("load_ids", pa.table({"article_id": pa.array([i for (i,) in ids], pa.string())}))
                con.execute(
                    "INSERT INTO articles BY NAME SELECT * FROM new_articles n"
                    " WHERE n.article_id IN (SELECT article_id FROM load_ids)"
                    " QUALIFY row_number() OVER (PARTITION BY n.article_id) = 1")
                if upd.num_rows:
                    con.execute(
                        "INSERT INTO article_versions SELECT a.article_id,"
                        " coalesce((SELECT max(v.version) FROM article_versions v WHERE v.article_id = a.article_id), 0) + 1,"
                        " a.title, a.text, a.content_hash, a.published_at, a.fetched_at, ?"
                        " FROM articles a JOIN new_updates u USING (article_id)", [now])
                    con.execute(
                        "UPDATE articles SET url = u.url, title = u.title, authors = u.authors,"
                        " published_at = coalesce(u.published_at, articles.published_at),"
                        " published_date = CASE WHEN u.published_at IS NULL THEN articles.published_date"
                        " ELSE u.published_date END, fetched_at = u.fetched_at,"
                        " language = u.language, text = u.text, word_count = u.word_count,"
                        " content_hash = u.content_hash, http_status = u.http_status, extractor = u.extractor,"
                        " run_id = u.run_id, removed = u.removed, standfirst = u.standfirst"
                        " FROM new_updates u WHERE articles.article_id = u.article_id")
                    con.execute("DELETE FROM article_topics WHERE article_id IN (SELECT article_id FROM new_updates)")
                # topics only for articles this load inserted (which have none yet:
                # articles are never deleted) or updated (theirs were just deleted)
                con.execute(
                    "INSERT INTO article_topics BY NAME SELECT DISTINCT ON (article_id, topic) * FROM new_topics"
                    " WHERE article_id IN (SELECT article_id FROM load_ids UNION ALL SELECT article_id FROM new_updates)")
                if fst.num_rows:  # replace by delete + insert (no key to INSERT OR REPLACE on: migration 007, lakes)
                    con.execute("DELETE FROM feed_state WHERE url IN (SELECT url FROM new_feed_state)")
                    con.execute("INSERT INTO feed_state BY NAME SELECT * FROM new_feed_state"
                                " QUALIFY row_number() OVER (PARTITION BY url) = 1")
                if story_rows is not None:
                    stories_store.write(con, story_rows)
                if raw is not None:
                    pages.write_raw(con, raw)
                con.execute("INSERT INTO fetch_log BY NAME SELECT * FROM new_fetches")
                con.execute("INSERT INTO drops BY NAME SELECT * FROM new_drops")
                con.execute(
                    "INSERT INTO article_urls BY NAME SELECT DISTINCT ON (url) * FROM new_urls n"
                    " WHERE NOT EXISTS (SELECT 1 FROM article_urls u WHERE u.url = n.url)")
                con.execute("COMMIT")
            except duckdb.Error as exc:
                _rollback(con)
                if lake.is_conflict(exc):
                    raise CommitConflict(f"loading run {run_id} into {self.location}: {exc}") from exc
                raise WarehouseError(f"loading run {run_id} into {self.location} failed: {exc}") from exc
        return LoadResult(inserted, top.num_rows, fet.num_rows, drp.num_rows, rejected)

    def replace_all_topics(self, tags: Sequence[TopicTag], taxonomy_version: str) -> dict[str, tuple[int, int]]:
        """Replace every article's topics in one transaction (``retag``).
        Returns, per topic, (tags added, tags removed)."""
        now = datetime.now(UTC)
        new = pa.Table.from_pylist([_topic_row(t, taxonomy_version, now) for t in tags], schema=TOPIC_SCHEMA)

        def replace(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
            con.register("new_topics", new)
            diff = con.execute(
                "SELECT coalesce(n.topic, o.topic) AS topic,"
                " count(*) FILTER (WHERE o.topic IS NULL) AS added, count(*) FILTER (WHERE n.topic IS NULL) AS removed"
                " FROM (SELECT article_id, topic FROM new_topics) n"
                " FULL OUTER JOIN (SELECT article_id, topic FROM article_topics) o USING (article_id, topic)"
                " GROUP BY ALL").fetchall()
            con.execute("DELETE FROM article_topics")
            con.execute("INSERT INTO article_topics BY NAME SELECT * FROM new_topics")
            return diff

        diff = self.write(replace, "retagging")
        return {topic: (int(a), int(r)) for topic, a, r in diff}

    def iter_texts(self, batch: int = 20_000) -> Iterator[list[tuple[str, str | None, str, str | None]]]:
        """Every article's (article_id, title, text, language), in batches."""
        with self.connect(read_only=True) as con:
            cur = con.execute("SELECT article_id, title, text, language FROM articles ORDER BY article_id")
            while rows := cur.fetchmany(batch):
                yield rows

    # -- reading ---------------------------------------------------------

    def export(self, directory: str | Path) -> dict[str, int]:
        """Parquet for other tools: ``articles/`` (with their topics) partitioned
        by publication day, plus ``article_topics.parquet`` and
        ``stories.parquet``.  Returns the rows written per dataset."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        counts: dict[str, int] = {}
        with self.connect(read_only=True) as con:
            target = str(out / "articles").replace("'", "''")
            con.execute(
                "COPY (SELECT * EXCLUDE (removed, published_date),"
                " coalesce(published_date, CAST(timezone('UTC', fetched_at) AS DATE)) AS published_date"
                f" FROM articles_with_topics) TO '{target}'"
                " (FORMAT parquet, PARTITION_BY (published_date), OVERWRITE_OR_IGNORE)")
            counts["articles"] = _count(con, "articles")
            for name in ("article_topics", "stories"):
                path = str(out / f"{name}.parquet").replace("'", "''")
                con.execute(f"COPY (SELECT * FROM {name}) TO '{path}' (FORMAT parquet)")
                counts[name] = _count(con, name)
        return counts

    def query(self, sql: str, params: Sequence[Any] | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one read-only statement; returns (column names, rows)."""
        with self.connect(read_only=True) as con:
            try:
                cur = con.execute(sql, params or [])
            except duckdb.Error as exc:
                raise WarehouseError(f"query failed: {exc}") from exc
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], cur.fetchall()


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open (a failed DuckLake commit
    has already ended it)."""
    try:
        con.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


def _move_fence(con: duckdb.DuckDBPyConnection, seen: int | None) -> None:
    """Move ``load_fence`` on, from ``seen`` when the load's lookup saw it
    (see ``warehouse.lake``): no row at ``seen`` means another writer loaded
    since that lookup, and the window must be deduplicated again."""
    if seen is None:
        con.execute("UPDATE load_fence SET n = n + 1")
        return
    row = con.execute("UPDATE load_fence SET n = n + 1 WHERE n = ?", [seen]).fetchone()
    if not row or int(row[0]) != 1:
        raise CommitConflict(f"another writer loaded since this window's lookup (fence {seen} moved on)")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _article_table(articles: Sequence[Article], run_id: str) -> pa.Table:
    """Column by column (a third of the time of one dict per row)."""
    plain = ("article_id", "url", "canonical_url", "source", "site", "title", "published_at", "fetched_at",
             "language", "text", "content_hash", "story_id", "duplicate_of", "http_status", "extractor", "standfirst")
    cols: dict[str, Any] = {name: [getattr(a, name) for a in articles] for name in plain}
    cols["authors"] = [list(a.authors) for a in articles]
    # the day in the page's own offset: published_at is stored as an instant (migration 016)
    cols["published_date"] = [a.published_at.date() if a.published_at else None for a in articles]
    cols["word_count"] = [len(a.text.split()) for a in articles]
    cols["run_id"] = [run_id] * len(articles)
    cols["removed"] = [[{"rule": r.rule, "text": r.text} for r in a.removed] for a in articles]
    return pa.Table.from_pydict(cols, schema=ARTICLE_SCHEMA)


def _rows_or_drops(articles: Sequence[Article], run_id: str) -> tuple[pa.Table, list[Article], list[Drop]]:
    """The articles as rows; an article that cannot be one (a value Arrow
    refuses) is left out as an ``internal_error`` drop of stage ``load``,
    and the others load (see :mod:`newsflow.isolation`)."""
    try:
        return _article_table(articles, run_id), list(articles), []
    except Exception:  # noqa: BLE001 - the failing articles are found below and recorded as drops
        pass
    good, bad = failing_items(articles, lambda batch: _article_table(batch, run_id))
    return (_article_table(good, run_id), good,
            [internal_error("load", a.source, a.url, exc) for a, exc in bad])


def _topic_row(t: TopicTag, version: str, now: datetime) -> dict[str, Any]:
    return {
        "article_id": t.article_id, "topic": t.topic, "score": t.score,
        "evidence": [{"phrase": e.phrase, "field": e.field, "start": e.start, "end": e.end} for e in t.evidence],
        "taxonomy_version": version, "tagged_at": now,
    }


def _fetch_row(f: FetchRecord, run_id: str) -> dict[str, Any]:
    return {
        "run_id": run_id, "source": f.source, "url": f.url, "kind": f.kind, "fetched_at": f.fetched_at,
        "status": f.status, "error": f.error, "bytes": f.bytes, "elapsed_ms": f.elapsed_ms,
        "final_url": f.final_url, "detail": f.detail,
    }
