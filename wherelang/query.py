"""List queries: the five parameters of a list endpoint, handled as one object.

A list endpoint takes ``where``, ``filter`` (a saved Filter's UUID), ``contains``,
``select`` and ``include`` together (SPEC §4). :class:`ListQuery` parses and checks all
of them against one entity schema, prints them back as a canonical query string, and
runs them in memory (:meth:`ListQuery.apply`) or as one SQL statement
(:meth:`ListQuery.to_sql`).

>>> from wherelang import ListQuery, confighub
>>> q = ListQuery.from_params(
...     "where=Labels.tier+%3D+%27backend%27&contains=cart&select=DisplayName",
...     schema=confighub.schema("Unit"))
>>> q.where.to_where(), q.contains, q.select
("Labels.tier = 'backend'", 'cart', ('DisplayName',))
>>> q.to_query_string()
'where=Labels.tier%20%3D%20%27backend%27&contains=cart&select=DisplayName'
>>> ListQuery.from_params(q.to_query_string(), schema=q.entity) == q
True
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime, timezone
from decimal import Decimal
from functools import cmp_to_key, lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Optional, Protocol, runtime_checkable
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator

from .errors import WhereError, WhereSqlError, WhereValidationError
from .evaluate import SelfKey, extended_entity, self_key
from .nodes import Attr, Compare, Expr, Literal, Node, Op, Path, walk
from .parser import Limits, parse
from .schema import Attribute, Kind, Relation, Schema, Type, as_schema
from .text import decode_query, encode_query, to_where

__all__ = [
    "ListQuery",
    "FilterStore",
    "Resolver",
    "MemoryStore",
    "PARAMETERS",
    "SqlQuery",
    "MAX_LIMIT",
]

#: The parameters of a list endpoint, in the order query strings print them. ``continue``
#: is the ``continuation`` field (a Python keyword); ``where_data`` is passed through as
#: it is (it filters configuration data, another grammar: REFERENCE §10).
PARAMETERS = (
    "where", "filter", "contains", "select", "include", "include_hidden", "order_by",
    "limit", "continue", "summary", "where_data",
)  # fmt: skip

_KNOWN = frozenset(PARAMETERS)

#: The largest page a list endpoint returns (the remote API's MaxListPageSize).
MAX_LIMIT = 1000

#: Longest ``contains`` text accepted (the remote API's string literal limit is 255).
MAX_CONTAINS = 1024


@runtime_checkable
class FilterStore(Protocol):
    """Where saved Filter entities come from (a database table, an API, a dict)."""

    def get_filter(self, filter_id: UUID) -> Mapping[str, Any] | None:
        """The Filter with this ID (fields ``From``, ``FromSpaceID``, ``Where``), or None.

        A store that also resolves ``filter=space/slug`` has a method
        ``find_filter(space, slug)``, ``space`` a Space's slug or ID."""


#: ``resolver(entity, field) -> related entity or None``, as in :mod:`wherelang.evaluate`:
#: finds the Space of a Unit for ``Space.Labels.x`` paths and for ``include``.
Resolver = Callable[[Any, str], Any]


def _id_key(value: Any) -> Any:
    # UUIDs are case-insensitive: key them by their canonical form.
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            return value
    return value


class MemoryStore:
    """Entities held in memory by type and ID: a :class:`FilterStore` and a
    :class:`Resolver` at once.

    >>> store = MemoryStore({"Space": [{"SpaceID": "2ec6898e-1d06-42fa-9381-c011e042b77f",
    ...                                 "Slug": "prod"}]})
    >>> store("Space", "2EC6898E-1D06-42FA-9381-C011E042B77F")["Slug"]
    'prod'
    """

    def __init__(
        self,
        entities: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
        *,
        ids: Mapping[str, str] | None = None,
    ) -> None:
        self._ids = dict(ids or {})
        self._by_type: dict[str, dict[Any, Mapping[str, Any]]] = {}
        self._resolvers: dict[Schema, Resolver] = {}
        for entity, items in (entities or {}).items():
            self.add(entity, items)

    def id_attribute(self, entity: str) -> str:
        """The attribute holding an entity's ID: from ``ids``, the catalog, or ``<Entity>ID``."""
        if entity in self._ids:
            return self._ids[entity]
        from . import confighub

        if entity in confighub.names():
            found = confighub.schema(entity).id
            if found:
                return found
        return f"{entity}ID"

    def add(self, entity: str, items: Iterable[Mapping[str, Any]]) -> None:
        """Add entities of one type; an entity with the same ID replaces the old one."""
        key = self.id_attribute(entity)
        table = self._by_type.setdefault(entity, {})
        for item in items:
            table[_id_key(item.get(key))] = item

    def get(self, entity: str, id: Any) -> Mapping[str, Any] | None:
        """The entity of type ``entity`` with this ID, or None."""
        if id is None:
            return None
        return self._by_type.get(entity, {}).get(_id_key(id))

    __call__ = get

    def get_filter(self, filter_id: UUID) -> Mapping[str, Any] | None:
        return self.get("Filter", filter_id)

    def find_filter(self, space: str, slug: str) -> Mapping[str, Any] | None:
        """The Filter ``slug`` of the Space whose slug or ID is ``space``, or None."""
        spaces = {_id_key(space)}
        for item in self.entities("Space"):
            if item.get("Slug") == space:
                spaces.add(_id_key(item.get("SpaceID")))
        for item in self.entities("Filter"):
            if item.get("Slug") == slug and (
                _id_key(item.get("SpaceID")) in spaces or item.get("SpaceSlug") == space
            ):
                return item
        return None

    def resolver(self, schema: Schema) -> Resolver:
        """A resolver for the evaluator and ``include``: ``resolver(entity, "Space")``
        reads the entity's ``SpaceID`` and returns that Space (a list for relations to
        many). Relations are looked up in ``schema`` and the schemas it leads to. The same
        function is returned for the same schema, so compiled predicates can be reused."""
        known = self._resolvers.get(schema)
        if known is not None:
            return known

        def resolve(entity: Any, field: str) -> Any:
            relation, value = _find_relation(schema, entity, field)
            if relation is None:
                return None
            if relation.many:
                if not isinstance(value, (list, tuple)):
                    return None
                found = (self.get(relation.entity, v) for v in value)
                return [item for item in found if item is not None]
            return self.get(relation.entity, value)

        self._resolvers[schema] = resolve
        return resolve

    def entities(self, entity: str) -> list[Mapping[str, Any]]:
        """All entities of one type, in the order they were added."""
        return list(self._by_type.get(entity, {}).values())


def _find_relation(schema: Schema, entity: Any, field: str) -> tuple[Relation | None, Any]:
    """The relation ``field`` of whichever schema (``schema`` or one it relates to) the
    entity has the ID attribute of, and that ID."""
    data = entity if isinstance(entity, Mapping) else _as_dict(entity)
    seen: set[str] = set()
    todo = [schema]
    while todo:
        current = todo.pop(0)
        if current.name in seen:
            continue
        seen.add(current.name)
        relation = current.relations.get(field)
        if relation is not None and data.get(relation.via) is not None:
            return relation, data[relation.via]
        for name in current.relations:
            related = current.related(name)
            if related is not None and len(seen) < 8:
                todo.append(related)
    return None, None


# --- pydantic field types -------------------------------------------------------------
#
# Schemas and syntax trees are plain classes: pydantic takes them as they are.


def _as_schema(value: Any) -> Schema:
    if type(value) is Schema:  # the common case, without a call (every ListQuery asks)
        return value
    return as_schema(value)


