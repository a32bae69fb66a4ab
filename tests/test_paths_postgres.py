"""JSON paths, list references and Permissions in memory agree with SQL written by hand.

Each case is a typed condition (built as validation resolves it: ``Attr`` with JSON
steps, ``each`` for ``Prefix.*.Attr``, ``key`` for the Permissions action) and the
PostgreSQL condition a person would write for it: ``jsonb_path_exists`` with the lax
SQL/JSON path, ``EXISTS`` over the related table, ``->`` into Permissions. The rows the
condition is TRUE for, and the rows it is FALSE for (``NOT``), must be the same in
memory and in PostgreSQL. None of the SQL here comes from wherelang.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import PG_DSN, unavailable
from wherelang.evaluate import Predicate
from wherelang.nodes import Attr, Compare, Expr, In, IsNull, JsonStep, Len, Literal, Not, Op
from wherelang.schema import Kind, Type
from wherelang.strategies import path_schema

psycopg = pytest.importorskip("psycopg")

SCHEMA = path_schema()
JSON = Type(Kind.JSON)
STRING = Type(Kind.STRING)
USERS = Type.of({"type": "map", "keys": "uuid", "values": "bool"})
U1 = "7c61626f-ddbe-41af-93f6-b69f4ab6d308"
U2 = "00000000-0000-0000-0000-000000000001"


def steps(text: str) -> tuple[JsonStep, ...]:
    """``spec.containers.?name=web.*.|ports.0`` as steps (``~1`` is a dot in a key)."""
    out: list[JsonStep] = []
    for part in text.split("."):
        if part == "*":
            out.append(JsonStep("any"))
        elif part == "|":
            out.append(JsonStep("split"))
        elif part.startswith("|"):
            out += [JsonStep("split"), *steps(part[1:])]
        elif part.isdigit():
            out.append(JsonStep("index", index=int(part)))
        elif part.startswith("?"):
            key, _, value = part[1:].partition("=")
            out.append(JsonStep("match", key, value=value))
        else:
            out.append(JsonStep("key", part.replace("~1", ".")))
    return tuple(out)


def data(path: str) -> Attr:
    return Attr(("Data", path), (), "Data", None, JSON, json=steps(path))


def link(name: str, type: Type = STRING, key: str | None = None, path: str = "") -> Attr:
    json_steps = steps(path) if path else ()
    return Attr(("FromLink", "*", name), ("FromLink",), name, key, type, each=True, json=json_steps)


def users(action: str) -> Attr:
    return Attr(("Permissions", action, "UserIDs"), (), "Permissions", action, USERS)


DOCS: list[Any] = [
    {"spec": {"replicas": 3, "containers": [{"name": "web", "image": "nginx:latest", "ports": [80, 443]},
                                             {"name": "db", "image": "pg:15"}]}},
    {"spec": {"replicas": 1.5, "containers": [{"name": "web", "image": "nginx:1.25", "ports": 8080}]}},
    {"spec": {"replicas": "3", "containers": {"name": "web", "image": "nginx:latest"}}},
    {"spec": {"replicas": None, "containers": []}},
    {"spec": {"containers": [{"name": "web"}, {"name": "side", "image": None}]}},
    {"spec": {"replicas": True, "containers": [[{"name": "web", "image": "x"}]]}},
    {"a.b": {"x/y": "slash", "ü": ["é", "E"]}, "tags": ["web", "db", 3]},
    {"tags": "web", "spec": {"replicas": 100000000000000000000}},
    {"tags": [["web"], []], "spec": {"replicas": -0.5}},
    {"spec": {"replicas": 3.0, "containers": [{"name": "web", "image": "NGINX:LATEST", "ports": []}]}},
    [{"name": "web"}, {"name": "db"}],
    "web",
    None,
    {},
]
LINKS = [
    {"LinkID": "11111111-0000-0000-0000-00000000000a", "Slug": "web", "Weight": 2, "Labels": {"tier": "web"}},
    {"LinkID": "11111111-0000-0000-0000-00000000000b", "Slug": "db", "Weight": None, "Labels": {}},
    {"LinkID": "11111111-0000-0000-0000-00000000000c", "Slug": None, "Weight": 0,
     "Data": {"spec": {"image": "pg:15"}}},
]
# which links each unit names (by index into LINKS)
UNIT_LINKS = [[0, 1], [2], [], [1], [0, 2], [1, 2], None, [0], [2], [], [1], [0, 1, 2], [], [2]]
PERMISSIONS: list[Any] = [
    {"Edit": {"UserIDs": {U1: True}}, "View": {"UserIDs": {U1: True, U2: True}}},
    {"Edit": {"UserIDs": {U1: False}}},
    {"Edit": {"UserIDs": {U1.upper(): True}}},
    {"Edit": {}},
    {},
    None,
    {"Edit": {"UserIDs": {U2: True, U1: True}}},
] * 2


def _unit(i: int) -> dict[str, Any]:
    unit: dict[str, Any] = {"UnitID": f"22222222-0000-0000-0000-{i:012d}", "Slug": f"u{i}"}
    if DOCS[i] is not None:
        unit["Data"] = DOCS[i]
    if UNIT_LINKS[i] is not None:
        unit["FromLinkID"] = [LINKS[j]["LinkID"] for j in UNIT_LINKS[i]]
        unit["FromLink"] = [LINKS[j] for j in UNIT_LINKS[i]]
    if PERMISSIONS[i] is not None:
        unit["Permissions"] = PERMISSIONS[i]
    return unit


UNITS = [_unit(i) for i in range(len(DOCS))]

_JP = "jsonb_path_exists(u.data, '{}')"
_EXISTS = (
    "EXISTS (SELECT 1 FROM pg_temp.paths_links l "
    "WHERE l.id IN (SELECT jsonb_array_elements_text(u.from_ids)) AND {})"
)

# a JSON condition is NULL when the attribute is
_NULL = "CASE WHEN u.data IS NULL THEN NULL ELSE "

# (condition, hand-written PostgreSQL for it)
CASES: list[tuple[Expr, str]] = [
    # key steps, every literal kind
    (Compare(data("spec.replicas"), Op.EQ, Literal(3)), _JP.format('lax $."spec"."replicas" ? (@ == 3)')),
    (Compare(data("spec.replicas"), Op.EQ, Literal("3")), _JP.format('lax $."spec"."replicas" ? (@ == "3")')),
    (Compare(data("spec.replicas"), Op.EQ, Literal(True)), _JP.format('lax $."spec"."replicas" ? (@ == true)')),
    (Compare(data("spec.replicas"), Op.NE, Literal(3)), _JP.format('lax $."spec"."replicas" ? (@ != 3)')),
    (Compare(data("spec.replicas"), Op.GT, Literal(1)), _JP.format('lax $."spec"."replicas" ? (@ > 1)')),
    (Compare(data("spec.replicas"), Op.LT, Literal(2)), _JP.format('lax $."spec"."replicas" ? (@ < 2)')),
    (Compare(data("spec.replicas"), Op.GE, Literal(100000000000000000000)),
     _JP.format('lax $."spec"."replicas" ? (@ >= 100000000000000000000)')),
    (Compare(data("spec.replicas"), Op.NE, Literal("x")), _JP.format('lax $."spec"."replicas" ? (@ != "x")')),
    (Compare(data("spec.replicas"), Op.LT, Literal("4")), _JP.format('lax $."spec"."replicas" ? (@ < "4")')),
    (Compare(data("spec.replicas"), Op.NE, Literal(False)), _JP.format('lax $."spec"."replicas" ? (@ != false)')),
    # a key on an array of objects (lax mode looks into it), keys with a dot, a slash, non-ASCII
    (Compare(data("spec.containers.image"), Op.EQ, Literal("pg:15")),
     _JP.format('lax $."spec"."containers"."image" ? (@ == "pg:15")')),
    (Compare(data("a~1b.x/y"), Op.EQ, Literal("slash")), _JP.format('lax $."a.b"."x/y" ? (@ == "slash")')),
    (Compare(data("a~1b.ü"), Op.GT, Literal("a")), _JP.format('lax $."a.b"."ü" ? (@ > "a")')),
    # arrays compared directly: the filter and the comparison each look into one level
    (Compare(data("tags"), Op.EQ, Literal("web")), _JP.format('lax $."tags" ? (@ == "web")')),
    (Compare(data("tags"), Op.EQ, Literal(3)), _JP.format('lax $."tags" ? (@ == 3)')),
    (Compare(data("tags"), Op.NE, Literal("web")), _JP.format('lax $."tags" ? (@ != "web")')),
    # index steps
    (Compare(data("spec.containers.0.name"), Op.EQ, Literal("web")),
     _JP.format('lax $."spec"."containers"[0]."name" ? (@ == "web")')),
    (Compare(data("spec.containers.1.image"), Op.EQ, Literal("pg:15")),
     _JP.format('lax $."spec"."containers"[1]."image" ? (@ == "pg:15")')),
    (Compare(data("tags.0"), Op.EQ, Literal("web")), _JP.format('lax $."tags"[0] ? (@ == "web")')),
    (Compare(data("spec.containers.0.ports.1"), Op.EQ, Literal(443)),
     _JP.format('lax $."spec"."containers"[0]."ports"[1] ? (@ == 443)')),
    # * steps
    (Compare(data("spec.containers.*.image"), Op.LIKE, Literal("%:latest")),
     _JP.format('lax $."spec"."containers"[*]."image" ? (@ like_regex "^.*:latest$" flag "s")')),
    (Compare(data("spec.containers.*.image"), Op.NOT_LIKE, Literal("nginx%")),
     _JP.format('lax $."spec"."containers"[*]."image" ? (!(@ like_regex "^nginx.*$" flag "s"))')),
    (Compare(data("spec.containers.*.image"), Op.ILIKE, Literal("%:LATEST")),
     _JP.format('lax $."spec"."containers"[*]."image" ? (@ like_regex "^.*:LATEST$" flag "is")')),
    (Compare(data("spec.containers.*.image"), Op.REGEX, Literal("^nginx:[0-9]")),
     _JP.format('lax $."spec"."containers"[*]."image" ? (@ like_regex "^nginx:[0-9]" flag "s")')),
    (Compare(data("spec.containers.*.image"), Op.IREGEX, Literal("LATEST$")),
     _JP.format('lax $."spec"."containers"[*]."image" ? (@ like_regex "LATEST$" flag "is")')),
    (Compare(data("spec.containers.*.image"), Op.NOT_REGEX, Literal("nginx")),
     _JP.format('lax $."spec"."containers"[*]."image" ? (!(@ like_regex "nginx" flag "s"))')),
    (Compare(data("spec.containers.*.ports"), Op.GT, Literal(100)),
     _JP.format('lax $."spec"."containers"[*]."ports" ? (@ > 100)')),
    (Compare(data("spec.containers.*.*.name"), Op.EQ, Literal("web")),
     _JP.format('lax $."spec"."containers"[*][*]."name" ? (@ == "web")')),
    (Compare(data("*.name"), Op.EQ, Literal("db")), _JP.format('lax $[*]."name" ? (@ == "db")')),
    # ?key=value steps
    (Compare(data("spec.containers.?name=web.image"), Op.EQ, Literal("nginx:latest")),
     _JP.format('lax $."spec"."containers" ? (@."name" == "web")."image" ? (@ == "nginx:latest")')),
    (Compare(data("spec.containers.?name=db.image"), Op.NE, Literal("x")),
     _JP.format('lax $."spec"."containers" ? (@."name" == "db")."image" ? (@ != "x")')),
    (Compare(data("?name=web.name"), Op.EQ, Literal("web")),
     _JP.format('lax $ ? (@."name" == "web")."name" ? (@ == "web")')),
    (Compare(data("spec.containers.?name=side.image"), Op.NE, Literal("x")),
     _JP.format('lax $."spec"."containers" ? (@."name" == "side")."image" ? (@ != "x")')),
    # the split: a visited element without the property matches != only
    (Compare(data("spec.containers.*.|image"), Op.NE, Literal("nginx:latest")),
     _JP.format('lax $."spec"."containers"[*] ? (!exists(@."image") || @."image" != "nginx:latest")')),
    (Compare(data("spec.containers.*.|image"), Op.EQ, Literal("pg:15")),
     _JP.format('lax $."spec"."containers"[*] ? (@."image" == "pg:15")')),
    (Compare(data("spec.containers.*.|ports.0"), Op.NE, Literal(80)),
     _JP.format('lax $."spec"."containers"[*] ? (!exists(@."ports"[0]) || @."ports"[0] != 80)')),
    (Compare(data("spec.containers.?name=web.|ports"), Op.GE, Literal(443)),
     _JP.format('lax $."spec"."containers" ? (@."name" == "web") ? (@."ports" >= 443)')),
    (Compare(data("spec.containers.*.|image"), Op.LIKE, Literal("%x%")),
     _JP.format('lax $."spec"."containers"[*] ? (@."image" like_regex "^.*x.*$" flag "s")')),
    (Compare(data("spec.|replicas"), Op.NE, Literal(3)),
     _JP.format('lax $."spec" ? (!exists(@."replicas") || @."replicas" != 3)')),
    # IS NULL: the path selects nothing
    (IsNull(data("spec.replicas")), "NOT coalesce(" + _JP.format('lax $."spec"."replicas"') + ", false)"),
    (IsNull(data("spec.containers.*.image"), negated=True),
     _JP.format('lax $."spec"."containers"[*]."image"') + " IS TRUE"),
    (IsNull(data("spec.containers.*.|image")),
     "NOT coalesce(" + _JP.format('lax $."spec"."containers"[*] ? (exists(@."image"))') + ", false)"),
    # ? on a JSON value: jsonb's ? of each selected value
    (Compare(data("spec"), Op.HAS, Literal("replicas")),
     _NULL + "EXISTS (SELECT 1 FROM jsonb_path_query(u.data, 'lax $.\"spec\"') v WHERE v ? 'replicas') END"),
    (Compare(data("tags"), Op.HAS, Literal("db")),
     _NULL + "EXISTS (SELECT 1 FROM jsonb_path_query(u.data, 'lax $.\"tags\"') v WHERE v ? 'db') END"),
    # IN compares the text form, as ConfigHub's query.go: numbers by their integer part
    (In(data("spec.replicas"), (Literal("3"), Literal("1"))),
     _NULL + "EXISTS (SELECT 1 FROM jsonb_path_query(u.data, 'lax $.\"spec\".\"replicas\"[*][*]') v "
     "WHERE pg_temp.jtext(v) IN ('3', '1')) END"),
    (In(data("spec.replicas"), (Literal("3"),), negated=True),
     _NULL + "EXISTS (SELECT 1 FROM jsonb_path_query(u.data, 'lax $.\"spec\".\"replicas\"[*][*]') v "
     "WHERE pg_temp.jtext(v) NOT IN ('3')) END"),
    (In(data("tags"), (Literal("3"), Literal("true"))),
     _NULL + "EXISTS (SELECT 1 FROM jsonb_path_query(u.data, 'lax $.\"tags\"[*][*]') v "
     "WHERE pg_temp.jtext(v) IN ('3', 'true')) END"),
    (In(data("spec.containers.*.|name"), (Literal("db"),)),
     _NULL + "EXISTS (SELECT 1 FROM jsonb_path_query(u.data, 'lax $.\"spec\".\"containers\"[*][*].\"name\"[*]') v "
     "WHERE pg_temp.jtext(v) IN ('db')) END"),
    # Prefix.*.Attr: EXISTS over the related table
    (Compare(link("Slug"), Op.EQ, Literal("db")), _EXISTS.format("l.slug = 'db'")),
    (Compare(link("Slug"), Op.NE, Literal("db")), _EXISTS.format("l.slug <> 'db'")),
    (Compare(link("Slug"), Op.LIKE, Literal("w%")), _EXISTS.format("l.slug LIKE 'w%'")),
    (IsNull(link("Slug")), _EXISTS.format("l.slug IS NULL")),
    (IsNull(link("Weight", Type(Kind.INT)), negated=True), _EXISTS.format("l.weight IS NOT NULL")),
    (Compare(link("Weight", Type(Kind.INT)), Op.GE, Literal(1)), _EXISTS.format("l.weight >= 1")),
    (In(link("Slug"), (Literal("web"), Literal("x")), negated=True), _EXISTS.format("l.slug NOT IN ('web', 'x')")),
    (Compare(link("Labels", STRING, "tier"), Op.EQ, Literal("web")), _EXISTS.format("l.labels ->> 'tier' = 'web'")),
    (Compare(Len(link("Labels", Type.of({"type": "map", "values": "string"}))), Op.EQ, Literal(0)),
     _EXISTS.format("(SELECT count(*) FROM jsonb_object_keys(coalesce(l.labels, '{}'))) = 0")),
    (Compare(link("Data", JSON, path="spec.image"), Op.EQ, Literal("pg:15")),
     _EXISTS.format("jsonb_path_exists(l.data, 'lax $.\"spec\".\"image\" ? (@ == \"pg:15\")')")),
    # Permissions.<Action>.UserIDs ? u, LEN
    (Compare(users("Edit"), Op.HAS, Literal(U1)),
     f"CASE WHEN u.perms IS NULL THEN NULL ELSE coalesce(u.perms -> 'Edit' -> 'UserIDs' -> '{U1}' = 'true', false) END"),
    (Compare(users("View"), Op.HAS, Literal(U2)),
     f"CASE WHEN u.perms IS NULL THEN NULL ELSE coalesce(u.perms -> 'View' -> 'UserIDs' -> '{U2}' = 'true', false) END"),
    (Compare(Len(users("Edit")), Op.GT, Literal(0)),
     "(SELECT count(*) FROM jsonb_each(CASE WHEN jsonb_typeof(u.perms -> 'Edit' -> 'UserIDs') = 'object' "
     "THEN u.perms -> 'Edit' -> 'UserIDs' END) WHERE value = 'true') > 0"),
    (Compare(Len(users("View")), Op.EQ, Literal(2)),
     "(SELECT count(*) FROM jsonb_each(CASE WHEN jsonb_typeof(u.perms -> 'View' -> 'UserIDs') = 'object' "
     "THEN u.perms -> 'View' -> 'UserIDs' END) WHERE value = 'true') = 2"),
]


def _lower_keys(perms: Any) -> Any:
    """Permissions as a table stores them: user IDs in canonical (lower) case."""
    if not isinstance(perms, dict):
        return perms
    out: dict[str, Any] = {}
    for action, subjects in perms.items():
        if isinstance(subjects, dict) and isinstance(subjects.get("UserIDs"), dict):
            subjects = {**subjects, "UserIDs": {k.lower(): v for k, v in subjects["UserIDs"].items()}}
        out[action] = subjects
    return out


@pytest.fixture(scope="module")
def pg() -> Any:
    try:
        conn = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)
    except Exception as exc:  # pragma: no cover - depends on the machine
        unavailable("PostgreSQL", str(exc))
    conn.execute("CREATE TEMP TABLE paths_units (id int PRIMARY KEY, data jsonb, from_ids jsonb, perms jsonb)")
    conn.execute("CREATE TEMP TABLE paths_links (id text PRIMARY KEY, slug text COLLATE \"C\", "
                 "weight bigint, labels jsonb, data jsonb)")  # fmt: skip
    # the text query.go compares an IN list with: strings as is, numbers' integer part
    conn.execute(
        "CREATE FUNCTION pg_temp.jtext(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$ "
        "SELECT CASE jsonb_typeof(v) WHEN 'string' THEN v #>> '{}' "
        "WHEN 'number' THEN trunc((v #>> '{}')::numeric)::text "
        "WHEN 'boolean' THEN v #>> '{}' END $$"
    )
    for link_ in LINKS:
        conn.execute(
            "INSERT INTO paths_links VALUES (%s, %s, %s, %s, %s)",
            (link_["LinkID"], link_.get("Slug"), link_.get("Weight"),
             json.dumps(link_["Labels"]) if "Labels" in link_ else None,
             json.dumps(link_["Data"]) if "Data" in link_ else None),
        )  # fmt: skip
    for i, unit in enumerate(UNITS):
        conn.execute(
            "INSERT INTO paths_units VALUES (%s, %s, %s, %s)",
            (i, json.dumps(unit["Data"]) if "Data" in unit else None,
             json.dumps(unit["FromLinkID"]) if "FromLinkID" in unit else None,
             json.dumps(_lower_keys(unit["Permissions"])) if "Permissions" in unit else None),
        )  # fmt: skip
    yield conn
    conn.close()


def _rows(pg: Any, condition: str) -> list[int]:
    sql = f"SELECT u.id FROM pg_temp.paths_units u WHERE {condition} ORDER BY u.id"
    return [r[0] for r in pg.execute(sql.replace("%", "%%")).fetchall()]


def test_enough_cases_for_every_form() -> None:
    kinds = {s.kind for node, _ in CASES for a in _attrs(node) for s in a.json}
    assert kinds == {"key", "index", "any", "match", "split"}
    assert len(CASES) >= 40
    assert sum(1 for node, _ in CASES if any(a.each for a in _attrs(node))) >= 8
    assert sum(1 for node, _ in CASES if any(a.name == "Permissions" for a in _attrs(node))) >= 4


def _attrs(node: Expr) -> list[Attr]:
    from wherelang.nodes import walk

    return [n for n in walk(node) if isinstance(n, Attr)]


@pytest.mark.parametrize("node, sql", CASES, ids=[f"{i}:{n.to_where(extended=True)}" for i, (n, _) in enumerate(CASES)])
def test_memory_matches_hand_written_postgres(pg: Any, node: Expr, sql: str) -> None:
    true_in_memory = [i for i, u in enumerate(UNITS) if Predicate(node, SCHEMA)(u)]
    false_in_memory = [i for i, u in enumerate(UNITS) if Predicate(Not(node), SCHEMA)(u)]
    assert true_in_memory == _rows(pg, sql)
    assert false_in_memory == _rows(pg, f"NOT ({sql})")
