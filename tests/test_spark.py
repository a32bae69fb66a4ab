"""Spark local mode: the same where on Spark as on PostgreSQL and in memory.

One SparkSession per test run (``spark`` fixture). The differential data
(``sql_engines.ENTITIES``) is loaded twice: in the default layout built with
``create_table`` / ``row`` (arrays, maps and JSON as JSON text in STRING columns), and
in native columns (``ARRAY<STRING>``, ``MAP<STRING,STRING>``, ``MAP<STRING,BOOLEAN>``)
created by hand and reached through ``ArrayColumn`` / ``MapColumn``. Hypothesis draws
expressions in batches (Spark plans a query in about half a second, so each query
evaluates a whole batch); every expression must select PostgreSQL's rows and the
evaluator's on both layouts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import spark_session
from conftest import unavailable
from sql_engines import ENTITIES, SCHEMA, TABLE, Engine, connect_postgres, memory, outcome, parse
from test_sql_engines import REGRESSIONS, aligned, generated
from wherelang import sql as wsql
from wherelang.errors import WhereSqlError
from wherelang.nodes import Expr

NATIVE = TABLE + "_native"
NATIVE_DDL = f"""CREATE TABLE `{NATIVE}` (
  `Pk` BIGINT, `Slug` STRING, `Name` STRING, `N` BIGINT, `M` BIGINT, `F` DOUBLE,
  `B` BOOLEAN, `Id` STRING, `Ref` STRING, `At` TIMESTAMP, `Until` TIMESTAMP,
  `Tags` ARRAY<STRING>, `Ids` ARRAY<STRING>, `Labels` MAP<STRING, STRING>,
  `Gates` MAP<STRING, BOOLEAN>, `Doc` STRING)"""
NATIVE_MAPPING: dict[str, wsql.Target] = {
    "Tags": wsql.ArrayColumn("Tags"),
    "Ids": wsql.ArrayColumn("Ids"),  # the entities' UUIDs as written, mixed case
    "Labels": wsql.MapColumn("Labels"),
    "Gates": wsql.MapColumn("Gates"),
}
NATIVE_NAMES = [a.name for a in SCHEMA.attributes.values()]


def native_row(entity: dict[str, Any]) -> tuple[Any, ...]:
    """row()'s values, with the containers as Python lists and dicts for native columns."""
    stored = dict(zip(NATIVE_NAMES, wsql.row(SCHEMA, entity, "spark")))
    for name in NATIVE_MAPPING:
        stored[name] = entity.get(name)
    return tuple(stored[n] for n in NATIVE_NAMES)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    reason = spark_session.java_missing()
    if reason:
        unavailable("Spark", reason)
    session = spark_session.start()
    try:
        spark_session.load(session, TABLE, wsql.create_table(SCHEMA, "spark", table=TABLE),
                           [wsql.row(SCHEMA, e, "spark") for e in ENTITIES])  # fmt: skip
        spark_session.load(session, NATIVE, NATIVE_DDL, [native_row(e) for e in ENTITIES])
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Engine]:
    try:
        engine = connect_postgres()
    except Exception as exc:
        unavailable("postgres", f"{type(exc).__name__}: {exc}")
    engine.load()
    yield engine
    engine.conn.close()


#: What Spark may refuse where PostgreSQL answers.
SPARK_LIMITS = ("case-insensitive range wider", "'&&' in the regular expression")


def check_batch(spark: Any, postgres: Engine, exprs: list[Expr], *, params: bool = True) -> None:
    layouts = {
        "spark": spark_session.run_batch(spark, TABLE, exprs, params=params),
        "spark native": spark_session.run_batch(spark, NATIVE, exprs, mapping=NATIVE_MAPPING, params=params),
    }
    for i, expr in enumerate(exprs):
        text = str(expr)
        oracle = outcome(postgres, expr)
        mem = memory(expr)
        for name, results in layouts.items():
            got = results[i]
            if isinstance(got, WhereSqlError):
                assert got.code == "sql-unsupported", (name, text, got)
                assert any(m in got.message for m in SPARK_LIMITS + ("regular expression", "NUL")), (name, text, got)
                continue
            if isinstance(oracle, WhereSqlError):  # PostgreSQL refuses this regex or value
                assert got == mem, (name, text, sorted(got), mem and sorted(mem))
                continue
            assert mem == oracle, ("memory", text)
            assert got == oracle, (name, text, sorted(got), sorted(oracle))


BATCH = 62

# 5 batches of 62: 310 expressions per run, each on both layouts, PostgreSQL and in memory.
SPARK_DIFFERENTIAL = settings(
    max_examples=5,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the message names the expression
    suppress_health_check=list(HealthCheck),
)


@SPARK_DIFFERENTIAL
@given(exprs=st.lists(st.one_of(aligned, aligned, aligned, generated), min_size=BATCH, max_size=BATCH))
def test_spark_agrees_with_postgres_and_memory(spark: Any, postgres: Engine, exprs: list[Expr]) -> None:
    check_batch(spark, postgres, exprs)


