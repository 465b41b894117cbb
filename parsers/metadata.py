"""Title, author and date of a page.

trafilatura's metadata steps (meta tags, JSON-LD, byline elements) find the
candidates; newsflow chooses among them:

* **Title**: the page's visible headline, its first ``<h1>``, when it is
  the article's (it shares most of its words with ``og:title`` or
  ``<title>``, or it is the only ``<h1>``); else the metadata title without
  the site's name (" | Site", " - Site", "Site: ").  Metadata titles are
  written for search results and social cards ("Best Tax Preparation
  Software | Accounting.com"); the ``<h1>`` is what the reader sees.
  An ``<h1>`` that is the site's name (a blog theme's "Rand's Blog", a
  link to the home page, a logo) is never the headline, and its text is
  one more site name to strip from the ``<title>``.
* **Date**: htmldate (``original_date``: the publication, not the last
  update), in the page's own time zone, so the day is the one the page
  prints.  Its extensive search hands free text to dateparser, which, given
  no language, tries every locale it knows for each string (0.065 s a page
  on the 7% of real pages that reach it, a fifth of all extraction time).
  newsflow gives dateparser the page's declared language and English.
"""

from __future__ import annotations

import copy
import html
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import lxml.etree
import lxml.html
from htmldate import find_date
from htmldate import extractors as htmldate_extractors
from trafilatura.baseline import block_text
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title, extract_url, normalize_authors
from trafilatura.utils import trim
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS, TITLE_XPATHS
from trafilatura.settings import Document

from parsers.boilerplate import fold
from parsers.urls import split_url

_log = logging.getLogger(__name__)

DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}
DATE_LANGUAGES = ("en", "fr")  # always tried beside the page's own language
H1_AGREEMENT = 0.5  # share of the h1's words found in og:title or <title> for it to be the headline
GUESS_AGREEMENT = 0.8  # the same for another heading ("31 Responses to “…”" holds the title's words too)
TITLE_MAX_CHARS = 200  # as trafilatura's extract_metainfo: longer is a standfirst run into the h1
_SEPARATORS = re.compile(r"\s+[|–—•·:«»-]\s+|\s+[|–—•·«»]|[|–—•·«»]\s+")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _clean(text: str) -> str:
    return " ".join(html.unescape(text).split())


def heading_title(tree: lxml.html.HtmlElement) -> tuple[str | None, bool]:
    """trafilatura's guess at the headline among the page's headings
    (``extract_title``'s first steps), for :func:`choose_title`: the page's
    only ``<h1>`` unless it is the site's name (then ``True`` beside it),
    else a heading whose class names a title ("entry-title", "headline").
    Taken before pruning, which may drop the headline's container."""
    h1s = tree.findall(".//h1")
    if len(h1s) == 1 and not is_site_heading(h1s[0]) and (title := block_text(h1s[0])):
        return title, True
    for expression in TITLE_XPATHS:  # extract_metainfo's loop, without the site's name
        for el in expression(tree):
            text = trim(" ".join(el.itertext()))
            if text and 2 < len(text) < 200 and not is_site_heading(el):
                return text, False
    return None, False


