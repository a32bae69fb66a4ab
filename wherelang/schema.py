"""Schemas: which attributes an entity type has, their types, and what each allows.

A :class:`Schema` is declared in Python, derived from a pydantic model
(:meth:`Schema.from_model`), or taken from the built-in ConfigHub catalog
(:mod:`wherelang.confighub`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

__all__ = ["Kind", "Type", "Attribute", "Relation", "Schema", "as_schema", "NEEDS_A_SCHEMA"]


class Kind(str, Enum):
    """The attribute types of SPEC §2."""

    STRING = "string"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    UUID = "uuid"
    TIME = "time"
    JSON = "json"
    ARRAY = "array"
    MAP = "map"


@dataclass(frozen=True, slots=True)
class Type:
    """An attribute type: a scalar kind, ``array`` of ``items``, or ``map`` of ``keys`` to
    ``values``. A string type may list its allowed values in ``enum``."""

    kind: Kind
    items: Type | None = None
    values: Type | None = None
    keys: Type | None = None
    enum: tuple[str, ...] | None = None

    def __str__(self) -> str:
        if self.kind is Kind.ARRAY:
            return f"array of {self.items}"
        if self.kind is Kind.MAP:
            return f"map of {self.keys or 'string'} to {self.values}"
        return str(self.kind.value)

    @classmethod
    def of(cls, spec: str | Mapping[str, Any] | Type) -> Type:
        """A type from its JSON description (as in a schema file), checked in full: a
        mistake is a :class:`~wherelang.errors.WhereValidationError` that says what is
        wrong (see :mod:`wherelang.schemafile`).

        >>> str(Type.of({"type": "map", "values": "bool"}))
        'map of string to bool'
        >>> str(Type.of({"type": "array", "items": "uuid"}))
        'array of uuid'
        >>> Type.of({"type": "array"})
        Traceback (most recent call last):
        ...
        wherelang.errors.WhereValidationError: type: an array needs "items", the type of its elements
        """
        if isinstance(spec, Type):
            return spec
        if isinstance(spec, str) and spec in _KIND_VALUES:
            return cls(Kind(spec))
        from .schemafile import type_of

        return type_of(spec)

    def to_json(self) -> dict[str, Any]:
        """The JSON description :meth:`of` reads."""
        out: dict[str, Any] = {"type": self.kind.value}
        for name in ("items", "values", "keys"):
            sub = getattr(self, name)
            if sub is not None:
                out[name] = sub.to_json() if sub.kind in (Kind.ARRAY, Kind.MAP) else sub.kind.value
        if self.enum:
            out["enum"] = list(self.enum)
        return out

    @property
    def is_container(self) -> bool:
        return self.kind in (Kind.ARRAY, Kind.MAP)


_KIND_VALUES = frozenset(kind.value for kind in Kind)

STRING = Type(Kind.STRING)
INT = Type(Kind.INT)
FLOAT = Type(Kind.FLOAT)
BOOL = Type(Kind.BOOL)
UUID = Type(Kind.UUID)
TIME = Type(Kind.TIME)
JSON = Type(Kind.JSON)


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute of an entity type.

    ``filterable``: usable in ``where``. ``searchable``: matched by ``contains``; when
    not given, the filterable string and map attributes are, as in the ConfigHub API
    (the same rule in a schema file and in :meth:`Schema.from_model`). ``always``:
    returned whatever ``select`` says (the entity's ID, its parents' IDs and ``Slug``;
    a :class:`Schema` marks its ``id`` so).

    >>> Attribute("Slug", Type.of("string")).searchable, Attribute("N", Type.of("int")).searchable
    (True, False)
    """

    name: str
    type: Type
    nullable: bool = True
    filterable: bool = True
    searchable: bool = None  # type: ignore[assignment]  # None: by the rule above
    always: bool = False
    description: str = ""
    #: the Python attribute that holds the value when it differs from ``name`` (a
    #: pydantic field whose alias is the name users type)
    python_name: str | None = None

    def __post_init__(self) -> None:
        if self.searchable is None:
            searchable = self.filterable and self.type.kind in (Kind.STRING, Kind.MAP)
            object.__setattr__(self, "searchable", searchable)


