"""Shared by the SQL tests: a schema, hostile data, and the four engines loaded with it.

Not a test module: ``test_sql_engines.py`` (the differential test) and
``test_sql_injection.py`` import it. Every engine's table is built with
``wherelang.sql.create_table`` / ``insert_statement`` / ``row`` from the same entities;
:class:`Engines` runs a compiled clause on each and returns the matching primary keys.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import sqlglot
from sqlglot import exp

import wherelang
from wherelang import sql as wsql
from wherelang.errors import WhereSqlError
from wherelang.nodes import Expr
from wherelang.schema import Attribute, Schema, Type

from conftest import MYSQL_DSN, PG_DSN

TABLE = "sql_diff"

SCHEMA = Schema(
    "Thing",
    [
        Attribute("Pk", Type.of("int"), filterable=False),
        Attribute("Slug", Type.of("string")),
        Attribute("Name", Type.of("string")),
        Attribute("N", Type.of("int")),
        Attribute("M", Type.of("int")),
        Attribute("F", Type.of("float")),
        Attribute("B", Type.of("bool")),
        Attribute("Id", Type.of("uuid")),
        Attribute("Ref", Type.of("uuid")),
        Attribute("At", Type.of("time")),
        Attribute("Until", Type.of("time")),
        Attribute("Tags", Type.of({"type": "array", "items": "string"})),
        Attribute("Ids", Type.of({"type": "array", "items": "uuid"})),
        Attribute("Labels", Type.of({"type": "map", "values": "string"})),
        Attribute("Gates", Type.of({"type": "map", "values": "bool"})),
        Attribute("Doc", Type.of("json")),
    ],
)

#: Strings the data and the literals share, so that comparisons hit: case pairs,
#: LIKE wildcards, quotes, backslashes, SQL comment markers, non-ASCII letters whose
#: case folding is special, trailing spaces (MariaDB's PAD SPACE collations ignore them).
STRINGS = [
    "", "a", "A", "ab", "aB", "abc", "b", "B", "z", "Z", "a%b", "a_b", "a\\b", "it's",
    '"q"', "é", "É", "ß", "straße", "STRASSE", "Σσς", "ǅ", "İi", "a\nb", " a", "a ",
    "😀", "日本", "-- c", "/* c */", "'; DROP TABLE sql_diff; --", "10", "9", "app-1",
    "app-22", "App-3", "x.y", "x\ty", "\u212a", "ſ",
    # simple case mappings where Python's full ones expand, and MariaDB's lower() gaps
    "ᾀ", "ᾈ", "ῳ", "ῼ", "ẞ", "ı", "Ꭰ", "ꭰ",
]  # fmt: skip

UUIDS = [
    "7c61626f-ddbe-41af-93f6-b69f4ab6d308",
    "7C61626F-DDBE-41AF-93F6-B69F4AB6D308",
    "00000000-0000-0000-0000-000000000001",
    "FFFFFFFF-0000-4000-8000-ABCDEFABCDEF",
]
TIMES: list[Any] = [
    "2025-01-07",
    "2025-01-07T00:00:00Z",
    "2025-01-07T02:00:00+02:00",
    "2025-01-06T23:59:59.999999Z",
    "2025-02-18T23:16:34",
    "2025-02-18T23:16:34.5-05:30",
    # every form the evaluator reads, stored by row() as the same instant
    "2025-01-07 00:00:00Z", "2025-01-07T05:30:00+0530", "2025-01-07T05:00:00+05",
    "2025-01-06T24:00:00Z", "2025-01-07t00:00:00z", "2025-01-06T23:59:60Z",
    "2025-01-07T00:00:00.0001265Z", "2025-01-07T00:00:00.000000499Z",
    datetime(2025, 1, 7, 0, 0, 0, 1),
    datetime(2024, 12, 31, 12, 0, tzinfo=timezone(timedelta(hours=-3))),
]
KEYS = ["tier", "env", "a.b", 'a"b', "é", "", "app.kubernetes.io/name", "K"]
# the int64 and float8-exact edges: 2^53 + 1 = 2^53.0 under PostgreSQL's float8 rule
INTS = [-3, -1, 0, 1, 2, 5, 10, 1 << 40, 2**53, 2**53 + 1, 2**63 - 1, -(2**63)]
FLOATS = [-1.5, 0.0, 0.5, 1.0, 2.25, 1e10, 0.1, 2.0**53, 2.0**63]


def make_entities(count: int = 48, seed: int = 5) -> list[dict[str, Any]]:
    """NULL-heavy entities (each attribute missing or None about a third of the time)."""
    rng = random.Random(seed)

    def maybe(make: Callable[[], Any]) -> Any:
        roll = rng.random()
        if roll < 0.15:
            return _MISSING
        if roll < 0.3:
            return None
        return make()

    def strings() -> list[Any]:
        pool = ["a", "A", "b", "é", "it's", "%", "x y", UUIDS[0]]
        return [rng.choice(pool) if rng.random() > 0.1 else None for _ in range(rng.randint(0, 3))]

    out = []
    for pk in range(count):
        e: dict[str, Any] = {
            "Pk": pk,
            "Slug": maybe(lambda: rng.choice(STRINGS)),
            "Name": maybe(lambda: rng.choice(STRINGS)),
            "N": maybe(lambda: rng.choice(INTS)),
            "M": maybe(lambda: rng.choice(INTS)),
            "F": maybe(lambda: rng.choice(FLOATS)),
            "B": maybe(lambda: rng.random() < 0.5),
            "Id": maybe(lambda: rng.choice(UUIDS)),
            "Ref": maybe(lambda: rng.choice(UUIDS)),
            "At": maybe(lambda: rng.choice(TIMES)),
            "Until": maybe(lambda: rng.choice(TIMES)),
            "Tags": maybe(strings),
            "Ids": maybe(lambda: rng.sample(UUIDS, rng.randint(0, 2))),
            "Labels": maybe(
                lambda: {k: (rng.choice(STRINGS) if rng.random() > 0.15 else None)
                         for k in rng.sample(KEYS, rng.randint(0, 3))}  # fmt: skip
            ),
            "Gates": maybe(
                lambda: {k: rng.choice([True, False, None]) for k in rng.sample(["g1", "g2"], rng.randint(0, 2))}
            ),
            "Doc": maybe(lambda: rng.choice([{"a": 1}, [1, 2], "x", 0, {"a": None}])),
        }
        out.append({k: v for k, v in e.items() if v is not _MISSING})
    return out


_MISSING = object()
ENTITIES = make_entities()


def memory(expr: Expr, entities: list[dict[str, Any]] = ENTITIES) -> set[int] | None:
    """The in-memory evaluator's answer, once it exists (None before)."""
    try:
        from wherelang.evaluate import compile as compile_predicate
    except ImportError:
        return None
    predicate = compile_predicate(expr, schema=SCHEMA)
    return {e["Pk"] for e in entities if predicate(e)}