def choose_title(tree: lxml.html.HtmlElement, meta_title: str | None, site_names: Sequence[str],
                 heading: tuple[str | None, bool] = (None, False)) -> str | None:
    """The article's headline (see the module doc).  ``meta_title`` is the
    metadata's (``og:title``, JSON-LD); ``heading`` what
    :func:`heading_title` found.  The page's only ``<h1>`` stands in for a
    missing metadata title, as in trafilatura; a heading found by its class
    only when it agrees with the ``<title>`` (a widget's "Newsletter
    subscription status" is a heading named as a title too)."""
    candidates = [_clean(str(t)) for t in tree.xpath('//head/meta[@property="og:title"]/@content'
                                                      ' | //head/meta[@name="twitter:title"]/@content'
                                                      ' | //head/title/text()')]
    guess, only_h1 = heading
    if meta_title:
        candidates.insert(0, _clean(meta_title))
    elif guess and (only_h1 or not candidates):
        candidates.insert(0, _clean(guess))
        guess = None
    candidates = [c for c in candidates if c]
    h1s = []
    for h in tree.xpath("//body//h1")[:5]:
        if is_site_heading(h):
            site_names = (*site_names, _clean(h.text_content()))
        else:
            h1s.append(_strip_label(_strip_known_site(_headline_text(h), site_names)))
    h1s = [h for h in h1s if h and len(h) <= TITLE_MAX_CHARS and not _is_site_name(h, site_names)]
    if not candidates:
        return h1s[0] if h1s else None
    stripped = [strip_site_name(c, site_names) for c in candidates]
    return (_visible_headline(h1s, candidates, stripped)
            or (_visible_headline([_clean(guess)], candidates, stripped, alone=False, agreement=GUESS_AGREEMENT,
                                  ends=True)
                if guess and not h1s else None)
            or stripped[0])


_SITE_HEADING_NAMES = re.compile(r"logo|masthead|site-?_?(?:title|name)",
                                 re.IGNORECASE)


def is_site_heading(h1: lxml.html.HtmlElement) -> bool:
    """Whether a heading, mostly an ``<h1>``, is the site's name, as blog themes print it above
    every post ("Rand's Blog", "The White House Blog"), not a headline: it
    or its link is named for a logo, banner or site title, or its whole
    text is a link to the site's home or a section's front (a path of at
    most one segment, not a page: headlines that are links point to their
    own article)."""
    links = h1.xpath("ancestor-or-self::a[@href] | .//a[@href]")
    for el in [h1, *links][:4]:
        if _SITE_HEADING_NAMES.search(f'{el.get("id", "")} {el.get("class", "")}'):
            return True
    text = _clean(h1.text_content())
    for a in links:
        if _clean(a.text_content()) != text and a not in h1.iterancestors():
            continue
        href = a.get("href", "").strip()
        if not href or href.startswith(("#", "?")):
            continue  # the page itself
        parts = split_url(href)
        if parts is None:
            continue
        path = parts.path.strip("/")
        if not parts.query and "/" not in path and "." not in path and "-" not in path and len(path) <= 20:
            return True
    return False


_HEADLINE_EXTRA = lxml.etree.XPath(
    ".//time | .//a[starts-with(@href, '#comment')] | .//*[contains(@class, 'comment')]"
    " | .//*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or self::p]")


def _headline_text(h1: lxml.html.HtmlElement) -> str:
    """An ``<h1>``'s text without the ``<time>`` some themes print inside it
    ("Dec 18 2025 Preparing a transition"), a comment counter ("149
    Comments", a link to ``#comments`` or an element named for them), or a
    heading or paragraph nested in it (a theme's "Posted on ... by ..."
    line left inside an unclosed ``<h1>``)."""
    if not _HEADLINE_EXTRA(h1):
        return _clean(h1.text_content())
    h1 = copy.deepcopy(h1)  # an h1 is a few elements
    for el in _HEADLINE_EXTRA(h1):
        if el.getparent() is not None:
            el.drop_tree()  # keeps its tail
    return _clean(h1.text_content())


