"""Full-text search over articles (title + text), ranked by BM25.

Why not DuckDB's FTS extension: its index is static (``PRAGMA
create_fts_index`` rebuilds everything), took ~3 min per 100k articles here
and holds the warehouse's write lock meanwhile, and its queries scan a
terms table (~0.5 s at 100k, seconds at 1M).  This module keeps an
*incremental* BM25 index with tantivy (a maintained Rust search engine, Python
bindings from PyPI) beside the warehouse file; see bench/warehouse.py for the
numbers of both.

Storage
    ``<warehouse file>.search/`` (``data/newsflow.duckdb.search/`` by
    default): tantivy's segment files, ``meta.json`` and
    ``newsflow-search.json`` (this module's format version).  It is derived
    data: delete it and call :meth:`SearchIndex.rebuild_from` to get it back.

Joining to SQL
    Each hit is ``(article_id, score)``; ``article_id`` is the key of the
    ``articles`` table, so results join to every view (``articles``,
    ``article_topics``, ``stories`` via ``articles.story_id``).  See
    :func:`hits_table` for a ready-to-register Arrow table.

Text analysis
    Articles are routed by ``language``: English (``en``) and French (``fr``)
    get their own fields with a Snowball stemmer; anything else goes to
    unstemmed fields.  Every field drops English and French stop words,
    lowercases and folds accents (``élection`` = ``election``), so a query
    matches regardless of accents or case.  Queries use tantivy's syntax:
    ``"human trafficking"`` (phrase), ``+must -not``, ``migrants OR réfugiés``.

Concurrency
    One writer at a time (tantivy holds ``.tantivy-writer.lock`` while a
    writer is open; the ingest flow is the only writer).  Readers never block
    the writer nor the DuckDB file: a search does not open the warehouse.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import tantivy

from newsflow.errors import WarehouseError
from newsflow.records import Article

if TYPE_CHECKING:
    from warehouse.store import Warehouse

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
FORMAT_FILE = "newsflow-search.json"
LAKE_STATE_FILE = "newsflow-lake.json"  # the lake snapshot an index has caught up to
SUFFIX = ".search"

#: Languages with a stemmed field of their own; the rest share unstemmed fields.
STEMMED = {"en": "english", "fr": "french"}
GROUPS = ("en", "fr", "xx")
TITLE_BOOST = 2.0

#: One row to index: article_id, title, text, published_at, source, language.
SearchRow = tuple[str, str | None, str, datetime | None, str | None, str | None]


class SearchError(WarehouseError):
    """The search index could not be opened, written or queried."""


@dataclass(frozen=True, slots=True)
class Hit:
    article_id: str
    score: float


def index_path(db_path: str | Path) -> Path:
    """Where the search index of the warehouse at ``db_path`` lives."""
    return Path(str(db_path) + SUFFIX)


def rows_from_articles(articles: Iterable[Article]) -> list[SearchRow]:
    """The rows :meth:`SearchIndex.index` takes, from pipeline records."""
    return [(a.article_id, a.title, a.text, a.published_at, a.source, a.language) for a in articles]


def hits_table(hits: Sequence[tuple[str, float]]) -> pa.Table:
    """Hits as an Arrow table (``article_id``, ``score``, ``rank``) to
    register in DuckDB and join to ``articles`` by ``article_id``."""
    return pa.table({
        "article_id": pa.array([h[0] for h in hits], pa.string()),
        "score": pa.array([float(h[1]) for h in hits], pa.float64()),
        "rank": pa.array(list(range(1, len(hits) + 1)), pa.int32()),
    })


def _analyzer(language: str | None) -> tantivy.TextAnalyzer:
    # accents are folded before stemming so that a word typed with or
    # without them stems the same way (the stemmers see unaccented words)
    builder = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
               .filter(tantivy.Filter.remove_long(40))
               .filter(tantivy.Filter.lowercase())
               .filter(tantivy.Filter.stopword("english"))
               .filter(tantivy.Filter.stopword("french"))
               .filter(tantivy.Filter.ascii_fold()))
    if language is not None:
        builder = builder.filter(tantivy.Filter.stemmer(language))
    return builder.build()


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("article_id", stored=True, tokenizer_name="raw", index_option="basic")
    for group in GROUPS:
        sb.add_text_field(f"title_{group}", tokenizer_name=f"news_{group}", index_option="position")
        sb.add_text_field(f"text_{group}", tokenizer_name=f"news_{group}", index_option="position")
    sb.add_text_field("source", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("language", tokenizer_name="raw", index_option="basic")
    sb.add_date_field("published_at", indexed=True, fast=True)
    return sb.build()


def _group(language: str | None) -> str:
    code = (language or "").strip().lower()[:2]
    return code if code in STEMMED else "xx"


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class SearchIndex:
    """An incremental BM25 index of articles, stored in ``path`` (by
    convention ``<warehouse file>.search/``, see :meth:`for_warehouse`).

    ``index`` adds or replaces articles by ``article_id`` and commits; a
    ``search`` sees every committed change, also those made by another
    process."""

    def __init__(self, path: str | Path, *, writer_heap_bytes: int = 64_000_000) -> None:
        self.path = Path(path)
        self.writer_heap_bytes = writer_heap_bytes
        self._index: tantivy.Index | None = None

    @classmethod
    def for_warehouse(cls, db_path: str | Path) -> SearchIndex:
        """The search index stored next to the warehouse file ``db_path``."""
        return cls(index_path(db_path))

    # -- opening -----------------------------------------------------------

    def exists(self) -> bool:
        return (self.path / FORMAT_FILE).exists()

    def _open(self, create: bool) -> tantivy.Index:
        if self._index is not None:
            return self._index
        self._index = self._open_at(self.path, create)
        return self._index

    @staticmethod
    def _open_at(path: Path, create: bool) -> tantivy.Index:
        marker = path / FORMAT_FILE
        if marker.exists():
            try:
                version = json.loads(marker.read_text())["format"]
            except (OSError, ValueError, KeyError) as exc:
                raise SearchError(f"unreadable search index marker {marker}: {exc}") from exc
            if version != FORMAT_VERSION:
                raise SearchError(
                    f"search index {path} has format {version}, this newsflow writes {FORMAT_VERSION}; "
                    "rebuild it (SearchIndex.rebuild_from) or delete the folder")
        elif not create:
            raise SearchError(f"no search index at {path}; index articles or rebuild it from the warehouse first")
        elif path.exists() and any(path.iterdir()):
            raise SearchError(f"{path} exists and is not a newsflow search index; move it away")
        path.mkdir(parents=True, exist_ok=True)
        try:
            index = tantivy.Index(_schema(), path=str(path), reuse=True)
        except (OSError, ValueError) as exc:
            raise SearchError(f"cannot open search index {path}: {exc}") from exc
        for group in GROUPS:
            index.register_tokenizer(f"news_{group}", _analyzer(STEMMED.get(group)))
        if not marker.exists():
            marker.write_text(json.dumps({"format": FORMAT_VERSION, "engine": "tantivy"}) + "\n")
        return index

    # -- writing -----------------------------------------------------------

    def index(self, articles: Iterable[SearchRow]) -> int:
        """Add ``articles`` (rows of article_id, title, text, published_at,
        source, language), replacing any stored article with the same id, and
        commit.  Returns the number of rows written."""
        idx = self._open(create=True)
        n = self._write(idx, articles, self.writer_heap_bytes, threads=1, replace=True)
        idx.reload()
        return n

    def delete(self, article_ids: Iterable[str]) -> None:
        """Remove articles by id (ids not in the index are ignored) and commit."""
        idx = self._open(create=True)
        try:
            writer = idx.writer(heap_size=self.writer_heap_bytes, num_threads=1)
        except ValueError as exc:
            raise SearchError(f"cannot write search index {self.path}: {exc}") from exc
        for aid in article_ids:
            writer.delete_documents_by_term("article_id", aid)
        writer.commit()
        writer.wait_merging_threads()
        idx.reload()

    @staticmethod
    def _write(idx: tantivy.Index, rows: Iterable[SearchRow], heap: int, threads: int, replace: bool) -> int:
        try:
            writer = idx.writer(heap_size=heap, num_threads=threads)
        except ValueError as exc:
            raise SearchError(f"cannot open a writer on the search index (is another writer running?): {exc}") from exc
        n = 0
        try:
            for article_id, title, text, published_at, source, language in rows:
                if replace:
                    writer.delete_documents_by_term("article_id", article_id)
                group = _group(language)
                doc = tantivy.Document()
                doc.add_text("article_id", article_id)
                if title:
                    doc.add_text(f"title_{group}", title)
                doc.add_text(f"text_{group}", text or "")
                if source:
                    doc.add_text("source", source)
                if language:
                    doc.add_text("language", language)
                if published_at is not None:
                    doc.add_date("published_at", _utc(published_at))
                writer.add_document(doc)
                n += 1
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        # merges run in tantivy's threads; waiting keeps the folder tidy when
        # the process ends right after (the cost is measured in the bench)
        writer.wait_merging_threads()
        return n

    def rebuild_from(self, warehouse: Warehouse, *, batch_rows: int = 20_000,
                     heap_bytes: int = 1_000_000_000, threads: int | None = None) -> int:
        """Index every article of ``warehouse`` into a fresh folder, then swap
        it in place of ``self.path``.  Readers keep their open index until
        they reload.  Returns the number of articles indexed."""
        tmp = self.path.with_name(f"{self.path.name}.rebuild-{os.getpid()}")
        old = self.path.with_name(f"{self.path.name}.old-{os.getpid()}")
        for leftover in (tmp, old):
            if leftover.exists():
                shutil.rmtree(leftover)
        threads = threads or min(4, os.cpu_count() or 1)
        try:
            idx = self._open_at(tmp, create=True)
            with warehouse.connect(read_only=True) as con:
                reader = con.execute(
                    "SELECT article_id, title, text, published_at, source, language FROM articles"
                ).fetch_record_batch(batch_rows)
                n = self._write(idx, _batch_rows(reader), heap_bytes, threads, replace=False)
            del idx
            if self.path.exists():
                self.path.rename(old)
            tmp.rename(self.path)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
        if old.exists():
            shutil.rmtree(old)
        self._index = None
        return n

    def catch_up(self, warehouse: Warehouse) -> int:
        """For a lake (whose writers keep no index): index the articles
        inserted or updated in the snapshots committed since this index last
        caught up, or every article the first time.  Each reader keeps its
        own index this way.  Returns the rows indexed; 0 without a change.
        When another process of this reader is writing the index, it is left
        as it is (the search still answers, from what it holds)."""
        from warehouse import lake

        state = self.path / LAKE_STATE_FILE
        seen: int | None = None
        if self.exists() and state.exists():
            try:
                seen = int(json.loads(state.read_text())["snapshot"])
            except (OSError, ValueError, KeyError) as exc:
                raise SearchError(f"unreadable search state {state}: {exc}; rebuild with --rebuild") from exc
        with warehouse.connect(read_only=True) as con:
            con.execute("BEGIN TRANSACTION")
            now, reader = lake.article_changes(con, seen)
            if seen is not None and now <= seen:
                return 0
            idx = self._open(create=True)
            try:
                n = self._write(idx, _batch_rows(reader), self.writer_heap_bytes if seen is not None else 500_000_000,
                                threads=1, replace=seen is not None)
            except SearchError as exc:
                log.warning("search index %s not brought up to date: %s", self.path, exc)
                return 0
            con.execute("COMMIT")
        idx.reload()
        tmp = state.with_name(state.name + ".tmp")
        tmp.write_text(json.dumps({"snapshot": now}) + "\n")
        os.replace(tmp, state)
        return n

    def reset(self) -> None:
        """Delete the index (``catch_up`` then indexes everything again)."""
        self._index = None
        if self.path.exists():
            shutil.rmtree(self.path)

    # -- reading -----------------------------------------------------------

    def count(self) -> int:
        """Articles in the index."""
        idx = self._open(create=False)
        idx.reload()
        return int(idx.searcher().num_docs)

    def search(self, query: str, limit: int = 10, *, match_all: bool = False,
               language: str | None = None, source: str | None = None) -> list[tuple[str, float]]:
        """The ``limit`` best articles for ``query`` as (article_id, BM25
        score), best first.  ``match_all`` requires every term (default: any
        term, ranked by BM25); ``language``/``source`` filter exactly."""
        if limit <= 0 or not query.strip():
            return []
        idx = self._open(create=False)
        idx.reload()
        if not any(ch.isalnum() for ch in query):
            return []
        parsed = _parse(idx, query, match_all)
        filters = [(f, v) for f, v in (("language", language), ("source", source)) if v]
        if filters:
            clauses = [(tantivy.Occur.Must, parsed)]
            clauses += [(tantivy.Occur.Must, tantivy.Query.term_query(idx.schema, f, v)) for f, v in filters]
            parsed = tantivy.Query.boolean_query(clauses)
        searcher = idx.searcher()
        result = searcher.search(parsed, limit, count=False)
        hits: list[tuple[str, float]] = []
        for score, address in result.hits:
            aid = searcher.doc(address).get_first("article_id")
            if aid is None:
                raise SearchError(f"search index {self.path} holds a document without article_id")
            hits.append((str(aid), float(score)))
        return hits

    def size_bytes(self) -> int:
        """Bytes the index takes on disk."""
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file()) if self.path.exists() else 0


def _parse(idx: tantivy.Index, query: str, match_all: bool) -> tantivy.Query:
    """Parse with tantivy's syntax; a query that is not valid syntax (such
    as ``l'immigration`` or ``hello AND``) is searched as its plain words."""
    fields = [f"{kind}_{g}" for g in GROUPS for kind in ("title", "text")]
    boosts = {f"title_{g}": TITLE_BOOST for g in GROUPS}
    try:
        return idx.parse_query(query, default_field_names=fields, field_boosts=boosts,
                               conjunction_by_default=match_all)
    except ValueError as exc:
        plain = _PLAIN.sub(" ", query)
        if plain.count('"') % 2:
            plain = plain.replace('"', " ")
        plain = _OPERATORS.sub(" ", plain)
        log.info("search query %r is not valid query syntax (%s); searching %r", query, exc, plain)
    try:
        return idx.parse_query(plain, default_field_names=fields, field_boosts=boosts,
                               conjunction_by_default=match_all)
    except ValueError as exc:
        raise SearchError(f"cannot parse search query {query!r}: {exc}") from exc


_PLAIN = re.compile(r'[^\w\s"]+')
_OPERATORS = re.compile(r"\b(?:AND|OR|NOT)\b")


def _batch_rows(reader: Any) -> Iterator[SearchRow]:
    """Rows from a pyarrow RecordBatchReader over the articles columns."""
    for batch in reader:
        cols = [batch.column(i).to_pylist() for i in range(6)]
        yield from zip(*cols, strict=True)
