"""XML sitemaps and sitemap indexes, including Google News sitemaps.

Parsed with defusedxml, which refuses entity declarations (billion laughs)
and external entities; a gzipped sitemap is inflated with a size cap.
"""

from __future__ import annotations

import gzip

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

from newsflow.records import FeedEntry
from parsers.urls import resolve

MAX_INFLATED = 50_000_000  # sitemaps may be up to 50 MB uncompressed


@dataclass(frozen=True, slots=True)
class SitemapResult:
    entries: list[FeedEntry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # children of a sitemap index
    error: str | None = None
    detail: str = ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(el: Element, name: str) -> str | None:
    for child in el.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def parse_w3c_datetime(value: str | None) -> datetime | None:
    """W3C datetime (a subset of ISO 8601) as used in sitemaps, to UTC."""
    if not value:
        return None
    v = value.strip().replace("Z", "+00:00")
    for candidate in (v, v[:10]):
        try:
            dt = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)
    return None


def inflate(body: bytes, limit: int = MAX_INFLATED) -> bytes:
    """Gunzip ``body`` if it is gzip, refusing output larger than ``limit``."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = d.decompress(body, limit + 1)
    if len(out) > limit:
        raise ValueError(f"gzipped sitemap inflates beyond {limit} bytes")
    return out


def parse_sitemap(body: bytes, sitemap_url: str, source: str) -> SitemapResult:
    try:
        xml = inflate(body)
        root = defusedxml.ElementTree.fromstring(xml)
    except DefusedXmlException as exc:
        return SitemapResult(error="unsafe_xml", detail=f"sitemap declares entities ({type(exc).__name__}); refused")
    except (ParseError, ValueError, OSError, gzip.BadGzipFile, zlib.error) as exc:
        return SitemapResult(error="malformed_sitemap", detail=str(exc)[:300])
    kind = _local(root.tag)
    if kind == "sitemapindex":
        children = []
        for sm in root:
            if _local(sm.tag) == "sitemap":
                url = resolve(sitemap_url, _child_text(sm, "loc"))
                if url:
                    children.append(url)
        return SitemapResult(sitemaps=children)
    if kind != "urlset":
        return SitemapResult(error="not_a_sitemap", detail=f"root element <{kind}>")
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for u in root:
        if _local(u.tag) != "url":
            continue
        url = resolve(sitemap_url, _child_text(u, "loc"))
        if not url or url in seen:
            continue
        seen.add(url)
        # Google News sitemaps: <news:news><news:publication_date>, <news:title>
        published = parse_w3c_datetime(_child_text(u, "publication_date"))
        lastmod = parse_w3c_datetime(_child_text(u, "lastmod"))
        entries.append(FeedEntry(url=url, source=source, feed_url=sitemap_url, title=_child_text(u, "title"),
                                 published_at=published, updated_at=lastmod))
    return SitemapResult(entries=entries)



