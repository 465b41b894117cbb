"""Scoring extracted article text against a ground-truth body.

Pure functions used by the extraction benchmark (``bench/extraction.py``).

The score is the usual bag-of-tokens measure of main-content extraction:
both texts are tokenised (NFKC, lower case, split on non-word characters,
word tokens kept), the two token lists are compared as multisets, and

* overlap   = sum over tokens of min(count in prediction, count in truth)
* precision = overlap / tokens in the prediction
* recall    = overlap / tokens in the truth
* F1        = harmonic mean of precision and recall

Edge cases: when neither text has a token, the extraction is perfect
(P = R = F1 = 1); when exactly one of them has none, P = R = F1 = 0.

Accents are kept: "été" and "ete" are different tokens (NFKC composes a
decomposed "e" + combining acute into "é", so the two spellings of "été"
are the same token).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Score:
    """Token-level precision, recall and F1, each between 0 and 1."""

    precision: float
    recall: float
    f1: float


def tokenize(text: str | None) -> list[str]:
    """Word tokens of ``text``: NFKC-normalised, lower-cased, split on
    every run of non-word characters (punctuation, spaces, symbols).

    ``None`` is treated as the empty text.

    >>> tokenize("L’été, c'est 2024!")
    ['l', 'été', 'c', 'est', '2024']
    """
    if not text:
        return []
    normalised = unicodedata.normalize("NFKC", text).lower()
    # Lower-casing can (rarely) produce a sequence that is not NFKC again.
    normalised = unicodedata.normalize("NFKC", normalised)
    return _WORD.findall(normalised)


def overlap(predicted: Sequence[str], truth: Sequence[str]) -> int:
    """Size of the multiset intersection of two token lists
    (the sum over tokens of the smaller of the two counts)."""
    pred_counts = Counter(predicted)
    truth_counts = Counter(truth)
    return sum(min(n, truth_counts[tok]) for tok, n in pred_counts.items() if tok in truth_counts)


def score_tokens(predicted: Sequence[str], truth: Sequence[str]) -> Score:
    """Precision, recall and F1 of already tokenised texts."""
    if not predicted and not truth:
        return Score(1.0, 1.0, 1.0)
    if not predicted or not truth:
        return Score(0.0, 0.0, 0.0)
    common = overlap(predicted, truth)
    if common == 0:
        return Score(0.0, 0.0, 0.0)
    precision = common / len(predicted)
    recall = common / len(truth)
    f1 = 2 * precision * recall / (precision + recall)
    return Score(precision, recall, f1)


def score_text(predicted: str | None, truth: str | None) -> Score:
    """Token-level precision, recall and F1 of an extracted body against the
    ground-truth body.  ``None`` counts as the empty text (e.g. an extractor
    that returned nothing)."""
    return score_tokens(tokenize(predicted), tokenize(truth))


def aggregate(scores: Iterable[Score]) -> Score:
    """Macro average: the mean precision, mean recall and mean F1 of the
    per-page scores (the F1 is the mean of the pages' F1, not the harmonic
    mean of the mean precision and recall).

    Raises ``ValueError`` when there is no score to average.
    """
    items = list(scores)
    if not items:
        raise ValueError("no scores to aggregate")
    n = len(items)
    return Score(
        precision=sum(s.precision for s in items) / n,
        recall=sum(s.recall for s in items) / n,
        f1=sum(s.f1 for s in items) / n,
    )


def _strip_accents(text: str) -> str:
    """Lower case without accents; one output character per input character
    for the precomposed letters news text uses."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFD", ch)[0] if ord(ch) > 127 else ch
        if ch in "’ʼ‘`´":
            base = "'"
        low = base.lower()
        out.append(low if len(low) == 1 else base)
    return "".join(out)


def find_phrases(text: str | None, patterns: Iterable[str | re.Pattern[str]], *,
                 fold_accents: bool = True) -> list[str]:
    """The patterns, from ``patterns``, that occur in ``text``.

    Each pattern is a regular expression (a string or a compiled pattern)
    searched case-insensitively, starting on a word boundary.  With
    ``fold_accents`` (the default) the text is lower-cased, its accents
    stripped and its typographic apostrophes made plain first, so patterns
    written without accents ("telechargez l'application") match French text
    as printed ("Téléchargez l’application").  Patterns are returned as
    given (their ``.pattern`` for compiled ones), in the order given, each
    at most once.
    """
    if not text:
        return []
    haystack = _strip_accents(text) if fold_accents else text
    found: list[str] = []
    for pattern in patterns:
        source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
        flags = (pattern.flags if isinstance(pattern, re.Pattern) else 0) | re.IGNORECASE
        if source in found:
            continue
        if re.search(r"\b(?:" + source + ")", haystack, flags):
            found.append(source)
    return found
