"""SQLite (sqlite3, after :func:`prepare_sqlite`): verified by the differential test."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from typing import Any

from sqlglot import exp

from ...evaluate import like, regex_search
from ...nodes import Value
from ...schema import Kind, Type
from ..base import Engine, _case_null, _fill, _fn, _key, _re2_pattern, _time_text
from ..paths import json_condition


# Columns of SQLite's json_each: an unqualified outer column of these names would be
# captured inside the subqueries below.
_JSON_EACH_COLUMNS = frozenset(
    {"key", "value", "type", "atom", "id", "parent", "fullkey", "path", "json", "root"}
)


class SQLite(Engine):
    dialects = ("sqlite",)
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
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63 and (
            type is None or type.kind is not Kind.FLOAT
        ):
            # sqlite3 cannot bind it (comparisons with integer columns are settled by the
            # compiler, see int_range): an array element, never equal to an INTEGER.
            raise self.unsupported(f"the integer {value} outside 64 bits as an array element")
        return super().param(value, type)

    int_range = (-(2**63), 2**63 - 1)

    def as_float(self, e: exp.Expression) -> exp.Expression:
        # SQLite compares INTEGER with REAL exactly; PostgreSQL rounds the bigint first.
        return exp.Cast(this=e, to=exp.DataType.build("REAL", dialect="sqlite"))

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

    def bool_value(self, value: bool) -> Any:
        return int(value)

    def element(self, value: Value, type: Type) -> Any:
        if isinstance(value, datetime):
            return _time_text(value)
        return super().element(value, type)


_PLAIN_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _json_label(key: str, engine: Engine) -> str:
    if not _PLAIN_LABEL.fullmatch(key):
        raise engine.unsupported(f"the JSON path key {key!r} in a mapping", "use plain names")
    return key


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


def _sqlite_json(doc: Any, spec: Any) -> int | None:
    result = json_condition(doc, spec)
    return None if result is None else int(result)


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
        ("wherelang_json", _sqlite_json),  # JSON paths: see wherelang.sql.paths
    ):
        conn.create_function(name, 2, fn, deterministic=True)
    return conn
