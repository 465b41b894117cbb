"""Tag articles with topics, keeping the evidence.

Score of a topic for one article::

    raw   = sum over distinct matched terms of
              weight * (1 + 0.5 * ln(count)) * position     (weight may be < 0)
            - negative_weight * (negative-context matches in the article),
            and at least 0
    position = title_weight if seen in the title, else lede_weight if seen
               in the first lede_chars characters of the text, else 1
    score = 1 - exp(-raw / saturation)

News is written as an inverted pyramid: what the headline and the first
sentences name is what the story is about, so a term there counts more than
a passing mention further down.

*Substantially about it.*  A topic with ``passage_chars`` counts the text
only through its best passage: the matches of the title and of the
``passage_chars`` characters (starting at a match) whose raw score is
highest, so that mentions scattered through a long article do not add up.
In a text longer than that passage (any text, for a topic without one) a tag
also needs evidence in at least ``min_sentences`` sentences, the title being
one: one sentence, however strong its terms, is a passing mention (a list of
an election's issues, a refugee past in a profile).  A topic with ``core``
term groups needs one core term among its matches; its other terms support a
core term and never tag alone.

*Language.*  A topic lists the ``languages`` its terms are written for; an
article in another language is not tagged with it (no tag rather than a
wrong one).  The article's language is the one stored with it (identified
from its text at extraction), else identified here from the text; a text too
short to identify does not stop a topic.

A match is discarded when one of the topic's ``negative_context`` terms
occurs within ``negative_window`` characters of it (the migration *of birds*,
a TV series called *The Terror*).  A topic may also set ``negative_weight``:
raw loses that much per negative-context match anywhere in the article
(title or text), before saturation and never below 0 (a cigarette or
cannabis-resin smuggling story names its goods again and again, often far
from the "smugglers" or "passeurs" the window would have to catch).  A topic
is tagged when score >= its threshold, and, if it ``requires`` another
topic, that topic's term score is at least ``requires_score`` (migrant
smuggling is smuggling *of people*, so it requires some migration evidence).
A topic that ``implies`` another tags that one too, with the same score, when
the other has evidence of its own that outweighs its counter-evidence (a
migrant smuggling story is a migration story; a terrorist attack is about
terrorism).  Evidence is every kept match: the phrase as written in the
article, the field (title or text) and character offsets in that field.

Each field is tokenised once; one scan over its tokens finds the matches of
every topic (see :class:`topics.taxonomy.TermIndex`).

A topic may also name a learned ``model`` (``terrorist_attack`` does: the
English "reports a terrorist incident" model of :mod:`topics.incident`).
When the model applies to the article's language and the topic has evidence,
i.e. a term score of at least ``model_min_score``, the topic's score is the
model's probability (0.5 = its decision threshold) instead of the term
score, unless the term score reaches ``model_override``; the tag is kept
when that score >= 0.5.  Terms in a group marked ``bypass_model`` are
vocabulary the model never saw in training: when one of them is matched, the
model cannot judge the article and the term score decides, with the topic's
threshold.

A terms group may have a weight <= 0: counter-evidence, taken off raw like
any term's weight (raw never goes below 0), never evidence, and never
cancelled by a negative context.  ``terrorist_attack`` has such groups marked
``bypass_model`` too: gang crime ("settling of scores"), ordinary crime,
riots and accidents in today's words, absent from the MUC train split
(whose drug-cartel killings are terrorist incidents), so the model cannot
judge them.  The evidence is always the matched terms, so a tag is never
given without evidence.  Other languages use the term score alone.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from collections.abc import Iterable

from newsflow.records import Article, Evidence, TopicTag
from parsers.boilerplate import fold
from parsers.language import detect_language
from topics.incident import tokens
from topics.taxonomy import WORD, Taxonomy, Term, Topic

MAX_EVIDENCE = 20


def _scan(folded: str, taxonomy: Taxonomy) -> list[tuple[Term, int, int]]:
    """Every (term, start, end) in ``folded``: at each token the longest
    match per topic wins, and a topic's matches do not overlap."""
    spans = [(m.start(), m.end(), m.group()) for m in WORD.finditer(folded)]
    tokens = [s[2] for s in spans]
    found: list[tuple[Term, int, int]] = []
    busy_until: dict[tuple[int, bool], int] = {}  # (topic, negative) -> token index free from
    seen: dict[str, list[Term]] = {}  # token -> its candidates (an article repeats its words)
    for i, tok in enumerate(tokens):
        candidates = seen.get(tok)
        if candidates is None:
            candidates = seen[tok] = taxonomy.index.candidates(tok)
        if not candidates:
            continue
        best: dict[tuple[int, bool], tuple[int, Term]] = {}
        for term in candidates:
            n = len(term.words)
            if n > 1 and not term.rest_matches(tokens, i):
                continue
            key = (term.topic, term.negative)
            if busy_until.get(key, 0) > i:
                continue
            if key not in best or n > best[key][0]:
                best[key] = (n, term)
        for key, (n, term) in best.items():
            busy_until[key] = i + n
            found.append((term, spans[i][0], spans[i + n - 1][1]))
    return found


