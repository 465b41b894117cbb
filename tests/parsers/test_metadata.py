"""Title, date and their rules (parsers.metadata)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import lxml.html

from parsers.html import parse_tree
from parsers.metadata import choose_title, pick_date, strip_site_name


def _tree(head: str, body: str):  # noqa: ANN202
    return parse_tree(f"<html><head>{head}</head><body>{body}<p>text</p></body></html>")


def test_the_visible_headline_beats_the_search_title() -> None:
    t = _tree('<title>Best Tax Preparation Software | Accounting.com</title>',
              "<h1>The Best Tax Prep Software of 2025</h1>")
    assert choose_title(t, None, ("accounting.com",)) == "The Best Tax Prep Software of 2025"
    t = _tree('<meta property="og:title" content="Migrants rescued off Tarfaya - Morocco World News">',
              "<h1>Migrants rescued off Tarfaya</h1>")
    assert choose_title(t, None, ("Morocco World News",)) == "Migrants rescued off Tarfaya"


def test_a_blog_name_in_the_h1_is_not_the_headline() -> None:
    t = _tree("<title>The Dangerous Hubris of the Startup World « Rand's Blog</title>", "<h1>Rand's Blog</h1>")
    assert choose_title(t, None, ()) == "The Dangerous Hubris of the Startup World"
    t = _tree("<title>Climate change and NZ's freshwaters: NIWA presentation</title>", "<h1>Waiology</h1>")
    assert choose_title(t, None, ()) == "Climate change and NZ's freshwaters: NIWA presentation"


def test_an_h1_that_is_the_sites_name_is_not_the_headline() -> None:
    from parsers.metadata import heading_title

    # a blog theme's h1, a link to the blog's front page, over a post whose headline is an h2
    page = ("<title>Seth's Blog: The importance of going first</title>",
            '<h1 id="banner-header"><a href="http://sethgodin.typepad.com/seths_blog/">Seth\'s Blog</a></h1>'
            "<h3>The importance of going first</h3>")
    t = _tree(*page)
    assert heading_title(t) == (None, False)  # the only h1 is not taken for the headline
    assert choose_title(t, None, (), heading_title(t)) == "The importance of going first"
    t = _tree("<title>Free Speech and Visibility | danah boyd | apophenia</title>",
              '<h1><a href="/">danah boyd | apophenia</a></h1>')
    assert choose_title(t, None, (), heading_title(t)) == "Free Speech and Visibility"
    t = _tree("<title>» Just For Fun :zenhabits</title>", '<h1 class="site-title">zenhabits</h1>')
    assert choose_title(t, None, (), heading_title(t)) == "Just For Fun"
    # a headline that links to its own article, or to nowhere, stays the headline
    for href in ("/2012/10/open-or-closed.html", "", "#top"):
        t = _tree("<title>Open Or Closed - Eschaton</title>", f'<h1><a href="{href}">Open Or Closed</a></h1>')
        assert choose_title(t, None, (), heading_title(t)) == "Open Or Closed", href


def test_a_widgets_heading_does_not_beat_the_title() -> None:
    from parsers.metadata import heading_title

    body = ('<h2>WTF Weds: Staples In My Head</h2><h3 class="widget-title">Newsletter subscription status</h3>'
            '<h3 class="comments-title">31 Responses to “WTF Weds: Staples In My Head”</h3>')
    t = _tree("<title>WTF Weds: Staples In My Head | The Everywhereist</title>", body)
    assert heading_title(t) == ("Newsletter subscription status", False)  # trafilatura's guess
    assert choose_title(t, None, (), heading_title(t)) == "WTF Weds: Staples In My Head"
    # a heading named as the entry's title that agrees with the <title> is the visible headline
    t = _tree("<title>The Science of Sport: A fictional portrayal of running injuries</title>",
              '<h3 class="post-title">A fictional portrayal of running injuries</h3>')
    assert choose_title(t, None, (), heading_title(t)) == "A fictional portrayal of running injuries"
    # a heading named as the entry's title at one end of the <title>, the blog's name at the other
    t = _tree("<title>Letters of Note: Vast riddles</title>",
              '<h1 class="title"><a href="http://www.lettersofnote.com/">Letters of Note</a></h1>'
              '<h3 class="post-title">Vast riddles</h3><h1>About</h1>')
    assert heading_title(t) == ("Vast riddles", False)  # not the blog's name, though its class says title
    assert choose_title(t, None, (), heading_title(t)) == "Vast riddles"
    # with no title at all, the guess stands in for it
    t = _tree("", '<h1>Ask The Post</h1><h1 class="entry-title">Long Reads: Follow new stories</h1>')
    assert choose_title(t, None, (), heading_title(t)) == "Long Reads: Follow new stories"


def test_labels_and_comment_counts_in_the_h1_are_not_the_headline() -> None:
    title = "<title>How meditation rewires brains and improves physical health - The Harvard Gazette</title>"
    t = _tree(title, "<h1>How meditation rewires brains and improves physical health | Opinion</h1>")
    assert choose_title(t, None, ()) == "How meditation rewires brains and improves physical health"
    t = _tree("<title>Brexit - what next? | Site</title>", "<h1>Brexit - what next?</h1>")
    assert choose_title(t, None, ()) == "Brexit - what next?"  # a dash may be the headline's own
    t = _tree("<title>The 5 Top Ads | The Blog</title>",
              '<h1>The 5 Top Ads, and How They Get PR <span><a href="#comment_list">149 Comments</a></span></h1>')
    assert choose_title(t, None, ()) == "The 5 Top Ads, and How They Get PR"
    t = _tree("<title>Sky-high prices</title>", '<h1>Sky-high prices <span class="comment-bubble">87</span></h1>')
    assert choose_title(t, None, ()) == "Sky-high prices"
    # a theme's dateline left inside an unclosed h1
    t = _tree("<title>Patrols resume off Tarfaya | Site</title>", '<h1>Patrols resume off Tarfaya<div></div>'
              '<h3><span class="posted-on">Posted on <a href="/p">12 May</a> by <a href="/a">ed</a></span></h3></h1>')
    assert choose_title(t, None, ()) == "Patrols resume off Tarfaya"
    # an h1 that runs on into the standfirst is not taken over the metadata title
    t = _tree('<meta property="og:title" content="The 10 Best Home Improvement ROI Projects | RenoFi">',
              "<h1>Learn which home renovations have the best ROI (return on investment)? <span>Get expert tips on"
              " how to understand and calculate home improvement ROI. We will help you learn everything you need"
              " to know about the value of your project.</span></h1>")
    assert choose_title(t, None, ("RenoFi",)) == "The 10 Best Home Improvement ROI Projects"


def test_site_names_and_short_suffixes_leave_the_metadata_title() -> None:
    assert strip_site_name("Gym Workouts for Beginners — Strength Training", ()) == "Gym Workouts for Beginners"
    assert strip_site_name("What is Cloud Computing? | Google Cloud", ("Google Cloud",)) == "What is Cloud Computing?"
    assert strip_site_name("12 Must-Have Data Tools | Python, SQL &#x26; AI", ()) == "12 Must-Have Data Tools"
    assert strip_site_name("Morocco World News - Rabat hosts talks", ("Morocco World News",)) == "Rabat hosts talks"
    # a headline that is itself short keeps its parts
    assert strip_site_name("Brexit - what next?", ()) == "Brexit - what next?"


def test_a_page_date_keeps_its_own_day() -> None:
    fetched = datetime(2026, 12, 1, tzinfo=UTC)
    got = pick_date("2024-05-01T23:30:00-0500", None, fetched)
    assert got is not None and got.date().isoformat() == "2024-05-01"  # not 2024-05-02 in UTC
    assert got == datetime(2024, 5, 2, 4, 30, tzinfo=UTC)  # the same instant
    assert got.utcoffset() == timedelta(hours=-5) and got.tzinfo == timezone(timedelta(hours=-5))
    feed = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    assert pick_date("2024-05-01", feed, fetched) == feed  # the page gives the day, the feed the time


# -- the byline XPaths without regular expressions -----------------------------

def _byline_page() -> lxml.html.HtmlElement:
    """Elements whose class or id holds each spelling the byline patterns
    name, and near misses (other cases, words around them, other tags)."""
    words = ["author", "Author", "AUTHOR", "authorname", "author-name", "AuthorName", "authorName", "Authorname",
             "author_name", "byline", "Byline", "BYLINE", "byl", "BBL", "writer", "Writer", "screenname",
             "channel-name", "channelname", "posted-by", "postedby", "submitted-by", "journalist-name",
             "zuozhe", "bianji", "xiaobian", "username", "co-author-box", "x authorName y", "nothing"]
    cells = []
    for tag in ("a", "div", "span", "p", "h3", "section", "li"):
        for w in words:
            cells.append(f'<{tag} class="{w}">c {w}</{tag}><{tag} id="{w}-1">i {w}</{tag}>')
    cells.append('<span itemprop="author">Ann Lee</span><div data-component="BylineBlock">Bo Yu</div><author>Cy</author>')
    return lxml.html.fromstring("<html><body>" + "".join(cells) + "</body></html>")


def test_byline_searches_select_what_trafilaturas_xpaths_select() -> None:
    from trafilatura.xpaths import AUTHOR_XPATHS

    from parsers.metadata import _AUTHOR_SEARCHES, author_elements

    assert all(s.check is not None and "re:test" not in s.plain.path for s in _AUTHOR_SEARCHES)  # today's three
    tree = _byline_page()
    expected = [x(tree) for x in AUTHOR_XPATHS]
    assert all(expected)
    assert list(author_elements(tree)) == expected
    # an <author> element or a child named by a test: the plain XPaths, the same elements
    tree = lxml.html.fromstring(lxml.html.tostring(tree).replace(b"<author>Cy</author>", b"<rel>me</rel><author>Cy</author>"))
    assert list(author_elements(tree)) == [x(tree) for x in AUTHOR_XPATHS]
    no_byline = lxml.html.fromstring('<html><body><div class="menu"><p id="x">Text</p></div></body></html>')
    assert list(author_elements(no_byline)) == [[], [], []]


def test_regex_free_keeps_patterns_it_cannot_rewrite() -> None:
    from parsers.metadata import regex_free

    assert regex_free("//*[re:test(@class, '^comments|x')]") == "//*[re:test(@class, '^comments|x')]"
    assert regex_free("//*[re:test(@id, 'a(b|c)')]") == "//*[re:test(@id, 'a(b|c)')]"
    assert regex_free("//*[re:test(@id, '[Aa]b-?c|d')]") == (
        "//*[(contains(@id, 'Abc') or contains(@id, 'Ab-c') or contains(@id, 'abc') or contains(@id, 'ab-c')"
        " or contains(@id, 'd'))]")


def test_the_h1_headline_leaves_out_its_date_and_the_site_name() -> None:
    t = _tree("<title>Preparing a transition in Debusine - Colin Watson's blog</title>",
              '<h1><a href="/x"><time datetime="2025-12-18">Dec <span>18</span> 2025</time> Preparing a transition'
              " in&nbsp;<b>Debusine</b></a></h1>")
    assert choose_title(t, None, ()) == "Preparing a transition in Debusine"
    t = _tree('<meta property="og:site_name" content="Artlyst"><title>Critics’ Choice: Best UK Art Exhibitions'
              " 2025 – Artlyst - Artlyst</title>", "<h1>Critics’ Choice: Best UK Art Exhibitions 2025 – Artlyst</h1>")
    assert choose_title(t, None, ("Artlyst", "artlyst", "artlyst.com")) == "Critics’ Choice: Best UK Art Exhibitions 2025"


def _author_page(before: str, after: str, tail: str = "") -> lxml.html.HtmlElement:
    prose = "".join(f"<p>Paragraph {i} of the report on the patrols off Tarfaya.</p>" for i in range(3))
    filler = "".join(f"<p>Paragraph {i} of a long article.</p>" for i in range(80))
    return parse_tree(f"<html><body><nav>{before}</nav><article><h1>Patrols resume off Tarfaya</h1>{after}{prose}"
                      f"{filler}{tail}</article></body></html>")


def test_the_author_is_the_byline_link_under_the_headline() -> None:
    from parsers.metadata import author_link, page_metadata

    byline = '<p>By <a href="https://example.org/authors/heloise-dupont-o-neil/">Héloïse Dupont O’Neil</a></p>'
    assert author_link(_author_page("", byline)) == "Héloïse Dupont O’Neil"
    # where no meta tag, JSON-LD or byline class names the author
    assert page_metadata(_author_page("", byline), "https://example.org/a", "en").author == "Héloïse Dupont O’Neil"
    assert author_link(_author_page("", '<p>By <a href="/author/jdoe">Jane Doe</a></p>')) is None  # not its slug
    assert author_link(_author_page("", '<p><a href="/authors/">All authors</a></p>')) is None
    # a menu of columnists before the headline, a blogroll long after it, comments
    menu = "".join(f'<li><a href="/author/{n.lower().replace(" ", "-")}">{n}</a></li>' for n in ("Ann Lee", "Bo Yu"))
    assert author_link(_author_page(f"<ul>{menu}</ul>", "")) is None
    assert author_link(_author_page("", "", f"<ul>{menu}</ul>")) is None
    comment = '<div class="comment-body"><a href="/author/ann-lee">Ann Lee</a> said</div>'
    assert author_link(_author_page("", comment)) is None
    assert author_link(parse_tree(f"<html><body>{byline}</body></html>")) is None  # no headline, no byline under it
