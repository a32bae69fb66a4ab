"""Hypothesis strategies for where expressions, public for property tests.

:func:`expressions` draws syntax trees in canonical shape (what :func:`wherelang.parse`
returns for their canonical text); :func:`where_texts` draws text that parses, written
the many ways a person may write it: odd white space, keywords in any case, the
alternative operator spellings, and (extended) redundant parentheses. Both respect the
chosen syntax level and its limits: a strict text never holds a negative number, a
decimal, or ``'`` ``"`` ``\\`` inside a string.

>>> from hypothesis import given
>>> from wherelang import parse
>>> from wherelang.strategies import expressions, where_texts
>>> @given(where_texts(extended=True))
... def test_round_trip(text):
...     expr = parse(text, extended=True)
...     assert parse(expr.to_where(), extended=True) == expr
>>> test_round_trip()
>>> @given(expressions())
... def test_canonical(expr):
...     assert parse(expr.to_where()) == expr
>>> test_canonical()
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

from hypothesis import strategies as st

from .nodes import (
    And,
    Compare,
    Expr,
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
from .parser import STRICT_LIMITS, Limits
from .text import format_path, quote_string

__all__ = ["expressions", "where_texts", "paths", "literals"]

_KEYWORDS = {"AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE", "LIKE", "ILIKE", "LEN"}

# Names as ConfigHub writes them, then any valid name.
_COMMON_NAMES = [
    "Slug", "CreatedAt", "Labels", "Annotations", "ApprovedBy", "Space", "SpaceID",
    "HeadRevisionNum", "LiveRevisionNum", "DisplayName", "ApplyGates", "createdAt", "snake_case",
]  # fmt: skip
_COMMON_KEYS = [
    "tier", "app", "kubernetes", "io/name", "complete/no-placeholders", "Environment", "a-b_c",
    "app.kubernetes.io/name", "cost-estimator.confighub.com/budget-status", "it's", "", " ",
]  # fmt: skip


def _limits(extended: bool) -> Limits:
    return Limits() if extended else STRICT_LIMITS


def paths(extended: bool = False) -> st.SearchStrategy[Path]:
    """Attribute paths: a name, then relation hops or map-key segments (some quoted)."""
    limits = _limits(extended)
    name = st.sampled_from(_COMMON_NAMES) | st.from_regex(
        rf"[A-Za-z][A-Za-z0-9_]{{0,{min(limits.max_name, 60) - 1}}}", fullmatch=True
    )
    key = st.sampled_from(_COMMON_KEYS) | st.from_regex(
        r"[A-Za-z0-9]([A-Za-z0-9._/-]{0,30}[A-Za-z0-9])?", fullmatch=True
    ) | st.text(max_size=min(limits.max_key, 40))  # fmt: skip
    return st.builds(
        lambda first, rest: Path((first, *rest)),
        name,
        st.lists(key, max_size=3),
    ).filter(lambda p: len(p.segments) > 1 or p.segments[0].upper() not in _KEYWORDS)


def literals(extended: bool = False) -> st.SearchStrategy[Literal]:
    """Literal values as the parser gives them: str, int, bool and (extended) Decimal."""
    limits = _limits(extended)
    if extended:
        text = st.text(max_size=60)
        ints = st.integers(-(10**12), 10**12) | st.integers(
            -(10**limits.max_digits - 1), 10**limits.max_digits - 1
        )
        decimals = st.decimals(
            allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9
        ).map(lambda d: d if d.as_tuple().exponent < 0 else d + Decimal("0.5"))
        values: st.SearchStrategy[object] = text | ints | st.booleans() | decimals
    else:
        text = st.text(st.characters(exclude_characters="'\"\\"), max_size=60) | st.text(
            st.characters(exclude_characters="'\"\\"), min_size=250, max_size=limits.max_string
        )
        ints = st.integers(0, 10**limits.max_digits - 1)
        values = text | ints | st.booleans()
    return values.map(lambda v: Literal(v))  # type: ignore[arg-type]


def _operands(extended: bool) -> st.SearchStrategy[Operand]:
    path = paths(extended)
    return st.one_of(path, path.map(lambda p: Len(p)), literals(extended))


def _predicates(extended: bool) -> st.SearchStrategy[Expr]:
    ops = [op for op in Op if extended or op.strict]
    operand = _operands(extended)
    compare = st.builds(Compare, operand, st.sampled_from(ops), operand)
    in_list = st.builds(
        In, operand, st.lists(literals(extended), min_size=1, max_size=5).map(tuple), st.booleans()
    )
    is_null = st.builds(IsNull, operand, st.booleans())
    comparison = st.one_of(compare, in_list, is_null)
    truth = st.builds(Truth, comparison, st.booleans(), st.booleans())
    return st.one_of(comparison, truth)


def _flat(kind: type[And] | type[Or], items: list[Expr]) -> Expr:
    out: list[Expr] = []
    for item in items:
        out.extend(item.items if isinstance(item, kind) else (item,))
    return kind(tuple(out))


def expressions(extended: bool = False) -> st.SearchStrategy[Expr]:
    """Syntax trees valid at the chosen level, in the shape the parser builds.

    Strict trees are a predicate or an AND of predicates; extended trees nest OR, AND
    and NOT (ANDs never directly inside ANDs, ORs never inside ORs).
    """
    predicate = _predicates(extended)
    limit = _limits(extended).max_length
    if not extended:
        tree = predicate | st.lists(predicate, min_size=2, max_size=6).map(
            lambda items: And(tuple(items))
        )
    else:

        def extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
            many = st.lists(children, min_size=2, max_size=4)
            return st.one_of(
                children.map(lambda e: Not(e)),
                many.map(lambda items: _flat(And, items)),
                many.map(lambda items: _flat(Or, items)),
            )

        tree = st.recursive(predicate, extend, max_leaves=12)
    return tree.filter(lambda e: len(e.to_where()) <= limit)


# --- writing a tree as text, the ways a person might ---------------------------

_SPACES = [" ", " ", " ", "  ", "\t", "\n", "\r\n", " \t "]
_WORD = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")

# Other spellings of an operator: (spelling, extended only).
_SPELLINGS: dict[Op, list[tuple[str, bool]]] = {
    Op.NE: [("<>", True)],
    Op.LIKE: [("~~", False)],
    Op.NOT_LIKE: [("!~~", False)],
    Op.ILIKE: [("~~*", True)],
    Op.NOT_ILIKE: [("!~~*", True)],
}

_OR_LEVEL, _AND_LEVEL, _NOT_LEVEL, _ATOM_LEVEL = 1, 2, 3, 4


class _Writer:
    def __init__(self, draw: Callable[[st.SearchStrategy[object]], object], extended: bool):
        self.draw = draw
        self.extended = extended
        self.tokens: list[str] = []

    def choice(self, options: list[str]) -> str:
        return str(self.draw(st.sampled_from(options)))

    def keyword(self, word: str) -> None:
        for part in word.split(" "):
            style = self.choice(["upper", "upper", "lower", "title", "mixed"])
            if style == "lower":
                part = part.lower()
            elif style == "title":
                part = part.title()
            elif style == "mixed":
                flips = self.draw(st.lists(st.booleans(), min_size=len(part), max_size=len(part)))
                part = "".join(c.lower() if f else c for c, f in zip(part, flips))  # type: ignore[call-overload]
            self.tokens.append(part)

    def path(self, node: Path) -> None:
        text = format_path(node.segments)
        if len(node.segments) > 1 and self.draw(st.booleans()):
            # Quote a key segment that needs no quotes: the same path.
            text = ".".join([node.segments[0], *(quote_string(s) for s in node.segments[1:])])
        self.tokens.append(text)

    def operand(self, node: Operand) -> None:
        if isinstance(node, Path):
            self.path(node)
        elif isinstance(node, Len):
            self.keyword("LEN")
            self.tokens.append("(")
            self.path(node.path)  # type: ignore[arg-type]
            self.tokens.append(")")
        else:
            self.literal(node)  # type: ignore[arg-type]

    def literal(self, node: Literal) -> None:
        if isinstance(node.value, bool):
            self.keyword("TRUE" if node.value else "FALSE")
        else:
            self.tokens.append(node.to_where())

    def op(self, op: Op) -> None:
        spellings = [op.text] + [s for s, ext in _SPELLINGS.get(op, []) if self.extended or not ext]
        spelled = self.choice(spellings)
        if spelled[0].isalpha():
            self.keyword(spelled)
        else:
            self.tokens.append(spelled)

    def expr(self, node: Expr, parent: int) -> None:
        level = (
            _OR_LEVEL
            if isinstance(node, Or)
            else _AND_LEVEL
            if isinstance(node, And)
            else _NOT_LEVEL
            if isinstance(node, Not)
            else _ATOM_LEVEL
        )
        wrap = level < parent or (self.extended and self.draw(st.integers(0, 9)) == 0)
        if wrap:
            self.tokens.append("(")
        if isinstance(node, (And, Or)):
            for i, item in enumerate(node.items):
                if i:
                    self.keyword("AND" if isinstance(node, And) else "OR")
                self.expr(item, level)
        elif isinstance(node, Not):
            self.keyword("NOT")
            self.expr(node.expr, _NOT_LEVEL)
        else:
            self.predicate(node)
        if wrap:
            self.tokens.append(")")

    def predicate(self, node: Expr) -> None:
        if isinstance(node, Truth):
            self.predicate(node.expr)
            self.keyword("IS NOT" if node.negated else "IS")
            self.keyword("TRUE" if node.value else "FALSE")
        elif isinstance(node, Compare):
            self.operand(node.left)
            self.op(node.op)
            self.operand(node.right)
        elif isinstance(node, In):
            self.operand(node.operand)
            self.keyword("NOT IN" if node.negated else "IN")
            self.tokens.append("(")
            for i, value in enumerate(node.values):
                if i:
                    self.tokens.append(",")
                self.literal(value)
            self.tokens.append(")")
        elif isinstance(node, IsNull):
            self.operand(node.operand)
            self.keyword("IS NOT NULL" if node.negated else "IS NULL")
        else:  # pragma: no cover - every predicate is handled above
            raise TypeError(node)

    def text(self) -> str:
        out = [self.choice(["", "", " ", "\n "])]
        previous = ""
        for token in self.tokens:
            # Two word characters, or two quotes, must not touch.
            must = bool(previous) and (
                (previous[-1] in _WORD and token[0] in _WORD)
                or (previous[-1] == "'" and token[0] == "'")
            )
            if previous:
                out.append(self.choice(_SPACES) if must else self.choice(["", *_SPACES]))
            out.append(token)
            previous = token
        out.append(self.choice(["", "", " ", "\t\n"]))
        return "".join(out)


def where_texts(extended: bool = False) -> st.SearchStrategy[str]:
    """Texts that parse at the chosen level, written with varied spacing and spelling."""
    limit = _limits(extended).max_length

    @st.composite
    def write(draw: st.DrawFn) -> str:
        writer = _Writer(draw, extended)  # type: ignore[arg-type]
        writer.expr(draw(expressions(extended)), _OR_LEVEL)
        return writer.text()

    return write().filter(lambda t: len(t) <= limit)
