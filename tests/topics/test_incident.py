"""The learned "reports a terrorist incident" component (the
``terrorist_attack`` topic) and the topic options that came with it (model,
model_min_score, model_override, requires, bypass_model)."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from newsflow.config import read_toml
from newsflow.errors import ConfigError
from newsflow.records import Article
from topics import incident
from topics import taxonomy as taxonomy_mod
from topics.incident import IncidentModel, features, load_model, looks_english, tokens
from topics.tagger import tag_article
from topics.taxonomy import Taxonomy, compile_taxonomy

REPO = Path(__file__).resolve().parents[2]
MUC = REPO.parent / "shared" / "data" / "topics-dev" / "muc4.jsonl"
sys.path.insert(0, str(REPO / "bench"))
import train_incident


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return compile_taxonomy(read_toml(REPO / "config" / "topics.toml"))


def article(title: str, text: str, lang: str | None = "en") -> Article:
    return Article("id", "u", "u", "s", "s", title, (), None, lang, text, datetime(2021, 4, 1, tzinfo=UTC), 200, "t")


def tags(tx: Taxonomy, title: str, text: str, lang: str | None = "en") -> dict:
    return {t.topic: t for t in tag_article(article(title, text, lang), tx)}


def test_features_are_folded_words_and_bigrams() -> None:
    toks = tokens("Bomb in Bogotá: 12 killed")
    assert toks == ["bomb", "in", "bogota", "0", "killed"]
    assert features(toks) == {"bomb", "in", "bogota", "0", "killed", "bomb in", "in bogota", "bogota 0", "0 killed"}


def test_logit_is_bias_plus_scaled_weights() -> None:
    m = IncidentModel("t", bias=-0.5, weights={"bomb": 2.0, "bomb exploded": 1.0}, threshold=0.25, languages=("en",),
                      sha="x")
    toks = ["bomb", "exploded"]  # features: bomb, exploded, "bomb exploded"
    assert m.logit(toks) == pytest.approx(-0.5 + 3.0 / np.sqrt(3))
    assert m.probability(toks) > 0.5 > m.probability(["calm", "day"])


def test_model_applies_to_its_languages_only() -> None:
    m = load_model("incident_en")
    en = tokens("The bomb exploded in the centre of the city and was heard by many of the residents")
    fr = tokens("La bombe a explosé dans le centre de la ville et les habitants ont entendu le bruit")
    assert m.applies("en", fr) and m.applies("en-GB", fr)
    assert not m.applies("fr", en)
    assert m.applies(None, en) and not m.applies(None, fr)
    assert looks_english(en) and not looks_english(fr)


def test_stored_model_is_small_and_sane() -> None:
    m = load_model("incident_en")
    assert 1000 < len(m.weights) < 40000
    assert m.languages == ("en",)
    # incident words push up; "clash" (army-versus-guerrilla clashes are no terrorist incident in MUC) down
    assert m.weights["bomb"] > 1 and m.weights["murder"] > 1
    assert m.weights["clash"] < 0
    # one head per incident type, in topics.incident.TYPES order
    assert len(m.head_biases) == len(incident.TYPES) and m.types_weight > 0
    attack, bombing, kidnapping, _ = (incident.TYPES.index(t) for t in incident.TYPES)
    assert m.head_weights["dynamite"][bombing] > 1 and m.head_weights["kidnapped"][kidnapping] > 1
    assert m.head_weights["military"][attack] < 0


def test_combine_adds_the_noisy_or_logit_of_the_type_heads() -> None:
    assert incident.combine(0.3, [], 1.0) == 0.3
    # one head: the noisy-or is that head's probability, so its logit comes back
    assert incident.combine(0.3, [1.2], 0.5) == pytest.approx(0.3 + 0.5 * 1.2)
    # two heads at probability 0.5 each: u = 0.75, logit ln 3
    assert incident.combine(0.0, [0.0, 0.0], 1.0) == pytest.approx(np.log(3))
    # extreme logits stay finite
    assert np.isfinite(incident.combine(0.0, [-800.0, 800.0], 1.0))


def test_logit_with_type_heads() -> None:
    m = IncidentModel("t", bias=-0.5, weights={"bomb": 2.0}, threshold=0.0, languages=("en",), sha="x",
                      head_weights={"bomb": (1.0, -1.0), "exploded": (0.0, 3.0)}, head_biases=(0.2, -0.1),
                      types_weight=0.7)
    toks = ["bomb", "exploded"]  # 3 features
    s = 1 / np.sqrt(3)
    expected = incident.combine(-0.5 + 2.0 * s, [0.2 + 1.0 * s, -0.1 + 2.0 * s], 0.7)
    assert m.logit(toks) == pytest.approx(expected)
    assert m.logit(toks) != pytest.approx(-0.5 + 2.0 * s)


def test_training_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    vocab = ["bomb", "killed", "attack", "talks", "economy", "minister", "police", "said", "army", "clash"]
    docs, y = [], []
    for i in range(80):
        positive = i % 2 == 0
        words = [str(w) for w in rng.choice(vocab[:3] if positive else vocab[3:], size=12)] + ["said", "the"]
        docs.append(features(words))
        y.append(float(positive))
    y_ = np.array(y)
    bombing = np.array([float(p and "bomb" in d) for p, d in zip(y, docs, strict=True)])
    a = train_incident.train(docs, y_, {"bombing": bombing})
    b = train_incident.train(docs, y_, {"bombing": bombing})
    assert a == b
    assert a["weights"]["bomb"] > 0 > a["weights"]["economy"]
    assert a["heads"]["bombing"]["weights"]["bomb"] > 0
    # the stored form scores as the trainer does (whole text plus window term)
    m = IncidentModel("t", a["bias"], a["weights"], 0.0, ("en",), "x",
                      {x: (v,) for x, v in a["heads"]["bombing"]["weights"].items()},
                      (a["heads"]["bombing"]["bias"],), train_incident.TYPES_WEIGHT,
                      train_incident.WINDOW, train_incident.WINDOW_STEP, train_incident.WINDOW_WEIGHT)
    for toks in (["bomb", "killed", "said"], ["talks", "economy", "said"] * 30 + ["bomb", "killed", "attack"] * 5):
        assert m.logit(toks) == pytest.approx(float(train_incident.logits([toks], a)[0]))


@pytest.mark.skipif(not MUC.exists(), reason="MUC data not available")
def test_stored_model_is_what_the_training_script_produces() -> None:
    built = train_incident.build(MUC)
    stored = json.loads((incident.MODELS / "incident_en.json").read_text(encoding="utf-8"))
    assert built == stored


def test_english_incident_report_is_tagged_with_evidence(taxonomy: Taxonomy) -> None:
    title = "Gunmen attack bus, bomb explodes at mayor's home"
    text = ("Unidentified gunmen last night machinegunned a bus near the town of La Paz, killing two peasants and "
            "wounding four, police reported today. The attack was carried out by a guerrilla commando, the army said. "
            "A bomb also exploded at the home of the mayor, who was unhurt.")
    got = tags(taxonomy, title, text)
    assert {"terrorist_attack", "terrorism"} <= set(got)  # an attack is about terrorism (implies)
    for topic in ("terrorist_attack", "terrorism"):
        t = got[topic]
        assert 0.5 <= t.score <= 1 and t.evidence
        for ev in t.evidence:
            source = title if ev.field == "title" else text
            assert source[ev.start:ev.end] == ev.phrase


def test_english_non_incident_violence_is_not_terrorism(taxonomy: Taxonomy) -> None:
    for title, text in (
            ("Five killed in road crash on the Agadir motorway",
             "Five people were killed and ten injured when a bus collided with a lorry on the motorway near Agadir "
             "on Monday night. An investigation has been opened."),
            ("Late penalty wins the derby",
             "The striker shot into the top corner in the 90th minute and the home side won the derby 2-1 before "
             "40,000 fans.")):
        got = tags(taxonomy, title, text)
        assert "terrorism" not in got and "terrorist_attack" not in got


def test_a_counter_terrorism_story_is_terrorism_but_no_attack(taxonomy: Taxonomy) -> None:
    got = tags(taxonomy, "Morocco dismantles terrorist cell linked to the Islamic State",
               "Morocco's counter-terrorism bureau BCIJ dismantled a terrorist cell of jihadists in Tangier. "
               "The suspects had pledged allegiance to Islamic State and planned terrorist attacks, the bureau said.")
    assert "terrorism" in got


def test_french_attacks_use_the_terms(taxonomy: Taxonomy) -> None:
    got = tags(taxonomy, "Attentat à Mogadiscio",
               "Une voiture piégée a explosé près d'un hôtel, tuant dix personnes. Les shebab ont revendiqué "
               "l'attentat.", "fr")
    assert {"terrorist_attack", "terrorism"} <= set(got)
    # and the English model is not consulted for French text
    model = taxonomy.get("terrorist_attack").model
    assert model is not None and not model.applies("fr", tokens("attentat"))
    # the broad topic has no model at all: its terms decide in every language
    assert taxonomy.get("terrorism").model is None


def test_model_is_part_of_the_taxonomy_version(monkeypatch: pytest.MonkeyPatch) -> None:
    data = read_toml(REPO / "config" / "topics.toml")
    v1 = compile_taxonomy(data).version
    real = taxonomy_mod.load_model
    monkeypatch.setattr(taxonomy_mod, "load_model", lambda name: dataclasses.replace(real(name), sha="different"))
    assert compile_taxonomy(data).version != v1


def test_unknown_model_or_required_topic_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="cannot load model"):
        compile_taxonomy({"topics": {"x": {"label": "X", "terms": [{"phrases": ["a"]}], "model": "nope"}}})
    with pytest.raises(ConfigError, match="requires unknown topic"):
        compile_taxonomy({"topics": {"x": {"label": "X", "terms": [{"phrases": ["a"]}], "requires": "y"}}})


def test_smuggling_requires_migration_evidence(taxonomy: Taxonomy) -> None:
    assert "migrant_smuggling" not in tags(
        taxonomy, "Smuggling network dismantled", "Police dismantled a smuggling network and arrested smugglers who "
        "hid goods in lorries; each client paid 500 euros per person.")
    assert "migrant_smuggling" in tags(
        taxonomy, "Smuggling network dismantled", "Police dismantled a smuggling network and arrested smugglers who "
        "took migrants across the border; each paid 500 euros per person.")


def _with_model(taxonomy: Taxonomy, model: IncidentModel) -> Taxonomy:
    return dataclasses.replace(taxonomy, topics=tuple(dataclasses.replace(t, model=model)
                                                      if t.key == "terrorist_attack" else t for t in taxonomy.topics))


def test_the_model_decides_attacks_and_never_the_broad_topic(taxonomy: Taxonomy) -> None:
    # a model that says "no incident" to everything
    topic = taxonomy.get("terrorist_attack")
    assert topic.model is not None
    never = dataclasses.replace(topic.model, bias=-50.0, head_biases=(-50.0,) * len(topic.model.head_biases))
    tx = _with_model(taxonomy, never)
    recruiter = ("Spain arrests suspected jihadist recruiter",
                 ("Police in Bilbao arrested a man suspected of recruiting young people online for the Islamic State "
                  "group, the interior ministry said. He is charged with terrorism offences."))
    assert "terrorism" in tags(tx, *recruiter)  # the terms decide the broad topic: the model is not asked
    plain = ("Terrorist attack on a bus", "Terrorists attacked a bus near the capital, killing two, police said.")
    assert "terrorist_attack" not in tags(tx, *plain)  # the model is asked, and says no
    assert "terrorist_attack" in tags(taxonomy, *plain)  # the real model says yes


def test_bypass_terms_let_the_terms_decide(taxonomy: Taxonomy) -> None:
    # a model that says "incident" to everything: a bypass term (here ordinary
    # crime, counter-evidence) takes the decision back to the terms
    topic = taxonomy.get("terrorist_attack")
    assert topic.model is not None
    always = dataclasses.replace(topic.model, bias=50.0)
    tx = _with_model(taxonomy, always)
    shooting = ("Two shot dead at a warehouse", "A man shot and killed two men at a warehouse on Friday, police said.")
    assert "terrorist_attack" in tags(tx, *shooting)  # the model is asked, and says yes
    crime = ("Two shot dead at a warehouse", "A man shot and killed two co-workers at a warehouse on Friday, "
             "police said; he was charged with murder.")
    assert "terrorist_attack" not in tags(tx, *crime)  # the terms decide, and ordinary crime counts against


def test_bypass_terms_need_a_model() -> None:
    with pytest.raises(ConfigError, match="bypass_model"):
        compile_taxonomy({"topics": {"x": {"label": "X", "terms": [{"phrases": ["a"], "bypass_model": True}]}}})


def _plain(m: IncidentModel, toks: list[str]) -> float:
    """The combined logit of one token list, computed from scratch."""
    f = features(toks)
    s = 1 / np.sqrt(max(len(f), 1))
    main = m.bias + sum(m.weights.get(x, 0.0) for x in f) * s
    heads = [b + sum(m.head_weights.get(x, (0.0,) * len(m.head_biases))[k] for x in f) * s
             for k, b in enumerate(m.head_biases)]
    return incident.combine(main, heads, m.types_weight)


def test_window_max_is_the_best_window_scored_from_scratch() -> None:
    m = dataclasses.replace(load_model("incident_en"), window_size=40, window_step=10, window_weight=1.0)
    rng = np.random.default_rng(1)
    vocab = ["the", "bomb", "exploded", "killed", "guerrillas", "army", "police", "attack", "in", "of", "said", "0",
             "kidnapped", "minister", "talks", "economy"]
    for n in (0, 1, 7, 39, 40, 41, 55, 60, 61, 250):
        for _ in range(5):
            toks = [str(w) for w in rng.choice(vocab, size=n)]
            starts = range(0, max(n - 40, 0) + 1, 10)
            assert m.window_max(toks) == pytest.approx(max(_plain(m, toks[st:st + 40]) for st in starts), abs=1e-9)
            assert m.logit(toks) == pytest.approx(_plain(m, toks) + m.window_max(toks), abs=1e-9)


def test_an_incident_told_in_one_paragraph_of_a_long_wire_counts() -> None:
    m = load_model("incident_en")
    assert m.window_size > 0 and m.window_weight > 0
    politics = ("the president met the opposition leaders at the palace to discuss the economic plan and the budget "
                "for next year , and the ministers said the talks on the reform of the constitution would go on . ")
    bomb = "a powerful bomb exploded last night at the home of a judge , killing two guards , police said . "
    toks = tokens(politics * 6 + bomb + politics * 2)
    whole = _plain(m, toks)
    assert m.window_max(toks) > whole  # the bomb's window scores higher than the diluted whole text


def test_gang_killings_are_left_to_the_terms(taxonomy: Taxonomy) -> None:
    # today's gang-crime words are absent from the MUC train split (whose
    # drug-cartel killings are terrorist incidents): they switch the English
    # model off, and the few violence words are not enough on their own
    title = "Two shot dead outside a bar in Marseille"
    text = ("Two men were shot dead and a third wounded outside a bar in northern Marseille overnight. "
            "Prosecutors believe the killing is the latest settling of scores between drug gangs fighting "
            "over dealing points; 30 people have been killed this year.")
    got = tags(taxonomy, title, text)
    assert "terrorism" not in got and "terrorist_attack" not in got
    topic = taxonomy.get("terrorist_attack")
    gang = {i for i in topic.model_bypass if topic.terms[i][1] < 0}  # counter-evidence
    assert gang and {topic.terms[i][0] for i in gang} >= {"settling of scores", "reglement* de comptes"}
    # counter-evidence is never evidence, and a terrorist attack in the same words is still tagged
    got = tags(taxonomy, "Gunmen kill two in suspected terrorist attack",
               "Investigators set aside a settling of scores: the gunmen who killed two people outside a bar shouted "
               "slogans of the Islamic State, and prosecutors opened a terrorism investigation.")
    assert {"terrorism", "terrorist_attack"} <= set(got)
    for topic_key in ("terrorism", "terrorist_attack"):
        assert all("settling" not in e.phrase.lower() for e in got[topic_key].evidence)


def test_model_pickles_without_its_lookup_table() -> None:
    # the taxonomy (with its model) is pickled once per run to the extraction workers
    import pickle

    m = load_model("incident_en")
    toks = tokens("A bomb exploded at the mayor's home last night, killing two guards, police said. " * 3)
    z = m.logit(toks)  # builds the table
    copy = pickle.loads(pickle.dumps(m))
    assert "_table_cache" not in copy.__dict__ and copy == m
    assert copy.logit(toks) == z
