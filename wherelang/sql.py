"""Destination 2: SQL, built as sqlglot expression trees.

:func:`to_sql` compiles a *typed* tree (``parse(text, schema=...)``) into a WHERE clause
with bound parameters in the driver's placeholder style; :func:`to_sqlglot` returns the
sqlglot expression (literals inlined, quoted by sqlglot) for embedding in a larger query.
No user text is ever parsed as SQL: identifiers come from the schema or the mapping,
values become ``exp.Placeholder`` nodes (or ``exp.Literal`` nodes with ``params=False``).

Four engines are verified against PostgreSQL by the differential test: ``postgres``
(psycopg), ``mysql`` / ``mariadb`` (pymysql, MariaDB 10.11), ``sqlite`` (sqlite3, after
:func:`prepare_sqlite`) and ``duckdb``. Every other sqlglot dialect gets the portable
subset; what an engine cannot express raises :class:`~wherelang.errors.WhereSqlError`
naming the engine and the construct.

>>> from wherelang import parse, to_sql
>>> from wherelang.schema import Schema, Attribute, Type
>>> s = Schema("Unit", [Attribute("Slug", Type.of("string")),
...                     Attribute("Labels", Type.of({"type": "map", "values": "string"}))])
>>> clause = to_sql(parse("Slug < 'm' AND Labels.tier = 'x'", schema=s))
>>> clause.sql
'"Slug" COLLATE "C" < %s AND JSONB_EXTRACT_PATH_TEXT("Labels", %s) = %s'
>>> clause.params
('m', 'tier', 'x')
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar, Union, cast
from uuid import UUID

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, SqlglotError

from .errors import WhereError, WhereEvaluationError, WhereSqlError
from .nodes import (
    And,
    Attr,
    Compare,
    Expr,
    In,
    IsNull,
    Len,
    Literal,
    Node,
    Not,
    Op,
    Operand,
    Or,
    Path,
    Truth,
    Value,
    walk,
)
from .evaluate import like, regex_search
from .regex import rewrite
from .schema import Kind, Schema, Type

__all__ = [
    "SqlClause",
    "to_sql",
    "to_sqlglot",
    "Column",
    "JsonPath",
    "ArrayColumn",
    "Joined",
    "create_table",
    "insert_statement",
    "row",
    "prepare_sqlite",
    "OPERATORS",
    "ENGINES",
]


# --- mapping: where attributes live ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """An attribute stored in a column of another name (optionally of another table)."""

    name: str
    table: str | None = None


@dataclass(frozen=True, slots=True)
class JsonPath:
    """An attribute stored inside a JSON document column, at ``path`` (keys).

    ``JsonPath("doc", "meta", "slug")`` is ``doc -> 'meta' ->> 'slug'`` in PostgreSQL.
    """

    column: str
    path: tuple[str, ...]
    table: str | None = None

    def __init__(self, column: str, *path: str, table: str | None = None) -> None:
        if not path:
            raise ValueError("JsonPath needs at least one key after the column")
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "path", tuple(path))
        object.__setattr__(self, "table", table)


@dataclass(frozen=True, slots=True)
class ArrayColumn:
    """An array attribute stored in a native array column (PostgreSQL ``text[]``,
    ``uuid[]``, ...; DuckDB lists) instead of JSON."""

    name: str
    table: str | None = None


@dataclass(frozen=True)
class Joined:
    """A relation hop (``Space`` in ``Space.Labels.env``) whose entity the caller's query
    joins under ``alias`` (``LEFT JOIN spaces AS s ON s."SpaceID" = u."SpaceID"``).

    Attributes reached through the hop are columns of ``alias``, renamed or placed by
    ``mapping`` as for the main table. A missing joined row makes them NULL.
    """

    alias: str
    mapping: Mapping[str, Target] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.alias, tuple(sorted(self.mapping.items(), key=lambda kv: kv[0]))))


Target = Union[str, Column, JsonPath, ArrayColumn, Joined]
"""What a mapping entry may be: a column name, or one of the classes above."""


# --- the result -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SqlClause:
    """A compiled WHERE clause: ``sql`` text and positional ``params`` for the driver."""

    sql: str
    params: tuple[Any, ...]
    dialect: str

    def __str__(self) -> str:
        return self.sql


# --- engines --------------------------------------------------------------------------

_SLOT = re.compile(r"^[a-z_]+$")


@lru_cache(maxsize=None)
def _template(sql: str, dialect: str) -> exp.Expression:
    """A fixed SQL fragment of ours (never user text), parsed once; ``:name`` are slots."""
    return cast(exp.Expression, sqlglot.parse_one(sql, read=dialect))


def _fill(sql: str, dialect: str, **slots: exp.Expression) -> exp.Expression:
    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name in slots:
            return slots[node.name].copy()
        return node

    return _template(sql, dialect).copy().transform(swap)


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _cast(e: exp.Expression, to: str, dialect: str) -> exp.Expression:
    return exp.Cast(this=e, to=exp.DataType.build(to, dialect=dialect))


def _case_null(test: exp.Expression, value: exp.Expression) -> exp.Expression:
    """``CASE WHEN test IS NULL THEN NULL ELSE value END``: a missing container is unknown."""
    return exp.Case(
        ifs=[exp.If(this=exp.Is(this=test, expression=exp.Null()), true=exp.Null())],
        default=value,
    )


class Engine:
    """How one SQL engine spells each construct. Subclasses override what differs.

    This base class is the portable subset used for every sqlglot dialect that is not
    one of the four verified engines; it raises :class:`WhereSqlError` for constructs
    it cannot express faithfully.
    """

    #: name shown in errors (the dialect's name when None)
    title: ClassVar[str | None] = None
    #: the driver's placeholder, or None for sqlglot's own
    placeholder: ClassVar[str | None] = None
    #: whether LIKE needs ``ESCAPE '\'`` to treat backslash as the escape
    like_escape: ClassVar[bool] = True

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.label = self.title or dialect

    # errors

    def unsupported(self, construct: str, hint: str | None = None) -> WhereSqlError:
        return WhereSqlError(
            "sql-unsupported",
            f"{self.label} ({self.dialect}) cannot express {construct} faithfully",
            hint=hint,
        )

    # strings

    def check_text(self, value: str) -> None:
        """Refuse a string value the engine cannot hold (bound values and keys)."""
        if _SURROGATE.search(value):
            raise self.unsupported("a string that is not valid Unicode (a lone surrogate)")

    def text(self, e: exp.Expression, ordered: bool) -> exp.Expression:
        """A string value compared by code point (binary collation); ``ordered`` for
        < > <= >=, where a locale's collation would differ."""
        return e

    def like(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        node: exp.Expression = exp.Like(this=x, expression=p)
        if self.like_escape:
            node = exp.Escape(this=node, expression=exp.Literal.string("\\"))
        return node

    def ilike(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        return self.like(exp.Lower(this=x), exp.Lower(this=p))

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        """The pattern as this engine should receive it, and whether to ignore case."""
        return pattern, ci

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        raise self.unsupported("regular expressions (~, ~*)")

    # typed values

    def param(self, value: Value, type: Type | None) -> Any:
        """A literal as the driver should bind it."""
        if isinstance(value, Decimal):
            return float(value) if type is not None and type.kind is Kind.FLOAT else value
        if isinstance(value, UUID):
            return str(value)
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc)
        return value

    def inline(self, value: Any) -> exp.Expression:
        """A bound value written as a literal (``params=False``)."""
        if value is None:
            return exp.Null()
        if isinstance(value, bool):
            return exp.Boolean(this=value)
        if isinstance(value, (int, float, Decimal)):
            return exp.Literal.number(repr(value) if isinstance(value, float) else str(value))
        if isinstance(value, datetime):  # typed: not every engine casts text to a time
            text = exp.Literal.string(value.isoformat(sep=" "))
            return exp.Cast(this=text, to=exp.DataType.build("TIMESTAMPTZ"))
        return exp.Literal.string(str(value))

    def from_json_text(self, e: exp.Expression, kind: Kind) -> exp.Expression:
        """A scalar taken out of JSON as text, made comparable as ``kind``."""
        raise self.unsupported("values inside JSON (map keys, JSON paths)")

    # JSON containers

    def json_scalar(self, doc: exp.Expression, keys: tuple[str, ...], kind: Kind) -> exp.Expression:
        raise self.unsupported("values inside JSON (map keys, JSON paths)")

    def json_container(self, doc: exp.Expression, keys: tuple[str, ...]) -> exp.Expression:
        raise self.unsupported("values inside JSON (JSON paths)")

    def has_key(self, doc: exp.Expression, key: str) -> exp.Expression:
        raise self.unsupported("? on a map")

    def array_has(self, doc: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        raise self.unsupported("? on an array")

    def array_len(self, doc: exp.Expression) -> exp.Expression:
        raise self.unsupported("LEN() of an array")

    def map_len(self, doc: exp.Expression) -> exp.Expression:
        raise self.unsupported("LEN() of a map")

    def native_has(self, col: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        raise self.unsupported("? on a native array column")

    def native_len(self, col: exp.Expression) -> exp.Expression:
        raise self.unsupported("LEN() of a native array column")

    # storage

    column_types: ClassVar[Mapping[Kind, str]] = {}

    def column_def(self, name: str, type: Type) -> exp.ColumnDef:
        kind = type.kind
        if kind in (Kind.ARRAY, Kind.MAP):
            kind = Kind.JSON
        spec = self.column_types.get(kind)
        if spec is None:
            raise self.unsupported(f"a column of type {type}")
        return exp.ColumnDef(
            this=exp.to_identifier(name, quoted=True),
            kind=exp.DataType.build(spec, dialect=self.dialect),
        )

    def store(self, value: Any, type: Type) -> Any:
        """An entity's value as the default layout stores it."""
        return _store(value, type, self)

    def time_value(self, value: datetime) -> Any:
        return value

    def uuid_value(self, value: UUID) -> Any:
        return str(value)


_SURROGATE = re.compile("[\ud800-\udfff]")


# Text of a time in SQLite and inside JSON: fixed width UTC, so text order = time order.
def _time_text(value: datetime) -> str:
    v = value.astimezone(timezone.utc)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:"
        f"{v.second:02d}.{v.microsecond:06d}Z"
    )


class Postgres(Engine):
    title = "PostgreSQL"
    placeholder = "%s"
    column_types = {
        Kind.STRING: "TEXT",
        Kind.INT: "BIGINT",
        Kind.FLOAT: "DOUBLE PRECISION",
        Kind.BOOL: "BOOLEAN",
        Kind.UUID: "UUID",
        Kind.TIME: "TIMESTAMPTZ",
        Kind.JSON: "JSONB",
    }

    # Only ordering needs "C": = and LIKE are exact under any deterministic collation,
    # and ILIKE and ~* need the database's collation to fold non-ASCII letters.
    def text(self, e: exp.Expression, ordered: bool) -> exp.Expression:
        if not ordered:
            return e
        return exp.Collate(this=e, expression=exp.Identifier(this="C", quoted=True))

    def ilike(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        return exp.Escape(this=exp.ILike(this=x, expression=p), expression=exp.Literal.string("\\"))

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        return _rewrite(pattern, self, ci, fold=False)  # ~* folds case as PostgreSQL does

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        return (exp.RegexpILike if ci else exp.RegexpLike)(this=x, expression=p)

    def check_text(self, value: str) -> None:
        super().check_text(value)
        if "\x00" in value:
            raise self.unsupported("a string with a NUL character", "PostgreSQL text cannot hold NUL")

    def param(self, value: Value, type: Type | None) -> Any:
        if isinstance(value, UUID):
            return value
        return super().param(value, type)

    def from_json_text(self, e: exp.Expression, kind: Kind) -> exp.Expression:
        return _from_text(self, e, kind, {
            Kind.INT: "BIGINT", Kind.FLOAT: "DOUBLE PRECISION", Kind.BOOL: "BOOLEAN",
            Kind.UUID: "UUID", Kind.TIME: "TIMESTAMPTZ",
        })  # fmt: skip

    def json_scalar(self, doc: exp.Expression, keys: tuple[str, ...], kind: Kind) -> exp.Expression:
        text = _fn("jsonb_extract_path_text", doc, *(_key(k) for k in keys))
        return self.from_json_text(text, kind)

    def json_container(self, doc: exp.Expression, keys: tuple[str, ...]) -> exp.Expression:
        return _fn("jsonb_extract_path", doc, *(_key(k) for k in keys))

    def has_key(self, doc: exp.Expression, key: str) -> exp.Expression:
        return _fn("jsonb_exists", doc, _key(key))

    def array_has(self, doc: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        v = self.from_json_text(exp.column("wl_v", "wl_e"), kind)
        found = _fill(
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(:doc) AS wl_e(wl_v) WHERE :v = :p)",
            "postgres", doc=doc, v=v, p=value,
        )  # fmt: skip
        return _case_null(doc, found)

    def array_len(self, doc: exp.Expression) -> exp.Expression:
        return _fill(
            "CASE WHEN jsonb_typeof(:doc) = 'array' THEN jsonb_array_length(:doc) ELSE 0 END",
            "postgres", doc=doc,
        )  # fmt: skip

    def map_len(self, doc: exp.Expression) -> exp.Expression:
        return _fill(
            "CASE WHEN jsonb_typeof(:doc) = 'object' "
            "THEN (SELECT COUNT(*) FROM jsonb_object_keys(:doc)) ELSE 0 END",
            "postgres", doc=doc,
        )  # fmt: skip

    def native_has(self, col: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        found = _fill(
            "EXISTS (SELECT 1 FROM unnest(:col) AS wl_e(wl_v) WHERE wl_e.wl_v = :p)",
            "postgres", col=col, p=value,
        )  # fmt: skip
        return _case_null(col, found)

    def native_len(self, col: exp.Expression) -> exp.Expression:
        return exp.Coalesce(this=_fn("cardinality", col), expressions=[exp.Literal.number(0)])

    def uuid_value(self, value: UUID) -> Any:
        return value


class DuckDB(Engine):
    title = "DuckDB"
    placeholder = "?"
    column_types = {
        Kind.STRING: "VARCHAR",
        Kind.INT: "BIGINT",
        Kind.FLOAT: "DOUBLE",
        Kind.BOOL: "BOOLEAN",
        Kind.UUID: "UUID",
        Kind.TIME: "TIMESTAMPTZ",
        Kind.JSON: "JSON",
    }
    _list_types: ClassVar[Mapping[Kind, str]] = {
        Kind.STRING: "VARCHAR[]", Kind.INT: "BIGINT[]", Kind.FLOAT: "DOUBLE[]",
        Kind.BOOL: "BOOLEAN[]", Kind.UUID: "UUID[]", Kind.TIME: "TIMESTAMPTZ[]",
    }  # fmt: skip

    def ilike(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        return exp.Escape(this=exp.ILike(this=x, expression=p), expression=exp.Literal.string("\\"))

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        return _re2_pattern(pattern, self, ci)

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        # 's': dot matches newline, as in PostgreSQL
        return _fn("regexp_matches", x, p, exp.Literal.string("si" if ci else "s"))

    def param(self, value: Value, type: Type | None) -> Any:
        if isinstance(value, UUID):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**127) <= value < 2**127:
            return float(value)  # beyond HUGEINT; as far beyond every BIGINT as a float
        return super().param(value, type)

    def from_json_text(self, e: exp.Expression, kind: Kind) -> exp.Expression:
        return _from_text(self, e, kind, {
            Kind.INT: "BIGINT", Kind.FLOAT: "DOUBLE", Kind.BOOL: "BOOLEAN",
            Kind.UUID: "UUID", Kind.TIME: "TIMESTAMPTZ",
        })  # fmt: skip

    def json_scalar(self, doc: exp.Expression, keys: tuple[str, ...], kind: Kind) -> exp.Expression:
        return self.from_json_text(_fn("json_extract_string", doc, _key(_pointer(keys))), kind)

    def json_container(self, doc: exp.Expression, keys: tuple[str, ...]) -> exp.Expression:
        return _fn("json_extract", doc, _key(_pointer(keys)))

    def has_key(self, doc: exp.Expression, key: str) -> exp.Expression:
        return _fn("list_contains", _fn("json_keys", doc), _key(key))

    def array_has(self, doc: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        spec = self._list_types.get(kind)
        if spec is None:
            raise self.unsupported(f"? on an array of {kind.value}")
        return _fn("list_contains", _cast(doc, spec, "duckdb"), value)

    def array_len(self, doc: exp.Expression) -> exp.Expression:
        return exp.Coalesce(this=_fn("json_array_length", doc), expressions=[exp.Literal.number(0)])

    def map_len(self, doc: exp.Expression) -> exp.Expression:
        return exp.Coalesce(this=_fn("len", _fn("json_keys", doc)), expressions=[exp.Literal.number(0)])

    def native_has(self, col: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        return _fn("list_contains", col, value)

    def native_len(self, col: exp.Expression) -> exp.Expression:
        return exp.Coalesce(this=_fn("len", col), expressions=[exp.Literal.number(0)])

    def uuid_value(self, value: UUID) -> Any:
        return value


# Columns of SQLite's json_each: an unqualified outer column of these names would be
# captured inside the subqueries below.
_JSON_EACH_COLUMNS = frozenset(
    {"key", "value", "type", "atom", "id", "parent", "fullkey", "path", "json", "root"}
)


class SQLite(Engine):
    title = "SQLite"
    placeholder = "?"
    column_types = {
        Kind.STRING: "TEXT",
        Kind.INT: "INTEGER",
        Kind.FLOAT: "REAL",
        Kind.BOOL: "INTEGER",
        Kind.UUID: "TEXT",
        Kind.TIME: "TEXT",
        Kind.JSON: "TEXT",
    }

    def text(self, e: exp.Expression, ordered: bool) -> exp.Expression:
        return exp.Collate(this=e, expression=exp.Var(this="BINARY"))

    # SQLite's LIKE ignores ASCII case and knows nothing else: functions of ours instead.
    def like(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        return _fn("wherelang_like", x, p)

    def ilike(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        return _fn("wherelang_ilike", x, p)

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        return _re2_pattern(pattern, self, ci)

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        return _fn("wherelang_iregex" if ci else "wherelang_regex", x, p)

    def param(self, value: Value, type: Type | None) -> Any:
        if isinstance(value, datetime):
            return _time_text(value)
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
            # sqlite3 cannot bind it. As a float it still orders the same against every
            # 64-bit integer (SQLite compares integers with floats exactly) and compares
            # with a REAL as PostgreSQL's float8 does.
            return float(value)
        return super().param(value, type)

    def inline(self, value: Any) -> exp.Expression:
        if isinstance(value, bool):
            return exp.Literal.number(int(value))
        return super().inline(value)

    def check_column(self, col: exp.Expression) -> None:
        if isinstance(col, exp.Column) and not col.table and col.name.lower() in _JSON_EACH_COLUMNS:
            raise self.unsupported(
                f"a JSON operation on a column named {col.name!r} without a table name",
                "pass table=... so the column is qualified",
            )

    def from_json_text(self, e: exp.Expression, kind: Kind) -> exp.Expression:
        if kind is Kind.UUID:
            return exp.Lower(this=e)
        return e

    def _lookup(self, doc: exp.Expression, key: exp.Expression) -> exp.Expression:
        self.check_column(doc)
        return _fill(
            "(SELECT value FROM json_each(:doc) WHERE key = :k)", "sqlite", doc=doc, k=key
        )

    def json_scalar(self, doc: exp.Expression, keys: tuple[str, ...], kind: Kind) -> exp.Expression:
        inner = self.json_container(doc, keys[:-1]) if len(keys) > 1 else doc
        return self.from_json_text(self._lookup(inner, _key(keys[-1])), kind)

    def json_container(self, doc: exp.Expression, keys: tuple[str, ...]) -> exp.Expression:
        for k in keys:
            doc = _fn("json_extract", doc, exp.Literal.string("$." + _json_label(k, self)))
        return doc

    def has_key(self, doc: exp.Expression, key: str) -> exp.Expression:
        self.check_column(doc)
        found = _fill("EXISTS (SELECT 1 FROM json_each(:doc) WHERE key = :k)", "sqlite", doc=doc, k=_key(key))
        return _case_null(doc, found)

    def array_has(self, doc: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        self.check_column(doc)
        v = self.from_json_text(exp.column("value"), kind)
        found = _fill("EXISTS (SELECT 1 FROM json_each(:doc) WHERE :v = :p)", "sqlite", doc=doc, v=v, p=value)
        return _case_null(doc, found)

    def array_len(self, doc: exp.Expression) -> exp.Expression:
        return exp.Coalesce(this=_fn("json_array_length", doc), expressions=[exp.Literal.number(0)])

    def map_len(self, doc: exp.Expression) -> exp.Expression:
        self.check_column(doc)
        return _fill("(SELECT COUNT(*) FROM json_each(:doc))", "sqlite", doc=doc)

    def time_value(self, value: datetime) -> Any:
        return _time_text(value)


_MARIADB_BIN = "utf8mb4_nopad_bin"


class Regexp_(exp.Expression, exp.Binary, exp.Predicate):
    """``x REGEXP p``: the operator form (sqlglot writes REGEXP_LIKE, which MariaDB lacks)."""


def _regexp_sql(gen: Any, e: exp.Expression) -> str:
    return f"{gen.sql(e, 'this')} REGEXP {gen.sql(e, 'expression')}"


class MariaDB(Engine):
    title = "MariaDB"
    placeholder = "%s"
    column_types = {
        Kind.STRING: "TEXT",
        Kind.INT: "BIGINT",
        Kind.FLOAT: "DOUBLE",
        Kind.BOOL: "BOOLEAN",
        Kind.UUID: "CHAR(36)",  # MariaDB's UUID type refuses non-RFC variants (NULL + warning)
        Kind.TIME: "DATETIME(6)",
        Kind.JSON: "JSON",
    }

    # Default collations ignore case and trailing spaces: binary, no-pad everywhere.
    def text(self, e: exp.Expression, ordered: bool) -> exp.Expression:
        return exp.Collate(this=e, expression=exp.Var(this=_MARIADB_BIN))

    def like(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        return exp.Like(this=x, expression=p)  # backslash is MariaDB's escape

    def ilike(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        return exp.Like(this=exp.Lower(this=x), expression=exp.Lower(this=p))

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        text, _ = _rewrite(pattern, self, ci, fold=True)
        return "(?s)" + text, False

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        return Regexp_(this=x, expression=p)  # MariaDB has no REGEXP_LIKE function

    def param(self, value: Value, type: Type | None) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().param(value, type)

    def inline(self, value: Any) -> exp.Expression:
        if isinstance(value, datetime):
            return exp.Literal.string(value.isoformat(sep=" "))
        return super().inline(value)

    def column_def(self, name: str, type: Type) -> exp.ColumnDef:
        col = super().column_def(name, type)
        charset = {Kind.STRING: ("utf8mb4", _MARIADB_BIN), Kind.UUID: ("ascii", "ascii_bin")}
        if type.kind in charset:
            name, collation = charset[type.kind]
            col.set("constraints", [
                exp.ColumnConstraint(kind=exp.CharacterSetColumnConstraint(this=exp.Var(this=name))),
                exp.ColumnConstraint(kind=exp.CollateColumnConstraint(this=exp.Var(this=collation))),
            ])  # fmt: skip
        return col

    def from_json_text(self, e: exp.Expression, kind: Kind) -> exp.Expression:
        if kind is Kind.TIME:
            raise self.unsupported("a time inside JSON")
        return _from_text(self, e, kind, {Kind.INT: "SIGNED", Kind.FLOAT: "DOUBLE"})

    def json_scalar(self, doc: exp.Expression, keys: tuple[str, ...], kind: Kind) -> exp.Expression:
        path = _key(self.path(keys))
        if kind is Kind.JSON:  # JSON_VALUE is NULL for objects and arrays too
            return _fn("NULLIF", _fn("JSON_TYPE", _fn("JSON_EXTRACT", doc, path)), exp.Literal.string("NULL"))
        if kind is Kind.BOOL:  # JSON_VALUE gives 1 for true, JSON_EXTRACT the JSON text
            value = _fn("JSON_EXTRACT", doc, path)
            return _fill("CASE :v WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END", "mysql", v=value)
        return self.from_json_text(_fn("JSON_VALUE", doc, path), kind)

    def json_container(self, doc: exp.Expression, keys: tuple[str, ...]) -> exp.Expression:
        return _fn("JSON_EXTRACT", doc, _key(self.path(keys)))

    def path(self, keys: Iterable[str]) -> str:
        """A JSON path to ``keys``. MariaDB compares a quoted path key with the key's text
        as written in the document; row() writes documents with json.dumps(ensure_ascii=
        False), so the same escaping. MariaDB 10.11 reads ``$."-a"`` as no path at all."""
        out = "$"
        for k in keys:
            if k.startswith("-"):
                raise self.unsupported(f"the JSON key {k!r} (MariaDB cannot address a key starting with '-')")
            out += "." + json.dumps(k, ensure_ascii=False)
        return out

    def has_key(self, doc: exp.Expression, key: str) -> exp.Expression:
        return _fn("JSON_CONTAINS_PATH", doc, exp.Literal.string("one"), _key(self.path((key,))))

    def array_has(self, doc: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        if kind not in (Kind.STRING, Kind.INT, Kind.FLOAT, Kind.UUID):
            raise self.unsupported(f"? on an array of {kind.value}")
        v = self.from_json_text(exp.column("wl_v", "wl_e"), kind)
        if kind is Kind.STRING:
            v = self.text(v, False)
        found = _fill(
            "EXISTS (SELECT 1 FROM JSON_TABLE(:doc, '$[*]' COLUMNS (wl_v TEXT PATH '$')) AS wl_e"
            " WHERE :v = :p)",
            "mysql", doc=doc, v=v, p=value,
        )  # fmt: skip
        return _case_null(doc, found)

    def array_len(self, doc: exp.Expression) -> exp.Expression:
        return exp.Coalesce(this=_fn("JSON_LENGTH", doc), expressions=[exp.Literal.number(0)])

    map_len = array_len

    def time_value(self, value: datetime) -> Any:
        return value.astimezone(timezone.utc).replace(tzinfo=None)


def _from_text(engine: Engine, e: exp.Expression, kind: Kind, casts: Mapping[Kind, str]) -> exp.Expression:
    if kind is Kind.STRING:
        return e
    if kind is Kind.JSON:
        return e
    if kind in casts:
        return _cast(e, casts[kind], engine.dialect)
    if kind is Kind.UUID:
        return exp.Lower(this=e)
    raise engine.unsupported(f"a {kind.value} value inside JSON")


def _key(text: str) -> exp.Expression:
    """A key or path of a JSON lookup: a value, so a bound parameter like any other."""
    return exp.Placeholder(this="wl_key", key=text)


def _pointer(keys: Iterable[str]) -> str:
    """RFC 6901 JSON pointer (DuckDB), which escapes any key exactly."""
    return "".join("/" + k.replace("~", "~0").replace("/", "~1") for k in keys)




_PLAIN_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _json_label(key: str, engine: Engine) -> str:
    if not _PLAIN_LABEL.fullmatch(key):
        raise engine.unsupported(f"the JSON path key {key!r} in a mapping", "use plain names")
    return key


class Regexp(Engine):
    """Generic dialects whose regex function searches (unanchored) with inline flags."""

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        return ("(?si)" if ci else "(?s)") + pattern, ci

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        return exp.RegexpLike(this=x, expression=p)


class BigQuery(Regexp):
    title = "BigQuery"
    like_escape = False  # backslash escapes by default; no ESCAPE clause


class Snowflake(Engine):
    title = "Snowflake"

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        # REGEXP_LIKE is anchored in Snowflake; REGEXP_INSTR searches.
        one = exp.Literal.number(1)
        flags = exp.Literal.string("is" if ci else "s")
        call = _fn("REGEXP_INSTR", x, p, one, one.copy(), exp.Literal.number(0), flags)
        return exp.GT(this=call, expression=exp.Literal.number(0))


_ENGINE_CLASSES: dict[str, type[Engine]] = {
    "postgres": Postgres,
    "duckdb": DuckDB,
    "sqlite": SQLite,
    "mysql": MariaDB,
    "bigquery": BigQuery,
    "snowflake": Snowflake,
    "spark": Regexp,
    "spark2": Regexp,
    "databricks": Regexp,
    "hive": Regexp,
    "trino": Regexp,
    "presto": Regexp,
    "athena": Regexp,
}

#: Engines proven against PostgreSQL by the differential test.
ENGINES = ("postgres", "mysql", "sqlite", "duckdb")

_ALIASES = {"postgresql": "postgres", "mariadb": "mysql", "pg": "postgres"}


@lru_cache(maxsize=64)
def _engine(dialect: str) -> Engine:
    name = _ALIASES.get(dialect.lower(), dialect.lower())
    try:
        Dialect.get_or_raise(name)
    except (ValueError, SqlglotError):
        raise WhereSqlError(
            "unknown-dialect",
            f"unknown SQL dialect {dialect!r}",
            hint="use a sqlglot dialect name such as postgres, mysql, sqlite, duckdb",
        ) from None
    return _ENGINE_CLASSES.get(name, Engine)(name)


def _rewrite(pattern: str, engine: Engine, ci: bool, fold: bool) -> tuple[str, bool]:
    result = rewrite(pattern, engine.dialect, ci, fold)
    if isinstance(result, str):
        raise engine.unsupported(
            f"{result} in the regular expression {pattern!r}",
            "use literal characters, ., [...], \\d \\w \\s, groups, |, ^, $ and * + ? {n,m}",
        )
    return result


def _re2_pattern(pattern: str, engine: Engine, ci: bool) -> tuple[str, bool]:
    """For RE2 engines: the pattern as written, or with PostgreSQL's case sets written out
    when it ignores case (if it can be rewritten; else RE2's own case folding)."""
    result = rewrite(pattern, engine.dialect, ci, True)
    if isinstance(result, str):
        return pattern, ci
    text, folded = result
    return (text, False) if folded else (pattern, False)


# --- compiling ----------------------------------------------------------------------------

_Builder = Callable[["_Compiler", Compare], exp.Expression]


def _cmp(cls: type[exp.Expression]) -> _Builder:
    def build(c: _Compiler, node: Compare) -> exp.Expression:
        ordered = cls in (exp.LT, exp.GT, exp.LTE, exp.GTE)
        return cls(this=c.operand(node.left, node.right, ordered),
                   expression=c.operand(node.right, node.left, ordered))  # fmt: skip

    return build


def _negate(build: _Builder) -> _Builder:
    def negated(c: _Compiler, node: Compare) -> exp.Expression:
        return exp.Not(this=exp.Paren(this=build(c, node)))

    return negated


def _like(c: _Compiler, node: Compare) -> exp.Expression:
    return c.engine.like(c.operand(node.left, node.right, False), c.pattern(node))


def _ilike(c: _Compiler, node: Compare) -> exp.Expression:
    return c.engine.ilike(c.operand(node.left, node.right, False), c.pattern(node))


def _regex(ci: bool) -> _Builder:
    def build(c: _Compiler, node: Compare) -> exp.Expression:
        return c.regex(node, ci)

    return build


def _has(c: _Compiler, node: Compare) -> exp.Expression:
    return c.has(node)


#: One SQL builder per operator (a test checks that every Op has one).
OPERATORS: Mapping[Op, _Builder] = {
    Op.EQ: _cmp(exp.EQ),
    Op.NE: _cmp(exp.NEQ),
    Op.LT: _cmp(exp.LT),
    Op.GT: _cmp(exp.GT),
    Op.LE: _cmp(exp.LTE),
    Op.GE: _cmp(exp.GTE),
    Op.LIKE: _like,
    Op.NOT_LIKE: _negate(_like),
    Op.ILIKE: _ilike,
    Op.NOT_ILIKE: _negate(_ilike),
    Op.REGEX: _regex(False),
    Op.IREGEX: _regex(True),
    Op.NOT_REGEX: _negate(_regex(False)),
    Op.NOT_IREGEX: _negate(_regex(True)),
    Op.HAS: _has,
}


class _Compiler:
    def __init__(self, engine: Engine, mapping: Mapping[str, Target], table: str | None) -> None:
        self.engine = engine
        self.mapping = mapping
        self.table = table
        self.values: list[Any] = []

    # values

    def bind(self, value: Any) -> exp.Expression:
        if isinstance(value, str):
            self.engine.check_text(value)
        self.values.append(value)
        return exp.Placeholder(this=f"wl{len(self.values) - 1}")

    def literal(self, lit: Literal, type: Type | None) -> exp.Expression:
        return self.bind(self.engine.param(lit.value, type))

    def pattern(self, node: Compare) -> exp.Expression:
        assert isinstance(node.right, Literal) and isinstance(node.right.value, str)
        return self.bind(self.engine.param(node.right.value, None))

    # where an attribute lives

    def locate(self, attr: Attr) -> tuple[str | Column | JsonPath | ArrayColumn, str | None]:
        mapping, table = self.mapping, self.table
        for hop in attr.hops:
            target = mapping.get(hop)
            if not isinstance(target, Joined):
                raise WhereSqlError(
                    "sql-unmapped-relation",
                    f"the relation {hop!r} of {attr.to_where()} has no joined table",
                    hint=f"pass mapping={{{hop!r}: Joined('alias')}} and join that table",
                )
            mapping, table = target.mapping, target.alias
        target = mapping.get(attr.name, attr.name)
        if isinstance(target, Joined):
            raise WhereSqlError("sql-bad-mapping", f"{attr.name!r} is mapped to a join, not a column")
        return target, table

    def column(self, name: str, table: str | None) -> exp.Column:
        return exp.column(name, table=table, quoted=True)

    def container(self, attr: Attr) -> tuple[exp.Expression, bool]:
        """The SQL of an array or map attribute, and whether it is a native array."""
        target, table = self.locate(attr)
        if isinstance(target, str):
            return self.column(target, table), False
        if isinstance(target, Column):
            return self.column(target.name, target.table or table), False
        if isinstance(target, ArrayColumn):
            return self.column(target.name, target.table or table), True
        col = self.column(target.column, target.table or table)
        return self.engine.json_container(col, target.path), False

    def value(self, attr: Attr) -> exp.Expression:
        """The SQL value of an attribute operand, typed as ``attr.type``."""
        target, table = self.locate(attr)
        kind = attr.type.kind
        if attr.key is not None:
            doc, native = self.container(Attr(attr.segments, attr.hops, attr.name, None, attr.type))
            if native:
                raise self.engine.unsupported("a map key on a native array column")
            return self.json_scalar(doc, (self.map_key(attr),), kind)
        if isinstance(target, JsonPath):
            col = self.column(target.column, target.table or table)
            if attr.type.is_container:
                return self.keys_to_params(self.engine.json_container(col, target.path))
            return self.json_scalar(col, target.path, kind)
        name = target if isinstance(target, str) else target.name
        tab = table if isinstance(target, str) else (target.table or table)
        return self.column(name, tab)

    def map_key(self, attr: Attr) -> str:
        assert attr.key is not None
        return attr.key

    def json_scalar(self, doc: exp.Expression, keys: tuple[str, ...], kind: Kind) -> exp.Expression:
        e = self.engine.json_scalar(doc, keys, kind)
        return self.keys_to_params(e)

    def keys_to_params(self, e: exp.Expression) -> exp.Expression:
        """JSON keys and paths (built from user text) become bound values too."""

        def swap(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Placeholder) and node.name == "wl_key":
                return self.bind(node.args["key"])
            return node

        return e.transform(swap)

    def operand(self, node: Operand, other: Operand, ordered: bool) -> exp.Expression:
        if isinstance(node, Literal):
            type = _operand_type(other)
            return self.literal(node, type)
        if isinstance(node, Len):
            return self.length(node)
        if isinstance(node, Attr):
            e = self.value(node)
            if node.type.kind is Kind.STRING:
                e = self.engine.text(e, ordered)
            return e
        raise _untyped(node)

    def length(self, node: Len) -> exp.Expression:
        attr = node.path
        if not isinstance(attr, Attr):
            raise _untyped(node)
        doc, native = self.container(attr)
        if native:
            return self.engine.native_len(doc)
        if attr.key is not None:
            raise self.engine.unsupported("LEN() of a map value")
        e = self.engine.map_len(doc) if attr.type.kind is Kind.MAP else self.engine.array_len(doc)
        return self.keys_to_params(e)

    # operators

    def regex(self, node: Compare, ci: bool) -> exp.Expression:
        assert isinstance(node.right, Literal) and isinstance(node.right.value, str)
        x = self.operand(node.left, node.right, False)
        if "\x00" in node.right.value:
            raise self.engine.unsupported("a NUL character in a pattern")
        pattern, ci = self.engine.regex_pattern(node.right.value, ci)
        return self.engine.regex(x, self.bind(pattern), ci)

    def has(self, node: Compare) -> exp.Expression:
        attr, lit = node.left, node.right
        if not isinstance(attr, Attr):
            raise _untyped(attr)
        assert isinstance(lit, Literal)
        doc, native = self.container(attr)
        type = attr.type
        if type.kind is Kind.MAP:
            key = lit.value
            assert isinstance(key, str)  # keys match exactly, as in memory (UUID keys too)
            return self.keys_to_params(self.engine.has_key(doc, key))
        assert type.items is not None
        kind = type.items.kind
        if kind is Kind.JSON:
            raise self.engine.unsupported("? on an array of json values")
        value = self.bind(self.element(lit.value, type.items))
        if native:
            return self.engine.native_has(doc, value, kind)
        return self.keys_to_params(self.engine.array_has(doc, value, kind))

    def element(self, value: Value, type: Type) -> Any:
        if isinstance(value, UUID) and not isinstance(self.engine, (Postgres, DuckDB)):
            return str(value)
        if isinstance(value, datetime) and isinstance(self.engine, (SQLite, MariaDB)):
            return _time_text(value)
        return self.engine.param(value, type)

    # expressions

    def expr(self, node: Expr) -> exp.Expression:
        if isinstance(node, And):
            return _join(exp.And, [self.expr(i) for i in node.items])
        if isinstance(node, Or):
            return _join(exp.Or, [self.expr(i) for i in node.items])
        if isinstance(node, Not):
            return exp.Not(this=exp.Paren(this=self.expr(node.expr)))
        if isinstance(node, Truth):
            return self.truth(node)
        if isinstance(node, Compare):
            return OPERATORS[node.op](self, node)
        if isinstance(node, In):
            operand = self.operand(node.operand, node.operand, False)
            type = _operand_type(node.operand)
            values = [self.literal(v, type) for v in node.values]
            e: exp.Expression = exp.In(this=operand, expressions=values)
            return exp.Not(this=e) if node.negated else e
        if isinstance(node, IsNull):
            tested = node.operand
            if isinstance(tested, Attr) and tested.type.is_container and tested.key is None:
                subject, _ = self.container(tested)
                subject = self.keys_to_params(subject)
            elif isinstance(tested, (Attr, Len, Literal)):
                subject = self.operand(tested, tested, False)
            else:
                raise _untyped(tested)
            e = exp.Is(this=subject, expression=exp.Null())
            return exp.Not(this=e) if node.negated else e
        raise _untyped(node)

    def truth(self, node: Truth) -> exp.Expression:
        # COALESCE, not IS TRUE: some dialects' generators drop IS TRUE (Trino, Snowflake).
        inner = exp.Paren(this=self.expr(node.expr))
        test: exp.Expression = inner if node.value else exp.Not(this=inner)
        e: exp.Expression = exp.Coalesce(this=test, expressions=[exp.false()])
        return exp.Not(this=e) if node.negated else e


def _join(cls: type[exp.And] | type[exp.Or], items: list[exp.Expression]) -> exp.Expression:
    wrapped = [exp.Paren(this=i) if isinstance(i, exp.Connector) else i for i in items]
    out: exp.Expression = wrapped[0]
    for item in wrapped[1:]:
        out = cls(this=out, expression=item)
    return out


def _operand_type(node: Operand) -> Type | None:
    if isinstance(node, Attr):
        return node.type
    if isinstance(node, Len):
        return Type(Kind.INT)
    return None


def _untyped(node: Node) -> WhereError:
    return WhereSqlError(
        "sql-untyped",
        f"{node.to_where()} is not checked against a schema",
        hint="parse with a schema: wherelang.parse(text, schema=...)",
    )


def _check_typed(expr: Expr) -> None:
    for node in walk(expr):
        if isinstance(node, Path):
            raise _untyped(node)
        if not isinstance(node, Node):
            raise WhereSqlError("sql-untyped", f"not a where expression: {type(node).__name__}")


def _freeze(mapping: Mapping[str, Target] | None) -> tuple[tuple[str, Target], ...]:
    return tuple(sorted((mapping or {}).items(), key=lambda kv: kv[0]))


# A placeholder is generated as this sentinel, then replaced in text order: sqlglot
# does not always generate children left to right (IN writes its list first). With
# params the text holds no user text, so the sentinel cannot be forged.
_SENTINEL = re.compile("\x01(\\d+)\x02")


class _Generator:
    """Wraps the dialect's sqlglot generator so placeholders come out in the driver's
    style, with the values in the order the placeholders appear in the text."""

    _classes: ClassVar[dict[str, type[Any]]] = {}

    @classmethod
    def generate(cls, engine: Engine, tree: exp.Expression, values: list[Any]) -> tuple[str, tuple[Any, ...]]:
        dialect = Dialect.get_or_raise(engine.dialect)
        base = dialect.generator_class
        sub = cls._classes.get(engine.dialect)
        if sub is None:

            def placeholder_sql(self: Any, expression: exp.Placeholder) -> str:
                name = expression.name
                if name.startswith("wl") and name[2:].isdigit():
                    return f"\x01{name[2:]}\x02"
                return base.placeholder_sql(self, expression)

            transforms = {**base.TRANSFORMS, Regexp_: _regexp_sql}
            sub = type(
                f"Wherelang{base.__name__}",
                (base,),
                {"placeholder_sql": placeholder_sql, "TRANSFORMS": transforms},
            )
            cls._classes[engine.dialect] = sub
        gen = sub(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
        try:
            sql: str = gen.generate(tree, copy=False)
        except SqlglotError as exc:
            raise engine.unsupported(f"this expression ({exc})") from None
        order = [int(m.group(1)) for m in _SENTINEL.finditer(sql)]
        mark = engine.placeholder or "?"
        return _SENTINEL.sub(lambda m: mark, sql), tuple(values[i] for i in order)


def _compile(
    expr: Expr, dialect: str, mapping: Mapping[str, Target] | None, table: str | None
) -> tuple[Engine, exp.Expression, list[Any]]:
    if not isinstance(expr, Node):
        raise WhereSqlError("sql-untyped", f"expected a where expression, got {type(expr).__name__}")
    _check_typed(expr)
    engine = _engine(dialect)
    compiler = _Compiler(engine, dict(mapping or {}), table)
    tree = compiler.expr(expr)
    return engine, tree, compiler.values


def _inline(engine: Engine, tree: exp.Expression, values: list[Any]) -> exp.Expression:
    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name.startswith("wl") and node.name[2:].isdigit():
            value = values[int(node.name[2:])]
            if isinstance(value, str) and "\x00" in value:
                raise engine.unsupported(
                    "a NUL character in an inlined literal", "bind it: to_sql(..., params=True)"
                )
            return engine.inline(value)
        return node

    return tree.transform(swap)


@lru_cache(maxsize=2048)
def _to_sql_cached(
    expr: Expr, dialect: str, mapping: tuple[tuple[str, Target], ...], params: bool, table: str | None
) -> SqlClause:
    return _to_sql(expr, dialect, dict(mapping), params, table)


def _to_sql(
    expr: Expr, dialect: str, mapping: Mapping[str, Target] | None, params: bool, table: str | None
) -> SqlClause:
    engine, tree, values = _compile(expr, dialect, mapping, table)
    if not params:
        tree = _inline(engine, tree, values)
        values = []
    sql, ordered = _Generator.generate(engine, tree, values)
    return SqlClause(sql, ordered, engine.dialect)


def to_sql(
    expr: Expr,
    *,
    dialect: str = "postgres",
    mapping: Mapping[str, Target] | None = None,
    params: bool = True,
    table: str | None = None,
    cache: bool = True,
) -> SqlClause:
    """Compile a typed where expression into a WHERE clause for ``dialect``.

    ``params=True`` gives placeholders in the driver's style (psycopg and pymysql
    ``%s``; sqlite3 and duckdb ``?``; sqlglot's ``?`` elsewhere) with the values in
    ``.params``; ``params=False`` inlines the values as literals quoted by sqlglot, for
    display. ``mapping`` points attributes at other columns (see :class:`Column`,
    :class:`JsonPath`, :class:`ArrayColumn`, :class:`Joined`); ``table`` qualifies the
    default columns (``u."Slug"``).

    >>> from wherelang import parse, to_sql
    >>> from wherelang.schema import Schema, Attribute, Type
    >>> s = Schema("Unit", [Attribute("Slug", Type.of("string"))])
    >>> to_sql(parse("Slug LIKE 'a%'", schema=s), dialect="sqlite").sql
    'WHERELANG_LIKE("Slug" COLLATE BINARY, ?)'
    >>> to_sql(parse("Slug = 'it''s'", schema=s, extended=True), dialect="mysql", params=False).sql
    "`Slug` COLLATE utf8mb4_nopad_bin = 'it''s'"
    """
    if cache:
        try:
            return _to_sql_cached(expr, dialect, _freeze(mapping), params, table)
        except TypeError:  # an unhashable mapping value
            pass
    return _to_sql(expr, dialect, mapping, params, table)


def to_sqlglot(
    expr: Expr,
    *,
    dialect: str = "postgres",
    mapping: Mapping[str, Target] | None = None,
    table: str | None = None,
) -> exp.Expression:
    """The WHERE condition as a sqlglot expression, values inlined as sqlglot literals.

    >>> from wherelang import parse, to_sqlglot
    >>> from wherelang.schema import Schema, Attribute, Type
    >>> s = Schema("Unit", [Attribute("Slug", Type.of("string"))])
    >>> import sqlglot
    >>> cond = to_sqlglot(parse("Slug = 'x'", schema=s), dialect="duckdb")
    >>> sqlglot.select("*").from_("units").where(cond).sql("duckdb")
    'SELECT * FROM units WHERE "Slug" = \\'x\\''
    """
    engine, tree, values = _compile(expr, dialect, mapping, table)
    return _inline(engine, tree, values)


# --- storage: the default layout ----------------------------------------------------------


def _table(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name, quoted=True))


def _attributes(schema: Schema) -> list[tuple[str, Type]]:
    return [(a.name, a.type) for a in schema.attributes.values()]


def create_table(
    schema: Schema, dialect: str = "postgres", *, table: str | None = None, if_not_exists: bool = False
) -> str:
    """DDL of the default layout: one column per attribute, named as the attribute.

    >>> from wherelang.schema import Schema, Attribute, Type
    >>> s = Schema("Unit", [Attribute("Slug", Type.of("string")),
    ...                     Attribute("CreatedAt", Type.of("time"))])
    >>> print(create_table(s, "postgres"))
    CREATE TABLE "Unit" ("Slug" TEXT, "CreatedAt" TIMESTAMPTZ)
    >>> print(create_table(s, "mariadb", table="units"))
    CREATE TABLE `units` (`Slug` TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin, `CreatedAt` DATETIME(6))
    """
    engine = _engine(dialect)
    columns = [engine.column_def(name, type) for name, type in _attributes(schema)]
    node = exp.Create(
        kind="TABLE",
        exists=if_not_exists,
        this=exp.Schema(this=_table(table or schema.name), expressions=columns),
    )
    return node.sql(dialect=engine.dialect)


def insert_statement(schema: Schema, dialect: str = "postgres", *, table: str | None = None) -> str:
    """``INSERT INTO table (columns) VALUES (placeholders)`` for :func:`row`'s values.

    >>> from wherelang.schema import Schema, Attribute, Type
    >>> s = Schema("Unit", [Attribute("Slug", Type.of("string")), Attribute("N", Type.of("int"))])
    >>> insert_statement(s, "sqlite", table="units")
    'INSERT INTO "units" ("Slug", "N") VALUES (?, ?)'
    """
    engine = _engine(dialect)
    names = [name for name, _ in _attributes(schema)]
    values = [exp.Placeholder(this=f"wl{i}") for i in range(len(names))]
    node = exp.Insert(
        this=exp.Schema(
            this=_table(table or schema.name),
            expressions=[exp.to_identifier(n, quoted=True) for n in names],
        ),
        expression=exp.Values(expressions=[exp.Tuple(expressions=values)]),
    )
    sql, _ = _Generator.generate(engine, node, list(range(len(names))))
    return sql


def row(schema: Schema, entity: Any, dialect: str = "postgres") -> tuple[Any, ...]:
    """The values of one entity (a dict or an object) for :func:`insert_statement`.

    Times become UTC (text in SQLite), UUIDs lower-case, arrays and maps JSON text.

    >>> from wherelang.schema import Schema, Attribute, Type
    >>> s = Schema("Unit", [Attribute("At", Type.of("time")),
    ...                     Attribute("Tags", Type.of({"type": "array", "items": "string"}))])
    >>> row(s, {"At": "2025-01-07T10:00:00+02:00", "Tags": ["a", "é"]}, "sqlite")
    ('2025-01-07T08:00:00.000000Z', '["a", "é"]')
    """
    engine = _engine(dialect)
    out = []
    for name, type in _attributes(schema):
        if isinstance(entity, Mapping):
            value = entity.get(name)
        else:
            value = getattr(entity, name, None)
        out.append(_store(value, type, engine, name))
    return tuple(out)


def _bad(name: str, value: Any, type: Type) -> WhereEvaluationError:
    return WhereEvaluationError(
        "bad-value", f"{name} should be {type}, got {value!r}", hint="fix the entity's data"
    )


def _scalar(value: Any, type: Type, name: str) -> Any:
    """An entity's scalar normalised: aware UTC datetime, UUID, ..."""
    from .validate import parse_time

    kind = type.kind
    if value is None:
        return None
    if kind is Kind.UUID:
        try:
            return value if isinstance(value, UUID) else UUID(str(value))
        except ValueError:
            raise _bad(name, value, type) from None
    if kind is Kind.TIME:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        parsed = parse_time(str(value)) if isinstance(value, str) else None
        if parsed is None:
            raise _bad(name, value, type)
        return parsed
    if kind is Kind.FLOAT and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return float(value)
    return value


def _json_ready(value: Any, type: Type | None, name: str) -> Any:
    if value is None or type is None:
        return value
    if type.kind is Kind.ARRAY:
        return [_json_ready(v, type.items, name) for v in value]
    if type.kind is Kind.MAP:
        return {str(k): _json_ready(v, type.values, name) for k, v in value.items()}
    if type.kind is Kind.JSON:
        return value
    v = _scalar(value, type, name)
    if isinstance(v, UUID):
        return str(v)
    if isinstance(v, datetime):
        return _time_text(v)
    return v


def _store(value: Any, type: Type, engine: Engine, name: str = "value") -> Any:
    if value is None:
        return None
    if type.kind in (Kind.ARRAY, Kind.MAP, Kind.JSON):
        return json.dumps(_json_ready(value, type, name), ensure_ascii=False)
    v = _scalar(value, type, name)
    if isinstance(v, UUID):
        return engine.uuid_value(v)
    if isinstance(v, datetime):
        return engine.time_value(v.astimezone(timezone.utc))
    if isinstance(v, bool) and isinstance(engine, SQLite):
        return int(v)
    return v


# --- SQLite: what it lacks -------------------------------------------------------------------


# NULL in, NULL out; otherwise exactly what in-memory evaluation answers.


def _sqlite_like(x: Any, p: Any) -> int | None:
    return None if x is None or p is None else int(like(str(x), str(p)))


def _sqlite_ilike(x: Any, p: Any) -> int | None:
    return None if x is None or p is None else int(like(str(x), str(p), fold=True))


def _sqlite_regex(x: Any, p: Any) -> int | None:
    return None if x is None or p is None else int(regex_search(str(x), str(p)))


def _sqlite_iregex(x: Any, p: Any) -> int | None:
    if x is None or p is None:
        return None
    return int(regex_search(str(x), str(p), case_sensitive=False))


def prepare_sqlite(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Register on ``conn`` the functions SQLite lacks (once per connection):
    case-sensitive LIKE with backslash escape, Unicode ILIKE, and RE2 regex search.

    >>> import sqlite3
    >>> conn = prepare_sqlite(sqlite3.connect(":memory:"))
    >>> conn.execute("SELECT wherelang_like('Abc', 'a%'), wherelang_ilike('ÉA', 'éa')").fetchone()
    (0, 1)
    """
    for name, fn in (
        ("wherelang_like", _sqlite_like),
        ("wherelang_ilike", _sqlite_ilike),
        ("wherelang_regex", _sqlite_regex),
        ("wherelang_iregex", _sqlite_iregex),
    ):
        conn.create_function(name, 2, fn, deterministic=True)
    return conn
