"""Schemas: which attributes an entity type has, their types, and what each allows.

A :class:`Schema` is declared in Python, derived from a pydantic model
(:meth:`Schema.from_model`), or taken from the built-in ConfigHub catalog
(:mod:`wherelang.confighub`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["Kind", "Type", "Attribute", "Relation", "Schema"]


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
        """A type from its JSON description (as in ``entities.json``).

        >>> str(Type.of({"type": "map", "values": "bool"}))
        'map of string to bool'
        >>> str(Type.of({"type": "array", "items": "uuid"}))
        'array of uuid'
        """
        if isinstance(spec, Type):
            return spec
        if isinstance(spec, str):
            return cls(Kind(spec))
        kind = Kind(spec["type"])
        enum = spec.get("enum")
        return cls(
            kind,
            items=cls.of(spec["items"]) if "items" in spec else None,
            values=cls.of(spec["values"]) if "values" in spec else None,
            keys=cls.of(spec["keys"]) if "keys" in spec else None,
            enum=tuple(enum) if enum else None,
        )

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

    ``filterable``: usable in ``where``. ``searchable``: matched by ``contains``
    (string and map attributes). ``always``: returned whatever ``select`` says (the
    entity's ID, its parents' IDs and ``Slug``).
    """

    name: str
    type: Type
    nullable: bool = True
    filterable: bool = True
    searchable: bool = False
    always: bool = False
    description: str = ""


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
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "attributes", {a.name: a for a in attrs})
        object.__setattr__(self, "relations", {r.field: r for r in rels})
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "resolver", resolver)
        object.__setattr__(self, "max_key", max_key)
        object.__setattr__(self, "description", description)
        # Resolved paths, filled by wherelang.validate: the same paths recur in every query.
        object.__setattr__(self, "_paths", {})

    def __hash__(self) -> int:
        return hash((self.name, tuple(self.attributes.items()), tuple(self.relations.items())))

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
