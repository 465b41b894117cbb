"""URL canonicalisation.

courlan (trafilatura's own URL library) does the normalisation: lower-case
host, default ports, sorted query, tracking parameters (utm_*, fbclid, ...)
and fragments removed; parsers.variants maps AMP and mobile variants
(m., amp., /amp, .amp.html, ?amp=1) to the desktop URL.
"""

from __future__ import annotations

import hashlib
from urllib.parse import SplitResult, urljoin, urlsplit

import courlan

from parsers.variants import strip_amp_mobile


def canonicalize(url: str) -> str:
    """The normalised form of ``url`` used for identity and dedupe: courlan's
    normalisation, then AMP and mobile variants mapped to the desktop URL."""
    try:
        return strip_amp_mobile(courlan.normalize_url(url, strict=True))
    except ValueError:
        return strip_amp_mobile(url.split("#", 1)[0])


def split_url(url: str) -> SplitResult | None:
    """``urlsplit(url)``, or None for a URL urllib cannot split (a mistyped
    IPv6 host: "http://[x/" raises ValueError), so that one bad link is
    skipped rather than failing the page, feed or section that holds it."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def resolve(base: str, href: str | None) -> str | None:
    """``href`` made absolute against ``base``; None unless http(s), or when
    it cannot be parsed (:func:`split_url`)."""
    if not href:
        return None
    try:
        absolute = urljoin(base, href.strip())
    except ValueError:
        return None
    parts = split_url(absolute)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def article_id(canonical_url: str) -> str:
    """A stable id: the first 16 hex digits of SHA-1 of the canonical URL."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]


def bare_host(parts: SplitResult) -> str:
    """The host of a split URL without a leading "www.": the name two URLs
    of one site share ("" for none)."""
    return (parts.hostname or "").removeprefix("www.")


def site_of(url: str) -> str:
    return bare_host(urlsplit(url))
