"""The general (not site-specific) extraction rules: pruning, standfirst,
key points, split bodies, related links, bios, trust lines, authors."""

from __future__ import annotations

from datetime import UTC, datetime

from newsflow.records import Article, Page
from parsers.authors import is_plausible_name, parse_authors
from parsers.boilerplate import clean_paragraphs, contains_cta
from parsers.extract import extract_page

FETCHED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
P1 = ("The interior ministry said on Monday that the new reception centre would open in May, and that it "
      "would house up to 400 people while their applications are examined by the courts.")
P2 = ("Local officials welcomed the decision but warned that the building still needed repairs, and asked "
      "the government for a clear timetable before the first families arrive in the spring.")
P3 = ("Aid groups said the centre was a step forward, though they questioned whether 400 places would be "
      "enough given the number of arrivals recorded along the coast since January.")


def extract(html: str) -> Article:
    url = "https://news.example/a"
    a = extract_page(Page(url=url, final_url=url, source="s", status=200, content_type="text/html",
                          charset="utf-8", body=html.encode(), fetched_at=FETCHED), "en")
    assert isinstance(a, Article), a
    return a


def test_hidden_copies_tweets_and_captions_are_pruned() -> None:
    a = extract(f"""<html><body><article><h1>Centre to open</h1><p>{P1}</p>
        <div style="display: none"><p>HIDDEN COPY of the whole article text for structured data readers.</p></div>
        <figure><img src="x.jpg"><figcaption>The centre in Tangier. Photograph by Someone Else</figcaption></figure>
        <blockquote class="twitter-tweet"><p>This tweet is not the article at all, it is a quoted post</p></blockquote>
        <p>{P2}</p><p>{P3}</p></article></body></html>""")
    assert a.text == "\n\n".join([P1, P2, P3])


def test_standfirst_from_the_visible_meta_description_goes_to_its_field_and_headline_forms_are_removed() -> None:
    dek = "A new reception centre will open in May, the ministry says, with room for 400 people"
    a = extract(f"""<html><head><title>Centre to open in May | News Example</title>
        <meta property="og:title" content="Reception centre to open in May">
        <meta name="description" content="{dek}"></head>
        <body><header><h1>Reception centre to open in May</h1><div class="dek"><p>{dek}</p></div></header>
        <article><p>Reception centre to open in May</p><p>{P1}</p><p>{P2}</p><p>{P3}</p></article></body></html>""")
    assert a.standfirst == dek
    assert dek not in a.text and a.text.split("\n\n")[0] == P1
    assert a.title == "Reception centre to open in May"  # the visible headline, not "... | News Example"
    assert "Reception centre to open in May" not in a.text
    assert "headline_repeat" in {r.rule for r in a.removed}


def test_key_points_box_is_kept() -> None:
    a = extract(f"""<html><body><div class="box"><div class="hdr">Key Points</div>
        <div><ul><li>The centre opens in May.</li><li>It will house 400 people.</li></ul></div></div>
        <article><p>{P1}</p><p>{P2}</p><p>{P3}</p></article></body></html>""")
    assert a.text.startswith("The centre opens in May.\n\nIt will house 400 people.\n\n" + P1)


def test_related_links_bios_trust_lines_and_sections() -> None:
    links = {"centre opening delayed again as repairs drag on"}
    paras = [P1, "Centre opening delayed again as repairs drag on", P2,
             "Our Standards: The Thomson Reuters Trust Principles.", "By Jane Doe", P3,
             "Jane Doe is a senior reporter covering migration. Follow her on X.",
             "More from News Example", "Another story headline", "Another teaser line here."]
    kept, removed = clean_paragraphs(paras, None, links=links, authors=("Jane Doe",))
    assert kept == [P1, P2, P3]
    assert [r.rule for r in removed] == ["related_link", "trust_line", "byline", "related_section",
                                         "related_section", "related_section", "author_bio"]


