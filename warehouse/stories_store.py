"""The DuckDB side of story lookups (layers 3 and 4 of ``stories.dedupe``).

Nothing is held in memory between runs: a batch's copies and candidate
stories are found by joins.

* :func:`lookup` (read): the stored articles sharing an LSH band with the
  batch (join on ``story_lsh``) with their signatures; the stories holding a
  retrieval key of the batch within ``WINDOW`` of the batch's times (join on
  ``story_keys``) with their members' vectors; document frequencies of the
  batch's features (join on ``story_term_df``).
* :func:`write` (inside the caller's load transaction): bulk inserts from
  Arrow of ``StoryRows``, replacing the rows of updated articles.

Tables are created by migration ``003_stories.sql``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from stories.cluster import MAX_MEMBERS, WINDOW, Member
from stories.features import Features, retrieval_keys
from stories.minhash import from_bytes
from stories.model import Sketch, StoredSketch, StoryKnown, StoryRows

if TYPE_CHECKING:  # warehouse.store imports this module; at run time only the type is needed
    from warehouse.store import Warehouse

TS = pa.timestamp("us", tz="UTC")

MAX_CANDIDATE_STORIES = 20_000  # safety cap on stories pulled in for one batch

MEMBER_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("story_id", pa.string()), ("duplicate_of", pa.string()), ("seen_at", TS),
    ("minhash", pa.binary()), ("word_keys", pa.list_(pa.int64())), ("word_weights", pa.list_(pa.float32())),
    ("entity_keys", pa.list_(pa.int64())), ("entity_weights", pa.list_(pa.float32())),
])
LSH_SCHEMA = pa.schema([("band_key", pa.int64()), ("article_id", pa.string())])
KEY_SCHEMA = pa.schema([("key", pa.int64()), ("story_id", pa.string()), ("article_id", pa.string()), ("seen_at", TS)])
DF_SCHEMA = pa.schema([("key", pa.int64()), ("df", pa.int32())])


def spans(times: Sequence[datetime], window: timedelta = WINDOW) -> list[tuple[datetime, datetime, datetime, datetime]]:
    """The batch's times as disjoint spans ``(lo, hi, first, last)``: the
    union of ``[t - window, t + window]`` over the times ``t``, each span with
    the first and last time inside it.  A story member matters to the batch
    only inside a span (clustering looks ``window`` either way), so a batch
    holding one article with an old date (a page that misreports its date)
    adds one more short span instead of stretching a single range over
    everything stored between the two dates."""
    out: list[tuple[datetime, datetime, datetime, datetime]] = []
    for t in sorted(times):
        if out and t - window <= out[-1][1]:
            lo, _, first, _ = out[-1]
            out[-1] = (lo, t + window, first, t)
        else:
            out.append((t - window, t + window, t, t))
    return out


def lookup(con: duckdb.DuckDBPyConnection, sketches: Sequence[Sketch], window: timedelta = WINDOW) -> StoryKnown:
    """What the warehouse holds around the batch ``sketches``."""
    if not sketches:
        return StoryKnown()
    batch_spans = spans([s.seen_at for s in sketches], window)
    starts = [lo for lo, _, _, _ in batch_spans]
    span_of = [bisect_right(starts, s.seen_at) - 1 for s in sketches]
    bands = pa.table({"band_key": pa.array([k for s in sketches for k in s.band_keys], pa.int64())})
    feats = pa.table({
        "key": pa.array([k for s in sketches for k in s.counts.present()], pa.int64()),
        "span": pa.array([i for s, i in zip(sketches, span_of, strict=True) for _ in s.counts.present()], pa.int32()),
        "q_at": pa.array([s.seen_at for s in sketches for _ in s.counts.present()], TS),
    })
    span_table = pa.table({
        "span": pa.array(range(len(batch_spans)), pa.int32()),
        "lo": pa.array([sp[0] for sp in batch_spans], TS), "hi": pa.array([sp[1] for sp in batch_spans], TS),
        "first": pa.array([sp[2] for sp in batch_spans], TS), "last": pa.array([sp[3] for sp in batch_spans], TS),
    })
    con.register("q_bands", bands)
    con.register("q_feats", feats)
    con.register("q_spans", span_table)
    try:
        near = con.execute(
            "WITH hits AS (SELECT DISTINCT l.band_key, l.article_id FROM (SELECT DISTINCT band_key FROM q_bands) q"
            " JOIN story_lsh l USING (band_key))"
            " SELECT h.band_key, h.article_id, m.story_id, m.duplicate_of, m.seen_at, m.minhash"
            " FROM hits h JOIN story_members m USING (article_id) WHERE m.minhash IS NOT NULL").fetchall()
        lsh: dict[int, list[str]] = defaultdict(list)
        stored: dict[str, StoredSketch] = {}
        for band, aid, sid, dup, at, blob in near:
            lsh[band].append(aid)
            if aid not in stored:
                stored[aid] = StoredSketch(aid, sid, dup, at, from_bytes(blob))
        # Candidate stories: a retrieval key of the batch filed within the
        # window of the batch's articles holding that key (per span, so the
        # range of a key stays inside one span).  Their members: those inside
        # a span, at most 2 x MAX_MEMBERS per story, the closest in time to
        # the batch (scoring uses a story's MAX_MEMBERS members closest in
        # time to the article, so a big story costs no more than a small one).
        members = con.execute(
            "WITH q AS (SELECT key, span, min(q_at) AS lo, max(q_at) AS hi FROM q_feats GROUP BY key, span),"
            " cand AS (SELECT DISTINCT k.story_id FROM q JOIN story_keys k USING (key)"
            "  WHERE k.seen_at BETWEEN q.lo - ?::INTERVAL AND q.hi + ?::INTERVAL"
            f"  LIMIT {MAX_CANDIDATE_STORIES})"
            " SELECT m.article_id, m.story_id, m.seen_at, m.word_keys, m.word_weights, m.entity_keys, m.entity_weights"
            " FROM story_members m JOIN cand USING (story_id) JOIN q_spans s ON m.seen_at BETWEEN s.lo AND s.hi"
            " QUALIFY row_number() OVER (PARTITION BY m.story_id ORDER BY"
            "  greatest(epoch(s.first) - epoch(m.seen_at), epoch(m.seen_at) - epoch(s.last), 0), m.article_id)"
            f"  <= {2 * MAX_MEMBERS}",
            [window, window]).fetchall()
        df_rows = con.execute(
            "SELECT d.key, d.df FROM (SELECT DISTINCT key FROM q_feats) q JOIN story_term_df d USING (key)").fetchall()
        n_row = con.execute("SELECT count(*) FROM story_members").fetchone()
    finally:
        con.unregister("q_bands")
        con.unregister("q_feats")
        con.unregister("q_spans")
    return StoryKnown(
        lsh={k: tuple(sorted(v)) for k, v in lsh.items()}, sketches=stored,
        members=tuple(_member(*row) for row in members),
        df=dict(df_rows), n_docs=int(n_row[0]) if n_row else 0)


def _member(aid: str, sid: str, at: datetime, wk: list[int] | None, ww: list[float] | None,
            ek: list[int] | None, ew: list[float] | None) -> Member:
    words = dict(zip(wk or [], ww or [], strict=True))
    ents = dict(zip(ek or [], ew or [], strict=True))
    return Member(aid, sid, at, Features(words, ents, retrieval_keys(words, ents)))


def tables(rows: StoryRows) -> dict[str, pa.Table]:
    """The Arrow tables :func:`write` inserts."""
    m = rows.members
    return {
        "new_story_members": pa.table({
            "article_id": [r.article_id for r in m], "story_id": [r.story_id for r in m],
            "duplicate_of": [r.duplicate_of for r in m], "seen_at": pa.array([r.seen_at for r in m], TS),
            "minhash": pa.array([r.minhash for r in m], pa.binary()),
            "word_keys": pa.array([list(r.word_keys) for r in m], pa.list_(pa.int64())),
            "word_weights": pa.array([list(r.word_weights) for r in m], pa.list_(pa.float32())),
            "entity_keys": pa.array([list(r.entity_keys) for r in m], pa.list_(pa.int64())),
            "entity_weights": pa.array([list(r.entity_weights) for r in m], pa.list_(pa.float32())),
        }, schema=MEMBER_SCHEMA),
        "new_story_lsh": pa.table({"band_key": [k for r in m for k in r.band_keys],
                                   "article_id": [r.article_id for r in m for _ in r.band_keys]}, schema=LSH_SCHEMA),
        "new_story_keys": pa.table({
            "key": [k for r in m for k in r.retrieval_keys],
            "story_id": [r.story_id for r in m for _ in r.retrieval_keys],
            "article_id": [r.article_id for r in m for _ in r.retrieval_keys],
            "seen_at": pa.array([r.seen_at for r in m for _ in r.retrieval_keys], TS)}, schema=KEY_SCHEMA),
        "new_story_df": pa.table({"key": [k for k, _ in rows.df], "df": [d for _, d in rows.df]}, schema=DF_SCHEMA),
        "replaced_articles": pa.table({"article_id": pa.array(list(rows.replace), pa.string())}),
    }


def write(con: duckdb.DuckDBPyConnection, rows: StoryRows) -> None:
    """Insert ``rows``; call inside the load's transaction (no BEGIN/COMMIT here)."""
    if not rows.members and not rows.df:
        return
    for name, table in tables(rows).items():
        con.register(name, table)
    if rows.replace:
        for t in ("story_members", "story_lsh", "story_keys"):
            con.execute(f"DELETE FROM {t} WHERE article_id IN (SELECT article_id FROM replaced_articles)")
    # No key indexes (migration 007): anti-joins keep article_id and key unique.
    con.execute("INSERT INTO story_members BY NAME SELECT * FROM new_story_members n"
                " WHERE NOT EXISTS (SELECT 1 FROM story_members m WHERE m.article_id = n.article_id)")
    con.execute("INSERT INTO story_lsh BY NAME SELECT * FROM new_story_lsh")
    con.execute("INSERT INTO story_keys BY NAME SELECT * FROM new_story_keys")
    # df += the batch's counts: merged rows replace the stored ones
    # (held as Arrow, not a temporary table: a lake's transaction writes to the lake only)
    merged = con.execute("SELECT n.key, (n.df + coalesce(d.df, 0))::INTEGER AS df"
                         " FROM (SELECT key, sum(df) AS df FROM new_story_df GROUP BY key) n"
                         " LEFT JOIN story_term_df d USING (key)").fetch_arrow_table()
    con.register("merged_story_df", merged)
    con.execute("DELETE FROM story_term_df WHERE key IN (SELECT key FROM merged_story_df)")
    con.execute("INSERT INTO story_term_df SELECT key, df FROM merged_story_df")
    con.unregister("merged_story_df")


class StoryStore:
    """Standalone use with its own connections (benchmarks, tools, tests)."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def lookup(self, sketches: Sequence[Sketch], window: timedelta = WINDOW) -> StoryKnown:
        with self.warehouse.connect() as con:
            return lookup(con, sketches, window)

    def save(self, rows: StoryRows) -> None:
        """Write ``rows`` in one transaction of their own."""
        self.warehouse.write(lambda con: write(con, rows), "saving story rows")
