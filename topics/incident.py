"""A small learned scorer: does an English article *report a terrorist
incident* (an attack, bombing, kidnapping, assassination or killing by an
armed group), rather than merely mention terrorism?

Keyword terms alone cannot make that distinction well (on MUC-3/4 a keyword
tagger peaks near F1 0.72), so the ``terrorism`` topic combines its
taxonomy terms with this model; see :mod:`topics.tagger`.

The model works on binary word and word-bigram features of the folded text
(lower case, accents stripped, digit runs replaced by ``0``), each
document's feature vector scaled by 1/sqrt(number of features).  It has a
main head, an L2-regularised logistic regression on "reports an incident"
(trained on naive-Bayes-scaled features, NB-SVM; the scaling is folded into
its weights), and optional *type heads*, one logistic regression per MUC
incident type (attack, bombing, kidnapping, arson), whose noisy-or
probability u is added to the main logit as ``types_weight * ln(u/(1-u))``
(see :func:`combine`).  It is trained only on the *train* split of the
MUC-3/4 wires (Latin-American news, 1989-1992, English) by
``bench/train_incident.py``, which regenerates ``topics/models/*.json``
exactly (fixed iteration count, no randomness, weights rounded).

MUC is English only: the model is applied to English articles only
(``language`` starting with ``en``, or no language and English-looking
text).  Other languages are tagged by the taxonomy terms alone.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from parsers.boilerplate import fold

MODELS = Path(__file__).resolve().parent / "models"
TYPES = ("attack", "bombing", "kidnapping", "arson")  # MUC incident types with a head of their own
WORD_RE = re.compile(r"\w+")  # as topics.taxonomy.WORD (not imported: taxonomy imports this module)

# a handful of very frequent function words of each language, to decide
# whether a text with no declared language is English
_EN = frozenset(["the", "of", "and", "to", "in", "was", "were", "is", "by", "that", "with", "from", "for"])
_OTHER = frozenset(["le", "la", "les", "des", "du", "et", "est", "une", "dans", "pour", "que", "el", "los", "las", "del", "y", "en", "con", "por"])


def tokens(text: str) -> list[str]:
    return ["0" if t.isdigit() else t for t in WORD_RE.findall(fold(text))]


def features(toks: list[str]) -> set[str]:
    f = set(toks)
    f.update(a + " " + b for a, b in itertools.pairwise(toks))
    return f


def combine(main: float, heads: list[float], types_weight: float) -> float:
    """The main head's logit plus types_weight times the logit of the
    noisy-or of the type heads' probabilities (u = 1 - prod(1 - p_t))."""
    if not heads:
        return main
    none = 1.0  # probability that no type head fires
    for z in heads:
        none *= 1 / (1 + math.exp(min(z, 700.0)))  # 1 - sigmoid(z)
    none = min(max(none, 1e-9), 1 - 1e-9)
    return main + types_weight * math.log((1 - none) / none)


def looks_english(toks: Iterable[str]) -> bool:
    en = other = 0
    for t in toks:
        if t in _EN:
            en += 1
        elif t in _OTHER:
            other += 1
    return en > 2 * other and en >= 3


@dataclass(frozen=True)
class IncidentModel:
    name: str
    bias: float
    weights: dict[str, float]
    threshold: float  # logit above which an article reports an incident
    languages: tuple[str, ...]
    sha: str  # of the model file, part of the taxonomy version
    # type heads: feature -> one weight per head, their biases, and the weight
    # of their noisy-or logit in the combined logit
    head_weights: dict[str, tuple[float, ...]] = field(default_factory=dict)
    head_biases: tuple[float, ...] = ()
    types_weight: float = 0.0

    def applies(self, language: str | None, toks: list[str]) -> bool:
        if language:
            return language.lower()[:2] in self.languages
        return "en" in self.languages and looks_english(toks)

    def logit(self, toks: list[str]) -> float:
        f = features(toks)
        scale = 1 / math.sqrt(max(len(f), 1))
        w = self.weights
        main = self.bias + sum(w.get(x, 0.0) for x in f) * scale
        if not self.head_biases:
            return main
        sums = [0.0] * len(self.head_biases)
        hw = self.head_weights
        for x in f:
            ws = hw.get(x)
            if ws is not None:
                for k, v in enumerate(ws):
                    sums[k] += v
        return combine(main, [b + s * scale for b, s in zip(self.head_biases, sums, strict=True)], self.types_weight)

    def probability(self, toks: list[str]) -> float:
        """Calibrated so that 0.5 is the decision threshold."""
        return 1 / (1 + math.exp(-(self.logit(toks) - self.threshold)))


def load_model(name: str) -> IncidentModel:
    path = MODELS / f"{name}.json"
    raw = path.read_bytes()
    data = json.loads(raw)
    heads = data.get("heads", {})
    head_weights: dict[str, list[float]] = {}
    for k, h in enumerate(heads.values()):
        for x, v in h["weights"].items():
            head_weights.setdefault(x, [0.0] * len(heads))[k] = float(v)
    return IncidentModel(name=name, bias=float(data["bias"]), weights={k: float(v) for k, v in data["weights"].items()},
                         threshold=float(data["threshold"]), languages=tuple(data["languages"]),
                         sha=hashlib.sha256(raw).hexdigest()[:12],
                         head_weights={x: tuple(v) for x, v in head_weights.items()},
                         head_biases=tuple(float(h["bias"]) for h in heads.values()),
                         types_weight=float(data.get("types_weight", 0.0)))
