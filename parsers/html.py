"""Bytes to HTML text, and the page-level metadata trafilatura does not give.

Decoding follows the order browsers use: the HTTP header's charset, a BOM,
the page's ``<meta charset>`` (found by bs4's EncodingDetector), UTF-8, then
statistical detection (charset-normalizer).  Each is tried strictly, so a
wrong label falls through to the next; a page declared UTF-8 (or declaring
nothing) with a few invalid bytes is read as UTF-8 with those bytes replaced,
before detection, and a body that is not text at all (an image, an archive,
NUL bytes) is refused as ``binary_body``.  Detection is unreliable between the
single-byte Latin code pages (French text in windows-1252 is often guessed as
windows-1250), so when it lands in that family and windows-1252 decodes
cleanly we take windows-1252, the web's default for unlabelled pages.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
from urllib.parse import SplitResult

import charset_normalizer
import lxml.etree
import lxml.html
from bs4.dammit import EncodingDetector
from trafilatura.utils import is_dubious_html, repair_faulty_html

from newsflow.errors import ExtractError
from parsers.urls import bare_host, resolve, split_url

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_LATIN_SINGLE_BYTE = {"cp1250", "cp1252", "cp1254", "cp1257", "iso8859_1", "iso8859_2", "iso8859_9",
                      "iso8859_15", "iso8859_16", "mac_roman", "cp850", "cp437"}


# A UTF-8 page may have this many invalid bytes (at least LOSSY_MIN_ERRORS,
# else one per LOSSY_BYTES_PER_ERROR bytes) and still be read as UTF-8.
LOSSY_MIN_ERRORS = 8
LOSSY_BYTES_PER_ERROR = 2000
_MAGIC = ((b"\x89PNG", "a PNG image"), (b"GIF8", "a GIF image"), (b"\xff\xd8\xff", "a JPEG image"),
          (b"%PDF-", "a PDF file"), (b"PK\x03\x04", "a ZIP archive"), (b"\x1f\x8b", "gzip data"),
          (b"RIFF", "a RIFF file (WebP, WAV, AVI)"))


def _try(body: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        name = codecs.lookup(encoding).name
        return body.decode(name)
    except (LookupError, UnicodeDecodeError):
        return None


def _binary(body: bytes) -> str | None:
    """What a body that is no text at all looks like, or None: a known file
    signature, or NUL bytes in its first 4 KB (text in UTF-16 or UTF-32
    starts with a BOM, checked before)."""
    for magic, kind in _MAGIC:
        if body.startswith(magic):
            return kind
    head = body[:4096]
    if head and head.count(0) > len(head) // 100:
        return f"{head.count(0)} NUL bytes in the first {len(head)}"
    return None


def _mostly_utf8(body: bytes) -> str | None:
    """The body as UTF-8 with its few invalid bytes replaced (U+FFFD), when
    there are few: one bad byte in a UTF-8 page must not lose the page, and
    bytes in another encoding give many errors and go to detection."""
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - body.count("\ufffd".encode())
    return text if bad <= max(LOSSY_MIN_ERRORS, len(body) // LOSSY_BYTES_PER_ERROR) else None


def decode_html(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """Returns (text, encoding used); ``utf-8/lossy`` when a few invalid
    bytes were replaced.  Raises ExtractError ``binary_body`` for a body
    that is not text (an image or an archive served as HTML)."""
    boms = [("bom", enc) for bom, enc in _BOMS if body.startswith(bom)]
    if not boms:
        kind = _binary(body)
        if kind is not None:
            raise ExtractError("binary_body", f"the body is not text ({kind})")
    candidates: list[tuple[str, str | None]] = [("header", header_charset), *boms]
    declared = EncodingDetector.find_declared_encoding(body[:4096], is_html=True)
    candidates.append(("meta", declared))
    candidates.append(("default", "utf-8"))
    for _, enc in candidates:
        text = _try(body, enc)
        if text is not None:
            return text, codecs.lookup(enc).name  # type: ignore[arg-type]
    if all(_is_utf8(enc) for enc in (header_charset, declared) if enc):  # declared UTF-8, or nothing declared
        text = _mostly_utf8(body)
        if text is not None:
            return text, "utf-8/lossy"
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    guess = best.encoding if best is not None else None
    if guess is None or codecs.lookup(guess).name.replace("-", "_") in _LATIN_SINGLE_BYTE:
        text = _try(body, "cp1252")
        if text is not None:
            return text, "cp1252"
    text = _try(body, guess)
    if text is not None:
        return text, guess  # type: ignore[return-value]
    # the last resort loses the bytes no decoder accepts, not the page
    return body.decode("utf-8", errors="replace"), "utf-8/lossy"


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


# Every element the code touches gets its Python class from the parser's
# class lookup.  lxml.html's own lookup is a Python method called for each
# element proxy (1.8 million calls over 479 corpus pages); lxml's default
# lookup, in C, gives every element the same HtmlElement class (and comments,
# PIs and entities theirs): the same trees, and bench/extraction.py's speed
# ratio went from 0.72x to 0.75x of trafilatura's (2% in a per-page A/B).  Only
# lxml.html's form-control classes (InputElement...) are not made, and
# nothing here uses them.
_LOOKUP = lxml.etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity)


def _parser(**options: bool | str) -> lxml.html.HTMLParser:
    parser = lxml.html.HTMLParser(**options)
    parser.set_element_class_lookup(_LOOKUP)
    return parser


# Comments and processing instructions are left out of the tree, as
# trafilatura's own parser does: they are never text, and a text node whose
# parent is a comment broke code that walks up from text to its element.
# The first parser has the settings of trafilatura's (trafilatura.utils.HTML_PARSER).
_TRAFILATURA_PARSER = _parser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                              remove_pis=True)
_PARSER = _parser(remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False)


def parse_tree(text: str) -> lxml.html.HtmlElement:
    """The page's tree as trafilatura builds it from the same text (the steps
    of ``trafilatura.load_html`` for a str: its repairs of what libxml2
    mis-parses, a doctype on the first line among them, and its parser's
    settings), so its extraction sees what it would see on its own; lxml's
    document parser where trafilatura would give up.
    ``tests/parsers/test_html.py`` checks that the trees are trafilatura's."""
    tree = _trafilatura_tree(text)
    if tree is not None and len(tree):
        return tree
    # lxml refuses str input that carries an XML encoding declaration.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        return lxml.html.document_fromstring(text, parser=_PARSER)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ExtractError("unparseable_html", str(exc)) from exc