def _as_names(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(value.split(","))
    return tuple(value)


if TYPE_CHECKING:
    _SchemaField = Schema
    _WhereField = Optional[Expr]
else:
    _SchemaField = Annotated[Any, PlainValidator(_as_schema), PlainSerializer(lambda s: s.name)]
    _WhereField = Annotated[
        Any,
        PlainValidator(lambda v: v),
        PlainSerializer(lambda e: None if e is None else str(e)),
    ]


class ListQuery(BaseModel):
    """``where``, ``filter``, ``contains``, ``select`` and ``include`` for one entity type.

    Build one from request parameters with :meth:`from_params` (every value checked,
    errors name their parameter), or directly: ``ListQuery(schema="Unit", where="Slug =
    'x'", select=["DisplayName"])`` checks the same way.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, serialize_by_alias=True)

    #: the schema of the entities listed; ``schema=`` when building one (a ConfigHub
    #: entity name is looked up in the catalog)
    entity: _SchemaField = Field(alias="schema")
    where: _WhereField = None
    #: a saved Filter: its UUID, or ``space/slug`` (the Space's slug or ID)
    filter: UUID | str | None = None
    contains: str | None = None
    #: attributes asked for; None returns whole entities
    select: tuple[str, ...] | None = None
    #: relation attributes to expand (``SpaceID`` gives ``Space``)
    include: tuple[str, ...] = ()
    #: whether ``where`` (and saved filters) may use the extended syntax
    extended: bool = False
    #: ``HiddenReason`` names (or ``*``) whose hidden entities are listed too
    include_hidden: tuple[str, ...] = ()
    #: sort terms ``(attribute, descending)``; the ID is the last tie-break (:meth:`ordering`)
    order_by: tuple[tuple[str, bool], ...] = ()
    #: the most entities one page holds (1 to :data:`MAX_LIMIT`); None: all
    limit: Optional[int] = None
    #: the opaque token of the page to continue from (:mod:`wherelang.pagination`)
    continuation: Optional[str] = None
    #: whether Spaces come with their summary counts
    summary: Optional[bool] = None
    #: the configuration-data filter of Units, passed on untouched
    where_data: Optional[str] = None

    def __init__(
        self,
        *,
        schema: Schema | str,
        where: str | Expr | None = None,
        filter: UUID | str | None = None,
        contains: str | None = None,
        select: Iterable[str] | str | None = None,
        include: Iterable[str] | str = (),
        extended: bool = False,
        include_hidden: Iterable[str] | str = (),
        order_by: Iterable[str | tuple[str, bool]] | str = (),
        limit: int | str | None = None,
        continuation: str | None = None,
        summary: bool | str | None = None,
        where_data: str | None = None,
    ) -> None:
        # Checked here first, so that a bad value raises its WhereError itself rather
        # than inside pydantic's ValidationError.
        data = {"schema": schema, "where": where, "filter": filter, "contains": contains,
                "select": select, "include": include, "extended": extended,
                "include_hidden": include_hidden, "order_by": order_by, "limit": limit,
                "continuation": continuation, "summary": summary,
                "where_data": where_data}  # fmt: skip
        super().__init__(**_prepare(data))

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.to_params().items())
        return f"ListQuery({self.entity.name}{', ' if params else ''}{params})"

    __str__ = __repr__

    # --- parameters -----------------------------------------------------------------

    @classmethod
    def from_params(
        cls,
        params: str | Mapping[str, str | Sequence[str]],
        *,
        schema: Schema | str,
        extended: bool = False,
        limits: Limits | None = None,
        ignore_unknown: bool = False,
    ) -> ListQuery:
        """Parse and check the list parameters of a request.

        ``params`` is a query string (percent-encoded, ``+`` for a space accepted) or a
        mapping of decoded values, as web frameworks give them. Empty values count as
        absent. Other parameters are an error unless ``ignore_unknown``. A bad value
        raises a :class:`~wherelang.errors.WhereError` whose ``parameter`` names it.

        >>> from wherelang import WhereError
        >>> try:
        ...     ListQuery.from_params({"select": "Slug,DisplayNme"}, schema="Unit")
        ... except WhereError as err:
        ...     print(err.parameter, err.code, err.position, err.hint)
        select unknown-attribute 5 did you mean 'DisplayName'?
        """
        given = _collect(params, ignore_unknown)
        entity = _as_schema(schema)
        if type(extended) is not bool:  # pydantic's reading of a non-bool: the slow way
            fields: dict[str, Any] = {"schema": entity, "extended": extended}
            for name, value in given.items():
                fields[_FIELDS.get(name, name)] = value
            slow = cls.__new__(cls)
            BaseModel.__init__(slow, **_prepare(fields, limits))
            return slow
        # Each value is checked once, in _prepare's order (so that of two bad values the
        # same one is reported), and stored as pydantic's model_construct stores values:
        # validating them again would only rebuild the same values, and took a third of
        # the time. test_query.py::test_from_params_builds_what_init_builds holds the
        # result to __init__'s.
        values: dict[str, Any] = {"entity": entity, "extended": extended}
        for name in sorted(given, key=_RANK.__getitem__):
            values[_FIELDS.get(name, name)] = _PARAMETER_CHECKS[name](
                given[name], entity, extended, limits
            )
        query = cls.__new__(cls)
        stored = dict(_DEFAULTS)
        stored.update(values)
        fields_set = set(values)
        fields_set.update(_ALWAYS_SET)
        _set_slot(query, "__dict__", stored)
        _set_slot(query, "__pydantic_fields_set__", fields_set)
        _set_slot(query, "__pydantic_extra__", None)
        _set_slot(query, "__pydantic_private__", None)
        return query

    def to_params(self, *, encoded: bool = False) -> dict[str, str]:
        """The parameters in canonical form and in the order of :data:`PARAMETERS`;
        absent ones are left out. Values are text for an HTTP client to encode, or
        percent-encoded with ``encoded=True``.

        >>> ListQuery(schema="Unit", where="Slug = 'a b'", include=["SpaceID"]).to_params()
        {'where': "Slug = 'a b'", 'include': 'SpaceID'}
        """
        out: dict[str, str] = {}
        if self.where is not None:
            out["where"] = self.where.to_where(extended=self.extended)
        if self.filter is not None:
            out["filter"] = str(self.filter)
        if self.contains is not None:
            out["contains"] = self.contains
        if self.select is not None:
            out["select"] = ",".join(self.select)
        if self.include:
            out["include"] = ",".join(self.include)
        if self.include_hidden:
            out["include_hidden"] = ",".join(self.include_hidden)
        if self.order_by:
            out["order_by"] = ",".join(
                f"{'DESC' if desc else 'ASC'}:{name}" for name, desc in self.order_by
            )
        if self.limit is not None:
            out["limit"] = str(self.limit)
        if self.continuation is not None:
            out["continue"] = self.continuation
        if self.summary is not None:
            out["summary"] = "true" if self.summary else "false"
        if self.where_data is not None:
            out["where_data"] = self.where_data
        if encoded:
            return {k: encode_query(v) for k, v in out.items()}
        return out

    def to_query_string(self) -> str:
        """``where=...&filter=...``: canonical and percent-encoded (a space is ``%20``)."""
        return "&".join(f"{k}={v}" for k, v in self.to_params(encoded=True).items())

    # --- what the query needs -----------------------------------------------------------

    def filter_where(
        self, filters: FilterStore | None = None, *, space_id: UUID | str | None = None
    ) -> Expr | None:
        """The saved filter's ``Where``, typed, after checking it fits this request.

        Its ``From`` must name this entity type; for entities that live in a space, a
        ``FromSpaceID`` must equal ``space_id``, the space of the request.
        """
        if self.filter is None:
            return None
        if filters is None:
            raise _filter_error(
                "filter-unsupported",
                "this endpoint does not resolve saved filters",
                self.filter,
                "leave out the filter parameter",
            )
        if isinstance(self.filter, UUID):
            saved = filters.get_filter(self.filter)
        else:
            space, _, slug = self.filter.partition("/")
            find = getattr(filters, "find_filter", None)
            if find is None:
                raise _filter_error(
                    "filter-unsupported",
                    "this endpoint finds saved filters by ID only",
                    self.filter,
                    "give the filter's UUID",
                )
            saved = find(space, slug)
        if saved is None:
            what = "ID" if isinstance(self.filter, UUID) else "space/slug"
            raise _filter_error(
                "unknown-filter", f"no filter with {what} {self.filter}", self.filter, None
            )
        source = saved.get("From")
        if source != self.entity.name:
            raise _filter_error(
                "filter-entity-mismatch",
                f"filter {self.filter} selects {source or 'nothing'}, not {self.entity.name}",
                self.filter,
                f"use a filter whose From is {self.entity.name}",
            )
        from_space = saved.get("FromSpaceID")
        if from_space is not None and _space_resident(self.entity):
            if space_id is None or _id_key(from_space) != _id_key(space_id):
                where = "across spaces" if space_id is None else f"in space {space_id}"
                raise _filter_error(
                    "filter-space-mismatch",
                    f"filter {self.filter} applies to space {from_space}; "
                    f"this request lists {where}",
                    self.filter,
                    f"list the {self.entity.name}s of space {from_space}",
                )
        text = saved.get("Where") or ""
        if not str(text).strip():
            return None
        try:
            return parse(str(text), schema=self.entity, extended=self.extended)
        except WhereError as err:
            err.message = f"the Where of filter {self.filter} is invalid: {err.message}"
            raise err.with_parameter("filter") from None

    def condition(
        self, filters: FilterStore | None = None, *, space_id: UUID | str | None = None
    ) -> Expr | None:
        """``where`` AND the saved filter's ``Where`` (``contains`` is separate: it is no
        where expression, since it searches map keys and values)."""
        saved = self.filter_where(filters, space_id=space_id)
        parts = [e for e in (self.where, saved) if e is not None]
        if not parts:
            return None
        from .builder import and_

        return and_(*parts)

    def returned(self, condition: Expr | None = None) -> tuple[str, ...] | None:
        """The attributes each result carries, in the schema's order; None: all of them.

        With ``select``: those, plus the ID, parent IDs and ``Slug``, plus every
        attribute that ``where`` (or ``condition``) and ``contains`` use.

        >>> q = ListQuery(schema="Unit", where="LEN(ApplyGates) > 0", select=["DisplayName"])
        >>> q.returned()
        ('ApplyGates', 'DisplayName', 'OrganizationID', 'Slug', 'SpaceID', 'UnitID')
        """
        if self.select is None:
            return None
        wanted = set(self.select) | set(self.entity.always)
        used = self.where if condition is None else condition
        if used is not None:
            wanted |= used_attributes(used, self.entity)
        if self.contains is not None:
            wanted |= set(self.entity.searchable)
        wanted |= {name for name, _ in self.order_by}
        return tuple(name for name in self.entity.attributes if name in wanted)

    def ordering(self) -> tuple[tuple[str, bool], ...]:
        """``order_by`` and then the entity's ID ascending, the tie-break that makes the
        order total (when ``order_by`` does not name the ID already).

        >>> ListQuery(schema="Unit", order_by="DESC:HeadRevisionNum").ordering()
        (('HeadRevisionNum', True), ('UnitID', False))
        """
        terms = self.order_by
        id_name = self.entity.id
        if id_name in self.entity.attributes and all(n != id_name for n, _ in terms):
            terms = terms + ((str(id_name), False),)
        return terms

    def key_of(self, item: Any) -> tuple[Any, ...]:
        """The sort key of an entity, or of a result :meth:`apply` gave, under
        :meth:`ordering`: JSON values (times as fixed-width UTC text, UUIDs in lower
        case), what a continuation token records of the last entity of a page.

        A NULL sorts after every value: last going up, first going down (PostgreSQL's
        default, spelt out in SQL by :mod:`wherelang.sqlalchemy` for every engine)."""
        inner, _ = _unwrap(item, self_key(self.entity))
        data = inner if isinstance(inner, Mapping) else _as_dict(inner)
        attrs = self.entity.attributes
        return tuple(sort_value(data.get(name), attrs[name].type.kind) for name, _ in self.ordering())

    def relations(self) -> tuple[Relation, ...]:
        """The relations ``include`` expands, in the order asked."""
        by_via = {r.via: r for r in self.entity.relations.values()}
        return tuple(by_via[name] for name in self.include)


    # --- in memory ------------------------------------------------------------------

    def apply(
        self,
        entities: Iterable[Any],
        *,
        filters: FilterStore | None = None,
        resolver: Resolver | MemoryStore | None = None,
        space_id: UUID | str | None = None,
        strict: bool = False,
        after: Sequence[Any] | None = None,
    ) -> Iterator[Any]:
        """The matching entities, lazily and in order, shaped as the API returns them.

        With ``order_by``, ``limit`` or ``after`` (the :meth:`key_of` of the last entity
        of the previous page, as :mod:`wherelang.pagination` reads it from a
        continuation token; ``()`` for the first page) the results are sorted by
        :meth:`ordering`, start after ``after`` and stop at ``limit``; otherwise they
        keep the order of ``entities``.

        ``filters`` resolves ``filter``; ``resolver`` (the evaluator's
        ``resolver(entity, field)``, or a :class:`MemoryStore`) finds related entities
        for paths such as ``Space.Labels.x`` and for ``include``; ``space_id`` is the
        space of the request. Without ``select`` and ``include`` the entities come back
        as they are; with ``select``, as dicts of the returned attributes; with
        ``include``, in the extended response shape ``{"Unit": {...}, "Space": {...}}``.

        >>> from wherelang import ListQuery, sample
        >>> q = ListQuery(schema="Unit", where="Labels.tier = 'backend' AND LEN(ApplyGates) > 0",
        ...               contains="ledger", select=["DisplayName"], include=["SpaceID"])
        >>> for item in q.apply(sample.entities("Unit"), resolver=sample.store()):
        ...     print(item["Unit"]["DisplayName"], "in", item["Space"]["Slug"])
        Ledger in payments-staging
        Ledger migrations in payments-dev
        """
        if self.continuation is not None and after is None:
            raise WhereValidationError(
                "continuation-unsupported",
                "this list reads no continuation tokens",
                hint="page with wherelang.pagination.page(), which checks the token",
                parameter="continue",
            )
        results = self._results(entities, filters, resolver, space_id, strict)
        if not (self.order_by or self.limit is not None or after is not None):
            for _, shaped in results:
                yield shaped
            return
        terms = self.ordering()
        kinds = [self.entity.attributes[name].type.kind for name, _ in terms]
        keyed: list[tuple[tuple[Any, ...], Any]] = []
        for inner, shaped in results:
            data = inner if isinstance(inner, Mapping) else _as_dict(inner)
            key = tuple(sort_value(data.get(n), k) for (n, _), k in zip(terms, kinds))
            if not after or compare_keys(key, after, terms) > 0:
                keyed.append((key, shaped))
        def order(a: tuple[tuple[Any, ...], Any], b: tuple[tuple[Any, ...], Any]) -> int:
            return compare_keys(a[0], b[0], terms)

        keyed.sort(key=cmp_to_key(order))
        for _, shaped in keyed[: self.limit]:
            yield shaped

    def _results(
        self,
        entities: Iterable[Any],
        filters: FilterStore | None,
        resolver: Resolver | MemoryStore | None,
        space_id: UUID | str | None,
        strict: bool,
    ) -> Iterator[tuple[Any, Any]]:
        """(the entity, its shaped result) for each match, in the order given."""
        from .evaluate import compile

        condition = self.condition(filters, space_id=space_id)
        if isinstance(resolver, MemoryStore):
            resolver = resolver.resolver(self.entity)
        resolve: Resolver | None = resolver
        matches = None
        if condition is not None:
            matches = compile(condition, self.entity, strict=strict, resolver=resolve).__call__
        search = None if self.contains is None else _Search(self.entity, self.contains)
        returned = self.returned(condition)
        relations = self.relations()
        plain = returned is None and not relations
        key = self_key(self.entity)
        for entity in entities:
            if matches is not None and not matches(entity):
                continue
            inner, wrapper = _unwrap(entity, key) if key else (entity, None)
            if search is not None and not search(inner):
                continue
            if plain:
                yield inner, entity
                continue
            if returned is not None:
                data = inner if isinstance(inner, Mapping) else _as_dict(inner)
                shaped = {name: data.get(name) for name in returned}
            else:
                shaped = _as_dict(inner)
            if not relations:
                yield inner, shaped
                continue
            response: dict[str, Any] = {self.entity.name: shaped}
            for relation in relations:
                response[relation.field] = _related(inner, wrapper, relation, resolve)
            yield inner, response


    # --- SQL ----------------------------------------------------------------------------

    def to_sql(
        self,
        dialect: str = "postgres",
        *,
        table: str | None = None,
        tables: Mapping[str, str] | None = None,
        filters: FilterStore | None = None,
        space_id: UUID | str | None = None,
        params: bool = True,
        after: Sequence[Any] | None = None,
    ) -> SqlQuery:
        """One SELECT that does what :meth:`apply` does, for the default table layout of
        :func:`wherelang.sql.create_table` (one column per attribute).

        With ``order_by``, ``limit`` or ``after`` (as for :meth:`apply`) it ends with
        ORDER BY :meth:`ordering` (NULL after every value going up, text by code point)
        and LIMIT, and starts after the sort key ``after``.

        ``table`` names the entities' table (default: the entity name), ``tables`` the
        tables of related entity types (default: their names). ``include`` and paths
        through relations become LEFT JOINs; ``select`` selects only the returned
        columns; ``contains`` searches string columns and the keys and string values of
        JSON map columns. :meth:`SqlQuery.shape` turns a result row into the shape
        ``apply`` gives.

        >>> q = ListQuery(schema="Unit", where="Labels.tier = 'backend'", select=["Slug"])
        >>> print(q.to_sql("sqlite", table="units").sql.split(" WHERE ")[0])
        SELECT "Unit"."Labels", "Unit"."OrganizationID", "Unit"."Slug", "Unit"."SpaceID", "Unit"."UnitID" FROM "units" AS "Unit"
        """
        from . import sql as wsql

        base = _SQL_DIALECTS.get(dialect.lower(), dialect.lower())
        alias = self.entity.name
        tables = dict(tables or {})
        condition = self.condition(filters, space_id=space_id)

        def ident(name: str) -> str:
            return str(_sg_exp().to_identifier(name, quoted=True).sql(dialect=base))

        def column(owner: str, name: str) -> str:
            return f"{ident(owner)}.{ident(name)}"

        columns: list[tuple[str, str, Type]] = []
        returned = self.returned(condition)
        for name in returned if returned is not None else tuple(self.entity.attributes):
            columns.append((alias, name, self.entity.attributes[name].type))

        joins: list[str] = []
        mapping: dict[str, Any] = {}
        joined: set[str] = set()

        def join(field: str) -> Schema:
            relation = self.entity.relation(field)
            related = self.entity.related(field)
            if relation is None or related is None or related.id is None:
                raise WhereSqlError(
                    "sql-unknown-relation",
                    f"the related entity {field} of {self.entity.name} has no known schema",
                )
            if relation.many:
                raise WhereSqlError(
                    "sql-include-many",
                    f"{relation.via} relates {self.entity.name} to many {relation.entity} "
                    "entities; SQL joins only one",
                    hint="include it in memory with apply()",
                    parameter="include",
                )
            own = self.entity.attributes.get(relation.via)
            key = related.attributes.get(related.id)
            if own is None or key is None or own.type.kind is not key.type.kind:
                if own is None or key is None:
                    message = f"{self.entity.name} has no {relation.via} column to join by"
                else:
                    message = (
                        f"{self.entity.name}.{relation.via} ({own.type}) cannot be joined to "
                        f"{relation.entity}.{related.id} ({key.type})"
                    )
                raise WhereSqlError("sql-no-join", message, hint="resolve it in memory with apply()")
            if field not in joined:
                joined.add(field)
                other = tables.get(relation.entity, relation.entity)
                joins.append(
                    f"LEFT JOIN {ident(other)} AS {ident(field)} "
                    f"ON {column(field, related.id)} = {column(alias, relation.via)}"
                )
                mapping[field] = wsql.Joined(field)
            return related

        for relation in self.relations():
            related = join(relation.field)
            columns += [(relation.field, a.name, a.type) for a in related.attributes.values()]
        if condition is not None:
            for hop in _hops(condition):
                many = self.entity.relation(hop)
                target = self.entity.related(hop)
                if many is not None and many.many and target is not None and target.id:
                    # FromLink.*.Slug: EXISTS over the related table (wherelang.sql.paths)
                    other = tables.get(many.entity, many.entity)
                    mapping[hop] = wsql.Related(other, id=target.id, via=many.via)
                else:
                    join(hop)

        where: list[str] = []
        values: list[Any] = []
        if condition is not None:
            clause = wsql.to_sql(condition, dialect=dialect, mapping=mapping, params=params,
                                 table=alias)  # fmt: skip
            where.append(clause.sql)
            values += clause.params
        if self.contains is not None:
            sql, found = _contains_sql(self.entity, self.contains, dialect, base, alias,
                                       params, ident)  # fmt: skip
            where.append(sql)
            values += found
        text = "SELECT " + ", ".join(column(owner, name) for owner, name, _ in columns)
        text += f" FROM {ident(table or self.entity.name)} AS {ident(alias)}"
        for item in joins:
            text += " " + item
        if after:
            sql, found = _after_sql(self, after, base, alias, column, params)
            where.append(sql)
            values += found
        if where:
            text += " WHERE " + " AND ".join(
                where[0:1] if len(where) == 1 else [f"({w})" for w in where]
            )
        if self.order_by or self.limit is not None or after is not None:
            order = []
            for name, desc in self.ordering():
                col = column(alias, name)
                if self.entity.attributes[name].type.kind is Kind.STRING:
                    col += _CODE_POINTS.get(base, "")
                nulls = f"CASE WHEN {column(alias, name)} IS NULL THEN 1 ELSE 0 END"
                order += [f"{nulls} DESC", f"{col} DESC"] if desc else [nulls, col]
            text += " ORDER BY " + ", ".join(order)
            if self.limit is not None:
                text += f" LIMIT {int(self.limit)}"
        return SqlQuery(
            text, tuple(values), dialect, tuple(columns), self.entity.name, bool(self.relations())
        )


#: how each verified engine compares text by code point, as the evaluator does
_CODE_POINTS = {
    "postgres": ' COLLATE "C"',
    "mysql": " COLLATE utf8mb4_nopad_bin",
    "sqlite": " COLLATE BINARY",
    "duckdb": "",
}


def _after_sql(
    query: ListQuery,
    after: Sequence[Any],
    dialect: str,
    alias: str,
    column: Callable[[str, str], str],
    params: bool,
) -> tuple[str, list[Any]]:
    """The rows after sort key ``after``: some term beyond it, every earlier one equal
    (NULL after every value going up, before going down)."""
    from . import sql as wsql

    beyond: list[str] = []
    values: list[Any] = []
    equal: list[tuple[str, list[Any]]] = []  # (text, its parameters) of each earlier term
    mark = "?" if dialect in ("sqlite", "duckdb") else "%s"
    for (name, desc), value in zip(query.ordering(), after):
        type = query.entity.attributes[name].type
        col = column(alias, name)
        ordered = col + (_CODE_POINTS.get(dialect, "") if type.kind is Kind.STRING else "")
        past: str | None
        if value is None:
            past, bound_values = (f"{col} IS NOT NULL" if desc else None), []
            same = f"{col} IS NULL"
        else:
            stored = wsql.row(Schema("key", [Attribute("v", type)]), {"v": value}, dialect)[0]
            bound = mark if params else _sg_literal(stored, dialect)
            past = f"{ordered} < {bound}" if desc else f"({ordered} > {bound} OR {col} IS NULL)"
            same = f"{ordered} = {bound}"
            bound_values = [stored] if params else []
        if past is not None:
            beyond.append("(" + " AND ".join([t for t, _ in equal] + [past]) + ")")
            for _, used in equal:
                values += used
            values += bound_values
        equal.append((same, bound_values))
    return ("(" + " OR ".join(beyond) + ")" if beyond else "1 = 0"), values


def _sg_literal(value: Any, dialect: str) -> str:
    exp = _sg_exp()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return str(exp.Literal.number(value).sql(dialect=dialect))
    return str(exp.Literal.string(str(value)).sql(dialect=dialect))


def sort_value(value: Any, kind: Kind) -> Any:
    """An attribute's value as it sorts and as continuation tokens record it: a time as
    fixed-width UTC text (text order is time order), a UUID in lower case, a number or
    text as it is; None for NULL and for a value not of the attribute's kind."""
    if value is None:
        return None
    if kind is Kind.TIME:
        from .times import read_time  # entity values: the evaluator's reader

        moment = value if isinstance(value, datetime) else None
        if isinstance(value, str):
            moment = read_time(value)
        if moment is None:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        v = moment.astimezone(timezone.utc)
        return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v:%H:%M:%S}.{v.microsecond:06d}Z"
    if kind is Kind.UUID:
        try:
            return str(value if isinstance(value, UUID) else UUID(str(value)))
        except ValueError:
            return None
    if kind is Kind.BOOL:  # SQLite and MariaDB give 0 and 1
        return bool(value) if isinstance(value, (bool, int)) and value in (0, 1) else None
    if kind in (Kind.INT, Kind.FLOAT):
        ok = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
        return (float(value) if isinstance(value, Decimal) else value) if ok else None
    return value if isinstance(value, str) else None


