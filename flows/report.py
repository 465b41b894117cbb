"""What a run shows in the Prefect UI: its summary artifact, a table of new
articles, and events that automations can react to."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.events import emit_event

if TYPE_CHECKING:
    from flows.ingest import RunSummary

SUMMARY_KEY = "ingest-summary"
ARTICLES_KEY = "ingest-new-articles"
TIMED_STAGES = ("discover", "learn_rules", "fetch", "extract", "dedupe", "tag", "load", "search", "publish", "total")
MAX_ARTICLE_ROWS = 1000  # in the new-articles table artifact; the warehouse has them all
MAX_STORY_EVENTS = 500  # per run; a first run over many sources would otherwise flood the event feed
STAGES = ("discovered", "not_modified", "known", "fetched", "fetch_failures", "extracted", "extract_failures",
          "duplicates", "updated", "loaded", "internal_errors")
MAX_SOURCE_ROWS = 50  # per-source rows in the summary; with thousands of sources the rest are counted, not listed


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]|#"} | {"<": "&lt;", ">": "&gt;", "&": "&amp;",
                                                                      "\n": " ", "\r": " "})


def md(text: str) -> str:
    """``text`` from the web (a title, a URL, an error) as literal markdown:
    it can neither break a table (``|``, a newline) nor become a link, an
    emphasis, a heading or HTML in the Prefect UI."""
    return text.translate(_MD_SPECIAL)


def summary_markdown(s: RunSummary) -> str:
    lines = [f"# Ingest run `{s.run_id}`: {s.status}", "", md(s.message), ""]
    if s.counts["internal_errors"]:
        lines += [f"**{s.counts['internal_errors']} item(s) failed for an unexpected reason** (`internal_error`,"
                  " `worker_crashed`): each is a drop with the exception in its detail; see Failures by reason.", ""]
    # failing sources first, then the busiest: the table stays readable with thousands of sources
    order = sorted(s.per_source, key=lambda sid: (sid not in s.failed_sources,
                                                 -(s.per_source[sid]["internal_errors"] + s.per_source[sid]["fetch_failures"]
                                                   + s.per_source[sid]["extract_failures"]),
                                                 -s.per_source[sid]["loaded"], sid))
    lines += ["## Counts per source and stage", "",
              "| source | " + " | ".join(STAGES) + " |", "|---" * (len(STAGES) + 1) + "|"]
    for sid in order[:MAX_SOURCE_ROWS]:
        lines.append(f"| {sid} | " + " | ".join(str(s.per_source[sid][k]) for k in STAGES) + " |")
    if len(order) > MAX_SOURCE_ROWS:
        lines.append(f"| *{len(order) - MAX_SOURCE_ROWS} more sources* | " + " | ".join("" for _ in STAGES) + " |")
    lines.append("| **total** | " + " | ".join(str(s.counts[k]) for k in STAGES) + " |")
    not_taken = {sid: c for sid, c in s.per_source.items() if c["over_cap"] or c["stale"] or c["unusable"]}
    if not_taken:
        lines += ["", "## Feed items not taken", "",
                  "| source | over max_articles_per_source | older than sitemap_max_age_days | no usable link |",
                  "|---|---|---|---|"]
        lines += [f"| {sid} | {c['over_cap']} | {c['stale']} | {c['unusable']} |" for sid, c in sorted(not_taken.items())]
    if s.failed_sources:
        lines += ["", "## Sources that failed", ""]
        lines += [f"- **{sid}**: {md(why)}" for sid, why in sorted(s.failed_sources.items())]
    lines += ["", "## Failures by reason", ""]
    if s.failures:
        lines += ["| stage:reason | count | sample URLs |", "|---|---|---|"]
        for key, n in s.failures.most_common():
            lines.append(f"| {key} | {n} | {'<br>'.join(md(u) for u in s.failure_samples.get(key, []))} |")
    else:
        lines.append("None.")
    lines += ["", f"## New stories ({len(s.new_stories)})", ""]
    lines += [f"- {md(title)} ({source}){' — ' + ', '.join(s.story_topics.get(sid, [])) if s.story_topics.get(sid) else ''}"
              for sid, source, title in s.new_stories[:50]] or ["None."]
    if len(s.new_stories) > 50:
        lines.append(f"- … and {len(s.new_stories) - 50} more")
    lines += ["", "## Topics", ""]
    lines += [f"- {k}: {v}" for k, v in s.topics.most_common()] or ["None."]
    if s.stage_seconds:
        lines += ["", "## Time per stage", "", "Busy seconds; fetching the next window overlaps the other stages.", "",
                  "| stage | seconds |", "|---|---|"]
        lines += [f"| {k} | {s.stage_seconds[k]:.2f} |" for k in TIMED_STAGES if k in s.stage_seconds]
    return "\n".join(lines)


def emit_events(s: RunSummary) -> int:
    """``newsflow.source.failed`` per failed source; ``newsflow.story.new``
    per new story and topic, with the topic as a resource label so an
    automation can match on it (``newsflow.topic: terrorism``)."""
    related = [{"prefect.resource.id": f"newsflow.run.{s.run_id}", "prefect.resource.role": "run"}]
    sent = 0
    for sid, why in sorted(s.failed_sources.items()):
        emit_event(event="newsflow.source.failed",
                   resource={"prefect.resource.id": f"newsflow.source.{sid}", "newsflow.source": sid},
                   related=related, payload={"reason": why, "run_id": s.run_id})
        sent += 1
    for story_id, source, title in s.new_stories:
        for topic in s.story_topics.get(story_id, []) or [""]:
            if sent >= MAX_STORY_EVENTS:
                return sent
            resource = {"prefect.resource.id": f"newsflow.story.{story_id}", "newsflow.source": source,
                        "newsflow.topic": topic or "none", "prefect.resource.name": title[:200]}
            emit_event(event="newsflow.story.new", resource=resource, related=related,
                       payload={"title": title, "source": source, "topics": s.story_topics.get(story_id, []),
                                "run_id": s.run_id})
            sent += 1
    return sent


async def publish(s: RunSummary, logger: logging.Logger | logging.LoggerAdapter[Any]) -> None:
    await acreate_markdown_artifact(markdown=summary_markdown(s), key=SUMMARY_KEY,
                                    description=f"newsflow ingest run {s.run_id}: {s.status}")
    shown = s.new_articles[:MAX_ARTICLE_ROWS]
    more = f" (the first {len(shown)})" if len(shown) < len(s.new_articles) else ""
    await acreate_table_artifact(table=shown or [{"title": "", "source": "", "topics": "", "link": ""}],
                                 key=ARTICLES_KEY, description=f"{len(s.new_articles)} new articles in run {s.run_id}{more}")
    sent = emit_events(s)
    logger.info("published the run summary, %d new articles and %d events", len(s.new_articles), sent)
