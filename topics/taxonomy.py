"""The taxonomy, compiled from ``config/topics.toml`` (see that file's header
for the format).  Terms are matched on folded text (lower-case, accents
stripped) with word boundaries; ``*`` at the end of a word means "any word
ending" (``migrant*`` matches migrant, migrants, migrantes).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from newsflow.errors import ConfigError
from parsers.boilerplate import fold


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    description: str
    iptc: str | None
    threshold: float
    terms: tuple[tuple[str, float], ...]  # (term as written, weight)
    pattern: re.Pattern[str]  # one named group per term: t0, t1, ...
    negative_context: re.Pattern[str] | None
    negative_window: int


@dataclass(frozen=True)
class Taxonomy:
    topics: tuple[Topic, ...]
    version: str
    title_weight: float
    saturation: float

    def get(self, key: str) -> Topic:
        for t in self.topics:
            if t.key == key:
                return t
        raise KeyError(key)


def term_regex(term: str) -> str:
    """A term as a regex over folded text.  Words are separated by spaces or
    hyphens; a word ending in ``*`` matches any ending."""
    words = [w for w in re.split(r"[\s\-]+", fold(term.strip())) if w]
    return r"[\s\-]*".join(re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words)


def _alternation(terms: list[str]) -> str:
    return r"(?<!\w)(?:" + "|".join(term_regex(t) for t in terms) + r")(?!\w)"


def compile_taxonomy(data: dict[str, Any]) -> Taxonomy:
    raw = data.get("topics")
    if not isinstance(raw, dict) or not raw:
        raise ConfigError("topics file: needs at least one [topics.<key>] table")
    default_threshold = float(data.get("threshold", 0.5))
    topics: list[Topic] = []
    for key, t in raw.items():
        where = f"topics file [topics.{key}]"
        if "label" not in t:
            raise ConfigError(f"{where}: missing 'label'")
        terms: list[tuple[str, float]] = []
        for group in t.get("terms", []):
            weight = float(group.get("weight", 1.0))
            for phrase in group.get("phrases", []):
                terms.append((phrase, weight))
        if not terms:
            raise ConfigError(f"{where}: no terms")
        groups = "|".join(f"(?P<t{i}>{term_regex(p)})" for i, (p, _) in enumerate(terms))
        try:
            pattern = re.compile(r"(?<!\w)(?:" + groups + r")(?!\w)")
            negatives = t.get("negative_context", [])
            neg = re.compile(_alternation(negatives)) if negatives else None
        except re.error as exc:
            raise ConfigError(f"{where}: a term does not compile: {exc}") from exc
        topics.append(Topic(
            key=key, label=t["label"], description=t.get("description", ""), iptc=t.get("iptc"),
            threshold=float(t.get("threshold", default_threshold)), terms=tuple(terms), pattern=pattern,
            negative_context=neg, negative_window=int(t.get("negative_window", 80)),
        ))
    version = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]
    return Taxonomy(tuple(topics), version, float(data.get("title_weight", 2.0)), float(data.get("saturation", 2.0)))