def test_spark_regressions(spark: Any, postgres: Engine) -> None:
    check_batch(spark, postgres, [parse(t) for t in REGRESSIONS + SPARK_REGRESSIONS])


def test_spark_regressions_with_inlined_literals(spark: Any, postgres: Engine) -> None:
    """params=False writes values as Spark literals (backslash escapes in strings)."""
    check_batch(spark, postgres, [parse(t) for t in REGRESSIONS + SPARK_REGRESSIONS], params=False)


SPARK_REGRESSIONS = [
    # a key holding ' (a JSON path '$['it''s']' would lose it)
    "Labels ? 'it''s' OR Labels.'it''s' = 'x'",
    # Spark refuses an escape before an ordinary character; PostgreSQL reads it as the character
    "Slug LIKE 'a\\b' OR Slug LIKE '\\a%'",
    # Java's lower(): 'İ' becomes two characters, a final 'Σ' becomes 'ς'
    "Slug ILIKE 'i%' OR Slug ILIKE '%σ'",
    "Slug ILIKE 'σσς'",
    # Java's $ matches before a final newline
    "Slug ~ 'a$' OR Slug ~ 'b$'",
    # ARRAY_CONTAINS is NULL when an element is NULL
    "NOT (Tags ? 'zz')",
    # LEN of a missing container is 0 (SIZE(NULL) is -1 with legacy settings)
    "LEN(Labels) = 0 AND LEN(Tags) = 0",
]


def test_loaded_rows_are_the_entities(spark: Any) -> None:
    for table in (TABLE, NATIVE):
        assert spark.sql(f"SELECT COUNT(*) FROM `{table}`").collect()[0][0] == len(ENTITIES)


def test_insert_statement_binds_through_spark_sql(spark: Any) -> None:
    """insert_statement + row, bound by spark.sql(text, args=...), store what the
    evaluator sees: times as instants, UUIDs in lower case, containers as JSON text."""
    table = TABLE + "_insert"
    spark.sql(f"DROP TABLE IF EXISTS `{table}`")
    spark.sql(wsql.create_table(SCHEMA, "spark", table=table))
    insert = wsql.insert_statement(SCHEMA, "spark", table=table)
    for e in ENTITIES[:3]:
        spark.sql(insert, args=list(wsql.row(SCHEMA, e, "spark")))
    exprs = [parse(t) for t in ("At < Until", "Id IS NOT NULL", "Labels ? 'tier'", "LEN(Tags) > 0", "Slug >= ''")]
    got = spark_session.run_batch(spark, table, exprs)
    for expr, result in zip(exprs, got):
        assert result == memory(expr, ENTITIES[:3]), str(expr)


def test_struct_fields_are_columns_of_the_struct(spark: Any) -> None:
    """A STRUCT's field is Column("field", table="struct"): Spark reads `meta`.`slug`."""
    schema = SCHEMA.__class__("S", [a for a in SCHEMA.attributes.values() if a.name in ("Pk", "Slug", "Tags", "Labels")])
    spark.sql("DROP TABLE IF EXISTS `sql_struct`")
    spark.sql("CREATE TABLE `sql_struct` (`Pk` BIGINT, `meta` STRUCT<slug: STRING, "
              "labels: MAP<STRING, STRING>, tags: ARRAY<STRING>>)")  # fmt: skip
    spark.sql("INSERT INTO `sql_struct` VALUES (1, named_struct('slug', 'a', 'labels', map('k', 'v'), "
              "'tags', array('x', NULL))), (2, NULL), (3, named_struct('slug', NULL, 'labels', NULL, 'tags', NULL))")  # fmt: skip
    mapping: dict[str, wsql.Target] = {
        "Slug": wsql.Column("slug", table="meta"),
        "Labels": wsql.MapColumn("labels", table="meta"),
        "Tags": wsql.ArrayColumn("tags", table="meta"),
    }
    entities = [{"Pk": 1, "Slug": "a", "Labels": {"k": "v"}, "Tags": ["x", None]}, {"Pk": 2}, {"Pk": 3}]
    texts = ["Slug = 'a'", "Slug IS NULL", "Labels ? 'k'", "Labels.k = 'v'", "NOT (Tags ? 'y')",
             "LEN(Tags) = 0", "LEN(Labels) = 1 AND Tags ? 'x'"]  # fmt: skip
    import wherelang

    exprs = [wherelang.parse(t, schema=schema, extended=True) for t in texts]
    got = spark_session.run_batch(spark, "sql_struct", exprs, mapping=mapping)
    for text, expr, result in zip(texts, exprs, got):
        expected = {e["Pk"] for e in entities if wherelang.compile(expr, schema)(e)}
        assert result == expected, text


def test_docs_worked_example_runs(spark: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """The worked example of docs/engines.md, run as written."""
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "engines.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- spark-example -->\n```python\n(.*?)```", page, re.S)
    assert block is not None
    spark.sql("DROP TABLE IF EXISTS units")
    exec(compile(block.group(1), "docs/engines.md", "exec"), {"spark": spark})
    assert capsys.readouterr().out.split() == ["2", "other"]
