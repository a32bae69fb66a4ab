"""wherelang.sql: tables keyed by Op, placeholder styles, mapping, other dialects,
the regex rewrite for PostgreSQL and MariaDB, the default layout, and errors.

Semantics are proven on real engines in test_sql_engines.py; here every SQL-running test
also runs the SQL (SQLite and DuckDB in process, PostgreSQL when reachable).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import duckdb
import pytest
import re2
import sqlglot

import wherelang
from wherelang.regex import pg_iregex
from conftest import PG_DSN, unavailable
from wherelang import sql as wsql
from wherelang.errors import WhereEvaluationError, WhereSqlError
from wherelang.nodes import Attr, Compare, Literal, Op
from wherelang.schema import Attribute, Kind, Relation, Schema, Type

UNIT = Schema(
    "Unit",
    [
        Attribute("Pk", Type.of("int")),
        Attribute("Slug", Type.of("string")),
        Attribute("N", Type.of("int")),
        Attribute("SpaceID", Type.of("uuid")),
        Attribute("CreatedAt", Type.of("time")),
        Attribute("Tags", Type.of({"type": "array", "items": "string"})),
        Attribute("Labels", Type.of({"type": "map", "values": "string"})),
    ],
    [Relation("Space", "SpaceID", "Space")],
    resolver=lambda name: SPACE if name == "Space" else None,
)
SPACE = Schema(
    "Space",
    [
        Attribute("SpaceID", Type.of("uuid")),
        Attribute("Slug", Type.of("string")),
        Attribute("Labels", Type.of({"type": "map", "values": "string"})),
    ],
)


def parse(text: str, schema: Schema = UNIT) -> Any:
    return wherelang.parse(text, schema=schema, extended=True)


@pytest.fixture(scope="module")
def pg() -> Any:
    import psycopg

    try:
        conn = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)
    except Exception as exc:
        unavailable("postgres", str(exc))
    yield conn
    conn.close()


# --- tables cover their enums ------------------------------------------------------------


def test_operator_table_covers_every_op() -> None:
    assert set(wsql.OPERATORS) == set(Op)


@pytest.mark.parametrize("dialect", wsql.ENGINES)
def test_layout_covers_every_kind(dialect: str) -> None:
    engine = wsql._engine(dialect)
    scalar = {k for k in Kind if k not in (Kind.ARRAY, Kind.MAP)}
    assert scalar <= set(engine.column_types)


@pytest.mark.parametrize("op", list(Op))
@pytest.mark.parametrize("dialect", wsql.ENGINES)
def test_every_op_compiles_on_every_verified_engine(op: Op, dialect: str) -> None:
    text = {
        Op.HAS: "Tags ? 'a'",
    }.get(op, f"Slug {op.text} 'a'")
    clause = wsql.to_sql(parse(text), dialect=dialect)
    assert "a" in clause.params[-1]
    mark = wsql._engine(dialect).placeholder or "?"
    # What sqlglot wrote, the dialect's parser reads back.
    assert sqlglot.parse_one(clause.sql.replace(mark, "NULL"), read=dialect) is not None


# --- input must be typed -----------------------------------------------------------------


def test_untyped_tree_is_refused_with_a_hint() -> None:
    with pytest.raises(WhereSqlError) as info:
        wsql.to_sql(wherelang.parse("Slug = 'x'"))
    assert info.value.code == "sql-untyped"
    assert "schema" in (info.value.hint or "")


def test_text_is_refused() -> None:
    with pytest.raises(WhereSqlError) as info:
        wsql.to_sql("Slug = 'x'")  # type: ignore[arg-type]
    assert info.value.code == "sql-untyped"


def test_unknown_dialect() -> None:
    with pytest.raises(WhereSqlError) as info:
        wsql.to_sql(parse("Slug = 'x'"), dialect="nosuchdb")
    assert info.value.code == "unknown-dialect"


# --- placeholders ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "mark"), [("postgres", "%s"), ("mysql", "%s"), ("mariadb", "%s"), ("sqlite", "?"), ("duckdb", "?")]
)
def test_driver_placeholders(dialect: str, mark: str) -> None:
    clause = wsql.to_sql(parse("Slug IN ('a', 'b') AND N > 3"), dialect=dialect)
    assert clause.sql.count(mark) == 3
    assert clause.params == ("a", "b", 3)


def test_params_follow_the_text_not_the_build_order() -> None:
    # sqlglot writes IN's list before its operand; the map key comes first in the text.
    clause = wsql.to_sql(parse("Labels.tier NOT IN ('')"), dialect="postgres")
    assert clause.sql == 'NOT JSONB_EXTRACT_PATH_TEXT("Labels", %s) IN (%s)'
    assert clause.params == ("tier", "")


def test_inline_literals_are_quoted_by_sqlglot() -> None:
    expr = parse("Slug = 'it''s \\ %' AND N IN (1, 2)")
    # a backslash: PostgreSQL's E'' and MariaDB's hex literal mean the same under any
    # standard_conforming_strings or sql_mode (tests/test_sql_engines.py runs both)
    assert wsql.to_sql(expr, params=False).sql == """"Slug" = e'it''s \\\\ %' AND "N" IN (1, 2)"""
    assert wsql.to_sql(expr, dialect="mysql", params=False).sql == (
        "`Slug` COLLATE utf8mb4_nopad_bin = _utf8mb4 x'69742773205c2025' AND `N` IN (1, 2)"
    )
    plain = parse("Slug = 'it''s %'")
    assert wsql.to_sql(plain, params=False).sql == """"Slug" = 'it''s %'"""


def test_compiled_clauses_are_cached() -> None:
    expr = parse("Slug = 'cache-me'")
    assert wsql.to_sql(expr) is wsql.to_sql(expr)
    assert wsql.to_sql(expr, cache=False) == wsql.to_sql(expr)
    assert wsql.to_sql(expr, cache=False) is not wsql.to_sql(expr, cache=False)


def test_values_engines_cannot_hold() -> None:
    with pytest.raises(WhereSqlError, match="PostgreSQL.*NUL"):
        wsql.to_sql(parse("Slug = 'a\x00b'"))
    assert wsql.to_sql(parse("Slug = 'a\x00b'"), dialect="sqlite").params == ("a\x00b",)
    # The parser refuses lone surrogates; a tree built in code meets the same wall here.
    slug = Attr(("Slug",), (), "Slug", None, Type.of("string"))
    with pytest.raises(WhereSqlError, match="surrogate"):
        wsql.to_sql(Compare(slug, Op.EQ, Literal("\ud800")), dialect="duckdb")
    with pytest.raises(WhereSqlError, match="inlined"):
        wsql.to_sql(parse("Slug = 'a\x00b'"), dialect="sqlite", params=False)


# --- to_sqlglot: embedding ------------------------------------------------------------------


def test_to_sqlglot_embeds_in_a_larger_query() -> None:
    conn = duckdb.connect()
    conn.execute("CREATE TABLE units (Slug VARCHAR, N BIGINT)")
    conn.execute("INSERT INTO units VALUES ('a', 1), ('it''s', 2), ('b', 3)")
    cond = wsql.to_sqlglot(parse("Slug = 'it''s' OR N > 2"), dialect="duckdb")
    query = sqlglot.select("N").from_("units").where(cond).order_by("N")
    assert [r[0] for r in conn.execute(query.sql("duckdb")).fetchall()] == [2, 3]


# --- other dialects -------------------------------------------------------------------------

OTHER = ["spark", "trino", "bigquery", "snowflake", "databricks", "presto"]


@pytest.mark.parametrize("dialect", OTHER)
def test_other_dialects_compile_the_scalar_constructs(dialect: str) -> None:
    text = (
        "Slug = 'a' AND N >= 2 AND Slug LIKE 'a\\%%' AND Slug ILIKE 'b%' "
        "AND NOT (Slug IN ('x', 'y')) AND CreatedAt < '2025-01-07' AND Slug IS NOT NULL "
        "AND N = 3 IS NOT TRUE"
    )
    clause = wsql.to_sql(parse(text), dialect=dialect)
    assert clause.params[:3] == ("a", 2, "a\\%%")
    # The text is valid in that dialect: sqlglot reads it back.
    assert sqlglot.parse_one(clause.sql.replace("?", "NULL"), read=dialect) is not None
    # IS NOT TRUE survives as COALESCE, which every dialect keeps (sqlglot drops IS TRUE
    # for Trino and Snowflake).
    assert "COALESCE(" in clause.sql


def test_like_escape_per_dialect() -> None:
    expr = parse("Slug LIKE 'a\\_%'")
    assert "ESCAPE" in wsql.to_sql(expr, dialect="trino").sql
    assert "ESCAPE" in wsql.to_sql(expr, dialect="snowflake").sql
    # BigQuery's LIKE escapes with backslash and has no ESCAPE clause.
    assert "ESCAPE" not in wsql.to_sql(expr, dialect="bigquery").sql


@pytest.mark.parametrize(
    ("dialect", "piece"),
    [
        ("spark", " RLIKE "),
        ("trino", "REGEXP_LIKE("),
        ("bigquery", "REGEXP_CONTAINS("),
        ("snowflake", "REGEXP_INSTR("),  # REGEXP_LIKE is anchored in Snowflake
        ("duckdb", "REGEXP_MATCHES("),
        ("postgres", " ~* "),
        ("mysql", "REGEXP_INSTR("),
        ("sqlite", "WHERELANG_REGEX("),
    ],
)
def test_regex_search_per_dialect(dialect: str, piece: str) -> None:
    clause = wsql.to_sql(parse("Slug ~* '^a.b'"), dialect=dialect)
    assert piece in clause.sql


@pytest.mark.parametrize("dialect", ["tsql", "oracle", "hive"])  # no engine module: the portable subset
@pytest.mark.parametrize("text", ["Labels.tier = 'x'", "Tags ? 'a'", "Labels ? 'k'", "LEN(Tags) > 0"])
def test_other_dialects_refuse_json_with_the_engine_named(dialect: str, text: str) -> None:
    with pytest.raises(WhereSqlError) as info:
        wsql.to_sql(parse(text), dialect=dialect)
    assert info.value.code == "sql-unsupported"
    assert dialect in info.value.message


def test_generic_dialect_refuses_regex() -> None:
    with pytest.raises(WhereSqlError, match="tsql.*regular expressions"):
        wsql.to_sql(parse("Slug ~ 'a'"), dialect="tsql")


# --- regex rewrite for PostgreSQL (ARE) and MariaDB (PCRE) -------------------------------------

SAMPLES = ["a1", "a٣", "é_", "x\ny", "ab\n", "AB", "a b", "a\tb", "[x]", "a{2}", "ǅ", "日本", "", "\\", "É", "a{,2}", "x{,}", "!~", "\x0b", "_-a"]


@pytest.mark.parametrize(
    "pattern",
    ["\\d", "\\w+$", "\\s", "^\\S+$", "b$", "a.b", "[\\d_]", "[^\\w]", "\\D", "x{2,3}", "\\{", "a|", "(?i)ab",
     "[\\]x]", "\\\\", "^$", ".", "é|日", "[a-c-]", "\\.", "\\x41",
     *(f"[[:{name}:]]" for name in ("alnum", "alpha", "blank", "digit", "graph", "lower", "print",
                                     "punct", "space", "upper", "word", "xdigit")),
     "[^[:space:]x]", "[[:^alpha:]]", "^[[:alnum:]_-]+$", "a{,2}", "x{,}", "[^\\S]", "[\\S]"],
)  # fmt: skip
def test_rewritten_regex_means_what_re2_means(pg: Any, pattern: str) -> None:
    """PostgreSQL runs the rewritten pattern; the rows must be RE2's (with dot_nl)."""
    schema = Schema("T", [Attribute("S", Type.of("string"))])
    clause = wsql.to_sql(wherelang.parse(f"S ~ {wherelang.text.quote_string(pattern)}", schema=schema, extended=True))
    options = re2.Options()
    options.dot_nl = True
    rx = re2.compile(pattern, options)
    for sample in SAMPLES:
        got = pg.execute(f'SELECT {clause.sql} FROM (SELECT %s AS "S") t', (*clause.params, sample)).fetchone()[0]
        assert got == (rx.search(sample) is not None), (pattern, sample, clause.params)


