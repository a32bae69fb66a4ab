"""Syntax tree of where expressions: immutable, hashable nodes with source spans.

Every node is a frozen, slotted dataclass with tuple children, so trees compare
structurally, hash, and serve as cache keys. Spans record where a node came from in
the input; they never take part in equality.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from enum import Enum
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, Union
from uuid import UUID

from .errors import WhereError, WhereSyntaxError

if TYPE_CHECKING:
    from .schema import Type

__all__ = [
    "Span",
    "Family",
    "Op",
    "Node",
    "Path",
    "JsonStep",
    "Attr",
    "Len",
    "Literal",
    "Compare",
    "In",
    "IsNull",
    "Truth",
    "Not",
    "And",
    "Or",
    "Operand",
    "Predicate",
    "Expr",
    "Value",
    "children",
    "walk",
]


class Span(NamedTuple):
    """Where a node stands in the input: ``offset`` and ``length`` in characters."""

    offset: int
    length: int

    @property
    def end(self) -> int:
        return self.offset + self.length


NO_SPAN = Span(0, 0)


class Family(Enum):
    """Operator families: the rows of SPEC §2's operator table."""

    EQUALITY = "equality"
    ORDER = "order"
    LIKE = "like"
    REGEX = "regex"
    HAS = "has"


class Op(Enum):
    """Binary comparison operators, with their canonical spelling.

    Other spellings (``~~``, ``!~~``, ``<>``, ``~~*``, ``!~~*``) are parsed into these
    members; see ``grammar/where.lark``.
    """

    EQ = ("=", Family.EQUALITY, True)
    NE = ("!=", Family.EQUALITY, True)
    LT = ("<", Family.ORDER, True)
    GT = (">", Family.ORDER, True)
    LE = ("<=", Family.ORDER, True)
    GE = (">=", Family.ORDER, True)
    LIKE = ("LIKE", Family.LIKE, True)
    NOT_LIKE = ("NOT LIKE", Family.LIKE, True)
    ILIKE = ("ILIKE", Family.LIKE, True)
    NOT_ILIKE = ("NOT ILIKE", Family.LIKE, False)
    REGEX = ("~", Family.REGEX, True)
    IREGEX = ("~*", Family.REGEX, True)
    NOT_REGEX = ("!~", Family.REGEX, True)
    NOT_IREGEX = ("!~*", Family.REGEX, True)
    HAS = ("?", Family.HAS, True)

    def __init__(self, text: str, family: Family, strict: bool) -> None:
        self.text = text
        self.family = family
        #: whether the strict (remote API) syntax has a spelling for it
        self.strict = strict

    def __repr__(self) -> str:
        return f"Op.{self.name}"


def _check_strict(text: str) -> None:
    """Raise what the strict parser says of ``text`` (the remote API's syntax), in the
    words of a caller printing a tree rather than parsing one."""
    try:
        _strict_parse(text)
    except WhereError as err:
        anyway = "pass extended=True to to_where() or to_query() to write it anyway"
        hint = err.hint or ""
        if "parse with extended=True" in hint:
            hint = hint.replace(" to allow it", "").replace("parse with extended=True", anyway)
        else:
            hint = f"{hint}; or {anyway}" if hint else anyway
        raise WhereSyntaxError(
            err.code, f"{err.message}, which the remote API rejects", text=text,
            position=err.position, length=err.length, hint=hint,
        ) from None  # fmt: skip


def _strict_parse(text: str) -> object:
    # Bound on first use (the parser imports this module); a repeated text is an LRU hit.
    global _strict_parse
    from .parser import parse

    _strict_parse = parse
    return parse(text)


