"""Trino (and Presto and Athena, which share its functions): rendered through sqlglot's
nodes and checked in ``tests/test_sql_text.py`` against Trino's documented semantics; no
Trino runs here.

JSON text columns (``VARCHAR``) are parsed with ``json_parse`` and cast to
``MAP(VARCHAR, JSON)`` / ``ARRAY(JSON)``, so a key is a bound map key (any key matches,
``'`` included) and never part of a JSON path string.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from sqlglot import exp

from ...evaluate import pg_lower
from ...nodes import Value
from ...schema import Kind, Type
from ..base import Engine, _fn, _java_intersection, _key, _plain_escapes, _rewrite

_MAP = "MAP(VARCHAR, JSON)"
_CASTS = {Kind.INT: "BIGINT", Kind.FLOAT: "DOUBLE", Kind.BOOL: "BOOLEAN"}
_ARRAYS = {Kind.STRING: "ARRAY(VARCHAR)", Kind.UUID: "ARRAY(VARCHAR)", Kind.INT: "ARRAY(BIGINT)",
           Kind.FLOAT: "ARRAY(DOUBLE)", Kind.BOOL: "ARRAY(BOOLEAN)"}  # fmt: skip


def _try_cast(e: exp.Expression, to: str) -> exp.Expression:
    return exp.TryCast(this=e, to=exp.DataType.build(to, dialect="trino"), safe=True)


def _lambda(body: Any) -> exp.Expression:
    return exp.Lambda(this=body(exp.column("wl_x")), expressions=[exp.to_identifier("wl_x")])


class Trino(Engine):
    dialects: ClassVar[tuple[str, ...]] = ("trino", "presto")
    title = "Trino"
    placeholder = "?"  # the trino client's qmark style
    column_types = {
        Kind.STRING: "VARCHAR",
        Kind.INT: "BIGINT",
        Kind.FLOAT: "DOUBLE",
        Kind.BOOL: "BOOLEAN",
        Kind.UUID: "VARCHAR",  # lower-case text, as row() writes
        Kind.TIME: "TIMESTAMP(6) WITH TIME ZONE",
        Kind.JSON: "VARCHAR",
    }

    # VARCHAR compares by code point: text() needs nothing.

    def like_pattern(self, pattern: str, fold: bool) -> str:
        # Trino refuses an escape before anything but %, _ and itself.
        text = _plain_escapes(pattern, self)
        return pg_lower(text) if fold else text

    def ilike(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        # lower() maps one code point at a time (Character.toLowerCase), as PostgreSQL;
        # p is lowered already (like_pattern).
        return self.like(exp.Lower(this=x), p)

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        # Joni with Java syntax: the portable subset, $ written \z, ~* as case sets.
        text, _ = _rewrite(pattern, self, ci, fold=True)
        if _java_intersection(text):
            raise self.unsupported(f"'&&' in the regular expression {pattern!r} (Java syntax reads it as intersection)")
        return "(?s)" + text, False

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        return exp.RegexpLike(this=x, expression=p)  # regexp_like searches

    def param(self, value: Value, type: Type | None) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
            return Decimal(value) if abs(value) < 10**37 else float(value)  # DECIMAL(38) compares exactly
        return super().param(value, type)

    def _object(self, doc: exp.Expression) -> exp.Expression:
        return _try_cast(_fn("json_parse", doc), _MAP)

    def json_container(self, doc: exp.Expression, keys: tuple[str, ...]) -> exp.Expression:
        value = _fn("json_parse", doc)
        for k in keys:
            value = _fn("element_at", _try_cast(value, _MAP), _key(k))
        return _fn("json_format", value)

    def json_scalar(self, doc: exp.Expression, keys: tuple[str, ...], kind: Kind) -> exp.Expression:
        value = _fn("json_parse", doc)
        for k in keys:
            value = _fn("element_at", _try_cast(value, _MAP), _key(k))
        if kind is Kind.JSON:
            return _fn("json_format", value)
        text = _fn("json_extract_scalar", value, exp.Literal.string("$"))  # NULL for JSON null
        return self.from_json_text(text, kind)

    def from_json_text(self, e: exp.Expression, kind: Kind) -> exp.Expression:
        if kind is Kind.STRING:
            return e
        if kind is Kind.UUID:
            return exp.Lower(this=e)
        if kind is Kind.TIME:
            return _fn("try", _fn("from_iso8601_timestamp", e))
        if kind in _CASTS:
            return _try_cast(e, _CASTS[kind])
        raise self.unsupported(f"a {kind.value} value inside JSON")

    def has_key(self, doc: exp.Expression, key: str) -> exp.Expression:
        return _fn("contains", _fn("map_keys", self._object(doc)), _key(key))

    def _contains(self, array: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        # contains() is NULL when an element is NULL and none matches; PostgreSQL's EXISTS
        # is false: NULL elements are dropped first. A NULL array stays NULL.
        if kind is Kind.UUID:
            array = _fn("transform", array, _lambda(lambda x: exp.Lower(this=x)))
        present = _fn("filter", array, _lambda(lambda x: exp.Not(this=exp.Is(this=x, expression=exp.Null()))))
        return _fn("contains", present, value)

    def array_has(self, doc: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        if kind not in _ARRAYS:
            raise self.unsupported(f"? on an array of {kind.value}")
        return self._contains(_try_cast(_fn("json_parse", doc), _ARRAYS[kind]), value, kind)

    def array_len(self, doc: exp.Expression) -> exp.Expression:
        # NULL for a missing document and for JSON that is not an array: 0
        return exp.Coalesce(this=_fn("json_array_length", _fn("json_parse", doc)), expressions=[exp.Literal.number(0)])

    def map_len(self, doc: exp.Expression) -> exp.Expression:
        return exp.Coalesce(this=_fn("cardinality", self._object(doc)), expressions=[exp.Literal.number(0)])

    # native ARRAY and MAP columns

    def native_has(self, col: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        return self._contains(col, value, kind)

    def native_len(self, col: exp.Expression) -> exp.Expression:
        return exp.Coalesce(this=_fn("cardinality", col), expressions=[exp.Literal.number(0)])

    def native_key(self, col: exp.Expression, key: str, kind: Kind) -> exp.Expression:
        value = _fn("element_at", col, _key(key))  # NULL for a missing key
        return exp.Lower(this=value) if kind is Kind.UUID else value

    def native_has_key(self, col: exp.Expression, key: str) -> exp.Expression:
        return _fn("contains", _fn("map_keys", col), _key(key))

    def native_map_len(self, col: exp.Expression) -> exp.Expression:
        return self.native_len(col)


class Athena(Trino):
    """Athena's queries are Trino SQL; sqlglot's athena generator is for its Hive DDL
    (and writes placeholders its own way), so Trino's writes the clause."""

    dialects: ClassVar[tuple[str, ...]] = ("athena",)
    title = "Athena"
    generator_dialect = "trino"