@pytest.mark.parametrize(
    ("pattern", "construct"),
    [("\\bapp", "word boundaries"), ("\\pL", "pattern syntax"), ("[x[:^alpha:]]", "POSIX"),
     ("(?i:a)b", "scoped flags"), ("a{300}", "repetition"), ("(?m)^a", "flags"), ("[[=a=]]", "equivalence")],
)  # fmt: skip
@pytest.mark.parametrize("dialect", ["postgres", "mysql"])
def test_regex_outside_the_portable_subset_is_refused(dialect: str, pattern: str, construct: str) -> None:
    expr = parse(f"Slug ~ {wherelang.text.quote_string(pattern)}")
    with pytest.raises(WhereSqlError) as info:
        wsql.to_sql(expr, dialect=dialect)
    assert construct in info.value.message
    assert ("PostgreSQL" if dialect == "postgres" else "MariaDB") in info.value.message
    # RE2 engines take the pattern as it is.
    assert wsql.to_sql(expr, dialect="duckdb").params == (pattern,)


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite", "mysql"])
def test_case_insensitive_regex_gets_postgres_case_sets(dialect: str) -> None:
    """~* matches lower(c) and upper(c) of each pattern character, as PostgreSQL does."""
    clause = wsql.to_sql(parse("Slug ~* 'ǅa[x-z]'"), dialect=dialect)
    folded = "[ǆǄ][aA][x-zXYZ]"
    assert clause.params == (("(?s)" + folded) if dialect == "mysql" else folded,)
    assert pg_iregex("(?i)ǅ", ci=False) == "[ǆǄ]"