def _visible_headline(h1s: list[str], candidates: list[str], stripped: list[str], alone: bool = True,
                      agreement: float = H1_AGREEMENT, ends: bool = False) -> str | None:
    """The ``<h1>`` that is the article's headline, if one is (see the module doc)."""
    pool = {w for c in candidates for w in _words(c)}
    for h1 in h1s:
        words = set(_words(h1))
        # the h1 is the headline when it is mostly made of the metadata
        # title's words and covers most of one of them (a blog's name in its
        # h1, "Waiology", is a small part of the post's title)...
        if words and sum(w in pool for w in words) / len(words) >= agreement and any(
                sum(w in words for w in set(_words(c))) / max(1, len(set(_words(c)))) >= H1_AGREEMENT
                for c in stripped):
            return h1
        # ...or, for a heading named as the entry's title, when it is one end
        # of a metadata title, the rest behind a separator ("Letters of
        # Note: Vast riddles"; an h1 at one end may as well be the site's name)
        if ends and len(words) >= 2 and any(_is_title_end(h1, c) for c in candidates):
            return h1
    # ...or when it is the page's one h1 of a few words: the headline as the
    # reader sees it, where the metadata title was written for search
    # engines; unless it is made of the title's site part ("Seth's Blog" in
    # "Seth's Blog: The importance of going first")
    if alone and len(h1s) == 1 and len(_words(h1s[0])) >= H1_MIN_WORDS:
        site_part = {w for c, st in zip(candidates, stripped) for w in set(_words(c)) - set(_words(st))}
        words = _words(h1s[0])
        if sum(w in site_part for w in words) / len(words) < H1_AGREEMENT:
            return h1s[0]
    return None


H1_MIN_WORDS = 3


def _is_title_end(heading: str, title: str) -> bool:
    """Whether ``heading`` is ``title``'s start or end, a separator between
    it and the rest."""
    h, t = heading.strip().lower(), title.strip().lower()
    if len(t) <= len(h):
        return False
    if t.endswith(h):
        rest = t[:-len(h)].rstrip()
        return rest[-1:] in _SEPARATOR_CHARS and bool(_words(rest))
    if t.startswith(h):
        rest = t[len(h):].lstrip()
        return rest[:1] in _SEPARATOR_CHARS and bool(_words(rest))
    return False


def _is_site_name(text: str, site_names: Sequence[str]) -> bool:
    flat = "".join(_words(text))
    return any(flat == "".join(_words(n)) for n in site_names if n)


def strip_site_name(title: str, site_names: Sequence[str]) -> str:
    """``title`` without a leading or trailing part that is the site's name,
    then without trailing short parts (``SUFFIX_MAX_WORDS`` words at most:
    "| ASU Online", "- Infographic", "| Opinion") after a headline of at
    least three words: what search results and tabs show beside the
    headline, not the headline."""
    title = _strip_known_site(html.unescape(title), site_names)
    for _ in range(2):
        m = _SUFFIX.match(title)
        if m is None or len(m.group(1).split()) < 3 or len(m.group(2).split()) > SUFFIX_MAX_WORDS:
            break
        title = m.group(1).strip()
    return title


SUFFIX_MAX_WORDS = 4
_PIPE_LABEL = re.compile(r"^(.*\S)\s+\|\s+([^|]+)$")


def _strip_label(headline: str) -> str:
    """A visible headline without a short label after a pipe ("… | Opinion",
    "… | Python, SQL & AI"): a pipe sets off a section or a tag, a dash may
    be the headline's own ("Brexit - what next?")."""
    m = _PIPE_LABEL.match(headline)
    if m is None or len(m.group(1).split()) < 3 or len(m.group(2).split()) > SUFFIX_MAX_WORDS:
        return headline
    return m.group(1)


_SUFFIX = re.compile(r"^(.*\S)\s+[|–—«-]\s+([^|–—«]+)$")


_SEPARATOR_CHARS = ":|–—•·«»-"


