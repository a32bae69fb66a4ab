"""Spark SQL (pyspark, Spark 3.4+ and 4.x; ``spark.sql(text, args=[...])``) and
Databricks, which shares its SQL: verified in Spark local mode by the differential test.

Arrays, maps and JSON attributes live in JSON text columns (``STRING``) by default, as in
the other engines, or in native ``ARRAY``/``MAP`` columns through
:class:`~wherelang.sql.ArrayColumn` / :class:`~wherelang.sql.MapColumn`.

JSON text is read with ``from_json`` into ``MAP<STRING,STRING>`` / ``ARRAY<STRING>``
(a nested object or array comes back as its JSON text, JSON null as NULL), so a key is a
bound map key, never part of a JSON path string: every key matches, ``'`` included.
Casts are ``TRY_CAST`` and sizes ``ARRAY_SIZE``, which mean the same with
``spark.sql.ansi.enabled`` on (Spark 4's default) or off (Databricks' default).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from sqlglot import exp

from ...evaluate import pg_lower
from ...nodes import Value
from ...schema import Kind, Type
from ..base import Engine, _fn, _java_intersection, _key, _plain_escapes, _rewrite

_MAP = "MAP<STRING,STRING>"
_ARRAY = "ARRAY<STRING>"

# JSON text of a scalar made comparable as the attribute's kind.
_CASTS: dict[Kind, str] = {
    Kind.INT: "BIGINT",
    Kind.FLOAT: "DOUBLE",
    Kind.BOOL: "BOOLEAN",
    Kind.TIME: "TIMESTAMP",
}

# lower() is Java's full lower-casing: 'İ' becomes two characters and a final 'Σ' becomes
# 'ς'. PostgreSQL lowers one character at a time ('İ' -> 'i', 'Σ' -> 'σ'): those two are
# translated first, as wherelang.evaluate.pg_lower does.
_LOWER_FROM, _LOWER_TO = "\u0130\u03a3", "i\u03c3"


def _try_cast(e: exp.Expression, to: str) -> exp.Expression:
    return exp.TryCast(this=e, to=exp.DataType.build(to, dialect="spark"), safe=True)


def _from_json(doc: exp.Expression, schema: str) -> exp.Expression:
    return _fn("FROM_JSON", doc, exp.Literal.string(schema))


def _size(e: exp.Expression) -> exp.Expression:
    # ARRAY_SIZE is NULL for NULL (SIZE is -1 with spark.sql.legacy.sizeOfNull); missing is 0
    return exp.Coalesce(this=_fn("ARRAY_SIZE", e), expressions=[exp.Literal.number(0)])


def _contains(array: exp.Expression, value: exp.Expression) -> exp.Expression:
    # ARRAY_CONTAINS is NULL when the array holds a NULL and not the value; PostgreSQL's
    # EXISTS is false: NULL elements are dropped first. A NULL array stays NULL (unknown).
    return _fn("ARRAY_CONTAINS", _fn("ARRAY_COMPACT", array), value)


def _each(array: exp.Expression, convert: Any) -> exp.Expression:
    """``TRANSFORM(array, wl_x -> convert(wl_x))``."""
    var = exp.to_identifier("wl_x")
    return _fn("TRANSFORM", array, exp.Lambda(this=convert(exp.column("wl_x")), expressions=[var]))


class Spark(Engine):
    dialects: ClassVar[tuple[str, ...]] = ("spark", "databricks")
    title = "Spark"
    # BIGINT columns: a literal outside is settled at compile time (an IN list mixing
    # DECIMAL(38) and BIGINT values compared otherwise)
    int_range = (-(2**63), 2**63 - 1)
    placeholder = "?"  # spark.sql(text, args=[...]) binds positional markers
    column_types = {
        Kind.STRING: "STRING",
        Kind.INT: "BIGINT",
        Kind.FLOAT: "DOUBLE",
        Kind.BOOL: "BOOLEAN",
        Kind.UUID: "STRING",  # Spark has no UUID type: lower-case text, as row() writes
        Kind.TIME: "TIMESTAMP",  # an instant (TIMESTAMP_LTZ), shown in the session zone
        Kind.JSON: "STRING",
    }

    # Strings compare by UTF-8 bytes (UTF8_BINARY, the default collation): code-point
    # order, so text() needs nothing.

    def like_pattern(self, pattern: str, fold: bool) -> str:
        text = _plain_escapes(pattern, self)
        return pg_lower(text) if fold else text

    def ilike(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        lowered = exp.Lower(this=_fn("TRANSLATE", x, exp.Literal.string(_LOWER_FROM), exp.Literal.string(_LOWER_TO)))
        return self.like(lowered, p)  # p is lowered already (like_pattern)

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        # Java regex: the portable subset, $ written \z (Java's $ also matches before a
        # final newline), case sets written out for ~* as PostgreSQL folds.
        text, _ = _rewrite(pattern, self, ci, fold=True)
        if _java_intersection(text):
            raise self.unsupported(
                f"'&&' in the regular expression {pattern!r} (Java reads it in [...] as intersection)"
            )
        return "(?s)" + text, False

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        return exp.RegexpLike(this=x, expression=p)  # RLIKE: a search, not anchored

    def param(self, value: Value, type: Type | None) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
            # lit() cannot make a BIGINT of it: DECIMAL(38) compares exactly, beyond that
            # a float is as far beyond every BIGINT
            return Decimal(value) if abs(value) < 10**37 else float(value)
        return super().param(value, type)

    def bound(self, node: exp.Placeholder, value: Any) -> tuple[exp.Expression, Any]:
        # Spark's analyzer folds `bigint_column < <decimal literal beyond BIGINT>` to TRUE,
        # NULL rows included (Spark 4.0), and lit() makes a Decimal DECIMAL(38,18),
        # rounding finer fractions: a decimal is bound as its text and cast.
        if not isinstance(value, Decimal):
            return node, value
        sign, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)
        whole = max(1, len(digits) + exponent)
        scale = min(max(0, -exponent), 38 - whole)
        return exp.Cast(this=node, to=exp.DataType.build(f"DECIMAL(38, {scale})", dialect="spark")), str(value)

    def from_json_text(self, e: exp.Expression, kind: Kind) -> exp.Expression:
        if kind in (Kind.STRING, Kind.JSON):
            return e
        if kind is Kind.UUID:
            return exp.Lower(this=e)
        return _try_cast(e, _CASTS[kind])

    def _lookup(self, doc: exp.Expression, key: str) -> exp.Expression:
        return _fn("TRY_ELEMENT_AT", _from_json(doc, _MAP), _key(key))

    def json_container(self, doc: exp.Expression, keys: tuple[str, ...]) -> exp.Expression:
        for k in keys:
            doc = self._lookup(doc, k)
        return doc

    def json_scalar(self, doc: exp.Expression, keys: tuple[str, ...], kind: Kind) -> exp.Expression:
        return self.from_json_text(self.json_container(doc, keys), kind)

    def has_key(self, doc: exp.Expression, key: str) -> exp.Expression:
        return _fn("MAP_CONTAINS_KEY", _from_json(doc, _MAP), _key(key))

    def _elements(self, array: exp.Expression, kind: Kind) -> exp.Expression:
        if kind is Kind.STRING:
            return array
        return _each(array, lambda x: self.from_json_text(x, kind))

    def array_has(self, doc: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        return _contains(self._elements(_from_json(doc, _ARRAY), kind), value)

    def array_len(self, doc: exp.Expression) -> exp.Expression:
        # NULL for a missing document and for JSON that is not an array: 0, as PostgreSQL
        return exp.Coalesce(this=_fn("JSON_ARRAY_LENGTH", doc), expressions=[exp.Literal.number(0)])

    def map_len(self, doc: exp.Expression) -> exp.Expression:
        return _size(_fn("JSON_OBJECT_KEYS", doc))

    # native ARRAY and MAP columns

    def native_has(self, col: exp.Expression, value: exp.Expression, kind: Kind) -> exp.Expression:
        if kind is Kind.UUID:
            col = _each(col, lambda x: exp.Lower(this=x))
        return _contains(col, value)

    def native_len(self, col: exp.Expression) -> exp.Expression:
        return _size(col)

    def native_key(self, col: exp.Expression, key: str, kind: Kind) -> exp.Expression:
        value = _fn("TRY_ELEMENT_AT", col, _key(key))
        return exp.Lower(this=value) if kind is Kind.UUID else value

    def native_has_key(self, col: exp.Expression, key: str) -> exp.Expression:
        return _fn("MAP_CONTAINS_KEY", col, _key(key))

    def native_map_len(self, col: exp.Expression) -> exp.Expression:
        return _size(_fn("MAP_KEYS", col))
