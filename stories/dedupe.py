"""Layered deduplication and story assignment of a batch against the warehouse.

1. canonical URL: a page whose canonical URL is already stored (or earlier in
   the batch) is the same article reached by another URL.  With the same text
   it is dropped with reason ``known_canonical_url`` and its URL is kept as an
   alias; with a different text it is an *update*: it keeps the stored
   article's id and story, replaces its text, and the old text becomes a
   row of ``article_versions``.  (AMP/mobile URL variants: see
   :mod:`parsers.variants`, applied by parsers.urls.canonicalize before the article id is made.)
2. content hash: a different URL with the same normalised text (a wire copy,
   a syndicated republication) is stored, with ``duplicate_of`` pointing to
   the earliest article with that text and the same ``story_id``.
3. near-duplicate: MinHash + LSH (:mod:`stories.minhash`): a text whose
   estimated Jaccard similarity with a stored or earlier article reaches
   ``NEAR_DUP_JACCARD`` (0.5) is a copy (edited headline, a paragraph added,
   other boilerplate); ``duplicate_of`` points to the earliest article of the
   copy's family and it takes that article's story.
4. story: every other article joins the best story nearby in time or starts
   its own (:mod:`stories.cluster`).

Order is deterministic: the batch is sorted by (published_at or fetched_at,
article_id), so the same articles in any order give the same result.  An
article already in the warehouse always stays the original.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from newsflow.records import Article, Drop
from stories import minhash
from stories.cluster import Item, StoryPool, assign
from stories.features import counts, vectorise
from stories.fingerprint import content_hash
from stories.model import MemberRow, Sketch, StoryKnown, StoryRows

__all__ = ["DedupeResult", "Known", "Stored", "dedupe", "fingerprint", "sketch"]


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
    stories: StoryKnown = field(default_factory=StoryKnown)  # layers 3 and 4


@dataclass(frozen=True, slots=True)
class DedupeResult:
    articles: list[Article]  # to load: originals and marked duplicates
    drops: list[Drop]
    updates: list[Article]  # new texts of stored articles
    aliases: list[tuple[str, str]]  # (url, article_id) for URLs that reached a known article
    duplicates: int  # articles marked duplicate_of (exact and near copies)
    story_rows: StoryRows = field(default_factory=StoryRows)  # for warehouse.stories_store.write
    near_duplicates: int = 0  # of ``duplicates``, those found by MinHash


def fingerprint(articles: list[Article]) -> list[Article]:
    return [replace(a, content_hash=content_hash(a.text)) for a in articles]


def seen_at(a: Article) -> datetime:
    return a.published_at or a.fetched_at or datetime.max.replace(tzinfo=UTC)


def _order_key(a: Article) -> tuple[datetime, str]:
    return (seen_at(a), a.article_id)


def sketch(articles: Sequence[Article]) -> list[Sketch]:
    """MinHash signature, LSH band keys and feature counts of each article."""
    out = []
    for a in articles:
        sig = minhash.signature(a.text)
        bands = tuple(int(k) for k in minhash.band_keys(sig)) if sig is not None else ()
        out.append(Sketch(a.article_id, seen_at(a), sig, bands, counts(a.title, a.text)))
    return out


class _NearIndex:
    """LSH buckets of stored candidates plus the batch so far."""

    def __init__(self, known: StoryKnown) -> None:
        self.buckets: dict[int, list[str]] = defaultdict(list)
        for key, ids in known.lsh.items():
            self.buckets[key].extend(ids)
        self.sigs = {aid: s.minhash for aid, s in known.sketches.items()}
        self.info = {aid: (s.seen_at, s.duplicate_of or aid, s.story_id) for aid, s in known.sketches.items()}

    def match(self, sk: Sketch) -> tuple[str, str] | None:
        """(root article id, story id) of the earliest near-duplicate, if any."""
        if sk.minhash is None:
            return None
        found = {aid for k in sk.band_keys for aid in self.buckets.get(k, ())}
        best: tuple[datetime, str] | None = None
        for aid in found:
            sig = self.sigs.get(aid)
            if sig is not None and minhash.jaccard(sk.minhash, sig) >= minhash.NEAR_DUP_JACCARD:
                key = (self.info[aid][0], aid)
                best = key if best is None or key < best else best
        if best is None:
            return None
        _, root, story = self.info[best[1]]
        return root, story

    def add(self, sk: Sketch, root: str, story_id: str) -> None:
        if sk.minhash is None:
            return
        for k in sk.band_keys:
            self.buckets[k].append(sk.article_id)
        self.sigs[sk.article_id] = sk.minhash
        self.info[sk.article_id] = (sk.seen_at, root, story_id)


def dedupe(articles: list[Article], known: Known, sketches: Sequence[Sketch] | None = None) -> DedupeResult:
    """``articles`` must carry content hashes (see :func:`fingerprint`);
    ``sketches`` (see :func:`sketch`) are computed here when not given."""
    by_sketch = {s.article_id: s for s in (sketches if sketches is not None else sketch(articles))}
    by_canonical = dict(known.canonical_urls)
    by_hash = dict(known.hashes)
    near = _NearIndex(known.stories)
    out: list[Article] = []
    updates: list[Article] = []
    drops: list[Drop] = []
    aliases: list[tuple[str, str]] = []
    duplicates = near_dups = 0
    # article id -> (story id, batch article whose story to take) decided by layers 2-3
    forced: dict[str, tuple[str | None, str | None]] = {}
    batch_ids: set[str] = set()
    updated: set[str] = set()  # stored articles given a new text by this batch
    for a in sorted(articles, key=_order_key):
        existing = by_canonical.get(a.canonical_url)
        if existing is not None:
            if existing.content_hash == a.content_hash:
                drops.append(Drop("dedupe", a.source, a.url, "known_canonical_url",
                                  f"same page as article {existing.article_id} ({a.canonical_url})"))
                aliases.append((a.url, existing.article_id))
            elif existing.article_id in batch_ids or existing.article_id in updated:
                # Another page of this batch already claimed this canonical URL
                # with a different text (a site whose pages all declare one
                # canonical URL, or two edits fetched at once): the first wins.
                drops.append(Drop("dedupe", a.source, a.url, "canonical_conflict",
                                  f"another page of this run has canonical URL {a.canonical_url} with a different"
                                  f" text (kept: article {existing.article_id})"))
            else:
                updated.add(existing.article_id)
                upd = replace(a, article_id=existing.article_id, story_id=existing.story_id,
                              duplicate_of=existing.duplicate_of)
                updates.append(upd)
                by_sketch[upd.article_id] = replace(by_sketch[a.article_id], article_id=upd.article_id)
                by_canonical[a.canonical_url] = replace(existing, content_hash=a.content_hash)
            continue
        sk = by_sketch[a.article_id]
        original = by_hash.get(a.content_hash)
        if original is None:
            hit = near.match(sk)
            if hit is not None:
                near_dups += 1
                original = hit
        if original is not None:
            out.append(replace(a, duplicate_of=original[0], story_id=original[1]))
            by_canonical[a.canonical_url] = Stored(a.article_id, a.content_hash, original[1], original[0])
            near.add(sk, original[0], original[1])
            forced[a.article_id] = (None, original[0]) if original[0] in batch_ids else (original[1], None)
            duplicates += 1
            continue
        by_canonical[a.canonical_url] = Stored(a.article_id, a.content_hash, a.article_id)
        by_hash[a.content_hash] = (a.article_id, a.article_id)
        near.add(sk, a.article_id, a.article_id)
        forced[a.article_id] = (None, None)
        batch_ids.add(a.article_id)
        out.append(a)
    story_of, rows = _cluster(out, updates, by_sketch, forced, known.stories)
    final = [replace(a, story_id=story_of[a.article_id]) for a in out]
    return DedupeResult(final, drops, updates, aliases, duplicates, rows, near_dups)


def _cluster(out: list[Article], updates: list[Article], by_sketch: dict[str, Sketch],
             forced: dict[str, tuple[str | None, str | None]], known: StoryKnown) -> tuple[dict[str, str], StoryRows]:
    """Layer 4: story ids for ``out`` and the rows that file the batch."""
    batch_df: Counter[int] = Counter()
    for a in out:
        batch_df.update(set(by_sketch[a.article_id].counts.present()))
    n_docs = known.n_docs + len(out)

    # df of every feature vectorised below: stored + the batch's own (updates do not count in the batch)
    dfs = {key: known.df.get(key, 0) + n for key, n in batch_df.items()}
    for a in updates:
        for key in by_sketch[a.article_id].counts.present():
            if key not in dfs:
                dfs[key] = known.df.get(key, 0)
    feats = {a.article_id: vectorise(by_sketch[a.article_id].counts, dfs.__getitem__, n_docs) for a in [*out, *updates]}
    items = [Item(a.article_id, seen_at(a), feats[a.article_id], *forced[a.article_id]) for a in out]
    story_of = assign(items, StoryPool(known.members))
    members = []
    for a in [*out, *updates]:
        sk, f = by_sketch[a.article_id], feats[a.article_id]
        members.append(MemberRow(
            a.article_id, story_of.get(a.article_id, a.story_id), a.duplicate_of, seen_at(a),
            minhash.to_bytes(sk.minhash) if sk.minhash is not None else None,
            tuple(f.words), tuple(f.words.values()), tuple(f.entities), tuple(f.entities.values()),
            f.keys, sk.band_keys))
    return story_of, StoryRows(tuple(members), tuple(sorted(batch_df.items())), tuple(a.article_id for a in updates))
