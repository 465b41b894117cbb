"""Layer 3 (MinHash/LSH near-duplicates) and layer 4 (stories), with exact
expectations on synthetic articles."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from newsflow.records import Article
from stories import minhash
from stories.dedupe import Known, dedupe, fingerprint

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)

WIRE = """\
Police in five countries arrested 42 people suspected of smuggling migrants across the Mediterranean, INTERPOL said on Tuesday, after a two-year investigation code-named Operation Mare Nostrum.

The suspects are accused of organising crossings from Libya and Tunisia to Italy and Malta in overcrowded rubber boats, charging up to 4,000 euros a person, according to a statement from the agency's headquarters in Lyon.

Investigators seized 1.2 million euros in cash, 37 vehicles and a fishing trawler used as a mother ship, the statement said. Eleven of the suspects were detained in Sicily.

The network had been monitored since a shipwreck off Lampedusa in which 61 people drowned, Italian prosecutors said. Several of those arrested face charges of manslaughter.

INTERPOL said the operation involved police and coastguard units from Italy, Malta, Tunisia, Spain and Greece, and was coordinated with Europol and the EU border agency Frontex."""

EXTRA = ("A spokesman for the Italian interior ministry welcomed the arrests and said departures from the "
         "central Mediterranean had fallen by a third since the spring.")
BOILER_A = "Follow us on Twitter for the latest news.\n\nSign up for our morning newsletter."
BOILER_B = "© 2026 Example Wire. All rights reserved.\n\nRead more: our migration coverage."

OTHER = """\
Spanish police dismantled a gang that smuggled migrants from Morocco to the Canary Islands in speedboats, the interior ministry in Madrid said on Thursday, arresting 19 people in Almeria and Las Palmas.

The group charged each passenger about 2,500 euros and used a warehouse near Nador to hide people before departures, officers from the Guardia Civil told reporters.

Three speedboats and forged documents were seized. The investigation began after a boat capsized near Fuerteventura last year, killing nine.

Spain and Morocco have stepped up joint patrols this year as arrivals to the Canaries doubled."""


def art(aid: str, text: str, hours: float, title: str = "Police arrest 42 in migrant smuggling sweep",
        source: str | None = None) -> Article:
    url = f"https://{source or aid}.example/news/{aid}"
    return Article(article_id=aid, url=url, canonical_url=url, source=source or aid, site=f"{aid}.example",
                   title=title, authors=(), published_at=T0 + timedelta(hours=hours), language="en", text=text,
                   fetched_at=T0 + timedelta(days=2), http_status=200, extractor="t")


def batch() -> list[Article]:
    return [
        art("orig", f"{WIRE}\n\n{BOILER_A}", 0),
        art("headline", f"{WIRE}\n\n{BOILER_A}", 3, title="42 held as INTERPOL smashes Med smuggling ring"),
        art("para", f"{WIRE}\n\n{EXTRA}\n\n{BOILER_A}", 2),
        art("boiler", f"{WIRE}\n\n{BOILER_B}", 4),
        art("other", OTHER, 1, title="Spain breaks up Canaries smuggling gang"),
    ]


def test_signature_jaccard_tracks_the_edits() -> None:
    base = minhash.signature(f"{WIRE}\n\n{BOILER_A}")
    assert base is not None
    para = minhash.signature(f"{WIRE}\n\n{EXTRA}\n\n{BOILER_A}")
    boiler = minhash.signature(f"{WIRE}\n\n{BOILER_B}")
    other = minhash.signature(OTHER)
    assert para is not None and boiler is not None and other is not None
    assert minhash.jaccard(base, para) >= 0.7
    assert minhash.jaccard(base, boiler) >= 0.7
    assert minhash.jaccard(base, other) < 0.1
    assert minhash.signature("too short") is None


def test_copies_point_to_the_earliest_and_a_different_story_stays_apart() -> None:
    result = dedupe(fingerprint(batch()), Known())
    got = {a.article_id: (a.duplicate_of, a.story_id) for a in result.articles}
    assert got == {
        "orig": (None, "orig"),
        "para": ("orig", "orig"),
        "headline": ("orig", "orig"),
        "boiler": ("orig", "orig"),
        "other": (None, "other"),
    }
    # the edited headline leaves the text identical: layer 2 (exact hash) finds it
    assert result.duplicates == 3 and result.near_duplicates == 2


def test_near_duplicate_chain_points_to_the_root() -> None:
    # the boilerplate copy arrives before the paragraph copy; both point to orig
    arts = batch()[:4]
    result = dedupe(fingerprint(arts), Known())
    assert {a.duplicate_of for a in result.articles if a.article_id != "orig"} == {"orig"}


def test_any_order_gives_the_same_stories() -> None:
    arts = batch()
    expected = sorted((a.article_id, a.duplicate_of, a.story_id) for a in dedupe(fingerprint(arts), Known()).articles)
    rng = random.Random(3)
    for _ in range(5):
        rng.shuffle(arts)
        got = sorted((a.article_id, a.duplicate_of, a.story_id) for a in dedupe(fingerprint(arts), Known()).articles)
        assert got == expected


def test_two_outlets_reporting_one_event_in_their_own_words_share_a_story() -> None:
    a = art("reuters", WIRE, 0, source="reuters")
    b = art("bbc", ("INTERPOL says police in Italy, Malta, Tunisia, Spain and Greece have arrested 42 suspected "
                    "people smugglers in Operation Mare Nostrum.\n\nThe network charged migrants up to 4,000 euros "
                    "to cross from Libya and Tunisia in rubber boats, the agency said from Lyon. Investigators "
                    "seized cash, vehicles and a trawler; eleven suspects were held in Sicily, and prosecutors link "
                    "the ring to the Lampedusa shipwreck."), 5,
            title="INTERPOL: 42 smugglers arrested in Operation Mare Nostrum", source="bbc")
    far = art("later", OTHER, 24 * 9, title="Spain breaks up Canaries smuggling gang")
    result = dedupe(fingerprint([b, far, a]), Known())
    story = {x.article_id: x.story_id for x in result.articles}
    assert story["bbc"] == story["reuters"] == "reuters"
    assert story["later"] == "later"
    assert all(x.duplicate_of is None for x in result.articles)
