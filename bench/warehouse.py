"""Warehouse benchmark: bulk loads, an analytical query and full-text search
with 100,000 and 1,000,000 articles stored.

    .venv/bin/python bench/warehouse.py [--sizes 100000,1000000] [--reps 5] [--fts-sizes 100000]

What it measures, per size (sizes grow in one warehouse: the 1M run extends
the 100k one):

- ``load``: the real ``Warehouse.load`` (Arrow bulk, one transaction, a new
  connection per call as in the flow) of batches of 1,000 new articles with
  their topics and fetch_log rows, on top of the stored base; articles/s.
- ``topic counts per day``: ``SELECT date_trunc('day', published_at), topic,
  count(*) FROM articles JOIN article_topics USING (article_id) GROUP BY ALL``
  through ``Warehouse.query`` (a read-only connection opened per query, as
  ``newsflow sql`` does).
- ``search``: ``warehouse.search.SearchIndex`` (tantivy, incremental BM25)
  rebuilt from the warehouse, then 20 realistic English/French queries (top
  10); the median over queries of each query's median over the repetitions,
  with the index already open (a CLI opens it once: see "first search").
  Also the SQL join of the top 10 to ``articles``.
- ``search update``: ``SearchIndex.index`` of each load's 1,000 articles
  (open a writer, replace by id, commit, wait for merges), and its share of
  a run: ``update / (load time + 1,000 / extract_pages_per_s)``; the default
  40 pages/s is trafilatura's measured rate on one core, so a run of 1,000
  articles spends >= 25 s extracting (fetching, slower still, is left out:
  the share is an upper bound).
- ``DuckDB FTS`` (for sizes in ``--fts-sizes``): the alternative, on a copy
  of the warehouse: ``PRAGMA create_fts_index`` (the only way to update it)
  and ``match_bm25`` queries.
- bytes on disk per article: warehouse file (+ WAL) and search folder.

The base articles are synthetic: sentences of the real English and French
news snippets in bench/data/topics_labelled.jsonl, shuffled into 4-6 KB
texts in paragraphs, with 6-10 sentences naming people and places drawn
(Zipf) from 200,000 made-up names for a long-tailed vocabulary; 20 outlets,
60% English / 40% French, published over 2 years, 1-3 topics each with 1-3
evidence phrases.  The base goes in with large Arrow inserts (not ``load``),
the measured batches through ``load``.  Not stored: ``raw_pages`` (the
zlib-compressed HTML, typically the largest table) and the story index
tables, so the bytes per article cover articles, topics, URLs, fetch_log
and the search index only.

Temporary files go under ``--workdir`` (default: the system temp folder) and
are deleted at the end.  Progress goes to stderr; a table and, as the last
line, one JSON object go to stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsflow.records import Article, Evidence, FetchRecord, TopicTag
from warehouse.search import SearchIndex, hits_table, rows_from_articles
from warehouse.store import (
    ARTICLE_SCHEMA,
    FETCH_SCHEMA,
    TOPIC_SCHEMA,
    URL_SCHEMA,
    Warehouse,
)

DATA = ROOT / "bench" / "data" / "topics_labelled.jsonl"
START = datetime(2024, 11, 28, tzinfo=UTC)
SPAN_S = 2 * 365 * 86400
TAXONOMY = "bench"
TOPIC_COUNTS_SQL = ("SELECT date_trunc('day', published_at), topic, count(*) FROM articles"
                    " JOIN article_topics USING (article_id) GROUP BY ALL")
TOPICS: dict[str, list[str]] = {
    "migration": ["migrants", "asylum", "border crossing", "immigration", "réfugiés"],
    "human_trafficking": ["human trafficking", "forced labour", "traite des êtres humains"],
    "migrant_smuggling": ["smugglers", "passeurs", "migrant smuggling"],
    "terrorism": ["terrorist", "attentat", "bombing"],
    "organised_crime": ["cartel", "drug trafficking"],
    "politics": ["election", "parliament", "élections"],
    "armed_conflict": ["ceasefire", "militia"],
    "economy": ["inflation", "économie"],
    "health": ["hospital", "santé"],
    "environment": ["drought", "climat"],
    "sports": ["football"],
    "culture": ["festival"],
    "science_technology": ["satellite"],
}
TOPIC_WEIGHTS = np.array([8, 3, 3, 3, 2, 6, 3, 4, 3, 2, 3, 2, 2], dtype=float)
QUERIES = [
    "migrants border", "human trafficking", "asylum seekers", "Agadez", "smugglers Libya",
    "terrorist attack", "police arrested", "Morocco", "forced labour", '"human trafficking" Nigeria',
    "élections", "réfugiés", "traite des êtres humains", "passeurs", "gendarmerie police",
    "frontière", "Mediterranean crossing", "government minister said", "IOM women", "Côte d'Ivoire",
]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- synthetic articles ------------------------------------------------------


@dataclass
class Corpus:
    """Sentences and titles per language, made-up names, outlets."""

    sentences: dict[str, list[str]]
    titles: dict[str, list[str]]
    names: list[str]
    sources: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, rng: np.random.Generator, n_names: int = 200_000) -> Corpus:
        sentences: dict[str, list[str]] = {"en": [], "fr": []}
        titles: dict[str, list[str]] = {"en": [], "fr": []}
        with DATA.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                lang = row["lang"] if row["lang"] in sentences else "en"
                titles[lang].append(row["title"])
                sentences[lang] += [s for s in re.split(r"(?<=[.!?])\s+", row["text"]) if len(s) > 20]
        syll = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["ch", "sh", "th", "an", "or", "el"]
        names: set[str] = set()
        while len(names) < n_names:
            parts = rng.integers(0, len(syll), size=int(rng.integers(2, 5)))
            names.add("".join(syll[i] for i in parts).capitalize())
        sources = {"en": [f"outlet-en-{i:02d}" for i in range(12)], "fr": [f"outlet-fr-{i:02d}" for i in range(8)]}
        return cls(sentences, titles, sorted(names), sources)


ENTITY = {"en": "{} {} told reporters in {}.", "fr": "{} {} a déclaré à la presse à {}."}


@dataclass
class Batch:
    """Column lists of generated articles (ids ``start`` .. ``start + n``)."""

    ids: list[str]
    urls: list[str]
    sources: list[str]
    titles: list[str]
    texts: list[str]
    languages: list[str]
    published: list[datetime]
    fetched: list[datetime]
    authors: list[str]
    topics: list[list[tuple[str, float, list[tuple[str, int, int]]]]]


def make_batch(corpus: Corpus, start: int, n: int, rng: np.random.Generator) -> Batch:
    is_en = rng.random(n) < 0.6
    target = rng.integers(4000, 6001, size=n)
    offsets = rng.integers(0, SPAN_S, size=n)
    names = corpus.names
    zipf = (rng.zipf(1.3, size=(n, 30)) - 1) % len(names)
    n_entities = rng.integers(6, 11, size=n)
    topic_counts = rng.integers(1, 4, size=n)
    p = TOPIC_WEIGHTS / TOPIC_WEIGHTS.sum()
    keys = list(TOPICS)
    b = Batch([], [], [], [], [], [], [], [], [], [])
    for i in range(n):
        lang = "en" if is_en[i] else "fr"
        pool = corpus.sentences[lang]
        picks = rng.integers(0, len(pool), size=80)
        z = zipf[i]
        ents = [ENTITY[lang].format(names[z[3 * k]], names[z[3 * k + 1]], names[z[3 * k + 2]])
                for k in range(int(n_entities[i]))]
        sents: list[str] = []
        size = 0
        j = 0
        while size < target[i] and j < len(picks):
            s = ents[j // 5] if j % 5 == 4 and j // 5 < len(ents) else pool[picks[j]]
            sents.append(s)
            size += len(s) + 1
            j += 1
        paragraphs = [" ".join(sents[k:k + 4]) for k in range(0, len(sents), 4)]
        url = f"https://{corpus.sources[lang][int(picks[0]) % len(corpus.sources[lang])]}.example/n/{start + i}"
        src = url.split("//")[1].split(".")[0]
        title = corpus.titles[lang][int(picks[1]) % len(corpus.titles[lang])]
        published = START + timedelta(seconds=int(offsets[i]))
        chosen = rng.choice(len(keys), size=int(topic_counts[i]), replace=False, p=p)
        tags = []
        for t in chosen:
            phrases = TOPICS[keys[int(t)]]
            ev = [(phrases[(int(t) + k) % len(phrases)], 100 * k, 100 * k + 12) for k in range(1 + int(t) % 3)]
            tags.append((keys[int(t)], round(0.6 + 0.4 * float(rng.random()), 3), ev))
        b.ids.append(hashlib.sha1(url.encode()).hexdigest()[:16])
        b.urls.append(url)
        b.sources.append(src)
        b.titles.append(f"{title} : {names[z[0]]}" if j % 2 else title)
        b.texts.append("\n\n".join(paragraphs))
        b.languages.append(lang)
        b.published.append(published)
        b.fetched.append(published + timedelta(minutes=int(offsets[i]) % 600))
        b.authors.append(f"{names[z[5]]} {names[z[6]]}")
        b.topics.append(tags)
    return b


def batch_tables(b: Batch, run_id: str) -> dict[str, pa.Table]:
    """The batch as Arrow tables for a direct bulk insert (the base)."""
    n = len(b.ids)
    art = pa.table({
        "article_id": b.ids, "url": b.urls, "canonical_url": b.urls, "source": b.sources,
        "site": [u.split("//")[1].split("/")[0] for u in b.urls], "title": b.titles,
        "authors": [[a] for a in b.authors], "published_at": pa.array(b.published, ARTICLE_SCHEMA.field("published_at").type),
        "fetched_at": pa.array(b.fetched, ARTICLE_SCHEMA.field("fetched_at").type), "language": b.languages,
        "text": b.texts, "word_count": [t.count(" ") + 2 * t.count("\n\n") + 1 for t in b.texts],
        "content_hash": [hashlib.sha1(t.encode()).hexdigest()[:16] for t in b.texts], "story_id": b.ids,
        "duplicate_of": pa.nulls(n, pa.string()), "http_status": pa.array([200] * n, pa.int32()),
        "extractor": ["bench"] * n, "run_id": [run_id] * n, "removed": pa.array([[] for _ in range(n)],
                                                                                ARTICLE_SCHEMA.field("removed").type),
        "standfirst": pa.nulls(n, pa.string()),
    }, schema=ARTICLE_SCHEMA)
    trows = [{"article_id": aid, "topic": t, "score": s,
              "evidence": [{"phrase": ph, "field": "text", "start": a, "end": e} for ph, a, e in ev],
              "taxonomy_version": TAXONOMY, "tagged_at": f}
             for aid, tags, f in zip(b.ids, b.topics, b.fetched, strict=True) for t, s, ev in tags]
    top = pa.Table.from_pylist(trows, schema=TOPIC_SCHEMA)
    urls = pa.table({"url": b.urls, "article_id": b.ids, "first_seen_at": pa.array(b.fetched, URL_SCHEMA.field(2).type)},
                    schema=URL_SCHEMA)
    fetch = pa.table({
        "run_id": [run_id] * n, "source": b.sources, "url": b.urls, "kind": ["article"] * n,
        "fetched_at": pa.array(b.fetched, FETCH_SCHEMA.field("fetched_at").type),
        "status": pa.array([200] * n, pa.int32()), "error": pa.nulls(n, pa.string()),
        "bytes": pa.array([40_000 + len(t) for t in b.texts], pa.int64()),
        "elapsed_ms": pa.array([120.0] * n, pa.float64()), "final_url": b.urls, "detail": pa.nulls(n, pa.string()),
    }, schema=FETCH_SCHEMA)
    return {"articles": art, "article_topics": top, "article_urls": urls, "fetch_log": fetch}


def batch_records(b: Batch) -> tuple[list[Article], list[TopicTag], list[FetchRecord]]:
    """The batch as pipeline records, for ``Warehouse.load``."""
    arts, tags, fetches = [], [], []
    for i, aid in enumerate(b.ids):
        text = b.texts[i]
        arts.append(Article(
            article_id=aid, url=b.urls[i], canonical_url=b.urls[i], source=b.sources[i],
            site=b.urls[i].split("//")[1].split("/")[0], title=b.titles[i], authors=(b.authors[i],),
            published_at=b.published[i], language=b.languages[i], text=text, fetched_at=b.fetched[i],
            http_status=200, extractor="bench", content_hash=hashlib.sha1(text.encode()).hexdigest()[:16],
            story_id=aid))
        tags += [TopicTag(aid, t, s, tuple(Evidence(ph, "text", a, e) for ph, a, e in ev)) for t, s, ev in b.topics[i]]
        fetches.append(FetchRecord(b.sources[i], b.urls[i], "article", b.fetched[i], 200, None, 40_000 + len(text), 120.0))
    return arts, tags, fetches


# -- measuring ---------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def article_count(wh: Warehouse) -> int:
    _, rows = wh.query("SELECT count(*) FROM articles")
    return int(rows[0][0])


def extend_base(wh: Warehouse, corpus: Corpus, have: int, want: int, rng: np.random.Generator, chunk: int) -> float:
    """Insert synthetic articles ``have`` .. ``want`` in large Arrow inserts."""
    t0 = time.perf_counter()
    with wh.connect() as con:
        for start in range(have, want, chunk):
            n = min(chunk, want - start)
            tables = batch_tables(make_batch(corpus, start, n, rng), "base")
            con.execute("BEGIN TRANSACTION")
            for name, table in tables.items():
                con.register("chunk", table)
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM chunk")
                con.unregister("chunk")
            con.execute("COMMIT")
            log(f"  base: {start + n:,} articles ({time.perf_counter() - t0:.0f} s)")
        con.execute("CHECKPOINT")
    return time.perf_counter() - t0


def disk_bytes(db: Path) -> int:
    wal = Path(str(db) + ".wal")
    return db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def search_latency(index: SearchIndex, reps: int) -> tuple[float, float, float, dict[str, int]]:
    """(median over queries of per-query medians, p90, max, hits per query)."""
    hits = {q: len(index.search(q, 10)) for q in QUERIES}  # warm-up
    per_query = [median([timed(lambda q=q: index.search(q, 10))[0] for _ in range(reps)]) for q in QUERIES]
    per_query.sort()
    return median(per_query), per_query[int(0.9 * (len(per_query) - 1))], per_query[-1], hits


def join_latency(wh: Warehouse, index: SearchIndex, reps: int) -> float:
    def run() -> int:
        table = hits_table(index.search("human trafficking", 10))
        with wh.connect(read_only=True) as con:
            con.register("hits", table)
            rows = con.execute(
                "SELECT h.rank, a.title, a.source, a.published_at, h.score, list(t.topic) AS topics"
                " FROM hits h JOIN articles a USING (article_id) LEFT JOIN article_topics t USING (article_id)"
                " GROUP BY ALL ORDER BY h.rank").fetchall()
        return len(rows)
    return median([timed(run)[0] for _ in range(reps)])


def duckdb_fts(db: Path, workdir: Path, reps: int) -> dict[str, float]:
    """Build DuckDB's FTS index on a copy of the warehouse and query it."""
    import duckdb
    import duckdb_ext

    copy = workdir / "fts-copy.duckdb"
    shutil.copyfile(db, copy)
    try:
        con = duckdb.connect(str(copy))
        duckdb_ext.init(con)
        con.execute("LOAD fts")
        build_s, _ = timed(lambda: con.execute(
            "PRAGMA create_fts_index('articles', 'article_id', 'title', 'text', strip_accents=1, overwrite=1)"))
        con.execute("CHECKPOINT")
        sql = ("SELECT article_id, score FROM (SELECT article_id, fts_main_articles.match_bm25(article_id, ?) AS score"
               " FROM articles) WHERE score IS NOT NULL ORDER BY score DESC LIMIT 10")
        plain = [q.replace('"', "") for q in QUERIES]
        for q in plain[:3]:
            con.execute(sql, [q]).fetchall()
        per_query = sorted(median([timed(lambda q=q: con.execute(sql, [q]).fetchall())[0] for _ in range(reps)])
                           for q in plain)
        con.close()
        return {"build_s": build_s, "search_s": median(per_query), "search_max_s": per_query[-1],
                "bytes": float(copy.stat().st_size)}
    finally:
        copy.unlink(missing_ok=True)


