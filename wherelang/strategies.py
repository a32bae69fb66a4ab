"""Hypothesis strategies for where expressions, public for property tests.

:func:`expressions` draws syntax trees in canonical shape (what :func:`wherelang.parse`
returns for their canonical text); :func:`where_texts` draws text that parses, written
the many ways a person may write it: odd white space, keywords in any case, the
alternative operator spellings, and (extended) redundant parentheses. Both respect the
chosen syntax level and its limits: a strict text never holds a negative number, a
decimal, or ``'`` ``"`` ``\\`` inside a string.

>>> from hypothesis import given, settings
>>> from wherelang import parse
>>> from wherelang.strategies import expressions, where_texts
>>> @settings(max_examples=25)
... @given(where_texts(extended=True))
... def test_round_trip(text):
...     expr = parse(text, extended=True)
...     assert parse(expr.to_where(extended=True), extended=True) == expr
>>> test_round_trip()
>>> @settings(max_examples=25)
... @given(expressions())
... def test_canonical(expr):
...     assert parse(expr.to_where()) == expr
>>> test_canonical()
"""

from __future__ import annotations

import random
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
    Family,
    Literal,
    Not,
    Op,
    Operand,
    Or,
    Path,
    Truth,
)
from .parser import STRICT_LIMITS, Limits
from .strict import portable_regex_error
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


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_ANY_CHARS = st.characters(codec="utf-8")

# Strict strings hold no ' " \ or control character (REFERENCE.md §6); no string holds a
# lone surrogate (not Unicode text).
_STRICT_CHARS = st.characters(codec="utf-8", exclude_characters="'\"\\", exclude_categories=["Cc"])


def _limits(extended: bool) -> Limits:
    return Limits() if extended else STRICT_LIMITS


def paths(extended: bool = False) -> st.SearchStrategy[Path]:
    """Attribute paths: a name, then relation hops or map-key segments (some quoted).

    Strict paths are what ConfigHub's parser reads: a name of letters, keys unquoted."""
    if not extended:
        return _strict_paths()
    limits = _limits(extended)
    # Built from characters rather than st.from_regex, which is several times slower.
    name = st.sampled_from(_COMMON_NAMES) | st.builds(
        str.__add__,
        st.sampled_from(_LETTERS),
        st.text(_LETTERS + _DIGITS + "_", max_size=min(limits.max_name, 60) - 1),
    )
    bare_key = st.builds(
        lambda first, middle, last: first + middle + last,
        st.sampled_from(_LETTERS + _DIGITS),
        st.text(_LETTERS + _DIGITS + "._/-", max_size=30),
        st.sampled_from(["", *_LETTERS, *_DIGITS]),
    ).map(lambda key: key if key[-1].isalnum() else key + "0")
    key = st.one_of(
        st.sampled_from(_COMMON_KEYS), bare_key, st.text(_ANY_CHARS, max_size=min(limits.max_key, 40))
    )
    return st.builds(
        lambda first, rest: Path((first, *rest)),
        name,
        st.lists(key, max_size=3),
    ).filter(lambda p: len(p.segments) > 1 or p.segments[0].upper() not in _KEYWORDS)


def _strict_paths() -> st.SearchStrategy[Path]:
    name = st.sampled_from([n for n in _COMMON_NAMES if n.isalpha()]) | st.text(
        _LETTERS, min_size=1, max_size=41
    )
    key = st.sampled_from(["tier", "app", "io/name", "complete/no-placeholders", "a-b_c", "9"]) | (
        st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9_/-]{0,20}[A-Za-z0-9])?", fullmatch=True)
    )
    return st.builds(lambda first, rest: Path((first, *rest)), name, st.lists(key, max_size=3)).filter(
        lambda p: len(p.segments) > 1 or p.segments[0].upper() not in _KEYWORDS
    )


def literals(extended: bool = False) -> st.SearchStrategy[Literal]:
    """Literal values as the parser gives them: str, int, bool and (extended) Decimal."""
    limits = _limits(extended)
    if extended:
        text = st.text(_ANY_CHARS, max_size=60)
        ints = st.integers(-(10**12), 10**12) | st.integers(
            -(10**limits.max_digits - 1), 10**limits.max_digits - 1
        )
        decimals = st.decimals(
            allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9
        ).map(_fractional)
        values: st.SearchStrategy[object] = text | ints | st.booleans() | decimals
    else:
        # Long strings up to the limit, made by repeating a short one (cheap to draw).
        long = st.builds(
            lambda part, size: (part * size)[:size],
            st.text(_STRICT_CHARS, min_size=1, max_size=4),
            st.integers(200, 1024),  # patterns are at most 1024 bytes
        )
        short = st.text(_STRICT_CHARS, max_size=60)
        text = st.one_of(short, short, short, short, long)
        ints = st.integers(0, 10**limits.max_digits - 1)
        values = text | ints | st.booleans()
    return values.map(lambda v: Literal(v))  # type: ignore[arg-type]


def _fractional(d: Decimal) -> Decimal:
    """A decimal written with a fraction (``1`` would be read back as an int)."""
    exponent = d.as_tuple().exponent
    return d if isinstance(exponent, int) and exponent < 0 else d + Decimal("0.5")


def _operands(extended: bool, left: bool) -> st.SearchStrategy[Operand]:
    """Any operand on either side; as people write them, mostly a path on the left and
    a literal on the right."""
    path, literal = paths(extended), literals(extended)
    length = path.map(lambda p: Len(p))
    # Weighted 3:1:1 (one_of weighs its distinct branches evenly).
    options: list[st.SearchStrategy[Operand]] = (
        [path, path, path, length, literal] if left else [literal, literal, literal, path, length]
    )
    if not extended:  # strict: an attribute on the left, never LEN on the right (§6)
        # LEN( takes letters and dots only, 61 at most (§3)
        length = path.map(lambda p: Path(p.segments[:2])).filter(
            lambda p: all(s.isalpha() and s.isascii() for s in p.segments) and len(".".join(p.segments)) <= 61
        ).map(lambda p: Len(p))
        options = [path, path, path, length, length] if left else [literal, literal, literal, path, literal]
    return st.integers(0, 4).flatmap(lambda i: options[i])


