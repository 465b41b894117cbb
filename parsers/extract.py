"""A fetched page to an :class:`Article`: trafilatura first, then cleaning.

``extract_page`` is pure and deterministic.  It returns an Article or a
Drop with the reason; it never raises for a bad page.

Steps (each rule documented in its module):

1. decode and parse (comments and processing instructions left out, as
   trafilatura's own parser does); canonical URL, language;
2. prune what is never article text (hidden copies, social embeds,
   captions, promo/related/newsletter blocks), but never the article
   itself, and turn tables that lay out the page into plain blocks:
   :mod:`parsers.page_structure`;
3. trafilatura (comments off, tables kept, recall) for the body, in fast
   mode unless its result is doubtful (:func:`full_cascade_reason`) or the
   page's paragraphs are short, and its balanced cascade where the text is
   one block of the article (:func:`one_block`); title, author and date:
   :mod:`parsers.metadata`;
4. paragraph rules (headline repeats, widgets, prompts, teasers, bylines,
   related-story cards, bios, trailing teaser sections):
   :mod:`parsers.boilerplate`;
5. the standfirst (dek) goes to its own field, out of the text; the
   key-points box is put back when the page prints it;
6. the site's learned boilerplate, if given: :mod:`parsers.site_boilerplate`;
7. authors: the person names of the byline, else the byline as printed:
   :mod:`parsers.authors`.

What each rule does on real pages, set by set, and what was tried and
dropped (recovering body paragraphs from sibling containers, photo-credit
removal): ``bench/EXTRACTION_TUNING.md``.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.external import SANITIZED_XPATH, sanitize_tree, try_readability
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.settings import Document, Extractor
from trafilatura.xml import xmltotxt
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

from newsflow.errors import ExtractError
from newsflow.isolation import isolated
from newsflow.records import Article, Drop, Page, Removal
from parsers.authors import parse_authors
from parsers.boilerplate import clean_paragraphs, norm_line
from parsers.html import canonical_link, decode_html, page_language, parse_tree
from parsers.language import detect_language
from parsers.metadata import choose_title, heading_title, page_metadata, pick_date
from parsers.page_structure import (descriptions, headline_candidates, is_dek, key_points, link_texts,
                                    prune_non_article, standfirst_element, unwrap_layout_tables)
from parsers.site_boilerplate import SiteRules, apply_site_rules
from parsers.urls import article_id, canonicalize, site_of

_log = logging.getLogger(__name__)

CLEANER_VERSION = "9"  # bump when a rule changes: stored text may then be reprocessed
EXTRACTOR = f"trafilatura-{trafilatura.__version__}+clean-{CLEANER_VERSION}"
MIN_WORDS = 40  # below this a page is a stub, a gallery or a paywall teaser...
MIN_CHARS = 200  # ...unless it is long in characters (scripts written without spaces)
MIN_SUMMARY_WORDS = 25  # a feed summary this long stands in for a page we cannot extract
FEED_SUMMARY_EXTRACTOR = "feed-summary"

FULL_BELOW = 2000  # fast-mode texts shorter than this go through trafilatura's full cascade
# ...as do longer ones in fewer lines than this: the fast pass can return a
# whole page as one run of text (a guide's photo credit, byline, ads and
# body in one line, which no paragraph rule can then clean)
ONE_LINE_MAX_BREAKS = 2
# A page whose <p> elements hold less text than this goes to the full cascade
# without the fast pass: on two thirds of such pages the fast text is under
# FULL_BELOW, and the full cascade costs only about 15% more than the fast
# pass it would repeat.  Same text on all 2,393 corpus pages, trafilatura's
# time down about 10% (bench/EXTRACTION_TUNING.md, Speed).
FAST_FIRST_MIN_CHARS = 3000
# how newsflow calls trafilatura.bare_extraction (metadata: see parsers.metadata);
# tables are kept: articles whose content is a table (results, prices, polls) lose it otherwise
# favor_recall: trafilatura keeps more of what it doubts (measured: wcxb-dev
# +0.0036, dragnet +0.0043, readability +0.0013, the others unchanged)
TRAFILATURA_OPTIONS = {"include_comments": False, "with_metadata": False, "include_tables": True,
                       "favor_recall": True}
# With favor_recall trafilatura skips its own recall escalation, so on some
# pages its text is one block of the article (a FAQ, a price table, the
# intro).  Where the page says so (one_block), its balanced cascade runs
# and its text is taken when it holds the whole article (whole_article):
# bench/EXTRACTION_TUNING.md, round 8.
ONE_BLOCK_MIN_PARAGRAPHS = 10
ONE_BLOCK_PAGE_PARAGRAPHS = 5
ONE_BLOCK_PAGE_TEXT = 3
ONE_BLOCK_PAGE_TEXT_ALONE = 5  # ...or this many times its text, whatever the count (long paragraphs)
ONE_BLOCK_GAIN = 5
ONE_BLOCK_TEXT_GAIN = 4  # ...or this many times its text, whatever the count
ONE_BLOCK_SHORT_LINES = 0.5
ONE_BLOCK_HOLDS = 0.5  # the balanced text holds this share of the text's word 4-grams


# A text without sentences is a link list, a menu or a sidebar, not the
# article: when under NO_PROSE_SHARE of its characters are in sentences
# (lines of PROSE_MIN_WORDS words or more that end like one), readability's
# text is taken instead if it has PROSE_MIN_CHARS characters of sentences,
# twice as many, and fewer than NO_PROSE_OVERLAP of its word 4-grams are in
# the text (a different part of the page, not the same list).  trafilatura
# bundles readability and runs it for short texts; this is the case it
# leaves (bench/EXTRACTION_TUNING.md, round 10).
NO_PROSE_SHARE = 0.1
PROSE_MIN_WORDS = 8
PROSE_MIN_CHARS = 300
NO_PROSE_OVERLAP = 0.5
_SENTENCE_END = re.compile(r"[.!?:\"”’)»]$")
# how trafilatura runs readability (compare_extraction): on the raw tree
# without its comment sections and appended articles, output sanitised
_READABILITY_PRUNE = [*RAW_TREE_PRUNE_XPATH, *REMOVE_COMMENTS_AND_LISTS_XPATH]
_READABILITY_OPTIONS = Extractor(comments=False, tables=True)


def prose_chars(lines: list[str]) -> int:
    """Characters of ``lines`` that are sentences: ``PROSE_MIN_WORDS`` words
    or more, ending like a sentence (list items included)."""
    return sum(len(line) for line in lines
               if len(_WORD.findall(line)) >= PROSE_MIN_WORDS and _SENTENCE_END.search(line))


def readability_lines(tree: lxml.html.HtmlElement) -> list[str]:
    """The lines of trafilatura's bundled readability's article, as
    trafilatura takes it when it prefers it (``compare_extraction``)."""
    raw = prune_unwanted_nodes(copy.deepcopy(tree), _READABILITY_PRUNE)
    body, _ = sanitize_tree(try_readability(raw), _READABILITY_OPTIONS)
    return _lines(xmltotxt(body, False))


def _no_prose_fallback(tree: lxml.html.HtmlElement, kept: list[str],
                       clean: Callable[[list[str]], tuple[list[str], list[Removal]]]
                       ) -> tuple[list[str], list[Removal]] | None:
    """readability's lines, cleaned by ``clean``, where ``kept`` has no
    sentences and readability finds them elsewhere on the page (see
    ``NO_PROSE_SHARE``); the lines of ``kept`` then go as ``no_prose``.
    None to keep ``kept``."""
    size = sum(map(len, kept))
    prose = prose_chars(kept)
    if not kept or prose >= NO_PROSE_SHARE * size:
        return None
    try:
        lines = readability_lines(tree)
    except ValueError as exc:  # trafilatura's sanitising hands lxml a tag name it refuses (control characters)
        _log.warning("no readability fallback for a text without sentences: %s", exc)
        return None
    other, removed = clean(lines)
    other_prose = prose_chars(other)
    if other_prose < max(PROSE_MIN_CHARS, 2 * prose):
        return None
    grams = _four_grams("\n".join(other))
    if grams and len(grams & _four_grams("\n".join(kept))) >= NO_PROSE_OVERLAP * len(grams):
        return None
    return other, [Removal("no_prose", line) for line in kept] + removed


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
    """The site's own names, which are never authors nor part of a title:
    ``og:site_name``, ``application-name`` and the main label of its domain
    ("washingtontimes" for washingtontimes.com)."""
    names = [str(v) for v in tree.xpath('//head/meta[@property="og:site_name"]/@content'
                                        ' | //head/meta[@name="application-name"]/@content')]
    label = site.split(".")[-2] if site.count(".") >= 1 else site
    return tuple(names + [label, site])


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _standfirst(tree: lxml.html.HtmlElement, kept: list[str]) -> tuple[str | None, list[str]]:
    """The standfirst (dek), when the page prints its meta description
    visibly as a block of its own (not as the article's first paragraph,
    see :func:`parsers.page_structure.is_dek`), and the body without it: a
    standfirst extracted as the body's first or second paragraph moves out
    of the text, unless the text would then be too short to be an article."""
    for description in descriptions(tree):
        el = standfirst_element(tree, description)
        if el is None:
            continue
        if not is_dek(el):
            return None, kept
        standfirst = " ".join(el.text_content().split())
        key = norm_line(standfirst)
        for i, para in enumerate(kept[:2]):
            if norm_line(para) == key:
                rest = kept[:i] + kept[i + 1:]
                if sum(len(p.split()) for p in rest) < MIN_WORDS:
                    return None, kept
                return standfirst, rest
        if key in norm_line(" ".join(kept[:3])):  # printed inside a paragraph of the text: not a block of its own
            return None, kept
        return standfirst, kept
    return None, kept


def _with_key_points(tree: lxml.html.HtmlElement, html: str, kept: list[str],
                     clean: Callable[[list[str]], list[str]]) -> list[str]:
    """``kept`` with, in front, the page's key-points list when the page
    prints one and the extracted text lacks it (cleaned by the same rules)."""
    body = norm_line(" ".join(kept))
    points = [p for p in key_points(tree, html) if norm_line(p) not in body]
    return (clean(points) if points else []) + kept


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
    extractor was 12% faster (``bench/extraction.py``, ``bench/pipeline.py``)
    when the margin was 1,000 characters.  At 2,000 a third of the corpus
    pages needed both passes, hence ``FAST_FIRST_MIN_CHARS``."""
    if doc is None or not doc.text:
        return "empty"
    if len(doc.text) < FULL_BELOW:
        return "short"
    if doc.text.count("\n") < ONE_LINE_MAX_BREAKS:
        return "one_line"
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
    :func:`full_cascade_reason` says the fast result may not be final (or
    the full cascade at once where the page's paragraphs hold less than
    ``FAST_FIRST_MIN_CHARS``: the fast text would be short), then the
    balanced cascade where the text may be one block of the article
    (:func:`one_block`, :func:`whole_article`).  (trafilatura copies the
    tree it is given, so every run sees the same.)"""
    paragraphs = page_paragraphs(tree)
    doc = None
    if sum(map(len, paragraphs)) >= FAST_FIRST_MIN_CHARS:
        doc = trafilatura.bare_extraction(tree, url=url, fast=True, **TRAFILATURA_OPTIONS)
    if doc is None or full_cascade_reason(doc) is not None:
        doc = trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)
    if doc is None or not doc.text or not one_block(paragraphs, doc):
        return doc
    balanced = trafilatura.bare_extraction(tree, url=url, **{**TRAFILATURA_OPTIONS, "favor_recall": False})
    return balanced if whole_article(balanced, doc) else doc


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def page_paragraphs(tree: lxml.html.HtmlElement) -> list[str]:
    """The texts of the page's non-empty ``<p>`` elements, spaces folded
    (one walk over them, shared by both uses in :func:`_trafilatura`)."""
    return [t for t in (" ".join(p.text_content().split()) for p in tree.iterfind(".//body//p")) if t]


def one_block(paragraphs: list[str], doc: Document) -> bool:
    """Whether trafilatura's text may be one block of a longer article (an
    intro, a summary box, one section): the page has at least
    ``ONE_BLOCK_MIN_PARAGRAPHS`` ``<p>`` elements (``paragraphs``, from
    :func:`page_paragraphs`), and they outnumber the text's paragraphs
    ``ONE_BLOCK_PAGE_PARAGRAPHS`` times over and hold ``ONE_BLOCK_PAGE_TEXT``
    times its text, or hold ``ONE_BLOCK_PAGE_TEXT_ALONE`` times its text
    (an article of long paragraphs)."""
    if len(paragraphs) < ONE_BLOCK_MIN_PARAGRAPHS:
        return False
    n, size, page_text = len(_paragraphs(doc.text)), len(doc.text), sum(map(len, paragraphs))
    return ((len(paragraphs) >= ONE_BLOCK_PAGE_PARAGRAPHS * n and page_text >= ONE_BLOCK_PAGE_TEXT * size)
            or page_text >= ONE_BLOCK_PAGE_TEXT_ALONE * size)


_WORD = re.compile(r"\w+")


def _four_grams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text)
    return {tuple(words[i:i + 4]) for i in range(len(words) - 3)}


def whole_article(balanced: Document | None, doc: Document) -> bool:
    """Whether the balanced cascade's text is the article ``doc`` held one
    block of:

    - larger: ``ONE_BLOCK_GAIN`` times its paragraphs or
      ``ONE_BLOCK_TEXT_GAIN`` times its text, and at least
      ``ONE_BLOCK_MIN_PARAGRAPHS`` paragraphs;
    - mostly prose where it adds: fewer than ``ONE_BLOCK_SHORT_LINES`` of
      the added lines are under five words (dates, "Register Now", menus
      and teaser lists are what a wider pass also picks up);
    - holding the block: ``ONE_BLOCK_HOLDS`` of ``doc``'s word 4-grams are
      in it (a wider pass can also land on another part of the page, the
      comments or a second article, and lose the one found)."""
    if balanced is None or not balanced.text or len(balanced.text) <= len(doc.text):
        return False
    lines, kept = _paragraphs(balanced.text), set(_paragraphs(doc.text))
    if len(lines) < ONE_BLOCK_MIN_PARAGRAPHS or (len(lines) < ONE_BLOCK_GAIN * len(kept)
                                                 and len(balanced.text) < ONE_BLOCK_TEXT_GAIN * len(doc.text)):
        return False
    added = [line for line in lines if line not in kept]
    if sum(len(line.split()) < 5 for line in added) >= ONE_BLOCK_SHORT_LINES * len(added):
        return False
    block = _four_grams(doc.text)
    return not block or len(block & _four_grams(balanced.text)) >= ONE_BLOCK_HOLDS * len(block)


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
    names = _site_names(tree, site)
    meta = page_metadata(tree, page.final_url, lang)  # on the whole page: bylines and dates may sit in what is pruned
    heading = (None, False) if meta.title else heading_title(tree)
    prune_non_article(tree)
    unwrap_layout_tables(tree)
    doc = _trafilatura(tree, page.final_url)
    entry = page.entry
    title = choose_title(tree, meta.title, names, heading) or (entry.title if entry else None) or None
    authors = parse_authors(meta.author, names)
    removed: list[Removal] = []
    text = ""
    standfirst = None
    if doc is not None and doc.text:
        context = {"headlines": headline_candidates(tree, title),
                   "links": link_texts(tree, page.final_url, canonical), "authors": authors}
        kept, cleaned = clean_paragraphs(_lines(doc.text), title, **context)  # type: ignore[arg-type]
        fallback = _no_prose_fallback(tree, kept, lambda ps: clean_paragraphs(ps, title, **context))  # type: ignore[arg-type]
        if fallback is not None:
            kept, cleaned = fallback
        removed += cleaned
        standfirst, kept = _standfirst(tree, kept)
        kept = _with_key_points(tree, html_text, kept, lambda ps: clean_paragraphs(ps, None, **context)[0])  # type: ignore[arg-type]
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
        text, removed, extractor, standfirst = fallback, [], FEED_SUMMARY_EXTRACTOR, None

    feed_date = entry.published_at if entry else None
    return Article(
        article_id=article_id(canonical),
        url=page.final_url,
        canonical_url=canonical,
        source=page.source,
        site=site,
        title=title,
        authors=authors,
        published_at=pick_date(meta.date, feed_date, page.fetched_at),
        language=detect_language(text, lang),  # the text's; <html lang> or the source's if too short to tell
        text=text,
        fetched_at=page.fetched_at,
        http_status=page.status,
        extractor=extractor,
        removed=tuple(removed),
        standfirst=standfirst,
    )
