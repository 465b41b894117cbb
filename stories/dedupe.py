"""Layered deduplication of a batch against what the warehouse holds.

1. canonical URL: a page whose canonical URL is already stored (or earlier in
   the batch) is the same article reached by another URL.  With the same text
   it is dropped with reason ``known_canonical_url`` and its URL is kept as an
   alias; with a different text it is an *update*: it keeps the stored
   article's id and story, replaces its text, and the old text becomes a
   row of ``article_versions``.
2. content hash: a different URL with the same normalised text (a wire copy,
   a syndicated republication) is stored, with ``duplicate_of`` pointing to
   the earliest article with that text and the same ``story_id``.

Order is deterministic: the batch is sorted by (published_at or fetched_at,
article_id), so the same articles in any order give the same result.  An
article already in the warehouse always stays the original.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from newsflow.records import Article, Drop
from stories.fingerprint import content_hash


@dataclass(frozen=True, slots=True)
class Stored:
    """An article the warehouse holds, as dedupe needs to see it."""

    article_id: str
    content_hash: str
    story_id: str
    duplicate_of: str | None = None


@dataclass(frozen=True, slots=True)
class Known:
    """What the warehouse already holds for the batch's keys."""

    canonical_urls: dict[str, Stored] = field(default_factory=dict)
    hashes: dict[str, tuple[str, str]] = field(default_factory=dict)  # content_hash -> (article_id, story_id)


@dataclass(frozen=True, slots=True)
class DedupeResult:
    articles: list[Article]  # to load: originals and marked duplicates
    drops: list[Drop]
    updates: list[Article]  # new texts of stored articles
    aliases: list[tuple[str, str]]  # (url, article_id) for URLs that reached a known article
    duplicates: int  # articles marked duplicate_of


def fingerprint(articles: list[Article]) -> list[Article]:
    return [replace(a, content_hash=content_hash(a.text)) for a in articles]


def _order_key(a: Article) -> tuple[datetime, str]:
    return (a.published_at or a.fetched_at or datetime.max.replace(tzinfo=UTC), a.article_id)


def dedupe(articles: list[Article], known: Known) -> DedupeResult:
    """``articles`` must carry content hashes (see :func:`fingerprint`)."""
    by_canonical = dict(known.canonical_urls)
    by_hash = dict(known.hashes)
    out: list[Article] = []
    updates: list[Article] = []
    drops: list[Drop] = []
    aliases: list[tuple[str, str]] = []
    duplicates = 0
    for a in sorted(articles, key=_order_key):
        existing = by_canonical.get(a.canonical_url)
        if existing is not None:
            if existing.content_hash == a.content_hash:
                drops.append(Drop("dedupe", a.source, a.url, "known_canonical_url",
                                  f"same page as article {existing.article_id} ({a.canonical_url})"))
                aliases.append((a.url, existing.article_id))
            else:
                updates.append(replace(a, article_id=existing.article_id, story_id=existing.story_id,
                                       duplicate_of=existing.duplicate_of))
                by_canonical[a.canonical_url] = replace(existing, content_hash=a.content_hash)
            continue
        by_canonical[a.canonical_url] = Stored(a.article_id, a.content_hash, a.article_id)
        original = by_hash.get(a.content_hash)
        if original is not None:
            out.append(replace(a, duplicate_of=original[0], story_id=original[1]))
            by_canonical[a.canonical_url] = Stored(a.article_id, a.content_hash, original[1], original[0])
            duplicates += 1
            continue
        by_hash[a.content_hash] = (a.article_id, a.article_id)
        out.append(replace(a, story_id=a.article_id))
    return DedupeResult(out, drops, updates, aliases, duplicates)