@dataclass(frozen=True, slots=True)
class Relation:
    """A related entity reached through an ID attribute.

    ``field`` is the name paths and the extended response use (``Space``), ``via`` the
    attribute holding the ID (``SpaceID``), ``entity`` the related entity type.
    """

    field: str
    via: str
    entity: str
    many: bool = False
    includable: bool = False


@dataclass(frozen=True)
class Schema:
    """The attributes and relations of one entity type.

    >>> s = Schema("Unit", [Attribute("Slug", Type.of("string")),
    ...                     Attribute("Labels", Type.of({"type": "map", "values": "string"}))])
    >>> s.attribute("Slug").type.kind
    <Kind.STRING: 'string'>
    """

    name: str
    attributes: Mapping[str, Attribute] = field(default_factory=dict)
    relations: Mapping[str, Relation] = field(default_factory=dict)
    id: str | None = None
    #: resolves a related entity type's name to its schema
    resolver: Callable[[str], Schema | None] | None = field(
        default=None, compare=False, repr=False
    )
    #: longest map key a path may name (the remote API allows 128); None: no limit
    max_key: int | None = None
    description: str = ""
    _paths: dict[tuple[str, ...], Any] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __init__(
        self,
        name: str,
        attributes: Iterable[Attribute] | Mapping[str, Attribute] = (),
        relations: Iterable[Relation] | Mapping[str, Relation] = (),
        *,
        id: str | None = None,
        resolver: Callable[[str], Schema | None] | None = None,
        max_key: int | None = None,
        description: str = "",
    ) -> None:
        attrs = attributes.values() if isinstance(attributes, Mapping) else attributes
        rels = relations.values() if isinstance(relations, Mapping) else relations
        by_name = {a.name: a for a in attrs}
        if id is not None:
            # One rule for every way of declaring a schema: the id is always returned.
            if id not in by_name:
                raise ValueError(f"id {id!r} is not an attribute of {name}")
            if not by_name[id].always:
                by_name[id] = replace(by_name[id], always=True)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "attributes", by_name)
        object.__setattr__(self, "relations", {r.field: r for r in rels})
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "resolver", resolver)
        object.__setattr__(self, "max_key", max_key)
        object.__setattr__(self, "description", description)
        # Resolved paths, filled by wherelang.validate: the same paths recur in every query.
        object.__setattr__(self, "_paths", {})

    def __hash__(self) -> int:
        # Schemas key caches (compiled predicates, SQL); hash the attributes once.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.name, tuple(self.attributes.items()), tuple(self.relations.items())))
            object.__setattr__(self, "_hash", cached)
        return cached

    def attribute(self, name: str) -> Attribute | None:
        return self.attributes.get(name)

    def relation(self, field_name: str) -> Relation | None:
        return self.relations.get(field_name)

    def related(self, field_name: str) -> Schema | None:
        """The schema of the entity reached through relation ``field_name``."""
        relation = self.relations.get(field_name)
        if relation is None or self.resolver is None:
            return None
        return self.resolver(relation.entity)

    @property
    def filterable(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attributes.values() if a.filterable)

    @property
    def searchable(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attributes.values() if a.searchable)

    @property
    def always(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attributes.values() if a.always)

    @property
    def includable(self) -> tuple[str, ...]:
        return tuple(r.via for r in self.relations.values() if r.includable)

    @classmethod
    def from_json(cls, spec: Mapping[str, Any] | str, *, name: str = "Entity") -> Schema:
        """A schema from its JSON description (a mapping or JSON text): the format
        ``wherelang describe --json`` prints, published as a JSON Schema in
        ``wherelang/data/schema-file.schema.json``. Checked in full: unknown keys, an
        ``id`` that is no attribute, a missing ``items``, an unknown kind are errors
        that name the place (see :mod:`wherelang.schemafile`). ``name``: the entity
        type's name when the file gives none.

        >>> job = Schema.from_json({"name": "Job", "id": "JobID",
        ...                         "attributes": {"JobID": "uuid", "State": "string"}})
        >>> job.always, job.searchable
        (('JobID',), ('State',))
        >>> Schema.from_json({"attributes": {"State": {"type": "string", "filterabel": False}}})
        Traceback (most recent call last):
        ...
        wherelang.errors.WhereValidationError: attributes.State: unknown key 'filterabel'
        hint: did you mean 'filterable'?
        """
        from .schemafile import schema_from_json

        return schema_from_json(spec, default_name=name)

    def to_json(self) -> dict[str, Any]:
        """The JSON description :meth:`from_json` reads back."""
        from .schemafile import schema_to_json

        return schema_to_json(self)

    @classmethod
    def from_model(
        cls,
        model: type[Any],
        *,
        name: str | None = None,
        filterable: Iterable[str] | None = None,
        exclude: Iterable[str] = (),
        searchable: Iterable[str] | None = None,
        always: Iterable[str] = (),
        id: str | None = None,
        relations: Iterable[Relation] = (),
        resolver: Callable[[str], Schema | None] | None = None,
        max_key: int | None = None,
    ) -> Schema:
        """A schema derived from a pydantic v2 model.

        Attribute names are the names users type: a field's alias (``alias=``,
        ``serialization_alias=`` or the model's ``alias_generator``) when it has one,
        else the field name. Options name attributes either way.

        - ``str``, ``int``, ``float``/``Decimal``, ``bool``, ``UUID``, ``datetime``/``date``
          map to their kinds; ``Optional[X]`` is X, nullable; ``Literal['a', 'b']`` and
          string ``Enum`` classes are strings with those allowed values.
        - ``list[X]`` (also ``tuple[X, ...]``, ``set[X]``) is an array of X;
          ``dict[str, V]`` a map of V (``dict[UUID, V]``: UUID keys).
        - A nested model, ``Any`` and a bare ``dict`` are json: only ``IS [NOT] NULL``
          applies. (Filtering inside a nested model would need its own schema; declare
          the related entity through ``relations`` and ``resolver`` instead.)

        ``filterable``: only these attributes may appear in ``where`` (default all);
        ``exclude``: leave these out of the schema; ``searchable``: the attributes
        ``contains`` matches (default: the filterable string and map attributes);
        ``always`` and ``id``: returned whatever ``select`` says.

        >>> from pydantic import BaseModel, ConfigDict
        >>> from pydantic.alias_generators import to_camel
        >>> class Job(BaseModel):
        ...     model_config = ConfigDict(alias_generator=to_camel)
        ...     job_id: str
        ...     labels: dict[str, str] = {}
        ...     retries: int | None = None
        >>> s = Schema.from_model(Job, id="job_id")
        >>> [f"{a.name}: {a.type}" for a in s.attributes.values()]
        ['jobId: string', 'labels: map of string to string', 'retries: int']
        >>> s.attributes["retries"].nullable, s.attributes["jobId"].python_name, s.always
        (True, 'job_id', ('jobId',))
        """
        from pydantic import BaseModel

        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"expected a pydantic model class, got {model!r}")
        fields = model.model_fields
        aliases = {
            field_name: info.serialization_alias or info.alias or field_name
            for field_name, info in fields.items()
        }

        def names(option: Iterable[str] | None, what: str) -> set[str] | None:
            if option is None:
                return None
            wanted = set([option] if isinstance(option, str) else option)
            out = {aliases.get(n, n) for n in wanted}
            unknown = out - set(aliases.values())
            if unknown:
                raise ValueError(
                    f"{what}: {model.__name__} has no field {', '.join(sorted(unknown))}"
                )
            return out

        excluded = names(exclude, "exclude") or set()
        allowed = names(filterable, "filterable")
        search = names(searchable, "searchable")
        returned = names(always, "always") or set()
        id_name = aliases.get(id, id) if id is not None else None
        if id_name is not None:
            returned.add(id_name)
        attributes = []
        for field_name, info in fields.items():
            attr_name = aliases[field_name]
            if attr_name in excluded:
                continue
            try:
                attr_type, nullable = _type_of(info.annotation)
            except TypeError as exc:
                raise TypeError(
                    f"{model.__name__}.{field_name}: {exc}; exclude it or change its type"
                ) from None
            usable = allowed is None or attr_name in allowed
            if search is None:
                is_searchable = usable and attr_type.kind in (Kind.STRING, Kind.MAP)
            else:
                is_searchable = attr_name in search
            attributes.append(
                Attribute(
                    attr_name,
                    attr_type,
                    nullable=nullable or not info.is_required() and info.default is None,
                    filterable=usable,
                    searchable=is_searchable,
                    always=attr_name in returned,
                    description=info.description or "",
                    python_name=field_name if field_name != attr_name else None,
                )
            )
        return cls(
            name or model.__name__,
            attributes,
            relations,
            id=id_name,
            resolver=resolver,
            max_key=max_key,
            description=(model.__doc__ or "").strip(),
        )