def _strip_name_affix(title: str, site_names: Sequence[str]) -> str:
    """``title`` without a site name as printed at its start or end, joined
    by a separator with or without spaces ("Seth's Blog: The importance of
    going first", "» Just For Fun :zenhabits"), when at least two words
    remain."""
    for name in sorted({n.strip().lower() for n in site_names if n and len(n.strip()) >= 3}, key=len, reverse=True):
        low = title.strip(f" {_SEPARATOR_CHARS}").lower()
        rest = None
        if low.startswith(name) and low[len(name):].lstrip()[:1] in _SEPARATOR_CHARS:
            rest = title.strip(f" {_SEPARATOR_CHARS}")[len(name):]
        elif low.endswith(name) and low[:-len(name)].rstrip()[-1:] in _SEPARATOR_CHARS:
            rest = title.strip(f" {_SEPARATOR_CHARS}")[:-len(name)]
        if rest is not None and len(_words(rest)) >= 2:
            title = rest.strip(f" {_SEPARATOR_CHARS}")
    return title


def _strip_known_site(title: str, site_names: Sequence[str]) -> str:
    title = _strip_name_affix(title, site_names)
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


def find_byline(tree: lxml.html.HtmlElement) -> str | None:
    """trafilatura's ``extract_author`` without its copy of the whole tree:
    the same byline XPaths (without their regular expressions, see
    :func:`regex_free`) and the same limits, skipping what lies inside
    the sections it would have pruned first (comments, related posts). The
    copy was half of the metadata's time on pages without an author in
    their meta tags or JSON-LD (three pages in four)."""
    for results in author_elements(tree):
        for elem in results:
            if any(inside(elem) for inside in _AUTHOR_DISCARD_UP):
                continue
            content = trim(" ".join(elem.itertext()))
            if content and 2 < len(content) < AUTHOR_MAX_CHARS:
                return normalize_authors(None, content) or None
    return None


# A link to the author's page: a path segment naming authors, then the
# author's slug.  Sites without byline markup (no author meta tag, JSON-LD or
# byline class) still print "By <a href="/authors/jane-doe">Jane Doe</a>".
AUTHOR_PATH_WORDS = frozenset({
    "author", "authors", "writer", "writers", "contributor", "contributors", "journalist", "journalists",
    "columnist", "columnists", "reporter", "reporters", "auteur", "auteurs", "journaliste", "journalistes",
})
_AUTHOR_LINKS = lxml.etree.XPath(
    "//body//a[@href][" + " or ".join(f"contains(@href, '/{w}')" for w in
                                       ("author", "writer", "contributor", "journalist", "columnist", "reporter",
                                        "auteur")) + "]")


def _slugs(text: str) -> set[str]:
    """``text`` as sites spell it in a URL: folded (:func:`parsers.boilerplate.fold`:
    lower case, accents stripped, apostrophes plain), every run of
    non-alphanumerics a hyphen, apostrophes dropped or not ("sam-obrien",
    "sam-o-brien")."""
    folded = fold(text)
    return {"-".join("".join(c if c.isalnum() else " " for c in variant).split())
            for variant in (folded, folded.replace("'", ""))}


def author_link(tree: lxml.html.HtmlElement) -> str | None:
    """The text of the first link to an author's page (``AUTHOR_PATH_WORDS``
    followed by a slug) whose text is the slug itself ("Trevor Jackins" to
    ``/authors/trevor-jackins``) and which follows the page's first
    ``<h1>`` within ``AUTHOR_LINK_REACH`` elements: the byline under the
    headline.  None without one.  The slug test keeps out "All authors",
    "Write for us" and avatars; the distance keeps out menus of columnists,
    blogrolls and tables of the site's writers, which precede the headline
    or come long after it (on 1,339 dragnet pages it names 22 authors, 21
    of them printed in the gold's byline; bench/EXTRACTION_TUNING.md).
    Links inside comments, sidebars, widgets and related posts do not
    count."""
    start: float | None = None  # the <h1>'s position, found once a link passes the slug test
    for a in _AUTHOR_LINKS(tree):
        text = trim(a.text_content())
        if not 2 < len(text) < AUTHOR_MAX_CHARS:
            continue
        parts = split_url(a.get("href", ""))
        if parts is None:
            continue
        segments = [seg for seg in parts.path.lower().split("/") if seg]
        if _slugs(text).isdisjoint(segments[i + 1] for i in range(len(segments) - 1) if segments[i] in AUTHOR_PATH_WORDS):
            continue
        if start is None:
            h1 = _FIRST_H1(tree)
            if not h1:
                return None
            start = _POSITION(h1[0])
        if not 0 < _POSITION(a) - start <= AUTHOR_LINK_REACH or _OUTSIDE_ARTICLE(a):
            continue
        return normalize_authors(None, text) or None
    return None


