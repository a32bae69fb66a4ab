"""wherelang.sqlalchemy on real engines: the clause selects what to_sql and the evaluator
select, and list pages are exact.

- The differential suite's expressions (``test_sql_engines.aligned`` and typed trees from
  ``expressions_for``) run through :func:`where_clause` on SQLite, PostgreSQL (psycopg,
  sync and async connections) and MariaDB, beside ``to_sql``'s text run on the same
  connection and beside the in-memory evaluator.
- Paths through a relation (``Space.Labels.x``), as EXISTS over a LEFT JOIN, agree with
  ``ListQuery.apply`` over the sample data, for a ``Table`` with ``related=`` and for a
  mapped class with a relationship.
- Paging with :func:`page` under generated ``order_by`` on NULL-heavy data full of ties:
  the pages, joined, are exactly ``ListQuery.apply``'s order, on every engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sql_engines import ENTITIES, SCHEMA, drop_temporary, memory, temporary
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlglot import exp
from test_sql_engines import aligned, generated

from conftest import MYSQL_DSN, PG_DSN, unavailable
from wherelang import ListQuery, parse, sample
from wherelang import sql as wsql
from wherelang.confighub import schema as catalog
from wherelang.errors import WhereSqlError
from wherelang.nodes import Expr
from wherelang.pagination import Paginator
from wherelang.schema import Schema
from wherelang.sqlalchemy import dialect_of, page, prepare, where_clause

TABLE = "sql_diff_sa"


def _url(dsn: str, driver: str) -> str:
    scheme, rest = dsn.split("://", 1)
    return f"{scheme}+{driver}://{rest}"


def _table(name: str, schema: Schema, meta: sa.MetaData) -> sa.Table:
    # Untyped columns: values go to and come from the driver as they are.
    return sa.Table(name, meta, *[sa.Column(a) for a in schema.attributes])


def _load(
    conn: Any, schema: Schema, table: str, entities: list[dict[str, Any]], json: bool = False
) -> None:
    """The default layout; ``json``: PostgreSQL's plain json columns, not jsonb."""
    dialect = dialect_of(conn.dialect)
    name = {"postgres": "postgres", "mysql": "mariadb"}.get(dialect, dialect)
    conn.exec_driver_sql(drop_temporary(name, table))
    ddl = wsql.create_table(schema, dialect, table=table)
    if json:
        assert dialect == "postgres" and "JSONB" in ddl
        ddl = ddl.replace(" JSONB", " JSON")
    conn.exec_driver_sql(temporary(name, ddl))
    rows = [wsql.row(schema, e, dialect) for e in entities]
    conn.exec_driver_sql(wsql.insert_statement(schema, dialect, table=table), rows)