def _predicates(extended: bool) -> st.SearchStrategy[Expr]:
    ops = [op for op in Op if extended or op.strict]
    operand = _operands(extended, left=True)
    compare = st.builds(Compare, operand, st.sampled_from(ops), _operands(extended, left=False))
    values = st.lists(literals(extended), min_size=1, max_size=5).map(tuple)
    if not extended:  # one kind of value in a strict list (§7)
        values = values.map(lambda vs: tuple(v for v in vs if type(v.value) is type(vs[0].value)))
    in_list = st.builds(In, operand, values, st.booleans())
    is_null = st.builds(IsNull, operand, st.booleans())
    if not extended:
        compare = compare.map(_strict_pattern)
    comparison = st.one_of(compare, compare, in_list, is_null)  # most conditions compare
    truth = st.builds(Truth, comparison, st.booleans(), st.booleans())
    return st.one_of(comparison, truth)


def _strict_pattern(node: Compare) -> Compare:
    """``node``, its pattern made portable (§8) and at most 1024 bytes where it is not."""
    value = node.right.value if isinstance(node.right, Literal) else None
    if not isinstance(value, str) or node.op.family not in (Family.LIKE, Family.REGEX):
        return node
    fixed = value.encode()[:1024].decode(errors="ignore")
    if node.op.family is Family.REGEX and portable_regex_error(fixed) is not None:
        fixed = "".join(c for c in fixed if c.isalnum())
    return node if fixed == value else Compare(node.left, node.op, Literal(fixed))


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
    return _trees(_predicates(extended), extended, max_leaves=12)


def _trees(
    predicate: st.SearchStrategy[Expr], extended: bool, *, max_leaves: int
) -> st.SearchStrategy[Expr]:
    """Trees of ``predicate``: an AND of them (strict), or nested NOT/AND/OR (extended),
    no longer than the level's length limit."""
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

        tree = st.recursive(predicate, extend, max_leaves=max_leaves)
    return tree.filter(lambda e: len(str(e).encode()) <= limit)  # strict: bytes (§1)


# --- writing a tree as text, the ways a person might ---------------------------

_SPACES = [" ", " ", " ", "  ", "\t", "\n", "\r\n", " \t "]
# Blanks of the strict syntax: space and tab (REFERENCE.md §1).
_STRICT_SPACES = [" ", " ", " ", "  ", "\t", " \t "]
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
    """Writes a tree as text; the choices of spelling come from one seeded ``Random``
    (one draw per text instead of one per token keeps generation fast)."""

    def __init__(self, rnd: random.Random, extended: bool):
        self.rnd = rnd
        self.extended = extended
        self.tokens: list[str] = []

    def choice(self, options: list[str]) -> str:
        return self.rnd.choice(options)

    def keyword(self, word: str) -> None:
        if not self.extended:  # upper case, one space inside (REFERENCE.md §5)
            self.tokens.append(word)
            return
        for part in word.split(" "):
            style = self.choice(["upper", "upper", "lower", "title", "mixed"])
            if style == "lower":
                part = part.lower()
            elif style == "title":
                part = part.title()
            elif style == "mixed":
                part = "".join(c.lower() if self.rnd.random() < 0.5 else c for c in part)
            self.tokens.append(part)

    def path(self, node: Path) -> None:
        text = format_path(node.segments)
        if len(node.segments) > 1 and self.extended and self.rnd.random() < 0.3:
            # Quote a key segment that needs no quotes: the same path.
            text = ".".join([node.segments[0], *(quote_string(s) for s in node.segments[1:])])
        self.tokens.append(text)

    def operand(self, node: Operand) -> None:
        if isinstance(node, Path):
            self.path(node)
        elif isinstance(node, Len) and not self.extended:  # LEN( with nothing inside (§3)
            self.tokens.append(f"LEN({format_path(node.path.segments)})")
        elif isinstance(node, Len):
            self.keyword("LEN")
            self.tokens.append("(")
            self.path(node.path)  # type: ignore[arg-type]
            self.tokens.append(")")
        else:
            self.literal(node)  # type: ignore[arg-type]

    def literal(self, node: Literal) -> None:
        if isinstance(node.value, bool) and not self.extended:
            self.tokens.append(self.choice(["true", "TRUE"] if node.value else ["false", "FALSE"]))
        elif isinstance(node.value, bool):
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
        wrap = level < parent or (self.extended and self.rnd.random() < 0.1)
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
            self.keyword(("IS NOT " if node.negated else "IS ") + ("TRUE" if node.value else "FALSE"))
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
        strict = not self.extended
        spaces = _STRICT_SPACES if strict else _SPACES
        out = [self.choice(["", "", " ", "\t" if strict else "\n "])]
        previous = ""
        for token in self.tokens:
            # Two word characters, or two quotes, must not touch; strict AND has blanks
            # on both sides (REFERENCE.md §1).
            must = bool(previous) and (
                (previous[-1] in _WORD and token[0] in _WORD)
                or (previous[-1] == "'" and token[0] == "'")
                or (strict and (token == "AND" or previous == "AND"))
            )
            if previous:
                out.append(self.choice(spaces) if must else self.choice(["", *spaces]))
            out.append(token)
            previous = token
        out.append(self.choice(["", "", " ", "\t" if strict else "\t\n"]))
        return "".join(out)


