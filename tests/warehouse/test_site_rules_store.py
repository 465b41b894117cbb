"""Learning site boilerplate is incremental and set-based: only sources that
gained articles since their rules were learned are learned again, with one
query for all of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flows.tasks import learn_rules
from newsflow.records import Article
from parsers.site_boilerplate import VERSION
from warehouse import Warehouse, pages

T0 = datetime(2026, 11, 1, tzinfo=UTC)
WORDS = "harbour council market school bridge festival election hospital river stadium".split()
FOOTER = "Subscribe to the Gazette for all the local news you need."


def _art(source: str, n: int, when: datetime) -> Article:
    aid = f"{source}-{n}"
    return Article(article_id=aid, url=f"https://{source}.example/{n}", canonical_url=f"https://{source}.example/{n}",
                   source=source, site=f"{source}.example", title=f"Story {n}", authors=(), published_at=when,
                   language="en", text=f"The {WORDS[n]} story from {source}, told in full.\n\n{FOOTER}", fetched_at=when,
                   http_status=200, extractor="t", content_hash=aid, story_id=aid)


def _load(wh: Warehouse, arts: list[Article], run: str = "r") -> None:
    wh.start_run(run, None, [])
    wh.load(run, arts, [], [], [], [], "v")


def test_only_sources_with_new_articles_are_learned_again(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    _load(wh, [_art(src, n, T0 + timedelta(hours=n)) for src in ("a", "b", "c") for n in range(6)])
    sources = ["a", "b", "c", "empty"]
    assert pages.sources_to_relearn(wh, sources, VERSION) == ["a", "b", "c"]  # never learned; "empty" has nothing
    rules = learn_rules.fn(wh, sources, "run-1")
    assert sorted(rules) == ["a", "b", "c"]
    assert all(len(r.rules) == 1 for r in rules.values())  # the footer, in 6 of 6 articles
    assert pages.sources_to_relearn(wh, sources, VERSION) == []  # nothing changed since
    assert learn_rules.fn(wh, sources, "run-2") == rules  # the stored rules, learned by run-1
    _, rows = wh.query("SELECT source, run_id FROM site_rules ORDER BY 1")
    assert rows == [("a", "run-1"), ("b", "run-1"), ("c", "run-1")]

    # b gains an article fetched after its rules were learned: only b is relearned
    _load(wh, [_art("b", 7, datetime.now(UTC) + timedelta(seconds=1))], "r2")
    assert pages.sources_to_relearn(wh, sources, VERSION) == ["b"]
    learn_rules.fn(wh, sources, "run-3")
    _, rows = wh.query("SELECT source, run_id, articles FROM site_rules ORDER BY 1")
    assert rows == [("a", "run-1", 6), ("b", "run-3", 7), ("c", "run-1", 6)]
    # rules of another learning version are learned again
    assert pages.sources_to_relearn(wh, sources, VERSION + 1) == ["a", "b", "c"]


def test_recent_texts_takes_the_latest_of_each_source_in_one_query(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    _load(wh, [_art(src, n, T0 + timedelta(hours=n)) for src in ("a", "b") for n in range(5)])
    got = pages.recent_texts(wh, ["a", "b", "none"], 3)
    assert [aid for aid, _, _ in got["a"]] == ["a-4", "a-3", "a-2"]
    assert [aid for aid, _, _ in got["b"]] == ["b-4", "b-3", "b-2"]
    assert got["none"] == []
