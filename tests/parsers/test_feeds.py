from __future__ import annotations

from datetime import UTC, datetime

from parsers.feeds import parse_feed

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>T</title><link>https://ex.example/</link>
<item><title>One</title><link>/2021/04/one</link><pubDate>Sun, 11 Apr 2021 14:02:00 +0000</pubDate>
<description>First &amp; foremost</description></item>
<item><title>No link</title></item>
<item><title>Two</title><link>https://ex.example/2021/04/two</link></item>
<item><title>Two again</title><link>https://ex.example/2021/04/two</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:x</id><updated>2021-04-07T09:15:00+01:00</updated>
<entry><title>Pirogue</title><link rel="alternate" href="https://sw.example/news/1"/><id>urn:1</id>
<published>2021-04-07T09:15:00+01:00</published><updated>2021-04-07T10:00:00+01:00</updated><summary>S</summary></entry>
</feed>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title><item><title>&lol3;</title><link>https://x.example/a</link></item></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&xxe;</title><link>https://x.example/a</link></item></channel></rss>"""


def test_rss_items_resolved_and_deduplicated() -> None:
    r = parse_feed(RSS, "https://ex.example/feed/", "ex")
    assert r.error is None
    assert [e.url for e in r.entries] == ["https://ex.example/2021/04/one", "https://ex.example/2021/04/two"]
    assert r.skipped == 2  # the item without a link and the repeated link
    one = r.entries[0]
    assert one.title == "One" and one.summary == "First & foremost"
    assert one.published_at == datetime(2021, 4, 11, 14, 2, tzinfo=UTC)


def test_atom_dates_are_utc() -> None:
    r = parse_feed(ATOM, "https://sw.example/atom.xml", "sw")
    (e,) = r.entries
    assert e.url == "https://sw.example/news/1"
    assert e.published_at == datetime(2021, 4, 7, 8, 15, tzinfo=UTC)
    assert e.updated_at == datetime(2021, 4, 7, 9, 0, tzinfo=UTC)


def test_malformed_feed_is_an_error_with_a_reason() -> None:
    r = parse_feed(b"<html><body>this is not a feed", "https://x.example/feed", "x")
    assert r.entries == [] and r.error in ("malformed_feed", "not_a_feed")
    assert r.detail


def test_truncated_feed_keeps_what_can_be_read() -> None:
    r = parse_feed(RSS[: RSS.index(b"<item><title>No link")], "https://ex.example/feed/", "ex")
    assert [e.url for e in r.entries] == ["https://ex.example/2021/04/one"]


def test_entity_expansion_and_external_entities_are_refused() -> None:
    for doc in (BILLION_LAUGHS, EXTERNAL_ENTITY):
        r = parse_feed(doc, "https://x.example/feed", "x")
        assert r.entries == [] and r.error == "unsafe_xml"


def test_an_empty_feed_is_not_an_error() -> None:
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://x.example/</link></channel></rss>'
    r = parse_feed(empty, "https://x.example/feed", "x")
    assert r.entries == [] and r.error is None
