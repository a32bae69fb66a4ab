"""Snowflake: rendered through sqlglot's nodes and checked in ``tests/test_sql_text.py``
against Snowflake's documented semantics; no Snowflake runs here.

JSON text columns (``VARCHAR``) are read with ``PARSE_JSON`` and ``GET(value, ?)`` with a
bound key (any key matches, no path string), then ``AS_*`` (a JSON null is SQL NULL).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from sqlglot import exp

from ...evaluate import pg_lower
from ...nodes import Value
from ...schema import Kind, Type
from ..base import Engine, _case_null, _fn, _key, _plain_escapes, _rewrite

_LOWER_FROM, _LOWER_TO = "\u0130\u03a3", "i\u03c3"
_AS = {Kind.STRING: "AS_VARCHAR", Kind.INT: "AS_INTEGER", Kind.FLOAT: "AS_DOUBLE", Kind.BOOL: "AS_BOOLEAN"}


class Snowflake(Engine):
    dialects: ClassVar[tuple[str, ...]] = ("snowflake",)
    title = "Snowflake"
    column_types = {
        Kind.STRING: "VARCHAR",
        Kind.INT: "BIGINT",
        Kind.FLOAT: "DOUBLE",
        Kind.BOOL: "BOOLEAN",
        Kind.UUID: "VARCHAR",  # lower-case text, as row() writes
        Kind.TIME: "TIMESTAMP_TZ",
        Kind.JSON: "VARCHAR",
    }

    # An account or column may set a default collation: ordering asks for 'utf8', the
    # binary (code point) one.
    def text(self, e: exp.Expression, ordered: bool) -> exp.Expression:
        if not ordered:
            return e
        return exp.Collate(this=e, expression=exp.Literal.string("utf8"))

    def like_pattern(self, pattern: str, fold: bool) -> str:
        text = _plain_escapes(pattern, self)
        return pg_lower(text) if fold else text

    def ilike(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        fold = _fn("TRANSLATE", x, exp.Literal.string(_LOWER_FROM), exp.Literal.string(_LOWER_TO))
        return self.like(exp.Lower(this=fold), p)  # p is lowered already (like_pattern)

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        # POSIX ERE with Perl classes: the portable subset, ~* as case sets
        text, _ = _rewrite(pattern, self, ci, fold=True)
        return text, False

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        # REGEXP_LIKE is anchored in Snowflake; REGEXP_INSTR searches. 's': '.' matches \n.
        one = exp.Literal.number(1)
        call = _fn("REGEXP_INSTR", x, p, one, one.copy(), exp.Literal.number(0), exp.Literal.string("s"))
        return exp.GT(this=call, expression=exp.Literal.number(0))

    def param(self, value: Value, type: Type | None) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
            return Decimal(value) if abs(value) < 10**37 else float(value)  # NUMBER(38)
        return super().param(value, type)

    def _convert(self, kind: Kind) -> Callable[[exp.Expression], exp.Expression]:
        if kind in _AS:
            return lambda v: _fn(_AS[kind], v)
        if kind is Kind.UUID:
            return lambda v: exp.Lower(this=_fn("AS_VARCHAR", v))
        if kind is Kind.TIME:
            return lambda v: _fn("TRY_TO_TIMESTAMP_TZ", _fn("AS_VARCHAR", v))
        raise self.unsupported(f"a {kind.value} value inside JSON")

    def _path(self, doc: exp.Expression, keys: tuple[str, ...]) -> exp.Expression:
        value = _fn("PARSE_JSON", doc)
        for k in keys:
            value = _fn("GET", value, _key(k))  # SQL NULL for a missing key
        return value

    def json_container(self, doc: exp.Expression, keys: tuple[str, ...]) -> exp.Expression:
        return _fn("TO_JSON", self._path(doc, keys))

    def json_scalar(self, doc: exp.Expression, keys: tuple[str, ...], kind: Kind) -> exp.Expression:
        if kind is Kind.JSON:
            return self.json_container(doc, keys)
        return self._convert(kind)(self._path(doc, keys))

    def has_key(self, doc: exp.Expression, key: str) -> exp.Expression:
        # a key holding JSON null gives a VARIANT null, which IS NOT NULL: present
        present = exp.Not(this=exp.Is(this=self._path(doc, (key,)), expression=exp.Null()))
        return _case_null(doc, present)

    def array_has(self, doc: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        if kind not in _AS:  # ARRAY_CONTAINS compares exactly: no case-insensitive UUIDs
            raise self.unsupported(f"? on an array of {kind.value}")
        items = _fn("AS_ARRAY", _fn("PARSE_JSON", doc))
        return _case_null(doc, _fn("ARRAY_CONTAINS", _fn("TO_VARIANT", value), items))

    def array_len(self, doc: exp.Expression) -> exp.Expression:
        items = _fn("AS_ARRAY", _fn("PARSE_JSON", doc))  # NULL unless an array
        return exp.Coalesce(this=_fn("ARRAY_SIZE", items), expressions=[exp.Literal.number(0)])

    def map_len(self, doc: exp.Expression) -> exp.Expression:
        keys = _fn("OBJECT_KEYS", _fn("AS_OBJECT", _fn("PARSE_JSON", doc)))
        return exp.Coalesce(this=_fn("ARRAY_SIZE", keys), expressions=[exp.Literal.number(0)])
