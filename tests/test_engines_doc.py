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


def test_every_engine_module_claims_sqlglot_dialects() -> None:
    """Adding an engine is adding a module: the registry finds each one, and every name
    it claims is a sqlglot dialect, claimed once."""
    import importlib
    import pkgutil

    from sqlglot.dialects.dialect import Dialect

    from wherelang.sql import engines, registry
    from wherelang.sql.base import Engine

    claimed = registry.engine_classes()
    for info in pkgutil.iter_modules(engines.__path__):
        module = importlib.import_module(f"{engines.__name__}.{info.name}")
        own = [c for c in vars(module).values()
               if isinstance(c, type) and issubclass(c, Engine) and c.__module__ == module.__name__]  # fmt: skip
        assert own and all(c.__dict__.get("dialects") for c in own), info.name
        for cls in own:
            for dialect in cls.dialects:
                assert claimed[dialect] is cls
                Dialect.get_or_raise(dialect)