def compare_keys(a: Sequence[Any], b: Sequence[Any], terms: Sequence[tuple[str, bool]]) -> int:
    """-1, 0 or 1: how sort key ``a`` orders against ``b`` under ``terms``
    ((name, descending) pairs). NULL is greater than every value."""
    for (_, desc), x, y in zip(terms, a, b):
        if x is None and y is None:
            continue
        if x is None or y is None:
            c = 1 if x is None else -1
        elif x == y:
            continue
        else:
            c = -1 if x < y else 1
        return -c if desc else c
    return 0


def where_sql(
    query: ListQuery,
    dialect: str = "postgres",
    *,
    table: str | None = None,
    mapping: Mapping[str, Any] | None = None,
    filters: FilterStore | None = None,
    space_id: UUID | str | None = None,
    params: bool = True,
) -> Any:
    """The condition of :meth:`ListQuery.to_sql` alone (``where``, the saved filter's
    ``Where`` and ``contains``) as a :class:`wherelang.sql.SqlClause`, or None when the
    query has none. Columns are qualified by ``table`` (default: the entity name); a
    path through a relation reads the alias named after the relation (``Space``), as
    joined by ``to_sql`` and :mod:`wherelang.sqlalchemy`, unless ``mapping`` says
    otherwise.

    >>> q = ListQuery(schema="Unit", where="Space.Labels.Environment = 'prod'", contains="api")
    >>> clause = where_sql(q, "postgres", table="u")
    >>> print(clause.sql[:58])
    (JSONB_EXTRACT_PATH_TEXT("Space"."Labels", %s) = %s) AND (
    >>> clause.params[:3]
    ('Environment', 'prod', '%api%')
    """
    from . import sql as wsql

    base = _SQL_DIALECTS.get(dialect.lower(), dialect.lower())
    alias = table or query.entity.name
    condition = query.condition(filters, space_id=space_id)
    targets: dict[str, Any] = dict(mapping or {})
    where: list[str] = []
    values: list[Any] = []
    if condition is not None:
        for hop in _hops(condition):
            targets.setdefault(hop, wsql.Joined(hop))
        clause = wsql.to_sql(condition, dialect=dialect, mapping=targets, params=params,
                             table=alias)  # fmt: skip
        where.append(clause.sql)
        values += clause.params
    if query.contains is not None:

        def ident(name: str) -> str:
            return str(_sg_exp().to_identifier(name, quoted=True).sql(dialect=base))

        sql, found = _contains_sql(query.entity, query.contains, dialect, base, alias,
                                   params, ident)  # fmt: skip
        where.append(sql)
        values += found
    if not where:
        return None
    text = where[0] if len(where) == 1 else " AND ".join(f"({w})" for w in where)
    return wsql.SqlClause(text, tuple(values), dialect)


