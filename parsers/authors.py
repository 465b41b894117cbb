"""Author names from the extractor's byline string, without the URLs and
page furniture that metadata often puts there.

trafilatura reads authors from JSON-LD, meta tags and bylines.  Publishers
fill those fields with people, but also with their own name ("Condé Nast",
"The Washington Times"), a profile URL ("www.washingtontimes.com"), a desk
("Telegraph Reporters"), credentials ("Dylan Bailey, MS, RD") or a sentence
("This post was written by ...").  The byline is split into parts, each
stripped of "By", "Written by" and the like; URLs, digits and credentials
go.  When some parts are plausible as a person's name, only those are
kept ("Condé Nast; Jane Mayer" is Jane Mayer); when none is, the byline is
the organisation, desk or single name the page states ("Reuters", "The
Lavazza Team", "Kristin"), which is kept rather than losing the author.
A person's name:

* no URL or domain parts (``http``, ``www``, ``.com``, a word "com");
* no organisation word (staff, reporters, news, press, media, desk, ...),
  and not starting with "The";
* not the site's own name (``og:site_name``, or the domain's main label),
  unless the site is the person's own (the name is the whole byline);
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


_PREFIX = re.compile(r"^(?:(?:this|the) (?:post|article|story) (?:was|is) )?(?:written|posted|reported|edited|"
                     r"reviewed)? ?(?:by|par)\s+|^(?:author|auteur|written by|posted by)\s*:?\s+", re.IGNORECASE)
# credentials and role words that are never a name on their own
_CREDENTIAL = re.compile(r"^(?:[A-Z]{2,5}|Ph\.?D\.?|M\.?D\.?|Jr\.?|Sr\.?|Dr\.?)$")
NOT_A_NAME = frozenset("admin administrator webmaster guest author auteur editor head user anonymous unknown "
                       "contributor staff".split())
MAX_BYLINE_WORDS = 6


def _parts(value: str) -> list[str]:
    parts: list[str] = []
    for part in _SPLIT.split(value):
        part = _PREFIX.sub("", part.strip(" ,.:;-–—|")).strip()
        words = part.split()
        if not part or _URLISH.search(part) or "@" in part or re.search(r"\d", part) or len(words) > MAX_BYLINE_WORDS:
            continue
        if _CREDENTIAL.match(part) or _fold(part) in NOT_A_NAME:
            continue
        if part not in parts:
            parts.append(part)
    return parts


def parse_authors(value: str | None, site_names: Iterable[str] = ()) -> tuple[str, ...]:
    """The authors in a byline string, in order, each once: the plausible
    person names, or, when there is none, the organisation or single name
    the byline gives (see the module doc)."""
    if not value:
        return ()
    sites = tuple(site_names)
    parts = _parts(value)
    people = [p for p in parts if is_plausible_name(p, sites)]
    return tuple(people) if people else tuple(parts)
