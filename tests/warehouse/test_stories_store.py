"""The DuckDB side of story lookups, on real DuckDB files."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from newsflow.records import Article
from stories.dedupe import Known, dedupe, fingerprint, sketch
from warehouse import stories_store
from warehouse.stories_store import StoryStore
from warehouse.store import Warehouse

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
WIRE = ("Police in five countries arrested 42 people suspected of smuggling migrants across the Mediterranean, "
        "INTERPOL said on Tuesday, after a two-year investigation code-named Operation Mare Nostrum. The suspects "
        "are accused of organising crossings from Libya and Tunisia to Italy and Malta in overcrowded rubber boats, "
        "charging up to 4,000 euros a person, according to a statement from the agency's headquarters in Lyon. "
        "Investigators seized 1.2 million euros in cash, 37 vehicles and a fishing trawler used as a mother ship.")
REWRITE = ("INTERPOL says police in Italy, Malta, Tunisia, Spain and Greece arrested 42 suspected people smugglers "
           "in Operation Mare Nostrum. The network charged migrants up to 4,000 euros to cross from Libya and "
           "Tunisia in rubber boats, the agency said from Lyon; investigators seized cash, vehicles and a trawler.")
OTHER = ("Spanish police dismantled a gang that smuggled migrants from Morocco to the Canary Islands in speedboats, "
         "the interior ministry in Madrid said on Thursday, arresting 19 people in Almeria and Las Palmas. The group "
         "charged each passenger about 2,500 euros and hid people in a warehouse near Nador before departures.")


def art(aid: str, text: str, hours: float, title: str = "Smuggling arrests") -> Article:
    url = f"https://{aid}.example/n/{aid}"
    return Article(article_id=aid, url=url, canonical_url=url, source=aid, site=f"{aid}.example", title=title,
                   authors=(), published_at=T0 + timedelta(hours=hours), language="en", text=text,
                   fetched_at=T0 + timedelta(days=1), http_status=200, extractor="t")


def run(store: StoryStore, arts: list[Article]) -> dict[str, tuple[str, str | None]]:
    hashed = fingerprint(arts)
    sk = sketch(hashed)
    result = dedupe(hashed, Known(stories=store.lookup(sk)), sk)
    store.save(result.story_rows)
    return {a.article_id: (a.story_id, a.duplicate_of) for a in result.articles}


def test_migration_creates_the_tables_and_keeps_the_stories_view(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    assert 3 in wh.migrate()
    with wh.connect() as con:
        cols = [r[0] for r in con.execute("DESCRIBE stories").fetchall()]
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert cols[:7] == ["story_id", "title", "first_seen_at", "last_seen_at", "article_count", "source_count",
                        "sources"]
    assert {"story_members", "story_lsh", "story_keys", "story_term_df"} <= tables


def test_later_batches_find_copies_and_stories_through_the_warehouse(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    store = StoryStore(wh)
    assert run(store, [art("wire", WIRE, 0), art("spain", OTHER, 1)]) == {
        "wire": ("wire", None), "spain": ("spain", None)}
    # a later run, in a new process as far as dedupe knows: only the warehouse remembers
    got = run(store, [art("copy", WIRE + " Eleven suspects were detained in Sicily.", 6),
                      art("bbc", REWRITE, 8, title="INTERPOL: 42 smugglers held")])
    assert got == {"copy": ("wire", "wire"), "bbc": ("wire", None)}
    with wh.connect() as con:
        members = con.execute("SELECT article_id, story_id FROM story_members ORDER BY 1").fetchall()
        bands = con.execute("SELECT count(*), count(DISTINCT article_id) FROM story_lsh").fetchone()
        n_df = con.execute("SELECT max(df) FROM story_term_df").fetchone()
        df_keys = con.execute("SELECT count(*) = count(DISTINCT key) FROM story_term_df").fetchone()
    assert df_keys == (True,)  # the second batch's counts were merged, not appended (no key index since 007)
    assert members == [("bbc", "wire"), ("copy", "wire"), ("spain", "spain"), ("wire", "wire")]
    assert bands == (4 * 42, 4)
    assert n_df is not None and n_df[0] >= 3


def test_outside_the_time_window_a_similar_report_starts_a_new_story(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    store = StoryStore(wh)
    run(store, [art("wire", WIRE, 0)])
    assert run(store, [art("bbc", REWRITE, 24 * 10)]) == {"bbc": ("bbc", None)}


def test_updated_article_replaces_its_rows(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    store = StoryStore(wh)
    run(store, [art("wire", WIRE, 0)])
    first = fingerprint([art("wire", WIRE, 0)])[0]
    from stories.dedupe import Stored
    known = Known(canonical_urls={first.canonical_url: Stored("wire", first.content_hash, "wire")})
    new = fingerprint([art("wire", WIRE + " Two more suspects were arrested on Wednesday in Athens.", 0)])
    result = dedupe(new, known, sketch(new))
    assert [u.article_id for u in result.updates] == ["wire"] and result.story_rows.replace == ("wire",)
    store.save(result.story_rows)
    with wh.connect() as con:
        assert con.execute("SELECT count(*) FROM story_members").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM story_lsh").fetchone() == (42,)


def test_write_inserts_in_bulk_inside_a_callers_transaction(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    arts = fingerprint([art(f"a{i}", f"{OTHER} Story number {i} of the day, with {i} extra details.", i)
                        for i in range(20)])
    rows = dedupe(arts, Known()).story_rows
    tables = stories_store.tables(rows)
    assert all(isinstance(t, pa.Table) for t in tables.values())
    with wh.connect() as con:
        con.execute("BEGIN TRANSACTION")
        stories_store.write(con, rows)
        con.execute("ROLLBACK")
        assert con.execute("SELECT count(*) FROM story_members").fetchone() == (0,)
        con.execute("BEGIN TRANSACTION")
        stories_store.write(con, rows)
        con.execute("COMMIT")
        assert con.execute("SELECT count(*) FROM story_members").fetchone() == (20,)


def test_lookup_keeps_the_members_of_a_big_story_closest_to_the_batch(tmp_path: Path) -> None:
    from stories.cluster import MAX_MEMBERS
    from stories.features import feature_key

    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    key = feature_key("w:mauritania")
    n = 3 * MAX_MEMBERS
    with wh.connect() as con:  # one story of 120 members, one an hour, the newest 1 h before the batch
        con.execute("INSERT INTO story_members SELECT 'm' || i, 'big', NULL, ?::TIMESTAMPTZ - to_hours(i + 1),"
                    " NULL, [?], [1.0], [], [] FROM range(?) t(i)", [T0, key, n])
        con.execute("INSERT INTO story_keys SELECT ?, 'big', 'm' || i, ?::TIMESTAMPTZ - to_hours(i + 1)"
                    " FROM range(?) t(i)", [key, T0, n])
    sk = sketch(fingerprint([art("new", OTHER + " Mauritania.", 0)]))
    known = stories_store.StoryStore(wh).lookup(sk)
    got = sorted(int(m.article_id[1:]) for m in known.members if m.story_id == "big")
    assert got == list(range(2 * MAX_MEMBERS))  # the 80 nearest in time, not all 120


def test_spans_merge_overlapping_windows_and_keep_far_times_apart() -> None:
    w = timedelta(days=4)
    times = [T0, T0 + timedelta(days=1), T0 - timedelta(days=400), T0 + timedelta(days=7)]
    assert stories_store.spans(times, w) == [
        (T0 - timedelta(days=404), T0 - timedelta(days=396), T0 - timedelta(days=400), T0 - timedelta(days=400)),
        (T0 - w, T0 + timedelta(days=11), T0, T0 + timedelta(days=7)),
    ]


def test_an_old_dated_article_does_not_pull_in_everything_stored_since(tmp_path: Path) -> None:
    """A batch of today's articles plus one page that claims a date 100 days
    back: the lookup holds the members near either date, not the 100 days
    of stories in between (which a single min-max range would)."""
    from stories.features import feature_key

    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    key = feature_key("w:mauritania")
    with wh.connect() as con:  # one story a day for 120 days, each filed under the same key
        con.execute("INSERT INTO story_members SELECT 'd' || i, 's' || i, NULL, ?::TIMESTAMPTZ - to_days(i),"
                    " NULL, [?], [1.0], [], [] FROM range(120) t(i)", [T0, key])
        con.execute("INSERT INTO story_keys SELECT ?, 's' || i, 'd' || i, ?::TIMESTAMPTZ - to_days(i)"
                    " FROM range(120) t(i)", [key, T0])
    today = art("today", OTHER + " Mauritania.", 0)
    old = replace(art("old", WIRE + " Mauritania.", 0), published_at=T0 - timedelta(days=100))
    known = StoryStore(wh).lookup(sketch(fingerprint([today, old])))
    got = sorted(int(m.article_id[1:]) for m in known.members)
    assert got == [0, 1, 2, 3, 4, 96, 97, 98, 99, 100, 101, 102, 103, 104]