def where_texts(extended: bool = False) -> st.SearchStrategy[str]:
    """Texts that parse at the chosen level, written with varied spacing and spelling."""
    limit = _limits(extended).max_length
    trees = expressions(extended)

    @st.composite
    def write(draw: st.DrawFn) -> str:
        writer = _Writer(random.Random(draw(st.integers(0, 2**32))), extended)
        writer.expr(draw(trees), _OR_LEVEL)
        return writer.text()

    return write().filter(lambda t: len(t.encode()) <= limit)


# --- well-typed expressions for a schema -------------------------------------------
#
# Appended by the schemas area: trees in the parser's shape (Path, raw literals) that
# validate against a given schema, for property tests of evaluation and SQL.

from .schema import Kind, Schema, Type  # noqa: E402
from .validate import IN_KINDS, LEN_KINDS, OPERATORS  # noqa: E402

__all__ += ["expressions_for"]

_INT = Type(Kind.INT)


def expressions_for(
    schema: Schema, extended: bool = False, *, hops: int = 1
) -> st.SearchStrategy[Expr]:
    """Syntax trees that validate against ``schema``, in the shape the parser builds.

    Every filterable attribute can appear (map keys, relation hops up to ``hops``
    deep), each with operators its type takes and literals valid for it: enum
    values, UUIDs in any letter case, times in every accepted form, patterns that
    compile. ``parse(str(e), schema=schema)`` equals ``validate(e, schema)``.

    >>> from hypothesis import given, settings
    >>> from wherelang import confighub, parse
    >>> from wherelang.validate import validate
    >>> unit = confighub.schema("Unit")
    >>> @settings(max_examples=20, deadline=None)
    ... @given(expressions_for(unit))
    ... def test_typed(expr):
    ...     assert parse(expr.to_where(), schema=unit) == validate(expr, unit)
    >>> test_typed()
    """
    from . import confighub

    if not extended and confighub.is_catalog(schema):
        return _trees(_hub_predicates(schema, hops), extended, max_leaves=10)
    targets = _targets(schema, extended, hops)
    if not targets:
        raise ValueError(f"{schema.name} has no filterable attribute to generate conditions on")
    # Strategies per target are built on first use: a catalog entity with its relations
    # has hundreds of targets.
    built: dict[int, st.SearchStrategy[Expr]] = {}

    @st.composite
    def comparison(draw: st.DrawFn) -> Expr:
        index = draw(st.integers(0, len(targets) - 1))
        if index not in built:
            built[index] = _typed_predicates(targets[index], targets, extended)
        return draw(built[index])

    predicate = st.one_of(
        comparison(), st.builds(Truth, comparison(), st.booleans(), st.booleans())
    )
    return _trees(predicate, extended, max_leaves=10)


# --- ConfigHub's strict level on a catalog schema (REFERENCE.md §2-§9) ------------------
#
# What the server's parser takes, drawn per data type: prefixes (the entity's own name,
# included references, Prefix.*.Attr over lists of references), keys of each map's form
# (label, gate space/trigger/function:N, Values, UUID), Permissions.<Action>.UserIDs,
# JSON paths (keys, ~1, indexes, *, ?key=value, the .| split) and LEN.

_SLUGS = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_FUNCTIONS = st.from_regex(r"[A-Za-z0-9][-_A-Za-z0-9]{0,10}", fullmatch=True)
_HUB_KEYS: dict[str, st.SearchStrategy[str]] = {
    "label": st.sampled_from(["tier", "app.kubernetes.io/name", "team", "x9"])
    | st.from_regex(r"[A-Za-z0-9]([-_./A-Za-z0-9]{0,12}[A-Za-z0-9])?", fullmatch=True).filter(
        lambda k: ".." not in k and "./" not in k and "/." not in k
    ),
    "name": _FUNCTIONS,
    "gate": st.builds(
        lambda space, trigger, fn, n: f"{space}/{trigger}/{fn}{n}" if space else f"{trigger}/{fn}{n}",
        st.none() | _SLUGS, _SLUGS, _FUNCTIONS, st.sampled_from(["", "", ":1", ":2", ":12"]),
    ),
    "values": st.builds(
        lambda space, trigger, fn: f"{space}/{trigger}/{fn}" if space else f"{trigger}/{fn}",
        st.none() | _SLUGS, _SLUGS, _FUNCTIONS,
    ),
}  # fmt: skip
_JSON_KEY = st.sampled_from(["spec", "metadata", "name", "containers", "a~1b", "$ref", "_x", "image"])
_JSON_SEGMENT = st.one_of(
    _JSON_KEY, _JSON_KEY, st.integers(0, 3).map(str), st.just("*"),
    st.sampled_from(["?name=web", "?kind=Deployment"]),
)  # fmt: skip


def _json_path() -> st.SearchStrategy[tuple[str, ...]]:
    split = st.lists(_JSON_KEY | st.integers(0, 3).map(str), min_size=1, max_size=2)
    return st.builds(
        lambda head, tail: (*head, "|" + tail[0], *tail[1:]) if tail else tuple(head),
        st.lists(_JSON_SEGMENT, min_size=1, max_size=3),
        st.none() | split,
    )


