from __future__ import annotations

from parsers.boilerplate import clean_text, contains_cta

LONG = ("The interior ministry said on Monday that the new reception centre would open in May, "
        "and that it would house up to 400 people while their applications are examined by the courts.")


def test_share_widget_line_from_the_example_is_removed() -> None:
    text, removed = clean_text("date 2021-04-11 Spread the love\nRabat – Morocco played a “strong role”.", None)
    assert text == "Rabat – Morocco played a “strong role”."
    assert [r.rule for r in removed] == ["share_widget"]


def test_share_widget_glued_to_the_first_paragraph() -> None:
    text, removed = clean_text("date 2021-04-11 Spread the love Rabat – Morocco played a strong role. " + LONG, None)
    assert text.startswith("Rabat – Morocco")
    assert "Spread the love" not in text and "date 2021" not in text
    assert removed[0].text == "date 2021-04-11 Spread the love"


def test_prompts_and_teasers_in_english_and_french() -> None:
    raw = "\n".join([
        LONG,
        "Read more: Storks return to the Strait",
        "Sign up for the Maghreb Daily newsletter and get the day's top stories every morning.",
        "Click here to get the Maghreb Daily app for breaking news alerts.",
        "Follow us on Facebook and Twitter",
        "Join our newsletter for weekly updates on migration policy.",
        "Get the best of Maghreb Daily delivered to your inbox weekly",
        "Subscribe to get the latest posts sent to your email.",
        "Would you like to receive notifications about new posts?",
        "Lire aussi : Les passeurs arrêtés à Tanger",
        "Abonnez-vous à notre newsletter pour recevoir l'essentiel de l'actualité chaque matin.",
        "Suivez-nous sur Facebook et Twitter",
        "Partagez cet article",
        LONG,
    ])
    text, removed = clean_text(raw, None)
    assert text == LONG + "\n\n" + LONG
    assert [r.rule for r in removed] == ["teaser", "call_to_action", "call_to_action", "call_to_action",
                                         "call_to_action", "call_to_action", "call_to_action", "call_to_action", "teaser",
                                         "call_to_action", "call_to_action", "share_widget"]
    assert contains_cta(text) == []


def test_captions_and_credits_stay() -> None:
    """Photo captions and credits are article text for two of the five
    benchmark sets' gold and noise for none measurably (EXTRACTION_TUNING.md)."""
    text, removed = clean_text("\n".join([LONG, "Photo: AFP", "Migrants wait at the port of Tarifa. (Reuters)", LONG]), None)
    assert "Photo: AFP" in text and "port of Tarifa" in text and removed == []


def test_headline_repeated_as_first_line() -> None:
    text, removed = clean_text("Storks Return\n" + LONG, "Storks return")
    assert text == LONG and removed[0].rule == "headline_repeat"


def test_prose_that_mentions_sharing_or_newsletters_survives() -> None:
    quote = ("“We will share this article with every school in the region so that children learn what happened,” "
             "the teacher said, adding that the town's newsletter had followed the case for many months and "
             "that families wanted to read more about it before the trial opens next week in Tangier.")
    text, removed = clean_text(quote, None)
    assert text == quote and removed == []


def test_read_more_inside_a_sentence_is_not_a_teaser() -> None:
    line = "Readers who want to read more: the full report is published on the ministry's website today."
    text, _ = clean_text(line, None)
    assert text == line