AUTHOR_LINK_REACH = 60  # elements after the <h1>
_FIRST_H1 = lxml.etree.XPath("(//body//h1)[1]")
_POSITION = lxml.etree.XPath("count(preceding::*) + count(ancestor::*)")
_OUTSIDE_ARTICLE = lxml.etree.XPath(
    "boolean(ancestor::*[" + " or ".join(f"contains(@class, '{w}') or contains(@id, '{w}')"
                                         for w in ("comment", "sidebar", "widget", "related")) + "])")


def author_elements(tree: lxml.html.HtmlElement) -> Iterator[list[lxml.html.HtmlElement]]:
    """What each of trafilatura's byline XPaths selects, in its order, one
    XPath at a time (see :class:`_AttributeSearch`)."""
    candidates: list[lxml.html.HtmlElement] | None = None
    has_author_element = tree.find(".//author") is not None  # the paths' ``|//author`` union
    for search in _AUTHOR_SEARCHES:
        if search.check is None or has_author_element or any(
                tree.find(f".//{name}") is not None for name in search.children):
            yield search.plain(tree)
            continue
        if candidates is None:  # one scan of the attributes for the three searches
            candidates = list(dict.fromkeys(v.getparent() for v in _AUTHOR_ATTRIBUTES(tree) if _AUTHOR_WORDS.search(v)))
        yield [el for el in candidates if search.check(el)]


AUTHOR_MAX_CHARS = 120  # as trafilatura's extract_author
_RE_TEST = re.compile(r"re:test\((@[\w-]+),\s*'([^']*)'\)")
_ALTERNATIVE = re.compile(r"(?:[\w -]|\[[A-Za-z]{2}\]|-\?)+")


def _spellings(alternative: str) -> list[str]:
    """The strings a regex alternative of literals, ``[Aa]`` classes and
    ``-?`` matches: ``[Aa]uthor`` -> ``Author``, ``author``."""
    out = [""]
    for literal, cls, optional in re.findall(r"([\w ])|\[([A-Za-z]{2})\]|(-\??)", alternative):
        if cls:
            out = [o + c for o in out for c in cls]
        elif optional == "-?":
            out = [o + x for o in out for x in ("", "-")]
        else:
            out = [o + (literal or optional) for o in out]
    return out


def regex_free(xpath: str) -> str:
    """``xpath`` with each ``re:test(@attr, 'a|[Bb]c|d-?e')`` made of plain
    alternatives rewritten as ``contains()`` tests, which give the same
    elements: re:test searches (matches anywhere), like ``contains``.  lxml
    runs EXSLT regular expressions by calling back into Python for every
    element of the page, so trafilatura's byline XPaths cost 9% of a page's
    extraction (py-spy, bench/sources.py); ``contains`` runs in libxml2.
    A test with anything else in its pattern (anchors, groups) is kept."""
    def rewrite(m: re.Match[str]) -> str:
        attr, pattern = m.groups()
        alternatives = pattern.split("|")
        if not all(_ALTERNATIVE.fullmatch(a) for a in alternatives):
            return m.group(0)
        words = dict.fromkeys(w for a in alternatives for w in _spellings(a))
        return "(" + " or ".join(f"contains({attr}, '{w}')" for w in words) + ")"
    return _RE_TEST.sub(rewrite, xpath)


