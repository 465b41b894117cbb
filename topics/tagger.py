"""Tag articles with topics, keeping the evidence.

Score of a topic for one article::

    raw   = sum over distinct matched terms of
              weight * (1 + 0.5 * ln(count)) * (title_weight if seen in the title)
    score = 1 - exp(-raw / saturation)

A match is discarded when one of the topic's ``negative_context`` terms
occurs within ``negative_window`` characters of it (the migration *of birds*,
a TV series called *The Terror*).  A topic is tagged when score >= its
threshold.  Evidence is every kept match: the phrase as written in the
article, the field (title or text) and character offsets in that field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from newsflow.records import Article, Evidence, TopicTag
from parsers.boilerplate import fold
from topics.taxonomy import Taxonomy, Topic

MAX_EVIDENCE = 20


def _matches(topic: Topic, original: str, folded: str, field: str) -> list[tuple[int, Evidence]]:
    found: list[tuple[int, Evidence]] = []
    for m in topic.pattern.finditer(folded):
        if topic.negative_context is not None:
            lo = max(0, m.start() - topic.negative_window)
            hi = min(len(folded), m.end() + topic.negative_window)
            if topic.negative_context.search(folded, lo, hi):
                continue
        idx = int(m.lastgroup[1:]) if m.lastgroup else 0
        found.append((idx, Evidence(original[m.start():m.end()], field, m.start(), m.end())))
    return found


def tag_article(article: Article, taxonomy: Taxonomy) -> list[TopicTag]:
    title = article.title or ""
    fields = [("title", title, fold(title)), ("text", article.text, fold(article.text))]
    tags: list[TopicTag] = []
    for topic in taxonomy.topics:
        counts: dict[int, int] = {}
        in_title: set[int] = set()
        evidence: list[Evidence] = []
        for field, original, folded in fields:
            for idx, ev in _matches(topic, original, folded, field):
                counts[idx] = counts.get(idx, 0) + 1
                if field == "title":
                    in_title.add(idx)
                evidence.append(ev)
        if not counts:
            continue
        raw = 0.0
        for idx, n in counts.items():
            weight = topic.terms[idx][1]
            raw += weight * (1 + 0.5 * math.log(n)) * (taxonomy.title_weight if idx in in_title else 1.0)
        score = 1 - math.exp(-raw / taxonomy.saturation)
        if score >= topic.threshold:
            tags.append(TopicTag(article.article_id, topic.key, round(score, 4), tuple(evidence[:MAX_EVIDENCE])))
    return tags


def tag_articles(articles: Iterable[Article], taxonomy: Taxonomy) -> list[TopicTag]:
    return [t for a in articles for t in tag_article(a, taxonomy)]