def _hub_predicates(schema: Schema, hops: int = 1) -> st.SearchStrategy[Expr]:
    from . import confighub
    from .validate import HUB_KEY_FORMS, _hub_operator_error

    literal_kinds = {"string", "int", "bool", "uuid", "time"}
    options: list[st.SearchStrategy[Expr]] = []
    plain: dict[str, list[tuple[str, ...]]] = {}  # right-hand candidates by data type

    def scalar(path: tuple[str, ...], dt: str) -> None:
        type = Type(Kind(dt))
        literal = _typed_literals(type, False)
        ops = [op for op in Op if op.strict and op.family in OPERATORS[type.kind]
               and _hub_operator_error(op.text, dt, False) is None]  # fmt: skip
        p = Path(path)
        for op in ops:
            if op.family in (Family.LIKE, Family.REGEX):
                options.append(st.builds(Compare, st.just(p), st.just(op), _patterns(op, False)
                                         .map(lambda lit: Literal(_portable(lit.value)))))  # fmt: skip
            else:
                options.append(st.builds(Compare, st.just(p), st.just(op), literal))
        options.append(st.builds(IsNull, st.just(p), st.booleans()))
        options.append(st.builds(In, st.just(p), st.lists(literal, min_size=1, max_size=3).map(tuple),
                                 st.booleans()))  # fmt: skip
        plain.setdefault(dt, []).append(path)

    def attribute(entity: Schema, prefix: tuple[str, ...], name: str, top: bool) -> None:
        dt = confighub.data_type(entity, name) or ""
        path = (*prefix, *name.split("."))
        if dt in literal_kinds:
            scalar(path, dt)
        elif dt == "[]uuid":
            options.append(st.builds(Compare, st.just(Path(path)), st.just(Op.HAS),
                                     _uuid_texts().map(lambda u: Literal(u))))  # fmt: skip
            if "." not in name:
                options.append(_lengths(path))
        elif dt == "JSON":
            p = Path(path)
            options.append(st.builds(IsNull, st.just(p), st.booleans()))
            options.append(st.builds(Compare, st.just(p), st.just(Op.HAS), st.sampled_from(["kind", "a"]).map(Literal)))
            deeper = _json_path().map(lambda steps: Path((*path, *steps)))
            value = st.sampled_from(["web", "3", "nginx:latest"]).map(Literal) | st.integers(0, 9).map(Literal)
            options.append(st.builds(Compare, deeper, st.sampled_from([Op.EQ, Op.NE]), value))
            options.append(st.builds(IsNull, deeper, st.booleans()))
        elif dt == "map[string]map[string]map[uuid]bool":
            action = st.sampled_from(["Admin", "Viewer", "Editor"])
            options.append(st.builds(Compare, action.map(lambda a: Path((*path, a, "UserIDs"))),
                                     st.just(Op.HAS), _uuid_texts().map(Literal)))  # fmt: skip
            if top:
                options.append(_lengths(path))
        elif dt in ("map[string]string", "map[string]bool", "map[uuid]string", "map[string]uuid"):
            field = name.split(".")[-1]
            form = "uuid" if dt == "map[uuid]string" else HUB_KEY_FORMS.get(field)
            options.append(st.builds(Compare, st.just(Path(path)), st.just(Op.HAS),
                                     st.sampled_from(["tier", "a/b/c"]).map(Literal)))  # fmt: skip
            if top and "." not in name:
                options.append(_lengths(path))
            if form is None:
                return
            keys = _uuid_texts() if form == "uuid" else _HUB_KEYS[form]
            keyed = keys.map(lambda k: Path((*path, *k.split("."))))
            value_dt = {"map[string]string": "string", "map[string]bool": "bool",
                        "map[uuid]string": "string", "map[string]uuid": "uuid"}[dt]  # fmt: skip
            literal = _typed_literals(Type(Kind(value_dt)), False)
            ops = [Op.EQ, Op.NE] + ([Op.LIKE, Op.LT] if dt == "map[string]string" else [])
            options.append(st.builds(Compare, keyed, st.sampled_from(ops), literal))
            options.append(st.builds(IsNull, keyed, st.booleans()))

    for attr in schema.attributes.values():
        if attr.filterable:
            attribute(schema, (), attr.name, True)
    for relation in schema.relations.values() if hops > 0 else ():  # one prefix at most
        related = schema.related(relation.field)
        if not relation.includable or related is None:
            continue
        if not relation.many and relation.field in confighub.keyed_maps():
            continue
        prefix = (relation.field, "*") if relation.many else (relation.field,)
        for attr in list(related.attributes.values())[:12]:
            dt = confighub.data_type(related, attr.name)
            if attr.filterable and "." not in attr.name and dt in literal_kinds:
                attribute(related, prefix, attr.name, False)
    for attr in list(schema.attributes.values())[:3]:  # the entity's own name as a prefix
        if attr.filterable and confighub.data_type(schema, attr.name) in literal_kinds:
            attribute(schema, (schema.name,), attr.name, False)
    # An attribute of the same data type on the right (§6): plain, no key, no *.
    for dt, found in plain.items():
        rights = [p for p in found if "*" not in p]
        if len(rights) > 1 and dt in ("string", "int", "time", "uuid"):
            lefts = st.sampled_from(found).map(Path)
            ops = [Op.EQ, Op.NE] + ([Op.LT, Op.GE] if dt in ("int", "time") else [])
            options.append(st.builds(Compare, lefts, st.sampled_from(ops), st.sampled_from(rights).map(Path)))
    if not options:
        raise ValueError(f"{schema.name} has no filterable attribute to generate conditions on")
    comparison = st.one_of(*options)
    return st.one_of(comparison, st.builds(Truth, comparison, st.booleans(), st.booleans()))


def _lengths(path: tuple[str, ...]) -> st.SearchStrategy[Expr]:
    order = [op for op in Op if op.family in (Family.EQUALITY, Family.ORDER)]
    return st.builds(Compare, st.just(Len(Path(path))), st.sampled_from(order),
                     st.integers(0, 20).map(Literal))  # fmt: skip


def _portable(pattern: object) -> str:
    text = str(pattern)
    return text if portable_regex_error(text) is None else "".join(c for c in text if c.isalnum())


class _Target:
    """A path to something filterable, as a strategy of its segments, and its type."""

    def __init__(self, path: st.SearchStrategy[tuple[str, ...]], type: Type, attribute: Type) -> None:
        self.path = path.map(lambda segments: Path(segments))
        self.type = type  # of the value the path yields
        self.attribute = attribute  # of the attribute reached (the map for a key)