class Conn:
    """One SQLAlchemy connection (sync, or async run on its own loop) with the data."""

    def __init__(self, name: str, conn: Any, loop: asyncio.AbstractEventLoop | None = None):
        self.name = name
        self.conn = conn
        self.loop = loop

    def run(self, statement: Any) -> list[Any]:
        if self.loop is None:
            return list(self.conn.execute(statement).all())
        result = self.loop.run_until_complete(self.conn.execute(statement))
        return list(result.all())

    def driver_sql(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        if self.loop is None:
            return list(self.conn.exec_driver_sql(sql, params).all())
        result = self.loop.run_until_complete(self.conn.exec_driver_sql(sql, params))
        return list(result.all())

    @property
    def dialect(self) -> str:
        return dialect_of(self.conn.dialect)

    def load(
        self, schema: Schema, table: str, entities: list[dict[str, Any]], json: bool = False
    ) -> None:
        if self.loop is None:
            _load(self.conn, schema, table, entities, json)
        else:
            self.loop.run_until_complete(
                self.conn.run_sync(lambda sync: _load(sync, schema, table, entities, json))
            )


def _sync(name: str, url: str, **options: Any) -> Conn:
    engine = prepare(sa.create_engine(url, **options))
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    return Conn(name, conn)


def _async(name: str, url: str) -> Conn:
    from sqlalchemy.ext.asyncio import create_async_engine

    loop = asyncio.new_event_loop()
    engine = create_async_engine(url)

    async def connect() -> Any:
        conn = await engine.connect()
        return await conn.execution_options(isolation_level="AUTOCOMMIT")

    return Conn(name, loop.run_until_complete(connect()), loop)


CONNECT: dict[str, Callable[[], Conn]] = {
    "sqlite": lambda: _sync("sqlite", "sqlite://", poolclass=sa.pool.StaticPool),
    "postgres": lambda: _sync("postgres", _url(PG_DSN, "psycopg")),
    "postgres-async": lambda: _async("postgres-async", _url(PG_DSN, "psycopg")),
    "mariadb": lambda: _sync("mariadb", _url(MYSQL_DSN, "pymysql") + "?charset=utf8mb4"),
}


@pytest.fixture(scope="module")
def conns() -> Iterator[dict[str, Conn]]:
    out: dict[str, Conn] = {}
    for name, connect in CONNECT.items():
        try:
            conn = connect()
        except Exception as exc:  # the server is not there
            unavailable(name, f"{type(exc).__name__}: {exc}")
        conn.load(SCHEMA, TABLE, ENTITIES)
        if name.startswith("postgres"):
            conn.load(SCHEMA, JSON_TABLE, ENTITIES, json=True)
        out[name] = conn
    yield out
    for conn in out.values():
        if conn.loop is None:
            conn.conn.close()
        else:
            conn.loop.run_until_complete(conn.conn.close())
            conn.loop.close()


THINGS = _table(TABLE, SCHEMA, sa.MetaData())

# The same rows on PostgreSQL in plain json columns (not jsonb), declared JSON: where_clause
# casts them to jsonb, so it must select the jsonb table's rows.
JSON_TABLE = "sql_diff_sa_json"
_CONTAINERS = {"Tags", "Ids", "Labels", "Gates", "Doc"}


def _json_type(name: str) -> Any:
    from sqlalchemy.dialects import postgresql

    return postgresql.JSON() if name in ("Labels", "Doc") else sa.JSON()


THINGS_JSON = sa.Table(JSON_TABLE, sa.MetaData(), *[
    sa.Column(a, _json_type(a)) if a in _CONTAINERS else sa.Column(a) for a in SCHEMA.attributes
])  # fmt: skip


def _raw(conn: Conn, expr: Expr) -> set[int] | WhereSqlError:
    """to_sql's text, run on the same connection with the driver's placeholders."""
    try:
        clause = wsql.to_sql(expr, dialect=conn.dialect)
    except WhereSqlError as exc:
        return exc
    select = sqlglot.select(exp.column("Pk", quoted=True)).from_(exp.table_(TABLE, quoted=True))
    rows = conn.driver_sql(f"{select.sql(dialect=conn.dialect)} WHERE {clause.sql}", clause.params)
    return {int(r[0]) for r in rows}


def _clause(conn: Conn, expr: Expr, table: sa.Table = THINGS) -> set[int] | WhereSqlError:
    try:
        rows = conn.run(sa.select(table.c.Pk).where(where_clause(expr, table)))
    except WhereSqlError as exc:
        return exc
    return {int(r[0]) for r in rows}


def check(conns: dict[str, Conn], expr: Expr) -> None:
    mem = memory(expr)
    text = str(expr)
    for name, conn in conns.items():
        raw, got = _raw(conn, expr), _clause(conn, expr)
        answers = {"": got}
        if name.startswith("postgres"):
            answers[" (json columns)"] = _clause(conn, expr, THINGS_JSON)
        for what, got in answers.items():
            if isinstance(raw, WhereSqlError):
                assert isinstance(got, WhereSqlError) and got.code == raw.code, (name + what, text, got)
                continue
            assert got == raw, (name + what, text, sorted(got) if isinstance(got, set) else got,
                                sorted(raw))  # fmt: skip
            if mem is not None:
                assert got == mem, ("memory", name + what, text, sorted(got), sorted(mem))


DIFFERENTIAL = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.filter_too_much],
)  # fmt: skip


@DIFFERENTIAL
@given(expr=st.one_of(aligned, aligned, generated))
def test_clause_agrees_with_to_sql_and_memory(conns: dict[str, Conn], expr: Expr) -> None:
    check(conns, expr)


@pytest.mark.parametrize(
    "text",
    [
        "Slug LIKE 'a%' AND Name ILIKE '%É%'",  # % in patterns stays a bound value
        "Labels.tier = 'x' OR Labels ? 'é'",
        "Slug = 'it''s' AND Name != '?'",  # a ? inside a value is no placeholder
        "Tags ? 'a' AND LEN(Ids) > 0",
        "At < Until AND Id IN ('7C61626F-DDBE-41AF-93F6-B69F4AB6D308')",
        "Gates.g1 = true IS NOT TRUE",
        "Slug IS NULL",  # no parameter at all
    ],
)
def test_clause_examples(conns: dict[str, Conn], text: str) -> None:
    from sql_engines import parse as parse_thing

    check(conns, parse_thing(text))


# --- relations: EXISTS over a LEFT JOIN -----------------------------------------------------

