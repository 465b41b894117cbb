"""What the story layers exchange with the warehouse: sketches of the batch,
what the warehouse knows around it, and the rows to store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from stories.cluster import Member
from stories.features import Counts
from stories.minhash import Signature


@dataclass(frozen=True, slots=True)
class Sketch:
    """The expensive per-article work, done once: MinHash and feature counts."""

    article_id: str
    seen_at: datetime  # published_at, else fetched_at
    minhash: Signature | None  # None for texts too short to compare
    band_keys: tuple[int, ...]
    counts: Counts


@dataclass(frozen=True, slots=True)
class StoredSketch:
    """A stored article that shares an LSH band with the batch."""

    article_id: str
    story_id: str
    duplicate_of: str | None
    seen_at: datetime
    minhash: Signature


@dataclass(frozen=True, slots=True)
class StoryKnown:
    """What the warehouse holds around a batch (see ``warehouse.stories_store``)."""

    lsh: dict[int, tuple[str, ...]] = field(default_factory=dict)  # band key -> stored article ids
    sketches: dict[str, StoredSketch] = field(default_factory=dict)
    members: tuple[Member, ...] = ()  # members of candidate stories near the batch in time
    df: dict[int, int] = field(default_factory=dict)  # feature key -> stored document frequency
    n_docs: int = 0  # stored articles with features


@dataclass(frozen=True, slots=True)
class MemberRow:
    article_id: str
    story_id: str
    duplicate_of: str | None
    seen_at: datetime
    minhash: bytes | None
    word_keys: tuple[int, ...]
    word_weights: tuple[float, ...]
    entity_keys: tuple[int, ...]
    entity_weights: tuple[float, ...]
    retrieval_keys: tuple[int, ...]
    band_keys: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class StoryRows:
    """Rows for ``story_members``, ``story_lsh``, ``story_keys`` and
    ``story_term_df``.  ``replace`` lists updated articles whose rows are
    replaced; ``df`` adds document frequencies of *new* articles only."""

    members: tuple[MemberRow, ...] = ()
    df: tuple[tuple[int, int], ...] = ()
    replace: tuple[str, ...] = ()
