"""A fetched page to an :class:`Article`: trafilatura first, then cleaning.

``extract_page`` is pure and deterministic.  It returns an Article or a
Drop with the reason; it never raises for a bad page.

Steps (each rule documented in its module):

1. decode and parse; canonical URL, language;
2. prune what is never article text (hidden copies, social embeds,
   captions, promo/related/newsletter blocks): :mod:`parsers.page_structure`;
3. trafilatura (comments and tables off) for the body, in fast mode unless
   its result is doubtful (:func:`full_cascade_reason`); trafilatura's
   metadata steps for title, author and date;
4. add body paragraphs trafilatura left in sibling containers (live blogs,
   bodies split by ads);
5. paragraph rules (headline repeats, widgets, prompts, teasers, credits,
   bylines, related links, bios, trailing teaser sections):
   :mod:`parsers.boilerplate`;
6. put back the standfirst and key-points box when the page prints them;
7. the site's learned boilerplate, if given: :mod:`parsers.site_boilerplate`;
8. authors filtered to plausible person names: :mod:`parsers.authors`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import lxml.etree
import lxml.html
import trafilatura
from htmldate import find_date
from trafilatura.external import SANITIZED_XPATH
from trafilatura.metadata import examine_meta, extract_author, extract_meta_json, extract_title, extract_url
from trafilatura.settings import Document

from newsflow.errors import ExtractError
from newsflow.isolation import isolated
from newsflow.records import Article, Drop, Page, Removal
from parsers.authors import parse_authors
from parsers.boilerplate import clean_paragraphs, norm_line
from parsers.html import canonical_link, decode_html, page_language, parse_tree
from parsers.page_structure import (descriptions, find_standfirst, headline_candidates, key_points, link_texts,
                                    merge_paragraphs, prune_non_article, sibling_paragraphs)
from parsers.site_boilerplate import SiteRules, apply_site_rules
from parsers.urls import article_id, canonicalize, site_of

_log = logging.getLogger(__name__)

CLEANER_VERSION = "3"  # bump when a rule changes: stored text may then be reprocessed
EXTRACTOR = f"trafilatura-{trafilatura.__version__}+clean-{CLEANER_VERSION}"
MIN_WORDS = 40  # below this a page is a stub, a gallery or a paywall teaser...
MIN_CHARS = 200  # ...unless it is long in characters (scripts written without spaces)
MIN_SUMMARY_WORDS = 25  # a feed summary this long stands in for a page we cannot extract
FEED_SUMMARY_EXTRACTOR = "feed-summary"

FULL_BELOW = 1000  # fast-mode texts shorter than this go through trafilatura's full cascade
# how newsflow calls trafilatura.bare_extraction (metadata: see _metadata)
TRAFILATURA_OPTIONS = {"include_comments": False, "with_metadata": False, "include_tables": False}
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


def _site_names(tree: lxml.html.HtmlElement, site: str) -> tuple[str, ...]:
    """The site's own names, which are never authors: ``og:site_name`` and
    the main label of its domain ("washingtontimes" for washingtontimes.com)."""
    names = [str(v) for v in tree.xpath('//head/meta[@property="og:site_name"]/@content')]
    label = site.split(".")[-2] if site.count(".") >= 1 else site
    return tuple(names + [label, site])


def _body_paragraphs(tree: lxml.html.HtmlElement, text: str) -> list[str]:
    """trafilatura's lines plus the paragraphs it left in sibling containers
    (see :func:`parsers.page_structure.sibling_paragraphs`)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return merge_paragraphs(lines, sibling_paragraphs(tree, lines))


def _with_summary(tree: lxml.html.HtmlElement, html: str, kept: list[str],
                  clean: Callable[[list[str]], list[str]]) -> list[str]:
    """``kept`` with, in front, the page's standfirst (when the page prints
    its meta description visibly) and its key-points list, each only when
    the extracted text lacks it.  Both go through the same cleaning rules."""
    body = norm_line(" ".join(kept))
    points = [p for p in key_points(tree, html) if norm_line(p) not in body]
    front = clean(points) if points else []
    for description in descriptions(tree):
        if norm_line(description) in body:
            break
        standfirst = find_standfirst(tree, description)
        if standfirst is None:
            continue
        if norm_line(standfirst) not in body:
            front = clean([standfirst]) + front
        break
    return front + kept


