"""The sample data set shipped with wherelang: ConfigHub Units and what they relate to.

One organization, fifteen Spaces (four teams in dev, staging and prod), their Targets,
six Users, four saved Filters and 220 Units with Labels, Annotations, approvals, apply
gates, revision numbers and times. ``scripts/make_sample_data.py`` generates it.

>>> from wherelang import sample
>>> len(sample.entities("Unit")), sample.names()
(220, ('Filter', 'Organization', 'Space', 'Target', 'Unit', 'User'))
>>> sample.store().get("Space", sample.entities("Unit")[0]["SpaceID"])["Slug"]
'payments-dev'
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from .query import MemoryStore

__all__ = ["names", "entities", "store"]


def _folder() -> Any:
    return resources.files("wherelang").joinpath("data/sample")


@lru_cache(maxsize=1)
def names() -> tuple[str, ...]:
    """The entity types in the sample, sorted."""
    return tuple(
        sorted(p.name[: -len(".jsonl")] for p in _folder().iterdir() if p.name.endswith(".jsonl"))
    )


@lru_cache(maxsize=None)
def _text(entity: str) -> str:
    return str(_folder().joinpath(f"{entity}.jsonl").read_text(encoding="utf-8"))


def entities(entity: str = "Unit") -> list[dict[str, Any]]:
    """The sample entities of one type, as parsed from JSON (a fresh list each call)."""
    if entity not in names():
        raise KeyError(f"the sample has no {entity} entities; it has {', '.join(names())}")
    return [json.loads(line) for line in _text(entity).splitlines() if line.strip()]


def store() -> MemoryStore:
    """Every sample entity in a :class:`~wherelang.query.MemoryStore`: it resolves the
    saved Filters and the related entities that ``include`` expands."""
    return MemoryStore({name: entities(name) for name in names()})
