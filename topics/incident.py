"""A small learned scorer: does an English article *report a terrorist
incident* (an attack, bombing, kidnapping, assassination or killing by an
armed group), rather than merely mention terrorism?

Keyword terms alone cannot make that distinction well (on MUC-3/4 a keyword
tagger peaks near F1 0.72), so the ``terrorist_attack`` topic combines its
taxonomy terms with this model; see :mod:`topics.tagger`.  The broad
``terrorism`` topic (anything substantially about terrorism) does not use it.

The model works on binary word and word-bigram features of the folded text
(lower case, accents stripped, digit runs replaced by ``0``), each
document's feature vector scaled by 1/sqrt(number of features).  It has a
main head, an L2-regularised logistic regression on "reports an incident"
(trained on naive-Bayes-scaled features, NB-SVM; the scaling is folded into
its weights), and optional *type heads*, one logistic regression per MUC
incident type (attack, bombing, kidnapping, arson), whose noisy-or
probability u is added to the main logit as ``types_weight * ln(u/(1-u))``
(see :func:`combine`).  The document's logit is that combined logit of the
whole text plus ``window_weight`` times the highest combined logit of the
same weights over windows of ``window_size`` tokens (see
:meth:`IncidentModel.window_max`): an incident told in one paragraph of a
long wire about something else is diluted in the whole text, not in its
window.  It is trained only on the *train* split of the
MUC-3/4 wires (Latin-American news, 1989-1992, English) by
``bench/train_incident.py``, which regenerates ``topics/models/*.json``
exactly (fixed iteration count, no randomness, weights rounded).

MUC is English only: the model is applied to English articles only
(``language`` starting with ``en``, or no language and English-looking
text).  Other languages are tagged by the taxonomy terms alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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


def _previous(ids: np.ndarray) -> np.ndarray:
    """For each position, the previous position holding the same id (-1 if none)."""
    prev = np.full(len(ids), -1, dtype=np.int64)
    if len(ids) > 1:
        order = np.argsort(ids, kind="stable")
        same = ids[order[1:]] == ids[order[:-1]]
        prev[order[1:][same]] = order[:-1][same]
    return prev


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
    # window term: the highest combined logit of the same weights over windows
    # of window_size tokens starting every window_step tokens, times
    # window_weight, added to the whole document's logit (0: off)
    window_size: int = 0
    window_step: int = 0
    window_weight: float = 0.0

    def applies(self, language: str | None, toks: list[str]) -> bool:
        if language:
            return language.lower()[:2] in self.languages
        return "en" in self.languages and looks_english(toks)

    def logit(self, toks: list[str]) -> float:
        if self.window_weight:
            return self._logit_with_windows(toks)
        f = features(toks)
        w = self.weights
        main_sum = sum(w.get(x, 0.0) for x in f)
        sums = [0.0] * len(self.head_biases)
        hw = self.head_weights
        if sums:
            for x in f:
                ws = hw.get(x)
                if ws is not None:
                    for k, v in enumerate(ws):
                        sums[k] += v
        return self._combined(main_sum, sums, len(f))

    def _combined(self, main_sum: float, head_sums: list[float], n_features: int) -> float:
        scale = 1 / math.sqrt(max(n_features, 1))
        main = self.bias + main_sum * scale
        if not self.head_biases:
            return main
        return combine(main, [b + s * scale for b, s in zip(self.head_biases, head_sums, strict=True)],
                       self.types_weight)

    def _table(self) -> tuple[dict[str, int], np.ndarray]:
        """feature -> row of a (features + 1, 1 + heads) matrix of the main
        weight and the head weights (the last row, for unknown features, is 0).
        Built on first use; not pickled (see __getstate__)."""
        table = self.__dict__.get("_table_cache")
        if table is None:
            names = sorted(set(self.weights) | set(self.head_weights))
            index = {x: i for i, x in enumerate(names)}
            mat = np.zeros((len(names) + 1, 1 + len(self.head_biases)))
            for x, i in index.items():
                mat[i, 0] = self.weights.get(x, 0.0)
                hs = self.head_weights.get(x)
                if hs is not None:
                    mat[i, 1:] = hs
            table = (index, mat)
            object.__setattr__(self, "_table_cache", table)
        return table

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_table_cache"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def _scores(self, sums: np.ndarray, n_features: np.ndarray) -> np.ndarray:
        """Combined logits of rows of weight sums (main, heads...)."""
        scale = 1 / np.sqrt(np.maximum(n_features, 1))
        main = self.bias + sums[:, 0] * scale
        if not self.head_biases:
            return main
        z = np.array(self.head_biases) + sums[:, 1:] * scale[:, None]
        none = np.prod(1 / (1 + np.exp(np.minimum(z, 700.0))), axis=1)  # no type head fires
        none = np.clip(none, 1e-9, 1 - 1e-9)
        return main + self.types_weight * np.log((1 - none) / none)

    def _logit_with_windows(self, toks: list[str]) -> float:
        """The whole text's combined logit plus window_weight times the
        highest combined logit over the windows toks[st:st + window_size],
        st = 0, window_step, ... (one window, the whole text, when it is
        shorter).  An incident told in one paragraph of a long wire about
        something else is diluted in the whole text's logit, not in its
        window's.  Each window's features are the words and bigrams inside it,
        each counted once, as for the whole text: a feature counts in a window
        when its previous occurrence is before the window's start."""
        index, mat = self._table()
        ids: dict[str, int] = {}
        add = ids.setdefault
        uni = np.array([add(x, len(ids)) for x in toks], dtype=np.int64)
        bi = np.array([add(a + " " + b, len(ids)) for a, b in itertools.pairwise(toks)], dtype=np.int64)
        unknown = len(mat) - 1
        rows = mat[np.fromiter((index.get(x, unknown) for x in ids), dtype=np.int64, count=len(ids))]
        whole = self._scores(rows.sum(axis=0, keepdims=True), np.array([len(ids)]))[0]
        n, size = len(toks), self.window_size
        if n <= size:
            return whole + self.window_weight * whole  # the one window is the whole text
        starts = np.arange(0, n - size + 1, max(self.window_step, 1))[:, None]
        u = starts + np.arange(size)  # unigram positions in each window
        b = starts + np.arange(size - 1)  # bigram (j, j + 1) positions in each window
        first_u = _previous(uni)[u] < starts
        first_b = _previous(bi)[b] < starts
        sums = (rows[uni[u]] * first_u[..., None]).sum(axis=1) + (rows[bi[b]] * first_b[..., None]).sum(axis=1)
        windows = self._scores(sums, first_u.sum(axis=1) + first_b.sum(axis=1))
        return float(whole + self.window_weight * windows.max())

    def window_max(self, toks: list[str]) -> float:
        """The window term alone: the highest combined logit over the windows."""
        if not self.window_weight:
            raise ValueError("model has no window term")
        whole = dataclasses.replace(self, window_weight=0.0).logit(toks)
        return (self._logit_with_windows(toks) - whole) / self.window_weight

    def probability(self, toks: list[str]) -> float:
        """Calibrated so that 0.5 is the decision threshold."""
        return 1 / (1 + math.exp(-(self.logit(toks) - self.threshold)))