def test_case_insensitive_regex_outside_the_subset_falls_back_to_re2_folding() -> None:
    clause = wsql.to_sql(parse("Slug ~* '\\pL'"), dialect="duckdb")
    assert clause.params == ("\\pL",) and "'si'" in clause.sql


def test_mariadb_dollar_is_end_of_text() -> None:
    clause = wsql.to_sql(parse("Slug ~ 'b$'"), dialect="mysql")
    assert clause.params == ("(?s)b\\z",)


# --- the default layout ---------------------------------------------------------------------


def test_create_table_on_sqlite_and_duckdb() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(wsql.create_table(UNIT, "sqlite", table="sql_units"))
    types = {r[1]: r[2] for r in conn.execute("PRAGMA table_info(sql_units)")}
    assert types == {"Pk": "INTEGER", "Slug": "TEXT", "N": "INTEGER", "SpaceID": "TEXT",
                     "CreatedAt": "TEXT", "Tags": "TEXT", "Labels": "TEXT"}  # fmt: skip
    db = duckdb.connect()
    db.execute(wsql.create_table(UNIT, "duckdb", table="sql_units"))
    types = {r[0]: r[1] for r in db.execute("DESCRIBE sql_units").fetchall()}
    assert types["SpaceID"] == "UUID" and types["CreatedAt"] == "TIMESTAMP WITH TIME ZONE"
    assert types["Labels"] == "JSON" and types["N"] == "BIGINT"
    assert "IF NOT EXISTS" in wsql.create_table(UNIT, "postgres", if_not_exists=True)


