"""docs/engines.md's support table is the one the engine modules give today."""

from __future__ import annotations

from pathlib import Path

from wherelang.sql import support

PAGE = Path(__file__).resolve().parents[1] / "docs" / "engines.md"


def test_support_table_matches_the_engine_modules() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert support.BEGIN in page and support.END in page
    assert support._rewrite(page) == page, "run: python -m wherelang.sql.support --write"


def test_support_table_tells_refusals_from_support() -> None:
    table = support.support()
    assert all(table["Map.key"][d] for d in ("postgres", "mysql", "sqlite", "duckdb", "spark"))
    assert not table["native MAP column"]["postgres"]  # no engine but Spark has maps
    assert set(support.CONSTRUCTS) == set(table)
