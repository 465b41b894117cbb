"""The language of an article comes from its text (parsers/language.py), and
extraction stores it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsflow.records import Article, Page
from parsers import language
from parsers.extract import extract_page
from parsers.language import LANGUAGES, detect_language, identify

EN = ("The government announced on Tuesday that it would tighten the rules for asylum seekers arriving by boat, "
      "after a week in which more than two thousand people crossed the Channel.")
FR = ("Le gouvernement a annoncé mardi qu'il allait durcir les règles pour les demandeurs d'asile arrivés par "
      "bateau, après une semaine où plus de deux mille personnes ont traversé la Manche.")
ES = ("El Gobierno anunció el martes que endurecerá las normas para los solicitantes de asilo que llegan en "
      "barco, después de una semana en la que más de dos mil personas cruzaron el estrecho.")
PT = ("O governo anunciou na terça-feira que vai endurecer as regras para os requerentes de asilo que chegam de "
      "barco, depois de uma semana em que mais de duas mil pessoas atravessaram o canal.")


@pytest.mark.parametrize(("text", "expected"), [(EN, "en"), (FR, "fr"), (ES, "es"), (PT, "pt")])
def test_the_text_decides_not_the_declared_language(text: str, expected: str) -> None:
    assert detect_language(text, None) == expected
    # a page or source that declares another language is overruled by its text
    assert detect_language(text, "de") == expected


def test_too_short_to_tell_falls_back_to_the_declared_language() -> None:
    short = "Réfugiés à Tanger"  # fewer than MIN_LETTERS letters
    assert sum(ch.isalpha() for ch in short) < language.MIN_LETTERS
    assert identify(short) is None
    assert detect_language(short, "fr") == "fr"
    assert detect_language(short, None) is None
    assert detect_language("", "en") == "en"


def test_an_unclear_text_falls_back_to_the_declared_language() -> None:
    found = identify("word " * 80)  # letters enough, but no language in particular
    assert found is not None and found[1] < language.MIN_CONFIDENCE
    assert detect_language("word " * 80, "fr") == "fr"


def test_the_identifier_is_restricted_to_news_languages() -> None:
    # short English lines go to Nigerian Pidgin or Latin in langid's full set
    # of languages; restricted to LANGUAGES they are English
    assert "pcm" not in LANGUAGES and "la" not in LANGUAGES and "en" in LANGUAGES
    line = "Nigerian women rescued from forced prostitution in Italy\nItalian police have fre"
    with_pidgin = identify(line, LANGUAGES + ("pcm",))
    assert with_pidgin is not None and with_pidgin[0] == "pcm"
    restricted = identify(line)
    assert restricted is not None and restricted[0] == "en"


def test_the_start_of_the_text_decides() -> None:
    # an English article followed by a long tail of comments in Spanish
    text = " ".join([EN, EN.replace("Tuesday", "Monday"), EN.replace("Tuesday", "Friday"),
                     EN.replace("Tuesday", "Sunday"), ES * 20])
    assert detect_language(text, None) == "en"


def _page(body: bytes) -> Page:
    return Page(url="https://x.example/a", final_url="https://x.example/a", source="src", status=200,
                content_type="text/html", charset="utf-8", body=body,
                fetched_at=datetime(2021, 4, 3, 12, 0, tzinfo=UTC))


def test_extraction_stores_the_texts_language() -> None:
    # an English template (<html lang="en">) around a French article
    paras = "".join(f"<p>{FR} ({i})</p>" for i in range(4))
    html = f'<html lang="en"><head><title>Asile</title></head><body><article><h1>Asile</h1>{paras}</article></body></html>'
    a = extract_page(_page(html.encode()), "en")
    assert isinstance(a, Article)
    assert a.language == "fr"
    # the same template around an English article
    paras = "".join(f"<p>{EN} ({i})</p>" for i in range(4))
    html = f'<html lang="fr"><head><title>Asylum</title></head><body><article><h1>Asylum</h1>{paras}</article></body></html>'
    a = extract_page(_page(html.encode()), "fr")
    assert isinstance(a, Article)
    assert a.language == "en"