def _targets(schema: Schema, extended: bool, hops: int, prefix: tuple[str, ...] = ()) -> list[_Target]:
    limits = _limits(extended)
    out: list[_Target] = []
    for attribute in schema.attributes.values():
        name = attribute.name
        if not attribute.filterable or (not prefix and name.upper() in _KEYWORDS):
            continue
        if len(name) > limits.max_name or not (extended or (name.isalpha() and name.isascii())):
            continue  # strict names are letters only (REFERENCE.md §2)
        out.append(_Target(st.just((*prefix, name)), attribute.type, attribute.type))
        if attribute.type.kind is Kind.MAP and attribute.type.values is not None:
            keys = _map_keys(attribute.type, extended, schema.max_key)
            segments = keys.map(_with_key((*prefix, name)) if extended else _split_key((*prefix, name)))
            out.append(_Target(segments, attribute.type.values, attribute.type))
    if hops > 0:
        for relation in schema.relations.values():
            related = schema.related(relation.field)
            if relation.many or related is None or relation.field in schema.attributes:
                continue
            if not prefix and relation.field.upper() in _KEYWORDS:
                continue
            if not extended and not (relation.field.isalpha() and relation.field.isascii()):
                continue
            out.extend(_targets(related, extended, hops - 1, (*prefix, relation.field)))
    return out


def _with_key(path: tuple[str, ...]) -> Callable[[str], tuple[str, ...]]:
    return lambda key: (*path, key)


def _split_key(path: tuple[str, ...]) -> Callable[[str], tuple[str, ...]]:
    # Strict keys are not quoted: a key with dots is written as its segments.
    return lambda key: (*path, *key.split("."))


def _map_keys(type: Type, extended: bool, max_key: int | None) -> st.SearchStrategy[str]:
    if type.keys is not None and type.keys.kind is Kind.UUID:
        return _uuid_texts()
    longest = min(_limits(extended).max_key, max_key or 1_024, 60)
    if not extended:  # label keys, unquoted (REFERENCE.md §4)
        return st.sampled_from(["tier", "app.kubernetes.io/name", "a-b_c", "9"]) | st.from_regex(
            r"[A-Za-z0-9]([A-Za-z0-9_/-]{0,20}[A-Za-z0-9])?", fullmatch=True
        )
    keys = st.sampled_from([k for k in _COMMON_KEYS if len(k) <= longest]) | st.from_regex(
        r"[A-Za-z0-9]([A-Za-z0-9._/-]{0,30}[A-Za-z0-9])?", fullmatch=True
    ) | st.text(max_size=min(longest, 20))  # fmt: skip
    return keys.filter(lambda k: len(k) <= longest)


def _uuid_texts() -> st.SearchStrategy[str]:
    return st.builds(
        lambda u, upper: str(u).upper() if upper else str(u), st.uuids(), st.booleans()
    )


_OFFSETS = ["", "Z", "+00:00", "+02:00", "-05:30", "+14:00", "-11:45", "+15:59", "-15:59"]
# Times of day at the edges PostgreSQL accepts: 24:00:00 is the next midnight, second 60
# rolls over (and 23:59:60 plus a fraction is refused).
_EDGE_CLOCKS = ["24:00:00", "23:59:60", "23:59:59", "00:00:00", "12:00:60"]
# Fractions where rounding to microseconds is a close call: half-way in decimal, and
# 0.0001265, a double a hair above half-way that PostgreSQL rounds up.
_EDGE_FRACTIONS = ["0000005", "0000015", "0001265", "9999995", "9999999", "123456789", "0000004999"]


def _time_texts() -> st.SearchStrategy[str]:
    """Time literals in every form SPEC §3 allows: dates, times with 1–9 fractional
    digits (rounded to microseconds as PostgreSQL does), offsets up to ±15:59, and the
    edges 24:00:00 and second 60."""
    from datetime import datetime

    moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31))
    fractions = st.text(_DIGITS, min_size=1, max_size=9) | st.sampled_from(_EDGE_FRACTIONS)

    def write(moment: datetime, form: int, fraction: str, clock: str, offset: str) -> str:
        if form == 0:
            return moment.date().isoformat()
        text = moment.strftime("%Y-%m-%dT") + (clock if form == 3 else moment.strftime("%H:%M:%S"))
        if form == 2 or form == 3 and clock[:2] != "24" and clock != "23:59:60":
            text += "." + fraction  # (a fraction after 24:00:00 or 23:59:60 passes the day)
        return text + offset

    return st.builds(
        write, moments, st.integers(0, 3), fractions, st.sampled_from(_EDGE_CLOCKS),
        st.sampled_from(_OFFSETS),
    )  # fmt: skip


# Characters whose case mappings differ between Python, Unicode's simple mappings and
# the engines: full mappings that expand ('ß', 'ᾀ', 'ŉ'), titlecase ('ǅ'), final sigma,
# dotted and dotless i, Kelvin and long s (case folding but no lower/upper pair), and
# the characters MariaDB's collations do not lower-case ('ẞ').
_CASED = "ßẞᾀᾈᾳᾼῳῼŉǰǅǆǄΣσςİiIıkK\u212aſsS\u212bÅå\u2126ΩωǈﬁΐΰᏸᏰⰀⰰꭰ"


def _cased_text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(_CASED + "aA-"), min_size=1, max_size=max_size)


def _strings(extended: bool) -> st.SearchStrategy[str]:
    limits = _limits(extended)
    if extended:
        return st.text(max_size=40) | _cased_text(4)
    return st.text(_STRICT_CHARS, max_size=min(40, limits.max_string)) | _cased_text(4)


# Integers at and beyond the int64 and float8-exact edges, for the extended syntax
# (the strict one has at most 10 digits): an engine that reads them as float8, or
# coerces a mixed IN list to DOUBLE, answers differently from PostgreSQL.
_EDGE_INTS = [2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**53, 2**53 + 1, -(2**53) - 1,
              2**64, 10**18, -(10**39), 10**39]  # fmt: skip


