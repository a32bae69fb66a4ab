"""MariaDB 10.11 (pymysql), sqlglot's ``mysql`` dialect: verified by the differential test."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from sqlglot import exp

from ...nodes import Value
from ...regex import ilike_regex
from ...schema import Kind, Type
from ..base import Engine, _case_null, _fill, _fn, _from_text, _key, _rewrite, _time_text


_MARIADB_BIN = "utf8mb4_nopad_bin"


class MariaDB(Engine):
    dialects = ("mysql",)
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

    def ilike_regex(self, pattern: str) -> str | None:
        # MariaDB's LOWER() leaves 737 cased characters as they are ('ẞ' ILIKE 'ß' was
        # false): each pattern character becomes the set of characters PostgreSQL's
        # lower() maps to its lower case, matched case-sensitively (binary collation).
        try:
            return ilike_regex(pattern, "mysql")
        except ValueError as exc:  # a NUL character (wherelang.regex refuses it)
            raise self.unsupported(f"{exc} in the ILIKE pattern {pattern!r}") from None

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        text, _ = _rewrite(pattern, self, ci, fold=True)
        return "(?s)" + text, False

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        # MariaDB has no REGEXP_LIKE (what sqlglot writes for x REGEXP p). REGEXP_INSTR
        # is 0 exactly when REGEXP is false (NULL for NULL), and is a plain function
        # node: what to_sqlglot returns renders with sqlglot alone.
        return exp.GT(this=_fn("REGEXP_INSTR", x, p), expression=exp.Literal.number(0))

    def param(self, value: Value, type: Type | None) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().param(value, type)

    def inline(self, value: Any) -> exp.Expression:
        if isinstance(value, datetime):
            return exp.Literal.string(value.isoformat(sep=" "))
        if isinstance(value, str) and "\\" in value:
            # '\\' means one backslash by default and two under NO_BACKSLASH_ESCAPES; a
            # hex literal of the UTF-8 bytes means the same in every sql_mode.
            hexed = exp.HexString(this=value.encode("utf-8").hex())
            return exp.Introducer(this=exp.Var(this="_utf8mb4"), expression=hexed)
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

    def element(self, value: Value, type: Type) -> Any:
        if isinstance(value, datetime):
            return _time_text(value)
        return super().element(value, type)
