"""The taxonomy options that keep a tag to articles substantially about a
topic, in a language its terms are written for: languages, passage_chars,
core terms, min_sentences, and implies with counter-evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsflow.config import read_toml
from newsflow.errors import ConfigError
from newsflow.records import Article
from topics.tagger import article_language, tag_article
from topics.taxonomy import compile_taxonomy

REPO = Path(__file__).resolve().parents[2]
FILLER = "The council met on Tuesday to discuss the budget for the coming year and the repair of the old bridge. "


def article(title: str, text: str, lang: str | None) -> Article:
    return Article("id", "u", "u", "s", "s", title, (), None, lang, text, datetime(2021, 4, 1, tzinfo=UTC), 200, "t")


def topics(data: dict[str, Any], title: str, text: str, lang: str | None = "en") -> set[str]:
    return {t.topic for t in tag_article(article(title, text, lang), compile_taxonomy(data))}


def one(**options: Any) -> dict[str, Any]:
    """A one-topic taxonomy: x, with the terms "alpha" (strong) and "beta" (weak)."""
    topic = {"label": "X", "threshold": 0.6,
             "terms": [{"weight": 1.9, "phrases": ["alpha"]}, {"weight": 0.8, "phrases": ["beta"]}]}
    topic.update(options)
    return {"topics": {"x": topic}}


def test_every_shipped_topic_declares_its_languages() -> None:
    tx = compile_taxonomy(read_toml(REPO / "config" / "topics.toml"))
    for t in tx.topics:
        assert t.languages, t.key
        assert t.languages <= {"en", "fr", "es"}, t.key
    assert tx.get("migration").languages == {"en", "fr", "es"}
    assert tx.get("politics").languages == {"en", "fr"}


def test_bad_languages_are_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="languages"):
        compile_taxonomy(one(languages="en"))
    with pytest.raises(ConfigError, match="languages"):
        compile_taxonomy(one(languages=["english"]))


def test_no_tag_in_a_language_the_terms_do_not_cover() -> None:
    data = one(languages=["en", "es"])
    assert "x" in topics(data, "Alpha", "Alpha and beta.", "en")
    assert "x" in topics(data, "Alpha", "Alpha and beta.", "es")
    assert "x" not in topics(data, "Alpha", "Alpha and beta.", "pt")
    assert "x" not in topics(data, "Alpha", "Alpha and beta.", "PT-br")
    # a taxonomy that names no languages applies to any
    assert "x" in topics(one(), "Alpha", "Alpha and beta.", "pt")


def test_portuguese_is_not_tagged_with_spanish_terms() -> None:
    # Portuguese shares "refugiados", "migrantes", "imigrantes" with Spanish,
    # but the migration terms are written for en, fr and es only
    tx = compile_taxonomy(read_toml(REPO / "config" / "topics.toml"))
    title = "Refugiados e migrantes chegam a Lampedusa"
    text = ("Mais de quinhentos refugiados e migrantes chegaram a Lampedusa no domingo, depois de uma travessia "
            "de dois dias desde a Líbia. Os migrantes foram levados para o centro de acolhimento da ilha, onde os "
            "pedidos de asilo serão examinados; muitos refugiados vinham do Sudão e da Eritreia.")
    assert article_language(article(title, text, None)) == "pt"
    assert "migration" not in {t.topic for t in tag_article(article(title, text, None), tx)}
    # the same words in an article said to be Spanish are tagged: the terms match, the language decides
    assert "migration" in {t.topic for t in tag_article(article(title, text, "es"), tx)}


def test_an_article_without_a_language_is_identified_from_its_text() -> None:
    data = one(languages=["fr"])
    text = ("Alpha et beta : le conseil municipal s'est réuni mardi pour discuter du budget de l'année prochaine "
            "et de la réparation du vieux pont.")
    assert article_language(article("Alpha", text, None)) == "fr"
    assert "x" in topics(data, "Alpha", text, None)
    assert "x" not in topics(one(languages=["en"]), "Alpha", text, None)


def test_passage_counts_the_densest_stretch_not_scattered_mentions() -> None:
    mentions = ["Alpha was named. ", "Beta was named. ", "Beta again. ", "Beta once more. "]
    scattered = "".join(FILLER * 8 + m for m in mentions)  # about 800 characters apart
    dense = FILLER * 8 + "".join(mentions) + FILLER * 8
    # counted over the whole text, the four mentions tag wherever they are
    assert "x" in topics(one(threshold=0.7), "Council news", scattered)
    assert "x" in topics(one(threshold=0.7), "Council news", dense)
    # counted over the best passage, only the four in one stretch do
    assert "x" not in topics(one(threshold=0.7, passage_chars=700), "Council news", scattered)
    assert "x" in topics(one(threshold=0.7, passage_chars=700), "Council news", dense)


def test_core_terms_are_needed_supporting_terms_never_tag_alone() -> None:
    data = one()
    data["topics"]["x"]["terms"][0]["core"] = True  # alpha is core, beta supports it
    assert "x" not in topics(data, "Beta beta", "Beta, beta, beta and beta.")
    assert "x" in topics(data, "Beta beta", "Beta, beta and alpha.")
    with pytest.raises(ConfigError, match="core"):
        compile_taxonomy({"topics": {"x": {"label": "X", "terms": [{"weight": -1, "core": True, "phrases": ["a"]}]}}})


def test_one_sentence_of_a_long_text_is_a_passing_mention() -> None:
    one_sentence = FILLER * 6 + "Alpha and beta were named together in one sentence. " + FILLER * 6
    two_sentences = FILLER * 6 + "Alpha was named. Beta was named too. " + FILLER * 6
    short_text = "Alpha and beta, the council said on Tuesday."
    # one sentence with a strong and a weak term reaches the threshold...
    assert "x" in topics(one(), "Council news", one_sentence)
    # ...but not with min_sentences 2 in a text longer than a passage
    assert "x" not in topics(one(min_sentences=2, passage_chars=700), "Council news", one_sentence)
    assert "x" in topics(one(min_sentences=2, passage_chars=700), "Council news", two_sentences)
    # the title is a sentence of its own
    assert "x" in topics(one(min_sentences=2, passage_chars=700), "Alpha", one_sentence)
    # a text no longer than a passage may be tagged on one sentence
    assert "x" in topics(one(min_sentences=2, passage_chars=700), "Council news", short_text)
    # the file-level default applies to every topic
    data = one(passage_chars=700)
    data["min_sentences"] = 2
    assert "x" not in topics(data, "Council news", one_sentence)


def test_implies_needs_evidence_that_outweighs_counter_evidence() -> None:
    data = {"topics": {
        "attack": {"label": "A", "threshold": 0.5, "terms": [{"weight": 2.0, "phrases": ["bombing"]}], "implies": "t"},
        "t": {"label": "T", "threshold": 0.9, "terms": [{"weight": 0.5, "phrases": ["bomb*"]},
                                                       {"weight": -1.0, "phrases": ["army"]}]}}}
    text = "A bombing hit the market; the bomb was hidden in a cart."
    assert {"attack", "t"} <= topics(data, "Market", text)  # t below its threshold, tagged by implies
    assert topics(data, "Market", text + " The army cordoned off the area.") == {"attack"}