def test_row_normalises_values() -> None:
    entity = {
        "Pk": 1,
        "SpaceID": "7C61626F-DDBE-41AF-93F6-B69F4AB6D308",
        "CreatedAt": "2025-01-07T10:00:00.5+02:00",
        "Tags": ["é", None],
        "Labels": {"a": "b"},
    }
    pg_row = wsql.row(UNIT, entity, "postgres")
    assert pg_row[3] == UUID("7c61626f-ddbe-41af-93f6-b69f4ab6d308")
    assert pg_row[4] == datetime(2025, 1, 7, 8, 0, 0, 500000, tzinfo=timezone.utc)
    assert pg_row[5] == '["é", null]'
    lite = wsql.row(UNIT, entity, "sqlite")
    assert lite[3] == "7c61626f-ddbe-41af-93f6-b69f4ab6d308"
    assert lite[4] == "2025-01-07T08:00:00.500000Z"
    assert wsql.row(UNIT, entity, "mysql")[4] == datetime(2025, 1, 7, 8, 0, 0, 500000)
    assert wsql.row(UNIT, {}, "duckdb") == (None,) * 7
    with pytest.raises(WhereEvaluationError):
        wsql.row(UNIT, {"SpaceID": "not-a-uuid"}, "sqlite")


def test_sqlite_time_text_orders_as_time() -> None:
    times = ["2025-01-07T10:00:00+02:00", "2025-01-07T07:59:59.999999Z", "2024-12-31T23:00:00-05:00",
             datetime(2025, 1, 7, 8, 0)]  # fmt: skip
    schema = Schema("T", [Attribute("At", Type.of("time"))])
    texts = [wsql.row(schema, {"At": t}, "sqlite")[0] for t in times]
    instants = [wsql._scalar(t, Type.of("time"), "At") for t in times]
    assert sorted(range(4), key=lambda i: texts[i]) == sorted(range(4), key=lambda i: instants[i])


# --- SQLite helpers ----------------------------------------------------------------------------


def test_prepare_sqlite_functions() -> None:
    conn = wsql.prepare_sqlite(wsql.prepare_sqlite(sqlite3.connect(":memory:")))  # twice is fine
    one = lambda sql, *a: conn.execute(sql, a).fetchone()[0]  # noqa: E731
    assert one("SELECT wherelang_like('Abc', 'A%')") == 1
    assert one("SELECT wherelang_like('abc', 'A%')") == 0  # SQLite's LIKE would say 1
    assert one("SELECT wherelang_like('a%c', 'a\\%c')") == 1
    assert one("SELECT wherelang_like('abc', 'a\\%c')") == 0
    assert one("SELECT wherelang_ilike('STRAẞE', 'straße')") == 1
    assert one("SELECT wherelang_ilike('İ', 'i')") == 1  # PostgreSQL's lower('İ') is 'i'
    assert one("SELECT wherelang_regex('a\nb', 'a.b')") == 1  # '.' matches newline
    assert one("SELECT wherelang_iregex('ΣΑ', 'σα')") == 1
    assert one("SELECT wherelang_like(NULL, 'a')") is None


def test_sqlite_json_each_columns_need_a_table_name() -> None:
    schema = Schema("T", [Attribute("value", Type.of({"type": "map", "values": "string"}))])
    expr = wherelang.parse("value ? 'k'", schema=schema)
    with pytest.raises(WhereSqlError, match="table="):
        wsql.to_sql(expr, dialect="sqlite")
    clause = wsql.to_sql(expr, dialect="sqlite", table="t")
    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE TABLE t ("value" TEXT)')
    conn.executemany("INSERT INTO t VALUES (?)", [('{"k": 1}',), ('{"j": 1}',), (None,)])
    assert conn.execute(f"SELECT COUNT(*) FROM t WHERE {clause.sql}", clause.params).fetchone() == (1,)


# --- mapping ----------------------------------------------------------------------------------


def test_mapping_renames_columns_sqlite() -> None:
    conn = wsql.prepare_sqlite(sqlite3.connect(":memory:"))
    conn.execute("CREATE TABLE units (slug TEXT, num INTEGER)")
    conn.executemany("INSERT INTO units VALUES (?, ?)", [("a", 1), ("b", 2), ("c", None)])
    mapping = {"Slug": "slug", "N": wsql.Column("num")}
    clause = wsql.to_sql(parse("Slug != 'a' AND N IS NULL OR N = 1"), dialect="sqlite", mapping=mapping)
    assert '"slug"' in clause.sql and '"num"' in clause.sql
    rows = conn.execute(f"SELECT slug FROM units WHERE {clause.sql} ORDER BY slug", clause.params)
    assert [r[0] for r in rows] == ["a", "c"]