#: What to say when text is given without a schema (evaluating needs the types).
NEEDS_A_SCHEMA = (
    "needs a schema: it says which attributes exist and their types (a time, a UUID, a "
    "map), which decide what each condition means; pass a ConfigHub entity name such as "
    "'Unit', or a Schema (Schema(...), Schema.from_model(YourModel), Schema.from_json(...))"
)


def as_schema(value: Schema | str) -> Schema:
    """A schema, or the name of a ConfigHub entity type: everywhere wherelang takes a
    schema it takes a name too.

    >>> as_schema("Unit").name
    'Unit'
    >>> as_schema(42)
    Traceback (most recent call last):
    ...
    TypeError: schema must be a Schema or the name of a ConfigHub entity type such as 'Unit', not int
    """
    if isinstance(value, Schema):
        return value
    if isinstance(value, str):
        from . import confighub

        return confighub.schema(value)
    raise TypeError(
        "schema must be a Schema or the name of a ConfigHub entity type such as 'Unit', "
        f"not {type(value).__name__}"
    )


_SCALARS: dict[Any, Kind] = {}


def _scalars() -> dict[Any, Kind]:
    if not _SCALARS:
        import datetime as dt
        import uuid
        from decimal import Decimal

        _SCALARS.update({
            str: Kind.STRING, bool: Kind.BOOL, int: Kind.INT, float: Kind.FLOAT,
            Decimal: Kind.FLOAT, uuid.UUID: Kind.UUID, dt.datetime: Kind.TIME,
            dt.date: Kind.TIME,
        })  # fmt: skip
    return _SCALARS


