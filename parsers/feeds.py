"""RSS 0.9x/1.0/2.0 and Atom feeds to :class:`FeedEntry` rows.

feedparser does the parsing (it copes with the broken feeds real sites
serve); defusedxml screens the document first, because feedparser's XML
back-end would expand entity declarations (billion laughs) on its own.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree
import feedparser
from defusedxml import DefusedXmlException

from newsflow.records import FeedEntry
from parsers.urls import resolve


@dataclass(frozen=True, slots=True)
class FeedResult:
    entries: list[FeedEntry]
    error: str | None = None  # reason class when the feed was rejected
    detail: str = ""
    skipped: int = 0  # items without a usable link


def _when(parsed: time.struct_time | None) -> datetime | None:
    if parsed is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def parse_feed(body: bytes, feed_url: str, source: str) -> FeedResult:
    try:
        defusedxml.ElementTree.fromstring(body)
    except DefusedXmlException as exc:
        return FeedResult([], "unsafe_xml", f"feed declares entities or external references ({type(exc).__name__}); refused")
    except ParseError:
        pass  # malformed XML: let feedparser's lenient parser try

    # content-location resolves relative links; without a content-type
    # feedparser flags every empty feed as malformed ("no Content-type")
    parsed = feedparser.parse(body, response_headers={"content-location": feed_url,
                                                      "content-type": "application/xml"})
    raw_entries = parsed.get("entries", [])
    if not raw_entries:
        if parsed.get("bozo"):
            exc = parsed.get("bozo_exception")
            return FeedResult([], "malformed_feed", f"no entries could be read: {exc}")
        if not parsed.get("version"):
            return FeedResult([], "not_a_feed", "the document is neither RSS nor Atom")
        return FeedResult([])

    entries: list[FeedEntry] = []
    seen: set[str] = set()
    skipped = 0
    for item in raw_entries:
        url = resolve(feed_url, item.get("link"))
        if url is None or url in seen:
            skipped += 1
            continue
        seen.add(url)
        entries.append(
            FeedEntry(
                url=url,
                source=source,
                feed_url=feed_url,
                title=(item.get("title") or None),
                published_at=_when(item.get("published_parsed")),
                # dict.get: FeedParserDict.get would fall back to the published date
                updated_at=_when(dict.get(item, "updated_parsed")),
                summary=(item.get("summary") or None),
            )
        )
    if not entries and parsed.get("bozo"):
        return FeedResult([], "malformed_feed", f"no usable item could be read: {parsed.get('bozo_exception')}",
                          skipped=skipped)
    return FeedResult(entries, skipped=skipped)