def measure(wh: Warehouse, index: SearchIndex, corpus: Corpus, rng: np.random.Generator, next_id: int,
            reps: int, extract_rate: float) -> tuple[dict[str, Any], int]:
    res: dict[str, Any] = {}
    loads, updates = [], []
    for r in range(reps):
        b = make_batch(corpus, next_id, 1000, rng)
        next_id += 1000
        arts, tags, fetches = batch_records(b)
        run_id = f"bench-{next_id}"
        load_s, result = timed(lambda r=run_id, a=arts, t=tags, f=fetches: wh.load(r, a, t, f, [], [], TAXONOMY))
        if result.articles != 1000:
            raise RuntimeError(f"load inserted {result.articles} of 1000 articles")
        upd_s, _ = timed(lambda a=arts: index.index(rows_from_articles(a)))
        loads.append(load_s)
        updates.append(upd_s)
        log(f"  batch {r + 1}: load {load_s:.3f} s, search update {upd_s:.3f} s")
    res["load_s"] = median(loads)
    res["load_per_s"] = 1000 / res["load_s"]
    res["update_s"] = median(updates)
    res["update_max_s"] = max(updates)
    res["update_mean_s"] = statistics.fmean(updates)
    run_s = res["load_s"] + 1000 / extract_rate
    res["update_share"] = res["update_s"] / run_s
    res["update_share_max"] = res["update_max_s"] / run_s
    res["topic_counts_s"] = median([timed(lambda: wh.query(TOPIC_COUNTS_SQL))[0] for _ in range(max(reps, 3))])
    res["first_search_s"] = timed(lambda: SearchIndex(index.path).search("migrants border", 10))[0]
    res["search_s"], res["search_p90_s"], res["search_max_s"], res["hits"] = search_latency(index, max(reps, 3))
    res["search_join_s"] = join_latency(wh, index, max(reps, 3))
    with wh.connect() as con:
        con.execute("CHECKPOINT")
    res["articles"] = article_count(wh)
    res["db_bytes"] = disk_bytes(wh.path)
    res["search_bytes"] = index.size_bytes()
    res["bytes_per_article"] = (res["db_bytes"] + res["search_bytes"]) / res["articles"]
    return res, next_id


