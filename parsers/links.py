"""Links in HTML pages: feed autodiscovery and article links on section pages."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html

from parsers.urls import bare_host, canonicalize, resolve

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}

# Paths of listing pages, not articles.
_NOT_ARTICLE = re.compile(
    r"/(?:tag|tags|category|categories|categorie|rubrique|author|auteur|authors|page|search|recherche|"
    r"about|contact|privacy|terms|login|register|subscribe|newsletter|feed|rss|video|videos|photos?|gallery|"
    r"live|podcasts?|wp-admin|wp-login|cdn-cgi)(?:/|$)",
    re.IGNORECASE,
)
_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|pdf|zip|mp3|mp4|xml|json|css|js)$", re.IGNORECASE)


def feed_links(html: str, base_url: str) -> list[str]:
    """``<link rel="alternate" type="application/rss+xml" href=...>`` in the head."""
    tree = lxml.html.document_fromstring(html)
    found: list[str] = []
    for link in tree.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES:
            url = resolve(base_url, link.get("href"))
            if url and url not in found:
                found.append(url)
    return found


def looks_like_article(url: str, section_url: str) -> bool:
    """Same site as the section page, and a path shaped like an article:
    deep enough, with a dated segment, a numeric id or a long hyphenated slug."""
    u, s = urlsplit(url), urlsplit(section_url)
    if bare_host(u) != bare_host(s) or _FILE.search(u.path) or _NOT_ARTICLE.search(u.path):
        return False
    segments = [p for p in u.path.split("/") if p]
    if not segments or u.path.rstrip("/") == s.path.rstrip("/"):
        return False
    last = segments[-1]
    slug = last.count("-") >= 3 and len(last) >= 20
    dated = re.search(r"/(?:19|20)\d\d/(?:0?[1-9]|1[0-2])/", u.path + "/") is not None
    numeric = re.search(r"\d{5,}", u.path) is not None
    return slug or (len(segments) >= 2 and (dated or numeric))


def article_links(html: str, section_url: str) -> list[str]:
    """Links on a section page that look like articles, canonicalised, in order."""
    tree = lxml.html.document_fromstring(html)
    found: list[str] = []
    seen: set[str] = set()
    for a in tree.xpath("//a[@href]"):
        url = resolve(section_url, a.get("href"))
        if not url or not looks_like_article(url, section_url):
            continue
        key = canonicalize(url)
        if key not in seen:
            seen.add(key)
            found.append(url)
    return found
