"""JSON paths, list references and Permissions in memory: where related entities come
from, entities of every kind, and that no input raises anything but a WhereError."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import wherelang
from wherelang import jsonpath
from wherelang.errors import WhereError
from wherelang.evaluate import Predicate
from wherelang.nodes import Attr, Compare, IsNull, JsonStep, Literal, Not, Op
from wherelang.query import ListQuery, MemoryStore
from wherelang.schema import Kind, Type
from wherelang.strategies import (
    json_documents,
    json_steps,
    path_entities,
    path_expressions,
    path_schema,
)

UNIT = path_schema()
SLUG = Attr(("FromLink", "*", "Slug"), ("FromLink",), "Slug", None, Type(Kind.STRING), each=True)
IS_DB = Compare(SLUG, Op.EQ, Literal("db"))


def test_related_entities_come_from_the_resolver() -> None:
    store = MemoryStore({"Link": [{"LinkID": "11111111-0000-4000-8000-000000000001", "Slug": "db"},
                                  {"LinkID": "11111111-0000-4000-8000-000000000002", "Slug": "web"}]},
                        ids={"Link": "LinkID"})  # fmt: skip
    units = [
        {"Slug": "a", "FromLinkID": ["11111111-0000-4000-8000-000000000001"]},
        {"Slug": "b", "FromLinkID": ["11111111-0000-4000-8000-000000000002", "11111111-0000-4000-8000-000000000009"]},
        {"Slug": "c", "FromLinkID": []},
        {"Slug": "d"},
    ]
    found = wherelang.filter(units, IS_DB, UNIT, resolver=store.resolver(UNIT))
    assert [u["Slug"] for u in found] == ["a"]
    query = ListQuery(schema=UNIT, where=IS_DB)
    assert [u["Slug"] for u in query.apply(units, resolver=store)] == ["a"]


def test_an_extended_response_carries_the_list() -> None:
    rows = [{"Unit": {"Slug": "a"}, "FromLink": [{"Slug": "db"}]}, {"Unit": {"Slug": "b"}, "FromLink": []}]
    assert [r["Unit"]["Slug"] for r in wherelang.filter(rows, IS_DB, UNIT)] == ["a"]


def test_exists_is_never_unknown() -> None:
    units = [{"FromLink": [{"Slug": None}]}, {"FromLink": []}, {}, {"FromLink": [{"Slug": "db"}]}]
    assert [Predicate(Not(IS_DB), UNIT)(u) for u in units] == [True, True, True, False]


@dataclass
class Link:
    Slug: str | None


@dataclass
class Unit:
    Slug: str
    Data: Any = None
    FromLink: list[Link] = field(default_factory=list)


def test_objects_as_entities() -> None:
    image = Attr(("Data",), (), "Data", None, Type(Kind.JSON),
                 json=(JsonStep("key", "spec"), JsonStep("any"), JsonStep("key", "image")))  # fmt: skip
    latest = Compare(image, Op.LIKE, Literal("%:latest"))
    units = [Unit("a", {"spec": [{"image": "x:latest"}]}, [Link("db")]), Unit("b", None, [Link(None)])]
    assert [u.Slug for u in wherelang.filter(units, latest, UNIT)] == ["a"]
    assert [u.Slug for u in wherelang.filter(units, IS_DB, UNIT)] == ["a"]
    assert [u.Slug for u in wherelang.filter(units, IsNull(image), UNIT)] == ["b"]


@settings(max_examples=300, deadline=None)
@given(path_expressions(), st.lists(path_entities(), max_size=4), st.booleans())
def test_any_entity_gives_an_answer_or_a_where_error(expr: Any, units: list[Any], strict: bool) -> None:
    predicate = Predicate(expr, UNIT, strict=strict)
    for unit in units:
        try:
            assert predicate(unit) in (True, False)
        except WhereError:
            assert strict


@settings(max_examples=300, deadline=None)
@given(json_steps(), json_documents())
def test_the_selector_is_the_lax_path(steps: Any, doc: Any) -> None:
    """IS NOT NULL and the plain selector agree; a generated function never raises.
    (A top-level None is the attribute's NULL, not a JSON null: nothing is selected.)"""
    assume(doc is not None)
    left, right = jsonpath.split_steps(steps)
    selected = jsonpath.selector(left)(doc)
    if right is None:
        assert jsonpath.exists(steps)(doc) is bool(selected)