class Node:
    """Base of all syntax tree nodes."""

    __slots__ = ()

    span: Span

    def to_where(self, *, extended: bool = False) -> str:
        """Canonical where text: upper-case keywords, single spaces, minimal parentheses.

        This is the text to send to the remote API, so a condition is checked against
        the strict syntax the API accepts (a :class:`WhereSyntaxError` says what it
        rejects); ``extended=True`` writes extended syntax for a server that reads it.
        ``str(node)`` writes either, unchecked, for display.

        >>> from wherelang import attr, parse
        >>> parse("slug='x' and  Labels.tier ilike 'b%'", extended=True).to_where()
        "slug = 'x' AND Labels.tier ILIKE 'b%'"
        >>> (attr.HeadRevisionNum > -1).to_where()
        Traceback (most recent call last):
        ...
        wherelang.errors.WhereSyntaxError: negative numbers are only in the extended syntax, which the remote API rejects (line 1, column 19)
          HeadRevisionNum > -1
                            ^^
        hint: pass extended=True to to_where() or to_query() to write it anyway; extended=True accepts it
        >>> (attr.HeadRevisionNum > -1).to_where(extended=True)
        'HeadRevisionNum > -1'
        """
        from .text import to_where

        text = to_where(self)
        if not extended and not isinstance(self, (Path, Attr, Len, Literal)):
            _check_strict(text)
        return text

    def to_query(self, *, extended: bool = False) -> str:
        """The canonical text percent-encoded for a URL query parameter (checked as
        :meth:`to_where` checks it).

        >>> from wherelang import parse
        >>> parse("Slug = 'a b'").to_query()
        'Slug%20%3D%20%27a%20b%27'
        """
        from .text import encode_query

        return encode_query(self.to_where(extended=extended))

    def __str__(self) -> str:
        from .text import to_where

        return to_where(self)

    # Joining expressions in code (wherelang.builder): a & b, a | b, ~a.
    def __and__(self, other: object) -> Expr:
        from .builder import and_

        return and_(self, other) if isinstance(other, Node) else NotImplemented

    def __or__(self, other: object) -> Expr:
        from .builder import or_

        return or_(self, other) if isinstance(other, Node) else NotImplemented

    def __invert__(self) -> Not:
        from .builder import not_

        return not_(self)


