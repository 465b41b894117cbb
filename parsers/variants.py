"""AMP and mobile variants of an article URL.

``parsers.urls.canonicalize`` (courlan) removes tracking parameters and
fragments; it does not know that ``m.example.com/x``, ``amp.example.com/x``,
``example.com/x/amp``, ``example.com/amp/x``, ``example.com/x.amp.html`` and
``example.com/x?amp=1`` are the same page as ``example.com/x``.
:func:`strip_amp_mobile` maps those to the desktop URL.  Apply it to the
canonical URL *after* ``canonicalize`` (and after rel=canonical / og:url have
been chosen), before the article id is derived from it.

A mirror host maps to the bare domain (``amp.theguardian.com`` ->
``theguardian.com``); whether the desktop site lives on ``www.`` cannot be
known from the URL, so compare hosts without ``www.`` (as ``articles.site``
does).  A page's own rel=canonical, when present, remains the better answer.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# host prefixes that mark a mobile or AMP mirror of the same site
_HOST_PREFIXES = ("amp.", "m.", "mobile.", "mobil.")
# query parameters that only select the AMP/mobile rendering
_QUERY_FLAGS = frozenset({"amp", "outputtype", "amp_js_v", "usqp", "mobile", "m"})
_AMP_QUERY_VALUES = frozenset({"", "1", "true", "amp", "yes"})


def _strip_host(host: str) -> str:
    for prefix in _HOST_PREFIXES:
        # keep at least "domain.tld": m.co is a domain, not a mobile mirror
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix):]
    return host


def _strip_path(path: str) -> str:
    path = re.sub(r"\.amp\.html?$", ".html", path)          # /x.amp.html -> /x.html
    path = re.sub(r"(?:/amp)+/?$", "", path) or "/"          # /x/amp, /x/amp/ -> /x
    path = re.sub(r"^/amp(?=/.)", "", path)                  # /amp/x -> /x
    return path


def strip_amp_mobile(url: str) -> str:
    """The desktop URL for an AMP or mobile variant; other URLs unchanged.

    >>> strip_amp_mobile("https://m.example.com/world/story-1/amp?amp=1&id=3")
    'https://example.com/world/story-1?id=3'
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return url
    host = _strip_host(parts.netloc.lower())
    path = _strip_path(parts.path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not (k.lower() in _QUERY_FLAGS and v.lower() in _AMP_QUERY_VALUES)
             and not (k.lower() == "outputtype" and v.lower() == "amp")]
    return urlunsplit((parts.scheme, host, path, urlencode(query), parts.fragment))