UNITS = [
    {"Pk": 1, "Slug": "web", "SpaceID": "00000000-0000-0000-0000-00000000000a"},
    {"Pk": 2, "Slug": "db", "SpaceID": "00000000-0000-0000-0000-00000000000B"},
    {"Pk": 3, "Slug": "orphan", "SpaceID": "00000000-0000-0000-0000-0000000000ff"},
    {"Pk": 4, "Slug": "none"},
]
SPACES = [
    {"SpaceID": "00000000-0000-0000-0000-00000000000a", "Slug": "prod", "Labels": {"Environment": "prod"}},
    {"SpaceID": "00000000-0000-0000-0000-00000000000b", "Slug": "dev", "Labels": {"Environment": "dev"}},
]
HOPS = [
    "Space.Labels.Environment = 'prod'",
    "Space.Labels.Environment != 'prod'",
    "Space.Slug LIKE 'd%' OR Slug = 'none'",
    "Space.Labels.Environment IS NULL",
    "Space.Labels ? 'Environment' IS NOT TRUE",
]


def _resolver(entity: Any, field: str) -> Any:
    sid = entity.get("SpaceID")
    return next((s for s in SPACES if sid and s["SpaceID"] == sid.lower()), None)


def _load_join(conn: Any, dialect: str) -> None:
    from sql_engines import drop_temporary, temporary

    for schema, table, rows in ((UNIT, "sql_units", UNITS), (SPACE, "sql_spaces", SPACES)):
        conn.execute(drop_temporary(dialect, table))
        conn.execute(temporary(dialect, wsql.create_table(schema, dialect, table=table)))
        insert = wsql.insert_statement(schema, dialect, table=table)
        for entity in rows:
            conn.execute(insert, wsql.row(schema, entity, dialect))


@pytest.mark.parametrize("text", HOPS)
@pytest.mark.parametrize("dialect", ["sqlite", "duckdb", "postgres"])
def test_relation_hop_through_a_joined_table(request: Any, dialect: str, text: str) -> None:
    if dialect == "postgres":
        conn = request.getfixturevalue("pg")
    elif dialect == "sqlite":
        conn = wsql.prepare_sqlite(sqlite3.connect(":memory:"))
    else:
        conn = duckdb.connect()
    _load_join(conn, dialect)
    expr = parse(text)
    clause = wsql.to_sql(expr, dialect=dialect, table="u", mapping={"Space": wsql.Joined("s")})
    query = (
        'SELECT u."Pk" FROM "sql_units" AS u LEFT JOIN "sql_spaces" AS s ON s."SpaceID" = u."SpaceID" '
        f"WHERE {clause.sql}"
    )
    got = {r[0] for r in conn.execute(query, clause.params).fetchall()}
    expected = {u["Pk"] for u in wherelang.filter(UNITS, expr, UNIT, resolver=_resolver)}
    assert got == expected, (text, clause.sql)


def test_unmapped_relation_hop_is_an_error() -> None:
    with pytest.raises(WhereSqlError) as info:
        wsql.to_sql(parse("Space.Slug = 'x'"))
    assert info.value.code == "sql-unmapped-relation"
    assert "Joined" in (info.value.hint or "")


JSON_DOCS = [
    {"Pk": 1, "doc": {"meta": {"slug": "a", "tags": ["x", "y"], "labels": {"k": "v"}}}},
    {"Pk": 2, "doc": {"meta": {"slug": "b", "tags": [], "labels": {}}}},
    {"Pk": 3, "doc": {"meta": {}}},
    {"Pk": 4, "doc": None},
]
JSON_CASES = [
    ("Slug = 'a'", {1}),
    ("Slug != 'a'", {2}),
    ("Slug IS NULL", {3, 4}),
    ("Tags ? 'y'", {1}),
    ("LEN(Tags) = 0", {2, 3, 4}),
    ("Labels.k = 'v'", {1}),
    ("Labels ? 'k'", {1}),
]
JSON_MAPPING = {
    "Slug": wsql.JsonPath("doc", "meta", "slug"),
    "Tags": wsql.JsonPath("doc", "meta", "tags"),
    "Labels": wsql.JsonPath("doc", "meta", "labels"),
}


@pytest.mark.parametrize(("text", "expected"), JSON_CASES)
@pytest.mark.parametrize("dialect", ["postgres", "duckdb", "sqlite", "mysql"])
def test_mapping_to_json_paths(request: Any, dialect: str, text: str, expected: set[int]) -> None:
    import json

    expr = parse(text)
    clause = wsql.to_sql(expr, dialect=dialect, mapping=JSON_MAPPING)
    rows = [(d["Pk"], None if d["doc"] is None else json.dumps(d["doc"])) for d in JSON_DOCS]
    if dialect == "mysql":
        return _on_mariadb(clause, rows, expected)
    if dialect == "postgres":
        conn = request.getfixturevalue("pg")
        conn.execute("DROP TABLE IF EXISTS pg_temp.sql_docs")
        conn.execute("CREATE TEMPORARY TABLE sql_docs (pk INT, doc JSONB)")
        mark = "%s"
    else:
        conn = duckdb.connect() if dialect == "duckdb" else wsql.prepare_sqlite(sqlite3.connect(":memory:"))
        conn.execute(f"CREATE TABLE sql_docs (pk INT, doc {'JSON' if dialect == 'duckdb' else 'TEXT'})")
        mark = "?"
    for row in rows:
        conn.execute(f"INSERT INTO sql_docs VALUES ({mark}, {mark})", row)
    got = {r[0] for r in conn.execute(f"SELECT pk FROM sql_docs WHERE {clause.sql}", clause.params).fetchall()}
    assert got == expected, (text, clause.sql)


