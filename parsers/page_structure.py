"""What the page's HTML says about its article, beyond trafilatura's text.

Pure functions on a parsed lxml tree, used by :mod:`parsers.extract`:

``prune_non_article``
    removes, in place, elements that are never article text: hidden
    elements (structured-data or AMP copies of the whole article, cookie
    banners), embedded social posts (tweets, Instagram, TikTok), which quote
    other people's posts, photo captions, and teaser or widget blocks whose
    class says so (promo, related, recommended, newsletter, outbrain ...).
``unwrap_layout_tables``
    turns tables that lay out the page (a cell holding paragraphs, divs or
    a nested table, and ``LAYOUT_CELL_WORDS`` words or more) into plain
    blocks: trafilatura writes a table row as one line, cells joined by
    " | ", so an article set in a layout table came out as one line.
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
``link_texts``
    the texts of links to other pages of the site, with several words: a
    paragraph that is nothing but one of them is a related-story card, not
    article text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import SplitResult

import lxml.etree
import lxml.html

from parsers.boilerplate import norm_line, quick_key
from parsers.urls import bare_host, resolve, split_url

# Never article text: hidden elements, embedded social posts, captions.
# The reference expression; :func:`_candidates` selects the same elements in
# one walk over the tree (tests/parsers/test_page_structure.py checks it).
PRUNE_XPATH = (
    "//*[@hidden or @aria-hidden='true' or (@style and (contains(translate(@style, ' ', ''), 'display:none')"
    " or contains(translate(@style, ' ', ''), 'visibility:hidden')))]",
    "//blockquote[@class and (contains(@class, 'twitter-tweet') or contains(@class, 'instagram-media')"
    " or contains(@class, 'tiktok-embed') or contains(@class, 'twitter-video'))]",
    "//figcaption",
)
HIDDEN_STYLES = ("display:none", "visibility:hidden")
EMBED_CLASSES = ("twitter-tweet", "instagram-media", "tiktok-embed", "twitter-video")
# Teaser and widget blocks, by class name.  A block this long is more likely
# a wrapper with an unlucky class name, and stays.
WIDGET_CLASSES = ("promo", "related", "recommend", "outbrain", "taboola", "newsletter")
WIDGET_MAX_WORDS = 400
# An element holding more than this share of the page's text may be the
# article, and is never pruned.  Half: a hidden *copy* of the article (for
# structured data) holds at most as much text as the visible article beside
# it, so it still goes; a hidden body revealed by script holds more than the
# rest of the page.
ARTICLE_SHARE = 0.5
ARTICLE_MIN_CHARS = 500  # an element with less text is never taken for the article
_TAXONOMY_PREFIXES = ("tag-", "category-", "categories-", "post_tag-", "topic-", "section-")
# The reference expression of the widget candidates (see _candidates).
WIDGETS_XPATH = ("//body//*[@class][not(self::article) and not(self::main)]["
                 + " or ".join(f"contains(@class, '{c}')" for c in WIDGET_CLASSES) + "]")
# A table one of whose own cells holds block elements and this many words
# lays out the page (2000s sites set the whole body in a cell); its rows and
# cells become <div>s.  A data table's cells hold a value or a sentence.
LAYOUT_CELL_WORDS = 50
_LAYOUT_BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote",
                            "article", "section"})
_TABLE_SECTIONS = ("tbody", "thead", "tfoot")
# html, head and body are never removed (some sites mark <body aria-hidden>
# while a modal is open).
_NEVER_PRUNE = {"html", "head", "body"}

STANDFIRST_MIN_WORDS = 8  # shorter descriptions are labels, not standfirsts
STANDFIRST_SLACK = 1.5  # the printed block may be this much longer than the description
STANDFIRST_SEARCH_WORDS = 6  # the description's opening words searched for in text nodes

LINK_MIN_WORDS = 3  # shorter link texts ("Home", "Read more") are handled by other rules


def _holds_the_article(el: lxml.html.HtmlElement, page_chars: Callable[[], int]) -> bool:
    """Whether ``el`` may be the article itself: it holds more than
    ``ARTICLE_SHARE`` of the page's text, or an ``<article>``, ``<main>`` or
    the ``<h1>``.  Sites that reveal their body with script print it in a
    ``<div hidden>``; a theme may put a "promotion" class on the article's
    wrapper.  Pruning those left a menu or nothing."""
    if el.tag in ("article", "main") or el.find(".//article") is not None or el.find(".//main") is not None \
            or el.find(".//h1") is not None or _REACT_SEGMENT.match(el.get("id") or ""):
        return True
    if len(el.text_content()) < ARTICLE_MIN_CHARS:  # cheap (lxml joins the text in C): most candidates stop here
        return False
    own = _text_chars(el)
    return own > 0 and own > ARTICLE_SHARE * page_chars()


# React's streamed server rendering prints later parts of the page in
# ``<div hidden id="S:n">`` and moves them into place with script: content,
# not a hidden copy.
_REACT_SEGMENT = re.compile(r"^S:\d+$")
_TEXT = lxml.etree.XPath(".//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]")


def _text_chars(el: lxml.html.HtmlElement) -> int:
    """Characters of text in ``el``, not counting scripts and styles (a
    page's JSON state can outweigh its article)."""
    return sum(len(t) for t in _TEXT(el))


def _widget_class(el: lxml.html.HtmlElement) -> bool:
    """A class token naming a widget (``related-posts``, ``newsletter``),
    not a WordPress taxonomy class of the post (``tag-promotion``,
    ``category-related-news``)."""
    for token in (el.get("class") or "").lower().split():
        if token.startswith(_TAXONOMY_PREFIXES):
            continue
        if any(w in token for w in WIDGET_CLASSES):
            return True
    return False


def _candidates(tree: lxml.html.HtmlElement) -> tuple[list[lxml.html.HtmlElement], list[lxml.html.HtmlElement]]:
    """What ``PRUNE_XPATH`` selects, and the elements whose class contains a
    ``WIDGET_CLASSES`` word (not ``<article>`` or ``<main>``; the caller
    keeps those inside ``<body>``), in document order.  One walk over the
    elements, each attribute read once: a third of the time of the two
    expressions, which test every attribute of every element in XPath."""
    hidden: list[lxml.html.HtmlElement] = []
    widgets: list[lxml.html.HtmlElement] = []
    # the whole document, as the expressions see it: lxml keeps a second
    # <html> of a page (two documents served as one) as a sibling of the root
    root = tree.getroottree().getroot()
    tops = [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]
    for el in (el for top in tops for el in top.iter()):
        tag = el.tag
        if not isinstance(tag, str):  # comments and processing instructions
            continue
        attrib = el.attrib
        if not attrib:
            if tag == "figcaption":
                hidden.append(el)
            continue
        style = attrib.get("style")
        cls = attrib.get("class")
        if ("hidden" in attrib or attrib.get("aria-hidden") == "true" or tag == "figcaption"
                or (style is not None and any(s in style.replace(" ", "") for s in HIDDEN_STYLES))
                or (tag == "blockquote" and cls is not None and any(c in cls for c in EMBED_CLASSES))):
            hidden.append(el)
        if cls is not None and tag not in ("article", "main") and any(w in cls for w in WIDGET_CLASSES):
            widgets.append(el)
    return hidden, widgets


def _in_body(el: lxml.html.HtmlElement) -> bool:
    return any(a.tag == "body" for a in el.iterancestors())


def prune_non_article(tree: lxml.html.HtmlElement) -> int:
    """Remove, in place (keeping tails), what ``PRUNE_XPATH`` and
    ``WIDGET_CLASSES`` select, but never what may be the article itself
    (:func:`_holds_the_article`); returns how many subtrees went."""
    page_chars: list[int] = []  # the body's text length, measured once, if a candidate needs it

    def chars() -> int:
        if not page_chars:
            body = tree.find("body")
            page_chars.append(_text_chars(body) if body is not None else 0)
        return page_chars[0]
    count = 0
    hidden, widgets = _candidates(tree)
    for el in hidden:
        if el.tag in _NEVER_PRUNE or el.getparent() is None or _holds_the_article(el, chars):
            continue
        el.drop_tree()
        count += 1
    for el in widgets:  # those still in the body: not inside what went above
        if el.tag in _NEVER_PRUNE or el.getparent() is None or not _widget_class(el) or not _in_body(el):
            continue
        if len(el.text_content().split()) > WIDGET_MAX_WORDS or _holds_the_article(el, chars):
            continue
        el.drop_tree()
        count += 1
    return count


def _is_layout(cells: list[tuple[lxml.html.HtmlElement, lxml.html.HtmlElement]]) -> bool:
    return any(any(el.tag in _LAYOUT_BLOCKS for el in cell.iterdescendants())
               and len(cell.text_content().split()) >= LAYOUT_CELL_WORDS for _row, cell in cells)


def unwrap_layout_tables(tree: lxml.html.HtmlElement) -> int:
    """Turn, in place, the tables that lay out the page into ``<div>``s
    (the table, its row groups, rows and cells), keeping their content and
    order; data tables stay.  Returns how many tables were unwrapped."""
    cells_of: dict[lxml.html.HtmlElement, list[tuple[lxml.html.HtmlElement, lxml.html.HtmlElement]]] = {}
    for row in tree.iter("tr"):  # each row once, under the table it belongs to (not an enclosing one)
        table = next(row.iterancestors("table"), None)
        if table is not None:
            cells_of.setdefault(table, []).extend((row, cell) for cell in row if cell.tag in ("td", "th"))
    count = 0
    for table, cells in cells_of.items():
        if not _is_layout(cells):
            continue
        for row, cell in cells:
            cell.tag = row.tag = "div"
        for child in table:
            if child.tag in _TABLE_SECTIONS:
                child.tag = "div"
        table.tag = "div"
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
    """The visible block that prints ``description``, as text (see
    :func:`standfirst_element`)."""
    el = standfirst_element(tree, description)
    return None if el is None else _clean_space(el.text_content())


_DEK_CLASS = re.compile(r"dek|deck|standfirst|subtitle|sub-?head|summary|excerpt|strap|intro|lead|teaser|chap[oe]|sapo",
                        re.IGNORECASE)


def is_dek(el: lxml.html.HtmlElement) -> bool:
    """Whether a block printing the meta description is a standfirst of its
    own, not the article's first paragraph copied into the description (as
    many sites do, sometimes styled larger): a subheading under the title
    (``h2``-``h6``), a block in the page's ``<header>``/``<hgroup>``, or one
    whose class (or its parent's) says dek, standfirst, summary, intro and
    the like."""
    if el.tag in ("h2", "h3", "h4", "h5", "h6"):
        return True
    if any(a.tag in ("header", "hgroup") for a in el.iterancestors()):
        return True
    parent = el.getparent()
    for node in (el, parent):
        if node is not None and _DEK_CLASS.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
    return False


def standfirst_element(tree: lxml.html.HtmlElement, description: str) -> lxml.html.HtmlElement | None:
    """The visible body block that prints ``description`` (the standfirst);
    None when the description is short or not printed.

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
                return el
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
    + r")\s*<")  # matched on the lower-cased page


_KEY_WORDS = ("key", "takeaway", "highlight", "glance", "brief", "bref", "essential", "essentiel", "retenir")


def key_points(tree: lxml.html.HtmlElement, html: str) -> list[str]:
    """The items of the first list following a "Key Points"-style label
    (``KEY_POINT_LABELS``, the label alone in its element) inside the same
    box (the label's grandparent), at most ``KEY_POINTS_MAX_ITEMS``;
    empty when there is none.  ``html`` is the page's source, searched first
    for the labels (cheaper than walking the tree)."""
    low = html.lower()
    if not any(word in low for word in _KEY_WORDS):  # most pages: no label at all, no regex over the page
        return []
    labels = {re.sub(r"’|&#39;|&#x27;", "'", m.group(1)) for m in _KEY_LABEL_IN_HTML.finditer(low)}
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


def _address(parts: SplitResult) -> tuple[str, str]:
    return bare_host(parts), parts.path.rstrip("/")


def link_texts(tree: lxml.html.HtmlElement, page_url: str, *also: str) -> set[str]:
    """:func:`parsers.boilerplate.quick_key` forms of the texts of the body's
    links to other pages of the same site (relative, or to the host of
    ``page_url`` or of any URL in ``also``), of ``LINK_MIN_WORDS`` words or
    more: a paragraph that is nothing but one of them is a related-story
    card.  Links to a section of the page (a table of contents), to the page
    itself (a headline linked to its permalink) and to other sites (a list
    of resources) are text.

    ``also`` takes the page's canonical URL: a page fetched from another
    host than the one it names (a mirror, a CDN or AMP host, an archive, a
    proxy) links to its site by that name, with absolute URLs."""
    own = {_address(parts) for parts in map(split_url, (page_url, *also)) if parts is not None}
    hosts = {host for host, _ in own}
    out: set[str] = set()
    for a in _LINKS(tree):
        key = quick_key(a.text_content())
        if key.count(" ") + 1 < LINK_MIN_WORDS:
            continue
        href = (a.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        target = resolve(page_url, href)  # None for mailto:, javascript:, tel: and what cannot be parsed
        parts = split_url(target) if target else None
        if parts is None:
            continue
        address = _address(parts)
        if address[0] not in hosts or address in own:
            continue
        out.add(key)
    return out


_LINKS = lxml.etree.XPath("//body//a[@href]")