UNIT, SPACE = catalog("Unit"), catalog("Space")
RELATION_WHERES = [
    "Space.Labels.Environment = 'prod'",
    "Space.Labels.Environment != 'prod'",
    "Space.Slug LIKE 'payments-%' AND Labels.tier = 'backend'",
    "Space.Labels.Missing IS NULL",
    "Space.Labels.Region IS NOT NULL AND LEN(ApplyGates) > 0",
    "Space.DisplayName ILIKE '%STAGING%'",
    "Space.Labels.Team = 'payments' AND Space.Labels.Environment IN ('dev', 'staging')",
    "Space.CreatedAt < '2025-01-12'",
]


@pytest.fixture(scope="module")
def samples(conns: dict[str, Conn]) -> dict[str, Conn]:
    for conn in conns.values():
        conn.load(UNIT, "sa_units", sample.entities("Unit"))
        conn.load(SPACE, "sa_spaces", sample.entities("Space"))
    return conns


def _memory_slugs(where: str) -> list[tuple[str, str]]:
    q = ListQuery(schema=UNIT, where=where)
    found = q.apply(sample.entities("Unit"), resolver=sample.store())
    return sorted((u["UnitID"], u["Slug"]) for u in found)


@pytest.mark.parametrize("where", RELATION_WHERES)
def test_relation_paths_on_tables(samples: dict[str, Conn], where: str) -> None:
    meta = sa.MetaData()
    units, spaces = _table("sa_units", UNIT, meta), _table("sa_spaces", SPACE, meta)
    expr = parse(where, schema=UNIT)
    want = _memory_slugs(where)
    assert want, "the example should select something"
    for name, conn in samples.items():
        cond = where_clause(expr, units, schema=UNIT, related={"Space": spaces})
        rows = conn.run(sa.select(units.c.UnitID, units.c.Slug).where(cond))
        assert sorted((str(u).lower(), s) for u, s in rows) == want, (name, where)


def test_relation_paths_through_a_mapped_relationship() -> None:
    class Base(DeclarativeBase):
        pass

    class SpaceRow(Base):
        __tablename__ = "orm_spaces"
        SpaceID: Mapped[str] = mapped_column(primary_key=True)
        Slug: Mapped[str]
        Labels: Mapped[Any] = mapped_column(sa.JSON)

    class UnitRow(Base):
        __tablename__ = "orm_units"
        UnitID: Mapped[str] = mapped_column(primary_key=True)
        Slug: Mapped[str]
        SpaceID: Mapped[str] = mapped_column(sa.ForeignKey("orm_spaces.SpaceID"))
        Labels: Mapped[Any] = mapped_column(sa.JSON)
        Space: Mapped[SpaceRow] = relationship()

    engine = prepare(sa.create_engine("sqlite://"))
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(SpaceRow(SpaceID=s["SpaceID"], Slug=s["Slug"], Labels=s["Labels"])
                        for s in sample.entities("Space"))  # fmt: skip
        session.add_all(UnitRow(UnitID=u["UnitID"], Slug=u["Slug"], SpaceID=u["SpaceID"],
                                Labels=u["Labels"]) for u in sample.entities("Unit"))  # fmt: skip
        session.commit()
        for where in ("Space.Labels.Environment = 'prod' AND Labels.tier = 'backend'",
                      "Space.Slug LIKE '%-dev'"):  # fmt: skip
            cond = where_clause(where, UnitRow, schema=UNIT)
            got = sorted((u.UnitID, u.Slug) for u in session.scalars(sa.select(UnitRow).where(cond)))
            assert got == _memory_slugs(where) and got


def test_a_missing_column_or_relation_is_a_where_error() -> None:
    meta = sa.MetaData()
    slim = sa.Table("slim", meta, sa.Column("Slug"))
    with pytest.raises(WhereSqlError) as info:
        where_clause(parse("Labels.tier = 'x'", schema=UNIT), slim)
    assert info.value.code == "sql-no-column"
    with pytest.raises(WhereSqlError) as info:
        where_clause(parse("Space.Slug = 'x'", schema=UNIT), _table("u", UNIT, meta), schema=UNIT)
    assert info.value.code == "sql-unknown-relation" and "related=" in (info.value.hint or "")


# --- pages: exact under order_by, ties and NULLs ----------------------------------------------

KEYED = Schema(SCHEMA.name, SCHEMA.attributes, id="Pk")
ORDERABLE = ["Slug", "Name", "N", "M", "F", "B", "Id", "Ref", "At", "Until"]


