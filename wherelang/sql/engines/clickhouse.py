"""ClickHouse (clickhouse-connect, or chdb in process): verified by
``tests/test_clickhouse.py`` on chdb.

Query parameters are ClickHouse's typed markers ``{wl0:String}``, ``{wl1:Int64}``, ...:
``clause.params[i]`` is the value of ``wl<i>`` (``dict(zip(names, params))`` for a
driver). Columns are ``Nullable``: ClickHouse columns hold no NULL otherwise. JSON text
is read with ``JSONExtract*`` (keys bound as values, so any key matches).
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, ClassVar

from sqlglot import exp

from ...evaluate import pg_lower
from ...nodes import Value
from ...schema import Kind, Type
from ..base import Engine, _case_null, _fn, _key, _plain_escapes, _re2_pattern

_TIME = "DateTime64(6, 'UTC')"

# JSONExtract's return type per kind (UUIDs and times are read as text, then converted).
_JSON_TYPES = {
    Kind.STRING: "Nullable(String)",
    Kind.INT: "Nullable(Int64)",
    Kind.FLOAT: "Nullable(Float64)",
    Kind.BOOL: "Nullable(Bool)",
    Kind.UUID: "Nullable(String)",
    Kind.TIME: "Nullable(String)",
}

# lowerUTF8 is full lower-casing ('İ' -> two characters, a final 'Σ' -> 'ς'); PostgreSQL
# lowers one character at a time: those two are translated first.
_LOWER_FROM, _LOWER_TO = "\u0130\u03a3", "i\u03c3"


def _time_text(value: datetime) -> str:
    v = value.astimezone(timezone.utc)
    return v.strftime("%Y-%m-%d %H:%M:%S.") + f"{v.microsecond:06d}"


def _text(doc: exp.Expression) -> exp.Expression:
    # JSON functions cannot return arrays from a Nullable argument: '' (no JSON) instead,
    # and a NULL document is handled by the caller.
    return _fn("ifNull", doc, exp.Literal.string(""))


class ClickHouse(Engine):
    dialects: ClassVar[tuple[str, ...]] = ("clickhouse",)
    title = "ClickHouse"
    # Int64 columns: a literal outside is settled at compile time (see Engine.int_range)
    int_range = (-(2**63), 2**63 - 1)

    def as_float(self, e: exp.Expression) -> exp.Expression:
        # ClickHouse compares Int64 with Float64 exactly; PostgreSQL rounds the bigint first
        return exp.Cast(this=e, to=exp.DataType.build("Nullable(Float64)", dialect="clickhouse"))

    like_escape = False  # backslash escapes % _ and itself; there is no ESCAPE clause
    column_types = {
        Kind.STRING: "Nullable(String)",
        Kind.INT: "Nullable(Int64)",
        Kind.FLOAT: "Nullable(Float64)",
        Kind.BOOL: "Nullable(Bool)",
        Kind.UUID: "Nullable(String)",  # lower-case text, as row() writes
        Kind.TIME: f"Nullable({_TIME})",
        Kind.JSON: "Nullable(String)",
    }

    # Strings compare as bytes: UTF-8 byte order is code-point order.

    def marker(self, position: int, value: Any) -> str:
        return f"{{wl{position}:{self.param_type(value)}}}"

    def param_type(self, value: Any) -> str:
        """The ClickHouse type a bound value is parsed as."""
        if isinstance(value, Type):  # a column of insert_statement
            kind = Kind.JSON if value.kind in (Kind.ARRAY, Kind.MAP) else value.kind
            return self.column_types[kind]
        if isinstance(value, bool):
            return "Bool"
        if isinstance(value, int):
            return "Int64" if -(2**63) <= value < 2**63 else "Int256"
        if isinstance(value, float):
            return "Float64"
        return "String"

    def bound(self, node: exp.Placeholder, value: Any) -> tuple[exp.Expression, Any]:
        if isinstance(value, datetime):  # bound as UTC text, read as an instant
            to = exp.DataType.build(_TIME, dialect="clickhouse")
            return exp.Cast(this=node, to=to), _time_text(value)
        return node, value

    def param(self, value: Value, type: Type | None) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**255) <= value < 2**255:
            return float(value)  # beyond Int256: as far beyond every Int64 as a float
        if isinstance(value, Decimal):
            return float(value)
        return super().param(value, type)

    def like_pattern(self, pattern: str, fold: bool) -> str:
        text = _plain_escapes(pattern, self)
        return pg_lower(text) if fold else text

    def ilike(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        fold = _fn("translateUTF8", x, exp.Literal.string(_LOWER_FROM), exp.Literal.string(_LOWER_TO))
        return self.like(_fn("lowerUTF8", fold), p)  # p is lowered already (like_pattern)

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        text, ci = _re2_pattern(pattern, self, ci)  # match() is RE2
        return ("(?si)" if ci else "(?s)") + text, False

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        return _fn("match", x, p)  # a search, not anchored

    def from_json_text(self, e: exp.Expression, kind: Kind) -> exp.Expression:
        if kind is Kind.UUID:
            return exp.Lower(this=e)
        if kind is Kind.TIME:
            return _fn("parseDateTime64BestEffortOrNull", e, exp.Literal.number(6), exp.Literal.string("UTC"))
        return e

    def json_scalar(self, doc: exp.Expression, keys: tuple[str, ...], kind: Kind) -> exp.Expression:
        if kind is Kind.JSON:
            return self.json_container(doc, keys)
        if kind not in _JSON_TYPES:
            raise self.unsupported(f"a {kind.value} value inside JSON")
        value = _fn("JSONExtract", doc, *(_key(k) for k in keys), exp.Literal.string(_JSON_TYPES[kind]))
        return self.from_json_text(value, kind)

    def json_container(self, doc: exp.Expression, keys: tuple[str, ...]) -> exp.Expression:
        raw = _fn("JSONExtractRaw", doc, *(_key(k) for k in keys))  # '' when missing
        return _fn("nullIf", raw, exp.Literal.string(""))

    def has_key(self, doc: exp.Expression, key: str) -> exp.Expression:
        found = exp.EQ(this=_fn("JSONHas", _text(doc), _key(key)), expression=exp.Literal.number(1))
        return _case_null(doc, found)

    def array_has(self, doc: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        if kind not in _JSON_TYPES:
            raise self.unsupported(f"? on an array of {kind.value}")
        items = _fn("JSONExtract", _text(doc), exp.Literal.string(f"Array({_JSON_TYPES[kind]})"))
        if kind in (Kind.UUID, Kind.TIME):
            var = exp.to_identifier("wl_x")
            body = self.from_json_text(exp.column("wl_x"), kind)
            items = _fn("arrayMap", exp.Lambda(this=body, expressions=[var]), items)
        found = exp.EQ(this=_fn("has", items, value), expression=exp.Literal.number(1))
        return _case_null(doc, found)

    def _length(self, doc: exp.Expression, json_type: str) -> exp.Expression:
        # 0 for a missing document or JSON of another type, as PostgreSQL's CASE
        is_type = exp.EQ(this=_fn("JSONType", _text(doc)), expression=exp.Literal.string(json_type))
        return exp.Case(ifs=[exp.If(this=is_type, true=_fn("JSONLength", _text(doc)))], default=exp.Literal.number(0))

    def array_len(self, doc: exp.Expression) -> exp.Expression:
        return self._length(doc, "Array")

    def map_len(self, doc: exp.Expression) -> exp.Expression:
        return self._length(doc, "Object")

    def time_value(self, value: datetime) -> Any:
        return _time_text(value)
