"""The ConfigHub entity types as ready schemas.

The facts (attributes and their types, the filterable and includable lists, relations)
come from ConfigHub's public API typings and ship in ``wherelang/data/confighub.json``.
Schemas are built on first use and shared.

>>> from wherelang import confighub, parse
>>> unit = confighub.schema("Unit")
>>> unit.attribute("HeadRevisionNum").type.kind.value
'int'
>>> unit.relation("UpstreamSpace").via
'UpstreamSpaceID'
>>> print(parse("Space.Labels.Environment = 'prod'", schema=unit).left.hops)
('Space',)
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import WhereValidationError
from .schema import Attribute, Kind, Relation, Schema, Type

__all__ = ["schema", "names", "MAX_KEY"]

#: The remote API's limit on a label or map key in a path.
MAX_KEY = 128

# Parent IDs that every list response returns whatever ``select`` says.
_PARENTS = ("OrganizationID", "SpaceID")

_schemas: dict[str, Schema] = {}


@lru_cache(maxsize=1)
def _catalog() -> dict[str, Any]:
    data = resources.files("wherelang").joinpath("data/confighub.json").read_text("utf-8")
    entities: dict[str, Any] = json.loads(data)["entities"]
    return entities


def names() -> tuple[str, ...]:
    """The entity types of the catalog, sorted.

    >>> len(names()), names()[:3]
    (20, ('Attribute', 'BridgeWorker', 'ChangeSet'))
    """
    return tuple(sorted(_catalog()))


def schema(name: str) -> Schema:
    """The schema of the ConfigHub entity type ``name`` (case-sensitive, as in the API).

    >>> schema("Invocation").includable
    ('BridgeWorkerID', 'OrganizationID', 'SpaceID')
    >>> schema("Unitt")
    Traceback (most recent call last):
    ...
    wherelang.errors.WhereValidationError: unknown ConfigHub entity type 'Unitt'
    hint: did you mean 'Unit'?
    """
    found = _schemas.get(name)
    if found is not None:
        return found
    spec = _catalog().get(name)
    if spec is None:
        raise _unknown(name)
    built = _schemas.setdefault(name, _build(name, spec))
    return built


def _lookup(name: str) -> Schema | None:
    return schema(name) if name in _catalog() else None


def _unknown(name: str) -> WhereValidationError:
    known = names()
    lowered = {n.lower(): n for n in known}
    guess = lowered.get(str(name).lower())
    if guess is None:
        close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
        guess = close[0] if close else None
    return WhereValidationError(
        "unknown-entity",
        f"unknown ConfigHub entity type {name!r}",
        hint=f"did you mean {guess!r}?" if guess else "known types: " + ", ".join(known),
    )


def _relation_field(via: str) -> str:
    # SpaceID -> Space, UpstreamSpaceID -> UpstreamSpace, AttributeIDs -> Attributes
    if via.endswith("IDs"):
        return via[:-3] + "s"
    if via.endswith("ID"):
        return via[:-2]
    return via


def _build(name: str, spec: dict[str, Any]) -> Schema:
    filterable = set(spec["filterable"])
    includable = set(spec["includable"])
    own_id: str | None = spec.get("id")
    always = {own_id, "Slug", *_PARENTS}
    attributes = []
    for attr_name, attr_spec in spec["attributes"].items():
        type = Type.of({k: v for k, v in attr_spec.items() if k != "nullable"})
        usable = attr_name in filterable
        attributes.append(
            Attribute(
                attr_name,
                type,
                nullable=bool(attr_spec.get("nullable", False)),
                filterable=usable,
                searchable=usable and type.kind in (Kind.STRING, Kind.MAP),
                always=attr_name in always,
            )
        )
    include = spec.get("include", {})
    relations = []
    for via, entity in spec.get("relations", {}).items():
        entry = include.get(via)
        attr = spec["attributes"].get(via, {})
        relations.append(
            Relation(
                entry["field"] if entry else _relation_field(via),
                via,
                entry["entity"] if entry else entity,
                many=bool(entry["many"]) if entry else attr.get("type") == "array",
                includable=via in includable,
            )
        )
    return Schema(
        name, attributes, relations, id=own_id, resolver=_lookup, max_key=MAX_KEY
    )