def _metadata(tree: lxml.html.HtmlElement, url: str) -> Document:
    """Title, author and date as ``trafilatura.metadata.extract_metadata``
    finds them (the same steps, in its order, with the same date parameters),
    without what it also extracts and newsflow does not use: site name,
    categories, tags and licence (about 8% of the extractor's time).  Ties
    us to trafilatura's metadata module, which is why trafilatura is pinned;
    ``tests/parsers`` compares both on every dev page."""
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
    meta.date = find_date(tree, **{**_DATE_PARAMS, "url": meta.url})
    meta.clean_and_trim()
    return meta


def full_cascade_reason(doc: Document | None) -> str | None:
    """Why a fast-mode result needs trafilatura's full cascade, or None.

    Fast mode skips the comparison with readability and justext (stages 2
    and 4 of ``trafilatura_sequence``).  They can change the result only
    when the main extractor's text is empty or short (justext below
    ``MIN_EXTRACTED_SIZE``, the recall escalation below 3,000 characters
    covering under a fifth of the page), keeps elements trafilatura calls
    unclean, has no paragraph text or more tables than paragraphs, or when
    readability finds twice as much text.  The first three are checked here,
    with a margin (``FULL_BELOW`` characters); the last cannot be without
    running readability, and a text of ``FULL_BELOW`` characters or more
    half the size of readability's is rare on news pages.  On the 80
    extraction dev pages and 200 benchmark pages the text is identical to
    the full cascade's everywhere (one dev page, a live blog of 578
    characters in fast mode, goes through the full cascade), and the
    extractor is 12% faster (``bench/extraction.py``, ``bench/pipeline.py``)."""
    if doc is None or not doc.text:
        return "empty"
    if len(doc.text) < FULL_BELOW:
        return "short"
    body = doc.body
    if body is None:
        return "empty"
    if body.xpath(SANITIZED_XPATH):
        return "unclean"
    if not body.xpath(".//p//text()"):
        return "no_paragraphs"
    if len(body.findall(".//table")) > len(body.findall(".//p")):
        return "tables"
    return None


def _trafilatura(tree: lxml.html.HtmlElement, url: str) -> Document | None:
    """trafilatura's body: fast mode, then the full cascade when
    :func:`full_cascade_reason` says the fast result may not be final.
    (trafilatura copies the tree it is given, so both runs see the same.)"""
    doc = trafilatura.bare_extraction(tree, url=url, fast=True, **TRAFILATURA_OPTIONS)
    if full_cascade_reason(doc) is None:
        return doc
    return trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)


def extract_page(page: Page, language: str | None = None, site_rules: SiteRules | None = None) -> Article | Drop:
    """Extract one page.  ``language`` is the source's default language;
    ``site_rules`` the boilerplate learned from earlier articles of the
    page's site (see :mod:`parsers.site_boilerplate`), if any.

    Never raises for a page: what it cannot use is a Drop with its reason,
    and an unexpected exception (a bug, here or in a library, on an input
    nobody foresaw) is a Drop with reason ``internal_error`` and the
    exception in its detail (:mod:`newsflow.isolation`)."""
    return isolated("extract", page.source, page.url, lambda: _extract_page(page, language, site_rules))


def _extract_page(page: Page, language: str | None, site_rules: SiteRules | None) -> Article | Drop:
    try:
        html_text, _encoding = decode_html(page.html(), page.charset)
        tree = parse_tree(html_text)
    except ExtractError as exc:
        return Drop("extract", page.source, page.url, exc.reason, exc.message)

    canonical = canonicalize(canonical_link(tree, page.final_url) or page.final_url)
    site = site_of(canonical)
    lang = page_language(tree) or language
    prune_non_article(tree)
    meta = _metadata(tree, page.final_url)
    doc = _trafilatura(tree, page.final_url)
    entry = page.entry
    title = meta.title or (entry.title if entry else None) or None
    authors = parse_authors(meta.author, _site_names(tree, site))
    removed: list[Removal] = []
    text = ""
    if doc is not None and doc.text:
        context = {"headlines": headline_candidates(tree, title), "links": link_texts(tree), "authors": authors}
        kept, cleaned = clean_paragraphs(_body_paragraphs(tree, doc.text), title, **context)  # type: ignore[arg-type]
        removed += cleaned
        kept = _with_summary(tree, html_text, kept, lambda ps: clean_paragraphs(ps, None, **context)[0])  # type: ignore[arg-type]
        if site_rules is not None:
            kept, site_removed = apply_site_rules(kept, site_rules)
            removed += [r.removal for r in site_removed]
        text = "\n\n".join(kept)
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
        site=site,
        title=title,
        authors=authors,
        published_at=_pick_date(meta.date, feed_date, page.fetched_at),
        language=lang,
        text=text,
        fetched_at=page.fetched_at,
        http_status=page.status,
        extractor=extractor,
        removed=tuple(removed),
    )