@st.composite
def orderings(draw: st.DrawFn) -> list[str]:
    names = draw(st.lists(st.sampled_from(ORDERABLE), min_size=0, max_size=3, unique=True))
    return [f"{draw(st.sampled_from(['ASC', 'DESC']))}:{n}" for n in names]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
@given(order=orderings(), limit=st.integers(1, 9), where=st.sampled_from(
    [None, "N > 0", "Slug IS NOT NULL", "B = true IS NOT TRUE"]))  # fmt: skip
def test_pages_are_exact(
    conns: dict[str, Conn], order: list[str], limit: int, where: str | None
) -> None:
    pages = Paginator(b"test")
    query = ListQuery(schema=KEYED, where=where, order_by=order, limit=limit, extended=True)
    want = [e["Pk"] for e in query.model_copy(update={"limit": None}).apply(ENTITIES, after=())]
    for name, conn in conns.items():
        got: list[int] = []
        token: str | None = None
        for _ in range(len(ENTITIES) + 2):
            current = query.model_copy(update={"continuation": token})
            if conn.loop is None:
                result = page(conn.conn, current, THINGS, pages)
            else:
                from wherelang.sqlalchemy import apage

                result = conn.loop.run_until_complete(apage(conn.conn, current, THINGS, pages))
            assert len(result.items) <= limit
            got += [int(item["Pk"]) for item in result.items]
            token = result.continuation
            if token is None:
                break
        assert got == want, (name, order, limit, where)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
@given(order=orderings(), limit=st.integers(1, 12), where=st.sampled_from(
    [None, "M < 5", "Name IS NULL", "Labels.tier IS NOT NULL"]))  # fmt: skip
def test_list_query_to_sql_pages_are_exact_too(
    conns: dict[str, Conn], order: list[str], limit: int, where: str | None
) -> None:
    """ListQuery.to_sql's own ORDER BY, LIMIT and keyset text: the same pages."""
    query = ListQuery(schema=KEYED, where=where, order_by=order, limit=limit, extended=True)
    want = [e["Pk"] for e in query.model_copy(update={"limit": None}).apply(ENTITIES, after=())]
    for name, conn in conns.items():
        got: list[int] = []
        after: tuple[Any, ...] | None = None
        for _ in range(len(ENTITIES) + 2):
            statement = query.to_sql(conn.dialect, table=TABLE, after=after)
            rows = [statement.shape(r) for r in conn.driver_sql(statement.sql, statement.params)]
            assert len(rows) <= limit
            got += [int(r["Pk"]) for r in rows]
            if len(rows) < limit:
                break
            after = query.key_of(rows[-1])
        assert got == want, (name, order, limit, where)


def test_sessions_sync_and_async_on_postgres() -> None:
    """page() on an ORM Session and apage() on an AsyncSession (psycopg), over tables of
    their own (a prefix unique to this run), give ListQuery.apply's pages."""
    import os

    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from wherelang.server import load_sample
    from wherelang.sqlalchemy import apage

    url = _url(PG_DSN, "psycopg")
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
        engine.connect().close()
    except Exception as exc:
        unavailable("postgres", f"{type(exc).__name__}: {exc}")
    prefix = f"wl13s{os.getpid()}_"
    tables = load_sample(engine, prefix=prefix)
    pages = Paginator(b"k")
    query = ListQuery(schema=UNIT, where="Labels.tier = 'backend'", include=["SpaceID"],
                      order_by="DESC:UpdatedAt", limit=30)  # fmt: skip
    want = list(query.model_copy(update={"limit": None}).apply(
        sample.entities("Unit"), resolver=sample.store(), after=()))  # fmt: skip

    def ids(items: list[Any]) -> list[str]:
        return [i["Unit"]["UnitID"] for i in items]

    async def async_pages() -> list[Any]:
        aengine = create_async_engine(url)
        out: list[Any] = []
        token = None
        async with AsyncSession(aengine) as session:
            while True:
                current = query.model_copy(update={"continuation": token})
                result = await apage(session, current, tables["Unit"], pages, related=tables)
                out += result.items
                token = result.continuation
                if token is None:
                    break
        await aengine.dispose()
        return out

    try:
        got: list[Any] = []
        token = None
        with Session(engine) as session:
            while True:
                current = query.model_copy(update={"continuation": token})
                result = page(session, current, tables["Unit"], pages, related=tables)
                got += result.items
                token = result.continuation
                if token is None:
                    break
        assert ids(got) == ids(want) and len(got) > 30
        assert [i["Space"]["Slug"] for i in got] == [i["Space"]["Slug"] for i in want]
        assert ids(asyncio.run(async_pages())) == ids(want)
    finally:
        with engine.begin() as conn:
            for table in tables.values():
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table.name}"')
        engine.dispose()


