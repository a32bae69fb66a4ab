"""Properties of the syntax, on generated input (hypothesis).

- valid text round-trips through the canonical form, which is a fixed point;
- the query encoding round-trips;
- any text at all gives a tree or a WhereError, never another exception, and the
  error's span lies inside the input.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wherelang import (
    And,
    Compare,
    Expr,
    In,
    IsNull,
    Len,
    Limits,
    Literal,
    Not,
    Op,
    Or,
    Path,
    Truth,
    WhereError,
    decode_query,
    encode_query,
    parse,
)
from wherelang.nodes import Node
from wherelang.strategies import expressions, where_texts


def examples(count: int, **options: object) -> settings:
    """Explicit counts, so that the total per run is known: about 3,200 examples."""
    return settings(
        max_examples=count, deadline=None, suppress_health_check=list(HealthCheck), **options
    )


# Tests that check what the strategies cover see the same examples on every run.
FIXED = {"derandomize": True, "database": None}


LEVELS = [False, True]

# Texts and trees of either level, with the level (built once: flatmap would rebuild).
LEVEL_TEXTS = st.one_of(
    where_texts().map(lambda text: (False, text)),
    where_texts(extended=True).map(lambda text: (True, text)),
)
LEVEL_TREES = st.one_of(expressions(), expressions(extended=True))


def nodes(node: Node) -> Iterator[Node]:
    yield node
    children: tuple[Node, ...] = ()
    if isinstance(node, (And, Or)):
        children = node.items
    elif isinstance(node, (Not, Truth)):
        children = (node.expr,)
    elif isinstance(node, Compare):
        children = (node.left, node.right)
    elif isinstance(node, In):
        children = (node.operand, *node.values)
    elif isinstance(node, IsNull):
        children = (node.operand,)
    elif isinstance(node, Len):
        children = (node.path,)
    for child in children:
        yield from nodes(child)


# --- valid text ----------------------------------------------------------------------


def check_round_trip(text: str, extended: bool) -> Expr:
    expr = parse(text, extended=extended, cache=False)
    canonical = expr.to_where(extended=True)
    again = parse(canonical, extended=extended, cache=False)
    assert again == expr
    assert again.to_where(extended=True) == canonical
    return expr


@examples(250)
@given(where_texts())
def test_strict_text_round_trips(text: str) -> None:
    check_round_trip(text, extended=False)


def test_extended_text_round_trips_in_every_spelling() -> None:
    texts: list[str] = []

    @examples(250, **FIXED)
    @given(where_texts(extended=True))
    def round_trip(text: str) -> None:
        expr = check_round_trip(text, extended=True)
        texts.append(text)
        if text.count("(") > expr.to_where(extended=True).count("("):
            texts.append("<redundant parentheses>")

    round_trip()
    written = " ".join(texts)
    for spelling in ["\n", "\t", "and", "And", ".'", "<redundant parentheses>"]:
        assert spelling in written, spelling


@pytest.mark.parametrize("extended", LEVELS)
def test_texts_spell_each_operator_every_way_of_the_level(extended: bool) -> None:
    """The writer behind where_texts, over fixed seeds: every spelling of every operator."""
    import random

    from wherelang.strategies import _Writer

    wanted = {("NE", "<>"), ("LIKE", "~~"), ("NOT_LIKE", "!~~"), ("ILIKE", "~~*"),
              ("NOT_ILIKE", "!~~*")} | {(op.name, op.text) for op in Op}  # fmt: skip
    if not extended:
        wanted = {(name, text) for name, text in wanted
                  if Op[name].strict and text not in ("<>", "~~*", "!~~*")}  # fmt: skip
    seen = set()
    for op in Op:
        if not (extended or op.strict):
            continue
        for seed in range(40):
            writer = _Writer(random.Random(seed), extended)
            writer.op(op)
            seen.add((op.name, " ".join(writer.tokens).upper()))
    assert wanted <= seen, wanted - seen
    assert {text for _, text in seen} <= {text for _, text in wanted}


@examples(100)
@given(where_texts())
def test_strict_text_means_the_same_at_the_extended_level(text: str) -> None:
    assert parse(text, cache=False) == parse(text, extended=True, cache=False)


@examples(100)
@given(LEVEL_TEXTS)
def test_spans_lie_inside_the_input_and_cover_their_text(case: tuple[bool, str]) -> None:
    extended, text = case
    expr = parse(text, extended=extended, cache=False)
    for node in nodes(expr):
        offset, length = node.span
        assert 0 <= offset and offset + length <= len(text)
        written = text[offset : offset + length]
        assert written == written.strip() and written
        if isinstance(node, Literal):
            assert parse(f"x = {written}", extended=True).right == node  # type: ignore[union-attr]
        elif isinstance(node, Path):
            assert parse(f"{written} IS NULL", extended=True) == IsNull(node)


def kinds(expr: Expr) -> set[object]:
    """What a tree holds: node classes, operators, literal types, negations, keys."""
    found: set[object] = set()
    for node in nodes(expr):
        found.add(type(node))
        if isinstance(node, Compare):
            found.add(node.op)
        elif isinstance(node, Literal):
            found.add(type(node.value))
        elif isinstance(node, (In, IsNull)) and node.negated:
            found.add((type(node), "negated"))
        elif isinstance(node, Path) and len(node.segments) > 1:
            found.add("key")
    return found


@pytest.mark.parametrize("extended", LEVELS)
def test_trees_print_and_parse_back_and_cover_every_construct(extended: bool) -> None:
    seen: set[object] = set()

    @examples(600, **FIXED)
    @given(expressions(extended))
    def round_trip(expr: Expr) -> None:
        assert parse(expr.to_where(extended=extended), extended=extended, cache=False) == expr
        seen.update(kinds(expr))

    round_trip()
    wanted: set[object] = {Compare, In, IsNull, Truth, Len, Path, Literal, str, int, bool,
                           (In, "negated"), (IsNull, "negated"), "key", And}  # fmt: skip
    wanted |= {op for op in Op if extended or op.strict}
    if extended:
        wanted |= {Not, Or, Decimal}
    else:
        assert not seen & {Not, Or, Decimal}
    assert wanted <= seen, wanted - seen


@examples(150)
@given(LEVEL_TREES)
def test_query_encoding_round_trips(expr: Expr) -> None:
    query = expr.to_query(extended=True)
    assert all(c.isascii() and c.isprintable() and c not in " +&=#?" for c in query)
    assert decode_query(query) == expr.to_where(extended=True)
    assert encode_query(decode_query(query)) == query
    # A form with + for spaces decodes to the same text.
    assert decode_query(query.replace("%20", "+")) == expr.to_where(extended=True)


def levels(node: Node) -> int:
    """Levels of AND, OR and NOT inside one another (what Limits.max_depth bounds)."""
    if isinstance(node, (And, Or)):
        return 1 + max(levels(item) for item in node.items)
    if isinstance(node, Not):
        return 1 + levels(node.expr)
    return 0


def longest_in(node: Node) -> int:
    return max((len(n.values) for n in nodes(node) if isinstance(n, In)), default=0)


@examples(200)
@given(expressions(extended=True), st.integers(-1, 1), st.integers(-1, 1))
def test_depth_and_in_limits_hold_exactly(expr: Expr, depth_slack: int, in_slack: int) -> None:
    # Limits just below, at or above what the tree needs.
    depth = max(1, levels(expr) + depth_slack)
    in_list = max(1, longest_in(expr) + in_slack)
    limits = Limits(max_depth=depth, max_in_list=in_list)
    too_deep = levels(expr) > depth
    too_long = longest_in(expr) > in_list
    try:
        parse(expr.to_where(extended=True), extended=True, limits=limits, cache=False)
    except WhereError as err:
        assert err.code == "limit-exceeded"
        assert too_deep or too_long
    else:
        assert not (too_deep or too_long)


# --- any text ---------------------------------------------------------------------------


def check_any(text: str, extended: bool, limits: Limits | None = None) -> None:
    try:
        expr = parse(text, extended=extended, limits=limits, cache=False)
    except WhereError as err:
        assert err.code and err.message
        assert err.position is not None
        assert 0 <= err.position <= len(text)
        assert err.length >= 1
        assert err.position + err.length <= len(text) + 1
        str(err)  # the caret display never fails
        assert err.to_response()["Code"] == "400"
    else:
        assert isinstance(expr, Node)
        assert parse(expr.to_where(extended=True), extended=extended, limits=limits) == expr


# Every character, control characters and lone surrogates included.
ANY_CHAR = st.characters(exclude_characters="")

# The language's own tokens, and some that only look like them.
TOKENS = st.one_of(
    st.sampled_from(
        ["AND", "and", "Or", "OR", "NOT", "not", "IN", "is", "IS", "NULL", "null", "TRUE",
         "false", "LIKE", "ilike", "LEN", "=", "!=", "<>", "<", ">", "<=", ">=", "~~", "!~~",
         "~~*", "!~~*", "~", "~*", "!~", "!~*", "?", "(", ")", ",", "'", "''", "'x'", "'a''b'",
         "Slug", "Labels.tier", "Labels.'a.b'", "Labels.", ".", "a.b/c-d", "0", "-1", "1.5", "-",
         "==", "!", "*", '"', "\\", "&&", "||", "\t", "\n", " ", "\x00", "é", "\ud800"]
    ),  # fmt: skip
    st.text("abcXYZ_019.-/", min_size=1, max_size=10),
    st.integers(-(10**12), 10**12).map(str),
    st.decimals(places=2, allow_nan=False, allow_infinity=False).map(str),
    st.text(ANY_CHAR, max_size=6).map(lambda s: "'" + s.replace("'", "''") + "'"),
)


def soup(max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.tuples(TOKENS, st.sampled_from(["", " ", "  ", "\n"])), max_size=max_size).map(
        lambda parts: "".join(token + space for token, space in parts)
    )


@examples(1000)
@given(st.text(ANY_CHAR), st.sampled_from(LEVELS))
def test_any_text_gives_a_tree_or_a_where_error(text: str, extended: bool) -> None:
    check_any(text, extended)


@examples(600)
@given(soup(30), st.sampled_from(LEVELS))
def test_token_soup_gives_a_tree_or_a_where_error(text: str, extended: bool) -> None:
    check_any(text, extended)


@examples(150)
@given(
    LEVEL_TEXTS,
    st.integers(0, 10_000),
    st.integers(0, 4),
    st.text(ANY_CHAR, max_size=3),
)
def test_damaged_valid_text_gives_a_tree_or_a_where_error(
    case: tuple[bool, str], at: int, cut: int, insert: str
) -> None:
    extended, text = case
    at %= len(text) + 1
    check_any(text[:at] + insert + text[at + cut :], extended)


@examples(30)
@given(soup(100).map(lambda s: s * 40), st.sampled_from(LEVELS))
def test_long_input_gives_a_tree_or_a_where_error(text: str, extended: bool) -> None:
    check_any(text, extended)
    check_any(text, extended, limits=Limits(max_depth=4, max_in_list=3))


@examples(30)
@given(
    st.builds(lambda part, size: (part * size)[:size], st.text(ANY_CHAR, min_size=1, max_size=300),
              st.integers(4000, 140_000)),
    st.sampled_from(LEVELS),
)  # fmt: skip
def test_long_random_text_gives_a_tree_or_a_where_error(text: str, extended: bool) -> None:
    check_any(text, extended)

