from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from newsflow.records import Article
from stories.dedupe import Known, Stored, dedupe, fingerprint
from stories.fingerprint import content_hash, normalise_text

T0 = datetime(2021, 4, 7, 8, 0, tzinfo=UTC)
BODY = "NOUADHIBOU – Mauritania’s coastguard intercepted a wooden pirogue carrying 112 migrants."


def art(aid: str, canonical: str, text: str, hours: float, source: str = "s") -> Article:
    return Article(article_id=aid, url=canonical, canonical_url=canonical, source=source, site="x", title=aid,
                   authors=(), published_at=T0 + timedelta(hours=hours), language="en", text=text,
                   fetched_at=T0 + timedelta(days=1), http_status=200, extractor="t")


def test_hash_ignores_case_punctuation_and_spacing() -> None:
    assert normalise_text("Rabat – Morocco’s  “strong role”!") == "rabat morocco s strong role"
    assert content_hash(BODY) == content_hash(BODY.upper().replace(" ", "  "))
    assert content_hash(BODY) != content_hash(BODY + " Two were taken to hospital.")


def test_syndicated_copy_points_to_the_earliest_article() -> None:
    original = art("a", "https://sw.example/1", BODY, 0, "sw")
    copy = art("b", "https://md.example/2", BODY, 5, "md")
    other = art("c", "https://md.example/3", "A different story about storks over Gibraltar.", 1, "md")
    result = dedupe(fingerprint([copy, other, original]), Known())
    by_id = {a.article_id: a for a in result.articles}
    assert by_id["b"].duplicate_of == "a" and by_id["b"].story_id == by_id["a"].story_id == "a"
    assert by_id["a"].duplicate_of is None and by_id["c"].duplicate_of is None
    assert result.duplicates == 1 and result.drops == []


def test_same_canonical_url_is_dropped_as_known_and_kept_as_alias() -> None:
    a = art("a", "https://sw.example/1", BODY, 0)
    again = replace(art("a", "https://sw.example/1", BODY, 0), url="http://127.0.0.1:9/sw/1")
    stored = Stored("a", fingerprint([a])[0].content_hash, "a")
    result = dedupe(fingerprint([again]), Known(canonical_urls={"https://sw.example/1": stored}))
    assert result.articles == []
    assert [d.reason for d in result.drops] == ["known_canonical_url"]
    assert result.aliases == [("http://127.0.0.1:9/sw/1", "a")]
    # and within one batch
    result = dedupe(fingerprint([a, again]), Known())
    assert len(result.articles) == 1 and len(result.drops) == 1


def test_copy_of_a_stored_article() -> None:
    copy = fingerprint([art("b", "https://md.example/2", BODY, 5)])[0]
    result = dedupe([copy], Known(hashes={copy.content_hash: ("a", "story-a")}))
    assert result.articles[0].duplicate_of == "a" and result.articles[0].story_id == "story-a"


def test_any_order_gives_the_same_result() -> None:
    batch = [art(f"id{i}", f"https://x.example/{i}", BODY if i % 3 == 0 else f"story {i % 5}", i % 4)
             for i in range(30)]
    expected = sorted((a.article_id, a.duplicate_of, a.story_id) for a in dedupe(fingerprint(batch), Known()).articles)
    rng = random.Random(7)
    for _ in range(5):
        rng.shuffle(batch)
        got = sorted((a.article_id, a.duplicate_of, a.story_id) for a in dedupe(fingerprint(batch), Known()).articles)
        assert got == expected


def test_changed_text_at_a_known_canonical_url_is_an_update() -> None:
    new = fingerprint([art("zz", "https://sw.example/1", BODY + " Two were taken to hospital.", 0)])[0]
    stored = Stored("a", content_hash(BODY), "story-a", None)
    result = dedupe([new], Known(canonical_urls={"https://sw.example/1": stored}))
    assert result.articles == [] and result.drops == []
    (update,) = result.updates
    assert (update.article_id, update.story_id, update.duplicate_of) == ("a", "story-a", None)
    assert update.text.endswith("hospital.")


def test_pages_of_one_batch_claiming_one_canonical_url_keep_the_first() -> None:
    # a site whose template declares the same canonical URL on every page
    canon = "https://sw.example/home"
    stored = Stored("a", content_hash(BODY), "story-a", None)
    pages = fingerprint([art("p1", canon, BODY + " Two were taken to hospital.", 0),
                         art("p2", canon, "Rabat hosted a football final between two clubs on Sunday.", 1)])
    result = dedupe(pages, Known(canonical_urls={canon: stored}))
    assert [u.article_id for u in result.updates] == ["a"]  # one update of the stored article, not two
    assert [(d.reason, d.url) for d in result.drops] == [("canonical_conflict", canon)]
    # the same within a batch with nothing stored: the first page is the article
    result = dedupe(pages, Known())
    assert [a.article_id for a in result.articles] == ["p1"] and result.updates == []
    assert [d.reason for d in result.drops] == ["canonical_conflict"]
