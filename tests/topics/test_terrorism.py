"""The two terrorism labels: ``terrorism`` (anything substantially about
terrorism, decided by the terms) and ``terrorist_attack`` (reports of a
specific attack, decided for English by the incident model), and the failure
modes that split them: counter-terrorism stories missed, accidents tagged."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsflow.config import read_toml
from newsflow.records import Article, TopicTag
from topics.tagger import tag_article
from topics.taxonomy import Taxonomy, compile_taxonomy

REPO = Path(__file__).resolve().parents[2]
FILLER = ("The committee heard evidence from the finance ministry on the cost of the new hospital wing, and members "
          "asked why the tender had been delayed twice since the spring. ")


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return compile_taxonomy(read_toml(REPO / "config" / "topics.toml"))


def tags(tx: Taxonomy, title: str, text: str, lang: str | None = "en") -> dict[str, TopicTag]:
    a = Article("id", "u", "u", "s", "s", title, (), None, lang, text, datetime(2005, 3, 1, tzinfo=UTC), 200, "t")
    return {t.topic: t for t in tag_article(a, tx)}


COUNTER_TERRORISM = [
    ("Lords defeat government over control orders",
     "Peers voted last night to limit the home secretary's power to impose control orders on terror suspects "
     "without trial. The prevention of terrorism bill, rushed through the Commons after the law lords ruled that "
     "detention without trial at Belmarsh breached human rights, would let ministers place suspected terrorists "
     "under house arrest. Civil liberties groups said the anti-terror law went too far."),
    ("MI5 chief warns of home-grown plots",
     "The head of MI5 said the security service was tracking 200 networks involved in terrorist plots in Britain, "
     "and that counter-terrorism officers had disrupted five attacks this year. She warned that radicalisation of "
     "young people online was growing."),
    ("Four men jailed for plotting to bomb shopping centre",
     "Four men were jailed for life at the Old Bailey yesterday for a terrorist plot to bomb a shopping centre. The "
     "jury heard that the men, who had trained at camps linked to al-Qaeda, were arrested by counter-terrorism "
     "police before they could build the device."),
    ("Détention sans procès : le Conseil constitutionnel saisi",
     "La loi antiterroriste permet de retenir un suspect de terrorisme pendant six jours sans l'inculper. Les "
     "avocats estiment que ce régime d'exception, adopté après les attentats, viole les droits de la défense."),
]


@pytest.mark.parametrize(("title", "text"), COUNTER_TERRORISM)
def test_counter_terrorism_law_trials_and_intelligence_are_terrorism_not_attacks(
        taxonomy: Taxonomy, title: str, text: str) -> None:
    lang = "fr" if "Détention" in title else "en"
    got = tags(taxonomy, title, text, lang)
    assert "terrorism" in got
    assert "terrorist_attack" not in got
    for ev in got["terrorism"].evidence:
        assert (title if ev.field == "title" else text)[ev.start:ev.end] == ev.phrase


ACCIDENTS = [
    ("Tram derails in city centre, killing three",
     "Three people were killed and 40 injured when a tram derailed on a bend in the city centre on Sunday. The "
     "driver was taken to hospital; investigators said the tram was travelling at twice the speed limit."),
    ("Plane crash kills 150 in the Alps",
     "An airliner crashed in the French Alps on Tuesday, killing all 150 people on board. Investigators found the "
     "flight recorder; the cause of the crash is not yet known, and officials ruled out terrorism."),
    ("Meteor explodes over Russian city, injuring hundreds",
     "A meteor exploded over Chelyabinsk, shattering windows and injuring about 1,000 people. The blast was felt "
     "across the region; scientists said the space rock was about 17 metres wide."),
    ("Gas explosion levels home, killing girl",
     "An explosion levelled a house in the village on Tuesday, killing a six-year-old girl. Fire officials said a "
     "gas leak was the most likely cause of the explosion."),
]


@pytest.mark.parametrize(("title", "text"), ACCIDENTS)
def test_accidents_and_disasters_with_deaths_are_neither(taxonomy: Taxonomy, title: str, text: str) -> None:
    got = tags(taxonomy, title, text)
    assert "terrorism" not in got and "terrorist_attack" not in got


def test_a_bombing_report_is_an_attack_and_terrorism(taxonomy: Taxonomy) -> None:
    title = "Car bomb kills 12 at market; group claims responsibility"
    text = ("A car bomb exploded at a crowded market on Friday morning, killing 12 people and wounding 40, police "
            "said. A jihadist group claimed responsibility for the attack in a statement posted online.")
    got = tags(taxonomy, title, text)
    assert {"terrorism", "terrorist_attack"} <= set(got)
    for topic in ("terrorism", "terrorist_attack"):
        for ev in got[topic].evidence:
            assert (title if ev.field == "title" else text)[ev.start:ev.end] == ev.phrase


def test_terror_false_friends(taxonomy: Taxonomy) -> None:
    band = ("Isis reunite for one last tour",
            "Isis, the post-metal band from Boston, will play their album Oceanic in full. Isis split in 2010; the "
            "band's singer said the Isis reunion shows would be the last.")
    assert "terrorism" not in tags(taxonomy, *band)
    fear = ("Reign of terror in the classroom",
            "The new headteacher's reign of terror ended after parents complained; pupils said they were terrorised "
            "by the detentions.")
    assert "terrorism" not in tags(taxonomy, *fear)


def test_a_passing_mention_in_a_long_article_is_not_terrorism(taxonomy: Taxonomy) -> None:
    text = (FILLER * 4 + "The minister, who once served on a committee on al-Qaeda financing, defended the budget. "
            + FILLER * 6)
    assert "terrorism" not in tags(taxonomy, "Hospital wing costs questioned", text)
    # the same words as a paragraph of their own are substantial
    paragraph = ("The minister said al-Qaeda financing networks had moved money through the hospital's suppliers. "
                 "Counter-terrorism police froze the accounts of two terrorist suspects. ")
    assert "terrorism" in tags(taxonomy, "Hospital wing costs questioned", FILLER * 4 + paragraph + FILLER * 6)


def test_gang_and_workplace_shootings_are_crime_not_terrorism(taxonomy: Taxonomy) -> None:
    got = tags(taxonomy, "Fired worker kills two co-workers",
               "A man who had been fired from his job last week walked into the warehouse and shot and killed two "
               "co-workers, police said. He was charged with murder on Saturday.")
    assert "terrorism" not in got and "terrorist_attack" not in got


def test_terrorism_is_not_tagged_in_a_language_its_terms_do_not_cover(taxonomy: Taxonomy) -> None:
    # German uses the same words (Terrorismus, Terroristen) but the terms are
    # written for en, fr and es: no tag rather than a guess
    text = ("Die Polizei hat in Berlin drei mutmaßliche Terroristen festgenommen. Die Bundesanwaltschaft wirft "
            "ihnen vor, einen Anschlag auf einen Weihnachtsmarkt geplant zu haben; der Terrorismus bleibe eine "
            "ernste Gefahr, sagte der Innenminister.")
    got = tags(taxonomy, "Terrorverdacht in Berlin: drei Festnahmen", text, None)
    assert "terrorism" not in got and "terrorist_attack" not in got