class _AttributeSearch:
    """One of trafilatura's byline XPaths, ``//*[tests]`` (and a
    ``|//author`` union), run on the elements whose attributes can pass its
    tests.

    Its tests are tag tests and attribute tests that hold only when the
    attribute contains a literal (``@class='byline'``,
    ``contains(@id, 'author')``), so an element none of whose tested
    attributes contains one of the literals cannot match: one XPath lists
    the page's values of those attributes, Python's ``re`` finds the few
    that contain a literal, and the search's tests run on their elements
    alone.  trafilatura's three XPaths test 15 attributes on every element
    of the page: 6 ms a page where ``find_byline`` runs (three pages in
    four), 7% of extraction; the scan takes a quarter of that.  ``check`` is
    None for a path of another form, which then runs as it is; a page with
    an element a test names as a child (trafilatura's ``rel='me'``) or with
    a union's element runs the plain XPath too."""

    def __init__(self, path: str) -> None:
        ns = {"re": "http://exslt.org/regular-expressions"}
        path = regex_free(path).strip()
        self.plain = lxml.etree.XPath(path, namespaces=ns)
        self.check: lxml.etree.XPath | None = None
        self.attributes: set[str] = set()
        self.words: set[str] = set()
        self.children: set[str] = set()
        m = re.fullmatch(r"//\*((?:\[.*\])+)((?:\s*\|\s*//author)*)", path, re.S)
        if m is None or "re:test" in path or "not(" in path:  # a negated test can pass without its word
            return
        tests = m.group(1)
        literal_tests = re.findall(r"contains\(@([\w-]+),\s*'([^']*)'\)|@([\w-]+)\s*=\s*'([^']*)'", tests)
        if len(literal_tests) != tests.count("@"):  # an attribute tested otherwise (@hidden, starts-with...)
            return
        for a, w, b, v in literal_tests:
            self.attributes.add(a or b)
            self.words.add(w or v)
        self.children = set(re.findall(r"(?<![@:\w-])([a-z][\w-]*)\s*=\s*'", tests))
        self.check = lxml.etree.XPath("self::*" + tests, namespaces=ns)


_AUTHOR_SEARCHES = [_AttributeSearch(x.path) for x in AUTHOR_XPATHS]
_AUTHOR_ATTRIBUTES = lxml.etree.XPath(" | ".join(
    f"//@{a}" for a in sorted({a for s in _AUTHOR_SEARCHES for a in s.attributes}) or ["class"]))
_AUTHOR_WORDS = re.compile("|".join(map(re.escape, sorted({w for s in _AUTHOR_SEARCHES for w in s.words}) or ["\0"])))
# trafilatura's discard expressions turned to look up from a candidate byline
# (``ancestor-or-self::``) instead of down the whole page from its root
_AUTHOR_DISCARD_UP = [lxml.etree.XPath(re.sub(r"^\s*\.?//", "ancestor-or-self::", x.path.replace("|//", "|ancestor-or-self::")),
                                       namespaces={"re": "http://exslt.org/regular-expressions"})
                      for x in AUTHOR_DISCARD_XPATHS]


def page_metadata(tree: lxml.html.HtmlElement, url: str, language: str | None) -> Document:
    """Title, author and date as ``trafilatura.metadata.extract_metadata``
    finds them (the same steps, in its order, with the same date
    parameters), without what it also extracts and newsflow does not use:
    site name, categories, tags and licence.  The title is the metadata's
    only: trafilatura's guess from the headings when there is none
    (``extract_title``) is :func:`heading_title`'s, which
    :func:`choose_title` weighs against the ``<title>``.  Ties us to
    trafilatura's metadata module, which is why trafilatura is pinned."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception as exc:  # noqa: BLE001 - as extract_metadata does: a bug in trafilatura's JSON-LD reader loses the JSON-LD, not the page
        _log.warning("JSON-LD metadata of %s skipped after an error in trafilatura: %r", url, exc)
    if not meta.author:
        meta.author = find_byline(tree) or author_link(tree)
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