# --- the engines ------------------------------------------------------------------------


def temporary(engine: str, ddl: str) -> str:
    """create_table's DDL for a table private to the connection on the servers: parallel
    runs of the suite cannot drop or fill each other's tables. (SQLite and DuckDB run in
    memory, private already; DuckDB's cursors would not see a temporary table.)"""
    if engine not in ("postgres", "mariadb", "mysql"):
        return ddl
    return ddl.replace("CREATE TABLE", "CREATE TEMPORARY TABLE", 1)


def drop_temporary(engine: str, table: str) -> str:
    """Drop this connection's temporary table, never a shared one of the same name."""
    if engine == "postgres":
        return f'DROP TABLE IF EXISTS pg_temp."{table}"'
    if engine == "mariadb":
        return f"DROP TEMPORARY TABLE IF EXISTS `{table}`"
    return f'DROP TABLE IF EXISTS "{table}"'


class Engine:
    """One database connection holding the data in the default layout."""

    def __init__(self, name: str, dialect: str, conn: Any, cursor: Callable[[], Any]) -> None:
        self.name = name
        self.dialect = dialect
        self.conn = conn
        self.cursor = cursor
        select = sqlglot.select(exp.column("Pk", quoted=True)).from_(exp.table_(TABLE, quoted=True))
        self.select = select.sql(dialect=dialect)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cur = self.cursor()
        try:
            # No parameters: pass None, or psycopg and pymysql read % in literals as markers.
            if params:
                cur.execute(sql, params)
            elif self.name in ("postgres", "mariadb"):
                cur.execute(sql, None)
            else:
                cur.execute(sql)
            return list(cur.fetchall())
        finally:
            cur.close()

    def load(self, table: str = TABLE, entities: list[dict[str, Any]] = ENTITIES) -> None:
        cur = self.cursor()
        try:
            cur.execute(drop_temporary(self.name, table))
            cur.execute(temporary(self.name, wsql.create_table(SCHEMA, self.dialect, table=table)))
            insert = wsql.insert_statement(SCHEMA, self.dialect, table=table)
            cur.executemany(insert, [wsql.row(SCHEMA, e, self.dialect, index=i) for i, e in enumerate(entities)])
        finally:
            cur.close()
        if hasattr(self.conn, "commit"):
            self.conn.commit()

    def run(self, expr: Expr, *, params: bool = True) -> set[int]:
        clause = wsql.to_sql(expr, dialect=self.dialect, params=params)
        rows = self.execute(f"{self.select} WHERE {clause.sql}", clause.params)
        return {int(r[0]) for r in rows}

    def count(self, table: str = TABLE) -> int:
        quoted = exp.table_(table, quoted=True).sql(dialect=self.dialect)
        return int(self.execute(f"SELECT COUNT(*) FROM {quoted}")[0][0])