def test_prose_mentioning_a_related_heading_or_the_author_survives() -> None:
    quote = ("Jane Doe is a name the committee used in its report, the chairman said, adding that more from "
             "the archive would be published after the vote.")
    paras = [P1, "More from the archive", P2, P3, quote]
    kept, _ = clean_paragraphs(paras, None, authors=("Jane Doe",))
    assert "More from the archive" in kept  # in the first half: a subheading, not a teaser block
    assert quote in kept  # no role, not a description of the author


def test_new_call_to_action_phrases() -> None:
    kept, removed = clean_paragraphs([P1, "Join our commenting forum", "Swipe left below to view more authors"],
                                     None)
    assert kept == [P1] and {r.rule for r in removed} == {"call_to_action"}
    assert contains_cta("\n\n".join(kept)) == []


def test_authors_prefer_people_and_keep_the_byline_when_it_names_nobody() -> None:
    assert parse_authors("The Washington Times https; Www Washingtontimes Com; Mallory Wilson") == ("Mallory Wilson",)
    assert parse_authors("Condé Nast; Jane Mayer") == ("Jane Mayer",)
    assert parse_authors("CNBC com staff") == ()
    assert parse_authors("By Anna Demming and Guardian staff reporter") == ("Anna Demming",)
    assert parse_authors("Oliver O'Connell, Gustaf Kilander") == ("Oliver O'Connell", "Gustaf Kilander")
    # a byline that names no person is kept as the page states it
    assert parse_authors("Reuters", ("Reuters",)) == ("Reuters",)
    assert parse_authors("Telegraph Reporters") == ("Telegraph Reporters",)
    assert parse_authors("Kristin") == ("Kristin",)
    assert parse_authors("admin") == ()
    # a personal site: its name is its author's
    assert parse_authors("Sam Bossley", ("Sam Bossley", "bossley")) == ("Sam Bossley",)
    # credentials stay with the name they follow; sentences and dates around names go
    assert parse_authors("Dylan Bailey, MS, RD, FAND") == ("Dylan Bailey, MS, RD, FAND",)
    assert parse_authors("This post was written by Danielle Padula") == ("Danielle Padula",)
    assert parse_authors("Cazzy Magennis Last Updated August 1") == ("Cazzy Magennis",)
    assert parse_authors("Texas Mattress Makers Reviewed by Youval Meicler") == ("Texas Mattress Makers", "Youval Meicler")
    # beside people, a credited newsroom or team stays
    assert parse_authors("Sergio Martínez-Beltrán; The Texas Newsroom") == ("Sergio Martínez-Beltrán", "The Texas Newsroom")
    assert is_plausible_name("Françoise Sagan-Dupré")
    assert not is_plausible_name("admin")


def test_a_standfirst_extracted_as_the_first_paragraph_moves_out_of_the_text() -> None:
    dek = "A new reception centre will open in May, the ministry says, with room for 400 people"
    a = extract(f"""<html><head><title>Centre to open</title><meta name="description" content="{dek}"></head>
        <body><article><h1>Centre to open</h1><p class="dek">{dek}</p><p>{P1}</p><p>{P2}</p><p>{P3}</p>
        </article></body></html>""")
    assert a.standfirst == dek
    assert a.text == "\n\n".join([P1, P2, P3])


def test_related_story_cards_are_links_to_the_site_itself() -> None:
    from parsers.html import parse_tree
    from parsers.page_structure import link_texts

    tree = parse_tree('<html><body><a href="/2024/05/other-story">Centre opening delayed again</a>'
                      '<a href="https://www.news.example/b">Ministers meet in Rabat</a>'
                      '<a href="https://other.example/x">Guide to asylum law</a>'
                      '<a href="#procedure">How the procedure works</a></body></html>')
    assert link_texts(tree, "https://news.example/a") == {"centre opening delayed again", "ministers meet in rabat"}


