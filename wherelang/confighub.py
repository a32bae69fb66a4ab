"""The ConfigHub entity types as ready schemas.

The catalog is ConfigHub's own attribute table (``where_attributes.json`` of
confighub/sdk, the names its where parser accepts), written into
``wherelang/data/confighub.json`` by ``scripts/make_catalog.py``. Every attribute of the
table is filterable; its references are relations, and the expandable ones are what
``include`` expands and the prefixes a strict where expression may use
(``UpstreamUnit.Slug``, ``FromLink.*.Slug``). Schemas are built on first use and shared.

>>> from wherelang import confighub, parse
>>> unit = confighub.schema("Unit")
>>> unit.attribute("HeadRevisionNum").type.kind.value
'int'
>>> confighub.data_type(unit, "ValidationTriggerIDs")
'map[string]uuid'
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

__all__ = ["schema", "names", "data_type", "is_catalog", "MAX_KEY"]

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
    (29, ('Attestation', 'Attribute', 'BridgeWorker'))
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


def is_catalog(schema: Schema) -> bool:
    """Whether ``schema`` is one of this catalog's, whose strict rules are ConfigHub's."""
    return schema.resolver is _lookup


def data_type(schema: Schema, attribute: str) -> str | None:
    """ConfigHub's data type of ``attribute`` (``'map[string]bool'``), or None."""
    if not is_catalog(schema):
        return None
    spec = _catalog()[schema.name]["attributes"].get(attribute)
    return None if spec is None else spec.get("dataType")


@lru_cache(maxsize=1)
def keyed_maps() -> frozenset[str]:
    """Names that are a keyed map in any entity type (ConfigHub's IsKeyedMap, §0)."""
    keyed = {"map[string]string", "map[string]bool", "map[uuid]string", "map[string]uuid",
             "map[string]map[string]map[uuid]bool"}  # fmt: skip
    return frozenset(
        name
        for spec in _catalog().values()
        for name, attr in spec["attributes"].items()
        if attr.get("dataType") in keyed
    )


# What contains matches: text, and the maps of text or flags the API's typings searched.
_SEARCHED = frozenset({"string", "map[string]string", "map[string]bool"})


def _build(name: str, spec: dict[str, Any]) -> Schema:
    own_id: str | None = spec.get("id")
    always = {own_id, "Slug", *_PARENTS}
    attributes = []
    for attr_name, attr_spec in spec["attributes"].items():
        type = Type.of({k: v for k, v in attr_spec.items() if k in ("type", "items", "values", "keys")})
        usable = attr_spec.get("filterable", True)
        attributes.append(
            Attribute(
                attr_name,
                type,
                nullable=bool(attr_spec.get("nullable", False)),
                filterable=usable,
                searchable=usable and attr_spec.get("dataType") in _SEARCHED,
                always=attr_name in always,
            )
        )
    relations = [
        Relation(rel["field"], via, rel["entity"], many=rel["many"], includable=rel["expandable"])
        for via, rel in spec.get("relations", {}).items()
    ]
    return Schema(
        name, attributes, relations, id=own_id, resolver=_lookup, max_key=MAX_KEY
    )