# --- operands ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Path(Node):
    """An attribute path as written: ``Labels.tier`` is ``("Labels", "tier")``.

    Without a schema it is not yet known which segments are relation hops and which
    form a map key; :class:`Attr` is the resolved form.
    """

    segments: tuple[str, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class JsonStep:
    """One step of a path into a JSON attribute (REFERENCE.md §9).

    ``kind`` is one of:

    - ``"key"``: the member ``key`` of an object (``~1`` in the text is a ``.`` here);
    - ``"index"``: element ``index`` of an array;
    - ``"any"``: every element (``*``);
    - ``"match"``: every element that is an object whose member ``key`` equals the
      string ``value`` (``?key=value``);
    - ``"split"``: the ``.|`` split; the steps after it are keys and indexes only.
    """

    kind: str
    key: str | None = None
    index: int | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Attr(Node):
    """A path resolved against a schema.

    ``hops`` are the relation fields walked first (``("Space",)`` for
    ``Space.Labels.env``), ``name`` the attribute of the entity reached, ``key`` the map
    key when the path goes into a map, and ``type`` the type of the value it yields.

    ``each`` is true when the hop is a list reference written ``Prefix.*.Attr``
    (``FromLink.*.Slug``): the condition holds when some related entity satisfies it.
    ``json`` holds the steps of a path into a JSON attribute (``Data.spec.replicas``);
    for ``Permissions.<Action>.UserIDs`` the action is ``key``.
    """

    segments: tuple[str, ...]
    hops: tuple[str, ...]
    name: str
    key: str | None
    type: Type
    span: Span = field(default=NO_SPAN, compare=False, repr=False)
    each: bool = False
    json: tuple[JsonStep, ...] = ()


@dataclass(frozen=True, slots=True)
class Len(Node):
    """``LEN(path)``: the number of elements of an array or entries of a map."""

    path: Path | Attr
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


Value = Union[str, int, Decimal, bool, UUID, datetime]


@dataclass(frozen=True, slots=True, eq=False)
class Literal(Node):
    """A literal value.

    Parsing gives ``str``, ``int``, ``bool`` or (extended) ``Decimal``. Validation
    against a schema turns strings into ``UUID`` or ``datetime`` where the attribute
    needs it and keeps the original string in ``text`` so the tree prints the same.
    """

    value: Value
    text: str | None = None
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    # True == 1 in Python, but the literals true and 1 differ.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Literal):
            return NotImplemented
        return (
            type(self.value) is type(other.value)
            and self.value == other.value
            and self.text == other.text
        )

    def __hash__(self) -> int:
        return hash((type(self.value), self.value, self.text))


Operand = Union[Path, Attr, Len, Literal]


# --- predicates and connectives --------------------------------------------


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """``left op right`` for every binary operator of :class:`Op`."""

    left: Operand
    op: Op
    right: Operand
    span: Span = field(default=NO_SPAN, compare=False, repr=False)
    op_span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class In(Node):
    """``operand [NOT] IN (v1, v2, ...)``."""

    operand: Operand
    values: tuple[Literal, ...]
    negated: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class IsNull(Node):
    """``operand IS [NOT] NULL``."""

    operand: Operand
    negated: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Truth(Node):
    """``predicate IS [NOT] TRUE|FALSE``: turns unknown into a definite answer."""

    expr: Compare | In | IsNull
    value: bool
    negated: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Not(Node):
    """``NOT expr`` (extended syntax)."""

    expr: Expr
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class And(Node):
    """Conjunction of two or more expressions; never directly nests another And."""

    items: tuple[Expr, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Or(Node):
    """Disjunction of two or more expressions (extended); never directly nests an Or."""

    items: tuple[Expr, ...]
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


Predicate = Union[Compare, In, IsNull, Truth]
Expr = Union[Compare, In, IsNull, Truth, Not, And, Or]


def _no_truth_value(self: Node) -> bool:
    # ``attr.a == 1 and attr.b == 2`` would silently be ``b = 2``: Python's ``and``/``or``
    # ask a condition for its truth value, which it does not have before evaluation.
    raise TypeError(
        f"the condition {self} has no truth value: join conditions with & (AND), "
        "| (OR) and ~ (NOT), not with Python's and/or/not; to test it, use wherelang.compile"
    )


for _condition in (Compare, In, IsNull, Truth, Not, And, Or):
    setattr(_condition, "__bool__", _no_truth_value)


# The direct children of each kind of node, in source order; leaves have none.
_CHILDREN: dict[type, Callable[[Any], tuple[Node, ...]]] = {
    And: lambda n: n.items,
    Or: lambda n: n.items,
    Not: lambda n: (n.expr,),
    Truth: lambda n: (n.expr,),
    Compare: lambda n: (n.left, n.right),
    In: lambda n: (n.operand, *n.values),
    IsNull: lambda n: (n.operand,),
    Len: lambda n: (n.path,),
}


def children(node: Node) -> tuple[Node, ...]:
    """The direct children of ``node``, in source order."""
    get = _CHILDREN.get(type(node))
    return get(node) if get is not None else ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree in source order, parents first, without recursion.

    >>> from wherelang import parse
    >>> [type(n).__name__ for n in walk(parse("LEN(Tags) > 0 AND Slug IN ('a')"))]
    ['And', 'Compare', 'Len', 'Path', 'Literal', 'In', 'Path', 'Literal']
    """
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def _fast_init(cls: type) -> None:
    """Give a frozen, slotted dataclass an ``__init__`` that fills its slots directly.

    The generated frozen ``__init__`` calls ``object.__setattr__`` by name for each
    field; setting through the slot descriptors skips that look-up and makes parsing
    about 7% faster. The signature, defaults and immutability stay the same.
    """
    params, lines = [], []
    namespace: dict[str, object] = {}
    for i, f in enumerate(fields(cls)):
        if f.default is MISSING:
            params.append(f.name)
        else:
            namespace[f"_default{i}"] = f.default
            params.append(f"{f.name}=_default{i}")
        namespace[f"_set{i}"] = cls.__dict__[f.name].__set__
        lines.append(f"    _set{i}(self, {f.name})")
    source = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(lines)
    exec(source, namespace)  # as dataclasses itself builds __init__
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    cls.__init__ = init  # type: ignore[misc]


for _cls in (Path, JsonStep, Attr, Len, Literal, Compare, In, IsNull, Truth, Not, And, Or):
    _fast_init(_cls)


def slot_setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    """The slot setters of a node class's fields, in field order: for the parser only.

    ``object.__new__(cls)`` followed by these calls builds the same node as
    ``cls(...)`` with every field given, without the Python frame of ``__init__``
    (about a tenth of the cost of a node, which is a third of a parse). The caller must
    set every field.
    """
    return tuple(cls.__dict__[f.name].__set__ for f in fields(cls))
