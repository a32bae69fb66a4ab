"""The builder makes exactly the trees the parser makes."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable
from uuid import UUID

import pytest
from hypothesis import assume, given, settings

from wherelang import WhereError, attr, confighub, parse
from wherelang.builder import (
    Attrs,
    Ref,
    and_,
    is_false,
    is_not_false,
    is_not_true,
    is_true,
    literal,
    not_,
    or_,
)
from wherelang.nodes import (
    And,
    Compare,
    Expr,
    Family,
    In,
    IsNull,
    Len,
    Literal,
    Not,
    Op,
    Operand,
    Or,
    Path,
    Truth,
)
from wherelang.strategies import expressions

UUID_TEXT = "7c61626f-ddbe-41af-93f6-b69f4ab6d308"

CASES: list[tuple[Callable[[], Expr], str]] = [
    (lambda: attr.Slug == "test", "Slug = 'test'"),
    (lambda: attr.Slug != "test", "Slug != 'test'"),
    (lambda: attr.HeadRevisionNum > attr.LiveRevisionNum, "HeadRevisionNum > LiveRevisionNum"),
    (lambda: attr.CreatedAt >= "2025-01-07", "CreatedAt >= '2025-01-07'"),
    (lambda: attr.Version < 3, "Version < 3"),
    (lambda: attr.Version <= -3, "Version <= -3"),
    (lambda: attr.Score > 0.75, "Score > 0.75"),
    (lambda: attr.Score > Decimal("1.50"), "Score > 1.50"),
    (lambda: attr.Disabled == True, "Disabled = true"),  # noqa: E712
    (lambda: attr.Slug.like("app-%"), "Slug LIKE 'app-%'"),
    (lambda: attr.Slug.not_like("temp%"), "Slug NOT LIKE 'temp%'"),
    (lambda: attr.Slug.ilike("APP%"), "Slug ILIKE 'APP%'"),
    (lambda: attr.Slug.not_ilike("APP%"), "Slug NOT ILIKE 'APP%'"),
    (lambda: attr.Slug.regex("^app-[0-9]+$"), "Slug ~ '^app-[0-9]+$'"),
    (lambda: attr.Slug.iregex("^APP"), "Slug ~* '^APP'"),
    (lambda: attr.Slug.not_regex("x"), "Slug !~ 'x'"),
    (lambda: attr.Slug.not_iregex("x"), "Slug !~* 'x'"),
    (lambda: attr.ApprovedBy.has(UUID(UUID_TEXT)), f"ApprovedBy ? '{UUID_TEXT}'"),
    (lambda: attr.Labels.has("tier"), "Labels ? 'tier'"),
    (lambda: attr.ApprovedBy.len() > 0, "LEN(ApprovedBy) > 0"),
    (lambda: attr.Labels.len().isin([1, 2]), "LEN(Labels) IN (1, 2)"),
    (lambda: attr.Slug.isin(["slugone", "slugtwo"]), "Slug IN ('slugone', 'slugtwo')"),
    (lambda: attr.Labels.environment.not_in(("prod",)), "Labels.environment NOT IN ('prod')"),
    (lambda: attr.Labels["tier"].is_not_null(), "Labels.tier IS NOT NULL"),
    (lambda: attr.TargetID.is_null(), "TargetID IS NULL"),
    (lambda: attr.Space.Labels.Environment == "prod", "Space.Labels.Environment = 'prod'"),
    (lambda: attr.ApplyGates["complete/no-placeholders"] == False,  # noqa: E712
     "ApplyGates.complete/no-placeholders = false"),
    (lambda: attr.Annotations["cost-estimator.confighub.com/budget-status"] == "ok",
     "Annotations.'cost-estimator.confighub.com/budget-status' = 'ok'"),
    (lambda: attr.Labels["len"] == "x", "Labels.len = 'x'"),
    (lambda: attr.Slug == "it's", "Slug = 'it''s'"),
    (lambda: attr.UpdatedAt > datetime(2025, 2, 18, 23, 16, 34, tzinfo=timezone.utc),
     "UpdatedAt > '2025-02-18T23:16:34+00:00'"),
    (lambda: is_not_false(attr.MergeSourceID == UUID_TEXT),
     f"MergeSourceID = '{UUID_TEXT}' IS NOT FALSE"),
    (lambda: is_true(attr.Slug.isin(["a"])), "Slug IN ('a') IS TRUE"),
    (lambda: is_false(attr.Slug.is_null()), "Slug IS NULL IS FALSE"),
    (lambda: is_not_true(attr.Slug == "a"), "Slug = 'a' IS NOT TRUE"),
    (lambda: (attr.Slug == "a") & (attr.Slug == "b") & (attr.Slug == "c"),
     "Slug = 'a' AND Slug = 'b' AND Slug = 'c'"),
    (lambda: ((attr.Slug == "a") | (attr.Slug == "b")) & (attr.Version > 1),
     "(Slug = 'a' OR Slug = 'b') AND Version > 1"),
    (lambda: (attr.Slug == "a") | ((attr.Slug == "b") & (attr.Version > 1)),
     "Slug = 'a' OR Slug = 'b' AND Version > 1"),
    (lambda: ~((attr.Slug == "a") | (attr.Slug == "b")), "NOT (Slug = 'a' OR Slug = 'b')"),
    (lambda: ~~(attr.Slug == "a"), "NOT NOT Slug = 'a'"),
    (lambda: and_(attr.Slug == "a", or_(attr.Slug == "b", not_(attr.Slug == "c"))),
     "Slug = 'a' AND (Slug = 'b' OR NOT Slug = 'c')"),
]  # fmt: skip


@pytest.mark.parametrize("build, text", CASES, ids=[text for _, text in CASES])
def test_builder_prints_and_equals_parse(build: Callable[[], Expr], text: str) -> None:
    expr = build()
    assert expr.to_where(extended=True) == text
    assert expr == parse(text, extended=True)


# One builder spelling per operator; the test below checks the table covers every Op.
OP_METHODS: dict[Op, str] = {
    Op.EQ: "eq",
    Op.NE: "ne",
    Op.LT: "lt",
    Op.GT: "gt",
    Op.LE: "le",
    Op.GE: "ge",
    Op.LIKE: "like",
    Op.NOT_LIKE: "not_like",
    Op.ILIKE: "ilike",
    Op.NOT_ILIKE: "not_ilike",
    Op.REGEX: "regex",
    Op.IREGEX: "iregex",
    Op.NOT_REGEX: "not_regex",
    Op.NOT_IREGEX: "not_iregex",
    Op.HAS: "has",
}


def test_every_operator_has_a_builder_method() -> None:
    assert set(OP_METHODS) == set(Op)
    for op, method in OP_METHODS.items():
        expr = getattr(attr.Slug, method)("x")
        assert isinstance(expr, Compare) and expr.op is op


def _ref(path: Path) -> Ref:
    ref = attr[path.segments[0]]
    for segment in path.segments[1:]:
        ref = ref[segment]
    return ref


def _value(node: Operand) -> Any:
    if isinstance(node, Path):
        return _ref(node)
    if isinstance(node, Len):
        assert isinstance(node.path, Path)
        return _ref(node.path).len()
    assert isinstance(node, Literal)
    return node.value


def rebuild(expr: Expr) -> Expr:
    """Spell a parsed tree with the builder (what a user would write by hand)."""
    if isinstance(expr, And):
        out = rebuild(expr.items[0])
        for item in expr.items[1:]:
            out = out & rebuild(item)
        return out
    if isinstance(expr, Or):
        out = rebuild(expr.items[0])
        for item in expr.items[1:]:
            out = out | rebuild(item)
        return out
    if isinstance(expr, Not):
        return ~rebuild(expr.expr)
    if isinstance(expr, Truth):
        inner = rebuild(expr.expr)
        wrap = {
            (True, False): is_true,
            (False, False): is_false,
            (True, True): is_not_true,
            (False, True): is_not_false,
        }[(expr.value, expr.negated)]
        return wrap(inner)
    if isinstance(expr, IsNull):
        subject = _value(expr.operand)
        return subject.is_not_null() if expr.negated else subject.is_null()
    if isinstance(expr, In):
        subject = _value(expr.operand)
        values = [v.value for v in expr.values]
        return subject.not_in(values) if expr.negated else subject.isin(values)
    assert isinstance(expr, Compare)
    subject = _value(expr.left)
    method: Callable[[Any], Expr] = getattr(subject, OP_METHODS[expr.op])
    return method(_value(expr.right))


def _unspellable(expr: Expr) -> bool:
    """Whether some condition has a literal where the builder needs a path, or applies
    a string or container operator to LEN (which the builder offers as an int only)."""
    if isinstance(expr, (And, Or)):
        return any(_unspellable(item) for item in expr.items)
    if isinstance(expr, Not):
        return _unspellable(expr.expr)
    if isinstance(expr, Truth):
        return _unspellable(expr.expr)
    if isinstance(expr, Compare):
        int_ops = (Family.EQUALITY, Family.ORDER)
        return isinstance(expr.left, Literal) or (
            isinstance(expr.left, Len) and expr.op.family not in int_ops
        )
    return isinstance(expr.operand, Literal)


@settings(max_examples=150)
@given(expressions(extended=True))
def test_builder_can_spell_every_extended_tree(expr: Expr) -> None:
    assume(not _unspellable(expr))
    built = rebuild(expr)
    assert built == expr
    assert built.to_where(extended=True) == expr.to_where(extended=True)


@settings(max_examples=100)
@given(expressions(extended=False))
def test_builder_can_spell_every_strict_tree(expr: Expr) -> None:
    assume(not _unspellable(expr))
    assert parse(rebuild(expr).to_where(extended=True)) == expr


# --- bound to a schema -------------------------------------------------------------

UNIT = confighub.schema("Unit")
units = Attrs(UNIT)

TYPED_CASES: list[tuple[Callable[[], Expr], str]] = [
    (lambda: (units.CreatedAt >= "2025-01-07") & (units.Slug == "test")
     & (units.Labels.mykey == "myvalue"),
     "CreatedAt >= '2025-01-07' AND Slug = 'test' AND Labels.mykey = 'myvalue'"),
    (lambda: units.FromLinkID.has(UUID_TEXT.upper()), f"FromLinkID ? '{UUID_TEXT.upper()}'"),
    (lambda: units.FromLinkID.len() > 0, "LEN(FromLinkID) > 0"),
    (lambda: units.Space.Labels.Environment.isin(["prod", "staging"]),
     "Space.Labels.Environment IN ('prod', 'staging')"),
    (lambda: units.HeadRevisionNum > units.LastReleasedRevisionNum, "HeadRevisionNum > LastReleasedRevisionNum"),
    (lambda: units.SpaceID == UUID(UUID_TEXT), f"SpaceID = '{UUID_TEXT}'"),
]  # fmt: skip


@pytest.mark.parametrize("build, text", TYPED_CASES, ids=[t for _, t in TYPED_CASES])
def test_bound_builder_returns_the_typed_tree(build: Callable[[], Expr], text: str) -> None:
    expr = build()
    assert expr == parse(text, schema=UNIT)
    assert expr.to_where(extended=True) == text


def test_bound_builder_converts_literals() -> None:
    expr = units.FromLinkID.has(UUID_TEXT.upper())
    assert isinstance(expr, Compare) and isinstance(expr.right, Literal)
    assert expr.right.value == UUID(UUID_TEXT)
    when = units.UpdatedAt > "2025-02-18T23:16:34"
    assert isinstance(when, Compare) and isinstance(when.right, Literal)
    assert when.right.value == datetime(2025, 2, 18, 23, 16, 34, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "build, code, position",
    [
        (lambda: units.Slgu == "x", "unknown-attribute", 0),
        (lambda: units.SpaceID == "old-space-id", "bad-literal", 10),
        (lambda: units.CreatedAt > "yesterday", "bad-literal", 12),
        (lambda: units.Slug.len() > 0, "operator-not-allowed", None),
        (lambda: units.HeadRevisionNum > units.Slug, "type-mismatch", None),
        (lambda: units.Slug.regex("(unclosed"), "bad-regex", 7),
        (lambda: units.Labels.has(1), "bad-literal", None),
    ],
)
def test_bound_builder_rejects_what_validation_rejects(
    build: Callable[[], Expr], code: str, position: int | None
) -> None:
    with pytest.raises(WhereError) as info:
        build()
    assert info.value.code == code
    if position is not None:
        assert info.value.position == position
    # The caret points into the printed condition.
    assert info.value.text is not None and "^" in str(info.value)


# --- misuse gets a clear error ---------------------------------------------------------


def test_and_or_not_refuse_what_is_not_an_expression() -> None:
    with pytest.raises(TypeError):
        (attr.Slug == "a") & attr.Slug  # type: ignore[operator]
    with pytest.raises(TypeError):
        (attr.Slug == "a") & 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        and_()
    with pytest.raises(TypeError):
        or_(attr.Slug)
    with pytest.raises(TypeError):
        not_(Path(("Slug",)))
    with pytest.raises(TypeError):
        is_true((attr.Slug == "a") & (attr.Slug == "b"))


def test_in_lists() -> None:
    with pytest.raises(WhereError) as info:
        attr.Slug.isin([])
    assert info.value.code == "empty-in-list"
    with pytest.raises(TypeError):
        attr.Slug.isin("abc")
    # Any iterable, consumed once.
    assert attr.Slug.isin(iter(["a", "b"])) == parse("Slug IN ('a', 'b')")


def test_literals() -> None:
    assert literal(2.0) == Literal(2)
    assert literal(-0.25) == Literal(Decimal("-0.25"))
    assert literal(True) != literal(1)
    assert literal(UUID(UUID_TEXT)) == Literal(UUID_TEXT)
    for bad in (math.nan, math.inf, Decimal("NaN")):
        with pytest.raises(ValueError):
            literal(bad)
    with pytest.raises(TypeError):
        literal([1])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        attr.Slug == None  # noqa: E711  (use is_null)


def test_names_and_segments() -> None:
    with pytest.raises(WhereError) as info:
        attr["1st"]
    assert info.value.code == "bad-attribute-name"
    with pytest.raises(TypeError):
        attr.Labels[1]  # type: ignore[index]
    assert str(attr.Labels[""] == "x") == "Labels.'' = 'x'"
    with pytest.raises(AttributeError):
        attr._private
    assert attr["Slug"].path == attr.Slug.path == Path(("Slug",))
    assert repr(attr.Space.Labels["a.b"]) == "<attr Space.Labels.'a.b'>"


def test_refs_are_not_hashable_and_do_not_mean_truth() -> None:
    # A comparison builds a node, so refs cannot be dict keys by accident.
    with pytest.raises(TypeError):
        hash(attr.Slug)
    assert isinstance(attr.Slug == attr.Slug, Compare)


def test_a_comparison_without_parentheses_gets_a_hint() -> None:
    # Python reads this as (... & attr.ApprovedBy.len()) > 0.
    with pytest.raises(TypeError, match=r"put the comparison in parentheses"):
        attr.Slug.like("app-%") & attr.ApprovedBy.len() > 0  # type: ignore[operator]
    for misuse in (lambda: ~attr.Slug, lambda: (attr.Slug == "a") | attr.Slug,
                   lambda: attr.Slug & (attr.Slug == "a")):  # fmt: skip
        with pytest.raises(TypeError, match="is not a condition"):
            misuse()
