from __future__ import annotations

import gzip
from datetime import UTC, datetime

from parsers.links import article_links, feed_links
from parsers.sitemaps import parse_sitemap

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://ex.example/2021/04/one</loc>
  <news:news><news:publication><news:name>Ex</news:name><news:language>fr</news:language></news:publication>
  <news:publication_date>2021-04-11T14:02:00+01:00</news:publication_date><news:title>Un titre</news:title></news:news></url>
<url><loc>/2021/04/two</loc><lastmod>2021-04-12</lastmod></url>
</urlset>"""

INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://ex.example/sitemap-news.xml</loc></sitemap><sitemap><loc>/sitemap-2.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_google_news_sitemap() -> None:
    r = parse_sitemap(NEWS_SITEMAP, "https://ex.example/sitemap.xml", "ex")
    assert r.error is None
    one, two = r.entries
    assert one.url == "https://ex.example/2021/04/one" and one.title == "Un titre"
    assert one.published_at == datetime(2021, 4, 11, 13, 2, tzinfo=UTC)
    assert two.url == "https://ex.example/2021/04/two" and two.updated_at == datetime(2021, 4, 12, tzinfo=UTC)


def test_sitemap_index_and_gzip() -> None:
    r = parse_sitemap(gzip.compress(INDEX), "https://ex.example/sitemap.xml", "ex")
    assert r.sitemaps == ["https://ex.example/sitemap-news.xml", "https://ex.example/sitemap-2.xml.gz"]


def test_bad_sitemaps() -> None:
    assert parse_sitemap(b"<urlset><url>", "https://x.example/s", "x").error == "malformed_sitemap"
    assert parse_sitemap(b"<html></html>", "https://x.example/s", "x").error == "not_a_sitemap"
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><urlset>&b;</urlset>'
    assert parse_sitemap(bomb, "https://x.example/s", "x").error == "unsafe_xml"
    huge = gzip.compress(b"<urlset>" + b" " * 60_000_000 + b"</urlset>")
    assert parse_sitemap(huge, "https://x.example/s", "x").error == "malformed_sitemap"


def test_feed_autodiscovery() -> None:
    html = """<html><head><link rel="alternate" type="application/rss+xml" href="/feed/">
    <link rel="alternate" type="application/atom+xml" href="https://ex.example/atom.xml">
    <link rel="stylesheet" href="/s.css"><link rel="alternate" hreflang="fr" href="/fr/"></head></html>"""
    assert feed_links(html, "https://ex.example/") == ["https://ex.example/feed/", "https://ex.example/atom.xml"]


def test_section_page_article_links() -> None:
    html = """<html><body>
    <a href="/2021/04/11/morocco-interpol-operation">A</a>
    <a href="/politics/some-long-story-about-the-border-today">B</a>
    <a href="/tag/interpol/">tag</a><a href="/category/politics/">cat</a><a href="/about/">about</a>
    <a href="https://other.example/2021/04/11/x">elsewhere</a><a href="/2021/04/11/morocco-interpol-operation#c">dup</a>
    <a href="/media/photo.jpg">img</a><a href="mailto:x@y">mail</a></body></html>"""
    assert article_links(html, "https://www.ex.example/politics/") == [
        "https://www.ex.example/2021/04/11/morocco-interpol-operation",
        "https://www.ex.example/politics/some-long-story-about-the-border-today",
    ]


def test_a_link_urllib_cannot_parse_is_skipped_not_the_page() -> None:
    html = ('<html><head><link rel="alternate" type="application/rss+xml" href="http://[f/feed"></head><body>'
            '<a href="http://[x/2026/05/12/patrols-resume-off-tarfaya-today">x</a>'
            '<a href="/2026/05/12/patrols-resume-off-tarfaya-again">y</a></body></html>')
    assert feed_links(html, "https://example.org/") == []
    assert article_links(html, "https://example.org/news/") == [
        "https://example.org/2026/05/12/patrols-resume-off-tarfaya-again"]
