"""Full-text search (warehouse/search.py): BM25 ranking, replace by id,
English and French analysis, and joins to the warehouse by article_id."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsflow.records import Article
from warehouse import Warehouse
from warehouse.search import (
    SearchError,
    SearchIndex,
    SearchRow,
    hits_table,
    index_path,
    rows_from_articles,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FILLER = "The council met on Tuesday to discuss the budget for the coming year and the state of the roads."


def row(aid: str, title: str, text: str, language: str = "en", source: str = "src") -> SearchRow:
    return (aid, title, text, datetime(2026, 1, 2, 3, 4, tzinfo=UTC), source, language)


def art(aid: str, title: str, text: str, language: str = "en") -> Article:
    return Article(article_id=aid, url=f"http://127.0.0.1:1/{aid}", canonical_url=f"https://x.example/{aid}",
                   source="src", site="x.example", title=title, authors=("A. Writer",),
                   published_at=datetime(2026, 4, 11, 14, 2, tzinfo=UTC), language=language, text=text,
                   fetched_at=NOW, http_status=200, extractor="t", content_hash=f"h-{aid}", story_id=aid)


def test_a_rarer_term_ranks_its_document_higher(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "w.duckdb.search")
    rows = [row(f"f{i}", "Council", f"{FILLER} Harbour works continue.") for i in range(8)]
    rows += [row("common", "Report", f"{FILLER} The harbour was busy."),
             row("rare", "Report", f"{FILLER} The lighthouse was busy.")]
    assert index.index(rows) == 10
    hits = index.search("harbour lighthouse", limit=3)
    assert hits[0][0] == "rare"  # "lighthouse" is in 1 document, "harbour" in 9
    assert hits[0][1] > hits[1][1] > 0
    assert [aid for aid, _ in index.search("lighthouse")] == ["rare"]
    # every term required: nothing holds both
    assert index.search("harbour lighthouse", match_all=True) == []


def test_title_matches_weigh_more_than_text_matches(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "s")
    index.index([row("in-title", "Drought in the Sahel", FILLER + " Farmers wait."),
                 row("in-text", "Farmers wait", FILLER + " Drought in the Sahel.")])
    assert [aid for aid, _ in index.search("drought")] == ["in-title", "in-text"]


def test_indexing_the_same_id_replaces_the_article(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "s")
    index.index([row("a", "Old headline", "Flooding closed the northern motorway."), row("b", "Other", FILLER)])
    assert [aid for aid, _ in index.search("flooding")] == ["a"]
    index.index([row("a", "New headline", "Wildfires reached the valley.")])
    assert index.search("flooding") == []
    assert [aid for aid, _ in index.search("wildfires")] == ["a"]
    assert index.count() == 2
    # a second handle on the same folder (another process, say) sees the commit
    assert [aid for aid, _ in SearchIndex(tmp_path / "s").search("valley")] == ["a"]
    index.delete(["a"])
    assert index.search("wildfires") == [] and index.count() == 1


def test_french_matches_without_accents_and_across_word_forms(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "s")
    index.index([
        row("fr", "Les élections présidentielles au Sénégal",
            "Des réfugiés ont traversé la frontière. L'immigration irrégulière a augmenté.", language="fr"),
        row("fr2", "Economie", "Le prix du pain a augmente dans les marches de Dakar.", language="fr"),
        row("en", "Elections in Ghana", "Voters queued for hours in Accra.", language="en"),
    ])
    assert [aid for aid, _ in index.search("senegal")] == ["fr"]  # accent folded in the document
    assert [aid for aid, _ in index.search("frontiere refugies")] == ["fr"]
    assert [aid for aid, _ in index.search("réfugié")] == ["fr"]  # singular finds the plural (French stemmer)
    assert index.search("marchés augmenté")[0][0] == "fr2"  # accent in the query only
    assert [aid for aid, _ in index.search("immigration")] == ["fr"]  # l'immigration: elision split off
    assert [aid for aid, _ in index.search("l'immigration")] == ["fr"]  # not valid query syntax: searched as words
    assert {aid for aid, _ in index.search("élection")} == {"fr", "en"}
    assert [aid for aid, _ in index.search("élection", language="fr")] == ["fr"]


def test_query_syntax_phrases_and_bad_input(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "s")
    index.index([row("a", "t", "Police dismantled a human trafficking network."),
                 row("b", "t", "Human rights groups criticised drug trafficking laws.")])
    assert [aid for aid, _ in index.search('"human trafficking"')] == ["a"]
    assert {aid for aid, _ in index.search("human trafficking")} == {"a", "b"}
    assert [aid for aid, _ in index.search("trafficking -drug")] == ["a"]
    assert index.search("") == [] and index.search("*") == [] and index.search("the") == []
    assert {aid for aid, _ in index.search("trafficking AND")} == {"a", "b"}
    assert index.search("trafficking", limit=0) == []


def test_searching_without_an_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SearchError, match="no search index at"):
        SearchIndex(tmp_path / "none").search("anything")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("not an index")
    with pytest.raises(SearchError, match="not a newsflow search index"):
        SearchIndex(tmp_path / "other").index([row("a", "t", "x")])


def test_results_join_to_the_warehouse_by_article_id(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    wh = Warehouse(db)
    wh.migrate()
    articles = [art("a1", "Smugglers arrested in Agadez", "Police arrested three smugglers near the bus station."),
                art("a2", "Budget vote", FILLER),
                art("a3", "Passeurs arrêtés", "La police a arrêté des passeurs à la gare routière.", language="fr")]
    wh.load("r1", articles, [], [], [], [], "v1")
    index = SearchIndex.for_warehouse(db)
    assert index.path == index_path(db) == tmp_path / "w.duckdb.search"
    index.index(rows_from_articles(articles))

    hits = index.search("smugglers arrested passeurs", limit=10)
    assert {aid for aid, _ in hits} == {"a1", "a3"}
    with wh.connect(read_only=True) as con:
        con.register("hits", hits_table(hits))
        rows = con.execute("SELECT h.rank, a.article_id, a.title, a.source, a.story_id FROM hits h"
                           " JOIN articles a USING (article_id) ORDER BY h.rank").fetchall()
    assert [r[1] for r in rows] == [aid for aid, _ in hits]
    assert {r[2] for r in rows} == {"Smugglers arrested in Agadez", "Passeurs arrêtés"}
    # the stories view joins through articles.story_id
    with wh.connect(read_only=True) as con:
        con.register("hits", hits_table(hits))
        stories = con.execute("SELECT DISTINCT s.story_id FROM hits h JOIN articles a USING (article_id)"
                              " JOIN stories s ON s.story_id = a.story_id").fetchall()
    assert {s[0] for s in stories} == {"a1", "a3"}

    # a rebuild from the warehouse gives the same answers
    index.path.joinpath("stale-marker").write_text("from the old folder")
    assert index.rebuild_from(wh) == 3
    assert not index.path.joinpath("stale-marker").exists()
    again = index.search("smugglers arrested passeurs", limit=10)
    assert [aid for aid, _ in again] == [aid for aid, _ in hits]
    assert [score for _, score in again] == pytest.approx([score for _, score in hits])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb", "w.duckdb.search"]
