"""What the page's HTML says about its article, beyond trafilatura's text.

Pure functions on a parsed lxml tree, used by :mod:`parsers.extract`:

``prune_non_article``
    removes, in place, elements that are never article text: hidden
    elements (structured-data or AMP copies of the whole article, cookie
    banners), embedded social posts (tweets, Instagram, TikTok), which quote
    other people's posts, photo captions, and teaser or widget blocks whose
    class says so (promo, related, recommended, newsletter, outbrain ...).
``headline_candidates``
    the article's headline as the page states it in several places
    (``og:title``, ``twitter:title``, ``<h1>``, ``<title>`` and its parts
    around " | " or " - "), to recognise it when it is repeated as a line.
``find_standfirst``
    the standfirst (dek, summary line under the headline) when the page's
    meta description is also printed visibly in the body.
``key_points``
    the bullet list of a "Key Points" / "Highlights" / "L'essentiel" box
    printed with the article, which extractors drop as a list.
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

from parsers.boilerplate import norm_line, quick_key

# Never article text: hidden elements, embedded social posts, captions.
# (One pass over the elements for the attribute tests, each string test only
# where the attribute exists: 40% faster than one expression per test.)
PRUNE_XPATH = (
    "//*[@hidden or @aria-hidden='true' or (@style and (contains(translate(@style, ' ', ''), 'display:none')"
    " or contains(translate(@style, ' ', ''), 'visibility:hidden')))]",
    "//blockquote[@class and (contains(@class, 'twitter-tweet') or contains(@class, 'instagram-media')"
    " or contains(@class, 'tiktok-embed') or contains(@class, 'twitter-video'))]",
    "//figcaption",
)
# Teaser and widget blocks, by class name.  A block this long is more likely
# a wrapper with an unlucky class name, and stays.
WIDGET_CLASSES = ("promo", "related", "recommend", "outbrain", "taboola", "newsletter")
WIDGET_MAX_WORDS = 400
_PRUNE = lxml.etree.XPath(" | ".join(PRUNE_XPATH))
_WIDGETS = lxml.etree.XPath(
    "//body//*[@class][not(self::article) and not(self::main)]["
    + " or ".join(f"contains(@class, '{c}')" for c in WIDGET_CLASSES) + "]")
# html, head and body are never removed (some sites mark <body aria-hidden>
# while a modal is open).
_NEVER_PRUNE = {"html", "head", "body"}

STANDFIRST_MIN_WORDS = 8  # shorter descriptions are labels, not standfirsts
STANDFIRST_SLACK = 1.5  # the printed block may be this much longer than the description
STANDFIRST_SEARCH_WORDS = 6  # the description's opening words searched for in text nodes

SIBLING_DEPTH = 2  # ancestors (tag + class) forming a paragraph's container signature
SIBLING_MIN_MATCHED = 2  # kept paragraphs needed to trust a signature...
SIBLING_MIN_SHARE = 0.4  # ...holding at least this share of the kept paragraphs' characters
SIBLING_MIN_CHARS = 25  # a kept paragraph shorter than this proves nothing about its container
SIBLING_MIN_WORDS = 6  # shorter paragraphs (names, dates, labels) are not added
LINK_MIN_WORDS = 3  # shorter link texts ("Home", "Read more") are handled by other rules


def prune_non_article(tree: lxml.html.HtmlElement) -> int:
    """Remove, in place (keeping tails), what ``PRUNE_XPATH`` and
    ``WIDGET_CLASSES`` select; returns how many subtrees went."""
    count = 0
    for el in _PRUNE(tree):
        if el.tag in _NEVER_PRUNE or el.getparent() is None:
            continue
        el.drop_tree()
        count += 1
    for el in _WIDGETS(tree):
        if el.tag in _NEVER_PRUNE or el.getparent() is None:
            continue
        if len(el.text_content().split()) > WIDGET_MAX_WORDS:
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
        if el is not None and node.is_tail:  # the tail of an element or a comment: it lies in their parent
            el = el.getparent()
        if el is None or not isinstance(el.tag, str) or el.tag in ("script", "style", "noscript", "template", "a"):
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


KEY_POINT_LABELS = ("key points", "key takeaways", "takeaways", "highlights", "at a glance", "in brief",
                    "the essentials", "l'essentiel", "a retenir", "à retenir", "ce qu'il faut retenir", "en bref")
KEY_POINTS_MAX_ITEMS = 8
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZÀÉÈ"
_LOWER = "abcdefghijklmnopqrstuvwxyzàéè"
_KEY_LABEL = lxml.etree.XPath(
    "//body//*[self::div or self::h2 or self::h3 or self::h4 or self::p or self::span or self::strong]"
    f"[translate(normalize-space(text()), '{_UPPER}', '{_LOWER}') = $label]")


_KEY_LABEL_IN_HTML = re.compile(
    r">\s*(" + "|".join(re.escape(label).replace("'", "(?:'|’|&#39;|&#x27;)") for label in KEY_POINT_LABELS)
    + r")\s*<", re.IGNORECASE)


def key_points(tree: lxml.html.HtmlElement, html: str) -> list[str]:
    """The items of the first list following a "Key Points"-style label
    (``KEY_POINT_LABELS``, the label alone in its element) inside the same
    box (the label's grandparent), at most ``KEY_POINTS_MAX_ITEMS``;
    empty when there is none.  ``html`` is the page's source, searched first
    for the labels (cheaper than walking the tree)."""
    labels = {re.sub(r"’|&#39;|&#x27;", "'", m.group(1).lower()) for m in _KEY_LABEL_IN_HTML.finditer(html)}
    for label in KEY_POINT_LABELS:
        if label not in labels:
            continue
        for el in _KEY_LABEL(tree, label=label):
            box = el.getparent()
            box = box.getparent() if box is not None and box.getparent() is not None else box
            if box is None:
                continue
            for lst in el.xpath("following::*[self::ul or self::ol][1]"):
                if not any(anc is box for anc in lst.iterancestors()):
                    continue
                items = [_clean_space(li.text_content()) for li in lst.xpath("./li")]
                items = [i for i in items if i]
                if 0 < len(items) <= KEY_POINTS_MAX_ITEMS:
                    return items
    return []


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
    container as most kept ones, as (index of the kept paragraph they follow,
    or -1 for before the first; text).

    Rule: a ``<p>`` of at least ``SIBLING_MIN_WORDS`` words is article text
    too when its container signature (its own and its ``SIBLING_DEPTH``
    nearest ancestors' tag and class, at least one class present) is shared
    by at least ``SIBLING_MIN_MATCHED`` paragraphs the extractor kept, which
    together hold at least ``SIBLING_MIN_SHARE`` of the kept paragraphs'
    matched characters.  Paragraphs inside links are never added."""
    if not kept:
        return []
    kept_keys = [quick_key(k) for k in kept]
    haystack = "\n".join(kept_keys)
    found: list[tuple[lxml.html.HtmlElement, str, str, tuple[str, ...] | None, bool]] = []
    trusted: Counter[tuple[str, ...]] = Counter()
    chars: Counter[tuple[str, ...]] = Counter()
    for p in tree.xpath("//body//p"):
        text = _clean_space(p.text_content())
        if not text:
            continue
        key = quick_key(text)
        sig = _signature(p)
        hit = bool(key) and key in haystack
        found.append((p, text, key, sig, hit))
        if hit and sig is not None and len(key) >= SIBLING_MIN_CHARS:
            trusted[sig] += 1
            chars[sig] += len(key)
    total = sum(chars.values())
    good = {sig for sig, n in trusted.items() if n >= SIBLING_MIN_MATCHED and chars[sig] >= SIBLING_MIN_SHARE * total}
    if not good:
        return []
    added: list[tuple[int, str]] = []
    position = -1  # index in kept of the last matched paragraph
    for p, text, key, sig, hit in found:
        if hit:
            for i in range(max(position, 0), len(kept_keys)):
                if key in kept_keys[i]:
                    position = i
                    break
            continue
        if sig not in good or len(text.split()) < SIBLING_MIN_WORDS or p.xpath("ancestor::a"):
            continue
        added.append((position, text))
    return added


def link_texts(tree: lxml.html.HtmlElement) -> set[str]:
    """:func:`parsers.boilerplate.quick_key` forms of the body's link texts
    of ``LINK_MIN_WORDS`` words or more."""
    out: set[str] = set()
    for a in tree.xpath("//body//a[@href]"):
        key = quick_key(a.text_content())
        if key.count(" ") + 1 >= LINK_MIN_WORDS:
            out.add(key)
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