def _edge_ints(max_digits: int) -> st.SearchStrategy[int]:
    return st.sampled_from([n for n in _EDGE_INTS if len(str(abs(n))) <= max_digits])


def _typed_literals(type: Type, extended: bool) -> st.SearchStrategy[Literal]:
    """Literals as the parser gives them (str, int, bool, Decimal) valid for ``type``."""
    limits = _limits(extended)
    kind = type.kind
    values: st.SearchStrategy[object]
    if kind is Kind.STRING:
        values = st.sampled_from(type.enum) if type.enum else _strings(extended)
    elif kind is Kind.INT or kind is Kind.FLOAT:
        low = -(10**12) if extended else 0
        values = st.integers(low, min(10**12, 10**limits.max_digits - 1))
        if extended:
            values = values | _edge_ints(limits.max_digits)
        if kind is Kind.FLOAT and extended:
            # three places, so that the text is a decimal: 2.000, not 2
            values = values | st.integers(-(10**9), 10**9).map(lambda n: Decimal(n).scaleb(-3))
    elif kind is Kind.BOOL:
        values = st.booleans()
    elif kind is Kind.UUID:
        values = _uuid_texts()
    elif kind is Kind.TIME:
        values = _time_texts()
    else:  # json elements: compared as written
        values = _strings(extended) | st.integers(0, 1000) | st.booleans()
    return values.map(lambda v: Literal(v))  # type: ignore[arg-type]


# RE2 pieces without backslashes (the strict syntax has none in strings).
_REGEX_PIECES = ["^", "$", ".", ".*", "[a-z]", "[0-9]+", "app-", "(a|b)", "x?", "[^/]", "(?i)k", "v{1,3}",
                 "ᾀ", "ß", "İ", "[ᾀ-ᾇ]", "ς"]  # fmt: skip
_LIKE_PIECES = ["%", "_", "a", "app-", "%-prod", "K", "é", "ᾈ", "ẞ", "ß", "ı", "Σ"]


def _patterns(op: Op, extended: bool) -> st.SearchStrategy[Literal]:
    pieces = _REGEX_PIECES if op.family is Family.REGEX else _LIKE_PIECES
    parts = st.lists(st.sampled_from(pieces) | st.from_regex(r"[A-Za-z0-9 -]{1,5}", fullmatch=True), max_size=4)
    text = parts.map("".join)
    if extended and op.family is Family.LIKE:
        text = text | st.builds(lambda t, e: t + e, text, st.sampled_from(["\\%", "\\_", "\\\\"]))
    return text.map(lambda v: Literal(v))


def _typed_predicates(target: _Target, targets: list[_Target], extended: bool) -> st.SearchStrategy[Expr]:
    type = target.type
    ops = [op for op in Op if (extended or op.strict) and op.family in OPERATORS[type.kind]]
    options: list[st.SearchStrategy[Expr]] = [st.builds(IsNull, target.path, st.booleans())]
    literal = _typed_literals(type, extended)
    peers = [t for t in targets if _comparable(type, t.type)]
    for op in ops:
        if op.family in (Family.EQUALITY, Family.ORDER):
            options.append(st.builds(Compare, target.path, st.just(op), literal))
            if extended:  # strict: never a literal on the left (REFERENCE.md §6)
                options.append(st.builds(Compare, literal, st.just(op), target.path))
            if peers:
                other = st.sampled_from(peers).flatmap(lambda t: t.path)
                options.append(st.builds(Compare, target.path, st.just(op), other))
        elif op.family is Family.HAS:
            if type.kind is Kind.MAP:
                # The key is a string literal here: strict strings hold no ' " or \.
                element = (
                    _map_keys(type, extended, None)
                    .filter(lambda k: extended or not set(k) & set("'\"\\"))
                    .map(lambda k: Literal(k))
                )
            else:
                assert type.items is not None
                element = _typed_literals(type.items, extended)
            options.append(st.builds(Compare, target.path, st.just(op), element))
        else:
            patterns = _patterns(op, extended)
            if not extended:
                patterns = patterns.map(lambda lit: Literal(_portable(lit.value)))
            options.append(st.builds(Compare, target.path, st.just(op), patterns))
    if type.kind in IN_KINDS:
        values = st.lists(literal, min_size=1, max_size=4).map(tuple)
        options.append(st.builds(In, target.path, values, st.booleans()))
    if type.kind in LEN_KINDS and (extended or target.type is target.attribute):
        length = target.path.map(lambda p: Len(p))
        counts = _typed_literals(_INT, extended)
        order = [op for op in Op if op.family in (Family.EQUALITY, Family.ORDER)]
        options.append(st.builds(Compare, length, st.sampled_from(order), counts))
        options.append(st.builds(In, length, st.lists(counts, min_size=1, max_size=3).map(tuple), st.booleans()))
    return st.one_of(*options)


def _comparable(a: Type, b: Type) -> bool:
    numbers = (Kind.INT, Kind.FLOAT)
    if a.kind in numbers and b.kind in numbers:
        return True
    return a.kind is b.kind and a.kind not in (Kind.JSON, Kind.ARRAY, Kind.MAP)


# --- entities with nested JSON, list references and Permissions (issue 12) -----------------
#
# Typed trees (Attr nodes, as validation resolves them) of the forms a parser cannot yet
# write: JSON paths (every step kind and the split), ``Prefix.*.Attr`` over a list
# reference, ``Permissions.<Action>.UserIDs``; and entities whose values reach them. Keys
# and strings come from small pools so that generated paths and data meet.

from .nodes import Attr, JsonStep  # noqa: E402

__all__ += ["json_documents", "json_steps", "json_conditions", "path_schema", "path_entities", "path_expressions"]