Match = tuple[int, str, int, int, float, int]  # (term index, field, start, end, position boost, sentence)
# where a sentence ends: . ! or ? (and closing quotes or brackets) before a space
SENTENCE_END = re.compile(r"[.!?][\"'”’»)\]]*\s")


def _raw(topic: Topic, matches: Iterable[Match]) -> float:
    counts: dict[int, int] = {}
    position: dict[int, float] = {}
    for idx, _, _, _, boost, _ in matches:
        counts[idx] = counts.get(idx, 0) + 1
        position[idx] = max(position.get(idx, 1.0), boost)
    return sum(topic.terms[idx][1] * (1 + 0.5 * math.log(n)) * position[idx] for idx, n in counts.items())


def _sentences(topic: Topic, matches: list[Match]) -> int:
    """The number of sentences (the title is one) holding evidence."""
    return len({m[5] for m in matches if topic.terms[m[0]][1] > 0})


def _best_passage(topic: Topic, title: list[Match], text: list[Match]) -> tuple[float, int]:
    """(raw, sentences with evidence) of the title's matches with the text's
    best passage: the ``passage_chars`` characters starting at a match that
    score highest."""
    if not text:
        return _raw(topic, title), _sentences(topic, title)
    best = (-math.inf, 0)
    j = 0
    for i, (_, _, start, _, _, _) in enumerate(text):
        j = max(j, i + 1)
        while j < len(text) and text[j][2] < start + topic.passage_chars:
            j += 1
        window = title + text[i:j]
        raw = _raw(topic, window)
        if raw > best[0]:
            best = (raw, _sentences(topic, window))
    return best


def article_language(article: Article) -> str | None:
    """The article's two-letter language: as stored, else identified from
    its text (:func:`parsers.language.detect_language`); None when unknown."""
    lang = article.language or detect_language(article.text, None)
    return lang.lower()[:2] if lang else None


def _covers(topic: Topic, language: str | None) -> bool:
    """Whether the topic's terms are written for the language (an unknown
    language does not stop a topic: a text too short to identify)."""
    return topic.languages is None or language is None or language in topic.languages


