"""Boilerplate learned per site: paragraphs that repeat across many of one
site's articles.

Pure, deterministic functions.  The pipeline learns a :class:`SiteRules`
from the paragraphs of articles the warehouse already holds for a site
(:func:`learn_site_rules`), stores it as JSON (:meth:`SiteRules.to_json`),
and passes it to :func:`parsers.extract.extract_page`, which removes the
matching paragraphs (:func:`apply_site_rules`) and records each removal
under the rule ``site_boilerplate`` with an explanation
(:func:`explain_paragraph` gives it again for ``newsflow explain``).

Paragraphs are compared by fingerprint: the paragraph folded (lower case,
accents and punctuation removed, whitespace collapsed) with every digit
replaced by 0, so "© 2024" and "© 2025" lines match, hashed with SHA-1.

Thresholds (N = distinct articles sampled from the site; a paragraph counts
once per article, and articles with the same text count once):

* nothing is learned from fewer than ``MIN_ARTICLES`` articles;
* a paragraph of at most ``SHORT_WORDS`` words is boilerplate when it occurs
  in at least ``MIN_DOCS`` articles AND at least ``MIN_SHARE`` of the N;
* a longer paragraph needs ``LONG_MIN_DOCS`` articles AND ``LONG_MIN_SHARE``
  of the N (a background paragraph reused by a few follow-up stories is
  text, a footer on half the site is not);
* a paragraph of more than ``MAX_WORDS`` words never becomes a rule.

``MIN_DOCS`` >= 3, so a paragraph shared by two articles because one quotes
the other never qualifies, however small the sample.

The learner must see the paragraphs as they were before site rules removed
anything, or rules would vanish once applied: :func:`learning_paragraphs`
rebuilds them from a stored text and its removals.  Learn again from the
latest articles on each run (e.g. the newest ``SAMPLE_SIZE``): the rules
then follow the site's templates.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsflow.records import Removal
from parsers.boilerplate import norm_line

RULE = "site_boilerplate"
VERSION = 1
MIN_ARTICLES = 4
MIN_DOCS = 3
MIN_SHARE = 0.2
SHORT_WORDS = 25
LONG_MIN_DOCS = 6
LONG_MIN_SHARE = 0.4
MAX_WORDS = 120
SAMPLE_SIZE = 200  # suggested number of latest articles to learn from
SAMPLE_CHARS = 120  # characters of a rule's paragraph kept to explain it


def fingerprint(paragraph: str) -> str:
    """The key paragraphs are compared by (see the module doc)."""
    key = re.sub(r"\d", "0", norm_line(paragraph))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def required_docs(words: int, articles: int) -> int | None:
    """How many of ``articles`` sampled articles must hold a paragraph of
    ``words`` words for it to be boilerplate; None when it never can be."""
    if articles < MIN_ARTICLES or words == 0 or words > MAX_WORDS:
        return None
    if words <= SHORT_WORDS:
        return max(MIN_DOCS, math.ceil(MIN_SHARE * articles))
    return max(LONG_MIN_DOCS, math.ceil(LONG_MIN_SHARE * articles))


@dataclass(frozen=True, slots=True)
class SiteRule:
    """One learned boilerplate paragraph."""

    fingerprint: str
    docs: int  # sampled articles holding it
    words: int
    sample: str  # its text (first SAMPLE_CHARS characters), to explain removals


@dataclass(frozen=True, slots=True)
class SiteRules:
    """The boilerplate of one site, learned from ``articles`` articles."""

    site: str
    articles: int
    rules: tuple[SiteRule, ...] = ()

    def lookup(self, paragraph: str) -> SiteRule | None:
        fp = fingerprint(paragraph)
        for rule in self.rules:
            if rule.fingerprint == fp:
                return rule
        return None

    def to_dict(self) -> dict[str, object]:
        return {
            "version": VERSION,
            "site": self.site,
            "articles": self.articles,
            "thresholds": {"min_articles": MIN_ARTICLES, "min_docs": MIN_DOCS, "min_share": MIN_SHARE,
                           "short_words": SHORT_WORDS, "long_min_docs": LONG_MIN_DOCS,
                           "long_min_share": LONG_MIN_SHARE, "max_words": MAX_WORDS},
            "rules": [{"fingerprint": r.fingerprint, "docs": r.docs, "words": r.words, "sample": r.sample}
                      for r in self.rules],
        }

    def to_json(self) -> str:
        """Canonical JSON: the same rules always give the same string."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> SiteRules:
        data = json.loads(text)
        if data.get("version") != VERSION:
            raise ValueError(f"site rules version {data.get('version')!r}, expected {VERSION}")
        rules = tuple(SiteRule(str(r["fingerprint"]), int(r["docs"]), int(r["words"]), str(r["sample"]))
                      for r in data["rules"])
        return cls(site=str(data["site"]), articles=int(data["articles"]), rules=rules)