def model_from_dict(data: dict, name: str = "", sha: str = "") -> IncidentModel:
    """An IncidentModel from the stored JSON form (bench/train_incident.py
    scores its cross-validation folds through this too, so training and
    tagging compute the same logit)."""
    heads = data.get("heads", {})
    head_weights: dict[str, list[float]] = {}
    for k, h in enumerate(heads.values()):
        for x, v in h["weights"].items():
            head_weights.setdefault(x, [0.0] * len(heads))[k] = float(v)
    window = data.get("window", {})
    return IncidentModel(name=name, bias=float(data["bias"]), weights={k: float(v) for k, v in data["weights"].items()},
                         threshold=float(data.get("threshold", 0.0)), languages=tuple(data.get("languages", ("en",))),
                         sha=sha, head_weights={x: tuple(v) for x, v in head_weights.items()},
                         head_biases=tuple(float(h["bias"]) for h in heads.values()),
                         types_weight=float(data.get("types_weight", 0.0)),
                         window_size=int(window.get("size", 0)), window_step=int(window.get("step", 0)),
                         window_weight=float(window.get("weight", 0.0)))


def load_model(name: str) -> IncidentModel:
    path = MODELS / f"{name}.json"
    raw = path.read_bytes()
    data = json.loads(raw)
    return model_from_dict(data, name, hashlib.sha256(raw).hexdigest()[:12])
