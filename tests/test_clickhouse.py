"""ClickHouse in process (chdb): the same where on ClickHouse as on PostgreSQL and in memory.

The differential data (``sql_engines.ENTITIES``) is loaded with ``create_table`` /
``insert_statement`` / ``row`` into a chdb session (one per test run), bound through
ClickHouse's typed query parameters ``{wl0:String}``; every generated expression must
select PostgreSQL's rows and the evaluator's.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import unavailable
from sql_engines import ENTITIES, SCHEMA, TABLE, Engine, connect_postgres, memory, outcome, parse
from test_spark import SPARK_REGRESSIONS
from test_sql_engines import REGRESSIONS, aligned, generated
from wherelang import sql as wsql
from wherelang.errors import WhereSqlError
from wherelang.nodes import Expr


def chdb_value(value: Any) -> str:
    """A parameter as ClickHouse parses it: the escaped text format, NULL as \\N."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return str(value)


class ClickHouse:
    def __init__(self) -> None:
        from chdb import session

        self.session = session.Session()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[str]:
        named = {f"wl{i}": chdb_value(v) for i, v in enumerate(params)}
        result = self.session.query(sql, "TabSeparated", params=named or None)
        return [line for line in result.bytes().decode("utf-8").splitlines() if line]

    def load(self) -> None:
        self.query(f'DROP TABLE IF EXISTS "{TABLE}"')
        self.query(wsql.create_table(SCHEMA, "clickhouse", table=TABLE))
        insert = wsql.insert_statement(SCHEMA, "clickhouse", table=TABLE)
        for e in ENTITIES:
            self.query(insert, wsql.row(SCHEMA, e, "clickhouse"))

    def run(self, expr: Expr, *, params: bool = True) -> set[int] | WhereSqlError:
        try:
            clause = wsql.to_sql(expr, dialect="clickhouse", params=params)
        except WhereSqlError as exc:
            return exc
        return {int(pk) for pk in self.query(f'SELECT "Pk" FROM "{TABLE}" WHERE {clause.sql}', clause.params)}


@pytest.fixture(scope="session")
def clickhouse() -> Iterator[ClickHouse]:
    if importlib.util.find_spec("chdb") is None:
        unavailable("chdb", "not installed (pip install chdb)")
    engine = ClickHouse()
    engine.load()
    yield engine
    engine.session.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Engine]:
    try:
        engine = connect_postgres()
    except Exception as exc:
        unavailable("postgres", f"{type(exc).__name__}: {exc}")
    engine.load()
    yield engine
    engine.conn.close()


#: What ClickHouse may refuse where PostgreSQL answers.
CLICKHOUSE_LIMITS = ("regular expression", "NUL")


def check(clickhouse: ClickHouse, postgres: Engine, expr: Expr, *, params: bool = True) -> None:
    text = str(expr)
    got = clickhouse.run(expr, params=params)
    oracle = outcome(postgres, expr)
    mem = memory(expr)
    if isinstance(got, WhereSqlError):
        assert got.code == "sql-unsupported" and any(m in got.message for m in CLICKHOUSE_LIMITS), (text, got)
        return
    if isinstance(oracle, WhereSqlError):  # PostgreSQL refuses this regex: RE2, as in memory
        assert got == mem, (text, sorted(got), mem and sorted(mem))
        return
    assert mem == oracle, ("memory", text)
    assert got == oracle, (text, sorted(got), sorted(oracle))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(expr=st.one_of(aligned, aligned, aligned, generated))
def test_clickhouse_agrees_with_postgres_and_memory(clickhouse: ClickHouse, postgres: Engine, expr: Expr) -> None:
    check(clickhouse, postgres, expr)


@pytest.mark.parametrize("text", REGRESSIONS + SPARK_REGRESSIONS)
def test_clickhouse_regressions(clickhouse: ClickHouse, postgres: Engine, text: str) -> None:
    check(clickhouse, postgres, parse(text))
    check(clickhouse, postgres, parse(text), params=False)


def test_loaded_rows_are_the_entities(clickhouse: ClickHouse) -> None:
    assert clickhouse.query(f'SELECT count(*) FROM "{TABLE}"') == [str(len(ENTITIES))]
