"""Raw pages and per-source boilerplate rules in the warehouse.

A page's HTML is kept compressed (zstd, about a fifth of its size) in
**pack files** beside the warehouse: ``<name>.pages/<run id>.pack`` next to
``<name>.duckdb``.  A pack is append-only, one per run (so two writers never
share one), a plain concatenation of zstd frames.  Pages written before
zstd (zlib streams, in packs or inline in ``raw_pages.html_zlib``) still
read: :func:`unpack` tells the two apart by the zstd frame's magic number.  The ``raw_pages`` row of
each page (its URL, status, charset, feed entry) says where its bytes lie:
``(pack, pack_offset, pack_length)``.  ``newsflow reprocess`` and
``newsflow explain`` read them back.

Why not a BLOB column in the warehouse (as before migration 009)?  DuckDB's
checkpoint peak memory grows with the BLOB table in the file, so a run's
peak RSS grew with the warehouse; and the read copy published after every run
carried all the HTML.

Crash safety: a window's bytes are appended and fsynced *before* the load
transaction that writes their ``raw_pages`` rows commits.  A crash or a
rolled-back load leaves bytes no row points at (counted by
:func:`pack_usage`), never a row pointing at missing bytes.  Bytes of a page
replaced by a newer fetch stay in their pack, unreferenced, until
:func:`compact` (``newsflow compact``) gives them back.  With a retention
(``[raw_pages] keep_days``), :func:`forget` first lets go of the HTML of
older pages: their rows keep the fetch metadata, and their bytes become
unreferenced too.
"""

from __future__ import annotations

import os
import re
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import zstandard

from newsflow.errors import WarehouseError
from newsflow.packing import pack, unpack
from newsflow.records import Article, FeedEntry, Page, Removal
from parsers.site_boilerplate import SiteRules

if TYPE_CHECKING:
    from warehouse.store import Warehouse

TS = pa.timestamp("us", tz="UTC")
RAW_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("url", pa.string()), ("fetched_at", TS), ("http_status", pa.int32()),
    ("content_type", pa.string()), ("charset", pa.string()), ("html_zlib", pa.binary()),
    ("feed_url", pa.string()), ("feed_title", pa.string()), ("feed_published", TS), ("feed_summary", pa.string()),
])
PACK_SUFFIX = ".pack"


def raw_rows(articles: Sequence[Article], pages: dict[str, Page]) -> pa.Table:
    """Rows for ``raw_pages``: each article with the page it came from
    (``pages`` is keyed by the page's final URL, which is ``Article.url``).
    A page fetched packed (see :mod:`newsflow.packing`) is stored as it is."""
    rows: list[dict[str, Any]] = []
    for a in articles:
        page = pages.get(a.url)
        if page is None:
            continue
        e = page.entry
        rows.append({
            "article_id": a.article_id, "url": page.final_url, "fetched_at": page.fetched_at,
            "http_status": page.status, "content_type": page.content_type, "charset": page.charset,
            "html_zlib": page.body if page.packed else pack(page.body), "feed_url": e.feed_url if e else None,
            "feed_title": e.title if e else None, "feed_published": e.published_at if e else None,
            "feed_summary": e.summary if e else None,
        })
    return pa.Table.from_pylist(rows, schema=RAW_SCHEMA)


def pack_dir(warehouse_path: Path) -> Path:
    """``data/newsflow.duckdb`` (or its read copy ``data/newsflow.read.duckdb``)
    -> ``data/newsflow.pages``."""
    stem = warehouse_path.stem.removesuffix(".read")
    return warehouse_path.with_name(f"{stem}.pages")


def _pack_name(run_id: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id) or uuid.uuid4().hex
    return safe + PACK_SUFFIX


def spill(directory: Path, run_id: str, table: pa.Table) -> pa.Table:
    """Append the HTML of ``table`` (``RAW_SCHEMA``) to the run's pack file,
    flushed to disk, and return the rows for ``raw_pages``: ``html_zlib``
    NULL, ``pack``/``pack_offset``/``pack_length`` set.  Called before the
    load transaction (see the module's note on crash safety)."""
    if not table.num_rows:
        return table.drop_columns(["html_zlib"])
    directory.mkdir(parents=True, exist_ok=True)
    name = _pack_name(run_id)
    blobs = table.column("html_zlib").to_pylist()
    offsets = _append_frames(directory / name, blobs)
    lengths = [len(blob) for blob in blobs]
    n = table.num_rows
    return (table.drop_columns(["html_zlib"])
            .append_column("pack", pa.array([name] * n, pa.string()))
            .append_column("pack_offset", pa.array(offsets, pa.int64()))
            .append_column("pack_length", pa.array(lengths, pa.int32())))


