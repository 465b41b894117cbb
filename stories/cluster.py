"""Story clustering (layer 4): different outlets' reports of one event.

Method: online, centroid-linked assignment, the way articles really arrive.
Articles are taken in order of time (then article id).  Each is compared with
the candidate stories around it in time and joins the most similar one if the
similarity reaches ``JOIN_THRESHOLD``; otherwise it starts a new story whose
id is its own article id.

* Candidates: stories holding an article published within ``WINDOW`` of this
  one that shares at least one retrieval key (a rare word or entity, see
  :mod:`stories.features`).  In the warehouse this is a join on
  ``story_keys``; nothing is held in memory between runs.
* Similarity to a story is measured against the story's *centroid* (the sum
  of its members' vectors), not against its nearest member: single-link
  matching chains two events of the same kind (two earthquakes, two rehab
  stays) through one article that mentions both, and on ECB+ merged about 30%
  of such pairs.  ``score = W_WORDS * cos(words) + W_ENTITIES * cos(entities)``.
* Thresholds were chosen on ECB+ (``bench/stories.py``), where the two events
  of a topic are 3 days apart and each article within 36 hours of its event:
  the score of an article against its own event's centroid is typically
  0.3-0.6, against the other event's 0.1-0.25.

Determinism: the order of work is fixed by (time, article_id), ties between
stories of equal score go to the smaller story id, so the same articles in
any input order give the same stories.  (Splitting the same articles into
different *batches* can change document frequencies slightly, hence scores.)
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from stories.features import Features

WINDOW = timedelta(days=4)
W_WORDS = 0.5
W_ENTITIES = 0.5
JOIN_THRESHOLD = 0.22


@dataclass(frozen=True, slots=True)
class Member:
    """An article already in a story (stored, or assigned earlier in the batch)."""

    article_id: str
    story_id: str
    seen_at: datetime
    features: Features


@dataclass(slots=True)
class _Story:
    words: dict[int, float] = field(default_factory=dict)
    entities: dict[int, float] = field(default_factory=dict)
    times: list[datetime] = field(default_factory=list)

    def add(self, m: Member) -> None:
        for k, w in m.features.words.items():
            self.words[k] = self.words.get(k, 0.0) + w
        for k, w in m.features.entities.items():
            self.entities[k] = self.entities.get(k, 0.0) + w
        self.times.append(m.seen_at)


def _cos(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(w * b.get(k, 0.0) for k, w in a.items())
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def similarity(f: Features, words: Mapping[int, float], entities: Mapping[int, float]) -> float:
    return W_WORDS * _cos(f.words, words) + W_ENTITIES * _cos(f.entities, entities)


class StoryPool:
    """The candidate stories of one batch: stored members plus what the batch
    adds as it is assigned."""

    def __init__(self, members: Iterable[Member] = ()) -> None:
        self._stories: dict[str, _Story] = {}
        self._by_key: dict[int, set[str]] = defaultdict(set)
        for m in sorted(members, key=lambda m: (m.seen_at, m.article_id)):
            self.add(m)

    def add(self, m: Member) -> None:
        self._stories.setdefault(m.story_id, _Story()).add(m)
        for k in m.features.keys:
            self._by_key[k].add(m.story_id)

    def best(self, f: Features, at: datetime, window: timedelta = WINDOW) -> tuple[str | None, float]:
        """The most similar story within the window, and its score."""
        ids: set[str] = set()
        for k in f.keys:
            ids |= self._by_key.get(k, set())
        best: tuple[float, str] | None = None
        for sid in sorted(ids):
            s = self._stories[sid]
            if not any(abs(t - at) <= window for t in s.times):
                continue
            score = similarity(f, s.words, s.entities)
            if best is None or score > best[0]:
                best = (score, sid)
        return (best[1], best[0]) if best else (None, 0.0)


@dataclass(frozen=True, slots=True)
class Item:
    """An article of the batch to assign.  ``story_id`` is set when an earlier
    layer already decided it (an update or a near-duplicate copy)."""

    article_id: str
    seen_at: datetime
    features: Features
    story_id: str | None = None


def assign(items: Iterable[Item], pool: StoryPool, threshold: float = JOIN_THRESHOLD,
           window: timedelta = WINDOW) -> dict[str, str]:
    """article_id -> story_id for every item, in (time, article_id) order."""
    out: dict[str, str] = {}
    for it in sorted(items, key=lambda i: (i.seen_at, i.article_id)):
        sid = it.story_id
        if sid is None:
            best, score = pool.best(it.features, it.seen_at, window)
            sid = best if best is not None and score >= threshold else it.article_id
        out[it.article_id] = sid
        pool.add(Member(it.article_id, sid, it.seen_at, it.features))
    return out
