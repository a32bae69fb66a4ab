"""Storage: the default layout (one column per attribute) as DDL, INSERT and row values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlglot import exp

from ..errors import WhereEvaluationError
from ..evaluate import is_permissions_type
from ..schema import Kind, Schema, Type
from ..times import TIME_FORMS, read_time
from .base import Engine, _time_text
from .compiler import _Generator
from .registry import _engine

__all__ = ["create_table", "insert_statement", "row"]


def _table(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name, quoted=True))


def _attributes(schema: Schema) -> list[tuple[str, Type]]:
    return [(a.name, a.type) for a in schema.attributes.values()]


def create_table(
    schema: Schema, dialect: str = "postgres", *, table: str | None = None, if_not_exists: bool = False
) -> str:
    """DDL of the default layout: one column per attribute, named as the attribute.

    >>> from wherelang.schema import Schema, Attribute, Type
    >>> s = Schema("Unit", [Attribute("Slug", Type.of("string")),
    ...                     Attribute("CreatedAt", Type.of("time"))])
    >>> print(create_table(s, "postgres"))
    CREATE TABLE "Unit" ("Slug" TEXT, "CreatedAt" TIMESTAMPTZ)
    >>> print(create_table(s, "mariadb", table="units"))
    CREATE TABLE `units` (`Slug` TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin, `CreatedAt` DATETIME(6))
    """
    engine = _engine(dialect)
    columns = [engine.column_def(name, type) for name, type in _attributes(schema)]
    node = exp.Create(
        kind="TABLE",
        exists=if_not_exists,
        this=exp.Schema(this=_table(table or schema.name), expressions=columns),
    )
    return node.sql(dialect=engine.dialect)


def insert_statement(schema: Schema, dialect: str = "postgres", *, table: str | None = None) -> str:
    """``INSERT INTO table (columns) VALUES (placeholders)`` for :func:`row`'s values.

    >>> from wherelang.schema import Schema, Attribute, Type
    >>> s = Schema("Unit", [Attribute("Slug", Type.of("string")), Attribute("N", Type.of("int"))])
    >>> insert_statement(s, "sqlite", table="units")
    'INSERT INTO "units" ("Slug", "N") VALUES (?, ?)'
    """
    engine = _engine(dialect)
    names = [name for name, _ in _attributes(schema)]
    values = [exp.Placeholder(this=f"wl{i}") for i in range(len(names))]
    node = exp.Insert(
        this=exp.Schema(
            this=_table(table or schema.name),
            expressions=[exp.to_identifier(n, quoted=True) for n in names],
        ),
        expression=exp.Values(expressions=[exp.Tuple(expressions=values)]),
    )
    types = [type for _, type in _attributes(schema)]  # what each marker binds (ClickHouse types them)
    sql, _ = _Generator.generate(engine, node, types)
    return sql


def row(schema: Schema, entity: Any, dialect: str = "postgres", *, index: int | None = None) -> tuple[Any, ...]:
    """The values of one entity (a dict or an object) for :func:`insert_statement`.

    Times become UTC (text in SQLite), UUIDs lower-case, arrays and maps JSON text. A
    time string is read as the evaluator reads it (:func:`wherelang.times.read_time`,
    PostgreSQL's forms), so a stored row means what the entity means in memory. A value
    that does not fit raises :class:`WhereEvaluationError` naming the attribute, the
    entity (``index``, when given, and its id) and the accepted forms.

    >>> from wherelang.schema import Schema, Attribute, Type
    >>> s = Schema("Unit", [Attribute("At", Type.of("time")),
    ...                     Attribute("Tags", Type.of({"type": "array", "items": "string"}))])
    >>> row(s, {"At": "2025-01-07T10:00:00+02:00", "Tags": ["a", "é"]}, "sqlite")
    ('2025-01-07T08:00:00.000000Z', '["a", "é"]')
    >>> row(s, {"At": "2025-01-07 10:00:00.0000005+0530"}, "sqlite")
    ('2025-01-07T04:30:00.000000Z', None)
    """
    engine = _engine(dialect)
    out = []
    for name, type in _attributes(schema):
        if isinstance(entity, Mapping):
            value = entity.get(name)
        else:
            value = getattr(entity, name, None)
        try:
            out.append(_store(value, type, engine, name))
        except WhereEvaluationError as exc:
            raise _in_entity(exc, schema, entity, index) from None
    return tuple(out)


def _in_entity(exc: WhereEvaluationError, schema: Schema, entity: Any, index: int | None) -> WhereEvaluationError:
    """``exc`` with the entity named: its index and id, as strict evaluation does."""
    where = "the entity" if index is None else f"entity #{index}"
    if schema.id:
        ident = entity.get(schema.id) if isinstance(entity, Mapping) else getattr(entity, schema.id, None)
        if ident is not None:
            where += f" ({schema.id} {str(ident)!r})"
    return WhereEvaluationError(exc.code, f"{where}: {exc.message}", hint=exc.hint)


def _bad(name: str, value: Any, type: Type) -> WhereEvaluationError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    hint = "fix the entity's data"
    if type.kind is Kind.TIME:
        hint = f"a time is a datetime, a date or text in {TIME_FORMS}"
    elif type.kind is Kind.FLOAT:
        hint = "a float is a float8: its magnitude is at most about 1.8e308"
    return WhereEvaluationError("bad-value", f"{name} should be {type}, got {shown}", hint=hint)


def _scalar(value: Any, type: Type, name: str) -> Any:
    """An entity's scalar normalised: aware UTC datetime, UUID, ..."""
    kind = type.kind
    if value is None:
        return None
    if kind is Kind.UUID:
        try:
            return value if isinstance(value, UUID) else UUID(str(value))
        except ValueError:
            raise _bad(name, value, type) from None
    if kind is Kind.TIME:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        parsed = read_time(value) if isinstance(value, str) else None
        if parsed is None:
            raise _bad(name, value, type)
        return parsed
    if kind is Kind.FLOAT and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # an int past float's range (a Decimal becomes inf)
            raise _bad(name, value, type) from None
    return value


def _json_ready(value: Any, type: Type | None, name: str) -> Any:
    if value is None or type is None:
        return value
    if type.kind is Kind.ARRAY:
        return [_json_ready(v, type.items, name) for v in value]
    if type.kind is Kind.MAP:
        if is_permissions_type(type):  # user IDs as evaluation compares them
            return _permissions_ready(value)
        return {str(k): _json_ready(v, type.values, name) for k, v in value.items()}
    if type.kind is Kind.JSON:
        return value
    v = _scalar(value, type, name)
    if isinstance(v, UUID):
        return str(v)
    if isinstance(v, datetime):
        return _time_text(v)
    return v


def _permissions_ready(value: Any) -> Any:
    """Permissions (action -> {"UserIDs": {user: bool}}) with user IDs in canonical lower
    case, as evaluation compares them; anything of another shape as it is."""
    from ..evaluate import canonical_users

    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for action, subjects in value.items():
        if isinstance(subjects, Mapping) and isinstance(subjects.get("UserIDs"), Mapping):
            subjects = {**subjects, "UserIDs": canonical_users(subjects["UserIDs"])}
        out[str(action)] = subjects
    return out


def _store(value: Any, type: Type, engine: Engine, name: str = "value") -> Any:
    if value is None:
        return None
    if type.kind in (Kind.ARRAY, Kind.MAP, Kind.JSON):
        return json.dumps(_json_ready(value, type, name), ensure_ascii=False)
    v = _scalar(value, type, name)
    if isinstance(v, UUID):
        return engine.uuid_value(v)
    if isinstance(v, datetime):
        return engine.time_value(v.astimezone(timezone.utc))
    if isinstance(v, bool):
        return engine.bool_value(v)
    return v