def used_attributes(expr: Expr, schema: Schema) -> set[str]:
    """The attributes of ``schema``'s entity that a typed expression reads: a path
    through a relation reads the relation's ID attribute (``Space.Labels.x``: ``SpaceID``)."""
    found: set[str] = set()
    for node in walk(expr):
        if isinstance(node, Attr):
            if node.hops:
                relation = schema.relation(node.hops[0])
                if relation is not None and relation.via in schema.attributes:
                    found.add(relation.via)
            else:
                found.add(node.name)
    return found


# --- in-memory helpers -----------------------------------------------------------------


def _unwrap(entity: Any, key: SelfKey | None) -> tuple[Any, Mapping[str, Any] | None]:
    """(the entity, the extended response around it or None)."""
    inner = extended_entity(entity, key) if isinstance(entity, Mapping) else None
    if inner is None:
        return entity, None
    return inner, entity


def _as_dict(entity: Any) -> dict[str, Any]:
    """An entity as a dict keyed by the attribute names users type (pydantic aliases)."""
    if isinstance(entity, Mapping):
        return dict(entity)
    dump = getattr(entity, "model_dump", None)
    if callable(dump):
        out: dict[str, Any] = dump(by_alias=True)
        return out
    if is_dataclass(entity) and not isinstance(entity, type):
        return {f.name: getattr(entity, f.name) for f in fields(entity)}
    return dict(vars(entity))