PLAIN_JSON_MAPPING = {
    "Slug": wsql.JsonPath("doc", "meta", "slug", plain_json=True),
    "Tags": wsql.Column("tags", plain_json=True),
    "Labels": wsql.Column("labels", plain_json=True),
}
#: the same columns without the option
JSONB_MAPPING = {
    "Slug": wsql.JsonPath("doc", "meta", "slug"),
    "Tags": wsql.Column("tags"),
    "Labels": wsql.Column("labels"),
}
PLAIN_JSON_ROWS = [
    (1, '{"meta": {"slug": "a"}}', '["x", "y"]', '{"k": "v"}'),
    (2, '{"meta": {"slug": "b"}}', "[]", "{}"),
    (3, '{"meta": {}}', None, None),
]


@pytest.mark.parametrize(("text", "expected"), [
    ("Slug = 'a'", {1}), ("Slug IS NULL", {3}), ("Tags ? 'y'", {1}), ("LEN(Tags) = 0", {2, 3}),
    ("Labels.k = 'v'", {1}), ("Labels ? 'k'", {1}), ("NOT (Labels ? 'k')", {2}),
])  # fmt: skip
def test_plain_json_columns_are_read_as_jsonb_on_postgres(pg: Any, text: str, expected: set[int]) -> None:
    """PostgreSQL's json type has no jsonb functions: without the cast each of these is
    an error ("function jsonb_extract_path(json, ...) does not exist")."""
    clause = wsql.to_sql(parse(text), dialect="postgres", mapping=PLAIN_JSON_MAPPING)
    assert "AS JSONB)" in clause.sql
    pg.execute("DROP TABLE IF EXISTS pg_temp.sql_plain_json")
    pg.execute("CREATE TEMPORARY TABLE sql_plain_json (pk INT, doc JSON, tags JSON, labels JSON)")
    for row in PLAIN_JSON_ROWS:
        pg.execute("INSERT INTO sql_plain_json VALUES (%s, %s, %s, %s)", row)
    query = f"SELECT pk FROM sql_plain_json WHERE {clause.sql}"
    assert {r[0] for r in pg.execute(query, clause.params).fetchall()} == expected, clause.sql
    plain = wsql.to_sql(parse(text), dialect="postgres", mapping=JSONB_MAPPING)
    with pytest.raises(Exception, match="does not exist"):
        pg.execute(query.replace(clause.sql, plain.sql), plain.params)


@pytest.mark.parametrize("dialect", ["sqlite", "duckdb", "mysql"])
def test_plain_json_changes_nothing_off_postgres(dialect: str) -> None:
    for text in ("Slug = 'a'", "Tags ? 'y'", "Labels.k = 'v'"):
        got = wsql.to_sql(parse(text), dialect=dialect, mapping=PLAIN_JSON_MAPPING)
        assert got == wsql.to_sql(parse(text), dialect=dialect, mapping=JSONB_MAPPING)


def _on_mariadb(clause: wsql.SqlClause, rows: list[Any], expected: set[int]) -> None:
    from sql_engines import connect_mariadb

    try:
        engine = connect_mariadb()
    except Exception as exc:
        unavailable("mariadb", str(exc))
    cur = engine.conn.cursor()
    cur.execute("CREATE TEMPORARY TABLE sql_docs (pk INT, doc JSON)")  # a fresh connection
    cur.executemany("INSERT INTO sql_docs VALUES (%s, %s)", rows)
    cur.execute(f"SELECT pk FROM sql_docs WHERE {clause.sql}", clause.params)
    assert {r[0] for r in cur.fetchall()} == expected, clause.sql
    engine.conn.close()


@pytest.mark.parametrize(
    ("text", "expected"), [("Tags ? 'y'", {1}), ("NOT (Tags ? 'y')", {2}), ("LEN(Tags) = 0", {3}), ("LEN(Tags) = 2", {1, 2}), ("Tags IS NULL", {3})]
)
@pytest.mark.parametrize("dialect", ["postgres", "duckdb"])
def test_mapping_to_native_arrays(request: Any, dialect: str, text: str, expected: set[int]) -> None:
    clause = wsql.to_sql(parse(text), dialect=dialect, mapping={"Tags": wsql.ArrayColumn("tags")})
    rows = [(1, ["x", "y"]), (2, ["x", None]), (3, None)]
    if dialect == "postgres":
        conn = request.getfixturevalue("pg")
        conn.execute("DROP TABLE IF EXISTS pg_temp.sql_arrays")
        conn.execute("CREATE TEMPORARY TABLE sql_arrays (pk INT, tags TEXT[])")
        mark = "%s"
    else:
        conn = duckdb.connect()
        conn.execute("CREATE TABLE sql_arrays (pk INT, tags VARCHAR[])")
        mark = "?"
    for row in rows:
        conn.execute(f"INSERT INTO sql_arrays VALUES ({mark}, {mark})", row)
    got = {r[0] for r in conn.execute(f"SELECT pk FROM sql_arrays WHERE {clause.sql}", clause.params).fetchall()}
    assert got == expected, (text, clause.sql)