def connect_postgres() -> Engine:
    import psycopg

    conn = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)
    return Engine("postgres", "postgres", conn, conn.cursor)


def connect_mariadb() -> Engine:
    from urllib.parse import urlparse

    import pymysql

    url = urlparse(MYSQL_DSN)
    conn = pymysql.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        database=(url.path or "/test").lstrip("/") or "test",
        charset="utf8mb4",
        autocommit=True,
        connect_timeout=5,
    )
    return Engine("mariadb", "mysql", conn, conn.cursor)


def connect_sqlite() -> Engine:
    conn = wsql.prepare_sqlite(sqlite3.connect(":memory:"))
    return Engine("sqlite", "sqlite", conn, conn.cursor)


def connect_duckdb() -> Engine:
    import duckdb

    conn = duckdb.connect(":memory:")
    return Engine("duckdb", "duckdb", conn, conn.cursor)


CONNECT = {
    "postgres": connect_postgres,
    "mariadb": connect_mariadb,
    "sqlite": connect_sqlite,
    "duckdb": connect_duckdb,
}


#: What an engine may refuse where PostgreSQL answers (documented in docs/sql.md).
KNOWN_LIMITS = {
    "postgres": ("NUL character", "lone surrogate"),
    "mariadb": ("MariaDB cannot address a key starting with '-'", "case-insensitive range wider"),
    "duckdb": ("the named group (?<name>...)",),
}


def known_limit(engine: str, exc: WhereSqlError, params: bool = True) -> bool:
    limits = KNOWN_LIMITS.get(engine, ()) + (() if params else ("NUL character in an inlined",))
    return exc.code == "sql-unsupported" and any(m in exc.message for m in limits)


def outcome(engine: Engine, expr: Expr, params: bool = True) -> set[int] | WhereSqlError:
    """The engine's rows, or the WhereSqlError the compiler raised for it."""
    try:
        return engine.run(expr, params=params)
    except WhereSqlError as exc:
        return exc


def parse(text: str) -> Expr:
    return wherelang.parse(text, schema=SCHEMA, extended=True)


def all_uuids() -> Iterator[UUID]:
    return (UUID(u) for u in UUIDS)