def _related(
    entity: Any, wrapper: Mapping[str, Any] | None, relation: Relation, resolver: Any
) -> Any:
    """The related entity ``include`` adds: from the extended response the entity came
    in, embedded in the entity, or found by the resolver; None when there is none."""
    if wrapper is not None and wrapper.get(relation.field) is not None:
        return wrapper[relation.field]
    if relation.field != relation.via:
        embedded = _as_dict(entity).get(relation.field)
        if embedded is not None:
            return embedded
    if resolver is None:
        return None
    return resolver(entity, relation.field)


def contains_pattern(text: str) -> str:
    """The ILIKE pattern of a ``contains`` text: ``%`` and ``_`` (and ``\\``) literal.

    >>> contains_pattern("50%_off")
    '%50\\\\%\\\\_off%'
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_TEXT = Type(Kind.STRING)


def _ilike(name: str, pattern: str) -> Compare:
    return Compare(Attr((name,), (), name, None, _TEXT), Op.ILIKE, Literal(pattern))


class _Search:
    """``contains`` in memory: a case-insensitive substring of a searchable string
    attribute, or of a key (or string value) of a searchable map.

    ``x ILIKE '%text%'`` with ``text`` escaped is, as the evaluator computes ILIKE
    (PostgreSQL's per-character ``lower()`` on both sides, :func:`~wherelang.evaluate.pg_lower`),
    a substring test of the lowered texts.
    """

    def __init__(self, schema: Schema, text: str) -> None:
        from .evaluate import pg_lower

        self.lower = pg_lower
        self.needle = pg_lower(text)
        self.strings: list[str] = []
        self.maps: list[tuple[str, bool]] = []  # (name, whether its values are strings)
        for name in schema.searchable:
            type = schema.attributes[name].type
            if type.kind is Kind.MAP:
                values = type.values
                self.maps.append((name, values is not None and values.kind is Kind.STRING))
            elif type.kind is Kind.STRING:
                self.strings.append(name)

    def __call__(self, entity: Any) -> bool:
        data = entity if isinstance(entity, dict) else _as_dict(entity)
        needle, lower = self.needle, self.lower
        # pg_lower is str.lower for ASCII text; calling it only when needed saves time.
        for name in self.strings:
            value = data.get(name)
            if isinstance(value, str) and needle in (
                value.lower() if value.isascii() else lower(value)
            ):
                return True
        for name, with_values in self.maps:
            found = data.get(name)
            if not found or not isinstance(found, (dict, Mapping)):
                continue
            for key, value in found.items():
                if isinstance(key, str) and needle in (key.lower() if key.isascii() else lower(key)):
                    return True
                if (
                    with_values
                    and isinstance(value, str)
                    and needle in (value.lower() if value.isascii() else lower(value))
                ):
                    return True
        return False

# --- SQL helpers --------------------------------------------------------------------------

# Spellings wherelang.sql accepts, as sqlglot names them (for quoting identifiers).
_SQL_DIALECTS = {"postgresql": "postgres", "pg": "postgres", "mariadb": "mysql"}


def _sg_exp() -> Any:
    from sqlglot import exp

    return exp


@dataclass(frozen=True)
class SqlQuery:
    """A SELECT from :meth:`ListQuery.to_sql`: ``sql`` text and positional ``params``
    for the driver; ``columns`` says which (entity, attribute) each result column is."""

    sql: str
    params: tuple[Any, ...]
    dialect: str
    columns: tuple[tuple[str, str, Type], ...]
    entity: str
    extended: bool

    def __str__(self) -> str:
        return self.sql

    def shape(self, row: Sequence[Any]) -> dict[str, Any]:
        """A result row as :meth:`ListQuery.apply` returns entities: a dict of the
        entity's attributes, or with ``include`` the extended response (a related
        entity whose columns are all NULL, because no row joined, is None)."""
        out: dict[str, dict[str, Any]] = {}
        decoded = _SQL_DIALECTS.get(self.dialect.lower(), self.dialect.lower()) == "postgres"
        for (owner, name, type), value in zip(self.columns, row):
            if value is not None and type.kind in (Kind.ARRAY, Kind.MAP, Kind.JSON):
                # psycopg decodes JSONB itself (a JSON string value is a str already)
                if isinstance(value, (str, bytes)) and not decoded:
                    value = json.loads(value)
            elif isinstance(value, UUID):
                value = str(value)
            out.setdefault(owner, {})[name] = value
        main = out.pop(self.entity, {})
        if not self.extended:
            return main
        response: dict[str, Any] = {self.entity: main}
        for owner, values in out.items():
            response[owner] = values if any(v is not None for v in values.values()) else None
        return response


def _hops(expr: Expr) -> list[str]:
    """The first relation hop of every path in a typed expression, in order."""
    found: list[str] = []
    for node in walk(expr):
        if isinstance(node, Attr) and node.hops and node.hops[0] not in found:
            found.append(node.hops[0])
    return found


# contains over JSON maps: one row per entry (k, v) under the alias wl_kv. The key and
# value tests are wherelang.sql's ILIKE, compiled against a two-attribute schema.
_KV_SCHEMA = Schema("contains", [Attribute("k", _TEXT), Attribute("v", _TEXT)])
_ENTRIES: dict[str, tuple[str, str]] = {
    # dialect: (rows of keys and values, rows of values only or "" when the first has both)
    "postgres": (
        "SELECT 1 FROM jsonb_each_text(CASE WHEN jsonb_typeof({col}) = 'object' THEN {col} END)"
        " AS wl_kv(k, v)",
        "",
    ),
    "sqlite": (
        "SELECT 1 FROM (SELECT key AS k, value AS v FROM json_each({col})"
        " WHERE json_type({col}) = 'object') AS wl_kv",
        "",
    ),
    "duckdb": (
        "SELECT 1 FROM (SELECT key AS k, value ->> '$' AS v FROM json_each({col})"
        " WHERE json_type({col}) = 'OBJECT') AS wl_kv",
        "",
    ),
    "mysql": (
        "SELECT 1 FROM JSON_TABLE(JSON_KEYS({col}), '$[*]'"
        " COLUMNS (k TEXT CHARACTER SET utf8mb4 PATH '$')) AS wl_kv",
        "SELECT 1 FROM JSON_TABLE({col}, '$.*'"
        " COLUMNS (v TEXT CHARACTER SET utf8mb4 PATH '$')) AS wl_kv",
    ),
}


def _contains_sql(
    schema: Schema,
    text: str,
    dialect: str,
    base: str,
    alias: str,
    params: bool,
    ident: Callable[[str], str],
) -> tuple[str, list[Any]]:
    from . import sql as wsql

    pattern = contains_pattern(text)
    parts: list[str] = []
    values: list[Any] = []

    def compile(expr: Expr, target: Schema, table: str) -> str:
        clause = wsql.to_sql(expr, dialect=dialect, params=params, table=table)
        values.extend(clause.params)
        return clause.sql

    strings = [n for n in schema.searchable if schema.attributes[n].type.kind is Kind.STRING]
    maps = [n for n in schema.searchable if schema.attributes[n].type.kind is Kind.MAP]
    for name in strings:
        type = schema.attributes[name].type
        parts.append(compile(Compare(Attr((name,), (), name, None, type), Op.ILIKE,
                                     Literal(pattern)), schema, alias))  # fmt: skip
    if maps and base not in _ENTRIES:
        raise WhereSqlError(
            "sql-unsupported",
            f"contains over map attributes has no SQL for {dialect}",
            hint="the verified engines are " + ", ".join(_ENTRIES),
            parameter="contains",
        )
    for name in maps:
        values_type = schema.attributes[name].type.values
        with_values = values_type is not None and values_type.kind is Kind.STRING
        col = f"{ident(alias)}.{ident(name)}"
        both, values_only = _ENTRIES.get(base, ("", ""))
        key_test = compile(_ilike("k", pattern), _KV_SCHEMA, "wl_kv")
        if not with_values:
            parts.append(f"EXISTS ({both.format(col=col)} WHERE {key_test})")
        elif values_only:
            parts.append(f"EXISTS ({both.format(col=col)} WHERE {key_test})")
            value_test = compile(_ilike("v", pattern), _KV_SCHEMA, "wl_kv")
            parts.append(f"EXISTS ({values_only.format(col=col)} WHERE {value_test})")
        else:
            value_test = compile(_ilike("v", pattern), _KV_SCHEMA, "wl_kv")
            parts.append(f"EXISTS ({both.format(col=col)} WHERE {key_test} OR {value_test})")
    if not parts:
        return "1 = 0", values  # nothing searchable: nothing matches
    return " OR ".join(parts), values


# --- checking each parameter ----------------------------------------------------------


def _prepare(data: Mapping[str, Any], limits: Limits | None = None) -> dict[str, Any]:
    """Check and convert the fields of a :class:`ListQuery`. Pydantic calls
    ``ListQuery.__init__`` for ``model_validate`` too, so every way in passes here
    (``from_params`` too, with the ``limits`` of the where text)."""
    out = dict(data)
    given = out.pop("schema", None)
    given = out.pop("entity", None) if given is None else given
    schema = _as_schema(given)
    out["schema"] = schema
    extended = bool(out.get("extended", False))
    for field, check in _FIELD_CHECKS.items():
        if field in out or field not in _OPTIONAL:
            out[field] = check(out.get(field), schema, extended, limits)
    return out


# --- the paging and pass-through parameters ------------------------------------------------

#: query parameter -> ListQuery field, where the two names differ
_FIELDS = {"continue": "continuation"}

#: the kinds an ``order_by`` field may have: scalars, which every engine orders alike
_ORDERABLE = frozenset({Kind.STRING, Kind.INT, Kind.FLOAT, Kind.BOOL, Kind.UUID, Kind.TIME})

_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")

#: the longest continuation token accepted
MAX_TOKEN = 4096


@lru_cache(maxsize=256)
def orderable(schema: Schema) -> tuple[str, ...]:
    """The attributes ``order_by`` accepts: filterable scalars (not maps, arrays, JSON)."""
    return tuple(
        a.name for a in schema.attributes.values() if a.filterable and a.type.kind in _ORDERABLE
    )


def _check_hidden(value: Iterable[str] | str) -> tuple[str, ...]:
    names = _split(value) if isinstance(value, str) else tuple(value)
    if not names:
        return ()
    out: list[str] = []
    for name, start, text in _names(names, "include_hidden"):
        if name != "*" and not (name[0].isalpha() and all(c.isalnum() or c in "_-" for c in name)):
            raise WhereValidationError(
                "bad-hidden-reason",
                f"{name!r} is not a hidden reason",
                text=text,
                position=start,
                length=len(name),
                hint="give HiddenReason names separated by commas, or * for any reason",
                parameter="include_hidden",
            )
        if name not in out:
            out.append(name)
    return ("*",) if "*" in out else tuple(out)


def _check_order_by(
    value: Iterable[str | tuple[str, bool]] | str, schema: Schema
) -> tuple[tuple[str, bool], ...]:
    """``ASC:Field,DESC:Field,Field`` (or a sequence of terms, or of (name, descending))."""
    items = list(_split(value) if isinstance(value, str) else value)
    if not items:
        return ()
    terms: list[str] = []
    for item in items:
        if isinstance(item, tuple):
            name, desc = item
            terms.append(f"{'DESC' if desc else 'ASC'}:{name}")
        else:
            terms.append(str(item))
    allowed = orderable(schema)
    out: list[tuple[str, bool]] = []
    for term, start, text in _names(tuple(terms), "order_by"):
        direction, sep, name = term.partition(":")
        if not sep:
            direction, name = "ASC", term
        name = name.strip()
        offset = start + (len(term) - len(name) if sep else 0)
        if direction.strip().upper() not in ("ASC", "DESC"):
            raise WhereValidationError(
                "bad-order",
                f"{direction.strip()!r} is not a sort direction",
                text=text,
                position=start,
                length=len(direction),
                hint="write ASC:Field or DESC:Field",
                parameter="order_by",
            )
        if name not in allowed:
            known = name in schema.attributes
            close = None if known else _close(name, list(allowed))
            raise WhereValidationError(
                "not-orderable" if known else "unknown-attribute",
                f"{schema.name} cannot be ordered by {name}"
                if known
                else f"unknown attribute {name!r} of {schema.name}",
                text=text,
                position=offset,
                length=max(len(name), 1),
                hint=f"did you mean {close!r}?"
                if close
                else "order by one of: " + ", ".join(allowed),
                parameter="order_by",
            )
        if any(name == n for n, _ in out):
            raise WhereValidationError(
                "duplicate-order",
                f"order_by names {name} twice",
                text=text,
                position=offset,
                length=len(name),
                hint="name each field once",
                parameter="order_by",
            )
        out.append((name, direction.strip().upper() == "DESC"))
    return tuple(out)


def _check_limit(value: Any) -> int | None:
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else None
    number: int | None = None
    if text is not None and text.isascii() and text.isdigit() and len(text) <= 7:
        number = int(text)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    if number is None or not 1 <= number <= MAX_LIMIT:
        shown = text if text is not None else repr(value)
        raise WhereValidationError(
            "bad-limit",
            f"limit must be a whole number from 1 to {MAX_LIMIT}, not {shown[:40]}",
            text=text,
            position=0 if text is not None else None,
            length=len(text or "") or 1,
            hint=f"ask for at most {MAX_LIMIT} entities a page and follow the continuation",
            parameter="limit",
        )
    return number


def _check_continuation(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"continuation must be text, not {type(value).__name__}")
    bad = next((i for i, ch in enumerate(value) if ch not in _TOKEN_CHARS), None)
    if bad is not None or len(value) > MAX_TOKEN:
        raise WhereValidationError(
            "bad-continuation",
            "continue is not a continuation token of this server",
            text=value[:200],
            position=min(bad if bad is not None else MAX_TOKEN, 200),
            hint="pass the token of the previous page's response unchanged",
            parameter="continue",
        )
    return value or None


_BOOLS = {"true": True, "false": False, "1": True, "0": False}


def _check_summary(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    found = _BOOLS.get(str(value).strip().lower()) if isinstance(value, str) else None
    if found is None:
        raise WhereValidationError(
            "bad-summary",
            f"summary must be true or false, not {str(value)[:40]!r}",
            text=str(value),
            position=0,
            parameter="summary",
        )
    return found


def _collect(
    params: str | Mapping[str, str | Sequence[str]], ignore_unknown: bool
) -> dict[str, str]:
    pairs: list[tuple[str, str, int]] = []  # name, value, offset of the pair
    if isinstance(params, str):
        offset = 0
        text = params.removeprefix("?")
        base = len(params) - len(text)
        for part in text.split("&"):
            if part:
                name, _, value = part.partition("=")
                try:
                    # most names, and some values, have nothing to decode
                    decoded_name = decode_query(name) if "%" in name or "+" in name else name
                    decoded = decode_query(value) if "%" in value or "+" in value else value
                except WhereError as err:
                    if err.position is not None:
                        err.position += base + offset + (len(name) + 1 if value else 0)
                    err.text = params
                    raise err.with_parameter(name) from None
                pairs.append((decoded_name, decoded, base + offset))
            offset += len(part) + 1
    else:
        for name, given in params.items():
            items = list(given) if isinstance(given, (list, tuple)) else [given]
            for item in items:
                if not isinstance(item, str):
                    raise WhereValidationError(
                        "bad-parameter",
                        f"the value of {name} must be text, not {type(item).__name__}",
                        parameter=str(name),
                    )
                pairs.append((str(name), item, 0))
    out: dict[str, str] = {}
    for name, value, offset in pairs:
        if name not in _KNOWN:
            if ignore_unknown:
                continue
            close = difflib.get_close_matches(name, PARAMETERS, n=1, cutoff=0.6)
            raise WhereValidationError(
                "unknown-parameter",
                f"unknown parameter {name!r}",
                text=params if isinstance(params, str) else None,
                position=offset if isinstance(params, str) else None,
                length=len(name),
                hint=f"did you mean {close[0]!r}?"
                if close
                else "the parameters are " + ", ".join(PARAMETERS),
                parameter=name,
            )
        if name in out:
            raise WhereValidationError(
                "duplicate-parameter",
                f"{name} is given more than once",
                hint=f"join the conditions into one {name}"
                + (" with AND" if name == "where" else ""),
                parameter=name,
            )
        out[name] = value
    # An empty value counts as absent (blank too, except for contains: spaces are text).
    return {k: v for k, v in out.items() if v.strip() or (k == "contains" and v)}


def _parse_where(text: str, schema: Schema, extended: bool, limits: Limits | None) -> Expr:
    try:
        return parse(text, schema=schema, extended=extended, limits=limits)
    except WhereError as err:
        raise err.with_parameter("where") from None


def _parse_where_text(text: str, schema: Schema, extended: bool, limits: Limits | None) -> Any:
    return _parse_where(text, schema, extended, limits) if text.strip() else None


def _is_typed(expr: Any) -> bool:
    """Whether a tree is already typed (every path resolved): taken as it is."""
    if not isinstance(expr, Node):
        return False
    return not any(isinstance(node, Path) for node in walk(expr))


def _typed_where(expr: Any, schema: Schema, extended: bool) -> Expr:
    if not isinstance(expr, Node):
        raise TypeError(f"where must be text or an expression, not {type(expr).__name__}")
    # Parsing the printed text types the tree and applies the syntax level's rules.
    return _parse_where(str(expr), schema, extended, None)


def _parse_filter_id(text: str) -> UUID | str:
    """A saved filter's UUID, or ``space/slug`` (REFERENCE §11) kept as text."""
    stripped = text.strip()
    if "/" in stripped:
        space, _, slug = stripped.partition("/")
        bad = next(
            (i for i, ch in enumerate(stripped) if not (ch.isalnum() or ch in "-_./")), None
        )
        if space and slug and "/" not in slug and bad is None and len(stripped) <= 512:
            return f"{space}/{slug}"
    try:
        return UUID(stripped)
    except ValueError:
        raise WhereValidationError(
            "bad-filter-id",
            f"{text!r} is not a filter ID",
            text=text,
            position=0,
            length=len(text),
            hint="filter takes the UUID of a saved Filter, such as "
            "'7c61626f-ddbe-41af-93f6-b69f4ab6d308', or space/slug such as 'prod/backend-units'",
            parameter="filter",
        ) from None


