"""DuckDB: verified by the differential test."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar
from uuid import UUID

from sqlglot import exp

from ...nodes import Value
from ...schema import Kind, Type
from ..base import Engine, _cast, _fn, _from_text, _key, _re2_pattern


# "(?<" not escaped by a backslash (an escaped "\\(" is a literal parenthesis).
_NAMED_GROUP = re.compile(r"(?<!\\)(?:\\\\)*\(\?<[A-Za-z_]")


class DuckDB(Engine):
    dialects = ("duckdb",)
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
        if _NAMED_GROUP.search(pattern):
            # DuckDB's RE2 predates (?<name>...): "invalid perl operator: (?<"
            raise self.unsupported(
                f"the named group (?<name>...) in the regular expression {pattern!r}",
                "write (?P<name>...) or a plain group (...)",
            )
        return _re2_pattern(pattern, self, ci)

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        # 's': dot matches newline, as in PostgreSQL
        return _fn("regexp_matches", x, p, exp.Literal.string("si" if ci else "s"))

    def param(self, value: Value, type: Type | None) -> Any:
        if isinstance(value, UUID):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**127) <= value < 2**127 and (
            type is None or type.kind is not Kind.FLOAT
        ):
            raise self.unsupported(f"the integer {value} outside 128 bits as an array element")
        return super().param(value, type)

    # BIGINT columns: a HUGEINT literal in an IN list would make DuckDB compare the whole
    # list as DOUBLE (2^63 - 1 IN (2^63) true). Values outside are settled at compile time.
    int_range = (-(2**63), 2**63 - 1)

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

    def element(self, value: Value, type: Type) -> Any:
        return self.param(value, type)


def _pointer(keys: Iterable[str]) -> str:
    """RFC 6901 JSON pointer (DuckDB), which escapes any key exactly."""
    return "".join("/" + k.replace("~", "~0").replace("/", "~1") for k in keys)


def prepare_duckdb(conn: Any) -> Any:
    """Register on a DuckDB connection the function JSON path conditions call
    (``wherelang_json``, the in-memory meaning of :mod:`wherelang.jsonpath`); once per
    connection, before running SQL with a path into a JSON attribute.

    >>> import duckdb
    >>> conn = prepare_duckdb(duckdb.connect())
    >>> spec = '{"steps": [["key", "a", null, null]], "test": "compare", "op": "GT", "literal": ["number", "1"]}'
    >>> conn.execute("SELECT wherelang_json(?, ?)", ['{"a": [1, 2]}', spec]).fetchone()
    (True,)
    """
    from ..paths import json_condition

    conn.create_function(
        "wherelang_json", json_condition, ["VARCHAR", "VARCHAR"], "BOOLEAN", null_handling="special"
    )
    return conn
