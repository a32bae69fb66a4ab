"""Property: expressions_for(schema) draws trees that validate and survive text.

Run on several catalog entities, a schema derived from a pydantic model, and a
hand-written schema with every kind, at both syntax levels.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wherelang import Attr, Literal, confighub, parse
from wherelang.examples import C1_FUNCTION_INVOCATION, NYCKEL_FUNCTION_OUTPUT
from wherelang.nodes import And, Compare, In, IsNull, Len, Not, Or, Path, Truth
from wherelang.schema import Attribute, Kind, Schema, Type
from wherelang.strategies import expressions_for
from wherelang.validate import validate

EVERY_KIND = Schema("Every", [
    Attribute("s", Type(Kind.STRING)),
    Attribute("e", Type(Kind.STRING, enum=("on", "off"))),
    Attribute("i", Type(Kind.INT)),
    Attribute("f", Type(Kind.FLOAT)),
    Attribute("b", Type(Kind.BOOL)),
    Attribute("u", Type(Kind.UUID)),
    Attribute("t", Type(Kind.TIME)),
    Attribute("j", Type(Kind.JSON)),
    Attribute("a", Type(Kind.ARRAY, items=Type(Kind.STRING))),
    Attribute("m", Type(Kind.MAP, values=Type(Kind.INT))),
    Attribute("k", Type(Kind.MAP, keys=Type(Kind.UUID), values=Type(Kind.STRING))),
    Attribute("hidden", Type(Kind.STRING), filterable=False),
])  # fmt: skip

SCHEMAS = {
    "Unit": confighub.schema("Unit"),
    "Invocation": confighub.schema("Invocation"),
    "Trigger": confighub.schema("Trigger"),
    "UnitEvent": confighub.schema("UnitEvent"),
    "Revision": confighub.schema("Revision"),
    "C1": C1_FUNCTION_INVOCATION,
    "Nyckel": NYCKEL_FUNCTION_OUTPUT,
    "Every": EVERY_KIND,
}

CASES = [(name, extended) for name in SCHEMAS for extended in (False, True)]


def walk(node: object) -> list[object]:
    out = [node]
    if isinstance(node, (And, Or)):
        for item in node.items:
            out += walk(item)
    elif isinstance(node, (Not, Truth)):
        out += walk(node.expr)
    elif isinstance(node, Compare):
        out += walk(node.left) + walk(node.right)
    elif isinstance(node, In):
        out += walk(node.operand) + list(node.values)
    elif isinstance(node, IsNull):
        out += walk(node.operand)
    elif isinstance(node, Len):
        out.append(node.path)
    return out


@pytest.mark.parametrize(("name", "extended"), CASES)
def test_generated_expressions_validate_and_round_trip(name: str, extended: bool) -> None:
    schema = SCHEMAS[name]

    @settings(max_examples=40)
    @given(expressions_for(schema, extended))
    def check(expr: object) -> None:
        text = expr.to_where(extended=True)  # type: ignore[attr-defined]
        # the generated tree is what the parser builds for its text
        assert parse(text, extended=extended) == expr
        typed = validate(expr, schema)  # type: ignore[arg-type]
        # typed through text, or directly: the same tree, printing the same text
        assert parse(text, extended=extended, schema=schema) == typed
        assert typed.to_where(extended=True) == text
        nodes = walk(typed)
        assert not any(isinstance(n, Path) for n in nodes)
        for node in nodes:
            if isinstance(node, Attr):
                reached = schema
                for hop in node.hops:
                    related = reached.related(hop)
                    assert related is not None
                    reached = related
                assert reached.attributes[node.name].filterable
            if isinstance(node, Literal) and isinstance(node.value, (UUID, datetime)):
                assert node.text is not None
            if isinstance(node, Literal) and isinstance(node.value, datetime):
                assert node.value.tzinfo is not None

    check()


@settings(max_examples=60)
@given(expressions_for(EVERY_KIND, extended=True))
def test_every_kind_is_reachable(expr: object) -> None:
    # smoke-free: the hidden attribute never appears, json only under IS NULL
    for node in walk(expr):
        if isinstance(node, Path):
            assert node.segments[0] != "hidden"
    for node in walk(expr):
        if isinstance(node, Compare) and isinstance(node.left, Path) and node.left.segments == ("j",):
            raise AssertionError("json attribute compared")


def test_strategy_covers_every_kind() -> None:
    seen: set[object] = set()

    @settings(max_examples=600, derandomize=True, database=None)
    @given(expressions_for(EVERY_KIND, extended=True))
    def collect(expr: object) -> None:
        typed = validate(expr, EVERY_KIND)  # type: ignore[arg-type]
        for node in walk(typed):
            if isinstance(node, Attr):
                seen.add(node.type.kind)
            if isinstance(node, Literal):
                seen.add(type(node.value))
            if isinstance(node, Compare):
                seen.add(node.op)
            if isinstance(node, Len):
                seen.add("LEN")

    collect()
    assert set(Kind) <= seen
    assert {UUID, datetime, Decimal, bool, int, str, "LEN"} <= seen


def test_schema_without_filterable_attributes_is_refused() -> None:
    empty = Schema("Nothing", [Attribute("x", Type(Kind.STRING), filterable=False)])
    with pytest.raises(ValueError, match="no filterable attribute"):
        expressions_for(empty).example()


@settings(max_examples=30)
@given(st.data())
def test_hops_reach_related_entities(data: st.DataObject) -> None:
    unit = confighub.schema("Unit")
    expr = data.draw(expressions_for(unit, extended=True))
    typed = validate(expr, unit)
    for node in walk(typed):
        if isinstance(node, Attr) and node.hops:
            assert unit.relations[node.hops[0]].many is False


# --- any parsed expression: a typed tree or a WhereValidationError, nothing else -----


@settings(max_examples=150)
@given(st.data())
def test_any_expression_validates_or_fails_cleanly(data: st.DataObject) -> None:
    from wherelang import WhereValidationError
    from wherelang.strategies import expressions

    extended = data.draw(st.booleans())
    schema = data.draw(st.sampled_from([SCHEMAS["Unit"], SCHEMAS["Every"], SCHEMAS["C1"]]))
    text = data.draw(expressions(extended)).to_where(extended=True)
    try:
        typed = parse(text, extended=extended, schema=schema)
    except WhereValidationError as err:
        assert err.code in {
            "unknown-attribute", "not-filterable", "bad-path", "key-too-long",
            "operator-not-allowed", "bad-literal", "type-mismatch", "bad-regex",
            "bad-like-pattern", "no-attribute",
            # ConfigHub's rules on catalog schemas (REFERENCE.md §2, §4, §6, §9)
            "bad-key", "list-reference", "bad-json-path", "bad-operand", "bad-name",
        }  # fmt: skip
        assert err.position is not None and 0 <= err.position < len(text)
        assert err.position + err.length <= len(text)
        assert err.text == text and err.hint != ""
    else:
        assert typed.to_where(extended=True) == text


def test_path_cache_stays_bounded() -> None:
    from wherelang.validate import _PATH_CACHE

    schema = Schema("Big", [Attribute("Labels", Type(Kind.MAP, values=Type(Kind.STRING)))])
    for i in range(_PATH_CACHE + 10):
        parse(f"Labels.k{i} = 'x'", schema=schema, cache=False)
    assert len(schema._paths) <= _PATH_CACHE
