"""Bytes to HTML text, and the page-level metadata trafilatura does not give.

Decoding uses bs4's UnicodeDammit: the HTTP header's charset first, then a
BOM or the page's ``<meta charset>``, then statistical detection, each tried
strictly so a wrong header falls through to the next.
"""

from __future__ import annotations

import re

import lxml.html
from bs4 import UnicodeDammit

from newsflow.errors import ExtractError
from parsers.urls import resolve


def decode_html(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """Returns (text, encoding used)."""
    known = [header_charset] if header_charset else []
    dammit = UnicodeDammit(body, known_definite_encodings=known, is_html=True)
    if dammit.unicode_markup is None:
        raise ExtractError("bad_charset", f"could not decode the page (header charset {header_charset!r})")
    return dammit.unicode_markup, dammit.original_encoding or "unknown"


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
