"""The taxonomy, compiled from ``config/topics.toml`` (see that file's header
for the format).

Matching works on tokens of folded text (lower-case, accents stripped,
typographic apostrophes made plain): a term is a sequence of words, each
either exact or, ending in ``*``, a prefix (``migrant*`` matches migrant,
migrants, migrantes).  Words are the ``\\w+`` runs of the text, so spaces,
hyphens and apostrophes all separate words (``counter-terrorism`` matches
"counter terrorism" and "counter-terrorism"; its joined form
"counterterrorism" is added automatically).

All terms of all topics, positive and negative, go into one index keyed by a
term's first word, so an article is tokenised once and scanned once for the
whole taxonomy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from newsflow.errors import ConfigError
from parsers.boilerplate import fold
from topics.incident import IncidentModel, load_model

WORD = re.compile(r"\w+")
PREFIX_KEY = 3  # wildcard words are indexed by their first 3 characters


@dataclass(frozen=True, slots=True)
class Term:
    topic: int  # index into Taxonomy.topics
    index: int  # index into Topic.terms (or Topic.negatives when negative)
    words: tuple[str, ...]  # folded words; a trailing "*" marks a prefix
    negative: bool = False
    # the words after the first as (word without "*", is a prefix): what the
    # scan checks against the following tokens (precomputed: the hot path)
    rest: tuple[tuple[str, bool], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "rest", tuple((w.rstrip("*"), w.endswith("*")) for w in self.words[1:]))

    def word_matches(self, i: int, token: str) -> bool:
        w = self.words[i]
        return token.startswith(w[:-1]) if w.endswith("*") else token == w

    def rest_matches(self, tokens: list[str], i: int) -> bool:
        """Whether the words after the first match tokens[i + 1:]."""
        if i + len(self.rest) >= len(tokens):
            return False
        for k, (w, prefix) in enumerate(self.rest, i + 1):
            t = tokens[k]
            if not (t.startswith(w) if prefix else t == w):
                return False
        return True


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    description: str
    iptc: str | None
    threshold: float
    terms: tuple[tuple[str, float], ...]  # (term as written, weight)
    negatives: tuple[str, ...]  # negative-context terms as written
    negative_window: int
    # raw score taken off per negative-context match anywhere in the article
    # (0: negative contexts only cancel the matches near them).  A goods
    # smuggling story names its goods again and again, often far from the
    # word "smugglers" or "passeurs" that the window would have to catch.
    negative_weight: float = 0.0
    # optional learned scorer (topics/incident.py), used for the languages it
    # was trained on: see topics/tagger.py for how it combines with the terms
    model: IncidentModel | None = None
    model_min_score: float = 0.0  # term score needed before the model may tag
    model_override: float = 1.01  # term score that tags whatever the model says
    # indices into terms of the groups marked bypass_model: vocabulary the
    # model never saw in training (so cannot judge); when one of them is
    # matched, the term score decides, as for other languages
    model_bypass: frozenset[int] = frozenset()
    # tagged only when another topic's term score is at least requires_score
    # (migrant_smuggling requires migration: smuggling *of people*)
    requires: int | None = None
    requires_score: float = 0.0
    # when tagged, also tag this other topic if it has any evidence of its own
    # (migrant_smuggling implies migration: smuggling migrants is migration)
    implies: int | None = None
    # the languages (two-letter codes) the terms are written for: an article
    # in another language is not tagged with this topic (no tag rather than a
    # wrong one); None = any language (a taxonomy that does not say)
    languages: frozenset[str] | None = None
    # > 0: the text counts only through its best passage of this many
    # characters (with the title): "substantially about it", not mentions
    # scattered through a long article (see topics/tagger.py)
    passage_chars: int = 0
    # indices into terms of the groups marked core: when any group is, the
    # topic needs at least one core term among its kept matches (the other
    # terms support a core term, never tag alone)
    core: frozenset[int] = frozenset()
    # at least this many sentences with evidence (the title is one; in the
    # best passage for a passage topic) for a tag in a text longer than the
    # passage: one sentence, however strong its terms, is a passing mention
    min_sentences: int = 1


@dataclass
class TermIndex:
    """First word -> candidate terms.  Exact first words in ``exact``;
    wildcard first words in ``prefixed`` keyed by their first PREFIX_KEY
    characters (shorter wildcards in ``short``)."""

    exact: dict[str, list[Term]] = field(default_factory=lambda: defaultdict(list))
    prefixed: dict[str, list[Term]] = field(default_factory=lambda: defaultdict(list))
    short: list[Term] = field(default_factory=list)

    def add(self, term: Term) -> None:
        first = term.words[0]
        if not first.endswith("*"):
            self.exact[first].append(term)
        elif len(first) - 1 >= PREFIX_KEY:
            self.prefixed[first[:PREFIX_KEY]].append(term)
        else:
            self.short.append(term)

    def candidates(self, token: str) -> list[Term]:
        found = self.exact.get(token, [])
        more = self.prefixed.get(token[:PREFIX_KEY])
        if more:
            found = found + [t for t in more if t.word_matches(0, token)]
        if self.short:
            found = found + [t for t in self.short if t.word_matches(0, token)]
        return found


@dataclass(frozen=True)
class Taxonomy:
    topics: tuple[Topic, ...]
    version: str
    title_weight: float
    saturation: float
    index: TermIndex
    lede_weight: float = 1.5
    lede_chars: int = 300

    def get(self, key: str) -> Topic:
        for t in self.topics:
            if t.key == key:
                return t
        raise KeyError(key)


def term_words(term: str) -> tuple[str, ...]:
    words = []
    for w in re.split(r"[^\w*]+", fold(term.strip())):
        if w.strip("*"):
            words.append(w)
    return tuple(words)


def _add_term(index: TermIndex, topic: int, i: int, phrase: str, negative: bool, where: str) -> None:
    words = term_words(phrase)
    if not words:
        raise ConfigError(f"{where}: empty term {phrase!r}")
    index.add(Term(topic, i, words, negative))
    if len(words) > 1 and not any(w.endswith("*") for w in words[:-1]) and re.search(r"-", phrase):
        index.add(Term(topic, i, ("".join(words),), negative))  # counter-terrorism -> counterterrorism


def _languages(value: Any, where: str) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and len(v) == 2 for v in value):
        raise ConfigError(f"{where}: 'languages' must be a list of two-letter codes, got {value!r}")
    return frozenset(v.lower() for v in value)


def compile_taxonomy(data: dict[str, Any]) -> Taxonomy:
    raw = data.get("topics")
    if not isinstance(raw, dict) or not raw:
        raise ConfigError("topics file: needs at least one [topics.<key>] table")
    default_threshold = float(data.get("threshold", 0.5))
    topics: list[Topic] = []
    models: list[str] = []
    links: list[tuple[int, str, str]] = []  # (topic, "requires" or "implies", other topic's key)
    index = TermIndex()
    for ti, (key, t) in enumerate(raw.items()):
        where = f"topics file [topics.{key}]"
        if "label" not in t:
            raise ConfigError(f"{where}: missing 'label'")
        terms: list[tuple[str, float]] = []
        bypass: set[int] = set()
        core: set[int] = set()
        for group in t.get("terms", []):
            weight = float(group.get("weight", 1.0))
            if group.get("core", False) and weight <= 0:
                raise ConfigError(f"{where}: a core terms group needs a positive weight")
            for phrase in group.get("phrases", []):
                if group.get("bypass_model", False):
                    bypass.add(len(terms))
                if group.get("core", False):
                    core.add(len(terms))
                terms.append((phrase, weight))
        if not terms:
            raise ConfigError(f"{where}: no terms")
        negatives = tuple(t.get("negative_context", []))
        for i, (phrase, _) in enumerate(terms):
            _add_term(index, ti, i, phrase, False, where)
        for i, phrase in enumerate(negatives):
            _add_term(index, ti, i, phrase, True, where)
        model = None
        if bypass and "model" not in t:
            raise ConfigError(f"{where}: bypass_model terms but no model")
        if "model" in t:
            try:
                model = load_model(str(t["model"]))
            except (OSError, ValueError, KeyError) as e:
                raise ConfigError(f"{where}: cannot load model {t['model']!r}: {e}") from e
            models.append(model.sha)
        topics.append(Topic(
            key=key, label=t["label"], description=t.get("description", ""), iptc=t.get("iptc"),
            threshold=float(t.get("threshold", default_threshold)), terms=tuple(terms), negatives=negatives,
            negative_window=int(t.get("negative_window", 80)), negative_weight=float(t.get("negative_weight", 0.0)),
            model=model,
            model_min_score=float(t.get("model_min_score", 0.0)), model_override=float(t.get("model_override", 1.01)),
            model_bypass=frozenset(bypass),
            requires_score=float(t.get("requires_score", 0.0)),
            languages=_languages(t.get("languages", data.get("languages")), where),
            passage_chars=int(t.get("passage_chars", 0)), core=frozenset(core),
            min_sentences=int(t.get("min_sentences", data.get("min_sentences", 1))),
        ))
        for link in ("requires", "implies"):
            if link in t:
                links.append((ti, link, str(t[link])))
    keys = [t.key for t in topics]
    for ti, link, other in links:
        if other not in keys or keys.index(other) == ti:
            raise ConfigError(f"topics file [topics.{keys[ti]}]: {link} unknown topic {other!r}")
        topics[ti] = dataclasses.replace(topics[ti], **{link: keys.index(other)})
    # the version covers the file and the learned models it names
    version = hashlib.sha256(json.dumps([data, models], sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]
    return Taxonomy(tuple(topics), version, float(data.get("title_weight", 2.0)), float(data.get("saturation", 2.0)),
                    index, float(data.get("lede_weight", 1.5)), int(data.get("lede_chars", 300)))