def fmt_table(results: dict[int, dict[str, Any]], extract_rate: float) -> str:
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("articles stored", lambda r: f"{r['articles']:,}"),
        ("base build (Arrow bulk insert)", lambda r: f"{r['base_s']:.0f} s"),
        ("load() of 1,000: time", lambda r: f"{r['load_s']:.3f} s"),
        ("load() of 1,000: rate  [>= 5,000/s]", lambda r: f"{r['load_per_s']:,.0f} /s"),
        ("topic counts per day  [<= 1 s]", lambda r: f"{r['topic_counts_s']:.3f} s"),
        ("search rebuild (tantivy, full)", lambda r: f"{r['rebuild_s']:.0f} s"),
        ("search median of 20 queries  [<= 1 s]", lambda r: f"{r['search_s'] * 1000:.1f} ms"),
        ("search p90 / max", lambda r: f"{r['search_p90_s'] * 1000:.1f} / {r['search_max_s'] * 1000:.1f} ms"),
        ("first search (open index)", lambda r: f"{r['first_search_s'] * 1000:.1f} ms"),
        ("search + join top 10 to articles", lambda r: f"{r['search_join_s'] * 1000:.1f} ms"),
        ("search update of 1,000: median", lambda r: f"{r['update_s']:.3f} s"),
        ("search update of 1,000: mean / max", lambda r: f"{r['update_mean_s']:.3f} / {r['update_max_s']:.3f} s"),
        (f"update share of run (load + {1000 / extract_rate:.0f} s extract) [<= 10%]",
         lambda r: f"{100 * r['update_share']:.2f}% (max {100 * r['update_share_max']:.2f}%)"),
        ("warehouse bytes / article", lambda r: f"{r['db_bytes'] / r['articles']:,.0f}"),
        ("search index bytes / article", lambda r: f"{r['search_bytes'] / r['articles']:,.0f}"),
        ("total bytes / article", lambda r: f"{r['bytes_per_article']:,.0f}"),
        ("DuckDB FTS: build (= any update)", lambda r: f"{r['fts']['build_s']:.0f} s" if "fts" in r else "-"),
        ("DuckDB FTS: search median / max", lambda r: (f"{r['fts']['search_s'] * 1000:.0f} / "
                                                       f"{r['fts']['search_max_s'] * 1000:.0f} ms") if "fts" in r else "-"),
        ("DuckDB FTS: file bytes / article", lambda r: f"{r['fts']['bytes'] / r['articles']:,.0f}" if "fts" in r else "-"),
    ]
    sizes = sorted(results)
    head = ["measure"] + [f"{s:,}" for s in sizes]
    body = [[label] + [get(results[s]) for s in sizes] for label, get in rows]
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in [head, *body]]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def label(size: int) -> str:
    return f"{size // 1_000_000}m" if size % 1_000_000 == 0 else f"{size // 1000}k"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="stored articles to measure at (ascending)")
    ap.add_argument("--reps", type=int, default=5, help="load batches of 1,000 (and timing repetitions) per size")
    ap.add_argument("--fts-sizes", default="100000", help="sizes at which to also measure DuckDB FTS ('' for none)")
    ap.add_argument("--extract-pages-per-s", type=float, default=40.0, help="extraction rate assumed for a run")
    ap.add_argument("--chunk", type=int, default=50_000, help="articles per base insert")
    ap.add_argument("--workdir", default=None, help="where the temporary warehouse goes (default: system temp)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    fts_sizes = {int(s) for s in args.fts_sizes.split(",") if s}
    if args.reps < 3:
        ap.error("--reps must be >= 3")
    rng = np.random.default_rng(args.seed)
    corpus = Corpus.load(rng)
    tmp = Path(tempfile.mkdtemp(prefix="newsflow-bench-wh-", dir=args.workdir))
    results: dict[int, dict[str, Any]] = {}
    try:
        db = tmp / "bench.duckdb"
        wh = Warehouse(db)
        wh.migrate()
        index = SearchIndex.for_warehouse(db)
        have, next_id = 0, 0
        for size in sizes:
            log(f"size {size:,}: building the base")
            base_s = extend_base(wh, corpus, have, size, rng, args.chunk) if size > have else 0.0
            next_id = max(next_id, size)
            log(f"size {size:,}: rebuilding the search index")
            rebuild_s, n = timed(lambda: index.rebuild_from(wh))
            log(f"  rebuilt: {n:,} articles in {rebuild_s:.0f} s")
            log(f"size {size:,}: measuring")
            res, next_id = measure(wh, index, corpus, rng, next_id, args.reps, args.extract_pages_per_s)
            res["base_s"], res["rebuild_s"] = base_s, rebuild_s
            if size in fts_sizes:
                log(f"size {size:,}: DuckDB FTS on a copy")
                res["fts"] = duckdb_fts(db, tmp, max(args.reps, 3))
            have = res["articles"]
            results[size] = res
            log(f"  hits per query: {res['hits']}")
    finally:
        shutil.rmtree(tmp, ignore_errors=False)
    print(fmt_table(results, args.extract_pages_per_s))
    print(f"(run = load of 1,000 + 1,000 / {args.extract_pages_per_s:g} pages/s extraction; "
          f"medians of {args.reps} batches / repetitions; search = tantivy via warehouse.search)")
    out: dict[str, float] = {}
    for size, r in results.items():
        s = label(size)
        out[f"load_articles_per_s_{s}"] = round(r["load_per_s"], 1)
        out[f"topic_counts_per_day_s_{s}"] = round(r["topic_counts_s"], 4)
        out[f"search_s_{s}"] = round(r["search_s"], 5)
        out[f"search_max_s_{s}"] = round(r["search_max_s"], 5)
        out[f"search_update_s_per_1000_{s}"] = round(r["update_s"], 4)
        out[f"search_update_share_of_run_{s}"] = round(r["update_share"], 5)
        out[f"search_rebuild_s_{s}"] = round(r["rebuild_s"], 1)
        out[f"bytes_per_article_{s}"] = round(r["bytes_per_article"])
        if "fts" in r:
            out[f"duckdb_fts_build_s_{s}"] = round(r["fts"]["build_s"], 1)
            out[f"duckdb_fts_search_s_{s}"] = round(r["fts"]["search_s"], 4)
    top = results[sizes[-1]]
    out["search_update_s_per_1000"] = round(top["update_s"], 4)
    out["search_update_share_of_run"] = round(top["update_share"], 5)
    out["bytes_per_article"] = round(top["bytes_per_article"])
    out["extract_pages_per_s_assumed"] = args.extract_pages_per_s
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
