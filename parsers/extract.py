"""A fetched page to an :class:`Article`: trafilatura first, then cleaning.

``extract_page`` is pure and deterministic.  It returns an Article or a
Drop with the reason; it never raises for a bad page.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import lxml.etree
import lxml.html
import trafilatura

from newsflow.errors import ExtractError
from newsflow.records import Article, Drop, Page
from parsers.boilerplate import clean_text
from parsers.page_structure import prune_invisible
from parsers.html import canonical_link, decode_html, page_language, parse_tree
from parsers.urls import article_id, canonicalize, site_of

CLEANER_VERSION = "1"
EXTRACTOR = f"trafilatura-{trafilatura.__version__}+clean-{CLEANER_VERSION}"
MIN_WORDS = 40  # below this a page is a stub, a gallery or a paywall teaser...
MIN_CHARS = 200  # ...unless it is long in characters (scripts written without spaces)
MIN_SUMMARY_WORDS = 25  # a feed summary this long stands in for a page we cannot extract
FEED_SUMMARY_EXTRACTOR = "feed-summary"

# Hidden elements hold structured-data or AMP copies of the article, cookie
# banners and the like; they are never visible article text.
HIDDEN_XPATH = [
    "//*[@hidden]",
    "//*[@aria-hidden='true']",
    "//*[contains(translate(@style, ' ', ''), 'display:none')]",
    "//*[contains(translate(@style, ' ', ''), 'visibility:hidden')]",
]
_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


def _parse_date(value: str | None) -> tuple[datetime | None, bool]:
    """(timestamp, has_time) from htmldate's output."""
    if not value:
        return None, False
    for fmt, has_time in (("%Y-%m-%dT%H:%M:%S%z", True), ("%Y-%m-%dT%H:%M:%S", True), ("%Y-%m-%d", False)):
        try:
            dt = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.astimezone(UTC), has_time and not (dt.hour == dt.minute == dt.second == 0)
    return None, False


def _pick_date(extracted: str | None, feed: datetime | None, fetched_at: datetime) -> datetime | None:
    """The page's date; the feed's date when the page has none, or when the
    page gives only a day and the feed a time on that day."""
    page_dt, has_time = _parse_date(extracted)
    if page_dt is not None and page_dt > fetched_at + timedelta(days=1):
        page_dt = None  # a date in the future is a parsing accident
    if page_dt is None:
        return feed
    if not has_time and feed is not None and feed.date() == page_dt.date():
        return feed
    return page_dt


def _authors(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    parts = re.split(r"\s*(?:;|\band\b|\bet\b|&)\s*", value)
    seen: list[str] = []
    for p in parts:
        p = p.strip(" ,")
        if p and p not in seen:
            seen.append(p)
    return tuple(seen)


def _summary_text(summary: str | None) -> str | None:
    """A feed item's summary as plain text, if long enough to stand in for
    the article (paywalled or script-rendered pages)."""
    if not summary:
        return None
    try:
        text = lxml.html.fragment_fromstring(summary, create_parent="div").text_content()
    except (lxml.etree.ParserError, ValueError):
        text = summary
    text = " ".join(text.split())
    return text if len(text.split()) >= MIN_SUMMARY_WORDS else None


def extract_page(page: Page, language: str | None = None) -> Article | Drop:
    """Extract one page.  ``language`` is the source's default language."""
    try:
        html_text, _encoding = decode_html(page.body, page.charset)
        tree = parse_tree(html_text)
    except ExtractError as exc:
        return Drop("extract", page.source, page.url, exc.reason, exc.message)

    canonical = canonicalize(canonical_link(tree, page.final_url) or page.final_url)
    lang = page_language(tree) or language
    prune_invisible(tree)
    doc = trafilatura.bare_extraction(
        tree,
        url=page.final_url,
        include_comments=False,
        with_metadata=True,
        include_tables=False,
        date_extraction_params=_DATE_PARAMS,
    )
    entry = page.entry
    title = ((doc.title if doc is not None else None) or (entry.title if entry else None) or None)
    text, removed = clean_text(doc.text, title) if doc is not None and doc.text else ("", [])
    extractor = EXTRACTOR
    words = len(text.split())
    if words < MIN_WORDS and len(text) < MIN_CHARS:
        fallback = _summary_text(entry.summary if entry else None)
        if fallback is None:
            reason = "no_content" if doc is None or not doc.text else "too_short"
            return Drop("extract", page.source, page.url, reason,
                        f"{words} words after cleaning (minimum {MIN_WORDS}) and no usable feed summary")
        text, removed, extractor = fallback, [], FEED_SUMMARY_EXTRACTOR

    feed_date = entry.published_at if entry else None
    return Article(
        article_id=article_id(canonical),
        url=page.final_url,
        canonical_url=canonical,
        source=page.source,
        site=site_of(canonical),
        title=title,
        authors=_authors(doc.author if doc is not None else None),
        published_at=_pick_date(doc.date if doc is not None else None, feed_date, page.fetched_at),
        language=lang,
        text=text,
        fetched_at=page.fetched_at,
        http_status=page.status,
        extractor=extractor,
        removed=tuple(removed),
    )
