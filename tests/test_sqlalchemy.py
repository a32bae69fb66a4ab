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


def _load(conn: Any, schema: Schema, table: str, entities: list[dict[str, Any]]) -> None:
    dialect = dialect_of(conn.dialect)
    name = {"postgres": "postgres", "mysql": "mariadb"}.get(dialect, dialect)
    conn.exec_driver_sql(drop_temporary(name, table))
    conn.exec_driver_sql(temporary(name, wsql.create_table(schema, dialect, table=table)))
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

    def load(self, schema: Schema, table: str, entities: list[dict[str, Any]]) -> None:
        if self.loop is None:
            _load(self.conn, schema, table, entities)
        else:
            self.loop.run_until_complete(
                self.conn.run_sync(lambda sync: _load(sync, schema, table, entities))
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
        out[name] = conn
    yield out
    for conn in out.values():
        if conn.loop is None:
            conn.conn.close()
        else:
            conn.loop.run_until_complete(conn.conn.close())
            conn.loop.close()


THINGS = _table(TABLE, SCHEMA, sa.MetaData())


def _raw(conn: Conn, expr: Expr) -> set[int] | WhereSqlError:
    """to_sql's text, run on the same connection with the driver's placeholders."""
    try:
        clause = wsql.to_sql(expr, dialect=conn.dialect)
    except WhereSqlError as exc:
        return exc
    select = sqlglot.select(exp.column("Pk", quoted=True)).from_(exp.table_(TABLE, quoted=True))
    rows = conn.driver_sql(f"{select.sql(dialect=conn.dialect)} WHERE {clause.sql}", clause.params)
    return {int(r[0]) for r in rows}


def _clause(conn: Conn, expr: Expr) -> set[int] | WhereSqlError:
    try:
        rows = conn.run(sa.select(THINGS.c.Pk).where(where_clause(expr, THINGS)))
    except WhereSqlError as exc:
        return exc
    return {int(r[0]) for r in rows}


def check(conns: dict[str, Conn], expr: Expr) -> None:
    mem = memory(expr)
    text = str(expr)
    for name, conn in conns.items():
        raw, got = _raw(conn, expr), _clause(conn, expr)
        if isinstance(raw, WhereSqlError):
            assert isinstance(got, WhereSqlError) and got.code == raw.code, (name, text, got)
            continue
        assert got == raw, (name, text, sorted(got) if isinstance(got, set) else got, sorted(raw))
        if mem is not None:
            assert got == mem, ("memory", name, text, sorted(got), sorted(mem))


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
