"""Migrations that rebuild tables keep their columns, types and NOT NULLs."""

from __future__ import annotations

import duckdb
import pytest

from warehouse import migrate

REBUILT = {6: ("article_urls", "article_topics"), 7: ("articles", "raw_pages", "story_members", "story_term_df")}
COLUMNS = ("SELECT table_name, column_name, ordinal_position, data_type, is_nullable"
           " FROM information_schema.columns WHERE table_name IN ({}) ORDER BY ALL")


@pytest.mark.parametrize("version", sorted(REBUILT))
def test_a_rebuilt_table_keeps_its_columns_and_loses_only_its_key(version: int) -> None:
    tables = REBUILT[version]
    sql = COLUMNS.format(", ".join(f"'{t}'" for t in tables))
    before, after = duckdb.connect(), duckdb.connect()
    migrate.apply(before, upto=version - 1)
    migrate.apply(after, upto=version)
    assert after.execute(sql).fetchall() == before.execute(sql).fetchall()
    keys = ("SELECT table_name FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
            f" AND table_name IN ({', '.join(repr(t) for t in tables)})")
    assert before.execute(keys).fetchall() and after.execute(keys).fetchall() == []


def test_rows_survive_the_rebuild() -> None:
    con = duckdb.connect()
    migrate.apply(con, upto=6)
    con.execute("INSERT INTO story_term_df VALUES (1, 3), (2, 5)")
    migrate.apply(con)
    assert con.execute("SELECT * FROM story_term_df ORDER BY 1").fetchall() == [(1, 3), (2, 5)]