def _check_contains(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"contains must be text, not {type(text).__name__}")
    bad = text.find("\x00")
    if bad >= 0:
        raise WhereValidationError(
            "bad-contains",
            "contains cannot hold a NUL character",
            text=text,
            position=bad,
            parameter="contains",
        )
    if len(text) > MAX_CONTAINS:
        raise WhereValidationError(
            "limit-exceeded",
            f"contains is longer than {MAX_CONTAINS} characters",
            text=text,
            position=MAX_CONTAINS,
            hint="search for a shorter text",
            parameter="contains",
        )
    return text


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split(","))


def _names(
    names: tuple[str, ...], parameter: str
) -> Iterator[tuple[str, int, str]]:
    """Each name stripped, with its offset in the comma-joined text."""
    text = ",".join(names)
    offset = 0
    for raw in names:
        name = raw.strip()
        start = offset + (len(raw) - len(raw.lstrip()))
        if not name:
            raise WhereValidationError(
                "empty-name",
                f"{parameter} has an empty name",
                text=text,
                position=offset,
                hint="separate attribute names with single commas",
                parameter=parameter,
            )
        yield name, start, text
        offset += len(raw) + 1


@lru_cache(maxsize=1024)
def _check_select(names: tuple[str, ...], schema: Schema) -> tuple[str, ...]:
    out: list[str] = []
    for name, start, text in _names(names, "select"):
        if name not in schema.attributes:
            close = _close(name, list(schema.attributes))
            raise WhereValidationError(
                "unknown-attribute",
                f"unknown attribute {name!r} of {schema.name}",
                text=text,
                position=start,
                length=len(name),
                hint=f"did you mean {close!r}?" if close else None,
                parameter="select",
            )
        if name not in out:
            out.append(name)
    return tuple(out)


