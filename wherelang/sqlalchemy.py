"""SQLAlchemy 2: a where expression as a clause of your table, a list query as a select.

:func:`where_clause` turns a typed expression into a ``ColumnElement[bool]`` for a mapped
class or a ``Table``; :func:`list_select` turns a whole :class:`~wherelang.ListQuery`
(where, saved filter, contains, select, include, order_by, limit and the continuation's
position) into a ``select()``; :func:`page` and :func:`apage` run it on a connection or
session, sync or async, and return a :class:`~wherelang.pagination.Page`.

The SQL inside is :func:`wherelang.to_sql`'s for the dialect the statement is compiled
for (PostgreSQL, MariaDB, SQLite, DuckDB), so it means what the in-memory evaluator
means; every value is a bound parameter.

>>> import sqlalchemy as sa
>>> from wherelang import confighub, parse
>>> from wherelang.sqlalchemy import where_clause, prepare
>>> meta = sa.MetaData()
>>> units = sa.Table("units", meta, sa.Column("UnitID", sa.String, primary_key=True),
...                  sa.Column("Slug", sa.String), sa.Column("Labels", sa.JSON))
>>> engine = prepare(sa.create_engine("sqlite://"))
>>> meta.create_all(engine)
>>> with engine.begin() as conn:
...     _ = conn.execute(units.insert(), [
...         {"UnitID": "1", "Slug": "api", "Labels": {"tier": "backend"}},
...         {"UnitID": "2", "Slug": "web", "Labels": {"tier": "frontend"}}])
...     cond = where_clause(parse("Labels.tier = 'backend'", schema=confighub.schema("Unit")),
...                         units)
...     conn.execute(sa.select(units.c.Slug).where(cond)).scalars().all()
['api']
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean, NullType

from . import sql as wsql
from .errors import WhereSqlError, too_deep
from .nodes import Attr, Expr, walk
from .pagination import Page, Paginator
from .parser import parse
from .query import FilterStore, ListQuery, where_sql
from .schema import Attribute, Kind, Schema, Type

__all__ = [
    "where_clause",
    "list_select",
    "ListStatement",
    "page",
    "apage",
    "prepare",
    "dialect_of",
    "api_value",
]

#: SQLAlchemy dialect names and the wherelang engine whose SQL they run
DIALECTS = {
    "postgresql": "postgres",
    "sqlite": "sqlite",
    "mysql": "mysql",
    "mariadb": "mysql",
    "duckdb": "duckdb",
}

#: How each engine orders text by code point, as the evaluator does.
_CODE_POINT_ORDER = {
    "postgres": ' COLLATE "C"',
    "mysql": " COLLATE utf8mb4_nopad_bin",
    "sqlite": " COLLATE BINARY",
    "duckdb": "",
}


def dialect_of(dialect: sa.engine.interfaces.Dialect) -> str:
    """The wherelang engine for a SQLAlchemy dialect (``str(statement)``, compiled
    without one, shows PostgreSQL's SQL)."""
    if dialect.name == "default":
        return "postgres"
    found = DIALECTS.get(dialect.name)
    if found is None:
        raise WhereSqlError(
            "sql-unsupported",
            f"wherelang has no SQL for the SQLAlchemy dialect {dialect.name}",
            hint="the verified engines are PostgreSQL, MariaDB, SQLite and DuckDB",
        )
    return found


def prepare(engine: Any) -> Any:
    """Register on every new SQLite connection of ``engine`` (sync or async) the
    functions wherelang's SQLite SQL calls; other engines need nothing. Returns it.

    The (I)LIKE functions are remembered for recent (text, pattern) pairs: they are
    pure, and ``contains`` calls them for each searchable text of every row, the
    same texts query after query."""
    sync = getattr(engine, "sync_engine", engine)
    if sync.dialect.name == "sqlite":

        def connect(dbapi_connection: Any, _record: Any) -> None:
            raw = getattr(dbapi_connection, "driver_connection", dbapi_connection)
            if hasattr(raw, "create_function"):
                wsql.prepare_sqlite(raw)
                for name, function in _REMEMBERED.items():
                    raw.create_function(name, 2, function, deterministic=True)

        sa.event.listen(sync, "connect", connect)
    return engine


def _remembered() -> dict[str, Callable[[Any, Any], int | None]]:
    from .sql.engines.sqlite import _sqlite_ilike, _sqlite_like

    return {"wherelang_like": lru_cache(maxsize=1 << 15)(_sqlite_like),
            "wherelang_ilike": lru_cache(maxsize=1 << 15)(_sqlite_ilike)}  # fmt: skip


_REMEMBERED = _remembered()


# --- SQL text compiled late, with bound parameters ---------------------------------------


class _WhereSql(ColumnElement[bool]):
    """A condition wherelang compiles when SQLAlchemy compiles the statement, for the
    dialect of the engine that runs it.

    ``key`` determines the SQL and its values (the typed condition, with its literals,
    and where its attributes live): SQLAlchemy's statement cache keeps the compiled
    statement under it, so a repeated query is compiled once. The values are bound
    inside the compiled form, so they must be in the key."""

    _traverse_internals = [("key", InternalTraversal.dp_plain_obj)]
    type = Boolean()

    def __init__(self, build: Callable[[str], wsql.SqlClause | None], key: str) -> None:
        self.build = build
        self.key = key


@compiles(_WhereSql)
def _compile_where(element: _WhereSql, compiler: Any, **kw: Any) -> str:
    clause = element.build(dialect_of(compiler.dialect))
    if clause is None:
        return "1 = 1"
    return "(" + _bind(clause, compiler, **kw) + ")"


def _bind(clause: wsql.SqlClause, compiler: Any, **kw: Any) -> str:
    """``clause.sql`` with each driver placeholder replaced by a SQLAlchemy bind
    parameter holding the value (in the driver's form already: no type processing)."""
    pieces = _split(clause.sql, "?" if clause.dialect in ("sqlite", "duckdb") else "%s")
    if len(pieces) != len(clause.params) + 1:
        raise WhereSqlError(
            "sql-unsupported",
            "the compiled condition's placeholders do not match its values",
            hint="report this with the expression",
        )
    out = [pieces[0]]
    for value, piece in zip(clause.params, pieces[1:]):
        param = sa.bindparam("wl", value, type_=NullType(), unique=True)
        out.append(compiler.process(param, **kw))
        out.append(piece)
    return "".join(out)


def _split(sql: str, mark: str) -> list[str]:
    """The text between placeholders, as the driver reads them: ``%s`` (``%%`` is a
    percent sign), or ``?`` outside quoted strings and identifiers."""
    pieces: list[str] = []
    buf: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if mark == "%s" and ch == "%" and i + 1 < n:
            if sql[i + 1] == "s":
                pieces.append("".join(buf))
                buf = []
            else:
                buf.append(sql[i : i + 2])
            i += 2
            continue
        if mark == "?" and ch in "'\"`":
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            buf.append(sql[i : j + 1])
            i = j + 1
            continue
        if mark == "?" and ch == "?":
            pieces.append("".join(buf))
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    pieces.append("".join(buf))
    return pieces


class _CodePoints(ColumnElement[Any]):
    """A text column ordered and compared by code point on every engine."""

    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type


@compiles(_CodePoints)
def _compile_code_points(element: _CodePoints, compiler: Any, **kw: Any) -> str:
    text = compiler.process(element.column, **kw)
    return f"{text}{_CODE_POINT_ORDER[dialect_of(compiler.dialect)]}"


class _Stored(ColumnElement[Any]):
    """A sort key value, bound in the form the default layout stores it for the engine
    (bound inside the compiled form: the cache key holds the value)."""

    _traverse_internals = [("key", InternalTraversal.dp_plain_obj)]

    def __init__(self, value: Any, type: Type) -> None:
        self.value = value
        self.wtype = type
        self.type = NullType()
        self.key = repr((value, type))


@compiles(_Stored)
def _compile_stored(element: _Stored, compiler: Any, **kw: Any) -> str:
    schema = Schema("key", [Attribute("v", element.wtype)])
    stored = wsql.row(schema, {"v": element.value}, dialect_of(compiler.dialect))[0]
    param = sa.bindparam("wl_key", stored, type_=NullType(), unique=True)
    return str(compiler.process(param, **kw))


# --- tables, mapped classes and their columns ----------------------------------------------


@dataclass
class _Source:
    """A table (or a mapped class's table) as wherelang sees it."""

    table: Any  # a FromClause: Table or alias
    name: str
    columns: dict[str, Any]  # attribute -> column
    relationships: dict[str, Any]  # field -> the mapper's RelationshipProperty


def _source(model_or_table: Any, schema: Schema | None) -> _Source:
    if isinstance(model_or_table, sa.sql.FromClause):
        table = model_or_table
        by_name = {c.name: c for c in table.c}
        by_key = {c.key: c for c in table.c}
        relationships: dict[str, Any] = {}
    else:
        mapper = sa.inspect(model_or_table, raiseerr=False)
        if mapper is None or not hasattr(mapper, "local_table"):
            raise TypeError(f"expected a mapped class or a Table, not {model_or_table!r}")
        table = mapper.local_table
        by_name = {c.name: c for c in table.c}
        by_key = {prop.key: prop.columns[0] for prop in mapper.column_attrs}
        relationships = {rel.key: rel for rel in mapper.relationships}
    columns: dict[str, Any] = dict(by_name)
    columns.update(by_key)
    if schema is not None:
        for attr in schema.attributes.values():
            for name in (attr.name, attr.python_name):
                if name is not None and name in by_key:
                    columns[attr.name] = by_key[name]
                    break
    return _Source(table, str(getattr(table, "name", "")), columns, relationships)


def _targets(
    source: _Source, names: set[str], mapping: Mapping[str, Any] | None, *, qualify: bool = True
) -> dict[str, wsql.Target]:
    """The to_sql mapping of the attributes used: renamed columns, native arrays, plain
    JSON columns (read as jsonb on PostgreSQL). ``qualify``: name the table in each (not
    inside a relation, whose alias to_sql names)."""
    table = source.name if qualify else None
    json = _json_columns(source.table)
    out: dict[str, wsql.Target] = {}
    for name in names:
        given = (mapping or {}).get(name)
        if given is not None:
            out[name] = _as_json(_target(given, table), json, source.name)
            continue
        column = source.columns.get(name)
        if column is None:
            raise WhereSqlError(
                "sql-no-column",
                f"the table {source.name} has no column for the attribute {name}",
                hint="map the attribute to a column with mapping=",
            )
        if isinstance(column.type, sa.ARRAY):
            out[name] = wsql.ArrayColumn(column.name, table=table)
        elif column.name in json:
            out[name] = wsql.Column(column.name, table=table, plain_json=True)
        elif column.name != name:
            out[name] = wsql.Column(column.name, table=table)
    for name, given in (mapping or {}).items():
        if name not in out:
            out[name] = _as_json(_target(given, table), json, source.name)
    return out


def _as_json(target: wsql.Target, json: set[str], table: str) -> wsql.Target:
    """``target`` marked ``plain_json`` when it reads one of ``table``'s plain JSON
    columns (``json``)."""
    if not json:
        return target
    if isinstance(target, str):
        return wsql.Column(target, plain_json=True) if target in json else target
    if isinstance(target, (wsql.Column, wsql.JsonPath)) and target.table in (None, table):
        name = target.name if isinstance(target, wsql.Column) else target.column
        if name in json and not target.plain_json:
            if isinstance(target, wsql.Column):
                return wsql.Column(target.name, target.table, plain_json=True)
            return wsql.JsonPath(target.column, *target.path, table=target.table, plain_json=True)
    return target


def _target(given: Any, table: str | None) -> wsql.Target:
    if isinstance(given, sa.Column):
        return wsql.Column(given.name, table=table)
    if isinstance(given, (str, wsql.Column, wsql.JsonPath, wsql.ArrayColumn, wsql.MapColumn, wsql.Joined)):
        return given
    raise TypeError(f"a mapping value is a column name, a Column or a wherelang.sql target, "
                    f"not {given!r}")  # fmt: skip


def _own_names(expr: Expr) -> set[str]:
    return {n.name for n in walk(expr) if isinstance(n, Attr) and not n.hops}


def _reached(expr: Expr, each: bool) -> dict[str, set[str]]:
    """The related entity's attributes each relation reaches, for list references
    (``FromLink.*.Slug``, ``each``) or for relations to one entity."""
    found: dict[str, set[str]] = {}
    for node in walk(expr):
        if isinstance(node, Attr) and node.hops and node.each == each:
            found.setdefault(node.hops[0], set()).add(node.name)
    return found


def _given(field: str, schema: Schema | None, related: Mapping[str, Any] | None) -> Any:
    """The table or model ``related=`` gives for a relation, by field or entity name."""
    if not related:
        return None
    given = related.get(field)
    relation = schema.relation(field) if schema is not None else None
    if given is None and relation is not None:
        given = related.get(relation.entity)
    return given


def _related(
    source: _Source,
    field: str,
    schema: Schema | None,
    related: Mapping[str, Any] | None,
) -> tuple[Any, Any]:
    """(the alias named ``field`` of the related table, the ON condition to the main
    table) for a relation hop."""
    relation = schema.relation(field) if schema is not None else None
    given = _given(field, schema, related)
    if relation is not None and relation.many:
        raise WhereSqlError(
            "sql-include-many",
            f"{relation.via} relates to many {relation.entity} entities; SQL joins only one",
            hint=f"test them with {field}.*.<attribute> in where, or filter in memory with apply()",
        )
    if given is not None:
        if relation is None or schema is None:
            raise WhereSqlError("sql-unknown-relation", f"{field} is no relation of the schema")
        other = schema.related(field)
        if other is None or other.id is None:
            raise WhereSqlError(
                "sql-unknown-relation", f"the related entity {field} has no known schema"
            )
        target = _source(given, other)
        pairs = [(relation.via, target.columns[other.id].name)]
        local_table = target.table
    elif field in source.relationships:
        rel = source.relationships[field]
        if rel.uselist:
            raise WhereSqlError(
                "sql-include-many",
                f"the relationship {field} of {source.name} holds many entities; SQL joins only one",
                hint=f"test them with {field}.*.<attribute> in where",
            )
        local_table = rel.mapper.local_table
        pairs = [(local.name, remote.name) for local, remote in rel.local_remote_pairs]
    else:
        raise WhereSqlError(
            "sql-unknown-relation",
            f"no table is known for the relation {field} of {source.name}",
            hint=f"pass related={{'{field}': <table or model>}} or declare a relationship "
            f"named {field}",
        )
    alias = sa.alias(local_table, name=field)
    on = sa.and_(*[alias.c[remote] == _column(source, local) for local, remote in pairs])
    return alias, on


def _listed(
    source: _Source,
    field: str,
    names: set[str],
    schema: Schema | None,
    related: Mapping[str, Any] | None,
) -> wsql.Related:
    """The to_sql :class:`~wherelang.sql.Related` of a list reference (``FromLink`` of
    ``FromLink.*.Slug``): with ``related=``, the rows whose ID
    this entity's list attribute holds (the relation's ``via``); else the model's
    relationship of that name, one-to-many (the related rows' foreign key) or
    many-to-many (its secondary table). ``names``: the related attributes used."""
    relation = schema.relation(field) if schema is not None else None
    other = schema.related(field) if schema is not None else None
    given = _given(field, schema, related)
    if given is not None:
        if relation is None or other is None or other.id is None:
            raise WhereSqlError(
                "sql-unknown-relation",
                f"{field} is no list reference of the schema with a known related entity",
            )
        target = _source(given, other)
        id_column = _column(target, other.id)
        inner = _targets(target, names, None, qualify=False)
        table = _plain_name(target.table)
        return wsql.Related(table, id=id_column.name, via=relation.via, mapping=inner)
    rel = source.relationships.get(field)
    if rel is None:
        raise WhereSqlError(
            "sql-unknown-relation",
            f"no table is known for the list reference {field} of {source.name}",
            hint=f"pass related={{'{field}': <table or model>}} or declare a relationship "
            f"named {field}",
        )
    target = _source(rel.mapper.class_, other)
    inner = _targets(target, names, None, qualify=False)
    table = _plain_name(target.table)
    if rel.secondary is not None:
        # many-to-many: a row of the secondary table pairs the owner's key with the target's
        owner_pairs, target_pairs = rel.synchronize_pairs, rel.secondary_synchronize_pairs
        if len(owner_pairs) != 1 or len(target_pairs) != 1:
            raise _composite(field)
        (owner, link_owner), (target_key, link_target) = owner_pairs[0], target_pairs[0]
        join = wsql.JoinTable(_plain_name(rel.secondary), owner=link_owner.name,
                              target=link_target.name, key=owner.name)  # fmt: skip
        return wsql.Related(table, id=target_key.name, join=join, mapping=inner)
    if rel.direction is sa.orm.interfaces.ONETOMANY:
        # one-to-many: the related rows whose foreign key is the owner's key (the related
        # table read as its own join table, its primary key naming each row)
        keys = list(rel.mapper.primary_key)
        if len(rel.local_remote_pairs) != 1 or len(keys) != 1:
            raise _composite(field)
        owner, foreign = rel.local_remote_pairs[0]
        join = wsql.JoinTable(table, owner=foreign.name, target=keys[0].name, key=owner.name)
        return wsql.Related(table, id=keys[0].name, join=join, mapping=inner)
    raise WhereSqlError(
        "sql-unknown-relation",
        f"the relationship {field} of {source.name} relates to one entity, not a list",
        hint=f"write {field}.<attribute> (no *)",
    )


def _composite(field: str) -> WhereSqlError:
    return WhereSqlError(
        "sql-unsupported",
        f"the relationship {field} joins on several columns; a list reference takes one",
        hint="filter it in memory with apply()",
    )


def _plain_name(table: Any) -> str:
    """A table's name as to_sql writes it (it names no database schema)."""
    if getattr(table, "schema", None) is not None:
        raise WhereSqlError(
            "sql-unsupported",
            f"the table {table.schema}.{table.name} is in a database schema; a list "
            f"reference's SQL names tables without one",
            hint="put the schema on the connection's search_path",
        )
    return str(table.name)


def _column(source: _Source, name: str) -> Any:
    column = source.columns.get(name)
    if column is None:
        raise WhereSqlError("sql-no-column", f"the table {source.name} has no column {name}")
    return column


# --- plain JSON columns on PostgreSQL ----------------------------------------------------------

def _json_columns(table: Any) -> set[str]:
    """The columns of ``table`` declared ``JSON`` but not ``JSONB``: PostgreSQL's json
    has none of the jsonb operators and functions to_sql writes."""
    from sqlalchemy.dialects.postgresql import JSONB

    return {c.name for c in table.c if isinstance(c.type, sa.JSON) and not isinstance(c.type, JSONB)}


def _relation_targets(
    source: _Source,
    expr: Expr,
    schema: Schema | None,
    related: Mapping[str, Any] | None,
) -> tuple[dict[str, wsql.Target], dict[str, Any]]:
    """The to_sql mapping entries of the relations ``expr`` goes through (a
    :class:`~wherelang.sql.Joined` alias named after each relation to one entity, a
    :class:`~wherelang.sql.Related` per list reference), the joined relations (alias
    name -> (alias, ON condition))."""
    targets: dict[str, wsql.Target] = {}
    joined: dict[str, Any] = {}
    for field, names in _reached(expr, each=False).items():
        alias, on = _related(source, field, schema, related)
        other = schema.related(field) if schema is not None else None
        inner = _targets(_source(alias, other), names, None, qualify=False)
        targets[field] = wsql.Joined(field, mapping=inner)
        joined[field] = (alias, on)
    for field, names in _reached(expr, each=True).items():
        targets[field] = _listed(source, field, names, schema, related)
    return targets, joined


def _via_names(targets: Mapping[str, wsql.Target]) -> set[str]:
    """The owner's list attributes that list references read (``FromLinkID``)."""
    return {t.via for t in targets.values() if isinstance(t, wsql.Related) and t.via is not None}


# --- where_clause --------------------------------------------------------------------------


def where_clause(
    expr: Expr | str,
    model_or_table: Any,
    *,
    mapping: Mapping[str, Any] | None = None,
    schema: Schema | None = None,
    related: Mapping[str, Any] | None = None,
) -> ColumnElement[bool]:
    """A typed where expression as a condition on ``model_or_table`` (a mapped class or
    a ``Table``), for ``select(...).where(...)``.

    Attributes are the columns of the same name (or of the model attribute of that
    name); ``mapping`` points others elsewhere (a column name, a ``Column``, or a
    :mod:`wherelang.sql` target such as :class:`~wherelang.sql.JsonPath`). PostgreSQL
    ``ARRAY`` columns are read as native arrays, every other array and map as JSON
    (JSONB on PostgreSQL; a column declared ``JSON`` is cast to jsonb). A path through a
    relation (``Space.Labels.env``) becomes ``EXISTS`` over a LEFT JOIN to the related
    table: the model's relationship of that name, or ``related={"Space": spaces_table}``
    with ``schema``. A list reference (``FromLink.*.Slug = 'x'``) is ``EXISTS`` over
    the related rows: the model's one-to-many or many-to-many relationship of that
    name, or with ``related=`` the rows whose IDs the entity's list attribute holds.
    Text is parsed against ``schema``.
    """
    try:
        return _where_clause(expr, model_or_table, mapping, schema, related)
    except RecursionError:  # a tree built in code, nested past Python's recursion
        raise too_deep(WhereSqlError, "compile to SQL") from None


def _where_clause(
    expr: Expr | str,
    model_or_table: Any,
    mapping: Mapping[str, Any] | None,
    schema: Schema | None,
    related: Mapping[str, Any] | None,
) -> ColumnElement[bool]:
    if isinstance(expr, str):
        if schema is None:
            raise TypeError("where_clause needs schema= to parse text")
        expr = parse(expr, schema=schema)
    source = _source(model_or_table, schema)
    relations, joined = _relation_targets(source, expr, schema, related)
    targets = _targets(source, _own_names(expr) | _via_names(relations), mapping)
    targets.update(relations)
    frozen = dict(targets)
    typed = expr

    def build(dialect: str) -> wsql.SqlClause:
        return wsql.to_sql(typed, dialect=dialect, mapping=frozen, table=source.name)

    key = repr((typed, sorted(frozen.items()), source.name))
    condition: ColumnElement[bool] = _WhereSql(build, key)
    if not joined:
        return condition
    # The related rows joined to one row of nothing: the main table's columns are outer
    # references, so the condition sees exactly the LEFT JOIN's row, NULLs and all.
    rows: Any = sa.select(sa.literal(1).label("wl_one")).subquery("wl_one")
    for alias, on in joined.values():
        rows = rows.outerjoin(alias, on)
    inner = sa.select(sa.literal(1)).select_from(rows).where(condition)
    return sa.exists(inner.correlate(source.table))


# --- list queries --------------------------------------------------------------------------


def _api_time(value: Any) -> str | None:
    from .times import read_time  # a stored value: the evaluator's reader

    moment = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        moment = read_time(value)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    v = moment.astimezone(timezone.utc)
    fraction = f".{v.microsecond:06d}".rstrip("0") if v.microsecond else ""
    return f"{v:%Y-%m-%dT%H:%M:%S}{fraction}Z"


def api_value(value: Any, type: Type, *, json_text: bool = True) -> Any:
    """A column value as the API returns it (and the sample data holds it): JSON
    decoded, UUIDs as text, times as RFC 3339 UTC text, booleans as booleans.
    ``json_text``: whether a JSON column's value is still JSON text (SQLite's and
    MariaDB's drivers), not already decoded (psycopg's JSONB, SQLAlchemy's JSON type)."""
    if value is None:
        return None
    kind = type.kind
    if kind in (Kind.ARRAY, Kind.MAP, Kind.JSON):
        if json_text and isinstance(value, (str, bytes)):
            return json.loads(value)
        return value
    if kind is Kind.UUID:
        return str(value) if isinstance(value, UUID) else str(value).lower()
    if kind is Kind.TIME:
        return _api_time(value)
    if kind is Kind.BOOL:
        return bool(value)
    if kind is Kind.FLOAT:
        return float(value)
    if kind is Kind.INT:
        return int(value)
    return value


@dataclass(frozen=True)
class ListStatement:
    """A list query's ``select()`` and how to turn its rows into results."""

    statement: Any  # sqlalchemy Select
    columns: tuple[tuple[str, str, Type], ...]
    entity: str
    extended: bool
    #: whether SQLAlchemy decodes each column's JSON itself (a JSON-typed column)
    decodes: tuple[bool, ...] = ()
    #: the main table and the sort terms, for :meth:`after`
    keyset: tuple[Any, tuple[tuple[str, bool, Type], ...]] | None = None

    def after(self, key: Sequence[Any] | None) -> Any:
        """The statement limited to the rows after the sort key ``key`` (a
        continuation's position; None or empty: the statement itself)."""
        if not key or self.keyset is None:
            return self.statement
        source, terms = self.keyset
        return self.statement.where(_after(source, terms, key))

    def shape(self, row: Sequence[Any], dialect: str = "sqlite") -> dict[str, Any]:
        """A result row as :meth:`ListQuery.apply` gives it (the extended response
        with ``include``; a related entity whose columns are all NULL is None), from
        a connection to ``dialect`` (a wherelang engine name: it says whether the
        driver decodes JSON)."""
        converters = self._converters(dialect)
        if not self.extended:  # every column is the entity's
            return {name: value if value is None or convert is None else convert(value)
                    for (_, name, convert), value in zip(converters, row)}  # fmt: skip
        out: dict[str, dict[str, Any]] = {owner: {} for owner, _, _ in self.columns}
        for (owner, name, convert), value in zip(converters, row):
            out[owner][name] = value if value is None or convert is None else convert(value)
        main = out.pop(self.entity, {})
        response: dict[str, Any] = {self.entity: main}
        for owner, values in out.items():
            response[owner] = values if any(v is not None for v in values.values()) else None
        return response

    def json(self, rows: Sequence[Sequence[Any]], dialect: str = "sqlite") -> bytes:
        """The JSON array of the shaped rows, as a server answers it: what
        ``json.dumps([self.shape(r, dialect) for r in rows])`` writes (compact, UTF-8),
        written directly, with the JSON text a driver returns for a JSON column copied
        as it is rather than decoded and encoded again."""
        encoders = self._encoders(dialect)
        if not self.extended:
            objects = ["{" + ",".join([key + ("null" if value is None else encode(value))
                                       for (_, key, encode), value in zip(encoders, row)]) + "}"
                       for row in rows]  # fmt: skip
            return ("[" + ",".join(objects) + "]").encode("utf-8")
        out: list[str] = []
        for row in rows:
            groups: dict[str, list[str]] = {}
            present: dict[str, bool] = {}
            for (owner, key, encode), value in zip(encoders, row):
                groups.setdefault(owner, []).append(key + ("null" if value is None else encode(value)))
                present[owner] = present.get(owner, False) or value is not None
            main = "{" + ",".join(groups.pop(self.entity, [])) + "}"
            members = [_text_of(self.entity) + ":" + main]
            for owner, fields in groups.items():
                members.append(_text_of(owner) + ":" + ("{" + ",".join(fields) + "}" if present[owner] else "null"))
            out.append("{" + ",".join(members) + "}")
        return ("[" + ",".join(out) + "]").encode("utf-8")

    def _encoders(self, dialect: str) -> list[tuple[str, str, Callable[[Any], str]]]:
        """(owner, the JSON text of the key and its colon, the JSON text of a non-NULL
        value) per column, made once per dialect."""
        cache: dict[str, list[tuple[str, str, Callable[[Any], str]]]] = (
            self.__dict__.setdefault("_encoded", {})
        )
        found = cache.get(dialect)
        if found is None:
            found = []
            for (owner, name, convert), (_, _, wtype) in zip(self._converters(dialect), self.columns):
                found.append((owner, _text_of(name) + ":", _encoder(wtype, convert)))
            cache[dialect] = found
        return found

    def _converters(self, dialect: str) -> list[tuple[str, str, Callable[[Any], Any] | None]]:
        """(owner, attribute, converter of a non-NULL value or None to keep it) per
        column, made once per dialect: shaping is most of the time a large page takes."""
        cache: dict[str, list[tuple[str, str, Callable[[Any], Any] | None]]] = (
            self.__dict__.setdefault("_cache", {})
        )
        found = cache.get(dialect)
        if found is None:
            driver_decodes = dialect == "postgres"
            decodes = self.decodes or (False,) * len(self.columns)
            found = [
                (owner, name, _converter(type, json_text=not (done or driver_decodes)))
                for (owner, name, type), done in zip(self.columns, decodes)
            ]
            cache[dialect] = found
        return found


def _converter(type: Type, *, json_text: bool) -> Callable[[Any], Any] | None:
    """:func:`api_value` for one column type, with the common cases made cheap (None:
    the value as it is)."""
    kind = type.kind
    if kind in (Kind.STRING, Kind.INT):
        return None
    if kind is Kind.TIME:
        return _fast_time
    if kind in (Kind.ARRAY, Kind.MAP, Kind.JSON):
        return _json_value if json_text else None
    if kind is Kind.UUID:
        return _uuid_text
    return lambda value: api_value(value, type, json_text=json_text)


#: JSON as Starlette's JSONResponse writes it
_dump = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
_text_of: Callable[[str], str] = json.encoder.encode_basestring


def _encoder(wtype: Type, convert: Callable[[Any], Any] | None) -> Callable[[Any], str]:
    """The JSON text of a non-NULL column value (:meth:`ListStatement.json`)."""
    kind = wtype.kind

    def general(value: Any) -> str:
        shaped = value if convert is None else convert(value)
        return "null" if shaped is None else _dump(shaped)

    if convert is None and kind is Kind.STRING:
        return lambda value: _text_of(value) if type(value) is str else _dump(value)  # noqa: E731
    if convert is None and kind is Kind.INT:
        return lambda value: str(value) if type(value) is int else _dump(value)  # noqa: E731
    if convert is _json_value:
        # the driver's JSON text (the default layout stores JSON): copied as it is
        return lambda value: value if isinstance(value, str) else general(value)  # noqa: E731
    if kind in (Kind.UUID, Kind.TIME):

        def text(value: Any) -> str:
            shaped = value if convert is None else convert(value)
            return "null" if shaped is None else _text_of(shaped) if isinstance(shaped, str) else _dump(shaped)

        return text
    return general


def _json_value(value: Any) -> Any:
    if value == "{}":  # most maps of the sample are empty: a new dict is cheaper than decoding
        return {}
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _uuid_text(value: Any) -> str:
    # the default layout stores UUIDs in lower case (PostgreSQL's uuid prints so too)
    return value if isinstance(value, str) else str(value)


def _fast_time(value: Any) -> Any:
    # The default layout's SQLite text, fixed width UTC: cut the zero fraction.
    if isinstance(value, str) and len(value) == 27 and value.endswith(".000000Z"):
        return value[:19] + "Z"
    return _api_time(value)


def list_select(
    query: ListQuery,
    model_or_table: Any,
    *,
    related: Mapping[str, Any] | None = None,
    mapping: Mapping[str, Any] | None = None,
    filters: FilterStore | None = None,
    space_id: UUID | str | None = None,
    after: Sequence[Any] | None = None,
) -> ListStatement:
    """The ``select()`` of a list query: the returned columns (``select``) of
    ``model_or_table``, the related entities of ``include`` and of relation paths
    LEFT JOINed (aliases named after the relation), the condition (``where``, the saved
    filter, ``contains``), ORDER BY :meth:`ListQuery.ordering` (NULL after every value,
    text by code point), the keyset position ``after`` and LIMIT ``query.limit``.

    ``related`` gives the tables of related entity types by relation field or entity
    name (``{"Space": spaces}``); a mapped class's relationships of those names serve
    too.
    """
    schema = query.entity
    source = _source(model_or_table, schema)
    condition = query.condition(filters, space_id=space_id)
    returned = query.returned(condition)
    names = returned if returned is not None else tuple(schema.attributes)
    columns: list[tuple[str, str, Type]] = []
    selected: list[Any] = []
    for name in names:
        columns.append((schema.name, name, schema.attributes[name].type))
        selected.append(_column(source, name))
    joined: Any = source.table
    aliases: dict[str, Any] = {}

    def join(field: str) -> Any:
        if field not in aliases:
            alias, on = _related(source, field, schema, related)
            aliases[field] = alias
            nonlocal joined
            joined = joined.outerjoin(alias, on)
        return aliases[field]

    for relation in query.relations():
        try:
            alias = join(relation.field)
        except WhereSqlError as err:
            raise err.with_parameter("include") from None
        other = schema.related(relation.field)
        if other is None:
            raise WhereSqlError(
                "sql-unknown-relation", f"the related entity {relation.field} has no schema"
            )
        target = _source(alias, other)
        for attr in other.attributes.values():
            columns.append((relation.field, attr.name, attr.type))
            selected.append(_column(target, attr.name))
    used: set[str] = set()
    relations: dict[str, wsql.Target] = {}
    hops: dict[str, Any] = {}
    if condition is not None:
        try:
            relations, hops = _relation_targets(source, condition, schema, related)
            for hop in hops:
                hops[hop] = (join(hop), None)
        except WhereSqlError as err:
            raise err.with_parameter("where") from None
        used = _own_names(condition) | _via_names(relations)
    if query.contains is not None:
        used |= set(schema.searchable)
    targets = _targets(source, used, mapping)
    targets.update(relations)

    def build(dialect: str) -> wsql.SqlClause | None:
        clause: wsql.SqlClause | None = where_sql(
            query, dialect, table=source.name, mapping=targets, filters=filters,
            space_id=space_id,
        )  # fmt: skip
        return clause

    statement = sa.select(*[c.label(f"wl_{i}") for i, c in enumerate(selected)])
    statement = statement.select_from(joined)
    if condition is not None or query.contains is not None:
        key = repr((condition, query.contains, schema.name, sorted(schema.searchable),
                    source.name, sorted(targets.items()), space_id))  # fmt: skip
        statement = statement.where(_WhereSql(build, key))
    terms = tuple((name, desc, schema.attributes[name].type) for name, desc in query.ordering())
    if after:
        statement = statement.where(_after(source, terms, after))
    order: list[Any] = []
    for name, desc, type in terms:
        column = _column(source, name)
        nulls = sa.case((column.is_(None), 1), else_=0)
        value = _CodePoints(column) if type.kind is Kind.STRING else column
        order += [nulls.desc(), value.desc()] if desc else [nulls, value]
    statement = statement.order_by(*order)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    decodes = tuple(isinstance(c.type, sa.JSON) for c in selected)
    return ListStatement(statement, tuple(columns), schema.name, bool(query.relations()), decodes,
                         (source, terms))  # fmt: skip


def _after(source: _Source, terms: Sequence[tuple[str, bool, Type]], key: Sequence[Any]) -> Any:
    """Rows after the sort key ``key``: some term beyond it, every earlier one equal.
    NULL sorts after every value (going up) and before (going down)."""
    beyond: list[Any] = []
    equal: list[Any] = []
    for (name, desc, type), value in zip(terms, key):
        column = _column(source, name)
        ordered = _CodePoints(column) if type.kind is Kind.STRING else column
        if value is None:
            past = column.is_not(None) if desc else None
            same = column.is_(None)
        else:
            bound = _Stored(value, type)
            past = (ordered < bound) if desc else sa.or_(ordered > bound, column.is_(None))
            same = ordered == bound
        if past is not None:
            beyond.append(sa.and_(*equal, past) if equal else past)
        equal.append(same)
    return sa.or_(*beyond) if beyond else sa.false()


def _statement_for(
    query: ListQuery,
    model_or_table: Any,
    paginator: Paginator,
    scope: str,
    listing: ListStatement | None,
    kw: Mapping[str, Any],
) -> tuple[ListStatement, Any]:
    after = paginator.read(query, scope=scope)
    if listing is None:
        listing = list_select(query, model_or_table, **kw)
    statement = listing.after(after)
    if query.limit is not None:
        statement = statement.limit(query.limit + 1)  # one more: is there a next page?
    return listing, statement


def page(
    connection: Any,
    query: ListQuery,
    model_or_table: Any,
    paginator: Paginator,
    *,
    scope: str = "",
    listing: ListStatement | None = None,
    **kw: Any,
) -> Page:
    """One page of ``query`` from a SQLAlchemy ``Connection`` or ``Session``: at most
    ``query.limit`` results after the continuation's position, and the next token.
    ``kw``: the keyword arguments of :func:`list_select` (``related``, ``filters``, ...);
    ``listing``: its result for this query made before (a server may keep it for a
    repeated query), so that it is not made again."""
    listing, statement = _statement_for(query, model_or_table, paginator, scope, listing, kw)
    rows = connection.execute(statement).all()
    dialect = _dialect_name(connection)
    return paginator.cut(query, [listing.shape(r, dialect) for r in rows], scope=scope)


def _dialect_name(connection: Any) -> str:
    """The wherelang engine of a Connection, Session or their async forms."""
    dialect = getattr(connection, "dialect", None)
    if dialect is None:
        bind = connection.get_bind() if hasattr(connection, "get_bind") else connection.bind
        dialect = bind.dialect
    return dialect_of(dialect)


async def apage(
    connection: Any,
    query: ListQuery,
    model_or_table: Any,
    paginator: Paginator,
    *,
    scope: str = "",
    listing: ListStatement | None = None,
    **kw: Any,
) -> Page:
    """:func:`page` for an ``AsyncConnection`` or ``AsyncSession``."""
    listing, statement = _statement_for(query, model_or_table, paginator, scope, listing, kw)
    result = await connection.execute(statement)
    rows = result.all()
    dialect = _dialect_name(connection)
    return paginator.cut(query, [listing.shape(r, dialect) for r in rows], scope=scope)
