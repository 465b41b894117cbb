"""The records that travel between stages.

Every stage takes a batch in and gives a batch out plus the items it dropped,
each as a :class:`Drop` with a reason.  Records are frozen: a later stage adds
fields with :func:`dataclasses.replace`, it never mutates what it was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from newsflow.packing import unpack


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item announced by a feed (or sitemap, or section page)."""

    url: str
    source: str
    feed_url: str
    title: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """One network request and its outcome: a row of ``fetch_log``."""

    source: str
    url: str
    kind: str  # "feed" | "article" | "robots"
    fetched_at: datetime
    status: int | None  # HTTP status, None when no response arrived
    error: str | None  # short reason class, None on success
    bytes: int
    elapsed_ms: float
    final_url: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """A successfully fetched HTML page, still as bytes."""

    url: str  # the URL we asked for
    final_url: str  # after redirects
    source: str
    status: int
    content_type: str
    charset: str | None  # from the Content-Type header, if any
    body: bytes
    fetched_at: datetime
    entry: FeedEntry | None = None
    packed: bool = False  # ``body`` is compressed (see newsflow.packing); read it with html()

    def html(self) -> bytes:
        """The page's bytes as served."""
        return unpack(self.body) if self.packed else self.body


@dataclass(frozen=True, slots=True)
class Drop:
    """An item a stage did not pass on, and why."""

    stage: str  # discover | fetch | extract | dedupe | tag | load
    source: str
    url: str
    reason: str  # short machine-readable class
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Removal:
    """A piece of text the cleaner removed, and the rule that removed it."""

    rule: str
    text: str


@dataclass(frozen=True, slots=True)
class Article:
    """An extracted article.  ``stories`` fills the last three fields."""

    article_id: str
    url: str
    canonical_url: str
    source: str
    site: str
    title: str | None
    authors: tuple[str, ...]
    published_at: datetime | None
    language: str | None
    text: str
    fetched_at: datetime
    http_status: int
    extractor: str
    removed: tuple[Removal, ...] = ()
    standfirst: str | None = None  # the dek under the headline, when the page prints one; never part of ``text``
    content_hash: str = ""
    story_id: str = ""
    duplicate_of: str | None = None

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True, slots=True)
class Evidence:
    """A matched phrase and where it was found (``field`` is title or text)."""

    phrase: str
    field: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class TopicTag:
    article_id: str
    topic: str
    score: float
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
