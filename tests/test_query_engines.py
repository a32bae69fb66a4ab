"""ListQuery.to_sql against ListQuery.apply on PostgreSQL, MariaDB, SQLite and DuckDB.

The sample Units, Spaces, Targets and Users are loaded into each engine in the default
layout (wherelang.sql.create_table / insert_statement / row); every query of the table
below must return, shaped by SqlQuery.shape, the same rows as apply() in memory.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from conftest import MYSQL_DSN, PG_DSN, unavailable
from wherelang import ListQuery, WhereError, WhereSqlError, confighub, sample
from wherelang import sql as wsql
from wherelang.evaluate import parse_entity_time
from wherelang.query import SqlQuery
from wherelang.schema import Kind, Type
from wherelang.strategies import expressions_for

UNIT = confighub.schema("Unit")
STORE = sample.store()
# Real tables (ListQuery's joins read a table twice, which MariaDB refuses for temporary
# ones), named per process so that concurrent runs on one server cannot collide.
_RUN = f"_{os.getpid()}"
TABLES = {entity: f"query_{name}{_RUN}" for entity, name in {
    "Unit": "units", "Space": "spaces", "Target": "targets", "User": "users",
    "Organization": "organizations", "BridgeWorker": "bridge_workers",
    "ChangeSet": "change_sets"}.items()}  # fmt: skip
WILD_TABLE = f"query_wild{_RUN}"
FILTERS = {f["Slug"]: f["FilterID"] for f in sample.entities("Filter")}
PROD_US = next(s for s in sample.entities("Space") if s["Slug"] == "storefront-prod-us")


class Engine:
    def __init__(self, name: str, dialect: str, conn: Any) -> None:
        self.name, self.dialect, self.conn = name, dialect, conn

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cur = self.conn.cursor()
        try:
            cur.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []
        finally:
            cur.close()

    def load(self) -> None:
        for entity, table in TABLES.items():
            schema = confighub.schema(entity)
            quoted = wsql.create_table(schema, self.dialect, table=table).split(" (")[0]
            self.execute("DROP TABLE IF EXISTS " + quoted.removeprefix("CREATE TABLE "))
            self.execute(wsql.create_table(schema, self.dialect, table=table))
            insert = wsql.insert_statement(schema, self.dialect, table=table)
            cur = self.conn.cursor()
            found = sample.entities(entity) if entity in sample.names() else []
            rows = [wsql.row(schema, e, self.dialect) for e in found]
            if rows:
                cur.executemany(insert, rows)
            cur.close()
        if hasattr(self.conn, "commit"):
            self.conn.commit()


def _postgres() -> Any:
    import psycopg

    return psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)


def _mariadb() -> Any:
    import pymysql

    url = urlparse(MYSQL_DSN)
    return pymysql.connect(
        host=url.hostname or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
        password=url.password or "", database=(url.path or "/test").lstrip("/") or "test",
        charset="utf8mb4", autocommit=True, connect_timeout=5,
    )  # fmt: skip


def _sqlite() -> Any:
    return wsql.prepare_sqlite(sqlite3.connect(":memory:"))


def _duckdb() -> Any:
    import duckdb

    return duckdb.connect(":memory:")


CONNECT: dict[str, tuple[str, Callable[[], Any]]] = {
    "postgres": ("postgres", _postgres),
    "mariadb": ("mysql", _mariadb),
    "sqlite": ("sqlite", _sqlite),
    "duckdb": ("duckdb", _duckdb),
}


@pytest.fixture(scope="module", params=list(CONNECT))
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    dialect, connect = CONNECT[request.param]
    try:
        conn = connect()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means unreachable
        unavailable(request.param, str(exc))
    eng = Engine(request.param, dialect, conn)
    eng.load()
    yield eng
    for table in [*TABLES.values(), WILD_TABLE]:
        quoted = wsql.create_table(UNIT, eng.dialect, table=table).split(" (")[0]
        eng.execute("DROP TABLE IF EXISTS " + quoted.removeprefix("CREATE TABLE "))
    if hasattr(conn, "commit"):
        conn.commit()
    conn.close()


# --- comparing rows ---------------------------------------------------------------------


def _norm(value: Any, type: Type) -> Any:
    if value is None:
        return None
    kind = type.kind
    if kind is Kind.TIME:
        when = value if isinstance(value, datetime) else parse_entity_time(str(value))
        assert when is not None, value
        return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    if kind is Kind.UUID:
        return str(value).lower()
    if kind is Kind.BOOL:
        return bool(value)
    if kind in (Kind.INT, Kind.FLOAT):
        return value
    if kind in (Kind.ARRAY, Kind.MAP, Kind.JSON):
        if isinstance(value, (str, bytes)):
            value = json.loads(value)
        return json.loads(json.dumps(value).lower()) if type.items and type.items.kind is Kind.UUID else value
    return value


def _normal_row(shaped: dict[str, Any], statement: SqlQuery) -> str:
    out: dict[str, Any] = {}
    for owner, name, type in statement.columns:
        holder = shaped.get(owner) if statement.extended else shaped
        if holder is None:
            out[f"{owner}.{name}"] = "<none>"
            continue
        out[f"{owner}.{name}"] = _norm(holder.get(name), type)
    return json.dumps(out, sort_keys=True, default=str)


def _compare(engine: Engine, query: ListQuery, space_id: str | None = None) -> int:
    statement = query.to_sql(
        engine.dialect, table=TABLES["Unit"], tables=TABLES, filters=STORE, space_id=space_id
    )
    rows = engine.execute(statement.sql, statement.params)
    in_sql = sorted(_normal_row(statement.shape(r), statement) for r in rows)
    shaped = query.apply(sample.entities("Unit"), filters=STORE, resolver=STORE, space_id=space_id)
    in_memory = sorted(_normal_row(_as_plain(s, query), statement) for s in shaped)
    assert in_sql == in_memory
    return len(in_sql)


def _as_plain(item: Any, query: ListQuery) -> dict[str, Any]:
    # Related entities in memory are whole dicts; SQL returns their columns.
    return dict(item)


QUERIES: list[dict[str, str]] = [
    {"where": "Labels.tier = 'backend' AND LEN(ApplyGates) > 0"},
    {"where": "HeadRevisionNum > LastReleasedRevisionNum", "select": "DisplayName"},
    {"where": "CreatedAt >= '2025-02-01' AND Slug LIKE '%-canary'", "select": "CreatedAt"},
    {"contains": "ledger"},
    {"contains": "BUDGET", "select": "Slug"},
    {"contains": "kubernetes.io/name", "select": "Slug"},
    {"contains": "no-placeholders", "select": "Slug"},
    {"contains": "%", "select": "Slug"},
    {"contains": "_", "select": "Slug"},
    {"contains": "e_r", "select": "Slug"},
    {"contains": "Auto", "select": "Slug"},
    {"contains": "true", "select": "Slug"},
    {"contains": "ops-1", "where": "Labels.tier IN ('backend', 'data')", "select": "Labels"},
    {"include": "SpaceID", "where": "Labels.app = 'kafka'"},
    {"include": "SpaceID,TargetID", "select": "DisplayName", "where": "Space.Labels.Environment = 'prod'"},
    {"include": "UpstreamSpaceID", "select": "Slug", "contains": "cart"},
    {"where": "Space.Labels.Team = 'payments' AND TargetID IS NULL", "select": "TargetID"},
    {"filter": FILTERS["backend-units"], "where": "ApplyGates.complete/no-placeholders = true"},
    {"filter": FILTERS["pending-changes"], "select": "Slug", "include": "SpaceID"},
]  # fmt: skip


@pytest.mark.parametrize("params", QUERIES, ids=[json.dumps(q)[:70] for q in QUERIES])
def test_sql_agrees_with_memory(engine: Engine, params: dict[str, str]) -> None:
    _compare(engine, ListQuery.from_params(params, schema=UNIT))


def test_the_agreement_is_not_vacuous(engine: Engine) -> None:
    counts = [_compare(engine, ListQuery.from_params(p, schema=UNIT)) for p in QUERIES[:4]]
    assert all(0 < c < len(sample.entities("Unit")) for c in counts)


def test_filter_bound_to_a_space(engine: Engine) -> None:
    query = ListQuery.from_params({"filter": FILTERS["unapproved-prod"]}, schema=UNIT)
    assert _compare(engine, query, space_id=PROD_US["SpaceID"]) > 0
    with pytest.raises(WhereError) as info:
        query.to_sql(engine.dialect, filters=STORE, space_id=None)
    assert info.value.code == "filter-space-mismatch"


@pytest.mark.parametrize("text", ["it's", "é", "ß", "a\\b", "😀", "'; DROP TABLE query_units; --"])
def test_hostile_contains_texts(engine: Engine, text: str) -> None:
    _compare(engine, ListQuery(schema=UNIT, contains=text))
    assert engine.execute(f"SELECT COUNT(*) FROM {TABLES['Unit']}")[0][0] == 220


def test_include_of_many_is_refused_in_sql() -> None:
    query = ListQuery(schema=UNIT, include=["FromLinkID"])
    with pytest.raises(WhereError) as info:
        query.to_sql("postgres")
    assert (info.value.code, info.value.parameter) == ("sql-include-many", "include")


def test_select_selects_only_the_returned_columns() -> None:
    query = ListQuery(schema=UNIT, select=["DisplayName"], where="LEN(ApplyGates) > 0")
    statement = query.to_sql("postgres")
    assert [name for _, name, _ in statement.columns] == list(query.returned() or ())
    assert statement.sql.startswith(
        'SELECT "Unit"."ApplyGates", "Unit"."DisplayName", "Unit"."OrganizationID", '
        '"Unit"."Slug", "Unit"."SpaceID", "Unit"."UnitID" FROM "Unit" AS "Unit" WHERE '
    )


WILD = [
    {"UnitID": "00000000-0000-4000-8000-00000000000%d" % i, "Slug": slug, "Labels": labels}
    for i, (slug, labels) in enumerate([
        ("a%b", {}), ("axb", {"k": "50% off"}), ("a_b", {"x_y": "v"}), ("ab", {"xay": "a\\b"}),
    ])
]  # fmt: skip


@pytest.mark.parametrize("text", ["%", "_", "a%b", "a_b", "x_y", "50%", "\\", "A\\B"])
def test_contains_wildcards_are_literal_in_sql(engine: Engine, text: str) -> None:
    insert = wsql.insert_statement(UNIT, engine.dialect, table=WILD_TABLE)
    create = wsql.create_table(UNIT, engine.dialect, table=WILD_TABLE)
    engine.execute("DROP TABLE IF EXISTS " + create.split(" (")[0].removeprefix("CREATE TABLE "))
    engine.execute(create)
    for unit in WILD:
        engine.execute(insert, wsql.row(UNIT, unit, engine.dialect))
    if hasattr(engine.conn, "commit"):
        engine.conn.commit()
    query = ListQuery(schema=UNIT, contains=text, select=["Slug"])
    statement = query.to_sql(engine.dialect, table=WILD_TABLE)
    got = sorted(statement.shape(r)["Slug"] for r in engine.execute(statement.sql, statement.params))
    assert got == sorted(u["Slug"] for u in query.apply(WILD))


# --- generated queries ------------------------------------------------------------------

JOINABLE = ["SpaceID", "TargetID", "UpstreamSpaceID", "UpstreamUnitID", "OrganizationID",
            "ChangeSetID"]  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    where=st.none() | expressions_for(UNIT, extended=True, hops=0),
    contains=st.none()
    | st.sampled_from(["ledger", "BUDGET", "kubernetes.io", "placeholders", "-", "OPS-"])
    | st.text("abcdeklnoprstuyAEÉé-_%./\\ ", min_size=1, max_size=3),
    select=st.none() | st.lists(st.sampled_from(sorted(UNIT.attributes)), max_size=3),
    include=st.lists(st.sampled_from(JOINABLE), max_size=2, unique=True),
)
def test_generated_queries_agree(
    engine: Engine, where: Any, contains: Any, select: Any, include: Any
) -> None:
    query = ListQuery(schema=UNIT, where=where, contains=contains, select=select,
                      include=include, extended=True)  # fmt: skip
    try:
        query.to_sql(engine.dialect)
    except WhereSqlError:
        reject()  # a construct the engine cannot express is refused, never mistranslated
    _compare(engine, query)


@pytest.mark.parametrize(
    "include, message",
    [("HeadRevisionNum", "Unit.HeadRevisionNum (int) cannot be joined to Revision.RevisionID (uuid)")],
)  # fmt: skip
def test_relations_sql_cannot_join_are_refused(include: str, message: str) -> None:
    with pytest.raises(WhereSqlError) as info:
        ListQuery(schema=UNIT, include=[include]).to_sql("postgres")
    assert info.value.code == "sql-no-join" and info.value.message == message
