"""Author names from the extractor's byline string, without the
organisations, URLs and page furniture that metadata often puts there.

trafilatura reads authors from JSON-LD, meta tags and bylines.  Publishers
fill those fields with their own name ("Condé Nast", "The Washington
Times"), a profile URL ("www.washingtontimes.com") or a desk ("CNBC.com
staff", "Telegraph Reporters").  A name is kept only when it is plausible as
a person's name:

* no URL or domain parts (``http``, ``www``, ``.com``, a word "com");
* no organisation word (staff, reporters, news, press, media, desk, ...),
  and not starting with "The";
* not the site's own name (``og:site_name``, or the domain's main label);
* at least two words when written in Latin letters (a lone word is a
  username, a brand or a column name), at most ``MAX_NAME_WORDS``;
* no digits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_NAME_WORDS = 5

ORGANISATION_WORDS = frozenset("""
staff reporter reporters writers editors editorial newsroom desk team agency agencies press news media
nast inc ltd llc plc group network wire wires services service times post journal magazine digital
online bureau reuters afp dpa associated correspondents contributors contributor partners company
corporation radio television tv channel daily weekly herald tribune gazette telegraph guardian
independent rédaction redaction journal équipe equipe admin administrator webmaster
""".split())

_SPLIT = re.compile(r"\s*(?:[;|,]|\band\b|\bet\b|&)\s*")
_URLISH = re.compile(r"https?|://|\bwww\b|\.(?:com|org|net|co|uk|fr|de|io|news)\b|\bcom\b", re.IGNORECASE)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


def is_plausible_name(name: str, site_names: Iterable[str] = ()) -> bool:
    """Whether ``name`` looks like a person's name (rules in the module doc)."""
    if not name or _URLISH.search(name) or re.search(r"\d", name):
        return False
    words = re.findall(r"[\w'’.-]+", _fold(name))
    if not words or len(words) > MAX_NAME_WORDS:
        return False
    if words[0] == "the" or any(w.strip(".") in ORGANISATION_WORDS for w in words):
        return False
    latin = all(ord(c) < 0x250 for c in name)
    if latin and len(words) < 2:
        return False
    flat = " ".join(words)
    return all(flat != " ".join(re.findall(r"[\w'’.-]+", _fold(s))) for s in site_names if s)


def parse_authors(value: str | None, site_names: Iterable[str] = ()) -> tuple[str, ...]:
    """The plausible person names in a byline string, in order, each once."""
    if not value:
        return ()
    sites = tuple(site_names)
    seen: list[str] = []
    for part in _SPLIT.split(value):
        part = re.sub(r"^(?:by|par)\s+", "", part.strip(" ,"), flags=re.IGNORECASE)
        if part and part not in seen and is_plausible_name(part, sites):
            seen.append(part)
    return tuple(seen)