def test_native_arrays_need_an_engine_with_arrays() -> None:
    with pytest.raises(WhereSqlError, match="SQLite"):
        wsql.to_sql(parse("Tags ? 'a'"), dialect="sqlite", mapping={"Tags": wsql.ArrayColumn("tags")})


# --- the server-side example of docs/sql.md, run on PostgreSQL --------------------------------------


def _readme_sql_namespace() -> dict[str, Any]:
    import doctest
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "sql.md").read_text(encoding="utf-8")
    namespace: dict[str, Any] = {}
    for example in doctest.DocTestParser().get_examples(page):
        exec(compile(example.source, "docs/sql.md", "single"), namespace)
        if "list_units" in namespace:
            break
    return namespace


def test_readme_list_units_runs_on_postgres(pg: Any) -> None:
    from wherelang import confighub

    namespace = _readme_sql_namespace()
    list_units = namespace["list_units"]
    unit = confighub.schema("Unit")
    units = [
        {"Slug": "test", "CreatedAt": "2025-01-08T00:00:00Z", "Labels": {"mykey": "myvalue"}},
        {"Slug": "test", "CreatedAt": "2025-01-06T23:00:00-02:00", "Labels": {"mykey": "myvalue"}},
        {"Slug": "test", "CreatedAt": "2025-01-06T23:00:00+02:00", "Labels": {"mykey": "myvalue"}},
        {"Slug": "it's", "CreatedAt": "2025-02-01", "Labels": {}},
        {"Slug": "app-1", "Labels": {"mykey": "x"}},
    ]
    # A temporary table is private to this connection: no clash with other runs.
    pg.execute(wsql.create_table(unit, "postgres", table="units").replace("CREATE TABLE", "CREATE TEMP TABLE", 1))
    insert = wsql.insert_statement(unit, "postgres", table="units")
    for entity in units:
        pg.execute(insert, wsql.row(unit, entity, "postgres"))
    try:
        where = namespace["where"]
        assert len(list_units(pg, where)) == 2
        for text in (where, "Slug = 'it''s'", "Labels.mykey != 'myvalue'", "Slug LIKE 'app-%'"):
            extended = "''" in text
            expr = wherelang.parse(text, schema=unit, extended=extended)
            expected = sorted((u["Slug"],) for u in wherelang.filter(units, expr, unit))
            if extended:  # the page's function parses strictly; call the same SQL directly
                clause = wherelang.to_sql(expr)
                got = pg.execute(f'SELECT "Slug" FROM "units" WHERE {clause.sql} ORDER BY "Slug"',
                                 clause.params).fetchall()  # fmt: skip
            else:
                got = list_units(pg, text)
            assert got == expected, text
        with pytest.raises(wherelang.WhereError):
            list_units(pg, "Slug = 'x'; DROP TABLE units")
    finally:
        pg.execute('DROP TABLE "units"')


# What the other dialects get, construct by construct (read and checked against each
# engine's documentation: Spark and BigQuery strings escape backslashes, BigQuery's LIKE has
# no ESCAPE clause, Snowflake's REGEXP_LIKE is anchored so REGEXP_INSTR searches, Trino does
# not cast text to timestamps).
OTHER_TEXT = {
    "Slug LIKE 'a\\%%'": {
        "spark": "`Slug` LIKE 'a\\\\%%' ESCAPE '\\\\'",
        "trino": "\"Slug\" LIKE 'a\\%%' ESCAPE '\\'",
        "bigquery": "`Slug` LIKE 'a\\\\%%'",
        "snowflake": "\"Slug\" LIKE 'a\\\\%%' ESCAPE '\\\\'",
    },
    "Slug ~* '^a.b'": {
        "spark": "`Slug` RLIKE '(?s)^[aA].[bB]'",  # Java regex: PostgreSQL's case sets written out
        "trino": "REGEXP_LIKE(\"Slug\", '(?s)^[aA].[bB]')",
        "bigquery": "REGEXP_CONTAINS(`Slug`, '(?s)^[aA].[bB]')",
        "snowflake": "REGEXP_INSTR(\"Slug\", '^[aA].[bB]', 1, 1, 0, 's') > 0",
    },
    "CreatedAt < '2025-01-07T10:00:00+02:00'": {
        "spark": "`CreatedAt` < CAST('2025-01-07 08:00:00+00:00' AS TIMESTAMP)",
        "trino": "\"CreatedAt\" < CAST('2025-01-07 08:00:00+00:00' AS TIMESTAMP WITH TIME ZONE)",
        "bigquery": "`CreatedAt` < CAST('2025-01-07 08:00:00+00:00' AS TIMESTAMP)",
        "snowflake": "\"CreatedAt\" < CAST('2025-01-07 08:00:00+00:00' AS TIMESTAMPTZ)",
    },
    "N = 3 IS NOT TRUE OR NOT (Slug IN ('x', 'y'))": {
        "spark": "NOT COALESCE((`N` = 3), FALSE) OR NOT (`Slug` IN ('x', 'y'))",
        "trino": "NOT COALESCE((\"N\" = 3), FALSE) OR NOT (\"Slug\" IN ('x', 'y'))",
        "bigquery": "NOT COALESCE((`N` = 3), FALSE) OR NOT (`Slug` IN ('x', 'y'))",
        "snowflake": "NOT COALESCE((\"N\" = 3), FALSE) OR NOT (\"Slug\" IN ('x', 'y'))",
    },
}