def test_the_site_s_copyright_notice_at_the_end_goes() -> None:
    body = ["The ministry said the new centre would open in May and house up to 400 people.",
            "Aid groups said the centre was a step forward, though they questioned its size.",
            "Officials expect the first families to arrive in the spring."]
    for notice in ("© 2012 The Associated Press. All rights reserved. This material may not be published, "
                   "broadcast, rewritten or redistributed.", "Copyright 2011 Thomson Reuters. Click for restrictions.",
                   "(c) Le Desk — Tous droits réservés"):
        text, removed = clean_text("\n".join(body + [notice]), None)
        assert text == "\n\n".join(body), notice
        assert [(r.rule, r.text) for r in removed] == [("copyright_line", notice)]
    # a heading or a sentence about copyright, or a notice in the middle of the text, is article text
    for kept in (body[:1] + ["Copyright law in Europe"] + body[1:],
                 body[:1] + ["© 2012 The Associated Press. All rights reserved."] + body[1:] + body,
                 body + ["Copyrighted works from 1925 entered the public domain this year."]):
        text, removed = clean_text("\n".join(kept), None)
        assert text == "\n\n".join(kept) and removed == [], kept


def test_a_blog_sidebar_goes_from_its_widget_heading_on() -> None:
    body = ["The ministry said the new centre would open in May and house up to 400 people, with a school, "
            "a clinic and a legal aid desk run by two associations from the city.",
            "Aid groups said the centre was a step forward, though they questioned its size and its distance "
            "from the port where most arrivals land."]
    for heading in ("Popular Posts", "Recent Comments:", "Blogroll", "Blog Archive", "Search this blog",
                    "Articles récents"):
        sidebar = [heading, "- Ten tips for a greener garden (506)", "Sam: great post, thanks", "Loading..."]
        text, removed = clean_text("\n".join(body + sidebar), None)
        assert text == "\n\n".join(body), heading
        assert [(r.rule, r.text) for r in removed] == [("blog_sidebar", t) for t in sidebar]
    # before the article's first words it is a page label; "Categories" or "Archives" alone head article sections
    for kept in (["Popular Posts"] + body, body[:1] + ["Categories", "Archives"] + body[1:],
                 body + ["Recent posts on the ministry's blog described the plan in more detail."]):
        text, removed = clean_text("\n".join(kept), None)
        assert text == "\n\n".join(kept) and removed == [], kept


def test_a_sidebar_before_the_article_goes_and_the_article_stays() -> None:
    # a left column printed before the post: the widget ends where the article's prose starts
    about = ["Jane Doe writes about migration law and the courts of the Maghreb, from Rabat, for readers "
             "who follow asylum cases, border policy and the police cooperation between both shores. Her "
             "newsletter goes out every Friday with the week's rulings and hearings."]
    article = ["The appeals court ruled on Tuesday that the expulsion orders issued last spring were unlawful, "
               "because the prefecture had not examined each person's situation and had ignored the medical "
               "reports their lawyers had filed within the legal deadline, the ruling says.",
               "Lawyers for the families said they would ask for the orders to be withdrawn at once."]
    widget = ["Recent Posts", "- Court hearing postponed", "- New asylum figures"]
    text, removed = clean_text("\n".join(about + widget + article), None)
    assert text == "\n\n".join(about + article)
    assert [(r.rule, r.text) for r in removed] == [("blog_sidebar", t) for t in widget]


def test_a_related_box_inside_the_article_goes_and_the_article_goes_on() -> None:
    para = ("The appeals court ruled on Tuesday that the expulsion orders issued last spring were unlawful, "
            "because the prefecture had not examined each person's situation and had ignored the medical "
            "reports their lawyers had filed within the legal deadline, the ruling says.")
    before = [para, para.replace("Tuesday", "Monday"), para.replace("spring", "winter")]
    box = ["Related stories", "Court hearing postponed", "New asylum figures published"]
    after = ["Lawyers for the families said the ruling would reach far beyond the forty people named in it, "
             "and that they would ask the prefecture to withdraw every order issued under the same procedure "
             "since the start of the year, whatever the country of origin of the people concerned."]
    text, removed = clean_text("\n".join(before + box + after), None)
    assert text == "\n\n".join(before + after)
    assert [(r.rule, r.text) for r in removed] == [("related_section", t) for t in box]
    # a trailing block of teasers goes whole
    text, removed = clean_text("\n".join(before + box), None)
    assert text == "\n\n".join(before) and [r.rule for r in removed] == ["related_section"] * 3