# --- list references (Prefix.*.Attr) and one-hop prefixes: the differential suite ------------
#
# path_schema()'s Unit, with a relation to one Link beside the list (MainLink, through
# MainLinkID), over test_paths_engines' generated Units and Links. The same relation
# FromLink reached three ways, each compiled by where_clause: a Table with related= (the
# ID list FromLinkID, as to_sql's Related(via=...)), a mapped class's one-to-many
# relationship (the Link's OwnerID) and a mapped class's many-to-many relationship (a
# secondary table). Each must select to_sql's rows and the in-memory rows.

from dataclasses import replace as _replace  # noqa: E402

from sqlalchemy.orm import registry as _registry  # noqa: E402
from test_paths_engines import LINKS as PATH_LINKS  # noqa: E402
from test_paths_engines import UNITS as PATH_UNITS  # noqa: E402

from wherelang.evaluate import Predicate  # noqa: E402
from collections import Counter  # noqa: E402

from wherelang.nodes import And, Attr, Compare, In, IsNull, Len, Literal, Not, Op, Or, Truth  # noqa: E402
from wherelang.schema import Attribute, Relation, Type  # noqa: E402
from wherelang.strategies import path_expressions, path_schema  # noqa: E402

_PATH = path_schema()
_LINK = _PATH.related("FromLink")
assert _LINK is not None
LINK = Schema("Link", [*_LINK.attributes.values(), Attribute("OwnerID", Type.of("uuid"))], id="LinkID")
_SCHEMAS = {"Link": LINK}
LISTING = Schema(
    "Unit",
    [*_PATH.attributes.values(), Attribute("MainLinkID", Type.of("uuid"))],
    [*_PATH.relations.values(), Relation("MainLink", "MainLinkID", "Link")],
    id="UnitID", resolver=_SCHEMAS.get,
)  # fmt: skip
LINK_TABLE, UNIT_TABLE, PAIR_TABLE = "sa_list_links", "sa_list_units", "sa_list_pairs"
PAIR = Schema("Pair", [Attribute("unit_id", Type.of("uuid")), Attribute("link_id", Type.of("uuid"))])


