"""``newsflow retag``: re-tag every stored article after a taxonomy change,
in bulk, and report what changed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from newsflow.config import read_toml
from newsflow.records import Article, TopicTag
from topics.tagger import tag_article
from topics.taxonomy import compile_taxonomy
from warehouse import Warehouse

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def run_retag(wh: Warehouse, topics_file: str) -> dict[str, Any]:
    """Tag every article with the taxonomy in ``topics_file`` and replace all
    stored tags in one transaction; returns counts and per-topic changes."""
    taxonomy = compile_taxonomy(read_toml(topics_file))
    wh.migrate()
    tags: list[TopicTag] = []
    articles = 0
    for rows in wh.iter_texts():
        for aid, title, text, language in rows:
            articles += 1
            # the stored language (identified from the text at extraction); a
            # row without one is identified by the tagger from its text
            article = Article(aid, "", "", "", "", title, (), None, language, text, _EPOCH, 0, "")
            tags.extend(tag_article(article, taxonomy))
    changes = wh.replace_all_topics(tags, taxonomy.version)
    wh.publish()
    return {"articles": articles, "tags": len(tags), "taxonomy_version": taxonomy.version,
            "changes": {k: {"added": a, "removed": r} for k, (a, r) in sorted(changes.items()) if a or r}}
