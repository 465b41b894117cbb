"""Title, author and date of a page.

trafilatura's metadata steps (meta tags, JSON-LD, byline elements) find the
candidates; newsflow chooses among them:

* **Title**: the page's visible headline, its first ``<h1>``, when it is
  the article's (it shares most of its words with ``og:title`` or
  ``<title>``, or it is the only ``<h1>``); else the metadata title without
  the site's name (" | Site", " - Site", "Site: ").  Metadata titles are
  written for search results and social cards ("Best Tax Preparation
  Software | Accounting.com"); the ``<h1>`` is what the reader sees.
* **Date**: htmldate (``original_date``: the publication, not the last
  update), in the page's own time zone, so the day is the one the page
  prints.  Its extensive search hands free text to dateparser, which, given
  no language, tries every locale it knows for each string (0.065 s a page
  on the 7% of real pages that reach it, a fifth of all extraction time).
  newsflow gives dateparser the page's declared language and English.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import lxml.html
from htmldate import find_date
from htmldate import extractors as htmldate_extractors
from trafilatura.metadata import examine_meta, extract_author, extract_meta_json, extract_title, extract_url
from trafilatura.settings import Document

_log = logging.getLogger(__name__)

DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}
DATE_LANGUAGES = ("en", "fr")  # always tried beside the page's own language
H1_AGREEMENT = 0.5  # share of the h1's words found in og:title or <title> for it to be the headline
TITLE_MAX_CHARS = 300
_SEPARATORS = re.compile(r"\s+[|–—•·:-]\s+|\s+[|–—•·]|[|–—•·]\s+")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _clean(text: str) -> str:
    return " ".join(text.split())


def choose_title(tree: lxml.html.HtmlElement, meta_title: str | None, site_names: Sequence[str]) -> str | None:
    """The article's headline (see the module doc)."""
    candidates = [_clean(str(t)) for t in tree.xpath('//head/meta[@property="og:title"]/@content'
                                                      ' | //head/meta[@name="twitter:title"]/@content'
                                                      ' | //head/title/text()')]
    if meta_title:
        candidates.insert(0, _clean(meta_title))
    candidates = [c for c in candidates if c]
    h1s = [_clean(h.text_content()) for h in tree.xpath("//body//h1")[:5]]
    h1s = [h for h in h1s if h and len(h) <= TITLE_MAX_CHARS]
    if h1s:
        pool = {w for c in candidates for w in _words(c)}
        for h1 in h1s:
            words = _words(h1)
            if words and (sum(w in pool for w in words) / len(words) >= H1_AGREEMENT or len(h1s) == 1 and not pool):
                return h1
    return strip_site_name(candidates[0], site_names) if candidates else (h1s[0] if h1s else None)


def strip_site_name(title: str, site_names: Sequence[str]) -> str:
    """``title`` without a leading or trailing part that is the site's name
    (or a short part after the last separator, as "| Google Cloud")."""
    parts = [p for p in _SEPARATORS.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    names = {" ".join(_words(n)) for n in site_names if n}
    names |= {n.replace(" ", "") for n in names}

    def is_site(part: str) -> bool:
        flat = " ".join(_words(part))
        return flat in names or flat.replace(" ", "") in names or any(
            n and (flat.replace(" ", "").startswith(n.replace(" ", "")) and len(n) >= 4) for n in names)
    if is_site(parts[-1]):
        parts = parts[:-1]
    elif is_site(parts[0]):
        parts = parts[1:]
    else:
        return title
    # keep the title's own separators between the remaining parts
    first, last = parts[0], parts[-1]
    start = title.find(first)
    end = title.rfind(last) + len(last)
    return title[start:end].strip() if 0 <= start < end else title


@lru_cache(maxsize=32)
def _date_parser(languages: tuple[str, ...]) -> Any:
    from dateparser import DateDataParser

    # htmldate's own settings (htmldate.extractors.get_external_parser), with languages
    return DateDataParser(languages=list(languages), settings={
        "NORMALIZE": True, "PARSERS": ["custom-formats", "absolute-time"], "PREFER_DATES_FROM": "past",
        "PREFER_LOCALE_DATE_ORDER": True, "RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": True})


def _known_language(code: str | None) -> str | None:
    if not code:
        return None
    from dateparser.data.languages_info import language_order

    return code if code in language_order else None


@contextmanager
def _date_languages(language: str | None) -> Iterator[None]:
    """htmldate's external parser restricted to the page's language and
    ``DATE_LANGUAGES`` while one page is searched.  htmldate takes no
    parser argument, so its module function is swapped and put back;
    extraction is single-threaded per process."""
    langs = tuple(dict.fromkeys([lang for lang in (_known_language(language),) if lang] + list(DATE_LANGUAGES)))
    original = htmldate_extractors.get_external_parser
    htmldate_extractors.get_external_parser = lambda: _date_parser(langs)  # type: ignore[assignment]
    try:
        yield
    finally:
        htmldate_extractors.get_external_parser = original  # type: ignore[assignment]


def page_metadata(tree: lxml.html.HtmlElement, url: str, language: str | None) -> Document:
    """Title, author and date as ``trafilatura.metadata.extract_metadata``
    finds them (the same steps, in its order, with the same date
    parameters), without what it also extracts and newsflow does not use:
    site name, categories, tags and licence.  Ties us to trafilatura's
    metadata module, which is why trafilatura is pinned."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception as exc:  # noqa: BLE001 - as extract_metadata does: a bug in trafilatura's JSON-LD reader loses the JSON-LD, not the page
        _log.warning("JSON-LD metadata of %s skipped after an error in trafilatura: %r", url, exc)
    if not meta.title:
        meta.title = extract_title(tree)
    if not meta.author:
        meta.author = extract_author(tree)
    if not meta.url:
        meta.url = extract_url(tree, url)
    with _date_languages(language):
        meta.date = find_date(tree, **{**DATE_PARAMS, "url": meta.url})
    meta.clean_and_trim()
    return meta


def parse_date(value: str | None) -> tuple[datetime | None, bool]:
    """(timestamp in the page's own offset, has a time) from htmldate's output."""
    if not value:
        return None, False
    for fmt, has_time in (("%Y-%m-%dT%H:%M:%S%z", True), ("%Y-%m-%dT%H:%M:%S", True), ("%Y-%m-%d", False)):
        try:
            dt = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt, has_time and not (dt.hour == dt.minute == dt.second == 0)
    return None, False


def pick_date(extracted: str | None, feed: datetime | None, fetched_at: datetime) -> datetime | None:
    """The page's date; the feed's date when the page has none, or when the
    page gives only a day and the feed a time on that day.  A page's date
    keeps the page's offset: the instant is the same, and the day is the one
    the page prints (converted to UTC, 7 of 791 benchmark pages moved a day)."""
    page_dt, has_time = parse_date(extracted)
    if page_dt is not None and page_dt > fetched_at + timedelta(days=1):
        page_dt = None  # a date in the future is a parsing accident
    if page_dt is None:
        return feed
    if not has_time and feed is not None and feed.date() == page_dt.date():
        return feed
    return page_dt