def _listing_data() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The Units (each with its Links under FromLink and its MainLink, the first one,
    a dangling ID or none), the Links (with their owner) and the pairs of the join table."""
    owner = {link_id: u["UnitID"] for u in PATH_UNITS for link_id in u.get("FromLinkID", ())}
    links = [{**link, "OwnerID": owner.get(link["LinkID"])} for link in PATH_LINKS]
    by_id = {link["LinkID"]: link for link in links}
    units: list[dict[str, Any]] = []
    for i, unit in enumerate(PATH_UNITS):
        unit = {**unit, "FromLink": [by_id[x] for x in unit.get("FromLinkID", ())]}
        if i % 7 == 3:
            unit["MainLinkID"] = "99999999-0000-4000-8000-000000000000"  # no such Link
        elif unit["FromLink"] and i % 3:
            unit["MainLinkID"] = unit["FromLink"][0]["LinkID"]
            unit["MainLink"] = unit["FromLink"][0]
        units.append(unit)
    pairs = [{"unit_id": u["UnitID"], "link_id": x} for u in units for x in u.get("FromLinkID", ())]
    return units, links, pairs


LIST_UNITS, LIST_LINKS, LIST_PAIRS = _listing_data()
_META = sa.MetaData()
UNITS_T = sa.Table(UNIT_TABLE, _META, *[sa.Column(a) for a in LISTING.attributes if a != "MainLinkID"],
                   sa.Column("MainLinkID", sa.ForeignKey(f"{LINK_TABLE}.LinkID")))  # fmt: skip
LINKS_T = sa.Table(LINK_TABLE, _META, *[sa.Column(a) for a in LINK.attributes if a not in ("LinkID", "OwnerID")],
                   sa.Column("LinkID", primary_key=True),
                   sa.Column("OwnerID", sa.ForeignKey(f"{UNIT_TABLE}.UnitID")))  # fmt: skip
PAIRS_T = sa.Table(PAIR_TABLE, _META, sa.Column("unit_id", sa.ForeignKey(f"{UNIT_TABLE}.UnitID")),
                   sa.Column("link_id", sa.ForeignKey(f"{LINK_TABLE}.LinkID")))  # fmt: skip
# the Units' key, for the mappers (the table is the default layout's, without one)
UNITS_T.append_constraint(sa.PrimaryKeyConstraint(UNITS_T.c.UnitID))



def _json_table(name: str, schema: Schema) -> sa.Table:
    """The table in plain json columns (PostgreSQL), declared JSON."""
    containers = [a.name for a in schema.attributes.values() if a.type.is_container or a.type.kind.name == "JSON"]
    return sa.Table(name + "_json", sa.MetaData(),
                    *[sa.Column(a, sa.JSON) if a in containers else sa.Column(a) for a in schema.attributes])  # fmt: skip


UNITS_JSON, LINKS_JSON = _json_table(UNIT_TABLE, LISTING), _json_table(LINK_TABLE, LINK)


class OneToMany:
    """A Unit whose Links are the ones it owns (Link.OwnerID)."""


class ManyToMany:
    """A Unit whose Links are paired with it in a secondary table."""


class LinkRow:
    pass


_ORM = _registry()
_ORM.map_imperatively(LinkRow, LINKS_T)
_ORM.map_imperatively(OneToMany, UNITS_T, properties={
    "FromLink": sa.orm.relationship(LinkRow, foreign_keys=[LINKS_T.c.OwnerID], viewonly=True),
    "MainLink": sa.orm.relationship(LinkRow, foreign_keys=[UNITS_T.c.MainLinkID], viewonly=True),
})  # fmt: skip
_ORM.map_imperatively(ManyToMany, UNITS_T, properties={
    "FromLink": sa.orm.relationship(LinkRow, secondary=PAIRS_T, viewonly=True),
    "MainLink": sa.orm.relationship(LinkRow, foreign_keys=[UNITS_T.c.MainLinkID], viewonly=True),
})  # fmt: skip


def _to_one(node: Any) -> Any:
    """The tree with every ``FromLink.*.X`` made ``MainLink.X``: a one-hop prefix."""
    if isinstance(node, Attr) and node.each:
        return _replace(node, segments=("MainLink", *node.segments[2:]), hops=("MainLink",), each=False)
    if isinstance(node, Len):
        return _replace(node, path=_to_one(node.path))
    if isinstance(node, Compare):
        return _replace(node, left=_to_one(node.left), right=_to_one(node.right))
    if isinstance(node, (In, IsNull)):
        return _replace(node, operand=_to_one(node.operand))
    if isinstance(node, (Truth, Not)):
        return _replace(node, expr=_to_one(node.expr))
    if isinstance(node, (And, Or)):
        return _replace(node, items=tuple(_to_one(i) for i in node.items))
    return node


def _mixed(pair: tuple[Any, Any]) -> Any:
    """Two generated trees joined, the second's list references made one-hop prefixes."""
    first, second = pair
    return And((first, _to_one(second)))


listing_expressions = st.one_of(
    path_expressions(),
    path_expressions(json=False),  # MariaDB answers these too
    path_expressions(json=False).map(_to_one),
    path_expressions().map(_to_one),
    st.tuples(path_expressions(), path_expressions(json=False)).map(_mixed),
)


@pytest.fixture(scope="module")
def listing(conns: dict[str, Conn]) -> dict[str, Conn]:
    for name, conn in conns.items():
        conn.load(LISTING, UNIT_TABLE, LIST_UNITS)
        conn.load(LINK, LINK_TABLE, LIST_LINKS)
        conn.load(PAIR, PAIR_TABLE, LIST_PAIRS)
        if name.startswith("postgres"):
            conn.load(LISTING, UNITS_JSON.name, LIST_UNITS, json=True)
            conn.load(LINK, LINKS_JSON.name, LIST_LINKS, json=True)
    return conns


def _q(conn: Conn, name: str) -> str:
    return f"`{name}`" if conn.dialect == "mysql" else f'"{name}"'


def _list_raw(conn: Conn, expr: Expr) -> set[str] | WhereSqlError:
    """to_sql's text for the ID-list layout, the MainLink joined by hand."""
    mapping = {"FromLink": wsql.Related(LINK_TABLE, id="LinkID", via="FromLinkID"),
               "MainLink": wsql.Joined("MainLink")}  # fmt: skip
    try:
        clause = wsql.to_sql(expr, dialect=conn.dialect, mapping=mapping, table=UNIT_TABLE)
    except WhereSqlError as exc:
        return exc
    u, m = _q(conn, UNIT_TABLE), _q(conn, "MainLink")
    sql = (f"SELECT {u}.{_q(conn, 'UnitID')} FROM {u} LEFT JOIN {_q(conn, LINK_TABLE)} AS {m} "
           f"ON {m}.{_q(conn, 'LinkID')} = {u}.{_q(conn, 'MainLinkID')} WHERE {clause.sql}")  # fmt: skip
    return {str(r[0]).lower() for r in conn.driver_sql(sql, clause.params)}


