"""Site boilerplate: learned from a fixture site's earlier articles, applied
by extract_page, explained, deterministic; quoted text survives."""

from __future__ import annotations

from datetime import UTC, datetime

from newsflow.records import Article, Page
from parsers.extract import extract_page
from parsers.site_boilerplate import (MIN_DOCS, RULE, SiteRules, apply_site_rules, explain_paragraph, fingerprint,
                                      learn_site_rules, learning_paragraphs)

FETCHED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FOOTER = "The Harbour Gazette is an independent newspaper funded by its readers since 1921."
TOPICS = ["ferry", "school", "bridge", "market", "library", "harbour", "council"]


def body_paragraphs(i: int, topic: str) -> list[str]:
    return [f"The town {topic} committee met on Monday evening to discuss plan number {i} for the coming year, "
            f"and members voted on the budget after a long debate about costs and priorities.",
            f"Residents who attended said the {topic} had been neglected for years and that the new plan "
            f"was welcome, although several asked how long the works would take to finish.",
            f"A final decision on the {topic} is expected next month, once the regional authority has "
            f"reviewed the proposal and the public consultation has closed."]


def page_html(i: int, topic: str, extra: list[str] | None = None) -> bytes:
    paras = body_paragraphs(i, topic) + (extra or []) + [FOOTER]
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (f"<html><head><title>Story {i} about the {topic}</title>"
            f'<link rel="canonical" href="https://gazette.example/news/{i}"></head>'
            f"<body><article><h1>Story {i} about the {topic}</h1>{body}</article></body></html>").encode()


def page(i: int, topic: str, extra: list[str] | None = None) -> Page:
    url = f"https://gazette.example/news/{i}"
    return Page(url=url, final_url=url, source="gazette", status=200, content_type="text/html", charset="utf-8",
                body=page_html(i, topic, extra), fetched_at=FETCHED)


def extracted(i: int, topic: str, rules: SiteRules | None = None, extra: list[str] | None = None) -> Article:
    a = extract_page(page(i, topic, extra), "en", site_rules=rules)
    assert isinstance(a, Article)
    return a


def learned(n: int = 6) -> SiteRules:
    earlier = [extracted(i, TOPICS[i % len(TOPICS)]) for i in range(n)]
    return learn_site_rules("gazette.example",
                            [(a.article_id, learning_paragraphs(a.text, a.removed)) for a in earlier])


def test_repeated_footer_line_is_learned_and_removed_with_an_explanation() -> None:
    rules = learned()
    assert rules.articles == 6
    assert [r.fingerprint for r in rules.rules] == [fingerprint(FOOTER)]
    before = extracted(10, "park")
    assert FOOTER in before.text  # without rules the footer is kept (it is a sentence)
    after = extracted(10, "park", rules)
    assert FOOTER not in after.text
    assert [r for r in after.removed if r.rule == RULE][0].text == FOOTER
    assert after.text.startswith("The town park committee met")
    why = explain_paragraph(FOOTER, rules)
    assert why is not None and "occurs in 6 of the 6 sampled articles of gazette.example" in why


def test_rules_are_deterministic_serialisable_and_survive_relearning() -> None:
    rules = learned()
    again = learn_site_rules("gazette.example", reversed([(a.article_id, learning_paragraphs(a.text, a.removed))
                                                          for a in (extracted(i, TOPICS[i % 7]) for i in range(6))]))
    assert again.to_json() == rules.to_json()
    assert SiteRules.from_json(rules.to_json()) == rules
    # learning from articles already cleaned with the rules finds the footer again
    cleaned = [extracted(i, TOPICS[i % 7], rules) for i in range(6)]
    relearned = learn_site_rules("gazette.example",
                                 [(a.article_id, learning_paragraphs(a.text, a.removed)) for a in cleaned])
    assert relearned.to_json() == rules.to_json()


def test_a_paragraph_quoted_by_two_articles_survives() -> None:
    quote = ("“We will not let the harbour close while I am mayor,” Ms Lindqvist told the council, "
             "promising a vote before the summer.")
    earlier = [extracted(i, TOPICS[i % 7], extra=[quote] if i < MIN_DOCS - 1 else None) for i in range(6)]
    rules = learn_site_rules("gazette.example",
                             [(a.article_id, learning_paragraphs(a.text, a.removed)) for a in earlier])
    assert fingerprint(quote) not in {r.fingerprint for r in rules.rules}
    later = extracted(20, "harbour", rules, extra=[quote])
    assert quote in later.text


def test_long_paragraphs_need_more_evidence_and_copies_count_once() -> None:
    long = " ".join(["The regional authority has said that the decision will be reviewed"] * 5)
    arts = [(f"a{i}", ["Short unique line number %d about the day." % i] + ([long] if i < 3 else []))
            for i in range(10)]
    assert learn_site_rules("s", arts).rules == ()  # 3 of 10 is not enough for a long paragraph
    copies = [("a", ["Same footer line.", "x"]), ("b", ["Same footer line.", "x"]), ("c", ["Same footer line.", "x"]),
              ("d", ["Same footer line.", "y"]), ("e", ["Other.", "z"])]
    rules = learn_site_rules("s", copies)
    assert rules.articles == 3  # a, b, c have the same text: counted once
    assert rules.rules == ()  # so the footer is in 2 distinct articles only


def test_too_few_articles_learn_nothing_and_text_is_never_emptied() -> None:
    assert learn_site_rules("s", [("a", ["Footer."]), ("b", ["Footer."]), ("c", ["Footer."])]).rules == ()
    rules = learn_site_rules("s", [(c, ["Footer 2024.", c + " text"]) for c in "abcd"])
    assert len(rules.rules) == 1
    kept, removed = apply_site_rules(["Footer 2024."], rules)
    assert kept == ["Footer 2024."] and removed == []
    kept, removed = apply_site_rules(["Body text.", "Footer 2025."], rules)  # digits do not matter
    assert kept == ["Body text."] and removed[0].removal.rule == RULE