def _trafilatura_tree(text: str) -> lxml.html.HtmlElement | None:
    """``trafilatura.load_html(text)``, parsed with ``_TRAFILATURA_PARSER``."""
    beginning = text[:50].lower()
    text = repair_faulty_html(text, beginning)
    try:
        tree = lxml.html.fromstring(text, parser=_TRAFILATURA_PARSER)
    except (ValueError, lxml.etree.ParserError):
        # a str with an encoding declaration, or nothing lxml could parse:
        # trafilatura then tries the bytes
        tree = None
    if tree is None or len(tree) < 1:
        try:
            tree = lxml.html.fromstring(text.encode("utf8", "surrogatepass"), parser=_TRAFILATURA_PARSER)
        except (ValueError, lxml.etree.ParserError):
            return None
    if is_dubious_html(beginning) and len(tree) < 2:  # trafilatura's test that the text is HTML at all
        return None
    return tree


_CANONICAL = lxml.etree.XPath('//head/link[contains(concat(" ", normalize-space(translate(@rel, "CANONICAL", '
                              '"canonical")), " "), " canonical ")]/@href')
_OG_URL = lxml.etree.XPath('//head/meta[@property="og:url"]/@content')
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)$")


def plausible_host(host: str | None) -> bool:
    """Whether ``host`` can be a public site's name: an IP address, or a
    domain name of two labels or more (letters, digits, hyphens; IDNA for
    others).  A canonical link built by a broken template names hosts like
    "packing-list-backpacking-trip", "localhost" or
    "blog.example.fr%2farticles%2f...".  (courlan's ``domain_filter``, which
    trafilatura ships, also rejects real hosts whose first label is a number,
    such as 163.com, so it is not used here.)"""
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        name = host.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = name.split(".")
    return len(labels) >= 2 and all(_HOST_LABEL.match(label) for label in labels)


def _front_page(parts: SplitResult) -> bool:
    return parts.path in ("", "/") and not parts.query


def _ancestor(a: SplitResult, b: SplitResult) -> bool:
    """Whether ``a`` is a folder above ``b`` on the same host (a blog's home
    above one of its posts)."""
    if a.query or a.hostname is None or b.hostname is None \
            or bare_host(a) != bare_host(b):
        return False
    folder = a.path.rstrip("/") + "/"
    return b.path.startswith(folder) and b.path.rstrip("/") != a.path.rstrip("/")


def canonical_link(tree: lxml.html.HtmlElement, page_url: str) -> str | None:
    """``<link rel=canonical>``, else ``og:url``, made absolute, the first
    that can be the page's own address:

    - its host is the page's own or a plausible public name
      (:func:`plausible_host`);
    - it is not the site's front page, unless the page was fetched from
      its front page: a theme that gives every post the home page as its
      canonical would otherwise make all of a site's articles one;
    - it is not a folder above another of the page's canonical links (a
      blog printing its home before the post's own link).

    None when there is no such link: the page's own URL stands."""
    page = split_url(page_url)
    candidates = []
    for value in [*_CANONICAL(tree), *_OG_URL(tree)]:
        url = resolve(page_url, str(value))
        parts = split_url(url) if url else None
        if parts is not None and (plausible_host(parts.hostname)
                                  or (page is not None and parts.hostname == page.hostname)):
            candidates.append((url, parts))
    for url, parts in candidates:
        if _front_page(parts) and not (page is not None and _front_page(page)):
            continue
        if any(_ancestor(parts, other) for _, other in candidates):
            continue
        return url
    return None


def page_language(tree: lxml.html.HtmlElement) -> str | None:
    """The two-letter language of ``<html lang>`` or ``og:locale``."""
    candidates = list(tree.xpath("/html/@lang")) + list(tree.xpath('//head/meta[@property="og:locale"]/@content'))
    for value in candidates:
        m = re.match(r"\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$", str(value))
        if m:
            return m.group(1).lower()
    return None
