"""BigQuery (GoogleSQL): rendered through sqlglot's nodes and checked in
``tests/test_sql_text.py`` against BigQuery's documented semantics; no BigQuery runs here.

JSON text columns (``STRING``) are read with ``PARSE_JSON`` and the JSON subscript
operator with a bound key (``PARSE_JSON(doc)[?]``: any key matches, no JSON path string),
then the ``LAX_*`` converters (a JSON null is SQL NULL).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from sqlglot import exp

from ...evaluate import pg_lower
from ...nodes import Value
from ...schema import Kind, Type
from ..base import Engine, _case_null, _fill, _fn, _key, _plain_escapes, _re2_pattern

# lower() of 'İ' and a final 'Σ' is not one character at a time: translated first.
_LOWER_FROM, _LOWER_TO = "\u0130\u03a3", "i\u03c3"


def _subscript(value: exp.Expression, key: str) -> exp.Expression:
    return exp.Bracket(this=value, expressions=[_key(key)])


class BigQuery(Engine):
    dialects: ClassVar[tuple[str, ...]] = ("bigquery",)
    title = "BigQuery"
    int_range = (-(2**63), 2**63 - 1)  # INT64 columns: see Engine.int_range
    like_escape = False  # backslash escapes by default; no ESCAPE clause
    column_types = {
        Kind.STRING: "STRING",
        Kind.INT: "INT64",
        Kind.FLOAT: "FLOAT64",
        Kind.BOOL: "BOOL",
        Kind.UUID: "STRING",  # lower-case text, as row() writes
        Kind.TIME: "TIMESTAMP",
        Kind.JSON: "STRING",
    }

    # STRING compares by code point under the default (binary) collation.

    def like_pattern(self, pattern: str, fold: bool) -> str:
        text = _plain_escapes(pattern, self)
        return pg_lower(text) if fold else text

    def ilike(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        fold = _fn("TRANSLATE", x, exp.Literal.string(_LOWER_FROM), exp.Literal.string(_LOWER_TO))
        return self.like(exp.Lower(this=fold), p)  # p is lowered already (like_pattern)

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        text, ci = _re2_pattern(pattern, self, ci)  # REGEXP_CONTAINS is RE2
        return ("(?si)" if ci else "(?s)") + text, False

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        return exp.RegexpLike(this=x, expression=p)  # REGEXP_CONTAINS: a search

    def param(self, value: Value, type: Type | None) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
            return Decimal(value) if abs(value) < 10**28 else float(value)  # NUMERIC: 29 digits
        return super().param(value, type)

    def _convert(self, kind: Kind) -> Callable[[exp.Expression], exp.Expression]:
        simple = {Kind.STRING: "LAX_STRING", Kind.INT: "LAX_INT64", Kind.FLOAT: "LAX_FLOAT64", Kind.BOOL: "LAX_BOOL"}
        if kind in simple:
            return lambda v: _fn(simple[kind], v)
        if kind is Kind.UUID:
            return lambda v: exp.Lower(this=_fn("LAX_STRING", v))
        if kind is Kind.TIME:
            to = exp.DataType.build("TIMESTAMP", dialect="bigquery")
            return lambda v: exp.TryCast(this=_fn("LAX_STRING", v), to=to, safe=True)
        raise self.unsupported(f"a {kind.value} value inside JSON")

    def _path(self, doc: exp.Expression, keys: tuple[str, ...]) -> exp.Expression:
        value = _fn("PARSE_JSON", doc)
        for k in keys:
            value = _subscript(value, k)  # SQL NULL for a missing key
        return value

    def json_container(self, doc: exp.Expression, keys: tuple[str, ...]) -> exp.Expression:
        return _fn("TO_JSON_STRING", self._path(doc, keys))

    def json_scalar(self, doc: exp.Expression, keys: tuple[str, ...], kind: Kind) -> exp.Expression:
        if kind is Kind.JSON:
            return self.json_container(doc, keys)
        return self._convert(kind)(self._path(doc, keys))

    def has_key(self, doc: exp.Expression, key: str) -> exp.Expression:
        # a key holding JSON null gives JSON 'null', not SQL NULL: present
        present = exp.Not(this=exp.Is(this=self._path(doc, (key,)), expression=exp.Null()))
        return _case_null(doc, present)

    def array_has(self, doc: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        element = self._convert(kind)(exp.column("wl_e"))
        found = _fill(
            "EXISTS (SELECT 1 FROM UNNEST(JSON_QUERY_ARRAY(PARSE_JSON(:doc))) AS wl_e WHERE :v = :p)",
            "bigquery", doc=doc, v=element, p=value,
        )  # fmt: skip
        return _case_null(doc, found)

    def array_len(self, doc: exp.Expression) -> exp.Expression:
        items = _fn("JSON_QUERY_ARRAY", _fn("PARSE_JSON", doc))  # NULL unless an array
        return exp.Coalesce(this=_fn("ARRAY_LENGTH", items), expressions=[exp.Literal.number(0)])

    def map_len(self, doc: exp.Expression) -> exp.Expression:
        keys = _fn("JSON_KEYS", _fn("PARSE_JSON", doc), exp.Literal.number(1))
        return exp.Coalesce(this=_fn("ARRAY_LENGTH", keys), expressions=[exp.Literal.number(0)])