@lru_cache(maxsize=1024)
@lru_cache(maxsize=1024)
def _check_include(names: tuple[str, ...], schema: Schema) -> tuple[str, ...]:
    includable = schema.includable
    out: list[str] = []
    for name, start, text in _names(names, "include"):
        if name not in includable:
            close = _close(name, list(includable))
            known = name in schema.attributes or any(
                r.via == name for r in schema.relations.values()
            )
            field = schema.relations.get(name)
            if field is not None and field.includable:
                hint = f"name the ID attribute: {field.via}"
            elif close:
                hint = f"did you mean {close!r}?"
            else:
                hint = "includable: " + (", ".join(includable) or "nothing")
            raise WhereValidationError(
                "not-includable" if known else "unknown-attribute",
                f"{schema.name} cannot include {name}"
                if known
                else f"unknown attribute {name!r} of {schema.name}",
                text=text,
                position=start,
                length=len(name),
                hint=hint,
                parameter="include",
            )
        if name not in out:
            out.append(name)
    return tuple(out)


def _close(name: str, candidates: list[str]) -> str | None:
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def _filter_error(
    code: str, message: str, filter_id: UUID | str, hint: str | None
) -> WhereError:
    text = str(filter_id)
    return WhereValidationError(
        code, message, text=text, position=0, length=len(text), hint=hint, parameter="filter"
    )


