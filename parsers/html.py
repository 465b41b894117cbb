"""Bytes to HTML text, and the page-level metadata trafilatura does not give.

Decoding follows the order browsers use: the HTTP header's charset, a BOM,
the page's ``<meta charset>`` (found by bs4's EncodingDetector), UTF-8, then
statistical detection (charset-normalizer).  Each is tried strictly, so a
wrong label falls through to the next.  Detection is unreliable between the
single-byte Latin code pages (French text in windows-1252 is often guessed as
windows-1250), so when it lands in that family and windows-1252 decodes
cleanly we take windows-1252, the web's default for unlabelled pages.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer
import lxml.html
from bs4.dammit import EncodingDetector

from newsflow.errors import ExtractError
from parsers.urls import resolve

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_LATIN_SINGLE_BYTE = {"cp1250", "cp1252", "cp1254", "cp1257", "iso8859_1", "iso8859_2", "iso8859_9",
                      "iso8859_15", "iso8859_16", "mac_roman", "cp850", "cp437"}


def _try(body: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        name = codecs.lookup(encoding).name
        return body.decode(name)
    except (LookupError, UnicodeDecodeError):
        return None


def decode_html(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """Returns (text, encoding used)."""
    candidates: list[tuple[str, str | None]] = [("header", header_charset)]
    candidates += [("bom", enc) for bom, enc in _BOMS if body.startswith(bom)]
    candidates.append(("meta", EncodingDetector.find_declared_encoding(body[:4096], is_html=True)))
    candidates.append(("default", "utf-8"))
    for _, enc in candidates:
        text = _try(body, enc)
        if text is not None:
            return text, codecs.lookup(enc).name  # type: ignore[arg-type]
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    guess = best.encoding if best is not None else None
    if guess is None or codecs.lookup(guess).name.replace("-", "_") in _LATIN_SINGLE_BYTE:
        text = _try(body, "cp1252")
        if text is not None:
            return text, "cp1252"
    text = _try(body, guess)
    if text is not None:
        return text, guess  # type: ignore[return-value]
    raise ExtractError("bad_charset", f"could not decode the page (header charset {header_charset!r}, detected {guess!r})")


def parse_tree(text: str) -> lxml.html.HtmlElement:
    # lxml refuses str input that carries an XML encoding declaration.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        return lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ExtractError("unparseable_html", str(exc)) from exc


def canonical_link(tree: lxml.html.HtmlElement, page_url: str) -> str | None:
    """``<link rel=canonical>``, else ``og:url``, made absolute."""
    for href in tree.xpath('//head/link[contains(concat(" ", normalize-space(translate(@rel, "CANONICAL", "canonical")), " "), " canonical ")]/@href'):
        url = resolve(page_url, str(href))
        if url:
            return url
    for content in tree.xpath('//head/meta[@property="og:url"]/@content'):
        url = resolve(page_url, str(content))
        if url:
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