#: the three layouts of FromLink, as where_clause is called for each
LAYOUTS: dict[str, Callable[[Expr], Any]] = {
    "table with related=": lambda e: where_clause(e, UNITS_T, schema=LISTING,
                                                  related={"FromLink": LINKS_T, "MainLink": LINKS_T}),
    "one-to-many relationship": lambda e: where_clause(e, OneToMany, schema=LISTING),
    "many-to-many relationship": lambda e: where_clause(e, ManyToMany, schema=LISTING),
}  # fmt: skip


def JSON_LAYOUT(e: Expr) -> Any:
    return where_clause(e, UNITS_JSON, schema=LISTING, related={"FromLink": LINKS_JSON, "MainLink": LINKS_JSON})


def check_listing(conns: dict[str, Conn], expr: Expr) -> None:
    predicate = Predicate(expr, LISTING)
    mem = {u["UnitID"] for u in LIST_UNITS if predicate(u)}
    for name, conn in conns.items():
        raw = _list_raw(conn, expr)
        layouts = dict(LAYOUTS)
        if name.startswith("postgres"):
            layouts["json columns, related="] = JSON_LAYOUT
        for layout, clause_of in layouts.items():
            table = UNITS_JSON if clause_of is JSON_LAYOUT else UNITS_T
            try:
                rows = conn.run(sa.select(table.c.UnitID).where(clause_of(expr)))
            except WhereSqlError as exc:
                assert isinstance(raw, WhereSqlError) and exc.code == raw.code, (name, layout, str(expr), exc)
                continue
            assert not isinstance(raw, WhereSqlError), (name, layout, str(expr), raw)
            got = {str(r[0]).lower() for r in rows}
            assert got == raw == mem, (name, layout, str(expr), sorted(got), sorted(raw), sorted(mem))


@DIFFERENTIAL
@given(expr=listing_expressions)
def test_list_references_and_prefixes_agree(listing: dict[str, Conn], expr: Expr) -> None:
    check_listing(listing, expr)


def _each(name: str, type: str = "string") -> Attr:
    return Attr(("FromLink", "*", name), ("FromLink",), name, None, Type.of(type), each=True)


def _one(name: str, type: str = "string") -> Attr:
    return Attr(("MainLink", name), ("MainLink",), name, None, Type.of(type))


_SLUG = Counter(link.get("Slug") for link in LIST_LINKS if link.get("Slug")).most_common(1)[0][0]
#: conditions and the SQL written by hand for them (over u, the Units; l, a Link; m,
#: the MainLink), for the one-to-many layout: what SQL means by them
HAND = [
    (Compare(_each("Slug"), Op.EQ, Literal(_SLUG)),
     "EXISTS (SELECT 1 FROM {links} l WHERE l.{OwnerID} = u.{UnitID} AND l.{Slug} = :v)"),
    (Compare(_each("Slug"), Op.NE, Literal(_SLUG)),
     "EXISTS (SELECT 1 FROM {links} l WHERE l.{OwnerID} = u.{UnitID} AND l.{Slug} <> :v)"),
    (IsNull(_each("Slug")),
     "EXISTS (SELECT 1 FROM {links} l WHERE l.{OwnerID} = u.{UnitID} AND l.{Slug} IS NULL)"),
    (Not(Compare(_each("Weight", "int"), Op.GT, Literal(0))),
     "NOT EXISTS (SELECT 1 FROM {links} l WHERE l.{OwnerID} = u.{UnitID} AND l.{Weight} > 0)"),
    (In(_each("Weight", "int"), (Literal(1), Literal(3)), True),
     "EXISTS (SELECT 1 FROM {links} l WHERE l.{OwnerID} = u.{UnitID} AND l.{Weight} NOT IN (1, 3))"),
    (IsNull(_one("Slug")),
     "EXISTS (SELECT 1 FROM (SELECT 1 AS one) AS o LEFT JOIN {links} m ON m.{LinkID} = u.{MainLinkID} "
     "WHERE m.{Slug} IS NULL)"),
    (Or((Compare(_one("Weight", "int"), Op.GE, Literal(1)), Compare(_each("Slug"), Op.EQ, Literal(_SLUG)))),
     "EXISTS (SELECT 1 FROM {links} m WHERE m.{LinkID} = u.{MainLinkID} AND m.{Weight} >= 1) "
     "OR EXISTS (SELECT 1 FROM {links} l WHERE l.{OwnerID} = u.{UnitID} AND l.{Slug} = :v)"),
]  # fmt: skip