@dataclass(frozen=True, slots=True)
class SiteRemoval:
    """A paragraph removed by a site rule, and why."""

    removal: Removal
    explanation: str


def learn_site_rules(site: str, articles: Iterable[tuple[str, Sequence[str]]]) -> SiteRules:
    """Learn a site's boilerplate from ``(article_id, paragraphs)`` pairs
    (the paragraphs as extracted and cleaned, before site rules; see
    :func:`learning_paragraphs`).  The order of the input does not matter."""
    by_id: dict[str, Sequence[str]] = {}
    for art_id, paragraphs in articles:
        by_id.setdefault(art_id, paragraphs)
    docs: dict[str, int] = {}
    words: dict[str, int] = {}
    sample: dict[str, str] = {}
    seen_texts: set[str] = set()
    n = 0
    for art_id in sorted(by_id):
        paragraphs = [p.strip() for p in by_id[art_id] if p.strip()]
        whole = hashlib.sha1("\n".join(fingerprint(p) for p in paragraphs).encode()).hexdigest()
        if not paragraphs or whole in seen_texts:
            continue  # an empty article, or a copy of one already counted
        seen_texts.add(whole)
        n += 1
        for fp, text in {fingerprint(p): p for p in reversed(paragraphs)}.items():
            docs[fp] = docs.get(fp, 0) + 1
            if fp not in sample:
                sample[fp] = text[:SAMPLE_CHARS]
                words[fp] = len(text.split())
    rules = []
    for fp in sorted(docs):
        need = required_docs(words[fp], n)
        if need is not None and docs[fp] >= need:
            rules.append(SiteRule(fp, docs[fp], words[fp], sample[fp]))
    return SiteRules(site=site, articles=n, rules=tuple(rules))


def _explain(rule: SiteRule, rules: SiteRules) -> str:
    need = required_docs(rule.words, rules.articles)
    return (f"{RULE}: this paragraph occurs in {rule.docs} of the {rules.articles} sampled articles of "
            f"{rules.site} (a {rule.words}-word paragraph needs {need}: at least "
            f"{MIN_DOCS if rule.words <= SHORT_WORDS else LONG_MIN_DOCS} articles and "
            f"{MIN_SHARE if rule.words <= SHORT_WORDS else LONG_MIN_SHARE:.0%} of the sample)")


def explain_paragraph(paragraph: str, rules: SiteRules) -> str | None:
    """Why ``paragraph`` is site boilerplate, or None when it is not."""
    rule = rules.lookup(paragraph)
    return _explain(rule, rules) if rule is not None else None


def apply_site_rules(paragraphs: Sequence[str], rules: SiteRules) -> tuple[list[str], list[SiteRemoval]]:
    """Remove the paragraphs matching a rule; returns the kept paragraphs and
    a :class:`SiteRemoval` (rule ``site_boilerplate``) for each removed one.
    A text is never emptied: when every paragraph matches, nothing is removed
    (the page is then a stub, and the extractor's length checks decide)."""
    index = {r.fingerprint: r for r in rules.rules}
    if not index:
        return list(paragraphs), []
    kept: list[str] = []
    removed: list[SiteRemoval] = []
    for p in paragraphs:
        rule = index.get(fingerprint(p))
        if rule is None:
            kept.append(p)
        else:
            removed.append(SiteRemoval(Removal(RULE, p), _explain(rule, rules)))
    if not kept:
        return list(paragraphs), []
    return kept, removed


def learning_paragraphs(text: str, removed: Iterable[Removal]) -> list[str]:
    """The paragraphs to learn from for a stored article: its text's
    paragraphs plus those site rules removed (order does not matter)."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return paragraphs + [r.text for r in removed if r.rule == RULE]