#: JSON member names: plain, with '/' and '~', a dot (written ~1 in a path), non-ASCII
JSON_KEYS = ("a", "b", "name", "spec", "x/y", "k~0", "a.b", "ü", "名")
#: strings in data and literals: equal across kinds ("3", "true"), case, accents, colons
JSON_STRINGS = ("web", "db", "nginx:latest", "", "A", "a", "é", "3", "true", "Web-1", "ß")
_JSON_NUMBERS = st.one_of(
    st.integers(-3, 5),
    st.sampled_from([1.5, -0.5, 3.0, 2.25, 1e20, -7.75, 0.1]),
    st.integers(-(2**62), 2**62),
)
_JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), _JSON_NUMBERS, st.sampled_from(JSON_STRINGS),
)


def json_documents(max_leaves: int = 12) -> st.SearchStrategy[object]:
    """JSON values as ``json.loads`` gives them: objects (members missing or null),
    arrays of objects and of arrays, ints and floats, keys with ``/``, ``~``, ``.`` and
    non-ASCII letters."""
    return st.recursive(
        _JSON_SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(JSON_KEYS), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )


def _selecting_steps() -> st.SearchStrategy[JsonStep]:
    return st.one_of(
        st.sampled_from(JSON_KEYS).map(lambda k: JsonStep("key", k)),
        st.sampled_from(JSON_KEYS).map(lambda k: JsonStep("key", k)),
        st.integers(0, 2).map(lambda i: JsonStep("index", index=i)),
        st.just(JsonStep("any")),
        st.builds(
            lambda k, v: JsonStep("match", k, value=v),
            st.sampled_from(JSON_KEYS),
            st.sampled_from([s for s in JSON_STRINGS if s]),
        ),
    )


def json_steps(split: bool = True) -> st.SearchStrategy[tuple[JsonStep, ...]]:
    """1 to 4 steps of every kind, sometimes a ``.|`` split followed by keys and indexes."""
    plain = st.one_of(
        st.sampled_from(JSON_KEYS).map(lambda k: JsonStep("key", k)),
        st.integers(0, 1).map(lambda i: JsonStep("index", index=i)),
    )
    left = st.lists(_selecting_steps(), min_size=1, max_size=4).map(tuple)
    if not split:
        return left
    right = st.lists(plain, min_size=1, max_size=2).map(tuple)
    return st.one_of(
        left,
        st.builds(lambda a, b: (*a, JsonStep("split"), *b), left, right),
    )


def _json_literals() -> st.SearchStrategy[Literal]:
    return st.one_of(
        st.sampled_from(JSON_STRINGS).map(Literal),
        st.integers(-3, 5).map(Literal),
        st.sampled_from([Decimal("1.5"), Decimal("-0.5"), Decimal("3.0"), Decimal("1E+20")]).map(Literal),
        st.booleans().map(Literal),
    )


_STRING_OPS = [Op.LIKE, Op.NOT_LIKE, Op.ILIKE, Op.NOT_ILIKE, Op.REGEX, Op.IREGEX, Op.NOT_REGEX, Op.NOT_IREGEX]
_JSON_PATTERNS = ("%", "w%", "%:latest", "_", "%b", "A%", "^w", "e", "b$", "^[0-9]+$", "^(a|b)", "É", "ss")
_ORDER_OPS = [Op.EQ, Op.NE, Op.LT, Op.GT, Op.LE, Op.GE]


def json_conditions(attribute: str = "Data", hops: tuple[str, ...] = ()) -> st.SearchStrategy[Expr]:
    """Conditions on a path into the JSON attribute ``attribute``: comparisons (the
    literal's kind decides), the LIKE and regex families, ``?``, ``IN``, ``IS NULL``."""
    json_type = Type(Kind.JSON)

    def attr(steps: tuple[JsonStep, ...]) -> Attr:
        return Attr((*hops, attribute), hops, attribute, None, json_type, json=steps)

    paths = json_steps().map(attr)
    patterns = st.sampled_from(_JSON_PATTERNS).map(Literal)
    return st.one_of(
        st.builds(Compare, paths, st.sampled_from(_ORDER_OPS), _json_literals()),
        st.builds(Compare, paths, st.sampled_from(_STRING_OPS), patterns),
        st.builds(Compare, paths, st.just(Op.HAS), st.sampled_from(JSON_KEYS + JSON_STRINGS[:3]).map(Literal)),
        st.builds(
            In, paths,
            st.lists(st.one_of(
                st.sampled_from(("3", "1", "0", "true", "web", "", "-7", "100000000000000000000")).map(Literal),
                st.integers(-1, 3).map(Literal), st.booleans().map(Literal),
                st.just(Literal(Decimal("1.5"))),
            ), min_size=1, max_size=3).map(tuple),
            st.booleans(),
        ),
        st.builds(IsNull, paths, st.booleans()),
    )  # fmt: skip


_UUID_POOL = (
    "7c61626f-ddbe-41af-93f6-b69f4ab6d308",
    "00000000-0000-0000-0000-000000000001",
    "8d5e1a3c-0b7e-4f4a-9d55-2f3c1a9b7e10",
)
_ACTIONS = ("View", "Edit", "Admin")


def path_schema() -> Schema:
    """A ``Unit`` with a JSON ``Data``, a list reference ``FromLinkID`` (field
    ``FromLink``) to ``Link`` entities, and ``Permissions``; its resolver knows Link."""
    from .schema import Attribute, Relation

    link = Schema("Link", [
        Attribute("LinkID", Type(Kind.UUID)),
        Attribute("Slug", Type(Kind.STRING)),
        Attribute("Weight", Type(Kind.INT)),
        Attribute("Labels", Type.of({"type": "map", "values": "string"})),
        Attribute("Data", Type(Kind.JSON)),
    ], id="LinkID")  # fmt: skip
    schemas = {"Link": link}
    unit = Schema("Unit", [
        Attribute("UnitID", Type(Kind.UUID)),
        Attribute("Slug", Type(Kind.STRING)),
        Attribute("Data", Type(Kind.JSON)),
        Attribute("FromLinkID", Type.of({"type": "array", "items": "uuid"})),
        Attribute("Permissions", PERMISSIONS),
    ], [Relation("FromLink", "FromLinkID", "Link", many=True)], id="UnitID",
        resolver=schemas.get)  # fmt: skip
    schemas["Unit"] = unit
    return unit


