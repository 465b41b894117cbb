"""Content features for story clustering (layer 4).

An article is described by two sparse, hashed, TF-IDF weighted vectors:

* **words**: content words of headline and text (normalised, stopwords and
  one- or two-letter tokens dropped; the headline counted twice), weight
  ``(1 + log tf) * idf``;
* **entities**: a cheap stand-in for named entities, since no NER model ships
  offline: runs of capitalised words that do not start a sentence
  ("Lindsay Lohan", "Betty Ford Center"), each also split into its words
  ("lohan"), plus numbers of two or more digits that are not years
  ("112 migrants", "6.1 magnitude").  Weight ``idf``.

``idf = ln((N + 1) / (df + 1)) + 1`` where ``df`` counts the stored articles
(plus the current batch) holding the feature: the warehouse keeps these counts
in ``story_term_df``.  Both vectors are L2-normalised and then cut to their
``MAX_WORDS`` / ``MAX_ENTITIES`` heaviest features, which is what is stored.

Feature keys are signed 64-bit BLAKE2b hashes of ``"w:" + word`` or
``"e:" + entity``, so they fit a DuckDB ``BIGINT`` and need no vocabulary.
An article is filed under its ``RETRIEVAL_KEYS`` (30) heaviest features (rare
names and words; ``story_keys`` in the warehouse); a later article looks up
*all* of its own features there, so two reports of one event meet when one's
top features appear anywhere in the other.  (Filing and querying only the
top 12 lost a third of the same-event pairs on ECB+.)
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

MAX_WORDS = 80
MAX_ENTITIES = 30
RETRIEVAL_KEYS = 30

STOPWORDS = frozenset("""
a about above after again against all also although am an and another any are around as at be because been
before being below between both but by can could did do does doing down during each either else even ever
every few for from further had has have having he her here hers herself him himself his how however i if in
into is it its itself just last least less like made make many may me might more most much must my myself
near neither new news no nor not now of off often on once one only or other our ours out over own per
rather said same say says she should since so some still such than that the their theirs them then there
these they this those though through thus to too under until up upon us very via was we were what when
where whether which while who whom whose why will with within without would yet you your yours told
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow week weeks year years
day days time times people according report reported reports reuters associated press afp update updated
le la les un une des du de et en est que qui dans pour pas sur au aux par plus avec ce ces son sa ses
il elle ils elles nous vous ont été était sont mais ou donc ne se leur leurs lui été être avait fait
el los las del por con para una su al lo como más pero sus le ya o este sí porque esta entre cuando muy
""".split())
# capitalised words that begin many sentences or headlines: never an entity on their own
_CAP_STOP = frozenset(w.capitalize() for w in STOPWORDS) | {"Mr", "Mrs", "Ms", "Dr", "Sen", "Rep", "Gov"}

_WORD = re.compile(r"\w+")
_CAPS_ANY = re.compile(r"\b[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:\"“”]\s+)([A-Z][\w'’-]*)", re.MULTILINE)
_NUMBER = re.compile(r"(?<![\w.])\d[\d,.]*\d(?![\w])")
_YEAR = re.compile(r"^(?:19|20)\d\d$")


@lru_cache(maxsize=1 << 18)
def feature_key(feature: str) -> int:
    """Signed 64-bit hash of a feature string (``w:word`` or ``e:entity``)."""
    return int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKC", s).casefold().replace("’", "'")


def word_counts(title: str | None, text: str) -> Counter[str]:
    """Content words, the headline counted twice."""
    counts: Counter[str] = Counter()
    for part, times in ((title or "", 2), (text, 1)):
        for w in _WORD.findall(_fold(part)):
            if len(w) > 2 and w not in STOPWORDS and not w.isdigit():
                counts[w] += times
    return counts


def entity_counts(title: str | None, text: str) -> Counter[str]:
    """Capitalised-word runs (and their words) and non-year numbers."""
    counts: Counter[str] = Counter()
    for part in (title or "", text):
        starts = {m.start(1) for m in _SENTENCE_START.finditer(part)}
        for m in _CAPS_ANY.finditer(part):
            words = m.group(0).split()
            if m.start() in starts:  # sentence-initial word: drop it unless the run continues
                words = words[1:] if len(words) > 1 and words[0] in _CAP_STOP else (
                    [] if len(words) == 1 else words)
            words = [w for w in words if w not in _CAP_STOP]
            if not words or (len(words) == 1 and len(words[0]) < 3):
                continue
            if len(words) > 1:
                counts[_fold(" ".join(words))] += 1
            for w in words:
                if len(w) > 2:
                    counts[_fold(w)] += 1
        for n in _NUMBER.findall(part):
            if not _YEAR.match(n):
                counts["#" + n.replace(",", "")] += 1
    return counts


@dataclass(frozen=True, slots=True)
class Features:
    """What clustering knows of one article."""

    words: Mapping[int, float]  # feature key -> weight, L2-normalised before the cut
    entities: Mapping[int, float]
    keys: tuple[int, ...]  # retrieval keys, heaviest first
    word_norm: float = field(init=False, compare=False)
    entity_norm: float = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "word_norm", math.sqrt(sum(w * w for w in self.words.values())))
        object.__setattr__(self, "entity_norm", math.sqrt(sum(w * w for w in self.entities.values())))


@dataclass(frozen=True, slots=True)
class Counts:
    """Raw feature counts of one article, keyed by feature key."""

    words: Mapping[int, int]
    entities: Mapping[int, int]

    def present(self) -> Iterable[int]:
        return (*self.words.keys(), *self.entities.keys())


def counts(title: str | None, text: str) -> Counts:
    return Counts({feature_key("w:" + w): c for w, c in word_counts(title, text).items()},
                  {feature_key("e:" + e): c for e, c in entity_counts(title, text).items()})


def idf(df: int, n_docs: int) -> float:
    return math.log((n_docs + 1) / (df + 1)) + 1.0


def _top(weights: dict[int, float], k: int) -> dict[int, float]:
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return {key: w / norm for key, w in top}


def vectorise(c: Counts, df: Callable[[int], int], n_docs: int) -> Features:
    """TF-IDF vectors and retrieval keys from raw counts and document
    frequencies (``df(key)``: articles holding the feature, out of ``n_docs``)."""
    log, n1 = math.log, n_docs + 1  # idf() inlined (the same expression): a quarter of dedupe's time was calls
    words = _top({k: (1.0 + log(tf)) * (log(n1 / (df(k) + 1)) + 1.0) for k, tf in c.words.items()}, MAX_WORDS)
    ents = _top({k: log(n1 / (df(k) + 1)) + 1.0 for k in c.entities}, MAX_ENTITIES)
    return Features(words, ents, retrieval_keys(words, ents))


def retrieval_keys(words: Mapping[int, float], entities: Mapping[int, float]) -> tuple[int, ...]:
    """The ``RETRIEVAL_KEYS`` heaviest features of both vectors."""
    ranked = sorted([*words.items(), *entities.items()], key=lambda kv: (-kv[1], kv[0]))
    keys: list[int] = []
    for k, _ in ranked:
        if k not in keys:
            keys.append(k)
        if len(keys) == RETRIEVAL_KEYS:
            break
    return tuple(keys)
