"""The shared engine base: how an SQL engine spells each construct, and the helpers
every engine module builds with.

:class:`Engine` is also the portable subset used for every sqlglot dialect no engine
module claims. An engine module (``wherelang/sql/engines/<name>.py``) subclasses it,
overrides what differs and names its sqlglot dialects in ``dialects``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar, cast
from uuid import UUID

import sqlglot
from sqlglot import exp

from ..errors import WhereSqlError
from ..nodes import Value
from ..regex import rewrite
from ..schema import Kind, Type

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

    return _template(sql, dialect).transform(swap)  # transform copies the template


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

    This base class is the portable subset used for every sqlglot dialect that no engine
    module claims; it raises :class:`WhereSqlError` for constructs it cannot express
    faithfully.
    """

    #: the sqlglot dialect names this class serves (the registry reads a class's own)
    dialects: ClassVar[tuple[str, ...]] = ()
    #: the sqlglot dialect whose generator writes the clause, when not ``dialect`` itself
    generator_dialect: ClassVar[str | None] = None
    #: extra sqlglot generator transforms for expression classes of this engine's own
    transforms: ClassVar[Mapping[type[exp.Expression], Callable[[Any, Any], str]]] = {}

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

    def ilike_regex(self, pattern: str) -> str | None:
        """ILIKE as an anchored, case-sensitive regular expression for :meth:`regex`,
        for an engine whose lower() differs from PostgreSQL's; None: use :meth:`ilike`."""
        return None

    def like_pattern(self, pattern: str, fold: bool) -> str:
        """A LIKE pattern (``fold``: of ILIKE) as this engine should receive it."""
        return pattern

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        """The pattern as this engine should receive it, and whether to ignore case."""
        return pattern, ci

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        raise self.unsupported("regular expressions (~, ~*)")

    # typed values

    #: the integers the engine binds and compares exactly, None for any (numeric); a
    #: comparison of an integer column with a literal outside is settled at compile time
    int_range: ClassVar[tuple[int, int] | None] = None

    def as_float(self, e: exp.Expression) -> exp.Expression:
        """An integer operand compared with a float, as PostgreSQL casts bigint to float8
        (2^53 + 1 = 2^53.0 is true there); engines that compare exactly override this."""
        return e

    def param(self, value: Value, type: Type | None) -> Any:
        """A literal as the driver should bind it."""
        if value.__class__ is str:  # the commonest, bound as it is
            return value
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool) and (
            type is not None and type.kind is Kind.FLOAT
        ):
            return float(value)  # PostgreSQL casts the numeric literal to float8
        if isinstance(value, Decimal):
            return value
        if isinstance(value, UUID):
            return str(value)
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc)
        return value

    def marker(self, position: int, value: Any) -> str:
        """The text of the ``position``-th placeholder (in text order), binding ``value``
        (a :class:`Type` for a column of insert_statement)."""
        return self.placeholder or "?"

    def bound(self, node: exp.Placeholder, value: Any) -> tuple[exp.Expression, Any]:
        """The SQL around a bound value's placeholder, and the value the driver gets."""
        return node, value

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

    def plain_json(self, col: exp.Expression) -> exp.Expression:
        """A column mapped ``plain_json=True`` (PostgreSQL's json type) as the JSON
        functions read it: the column itself, but on PostgreSQL (jsonb)."""
        return col

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

    def native_key(self, col: exp.Expression, key: str, kind: Kind) -> exp.Expression:
        raise self.unsupported("a map key on a native map column")

    def native_has_key(self, col: exp.Expression, key: str) -> exp.Expression:
        raise self.unsupported("? on a native map column")

    def native_map_len(self, col: exp.Expression) -> exp.Expression:
        raise self.unsupported("LEN() of a native map column")

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
        from .storage import _store

        return _store(value, type, self)

    def time_value(self, value: datetime) -> Any:
        return value

    def uuid_value(self, value: UUID) -> Any:
        return str(value)

    def bool_value(self, value: bool) -> Any:
        return value

    def element(self, value: Value, type: Type) -> Any:
        """An element of an array as ``?`` binds it (compared with JSON text)."""
        if isinstance(value, UUID):
            return str(value)
        return self.param(value, type)


_SURROGATE = re.compile("[\ud800-\udfff]")


# Text of a time in SQLite and inside JSON: fixed width UTC, so text order = time order.
def _time_text(value: datetime) -> str:
    v = value.astimezone(timezone.utc)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:"
        f"{v.second:02d}.{v.microsecond:06d}Z"
    )


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


def _plain_escapes(pattern: str, engine: Engine) -> str:
    """A LIKE pattern with ``\\x`` written ``x`` unless x is %, _ or backslash: PostgreSQL
    reads an escaped ordinary character as itself; Spark refuses it, ClickHouse keeps the
    backslash."""
    out, chars = [], iter(pattern)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, None)
            if nxt is None:
                raise engine.unsupported("a LIKE pattern ending with an escape character")
            out.append("\\" + nxt if nxt in "%_\\" else nxt)
        else:
            out.append(ch)
    return "".join(out)


def _java_intersection(text: str) -> bool:
    """Whether a rewritten pattern has ``&&`` inside ``[...]``, which Java-syntax engines
    (Spark, Trino) read as class intersection."""
    in_class, i = False, 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if in_class and text.startswith("&&", i):
            return True
        if c == "[":
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        i += 1
    return False


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