@pytest.mark.parametrize("text", list(OTHER_TEXT))
@pytest.mark.parametrize("dialect", ["spark", "trino", "bigquery", "snowflake"])
def test_other_dialects_text(text: str, dialect: str) -> None:
    assert wsql.to_sql(parse(text), dialect=dialect, params=False).sql == OTHER_TEXT[text][dialect]


@pytest.mark.parametrize("dialect", ["sqlite", "duckdb"])
def test_uuid_keyed_maps_match_keys_exactly_as_in_memory(dialect: str) -> None:
    schema = Schema("Revision", [Attribute("Pk", Type.of("int")),
                                 Attribute("Tags", Type.of({"type": "map", "keys": "uuid", "values": "string"}))])  # fmt: skip
    upper, lower = "7C61626F-DDBE-41AF-93F6-B69F4AB6D308", "7c61626f-ddbe-41af-93f6-b69f4ab6d308"
    rows = [{"Pk": 1, "Tags": {upper: "x"}}, {"Pk": 2, "Tags": {lower: "x"}}, {"Pk": 3}]
    conn = duckdb.connect() if dialect == "duckdb" else wsql.prepare_sqlite(sqlite3.connect(":memory:"))
    conn.execute(wsql.create_table(schema, dialect, table="revs"))
    for entity in rows:
        conn.execute(wsql.insert_statement(schema, dialect, table="revs"), wsql.row(schema, entity, dialect))
    for text in (f"Tags ? '{upper}'", f"Tags.{upper} = 'x'", f"Tags ? '{lower}'", f"Tags.{lower} IS NULL"):
        expr = wherelang.parse(text, schema=schema)
        clause = wsql.to_sql(expr, dialect=dialect)
        got = {r[0] for r in conn.execute(f'SELECT "Pk" FROM revs WHERE {clause.sql}', clause.params).fetchall()}
        assert got == {e["Pk"] for e in wherelang.filter(rows, expr, schema)}, text


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite", "duckdb"])
def test_to_sqlglot_renders_with_plain_sqlglot(dialect: str) -> None:
    """What to_sqlglot returns is made of sqlglot's own nodes: ``.sql(dialect)`` renders
    it without wherelang's generator (MariaDB's regex once was a private node)."""
    import sqlglot

    expr = parse("Slug ~ 'a.b' AND Slug !~* 'c' AND Slug ILIKE 'x%'")
    tree = wsql.to_sqlglot(expr, dialect=dialect)
    text = sqlglot.select("*").from_("units").where(tree).sql(dialect)
    assert "WHERE" in text and "a.b" in text and "%s" not in text and ", ?" not in text


def test_row_names_the_attribute_the_entity_and_the_forms() -> None:
    """row() reads every time the evaluator reads, and a value that is really no time
    is reported with the attribute, the entity's index and id, and the accepted forms."""
    from wherelang.errors import WhereEvaluationError

    schema = Schema("Unit", [Attribute("UnitID", Type.of("string")), Attribute("At", Type.of("time"))],
                    id="UnitID")  # fmt: skip
    for text in ["2025-01-07 00:00:00Z", "2025-01-07T05:30:00+0530", "2025-01-07T05:00:00+05",
                 "2025-01-06T24:00:00Z", "2025-01-07t00:00:00z", "2025-01-06T23:59:60Z"]:  # fmt: skip
        assert wsql.row(schema, {"At": text}, "sqlite") == (None, "2025-01-07T00:00:00.000000Z"), text
    with pytest.raises(WhereEvaluationError) as info:
        wsql.row(schema, {"UnitID": "u-7", "At": "2025-13-01"}, "postgres", index=3)
    err = info.value
    assert "entity #3 (UnitID 'u-7')" in err.message and "At" in err.message and "'2025-13-01'" in err.message
    assert err.hint and "+hh:mm" in err.hint


def test_lazy_sql_names_are_the_sql_modules_and_stay_loaded() -> None:
    """wherelang.to_sql (and its siblings) load wherelang.sql on first use, then are plain
    globals of the package: the module __getattr__ is not run again for every call."""
    import wherelang
    import wherelang.sql

    for name in ("to_sql", "to_sqlglot", "SqlClause"):
        assert getattr(wherelang, name) is getattr(wherelang.sql, name)
        assert vars(wherelang)[name] is getattr(wherelang.sql, name)
