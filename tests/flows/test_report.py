"""The run summary artifact shows text from the web (titles, URLs, errors)
as text: it cannot break the summary's tables or become markup in the
Prefect UI."""

from __future__ import annotations

from flows.ingest import RunSummary
from flows.report import md, summary_markdown

HOSTILE = "Raid | *arrests* [click](javascript:alert(1)) <img src=x onerror=alert(1)> # 3\nnew line & more"


def test_web_text_stays_text_in_the_summary() -> None:
    s = RunSummary("run-1", status="completed", message="1 new article")
    s.count("src", "loaded")
    s.failures["fetch:http_500"] = 1
    s.failure_samples["fetch:http_500"] = ["https://x.example/a|b?q=<x>"]
    s.failed_sources["other"] = "malformed feed: <rss> ended | early"
    s.new_stories.append(("st-1", "src", HOSTILE))
    out = summary_markdown(s)
    for raw in ("<img", "<rss>", "<x>", "[click](", "*arrests*", "\nnew line"):
        assert raw not in out
    assert "\\*arrests\\*" in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    # the failures table keeps three cells per row: no "|" came in unescaped
    (row,) = [line for line in out.splitlines() if line.startswith("| fetch:http_500 ")]
    assert row.replace("\\|", "").count("|") == 4
    story = next(line for line in out.splitlines() if line.startswith("- Raid"))
    assert story.endswith("new line &amp; more (src)")


def test_md_escapes_each_special_once() -> None:
    assert md("a_b") == "a\\_b" and md("\\") == "\\\\" and md("&lt;") == "&amp;lt;"
    assert md("Maroc : 12 passeurs arrêtés") == "Maroc : 12 passeurs arrêtés"


def test_a_thousand_sources_keep_the_summary_readable_and_failures_first() -> None:
    s = RunSummary("run-2", status="partial", message="1 of 1000 sources failed")
    for i in range(1000):
        s.count(f"src-{i:04d}", "loaded", 1 + i % 7)
    s.count("src-0500", "internal_errors")
    s.failed_sources["src-0999"] = "all 1 feed/sitemap/section document(s) failed: http_500"
    out = summary_markdown(s)
    rows = [line for line in out.splitlines() if line.startswith("| src-")]
    assert len(rows) == 50
    assert rows[0].startswith("| src-0999 ") and rows[1].startswith("| src-0500 ")  # the failing ones first
    assert "| *950 more sources* |" in out
    assert "**1 item(s) failed for an unexpected reason**" in out
    assert "- **src-0999**: all 1 feed" in out  # failed sources are still named, with their reason
