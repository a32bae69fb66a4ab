"""JSON paths, list references and Permissions: the same rows in memory and on every engine.

Generated expressions built only from the new forms (``wherelang.strategies.path_expressions``:
JSON paths of every step kind and the split, ``FromLink.*.Attr``, Permissions, joined
with AND, OR, NOT and truth tests) run over generated Units (nested JSON, related Links,
Permissions) in memory and, compiled by ``wherelang.to_sql``, on PostgreSQL, SQLite,
DuckDB and MariaDB, whose tables ``create_table`` / ``row`` fill in the default layout.
Each engine must give the in-memory rows, or refuse with ``WhereSqlError`` where this
module says it may. At least 300 expressions run per engine.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
import sql_engines
from hypothesis import HealthCheck, given, settings
from sqlglot import exp

from conftest import unavailable
from wherelang import sql as wsql
from wherelang.errors import WhereSqlError
from wherelang.evaluate import Predicate
from wherelang.nodes import Attr, Expr, walk
from wherelang.schema import Attribute, Schema, Type
from wherelang.strategies import JSON_KEYS, JSON_STRINGS, path_expressions, path_schema

UNIT = path_schema()
LINK = UNIT.related("FromLink")
assert LINK is not None
UNITS_TABLE, LINKS_TABLE = "paths_diff_units", "paths_diff_links"
MAPPING = {"FromLink": wsql.Related(LINKS_TABLE, id="LinkID", via="FromLinkID")}
EXAMPLES = 300

#: what an engine may refuse (its WhereSqlError message names the construct)
REFUSALS = {
    "postgres": (),
    "sqlite": (),
    "duckdb": (),
    "mariadb": ("JSON path",),
}
USERS = ["7c61626f-ddbe-41af-93f6-b69f4ab6d308", "00000000-0000-0000-0000-000000000001",
         "8d5e1a3c-0b7e-4f4a-9d55-2f3c1a9b7e10"]  # fmt: skip


def _document(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 3 and roll < 0.3:
        return {rng.choice(JSON_KEYS): _document(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    if depth < 3 and roll < 0.5:
        return [_document(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return rng.choice([
        None, True, False, 0, 3, -3, 5, 1.5, -0.5, 3.0, 2.25, 1e20, 0.1, 2**62,
        *JSON_STRINGS,
    ])  # fmt: skip


def _permissions(rng: random.Random) -> Any:
    if rng.random() < 0.2:
        return None
    out: dict[str, Any] = {}
    for action in rng.sample(["View", "Edit", "Admin"], rng.randint(0, 3)):
        roll = rng.random()
        if roll < 0.15:
            out[action] = {}
        elif roll < 0.25:
            out[action] = None
        else:
            users = rng.sample(USERS, rng.randint(0, 3))
            out[action] = {"UserIDs": {(u.upper() if rng.random() < 0.3 else u): rng.choice([True, True, False, None])
                                       for u in users}}  # fmt: skip
    return out


def _entities(count: int = 60, seed: int = 12) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    links: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    for pk in range(count):
        unit: dict[str, Any] = {"UnitID": f"22222222-0000-4000-8000-{pk:012d}", "Slug": rng.choice(JSON_STRINGS)}
        if rng.random() < 0.85:
            unit["Data"] = _document(rng) if rng.random() < 0.9 else {"spec": _document(rng, 1)}
        if rng.random() < 0.8:
            mine = []
            for _ in range(rng.randint(0, 3)):
                link = {"LinkID": f"11111111-0000-4000-8000-{len(links):012d}"}
                if rng.random() < 0.85:
                    link["Slug"] = rng.choice([*JSON_STRINGS, None])
                if rng.random() < 0.7:
                    link["Weight"] = rng.choice([None, -2, 0, 1, 3])
                if rng.random() < 0.7:
                    link["Labels"] = {k: rng.choice(["web", "db", "A"]) for k in rng.sample(["tier", "env"], rng.randint(0, 2))}
                if rng.random() < 0.6:
                    link["Data"] = _document(rng, 1)
                links.append(link)
                mine.append(link)
            unit["FromLinkID"] = [link["LinkID"] for link in mine]
            unit["FromLink"] = mine
        if rng.random() < 0.85:
            unit["Permissions"] = _permissions(rng)
        units.append(unit)
    return units, links


UNITS, LINKS = _entities()


JOIN_TABLE = "paths_diff_unit_links"
JOIN = Schema("UnitLink", [Attribute("unit_id", Type.of("uuid")), Attribute("link_id", Type.of("uuid"))])
JOIN_ROWS = [{"unit_id": u["UnitID"], "link_id": link_id} for u in UNITS for link_id in u.get("FromLinkID", ())]
JOINED = {"FromLink": wsql.Related(LINKS_TABLE, id="LinkID",
                                   join=wsql.JoinTable(JOIN_TABLE, owner="unit_id", target="link_id", key="UnitID"))}  # fmt: skip


def _load(engine: sql_engines.Engine) -> None:
    cur = engine.cursor()
    try:
        for schema, table, rows in ((UNIT, UNITS_TABLE, UNITS), (LINK, LINKS_TABLE, LINKS), (JOIN, JOIN_TABLE, JOIN_ROWS)):
            cur.execute(sql_engines.drop_temporary(engine.name, table))
            cur.execute(sql_engines.temporary(engine.name, wsql.create_table(schema, engine.dialect, table=table)))
            insert = wsql.insert_statement(schema, engine.dialect, table=table)
            cur.executemany(insert, [wsql.row(schema, e, engine.dialect) for e in rows])
    finally:
        cur.close()
    if hasattr(engine.conn, "commit"):
        engine.conn.commit()


@pytest.fixture(scope="module")
def engines() -> Any:
    out: dict[str, sql_engines.Engine] = {}
    for name, connect in sql_engines.CONNECT.items():
        try:
            out[name] = connect()
        except Exception as exc:  # pragma: no cover - depends on the machine
            unavailable(name, str(exc))
        if name == "duckdb":
            wsql.prepare_duckdb(out[name].conn)
        _load(out[name])
    yield out
    for engine in out.values():
        engine.conn.close()


def _rows(engine: sql_engines.Engine, expr: Expr, mapping: Any = MAPPING) -> set[str] | WhereSqlError:
    try:
        clause = wsql.to_sql(expr, dialect=engine.dialect, mapping=mapping, table="u")
    except WhereSqlError as exc:
        return exc
    table = exp.table_(UNITS_TABLE, quoted=True).sql(dialect=engine.dialect)
    pk = exp.column("UnitID", table="u", quoted=True).sql(dialect=engine.dialect)
    found = engine.execute(f"SELECT {pk} FROM {table} AS u WHERE {clause.sql}", clause.params)
    return {str(r[0]).lower() for r in found}


def test_the_data_reaches_every_form() -> None:
    assert sum(1 for u in UNITS if u.get("FromLink")) >= 20
    assert sum(1 for u in UNITS if isinstance(u.get("Data"), (dict, list))) >= 20
    assert sum(1 for u in UNITS if u.get("Permissions")) >= 20


STATS: Counter[str] = Counter()


def _agree(engines: dict[str, sql_engines.Engine], expr: Expr, tag: str) -> None:
    assert any(isinstance(n, Attr) and (n.json or n.each or n.name == "Permissions") for n in walk(expr))
    predicate = Predicate(expr, UNIT)
    expected = {u["UnitID"] for u in UNITS if predicate(u)}
    for name, engine in engines.items():
        got = _rows(engine, expr)
        if isinstance(got, WhereSqlError):
            assert got.code == "sql-unsupported", (name, str(expr), got)
            assert any(m in got.message for m in REFUSALS[name]), (name, str(expr), got.message)
            STATS[f"{tag} {name} refused"] += 1
            continue
        assert got == expected, (name, str(expr), wsql.to_sql(expr, dialect=engine.dialect, mapping=MAPPING, table="u"))
        STATS[f"{tag} {name} answered"] += 1


_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip


@_SETTINGS
@given(expr=path_expressions())
def test_engines_agree_with_memory(engines: dict[str, sql_engines.Engine], expr: Expr) -> None:
    """Every new form; MariaDB refuses JSON paths."""
    _agree(engines, expr, "all")


@_SETTINGS
@given(expr=path_expressions(json=False))
def test_engines_agree_on_lists_and_permissions(engines: dict[str, sql_engines.Engine], expr: Expr) -> None:
    """List references and Permissions only: every engine answers."""
    _agree(engines, expr, "lists")


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(expr=path_expressions(json=False))
def test_list_references_through_a_join_table(engines: dict[str, sql_engines.Engine], expr: Expr) -> None:
    """The same answers when a Related mapping points the list reference at a join table."""
    predicate = Predicate(expr, UNIT)
    expected = {u["UnitID"] for u in UNITS if predicate(u)}
    for name, engine in engines.items():
        assert _rows(engine, expr, JOINED) == expected, (name, str(expr))


def test_every_engine_answered_enough(engines: dict[str, sql_engines.Engine]) -> None:
    """Runs after the differential tests: each engine saw every expression, and answered
    at least 300 (refusing only what REFUSALS allows)."""
    for name in engines:
        for tag in ("all", "lists"):
            seen = STATS[f"{tag} {name} answered"] + STATS[f"{tag} {name} refused"]
            assert seen >= EXAMPLES, (name, tag, STATS)
        answered = STATS[f"all {name} answered"] + STATS[f"lists {name} answered"]
        assert answered >= EXAMPLES, (name, STATS)
        assert STATS[f"lists {name} refused"] == 0, (name, STATS)
    for name in ("postgres", "sqlite", "duckdb"):
        assert STATS[f"all {name} refused"] == 0, (name, STATS)


@pytest.mark.parametrize("name", ["postgres", "sqlite", "duckdb", "mariadb"])
def test_list_query_to_sql_walks_list_references(engines: dict[str, sql_engines.Engine], name: str) -> None:
    """ListQuery.to_sql writes FromLink.*.Attr as EXISTS over the table of Link (``tables``),
    with the same rows as ListQuery.apply."""
    from wherelang import ListQuery
    from wherelang.nodes import Compare, Literal, Op
    from wherelang.schema import Kind

    each = Attr(("FromLink", "*", "Weight"), ("FromLink",), "Weight", None, Type(Kind.INT), each=True)
    query = ListQuery(schema=UNIT, where=Compare(each, Op.GE, Literal(1)), select=["UnitID"])
    engine = engines[name]
    statement = query.to_sql(engine.dialect, table=UNITS_TABLE, tables={"Link": LINKS_TABLE})
    got = sorted(str(statement.shape(row)["UnitID"]).lower() for row in engine.execute(statement.sql, statement.params))
    expected = sorted(item["UnitID"] for item in query.apply(UNITS))
    assert got == expected and len(expected) >= 5