def _type_of(annotation: Any) -> tuple[Type, bool]:
    """The type of a pydantic field's annotation, and whether it may be None."""
    import types
    import typing

    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_of(args[0])
    if origin is typing.Union or origin is types.UnionType:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return _type_of(rest[0])[0], True
        raise TypeError(f"a union of {', '.join(map(_show, rest))} has no single type")
    if annotation is Any or annotation is object:
        return JSON, False
    if origin is typing.Literal:
        if all(isinstance(a, str) for a in args):
            return Type(Kind.STRING, enum=tuple(args)), False
        raise TypeError("only Literal of strings is supported")
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        values = [m.value for m in annotation]
        if all(isinstance(v, str) for v in values):
            return Type(Kind.STRING, enum=tuple(values)), False
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return INT, False
        raise TypeError(f"enum {annotation.__name__} mixes value types")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return JSON, False
    import collections.abc as abc

    if origin in (list, tuple, set, frozenset, abc.Sequence, abc.Set, abc.Iterable):
        items = [a for a in args if a is not Ellipsis]
        if origin is tuple and len(set(items)) > 1:
            raise TypeError("a tuple of mixed types is not an array")
        return Type(Kind.ARRAY, items=_type_of(items[0])[0] if items else JSON), False
    if origin in (dict, abc.Mapping, abc.MutableMapping):
        key, value = args if args else (str, Any)
        key_type = _type_of(key)[0]
        if key_type.kind not in (Kind.STRING, Kind.UUID):
            raise TypeError("map keys must be str or UUID")
        keys = key_type if key_type.kind is Kind.UUID else None
        return Type(Kind.MAP, values=_type_of(value)[0], keys=keys), False
    if annotation in (dict, list):
        return (JSON if annotation is dict else Type(Kind.ARRAY, items=JSON)), False
    for base, kind in _scalars().items():
        if annotation is base:
            return Type(kind), False
    if isinstance(annotation, type):
        for base, kind in _scalars().items():  # subclasses such as a str-based NewType
            if issubclass(annotation, base):
                return Type(kind), False
    raise TypeError(f"{_show(annotation)} has no where type")


def _show(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)
