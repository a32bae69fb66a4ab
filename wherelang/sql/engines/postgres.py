"""PostgreSQL (psycopg): verified by the differential test."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlglot import exp

from ...nodes import Value
from ...schema import Kind, Type
from ..base import Engine, _case_null, _fill, _fn, _from_text, _key, _rewrite


class Postgres(Engine):
    dialects = ("postgres",)
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

    # LIKE's escape is a backslash by default: no ESCAPE '\' clause, which a server with
    # standard_conforming_strings=off would read as an unterminated string.
    like_escape = False

    def ilike(self, x: exp.Expression, p: exp.Expression) -> exp.Expression:
        return exp.ILike(this=x, expression=p)

    def inline(self, value: Any) -> exp.Expression:
        if isinstance(value, str) and "\\" in value:
            # E'...' with every backslash and quote escaped reads the same whatever
            # standard_conforming_strings says; '...' with a backslash does not
            # ('\'' OR 1=1 --' would end the string early when it is off).
            return exp.ByteString(this=value)
        return super().inline(value)

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

    def plain_json(self, col: exp.Expression) -> exp.Expression:
        # json has none of the jsonb operators and functions the other methods write
        return exp.Cast(this=col, to=exp.DataType.build("JSONB"))

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

    def element(self, value: Value, type: Type) -> Any:
        return self.param(value, type)
