"""Build where expressions in code: ``attr.Slug.like("app-%") & (attr.ApprovedBy.len() > 0)``.

The builder makes the same syntax tree :func:`wherelang.parse` returns for the printed
text, so a built expression prints, encodes, evaluates and compiles like a parsed one.

>>> from wherelang import attr, parse
>>> expr = (attr.Slug.like("app-%") & (attr.Labels["tier"] == "Backend")
...         & (attr.ApprovedBy.len() > 0))
>>> expr.to_where()
"Slug LIKE 'app-%' AND Labels.tier = 'Backend' AND LEN(ApprovedBy) > 0"
>>> expr == parse(expr.to_where())
True

A path goes on with ``.Name`` or ``["key"]``; ``[...]`` takes any map key, also one that
has dots or that is spelled like a method of the builder:

>>> str(attr.Annotations["cost.example.com/budget"].is_not_null())
"Annotations.'cost.example.com/budget' IS NOT NULL"
>>> str(attr.Space.Labels["len"].isin(["a", "b"]))
"Space.Labels.len IN ('a', 'b')"

``&``, ``|`` and ``~`` join expressions (``|`` and ``~`` need the extended syntax); as in
SQLAlchemy, write comparisons in parentheses, since ``&`` binds tighter than ``==``.
Python's ``and``/``or`` do not combine expressions: use ``&`` and ``|``.

Bound to a schema, every condition is checked as it is built and comes back typed
(UUIDs and times converted), exactly as ``parse(text, schema=...)`` returns it:

>>> from wherelang import confighub
>>> units = Attrs(confighub.schema("Unit"))
>>> units.Slgu == "x"
Traceback (most recent call last):
...
wherelang.errors.WhereValidationError: unrecognized attribute name `Slgu` (line 1, column 1)
  Slgu = 'x'
  ^^^^
hint: did you mean 'Slug'?
>>> (units.CreatedAt >= "2025-01-07").right.value
datetime.datetime(2025, 1, 7, 0, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, NoReturn, Union
from uuid import UUID

from .errors import WhereSyntaxError
from .nodes import (
    And,
    Attr,
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

if TYPE_CHECKING:
    from .schema import Schema

__all__ = [
    "attr",
    "Attrs",
    "Ref",
    "LenRef",
    "and_",
    "or_",
    "not_",
    "is_true",
    "is_false",
    "is_not_true",
    "is_not_false",
    "literal",
]

#: Python values the builder turns into literals.
PyValue = Union[str, int, float, Decimal, bool, UUID, datetime]

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_EXPRS = (Compare, In, IsNull, Truth, Not, And, Or)


def literal(value: PyValue | Literal) -> Literal:
    """The literal node for a Python value, as the parser would build it from its text.

    UUIDs and datetimes become strings (the language writes them as strings; a schema
    types them); floats become decimals (extended syntax).

    >>> literal(3), literal(True), literal(0.5)
    (Literal(value=3, text=None), Literal(value=True, text=None), Literal(value=Decimal('0.5'), text=None))
    """
    if isinstance(value, Literal):
        return value
    if isinstance(value, (bool, int, str, Decimal)):
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError(f"a literal must be a finite number, not {value}")
        return Literal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"a literal must be a finite number, not {value}")
        return Literal(value=Decimal(repr(value)) if value != int(value) else int(value))
    if isinstance(value, UUID):
        return Literal(str(value))
    if isinstance(value, datetime):
        return Literal(value.isoformat())
    if value is None:
        raise TypeError("NULL is not a value to compare with: use .is_null() or .is_not_null()")
    raise TypeError(f"cannot use a {type(value).__name__} as a where literal: {value!r}")


def _operand(value: object) -> Operand:
    if isinstance(value, Ref):
        return value.path
    if isinstance(value, LenRef):
        return Len(value.ref.path)
    if isinstance(value, (Path, Attr, Len, Literal)):
        return value
    return literal(value)  # type: ignore[arg-type]  # literal() raises TypeError itself


def _expr(value: object, what: str) -> Expr:
    if isinstance(value, _EXPRS):
        return value
    raise TypeError(f"{what} needs where expressions, not {type(value).__name__}")


def and_(*items: object) -> Expr:
    """Conjunction; nested ANDs are flattened as the parser flattens them."""
    flat: list[Expr] = []
    for item in items:
        expr = _expr(item, "AND")
        flat.extend(expr.items if isinstance(expr, And) else (expr,))
    if not flat:
        raise TypeError("AND needs at least one expression")
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def or_(*items: object) -> Expr:
    """Disjunction (extended syntax); nested ORs are flattened."""
    flat: list[Expr] = []
    for item in items:
        expr = _expr(item, "OR")
        flat.extend(expr.items if isinstance(expr, Or) else (expr,))
    if not flat:
        raise TypeError("OR needs at least one expression")
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def not_(item: object) -> Not:
    """``NOT expr`` (extended syntax)."""
    return Not(_expr(item, "NOT"))


def _truth(item: object, value: bool, negated: bool) -> Truth:
    if not isinstance(item, (Compare, In, IsNull)):
        raise TypeError("IS TRUE/FALSE applies to one comparison, IN or IS NULL")
    return Truth(item, value, negated)


def is_true(item: object) -> Truth:
    """``predicate IS TRUE``."""
    return _truth(item, True, False)


def is_false(item: object) -> Truth:
    """``predicate IS FALSE``."""
    return _truth(item, False, False)


def is_not_true(item: object) -> Truth:
    """``predicate IS NOT TRUE``: false or unknown."""
    return _truth(item, True, True)


def is_not_false(item: object) -> Truth:
    """``predicate IS NOT FALSE``: true or unknown, as in
    ``MergeSourceID = '...' IS NOT FALSE``.

    >>> str(is_not_false(attr.MergeSourceID == "7c61626f-ddbe-41af-93f6-b69f4ab6d308"))
    "MergeSourceID = '7c61626f-ddbe-41af-93f6-b69f4ab6d308' IS NOT FALSE"
    """
    return _truth(item, False, True)


def _checked(node: Expr, schema: Schema | None) -> Expr:
    """With a schema: the typed tree, exactly as parsing the printed text gives it."""
    if schema is None:
        return node
    from .parser import parse

    return parse(str(node), schema=schema, extended=True)


class _Comparable:
    """The comparisons shared by attribute paths and ``LEN(...)``."""

    __slots__ = ()

    def _node(self) -> Operand:
        raise NotImplementedError

    def _schema(self) -> Schema | None:
        raise NotImplementedError

    def _compare(self, op: Op, other: object) -> Expr:
        return _checked(Compare(self._node(), op, _operand(other)), self._schema())

    # Python's comparison operators build nodes; the bool of a node is not a result.
    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        return self._compare(Op.EQ, other)

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        return self._compare(Op.NE, other)

    def __lt__(self, other: object) -> Expr:
        return self._compare(Op.LT, other)

    def __le__(self, other: object) -> Expr:
        return self._compare(Op.LE, other)

    def __gt__(self, other: object) -> Expr:
        return self._compare(Op.GT, other)

    def __ge__(self, other: object) -> Expr:
        return self._compare(Op.GE, other)

    __hash__ = None  # type: ignore[assignment]

    # ``a & attr.X.len() > 0`` parses as ``(a & attr.X.len()) > 0`` in Python: say so.
    def _misplaced(self, *_: object) -> NoReturn:
        raise TypeError(
            f"{self!r} is not a condition: compare it, and put the comparison in "
            "parentheses, as in a & (attr.ApprovedBy.len() > 0)"
        )

    __and__ = __rand__ = __or__ = __ror__ = __invert__ = _misplaced

    def eq(self, other: object) -> Expr:
        """``=``"""
        return self._compare(Op.EQ, other)

    def ne(self, other: object) -> Expr:
        """``!=``"""
        return self._compare(Op.NE, other)

    def lt(self, other: object) -> Expr:
        """``<``"""
        return self._compare(Op.LT, other)

    def le(self, other: object) -> Expr:
        """``<=``"""
        return self._compare(Op.LE, other)

    def gt(self, other: object) -> Expr:
        """``>``"""
        return self._compare(Op.GT, other)

    def ge(self, other: object) -> Expr:
        """``>=``"""
        return self._compare(Op.GE, other)

    def isin(self, values: Iterable[PyValue]) -> Expr:
        """``IN (...)``; the list may not be empty.

        >>> str(attr.Slug.isin(["a", "b"]))
        "Slug IN ('a', 'b')"
        """
        return self._in(values, negated=False)

    def not_in(self, values: Iterable[PyValue]) -> Expr:
        """``NOT IN (...)``."""
        return self._in(values, negated=True)

    def _in(self, values: Iterable[PyValue], negated: bool) -> Expr:
        if isinstance(values, (str, bytes)):
            raise TypeError("IN takes a list of values, not one string")
        items = tuple(literal(v) for v in values)
        if not items:
            raise WhereSyntaxError(
                "empty-in-list",
                "IN needs at least one value",
                hint="an empty list is an error, as in SQL",
            )
        return _checked(In(self._node(), items, negated), self._schema())

    def is_null(self) -> Expr:
        """``IS NULL``: absent, JSON null, or (for ``Map.key``) the key is not there."""
        return _checked(IsNull(self._node(), False), self._schema())

    def is_not_null(self) -> Expr:
        """``IS NOT NULL``."""
        return _checked(IsNull(self._node(), True), self._schema())


class LenRef(_Comparable):
    """``LEN(path)``, an int to compare: ``attr.ApprovedBy.len() > 0``."""

    __slots__ = ("ref",)

    def __init__(self, ref: Ref) -> None:
        self.ref = ref

    def _node(self) -> Operand:
        return Len(self.ref.path)

    def _schema(self) -> Schema | None:
        return self.ref._bound

    def __repr__(self) -> str:
        return f"<LEN({self.ref.path.to_where()})>"


class Ref(_Comparable):
    """An attribute path being written: ``attr.Space.Labels["Environment"]``.

    Methods build conditions; any other attribute name, or ``[key]``, extends the path.
    """

    __slots__ = ("_segments", "_bound")

    def __init__(self, segments: tuple[str, ...], schema: Schema | None = None) -> None:
        self._segments = segments
        self._bound = schema

    @property
    def path(self) -> Path:
        """The path node."""
        return Path(self._segments)

    def _node(self) -> Operand:
        return self.path

    def _schema(self) -> Schema | None:
        return self._bound

    def __getattr__(self, name: str) -> Ref:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, key: str) -> Ref:
        if not isinstance(key, str):
            raise TypeError(f"a path segment is a string, not {key!r}")
        return Ref(self._segments + (key,), self._bound)

    def __repr__(self) -> str:
        return f"<attr {self.path.to_where()}>"

    def len(self) -> LenRef:
        """``LEN(path)`` of an array or map."""
        return LenRef(self)

    def has(self, value: PyValue) -> Expr:
        """``?``: the array holds ``value``, or the map has the key ``value``.

        >>> str(attr.ApprovedBy.has("7c61626f-ddbe-41af-93f6-b69f4ab6d308"))
        "ApprovedBy ? '7c61626f-ddbe-41af-93f6-b69f4ab6d308'"
        """
        return self._compare(Op.HAS, value)

    def like(self, pattern: str) -> Expr:
        """``LIKE``: ``%`` any run, ``_`` one character, ``\\`` escapes; whole string."""
        return self._compare(Op.LIKE, pattern)

    def not_like(self, pattern: str) -> Expr:
        """``NOT LIKE``."""
        return self._compare(Op.NOT_LIKE, pattern)

    def ilike(self, pattern: str) -> Expr:
        """``ILIKE``: LIKE ignoring case."""
        return self._compare(Op.ILIKE, pattern)

    def not_ilike(self, pattern: str) -> Expr:
        """``NOT ILIKE`` (extended syntax)."""
        return self._compare(Op.NOT_ILIKE, pattern)

    def regex(self, pattern: str) -> Expr:
        """``~``: an RE2 regular expression found anywhere in the value."""
        return self._compare(Op.REGEX, pattern)

    def iregex(self, pattern: str) -> Expr:
        """``~*``: ``regex`` ignoring case."""
        return self._compare(Op.IREGEX, pattern)

    def not_regex(self, pattern: str) -> Expr:
        """``!~``."""
        return self._compare(Op.NOT_REGEX, pattern)

    def not_iregex(self, pattern: str) -> Expr:
        """``!~*``."""
        return self._compare(Op.NOT_IREGEX, pattern)


class Attrs:
    """The root of paths: ``attr.Slug``, ``attr["Slug"]``.

    :data:`attr` builds untyped trees; ``Attrs(schema)`` checks each condition against
    the schema as it is built.
    """

    __slots__ = ("_bound",)

    def __init__(self, schema: Schema | str | None = None) -> None:
        from .schema import as_schema  # a ConfigHub entity name is a schema too

        self._bound = as_schema(schema) if schema is not None else None

    def __getattr__(self, name: str) -> Ref:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Ref:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise WhereSyntaxError(
                "bad-attribute-name",
                f"{name!r} is not an attribute name",
                hint="an attribute name is a letter, then letters, digits or _",
            )
        return Ref((name,), self._bound)

    def __repr__(self) -> str:
        return "attr" if self._bound is None else f"Attrs({self._bound.name})"


#: Paths without a schema: ``from wherelang import attr``.
attr = Attrs()

