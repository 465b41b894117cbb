"""What the page's HTML says about its article, beyond trafilatura's text.

Pure functions on a parsed lxml tree, used by :mod:`parsers.extract`:

``prune_invisible``
    removes, in place, elements a reader never sees as article text: hidden
    elements (structured-data or AMP copies of the whole article, cookie
    banners) and embedded social posts (tweets, Instagram, TikTok), which
    quote other people's posts, not the article.
``headline_candidates``
    the article's headline as the page states it in several places
    (``og:title``, ``twitter:title``, ``<h1>``, ``<title>`` and its parts
    around " | " or " - "), to recognise it when it is repeated as a line.
``find_standfirst``
    the standfirst (dek, summary line under the headline) when the page's
    meta description is also printed visibly in the body.
``sibling_paragraphs``
    paragraphs of an article body split across sibling containers (live-blog
    posts, "article-body" blocks cut by ads) that the extractor left out.
``link_texts``
    the texts of links with several words: a paragraph that is nothing but
    one of them is a related-story card, not article text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import lxml.etree
import lxml.html

from parsers.boilerplate import norm_line

# Hidden elements, and embedded posts from social networks.
PRUNE_XPATH = (
    "//*[@hidden]",
    "//*[@aria-hidden='true']",
    "//*[contains(translate(@style, ' ', ''), 'display:none')]",
    "//*[contains(translate(@style, ' ', ''), 'visibility:hidden')]",
    "//blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'instagram-media')"
    " or contains(@class, 'tiktok-embed') or contains(@class, 'twitter-video')]",
)
_PRUNE = lxml.etree.XPath(" | ".join(PRUNE_XPATH))
# Elements whose subtree is never kept when pruning (html, head and body are
# never hidden for real: some sites mark <body aria-hidden> while a modal opens).
_NEVER_PRUNE = {"html", "head", "body"}

STANDFIRST_MIN_WORDS = 8  # shorter descriptions are labels, not standfirsts
STANDFIRST_SLACK = 1.5  # the printed block may be this much longer than the description
STANDFIRST_SEARCH_WORDS = 6  # the description's opening words searched for in text nodes

SIBLING_DEPTH = 3  # ancestors (tag + class) forming a paragraph's container signature
SIBLING_MIN_MATCHED = 2  # kept paragraphs needed to trust a signature
SIBLING_MIN_CHARS = 25  # a kept paragraph shorter than this proves nothing about its container
LINK_MIN_WORDS = 3  # shorter link texts ("Home", "Read more") are handled by other rules


def prune_invisible(tree: lxml.html.HtmlElement) -> int:
    """Remove hidden elements and social embeds in place (keeping their
    tails); returns how many subtrees went."""
    count = 0
    for el in _PRUNE(tree):
        if el.tag in _NEVER_PRUNE or el.getparent() is None:
            continue
        el.drop_tree()
        count += 1
    return count


def _clean_space(text: str) -> str:
    return " ".join(text.split())


def _meta(tree: lxml.html.HtmlElement, *keys: str) -> list[str]:
    out: list[str] = []
    for key in keys:
        for value in tree.xpath(f'//head/meta[@property="{key}" or @name="{key}"]/@content'):
            value = _clean_space(str(value))
            if value and value not in out:
                out.append(value)
    return out


def headline_candidates(tree: lxml.html.HtmlElement, title: str | None) -> list[str]:
    """Normalised forms (see :func:`parsers.boilerplate.norm_line`) of the
    ways the page states its headline, longest first."""
    raw: list[str] = []
    if title:
        raw.append(title)
    raw += _meta(tree, "og:title", "twitter:title")
    raw += [_clean_space(h.text_content()) for h in tree.xpath("//body//h1")[:3]]
    for t in tree.xpath("//head/title/text()")[:1]:
        t = _clean_space(str(t))
        raw.append(t)
        raw += [part for part in re.split(r"\s+[|–—-]\s+", t) if len(part.split()) >= 3]
    seen: list[str] = []
    for text in raw:
        n = norm_line(text)
        if n and len(n.split()) >= 2 and n not in seen:
            seen.append(n)
    return sorted(seen, key=len, reverse=True)


def descriptions(tree: lxml.html.HtmlElement) -> list[str]:
    """The page's meta descriptions (``og:description``, ``description``,
    ``twitter:description``), de-duplicated, in that order."""
    return _meta(tree, "og:description", "description", "twitter:description")


def find_standfirst(tree: lxml.html.HtmlElement, description: str) -> str | None:
    """The visible body block that prints ``description`` (the standfirst),
    as text; None when the description is short or not printed.

    The block is the smallest element around the description's opening words
    whose text contains the whole description and is at most
    ``STANDFIRST_SLACK`` times as long: "(Outside Music) Recorded on ..." is
    found from the description "Recorded on ...".  Text inside a link is a
    teaser card, not the standfirst."""
    if len(description.split()) < STANDFIRST_MIN_WORDS:
        return None
    target = norm_line(description)
    opening = " ".join(description.split()[:STANDFIRST_SEARCH_WORDS])
    if '"' in opening and "'" in opening:
        return None
    quote = "'" if '"' in opening else '"'
    xpath = f"//body//text()[contains(normalize-space(.), {quote}{opening}{quote})]"
    for node in tree.xpath(xpath):
        el = node.getparent()
        if el is None or el.tag in ("script", "style", "noscript", "template", "a"):
            continue
        while el is not None and el.tag != "body":
            text = _clean_space(el.text_content())
            if len(text) > STANDFIRST_SLACK * len(description) + 20:
                break
            if target in norm_line(text):
                if el.xpath("ancestor-or-self::a"):
                    break
                return text
            el = el.getparent()
    return None


def _signature(el: lxml.html.HtmlElement) -> tuple[str, ...] | None:
    """The tag and class of a paragraph's nearest ancestors; None when none
    of them has a class or id (a bare ``div > p`` says nothing)."""
    parts: list[str] = []
    specific = False
    parent = el.getparent()
    while parent is not None and len(parts) < SIBLING_DEPTH:
        cls = " ".join(sorted((parent.get("class") or "").split()))
        specific = specific or bool(cls)
        parts.append(f"{parent.tag}.{cls}")
        parent = parent.getparent()
    return (el.tag, *parts) if specific else None


def sibling_paragraphs(tree: lxml.html.HtmlElement, kept: Sequence[str]) -> list[tuple[int, str]]:
    """Body paragraphs missing from ``kept`` that sit in the same kind of
    container as kept ones, as (index of the kept paragraph they follow, or
    -1 for before the first; text).

    Rule: a ``<p>`` whose container signature (its own and its
    ``SIBLING_DEPTH`` nearest ancestors' tag and class, at least one class
    present) is shared by at least ``SIBLING_MIN_MATCHED`` paragraphs the
    extractor kept, is article text too.  Paragraphs inside links are never
    added."""
    if not kept:
        return []
    kept_norm = [norm_line(k) for k in kept]
    haystack = "\n".join(kept_norm)
    found: list[tuple[lxml.html.HtmlElement, str, str, tuple[str, ...] | None]] = []
    for p in tree.xpath("//body//p"):
        text = _clean_space(p.text_content())
        if not text:
            continue
        found.append((p, text, norm_line(text), _signature(p)))
    trusted: Counter[tuple[str, ...]] = Counter()
    matched: list[bool] = []
    for _p, text, norm, sig in found:
        hit = bool(norm) and norm in haystack
        matched.append(hit)
        if hit and sig is not None and len(text) >= SIBLING_MIN_CHARS:
            trusted[sig] += 1
    if not trusted:
        return []
    added: list[tuple[int, str]] = []
    position = -1  # index in kept of the last matched paragraph
    for (p, text, norm, sig), hit in zip(found, matched):
        if hit:
            for i in range(max(position, 0), len(kept_norm)):
                if norm in kept_norm[i]:
                    position = i
                    break
            continue
        if not norm or sig is None or trusted[sig] < SIBLING_MIN_MATCHED:
            continue
        if p.xpath("ancestor::a"):
            continue
        added.append((position, text))
    return added


def link_texts(tree: lxml.html.HtmlElement) -> set[str]:
    """Normalised texts of the body's links of ``LINK_MIN_WORDS`` words or more."""
    out: set[str] = set()
    for a in tree.xpath("//body//a[@href]"):
        n = norm_line(a.text_content())
        if n.count(" ") + 1 >= LINK_MIN_WORDS:
            out.add(n)
    return out


def merge_paragraphs(kept: Sequence[str], added: Iterable[tuple[int, str]]) -> list[str]:
    """``kept`` with each added paragraph placed after the kept paragraph it
    followed in the page (-1: before the first)."""
    after: dict[int, list[str]] = {}
    for pos, text in added:
        after.setdefault(pos, []).append(text)
    out = list(after.get(-1, []))
    for i, text in enumerate(kept):
        out.append(text)
        out.extend(after.get(i, []))
    return out