def _space_resident(schema: Schema) -> bool:
    """Whether entities of this type live in a space (and are not spaces themselves)."""
    space = schema.attributes.get("SpaceID")
    return space is not None and schema.id != "SpaceID" and space.type.kind is Kind.UUID


# --- from_params without a second validation -----------------------------------------

_set_slot = object.__setattr__  # how pydantic sets the slots of a (frozen) model
#: field -> default, in declaration order (the order pydantic stores fields in)
_DEFAULTS: dict[str, Any] = {
    name: (None if field.is_required() else field.default)
    for name, field in ListQuery.model_fields.items()
}
#: the fields _prepare checks only when given (where, filter and contains)
_OPTIONAL = frozenset({"where", "filter", "contains"})
#: the fields _prepare passes to pydantic whatever the parameters: pydantic counts them
#: as set
_ALWAYS_SET = frozenset(ListQuery.model_fields) - _OPTIONAL

_Check = Callable[[Any, Schema, bool, "Limits | None"], Any]


@lru_cache(maxsize=1024)
def _select_text(text: str, schema: Schema) -> Any:
    return _check_select(_split(text), schema)


@lru_cache(maxsize=1024)
def _include_text(text: str, schema: Schema) -> Any:
    return _check_include(_split(text), schema)


# Each check takes any value a field may be given (text first: what from_params gives,
# non-blank, as _collect leaves blank values out) and returns the field's value.


def _where_field(v: Any, schema: Schema, extended: bool, limits: Limits | None) -> Any:
    if isinstance(v, str):
        return _parse_where_text(v, schema, extended, limits)
    if v is not None:
        try:
            if not _is_typed(v):
                return _typed_where(v, schema, extended)
            # A typed tree built in code is taken as it is, once it is known to print:
            # a query is a query string (to_params), and one nested past what Python's
            # recursion allows would fail in every use instead of here.
            to_where(v)
        except WhereError as err:
            raise err.with_parameter("where") from None
    return v


def _filter_field(v: Any, schema: Schema, extended: bool, limits: Limits | None) -> Any:
    return _parse_filter_id(v) if isinstance(v, str) else v


def _contains_field(v: Any, schema: Schema, extended: bool, limits: Limits | None) -> Any:
    return None if v is None else (_check_contains(v) or None)


def _select_field(v: Any, schema: Schema, extended: bool, limits: Limits | None) -> Any:
    if isinstance(v, str):
        return _select_text(v, schema)
    names = _as_names(v)
    return None if names is None else _check_select(names, schema)


def _include_field(v: Any, schema: Schema, extended: bool, limits: Limits | None) -> Any:
    if isinstance(v, str):
        return _include_text(v, schema)
    names = _as_names(v)
    return _check_include(names, schema) if names else ()


def _where_data_field(v: Any, schema: Schema, extended: bool, limits: Limits | None) -> Any:
    if v is not None and not isinstance(v, str):
        raise TypeError(f"where_data must be text, not {type(v).__name__}")
    return v or None


#: ListQuery field -> its check and conversion, in _prepare's order (of two bad values,
#: the first in it is reported). _prepare runs every one; from_params only those of the
#: parameters given.
_FIELD_CHECKS: dict[str, _Check] = {
    "where": _where_field,
    "filter": _filter_field,
    "contains": _contains_field,
    "select": _select_field,
    "include": _include_field,
    "include_hidden": lambda v, schema, extended, limits: _check_hidden(v or ()),
    "order_by": lambda v, schema, extended, limits: _check_order_by(v or (), schema),
    "limit": lambda v, schema, extended, limits: _check_limit(v),
    "continuation": lambda v, schema, extended, limits: _check_continuation(v),
    "summary": lambda v, schema, extended, limits: _check_summary(v),
    "where_data": _where_data_field,
}
#: parameter -> its field's check (the parameter ``continue`` is the field
#: ``continuation``), in _FIELD_CHECKS's order
_PARAMETER = {field: parameter for parameter, field in _FIELDS.items()}
_PARAMETER_CHECKS: dict[str, _Check] = {
    _PARAMETER.get(field, field): check for field, check in _FIELD_CHECKS.items()
}
#: _prepare's order of the checks: of two bad values, the first in it is reported
_RANK = {name: rank for rank, name in enumerate(_PARAMETER_CHECKS)}