def tag_article(article: Article, taxonomy: Taxonomy) -> list[TopicTag]:
    language = article_language(article)
    matched: dict[int, dict[str, list[Match]]] = defaultdict(lambda: {"title": [], "text": []})
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    negative_count: dict[int, int] = defaultdict(int)  # topic -> negative-context matches in the article
    covered = [_covers(t, language) for t in taxonomy.topics]
    for field, original in (("title", article.title or ""), ("text", article.text)):
        if not original:
            continue
        matches = [m for m in _scan(fold(original), taxonomy) if covered[m[0].topic]]
        ends = [m.end() for m in SENTENCE_END.finditer(original)] if field == "text" else []
        negatives: dict[int, list[int]] = defaultdict(list)
        for term, start, end in matches:
            if term.negative:
                negatives[term.topic].extend((start, end))
                negative_count[term.topic] += 1
        for positions in negatives.values():
            positions.sort()
        for term, start, end in matches:
            if term.negative:
                continue
            topic = taxonomy.topics[term.topic]
            # terms of weight <= 0 are counter-evidence (see above): no
            # negative context cancels them, and they are no evidence
            weighted = topic.terms[term.index][1] > 0
            near = negatives.get(term.topic)
            if near and weighted:
                j = bisect.bisect_left(near, start - topic.negative_window)
                if j < len(near) and near[j] <= end + topic.negative_window:
                    continue
            boost = (taxonomy.title_weight if field == "title"
                     else taxonomy.lede_weight if start < taxonomy.lede_chars else 1.0)
            sentence = bisect.bisect_right(ends, start) if field == "text" else -1  # the title: sentence -1
            matched[term.topic][field].append((term.index, field, start, end, boost, sentence))
            if weighted:
                evidence[term.topic].append(Evidence(original[start:end], field, start, end))
    tags: list[TopicTag] = []
    toks: list[str] | None = None
    term_scores: dict[int, float] = {}
    n_sentences: dict[int, int] = {}
    for ti, fields in matched.items():
        topic = taxonomy.topics[ti]
        if topic.passage_chars:
            raw, n_sentences[ti] = _best_passage(topic, fields["title"], fields["text"])
        else:
            raw = _raw(topic, fields["title"] + fields["text"])
            n_sentences[ti] = _sentences(topic, fields["title"] + fields["text"])
        raw = max(0.0, raw - topic.negative_weight * negative_count.get(ti, 0))
        term_scores[ti] = 1 - math.exp(-raw / taxonomy.saturation)
    tagged: set[int] = set()
    implying: list[tuple[int, TopicTag]] = []
    for ti, score in term_scores.items():
        topic = taxonomy.topics[ti]
        if topic.requires is not None and term_scores.get(topic.requires, 0.0) < topic.requires_score:
            continue
        used = {m[0] for f in matched[ti].values() for m in f}
        if topic.core and topic.core.isdisjoint(used):
            continue  # supporting terms alone never tag (they still count for requires and implies)
        if n_sentences[ti] < topic.min_sentences and len(article.text) > topic.passage_chars:
            continue  # one sentence of an article longer than a passage is a passing mention
        threshold = topic.threshold
        if topic.model is not None and score >= topic.model_min_score and topic.model_bypass.isdisjoint(used):
            if toks is None:
                toks = tokens(f"{article.title or ''}\n{article.text}")
            if topic.model.applies(language, toks):
                learned = topic.model.probability(toks)
                score = max(score, learned) if score >= topic.model_override else learned
                threshold = 0.5
        if score >= threshold and evidence[ti]:
            tags.append(TopicTag(article.article_id, topic.key, round(score, 4), tuple(evidence[ti][:MAX_EVIDENCE])))
            tagged.add(ti)
            if topic.implies is not None:
                implying.append((ti, tags[-1]))
    # a tagged topic that implies another tags it too, when that one has
    # evidence of its own (its matched terms are the evidence) that outweighs
    # its counter-evidence, and covers the article's language
    for ti, tag in implying:
        other = taxonomy.topics[ti].implies
        if (other is not None and other not in tagged and evidence.get(other) and covered[other]
                and term_scores.get(other, 0.0) > 0):
            tags.append(TopicTag(article.article_id, taxonomy.topics[other].key, tag.score,
                                 tuple(evidence[other][:MAX_EVIDENCE])))
            tagged.add(other)
    tags.sort(key=lambda t: t.topic)
    return tags


def tag_articles(articles: Iterable[Article], taxonomy: Taxonomy) -> list[TopicTag]:
    return [t for a in articles for t in tag_article(a, taxonomy)]