#: ``map[string]map[string]map[uuid]bool``: action -> {"UserIDs": {user: true}}
PERMISSIONS = Type.of({"type": "map", "values": {"type": "map", "values": {"type": "map", "keys": "uuid", "values": "bool"}}})
_USERS = Type.of({"type": "map", "keys": "uuid", "values": "bool"})


def _links() -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries(
        {"Slug": st.one_of(st.none(), st.sampled_from(JSON_STRINGS))},
        optional={
            "Weight": st.one_of(st.none(), st.integers(-2, 3)),
            "Labels": st.dictionaries(st.sampled_from(("tier", "env")), st.sampled_from(("web", "db", "A"))),
            "Data": json_documents(6),
        },
    )


def _permissions() -> st.SearchStrategy[object]:
    users = st.dictionaries(
        st.sampled_from(_UUID_POOL).flatmap(lambda u: st.sampled_from((u, u.upper()))),
        st.one_of(st.booleans(), st.none()), max_size=3,
    )  # fmt: skip
    action: st.SearchStrategy[object] = st.one_of(
        st.fixed_dictionaries({"UserIDs": users}), st.just({}), st.none()
    )
    return st.one_of(st.none(), st.dictionaries(st.sampled_from(_ACTIONS), action, max_size=3))


def path_entities() -> st.SearchStrategy[dict[str, object]]:
    """Units for :func:`path_schema`: ``Data`` documents, related Links carried under
    ``FromLink`` (empty lists, missing attributes, NULLs), ``Permissions``."""
    return st.fixed_dictionaries(
        {"Slug": st.sampled_from(JSON_STRINGS)},
        optional={
            "Data": json_documents(),
            "FromLink": st.lists(_links(), max_size=3),
            "Permissions": _permissions(),
        },
    )


def _each_conditions(json: bool = True) -> st.SearchStrategy[Expr]:
    string = Type(Kind.STRING)

    def each(name: str, type: Type, key: str | None = None) -> Attr:
        segments = ("FromLink", "*", name) + ((key,) if key else ())
        return Attr(segments, ("FromLink",), name, key, type, each=True)

    slug = st.just(each("Slug", string))
    weight = st.just(each("Weight", Type(Kind.INT)))
    label = st.sampled_from(("tier", "env")).map(lambda k: each("Labels", string, k))
    labels = st.just(each("Labels", Type.of({"type": "map", "values": "string"})))
    strings = st.sampled_from(JSON_STRINGS).map(Literal)
    return st.one_of(
        st.builds(Compare, st.one_of(slug, label), st.sampled_from(_ORDER_OPS), strings),
        st.builds(Compare, slug, st.sampled_from([Op.LIKE, Op.NOT_LIKE, Op.ILIKE]), st.sampled_from(("w%", "%", "_", "A%")).map(Literal)),
        st.builds(Compare, weight, st.sampled_from(_ORDER_OPS), st.integers(-2, 3).map(Literal)),
        st.builds(In, st.one_of(slug, label), st.lists(strings, min_size=1, max_size=3).map(tuple), st.booleans()),
        st.builds(IsNull, st.one_of(slug, weight, label), st.booleans()),
        st.builds(Compare, labels, st.just(Op.HAS), st.sampled_from(("tier", "env")).map(Literal)),
        st.builds(Compare, labels.map(Len), st.sampled_from(_ORDER_OPS), st.integers(0, 2).map(Literal)),
        *([json_conditions("Data").map(_each_json)] if json else []),
    )  # fmt: skip


def _each_json(node: Expr) -> Expr:
    """A JSON condition on the related Link's Data: ``FromLink.*.Data.<path>``."""
    from dataclasses import replace

    assert isinstance(node, (Compare, In, IsNull))
    target = node.left if isinstance(node, Compare) else node.operand
    assert isinstance(target, Attr)
    moved = replace(target, segments=("FromLink", "*", *target.segments), hops=("FromLink",), each=True)
    if isinstance(node, Compare):
        return replace(node, left=moved)
    return replace(node, operand=moved)


def _permission_conditions() -> st.SearchStrategy[Expr]:
    users = st.sampled_from(_ACTIONS).map(
        lambda a: Attr(("Permissions", a, "UserIDs"), (), "Permissions", a, _USERS)
    )
    return st.one_of(
        st.builds(Compare, users, st.just(Op.HAS), st.sampled_from(_UUID_POOL).map(Literal)),
        st.builds(Compare, users.map(Len), st.sampled_from(_ORDER_OPS), st.integers(0, 2).map(Literal)),
    )


def path_expressions(extended: bool = True, *, json: bool = True) -> st.SearchStrategy[Expr]:
    """Typed trees for :func:`path_schema` built from the new forms (JSON paths, list
    references, Permissions), alone or joined with AND (and, extended, OR, NOT and
    ``IS [NOT] TRUE|FALSE``). ``json=False``: no JSON paths."""
    forms = [_each_conditions(json), _permission_conditions()]
    if json:
        forms = [json_conditions(), json_conditions(), *forms]
    base = st.one_of(*forms)
    leaf = st.one_of(base, st.builds(Truth, base, st.booleans(), st.booleans()))
    if not extended:
        return st.one_of(leaf, st.lists(leaf, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: _flat(And, xs)),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: _flat(Or, xs)),
            inner.map(Not),
        ),
        max_leaves=4,
    )
