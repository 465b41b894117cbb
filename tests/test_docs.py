"""The README is part of the product: its commands and its SQL contract are
checked here so they cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from warehouse import Warehouse

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")

CONTRACT = {
    "articles": ["article_id", "url", "canonical_url", "source", "site", "title", "authors", "published_at",
                 "fetched_at", "language", "text", "word_count", "content_hash", "story_id", "duplicate_of",
                 "standfirst", "published_date"],
    "article_topics": ["article_id", "topic", "score", "evidence"],
    "stories": ["story_id", "title", "first_seen_at", "last_seen_at", "article_count", "source_count"],
    "fetch_log": ["run_id", "source", "url", "fetched_at", "status", "error", "bytes", "elapsed_ms"],
    "runs": ["run_id", "flow_run_id", "started_at", "finished_at", "status", "discovered", "fetched", "failed",
             "extracted", "duplicates", "loaded"],
}


def test_readme_opens_with_the_two_setup_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands == ["./dev demo", "./dev test"]
    assert "./dev test" in (REPO / ".ci" / "run").read_text()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    wh = Warehouse(tmp_path_factory.mktemp("docs") / "w.duckdb")
    wh.migrate()
    return wh


@pytest.mark.parametrize("table", sorted(CONTRACT))
def test_sql_contract_matches_schema_and_readme(table: str, warehouse: Warehouse) -> None:
    cols, rows = warehouse.query(f"DESCRIBE {table}")
    actual = [r[0] for r in rows]
    assert actual[: len(CONTRACT[table])] == CONTRACT[table] or set(CONTRACT[table]) <= set(actual)
    section = README.split(f"### `{table}`", 1)[1].split("\n### ", 1)[0]
    for column in CONTRACT[table]:
        assert f"`{column}`" in section, f"README does not document {table}.{column}"


def test_readme_example_queries_run(warehouse: Warehouse) -> None:
    block = README.split("### Example queries", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    statements = [s.strip() for s in re.sub(r"--[^\n]*", "", block).split(";") if s.strip()]
    assert len(statements) >= 5
    for sql in statements:
        warehouse.query(sql)


def test_readme_automation_is_a_valid_prefect_automation() -> None:
    import yaml
    from prefect.events.schemas.automations import AutomationCore

    text = README.split("cat > terrorism-alert.yaml <<'YAML'\n", 1)[1].split("YAML\n", 1)[0]
    text = text.replace("<your notification block id>", "00000000-0000-0000-0000-000000000000")
    automation = AutomationCore.model_validate(yaml.safe_load(text))
    assert automation.trigger.match.root["newsflow.topic"] == "terrorism"  # type: ignore[union-attr]
    assert list(automation.trigger.expect) == ["newsflow.story.new"]  # type: ignore[union-attr]


def test_readme_view_examples_run(warehouse: Warehouse) -> None:
    table = README.split("### Views", 1)[1].split("###", 1)[0]
    examples = re.findall(r"\| `(SELECT [^`]+)` \|", table)
    assert len(examples) >= 6
    for sql in examples:
        warehouse.query(sql)
