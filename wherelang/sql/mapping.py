"""Where attributes live: the ``mapping`` values :func:`~wherelang.sql.to_sql` accepts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Union

__all__ = ["Column", "JsonPath", "ArrayColumn", "MapColumn", "Joined", "Related", "JoinTable", "Target"]


@dataclass(frozen=True, slots=True)
class Column:
    """An attribute stored in a column of another name (optionally of another table).

    ``plain_json=True``: the column is PostgreSQL's ``json`` (not ``jsonb``), which has
    none of the jsonb operators and functions to_sql writes, so PostgreSQL reads it as
    ``CAST(col AS JSONB)``. Other engines ignore it.
    """

    name: str
    table: str | None = None
    plain_json: bool = False


@dataclass(frozen=True, slots=True)
class JsonPath:
    """An attribute stored inside a JSON document column, at ``path`` (keys).

    ``JsonPath("doc", "meta", "slug")`` is ``doc -> 'meta' ->> 'slug'`` in PostgreSQL.
    ``plain_json=True``: ``doc`` is PostgreSQL's ``json``, read as jsonb (see
    :class:`Column`).
    """

    column: str
    path: tuple[str, ...]
    table: str | None = None
    plain_json: bool = False

    def __init__(self, column: str, *path: str, table: str | None = None, plain_json: bool = False) -> None:
        if not path:
            raise ValueError("JsonPath needs at least one key after the column")
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "path", tuple(path))
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "plain_json", plain_json)


@dataclass(frozen=True, slots=True)
class ArrayColumn:
    """An array attribute stored in a native array column (PostgreSQL ``text[]``,
    ``uuid[]``, ...; DuckDB lists) instead of JSON."""

    name: str
    table: str | None = None


@dataclass(frozen=True, slots=True)
class MapColumn:
    """A map attribute stored in a native map column (Spark ``MAP<STRING,STRING>``)
    instead of JSON."""

    name: str
    table: str | None = None


@dataclass(frozen=True)
class Joined:
    """A relation hop (``Space`` in ``Space.Labels.env``) whose entity the caller's query
    joins under ``alias`` (``LEFT JOIN spaces AS s ON s."SpaceID" = u."SpaceID"``).

    Attributes reached through the hop are columns of ``alias``, renamed or placed by
    ``mapping`` as for the main table. A missing joined row makes them NULL.
    """

    alias: str
    mapping: Mapping[str, Target] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.alias, tuple(sorted(self.mapping.items(), key=lambda kv: kv[0]))))


@dataclass(frozen=True, slots=True)
class JoinTable:
    """A join table linking entities to a list reference's entities: rows of ``table``
    pair ``owner`` (this entity's ``key`` attribute, its ID) with ``target`` (the related
    entity's ID)."""

    table: str
    owner: str
    target: str
    key: str


@dataclass(frozen=True)
class Related:
    """Where a list reference's entities live (``FromLink`` in ``FromLink.*.Slug``):
    rows of ``table`` whose ``id`` column holds their ID. By default this entity names
    them in its list attribute ``via`` (the default layout: a JSON array of IDs, as
    :func:`~wherelang.sql.row` stores ``FromLinkID``); ``join`` points at a join table
    instead. ``mapping`` places the related entity's attributes, as for the main table.

    ``FromLink.*.Slug = 'x'`` is ``EXISTS (SELECT 1 FROM links AS r WHERE <r is named>
    AND r."Slug" = 'x')``.
    """

    table: str
    id: str
    via: str | None = None
    join: JoinTable | None = None
    mapping: Mapping[str, "Target"] = field(default_factory=dict)

    def __hash__(self) -> int:
        items = tuple(sorted(self.mapping.items(), key=lambda kv: kv[0]))
        return hash((self.table, self.id, self.via, self.join, items))


Target = Union[str, Column, JsonPath, ArrayColumn, MapColumn, Joined, Related]
"""What a mapping entry may be: a column name, or one of the classes above."""
