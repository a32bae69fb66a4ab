"""Classic injection payloads as literals, map keys and patterns: on every engine they
select exactly the rows the in-memory evaluator selects, with bound parameters and with
sqlglot-quoted literals (``params=False``), and the table is still there afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import wherelang
from conftest import unavailable
from sql_engines import CONNECT, SCHEMA, Engine, known_limit
from wherelang.errors import WhereSqlError
from wherelang.text import quote_string

TABLE = "sql_inject"

PAYLOADS = [
    "'", "''", "\\", "\\'", "\\\\", "%", "_", "%_%", ";", "a;b",
    "'; DROP TABLE sql_inject; --", "' OR '1'='1", "' OR 1=1 --", '" OR ""="', "x' AND 'a'='a",
    "-- comment", "/* comment */", "*/ OR 1=1 /*", "a\x00b", "\x00",
    "\u2019 OR 1=1 --", "\uff07; DROP TABLE sql_inject; --", "\u02bc OR \u02bc1\u02bc=\u02bc1",
    "\\'; DROP TABLE sql_inject; --", "$1", "?", "%s", "%(x)s", ":name", "${x}", "@p",
    "\x01\x02", "\x010\x02", "\x1a", "\n; DROP TABLE sql_inject", "` OR 1 --", "]]", "$$; DROP TABLE sql_inject; $$",
    "E'\\x27'", "\\x27", "😀'", "0x27", "CHAR(39)", "1); DROP TABLE sql_inject; --",
]  # fmt: skip
# "\x010\x02" is how the compiler's placeholder 0 looks before it becomes the driver's
# marker: inlined (params=False) it must stay text.

# Rows hold every payload PostgreSQL can store (text cannot hold NUL there).
ENTITIES: list[dict[str, Any]] = [
    {"Pk": i, "Slug": p, "Name": p.upper(), "Labels": {p: p}, "Tags": [p, "x"]}
    for i, p in enumerate(PAYLOADS)
    if "\x00" not in p
] + [{"Pk": 1000, "Slug": "plain", "Labels": {"k": "v"}}, {"Pk": 1001}]


@pytest.fixture(scope="module")
def engines() -> Iterator[dict[str, Engine]]:
    out: dict[str, Engine] = {}
    for name, connect in CONNECT.items():
        try:
            engine = connect()
        except Exception as exc:
            unavailable(name, f"{type(exc).__name__}: {exc}")
        engine.load(TABLE, ENTITIES)
        engine.select = engine.select.replace("sql_diff", TABLE)
        out[name] = engine
    yield out
    for engine in out.values():
        engine.conn.close()


def expressions(payload: str) -> list[str]:
    lit = quote_string(payload)
    out = [
        f"Slug = {lit}",
        f"Slug != {lit}",
        f"Slug < {lit}",
        f"Slug IN ({lit}, 'plain')",
        f"Name NOT IN ({lit})",
        f"Labels ? {lit}",
        f"Tags ? {lit}",
        f"Labels.{lit} = {lit}",
        f"Labels.{lit} IS NOT NULL",
        f"{lit} = Slug OR Slug = 'plain'",
    ]
    trailing = len(payload) - len(payload.rstrip("\\"))
    if trailing % 2 == 0:  # a LIKE pattern may not end in a lone backslash
        out += [f"Slug LIKE {lit}", f"Slug ILIKE {lit}", f"Slug NOT LIKE {lit}"]
    return out


CASES = [(p, text) for p in PAYLOADS for text in expressions(p)]


@pytest.mark.parametrize("params", [True, False], ids=["bound", "inlined"])
@pytest.mark.parametrize("name", list(CONNECT))
def test_payloads_select_what_memory_selects(engines: dict[str, Engine], name: str, params: bool) -> None:
    engine = engines[name]
    checked = 0
    for payload, text in CASES:
        expr = wherelang.parse(text, schema=SCHEMA, extended=True)
        expected = {e["Pk"] for e in wherelang.filter(ENTITIES, expr, SCHEMA)}
        try:
            got = engine.run(expr, params=params)
        except WhereSqlError as exc:
            # Refused only where documented: NUL in PostgreSQL, keys starting with '-' in
            # MariaDB's JSON paths.
            assert known_limit(name, exc, params), (text, exc)
            continue
        assert got == expected, (name, params, text, sorted(got), sorted(expected))
        checked += 1
    assert engine.count(TABLE) == len(ENTITIES)
    assert checked >= len(CASES) - 40


def test_hostile_identifiers_are_quoted_not_executed(engines: dict[str, Engine]) -> None:
    """Column names come only from the schema/mapping, and even a hostile one is quoted."""
    from wherelang.schema import Attribute, Schema, Type

    evil = 'x" OR 1=1 --'
    schema = Schema("T", [Attribute("Slug", Type.of("string"))])
    expr = wherelang.parse("Slug = 'a'", schema=schema)
    clause = wherelang.to_sql(expr, dialect="postgres", mapping={"Slug": evil})
    assert clause.sql == '"x"" OR 1=1 --" = %s'
    pg = engines["postgres"].conn
    pg.execute('DROP TABLE IF EXISTS pg_temp."sql_evil"')
    pg.execute(f'CREATE TEMPORARY TABLE "sql_evil" ("{evil.replace(chr(34), chr(34) * 2)}" TEXT)')
    pg.execute('INSERT INTO "sql_evil" VALUES (%s), (%s)', ("a", "b"))
    rows = pg.execute(f'SELECT COUNT(*) FROM "sql_evil" WHERE {clause.sql}', clause.params).fetchall()
    assert rows == [(1,)]
    pg.execute('DROP TABLE "sql_evil"')
