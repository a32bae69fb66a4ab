"""Every limit a server can set is one every stage survives (issue 10, item 12).

With each limit of :class:`wherelang.Limits` at its ceiling (``MAX_LIMITS``), texts that
reach that limit go through parse, validate, compile, to_sql (every engine), to_sqlglot
and to_where: each stage either succeeds or raises a WhereError, never RecursionError,
SyntaxError, MemoryError or ValueError from int(). The stages run under 150 extra stack
frames, as inside a web framework.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wherelang
from wherelang import Limits, WhereError, confighub
from wherelang.parser import MAX_LIMITS, _CEILINGS
from wherelang.sql import ENGINES, to_sql, to_sqlglot

UNIT = confighub.schema("Unit")


def _under_frames(depth: int, fn: Callable[[], Any]) -> Any:
    return fn() if depth == 0 else _under_frames(depth - 1, fn)


def run_stages(text: str, limits: Limits = MAX_LIMITS) -> list[str]:
    """The stages that succeeded; raises anything that is not a WhereError."""

    def stages() -> list[str]:
        done: list[str] = []
        try:
            tree = wherelang.parse(text, extended=True, limits=limits, cache=False)
            done.append("parse")
            typed = wherelang.parse(text, extended=True, limits=limits, cache=False, schema=UNIT)
            done.append("validate")
            predicate = wherelang.compile(typed, UNIT)
            predicate({})
            done.append("compile")
            for engine in ENGINES:
                try:
                    to_sql(typed, dialect=engine)
                    to_sqlglot(typed, dialect=engine)
                    done.append(f"to_sql:{engine}")
                except WhereError:
                    pass  # a construct the engine cannot express: refused, named
            assert wherelang.parse(tree.to_where(extended=True), extended=True, limits=limits, cache=False) == tree
            done.append("to_where")
        except WhereError:
            pass
        return done

    return _under_frames(150, stages)  # type: ignore[no-any-return]


def _alternating(depth: int, first: str = "AND") -> str:
    """``a AND (b OR (c AND ...))``: ``depth`` levels of AND and OR."""
    other = {"AND": "OR", "OR": "AND"}
    text = "Slug = 'z'"
    op = first if depth % 2 else other[first]
    for level in range(depth):
        inner = text if level == 0 else f"({text})"
        text = f"HeadRevisionNum = {level} {op} {inner}"
        op = other[op]
    return text


DEPTH = MAX_LIMITS.max_depth
DEEP = {
    "alternating": _alternating(DEPTH),
    "alternating-or": _alternating(DEPTH, "OR"),
    "not-chain": "NOT " * DEPTH + "Slug = 'b'",
    "not-groups": "NOT (" * DEPTH + "Slug = 'b' IS NOT TRUE" + ")" * DEPTH,
    "not-or": "NOT (Slug = 'a' OR " * (DEPTH // 2) + "Slug = 'b'" + ")" * (DEPTH // 2),
    "not-and": "NOT (Labels.a = 'a' AND " * (DEPTH // 2) + "Slug ~ 'b'" + ")" * (DEPTH // 2),
}


@pytest.mark.parametrize("shape", list(DEEP))
def test_nesting_at_the_ceiling_survives_every_stage(shape: str) -> None:
    done = run_stages(DEEP[shape])
    assert done[-1] == "to_where" and "to_sql:postgres" in done, done


@pytest.mark.parametrize("shape", list(DEEP))
def test_nesting_past_the_ceiling_is_refused(shape: str) -> None:
    text = DEEP[shape]
    deeper = f"NOT ({text})" if shape != "not-chain" else "NOT " + text
    with pytest.raises(WhereError) as info:
        wherelang.parse(deeper, extended=True, limits=MAX_LIMITS, cache=False)
    assert info.value.code == "limit-exceeded" and info.value.hint


def _values(count: int) -> str:
    return ", ".join(str(i) for i in range(count))


WIDE = {
    "in-list": f"HeadRevisionNum IN ({_values(MAX_LIMITS.max_in_list)})",
    "digits": "HeadRevisionNum = " + "9" * MAX_LIMITS.max_digits,
    "digits-float": "Score < -" + "9" * MAX_LIMITS.max_digits + " AND Score IN (1, " + "8" * MAX_LIMITS.max_digits + ")",
    "name": "N" * MAX_LIMITS.max_name + " = 1",
    "key": "Labels.'" + "k" * MAX_LIMITS.max_key + "' = 'v'",
    "string": "Slug = '" + "s" * (MAX_LIMITS.max_length - 10) + "'",
    "length": "Slug IN (" + ", ".join(["'abcdefgh'"] * (MAX_LIMITS.max_length // 12 - 1)) + ")",
    "and-of-keys": " AND ".join(f"Labels.k{i} = 'v'" for i in range(4096)),
}  # fmt: skip


@pytest.mark.parametrize("shape", list(WIDE))
def test_each_limit_at_its_ceiling_survives_every_stage(shape: str) -> None:
    text = WIDE[shape]
    assert len(text) <= MAX_LIMITS.max_length
    done = run_stages(text)
    if shape == "key":  # the schema may cap keys (a WhereValidationError) or not
        assert done == ["parse"] or done[-1] == "to_where", done
    elif shape in ("name", "digits-float"):
        # no such attribute, a float past float8: refused
        assert done == ["parse"]
    elif shape == "length":
        assert done[:3] == ["parse", "validate", "compile"]  # more values than max_in_list
    else:
        assert done[-1] == "to_where", done


def test_limits_past_their_ceiling_are_refused() -> None:
    for name, ceiling in _CEILINGS.items():
        with pytest.raises(ValueError, match=name):
            Limits(**{name: ceiling + 1})
        with pytest.raises(ValueError, match=name):
            Limits(**{name: 0})
        assert getattr(Limits(**{name: ceiling}), name) == ceiling


# Random trees up to the ceiling of nesting, written as text.
_LEAVES = st.sampled_from([
    "Slug = 'a'", "HeadRevisionNum > 3", "Labels.tier IS NULL", "Slug ~* 'ᾀ'",
    "CreatedAt < '2025-01-07T00:00:00.0001265Z'", "HeadRevisionNum IN (9223372036854775808, 1)",
    "Slug ILIKE 'ß%'", "ApprovedBy ? '7c61626f-ddbe-41af-93f6-b69f4ab6d308'",
])  # fmt: skip


@st.composite
def deep_texts(draw: st.DrawFn) -> str:
    """A spine of AND, OR and NOT nodes near the ceiling of nesting (one child of each
    goes on down, the others are leaves), inside out."""
    text = draw(_LEAVES)
    for _ in range(draw(st.integers(DEPTH - 5, DEPTH + 2))):
        kind = draw(st.sampled_from(["AND", "OR", "NOT", "NOT-TRUTH"]))
        if kind.startswith("NOT"):
            text = f"NOT ({text})"
            continue
        items = [draw(_LEAVES) for _ in range(draw(st.integers(1, 2)))]
        items.insert(draw(st.integers(0, len(items))), f"({text})")
        text = f" {kind} ".join(items)
    return text


@settings(max_examples=25, deadline=None)
@given(deep_texts())
def test_random_deep_expressions_succeed_or_raise_where_error(text: str) -> None:
    run_stages(text)