def _append_frames(path: Path, blobs: Iterable[bytes]) -> list[int]:
    """Append ``blobs`` to the pack file ``path`` (created if need be),
    flushed to disk; returns the offset each was written at."""
    offsets: list[int] = []
    with open(path, "ab") as fh:
        pos = fh.tell()
        for blob in blobs:
            offsets.append(pos)
            fh.write(blob)
            pos += len(blob)
        fh.flush()
        os.fsync(fh.fileno())
    return offsets


def write_raw(con: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    """Inside the caller's transaction; ``table`` comes from :func:`spill`."""
    if table.num_rows:
        con.register("new_raw_pages", table)
        # no key index (migration 007): replace by delete + insert
        con.execute("DELETE FROM raw_pages WHERE article_id IN (SELECT article_id FROM new_raw_pages)")
        con.execute("INSERT INTO raw_pages BY NAME SELECT * FROM new_raw_pages"
                    " QUALIFY row_number() OVER (PARTITION BY article_id) = 1")


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A stored page whose HTML could not be read back."""

    article_id: str
    source: str
    url: str
    detail: str


class _Packs:
    """Open pack files of one read, each opened once."""

    def __init__(self, directory: Path, stack: ExitStack) -> None:
        self.directory, self.stack = directory, stack
        self.files: dict[str, Any] = {}

    def read(self, name: str, offset: int, length: int) -> bytes:
        fh = self.files.get(name)
        if fh is None:
            if os.sep in name or name.startswith("."):
                raise WarehouseError(f"bad pack name {name!r} in raw_pages")
            fh = self.files[name] = self.stack.enter_context(open(self.directory / name, "rb"))
        fh.seek(offset)
        blob = fh.read(length)
        if len(blob) != length:
            raise WarehouseError(f"{self.directory / name} ends at {offset + len(blob)}, before byte {offset + length}")
        return blob


def read_pages(wh: Warehouse, article_ids: Sequence[str] | None, extractor_not: str | None,
               sources: Sequence[str] | None) -> tuple[list[tuple[Page, str]], list[Unreadable]]:
    """Stored pages as (Page, article_id): of ``article_ids``, or of the
    articles whose extractor differs from ``extractor_not``, optionally only
    for ``sources``.  Pages whose HTML cannot be read back (a pack file
    missing or cut short, corrupt bytes) come second, each with its reason.
    All of them at once: see :class:`StoredPages` to go through many."""
    stored = StoredPages(wh, article_ids, extractor_not, sources)
    out: list[tuple[Page, str]] = []
    bad: list[Unreadable] = []
    for some, unreadable in stored.batches(len(stored) or 1):
        out.extend(some)
        bad.extend(unreadable)
    return out, bad


_KEPT = "(r.pack IS NOT NULL OR r.html_zlib IS NOT NULL)"  # a raw_pages row still holding its page's bytes


class StoredPages:
    """The stored pages :func:`read_pages` selects, read back a batch at a
    time: the query keeps only each page's metadata and where its bytes lie,
    so going through a warehouse of any size holds one batch of HTML."""

    def __init__(self, wh: Warehouse, article_ids: Sequence[str] | None, extractor_not: str | None,
                 sources: Sequence[str] | None) -> None:
        where, params = ["TRUE"], []
        if article_ids is not None:
            where.append("a.article_id IN (SELECT unnest(?))")
            params.append(list(article_ids))
        if extractor_not is not None:
            where.append("a.extractor IS DISTINCT FROM ?")
            params.append(extractor_not)
        if sources:
            where.append("list_contains(?, a.source)")
            params.append(list(sources))
        # pages stored inline (before migration 009) carry their bytes here; they
        # are few, and read in the order of the packs' bytes like the others
        _, self.rows = wh.query(
            "SELECT a.article_id, a.source, r.url, r.fetched_at, r.http_status, r.content_type, r.charset,"
            " r.html_zlib, r.pack, r.pack_offset, r.pack_length, r.feed_url, r.feed_title, r.feed_published,"
            " r.feed_summary"
            f" FROM articles a JOIN raw_pages r USING (article_id) WHERE {' AND '.join(where)}"
            f" AND {_KEPT}"
            " ORDER BY r.pack, r.pack_offset, a.article_id",
            params)
        # selected, but their HTML was given up by the retention (see :func:`forget`)
        _, rows = wh.query(f"SELECT count(*) FROM articles a JOIN raw_pages r USING (article_id)"
                           f" WHERE {' AND '.join(where)} AND NOT {_KEPT}", params)
        self.not_kept = int(rows[0][0])
        self.directory = wh.pages_dir

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def sources(self) -> list[str]:
        return sorted({row[1] for row in self.rows})

    def batches(self, size: int) -> Iterator[tuple[list[tuple[Page, str]], list[Unreadable]]]:
        """(pages, unreadable) for each run of ``size`` rows, pages sorted by article id."""
        with ExitStack() as stack:
            packs = _Packs(self.directory, stack)
            for start in range(0, len(self.rows), size):
                out: list[tuple[Page, str]] = []
                bad: list[Unreadable] = []
                for (aid, source, url, fetched, status, ctype, charset, blob, pack, offset, length,
                     feed_url, ftitle, fpub, fsum) in self.rows[start:start + size]:
                    try:
                        body = unpack(blob if blob is not None else packs.read(pack, offset, length))
                    except (OSError, WarehouseError, zlib.error, zstandard.ZstdError) as exc:
                        bad.append(Unreadable(aid, source, url, f"{type(exc).__name__}: {exc}"))
                        continue
                    entry = FeedEntry(url=url, source=source, feed_url=feed_url or "", title=ftitle,
                                      published_at=fpub, summary=fsum) if feed_url else None
                    out.append((Page(url=url, final_url=url, source=source, status=status or 200,
                                     content_type=ctype or "", charset=charset, body=body, fetched_at=fetched,
                                     entry=entry), aid))
                out.sort(key=lambda item: item[1])
                yield out, bad


def pack_usage(wh: Warehouse) -> dict[str, Any]:
    """Bytes in pack files and how many of them rows still point at; pages
    whose HTML is kept (in packs or inline) and given up; the oldest fetch
    whose HTML is kept."""
    directory = wh.pages_dir
    files = list(directory.glob(f"*{PACK_SUFFIX}")) if directory.exists() else []
    _, rows = wh.query(
        "SELECT coalesce(sum(pack_length), 0), count(*) FILTER (WHERE pack IS NOT NULL OR html_zlib IS NOT NULL),"
        " count(*) FILTER (WHERE pack IS NULL AND html_zlib IS NULL),"
        " min(fetched_at) FILTER (WHERE pack IS NOT NULL OR html_zlib IS NOT NULL),"
        " coalesce(sum(octet_length(html_zlib)), 0) FROM raw_pages")
    referenced, kept, given_up, oldest, inline = rows[0]
    return {"packs": len(files), "pack_bytes": sum(p.stat().st_size for p in files),
            "referenced_bytes": int(referenced), "inline_bytes": int(inline), "pages_kept": int(kept),
            "pages_given_up": int(given_up), "oldest_kept": oldest}


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What :func:`forget` gave up."""

    pages: int
    bytes: int  # compressed bytes no row points at any more (given back by :func:`compact`)
    before: datetime


def forget(wh: Warehouse, before: datetime) -> Forgotten:
    """Give up the HTML of the pages fetched before ``before`` (the retention
    of ``[raw_pages] keep_days``): their ``raw_pages`` rows keep the fetch
    metadata and lose the bytes' location, in one transaction, and
    :func:`compact` then gives the bytes back.  Their articles stay as they
    are; ``reprocess`` can no longer re-extract them and says how many it
    left.  Returns what was given up (nothing twice)."""
    if before.tzinfo is None:
        raise WarehouseError(f"forget needs a time with its time zone, got {before.isoformat()}")
    cond = "fetched_at < ? AND (pack IS NOT NULL OR html_zlib IS NOT NULL)"
    def give_up(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
        row = con.execute("SELECT count(*), coalesce(sum(coalesce(pack_length, octet_length(html_zlib))), 0)"
                          f" FROM raw_pages WHERE {cond}", [before]).fetchone()
        con.execute("UPDATE raw_pages SET html_zlib = NULL, pack = NULL, pack_offset = NULL, pack_length = NULL"
                    f" WHERE {cond}", [before])
        return row

    row = wh.write(give_up, "giving up old pages' HTML")
    n, size = row if row else (0, 0)
    return Forgotten(int(n), int(size), before)


@dataclass(frozen=True, slots=True)
class PackChange:
    """What :func:`compact` did to one pack file."""

    pack: str
    action: str  # rewritten, removed (no row points at it), kept, skipped (its run is running), unreadable
    bytes_before: int
    bytes_after: int
    pages: int  # pages that point at it (after a rewrite: at its replacement)
    detail: str = ""


def compact(wh: Warehouse, min_waste: float = 0.25) -> list[PackChange]:
    """Give back the pack bytes no row points at any more: the pages of
    articles fetched again since (their rows point at the newer run's pack)
    and the bytes of rolled-back loads.  A pack no row points at is
    removed; one with at least ``min_waste`` of its bytes unreferenced is
    rewritten with only the referenced pages, into a new file.  Packs of runs
    still running are left alone.

    Crash safety, as for a load: the new pack is written and fsynced, then
    one transaction points the rows at it, then the read copy is published,
    and only then are the old files removed.  A crash leaves at worst a file
    no row points at, which the next ``compact`` removes.  Each pack is done
    under its own write connection, so an ingest waits for one pack at most."""
    if not 0 <= min_waste <= 1:
        raise WarehouseError(f"min_waste must be between 0 and 1, got {min_waste}")
    directory = wh.pages_dir
    if not directory.exists():
        return []
    # The files first, then the runs, then the rows: a pack listed here was
    # written by a run started before, which is either still running (busy)
    # or finished, with its rows committed before the query that counts them.
    # A run starting meanwhile writes a pack this call never looks at.
    files = sorted(directory.glob(f"*{PACK_SUFFIX}"))
    _, rows = wh.query("SELECT run_id FROM runs WHERE status = 'running'")
    busy = {_pack_name(run_id) for (run_id,) in rows}
    _, rows = wh.query("SELECT pack, count(*), sum(pack_length) FROM raw_pages WHERE pack IS NOT NULL GROUP BY pack")
    used = {name: (int(n), int(b)) for name, n, b in rows}
    changes: list[PackChange] = []
    doomed: list[Path] = []
    for path in files:
        size = path.stat().st_size
        pages, referenced = used.get(path.name, (0, 0))
        if path.name in busy:
            changes.append(PackChange(path.name, "skipped", size, size, pages, "its run is still running"))
        elif pages == 0:
            doomed.append(path)
            changes.append(PackChange(path.name, "removed", size, 0, 0))
        elif size == 0 or (size - referenced) / size < min_waste:
            changes.append(PackChange(path.name, "kept", size, size, pages))
        else:
            changes.append(_rewrite(wh, path))
            if changes[-1].action == "rewritten":
                doomed.append(path)
    if doomed:
        wh.publish()  # the read copy points at the new packs before the old ones go
        for path in doomed:
            path.unlink(missing_ok=True)
    return changes


def _rewrite(wh: Warehouse, path: Path) -> PackChange:
    """Copy the referenced pages of pack ``path`` to a new pack and point
    their rows at it, in one transaction under the write lock."""
    size = path.stat().st_size
    stem = re.sub(r"\.[0-9a-f]{8}$", "", path.name.removesuffix(PACK_SUFFIX))  # an earlier compaction's mark
    new = path.with_name(f"{stem}.{uuid.uuid4().hex[:8]}{PACK_SUFFIX}")
    _, items = wh.query("SELECT article_id, pack_offset, pack_length FROM raw_pages WHERE pack = ?"
                        " ORDER BY pack_offset", [path.name])
    try:
        with ExitStack() as stack:
            packs = _Packs(path.parent, stack)
            offsets = _append_frames(new, (packs.read(path.name, offset, length) for _, offset, length in items))
    except (OSError, WarehouseError) as exc:
        new.unlink(missing_ok=True)
        return PackChange(path.name, "unreadable", size, size, len(items), f"{type(exc).__name__}: {exc}; left as it is")
    moved = pa.table({"article_id": pa.array([aid for aid, _, _ in items], pa.string()),
                      "pack_offset": pa.array(offsets, pa.int64())})

    def repoint(con: duckdb.DuckDBPyConnection) -> None:
        con.register("moved_pages", moved)
        con.execute("UPDATE raw_pages SET pack = ?, pack_offset = m.pack_offset FROM moved_pages m"
                    " WHERE raw_pages.article_id = m.article_id AND raw_pages.pack = ?", [new.name, path.name])

    wh.write(repoint, f"pointing pages at {new.name}")
    return PackChange(path.name, "rewritten", size, new.stat().st_size, len(items), f"now {new.name}")


def sources_to_relearn(wh: Warehouse, sources: Sequence[str], version: int) -> list[str]:
    """Of ``sources``, those whose boilerplate must be learned again: they
    gained original articles since their rules were learned, or have no
    rules yet, or rules of another learning ``version``.  One query for all
    of them; a source without articles is never listed."""
    _, rows = wh.query(
        "SELECT a.source FROM articles a LEFT JOIN site_rules r ON r.source = a.source"
        " WHERE list_contains(?, a.source) AND a.duplicate_of IS NULL"
        " GROUP BY a.source, r.learned_at, r.rules_json"
        " HAVING r.learned_at IS NULL OR max(a.fetched_at) > r.learned_at"
        " OR coalesce(json_extract(r.rules_json, '$.version')::INTEGER, -1) <> ?"
        " ORDER BY 1", [list(sources), version])
    return [src for (src,) in rows]


def recent_texts(wh: Warehouse, sources: Sequence[str], limit: int
                 ) -> dict[str, list[tuple[str, str, list[Removal]]]]:
    """The latest ``limit`` original articles of each source, in one query:
    ``{source: [(article_id, text, removed), ...]}``, newest first."""
    out: dict[str, list[tuple[str, str, list[Removal]]]] = {src: [] for src in sources}
    if not sources:
        return out
    _, rows = wh.query(
        "SELECT source, article_id, text, removed FROM articles"
        " WHERE list_contains(?, source) AND duplicate_of IS NULL"
        " QUALIFY row_number() OVER (PARTITION BY source ORDER BY fetched_at DESC, article_id) <= ?"
        " ORDER BY source, fetched_at DESC, article_id", [list(sources), limit])
    for src, aid, text, removed in rows:
        out[src].append((aid, text, [Removal(r["rule"], r["text"]) for r in (removed or [])]))
    return out


def save_site_rules(wh: Warehouse, learned: dict[str, SiteRules], run_id: str | None, now: datetime) -> None:
    """Store the rules of several sources in one statement."""
    if not learned:
        return
    import pyarrow as pa

    table = pa.table({
        "source": list(learned), "site": [r.site for r in learned.values()],
        "rules_json": [r.to_json() for r in learned.values()],
        "rule_count": pa.array([len(r.rules) for r in learned.values()], pa.int32()),
        "articles": pa.array([r.articles for r in learned.values()], pa.int32()),
        "learned_at": pa.array([now] * len(learned), pa.timestamp("us", tz="UTC")),
        "run_id": [run_id] * len(learned)})

    def replace(con: duckdb.DuckDBPyConnection) -> None:
        # delete + insert: no key to INSERT OR REPLACE on (migration 007, and a lake has none)
        con.register("new_rules", table)
        con.execute("DELETE FROM site_rules WHERE source IN (SELECT source FROM new_rules)")
        con.execute("INSERT INTO site_rules BY NAME SELECT * FROM new_rules")

    wh.write(replace, "saving the site rules")


def site_rules(wh: Warehouse, sources: Sequence[str]) -> dict[str, SiteRules]:
    _, rows = wh.query("SELECT source, rules_json FROM site_rules WHERE list_contains(?, source)", [list(sources)])
    return {src: SiteRules.from_json(js) for src, js in rows}
