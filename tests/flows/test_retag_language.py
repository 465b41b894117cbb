"""retag reads each stored article's language from the warehouse (a real
DuckDB file): a topic whose terms do not cover it gives no tag, and a row
stored without a language is identified from its text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flows.ingest import DEFAULT_TOPICS
from flows.retag import run_retag
from newsflow.records import Article
from warehouse import Warehouse

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PT = ("Mais de quinhentos refugiados e migrantes chegaram a Lampedusa no domingo, depois de uma travessia de dois "
      "dias desde a Líbia. Os migrantes foram levados para o centro de acolhimento da ilha, onde os pedidos de "
      "asilo serão examinados; muitos refugiados vinham do Sudão e da Eritreia.")
FR = ("Plus de cinq cents migrants et réfugiés sont arrivés à Lampedusa dimanche après une traversée de deux jours "
      "depuis la Libye. Les demandeurs d'asile ont été conduits au centre d'accueil de l'île, où leurs demandes "
      "d'asile seront examinées ; beaucoup de réfugiés venaient du Soudan.")
EN = ("A car bomb exploded at a crowded market on Friday morning, killing 12 people and wounding 40, police said. "
      "A jihadist group claimed responsibility for the attack in a statement posted online.")


def art(aid: str, title: str, text: str, language: str | None) -> Article:
    return Article(article_id=aid, url=f"http://127.0.0.1:1/{aid}", canonical_url=f"https://x.example/{aid}",
                   source="src", site="x.example", title=title, authors=(), published_at=NOW, language=language,
                   text=text, fetched_at=NOW, http_status=200, extractor="t", content_hash=f"h-{aid}", story_id=aid)


def test_retag_uses_the_stored_language(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.migrate()
    wh.start_run("r1", None, ["src"])
    articles = [art("pt", "Refugiados chegam a Lampedusa", PT, "pt"),
                art("es", "Refugiados chegam a Lampedusa", PT, "es"),  # the same words, said to be Spanish
                art("fr", "Des réfugiés arrivent à Lampedusa", FR, None),  # stored without a language
                art("en", "Car bomb kills 12 at market", EN, "en")]
    wh.load("r1", articles, [], [], [], [], "v0")
    _, rows = wh.query("SELECT article_id, language FROM articles ORDER BY 1")
    assert rows == [("en", "en"), ("es", "es"), ("fr", None), ("pt", "pt")]

    result = run_retag(wh, str(DEFAULT_TOPICS))
    assert result["articles"] == 4
    _, rows = wh.query("SELECT article_id, topic FROM article_topics WHERE topic IN "
                       "('migration', 'terrorism', 'terrorist_attack') ORDER BY 1, 2")
    assert rows == [("en", "terrorism"), ("en", "terrorist_attack"), ("es", "migration"), ("fr", "migration")]
    assert result["changes"]["terrorist_attack"] == {"added": 1, "removed": 0}