def test_links_to_the_canonical_host_are_the_site_s_own() -> None:
    from parsers.html import parse_tree
    from parsers.page_structure import link_texts

    tree = parse_tree('<html><body><a href="https://www.news.example/b">Ministers meet in Rabat</a>'
                      '<a href="https://other.example/x">Guide to asylum law</a></body></html>')
    assert link_texts(tree, "http://127.0.0.1:8080/a") == set()
    assert link_texts(tree, "http://127.0.0.1:8080/a", "https://news.example/a") == {"ministers meet in rabat"}
    assert link_texts(tree, "http://127.0.0.1:8080/a", "http://[x/") == set()  # an unparseable URL adds no host
    # the headline linked to the page's own permalink is not a card
    tree = parse_tree('<html><body><h2><a href="https://news.example/2024/05/centre/">Centre opening delayed again'
                      '</a></h2><a href="2024/05/rabat">Ministers meet in Rabat</a></body></html>')
    assert link_texts(tree, "https://news.example/2024/05/centre") == {"ministers meet in rabat"}
    assert link_texts(tree, "http://127.0.0.1:8080/p/1.html", "https://news.example/2024/05/centre") \
        == {"ministers meet in rabat"}


def test_a_page_fetched_from_another_host_loses_its_related_cards_by_its_canonical_url() -> None:
    card = "Ministers meet in Rabat to discuss the new border agreement"
    html = f"""<html><head><link rel="canonical" href="https://news.example/a"></head><body><article>
        <h1>Centre to open</h1><p>{P1}</p><p>{P2}</p>
        <p><a href="https://news.example/2024/05/rabat">{card}</a></p><p>{P3}</p></article></body></html>"""
    url = "http://mirror.example/a"  # a mirror, CDN or proxy: the card links to the site by its own name
    a = extract_page(Page(url=url, final_url=url, source="s", status=200, content_type="text/html",
                          charset="utf-8", body=html.encode(), fetched_at=FETCHED), "en")
    assert isinstance(a, Article), a
    assert a.text == "\n\n".join([P1, P2, P3])
    assert [(r.rule, r.text) for r in a.removed if r.rule != "headline_repeat"] == [("related_link", card)]


def test_comments_section_is_cut_from_its_heading_on() -> None:
    for heading in ("12 Comments", "3 Responses to “Reception centre to open in May”", "Leave a Reply",
                    "Comments (7)", "The comments to this entry are closed.", "Laisser un commentaire",
                    "No Comments »", "Both comments and pings are currently closed.",
                    "You can follow any responses to this entry through the RSS 2.0 feed. You can leave a response, "
                    "or trackback from your own site."):
        paras = [P1, P2, heading, "Great article, thanks!", "I disagree with the minister."]
        kept, removed = clean_paragraphs(paras, None)
        assert kept == [P1, P2], heading
        assert [r.rule for r in removed] == ["comments_section"] * 3


def test_comment_headings_that_are_not_the_comments_stay() -> None:
    # a singular "Comment" heads opinion pieces; before the article's first words it is no comments block
    paras = [P1, "Comment", P2, P3]
    assert clean_paragraphs(paras, None)[0] == paras
    assert clean_paragraphs(["12 Comments", P1, P2], None)[0] == ["12 Comments", P1, P2]
    prose = "Comments from residents were collected by the council over the summer, the report says."
    assert clean_paragraphs([P1, prose, P2], None)[0] == [P1, prose, P2]
    for line in ("No comment on the allegations, the spokesman said.", "Add a comment to the shared document",
                 "No comments were made by the ministry.",
                 "2 comments on the draft were received"):
        assert clean_paragraphs([P1, line, P2], None)[0] == [P1, line, P2], line


def test_label_lines_go_and_prose_with_the_words_stays() -> None:
    labels = ["Advertisement", "SKIP ADVERTISEMENT", "Publicité", "8 min read", "- 11 min read", "3 min de lecture",
              "Lecture : 4 min"]
    kept, removed = clean_paragraphs([P1, *labels, P2], None)
    assert kept == [P1, P2]
    assert {r.rule for r in removed} == {"label"}
    prose = ["The advertisement ran for 8 min on national television.", "Read the 3 min summary below."]
    assert clean_paragraphs([P1, *prose], None)[0] == [P1, *prose]