@pytest.mark.parametrize("expr, sql", HAND, ids=[str(e) for e, _ in HAND])
def test_list_references_as_written_by_hand(listing: dict[str, Conn], expr: Expr, sql: str) -> None:
    names = {n: n for n in ("OwnerID", "UnitID", "Slug", "Weight", "LinkID", "MainLinkID")}
    for name, conn in listing.items():
        quoted = {k: _q(conn, v) for k, v in names.items()}
        text = sa.text(sql.format(links=_q(conn, LINK_TABLE), **quoted))
        if ":v" in sql:
            text = text.bindparams(v=_SLUG)
        hand = {str(r[0]).lower() for r in conn.run(
            sa.select(sa.literal_column("u." + _q(conn, "UnitID")))
            .select_from(UNITS_T.alias("u")).where(text))}  # fmt: skip
        assert 0 < len(hand) < len(LIST_UNITS), (name, str(expr), len(hand))
        check_listing({name: conn}, expr)
        got = {str(r[0]).lower() for r in conn.run(
            sa.select(UNITS_T.c.UnitID).where(where_clause(expr, OneToMany, schema=LISTING)))}  # fmt: skip
        assert got == hand, (name, str(expr), sorted(got ^ hand))


def test_the_compiled_clause_is_cached_under_its_values(conns: dict[str, Conn]) -> None:
    """SQLAlchemy's statement cache serves a repeated clause; another literal is another
    statement (the values are bound inside the compiled form), never the first's rows."""
    from sql_engines import parse as parse_thing

    texts = ["Slug = 'a' AND N > 0", "Slug = 'A' AND N > 0", "Labels.tier = 'env'", "Labels.tier = 'tier'"]
    for name, conn in conns.items():
        if conn.loop is not None:
            continue
        for text in texts:
            expr = parse_thing(text)
            want = memory(expr)
            for attempt in range(2):
                result = conn.conn.execute(sa.select(THINGS.c.Pk).where(where_clause(expr, THINGS)))
                assert {int(r[0]) for r in result} == want, (name, text)
                if attempt:
                    assert result.context.cache_hit == result.context.cache_hit.CACHE_HIT, (name, text)


@pytest.mark.parametrize("params", [
    {},
    {"where": "Labels.tier = 'backend'", "select": "Slug,Labels,CreatedAt", "order_by": "ASC:Slug"},
    {"include": "SpaceID", "where": "Space.Labels.Environment = 'prod'"},
    {"include": "SpaceID,UpstreamSpaceID", "contains": "ledger"},
])  # fmt: skip
def test_the_json_body_is_the_shaped_rows(samples: dict[str, Conn], params: dict[str, str]) -> None:
    """ListStatement.json (the server's body, the stored JSON text copied) parses to what
    shape gives row by row, on every engine, extended entities and NULL ones too."""
    import json

    from wherelang.sqlalchemy import list_select

    meta = sa.MetaData()
    tables = {"Unit": _table("sa_units", UNIT, meta), "Space": _table("sa_spaces", SPACE, meta)}
    query = ListQuery.from_params(params, schema=UNIT)
    listing = list_select(query, tables["Unit"], related=tables)
    for name, conn in samples.items():
        rows = conn.run(listing.statement)
        assert rows, (name, params)
        shaped = [listing.shape(r, conn.dialect) for r in rows]
        if "UpstreamSpaceID" in params.get("include", ""):  # a Unit without one: a null entity
            assert any(x["UpstreamSpace"] is None for x in shaped), (name, params)
        assert json.loads(listing.json(rows, conn.dialect)) == shaped, (name, params)


@pytest.mark.parametrize("mapping", [{"Labels": "Doc"}, {"Slug": wsql.JsonPath("Doc", "s")}])
def test_caller_mapping_onto_plain_json_column_reads_jsonb(mapping: dict[str, Any]) -> None:
    """A mapping entry the caller gives that lands on a column declared JSON (not JSONB)
    is read as jsonb on PostgreSQL, as the default columns are; other dialects read the
    column as it is."""
    from sqlalchemy.dialects import mysql, postgresql

    expr = parse("Labels.env = 'x' AND Slug = 'a'", schema=SCHEMA)
    statement = sa.select(THINGS_JSON.c.Pk).where(where_clause(expr, THINGS_JSON, mapping=mapping))
    assert f'CAST("{JSON_TABLE}"."Doc" AS JSONB)' in str(statement.compile(dialect=postgresql.dialect()))
    assert "JSONB" not in str(statement.compile(dialect=mysql.dialect())).upper()
