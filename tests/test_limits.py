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


# --- trees built in code, nested past what parse() allows ------------------------------------

from wherelang.errors import WhereEvaluationError, WhereSqlError, WhereSyntaxError, WhereValidationError  # noqa: E402
from wherelang.nodes import And, Not, Or  # noqa: E402
from wherelang.schema import Attribute, Schema, Type  # noqa: E402

_DEEP_SCHEMA = Schema("Deep", [Attribute("N", Type.of("int")), Attribute("F", Type.of("float"))])


def _chain(kinds: list[str]) -> Any:
    """A typed tree nesting one And/Or/Not per entry of ``kinds``, innermost first."""
    leaf = wherelang.parse("N = 1", schema=_DEEP_SCHEMA)
    expr = leaf
    for kind in kinds:
        expr = Not(expr) if kind == "not" else (And if kind == "and" else Or)((expr, leaf))
    return expr


#: each public destination of a tree, and the WhereError class it raises
def _where_clause(*args: Any, **kwargs: Any) -> Any:
    from wherelang.sqlalchemy import where_clause

    return where_clause(*args, **kwargs)


def _deep_table() -> Any:
    import sqlalchemy as sa

    return sa.Table("wl_deep", sa.MetaData(), sa.Column("N", sa.Integer), sa.Column("F", sa.Float))


_DEEP_TABLE = _deep_table()

_DESTINATIONS: dict[str, tuple[Callable[[Any], Any], type[WhereError]]] = {
    "validate": (lambda e: wherelang.validate(e, _DEEP_SCHEMA), WhereValidationError),
    "to_sql": (lambda e: to_sql(e), WhereSqlError),
    "to_sql uncached sqlite": (lambda e: to_sql(e, dialect="sqlite", cache=False), WhereSqlError),
    "to_sqlglot": (lambda e: to_sqlglot(e, dialect="duckdb"), WhereSqlError),
    "to_where": (lambda e: e.to_where(extended=True), WhereSyntaxError),
    "str": (str, WhereSyntaxError),
    "ListQuery": (lambda e: wherelang.ListQuery(schema=_DEEP_SCHEMA, where=e), WhereError),
    "compile": (lambda e: wherelang.compile(e, _DEEP_SCHEMA), WhereEvaluationError),
    "filter": (lambda e: list(wherelang.filter([{"N": 1}], e, _DEEP_SCHEMA)), WhereEvaluationError),
    "where_clause": (lambda e: _where_clause(e, _DEEP_TABLE, schema=_DEEP_SCHEMA), WhereSqlError),
}


def _refused(name: str, expr: Any) -> WhereError:
    fn, cls = _DESTINATIONS[name]
    with pytest.raises(WhereError) as info:  # never a RecursionError
        fn(expr)
    err = info.value
    assert isinstance(err, cls), (name, type(err))
    assert err.code == "limit-exceeded" and "nests too deeply" in err.message
    assert err.hint and "Limits.max_depth" in err.hint
    return err


@pytest.mark.parametrize("kind", ["and", "or", "not"])
@pytest.mark.parametrize("name", list(_DESTINATIONS))
def test_a_1000_deep_code_built_tree_is_a_limit_error(name: str, kind: str) -> None:
    err = _refused(name, _chain([kind] * 1000))
    if name == "ListQuery":
        assert err.parameter == "where"


@settings(max_examples=5, deadline=None)
@given(st.lists(st.sampled_from(["and", "or", "not"]), min_size=1000, max_size=1200),
       st.sampled_from(list(_DESTINATIONS)))  # fmt: skip
def test_any_deep_and_or_not_chain_is_an_answer_or_a_limit_error(kinds: list[str], name: str) -> None:
    """Mixed chains: a destination that copes with the nesting answers; one that
    cannot raises the limit error - never a RecursionError."""
    fn, cls = _DESTINATIONS[name]
    try:
        fn(_chain(kinds))
    except WhereError as err:
        assert isinstance(err, cls) and err.code == "limit-exceeded", (name, err)


def test_a_tree_within_reach_still_compiles() -> None:
    """The translation is of RecursionError only: a code-built tree nested 50 deep (past
    nothing) is checked, compiled and printed as before."""
    expr = _chain(["not", "and", "or"] * 17)
    assert wherelang.validate(expr, _DEEP_SCHEMA) == expr
    assert to_sql(expr, dialect="sqlite").sql.count("NOT") == 17
    assert wherelang.ListQuery(schema=_DEEP_SCHEMA, where=expr).where == expr


def test_a_float_attribute_past_float8_is_a_bad_value_in_row() -> None:
    from wherelang.errors import WhereEvaluationError
    from wherelang.sql import row

    with pytest.raises(WhereEvaluationError) as info:
        row(_DEEP_SCHEMA, {"N": 1, "F": 10**400}, "postgres", index=3)
    assert info.value.code == "bad-value" and "entity #3" in info.value.message
    assert "F should be float" in info.value.message and "1.8e308" in (info.value.hint or "")
    assert row(_DEEP_SCHEMA, {"N": 1, "F": 10**300}, "sqlite") == (1, 1e300)
