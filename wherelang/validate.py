"""Validation: check a syntax tree against a :class:`~wherelang.schema.Schema` and type it.

:func:`validate` returns the same node classes with every :class:`~wherelang.nodes.Path`
resolved into an :class:`~wherelang.nodes.Attr` and every literal converted to the type
it is compared with (UUID, timezone-aware datetime, int, ...). Anything that does not
fit the schema raises :class:`~wherelang.errors.WhereValidationError` pointing at the
offending token.

>>> from wherelang import parse
>>> from wherelang.schema import Schema, Attribute, Type
>>> s = Schema("Thing", [Attribute("Slug", Type.of("string")),
...                      Attribute("CreatedAt", Type.of("time"))])
>>> e = parse("CreatedAt > '2025-01-07'", schema=s)
>>> e.right.value
datetime.datetime(2025, 1, 7, 0, 0, tzinfo=datetime.timezone.utc)
>>> str(e)
"CreatedAt > '2025-01-07'"
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple, Union
from uuid import UUID

import re2

from .errors import WhereValidationError
from .nodes import (
    NO_SPAN,
    And,
    Attr,
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
    Span,
    Truth,
)
from .schema import Kind, Schema, Type, as_schema
from .times import read_literal

__all__ = [
    "validate",
    "OPERATORS",
    "IN_KINDS",
    "allowed_operators",
    "parse_time",
    "parse_uuid",
]

INT_TYPE = Type(Kind.INT)

#: SPEC §2: the operator families each kind of value takes. ``Map.key`` takes the map
#: values' row; json values take none of them (only IS [NOT] NULL).
OPERATORS: Mapping[Kind, frozenset[Family]] = {
    Kind.STRING: frozenset({Family.EQUALITY, Family.ORDER, Family.LIKE, Family.REGEX}),
    Kind.INT: frozenset({Family.EQUALITY, Family.ORDER}),
    Kind.FLOAT: frozenset({Family.EQUALITY, Family.ORDER}),
    Kind.BOOL: frozenset({Family.EQUALITY}),
    Kind.UUID: frozenset({Family.EQUALITY}),
    Kind.TIME: frozenset({Family.EQUALITY, Family.ORDER}),
    Kind.JSON: frozenset(),
    Kind.ARRAY: frozenset({Family.HAS}),
    Kind.MAP: frozenset({Family.HAS}),
}

#: Kinds that take ``IN`` / ``NOT IN``.
IN_KINDS: frozenset[Kind] = frozenset({Kind.STRING, Kind.INT, Kind.FLOAT, Kind.UUID})

#: Kinds that ``LEN()`` applies to.
LEN_KINDS: frozenset[Kind] = frozenset({Kind.ARRAY, Kind.MAP})

_NUMBERS = frozenset({Kind.INT, Kind.FLOAT})


def allowed_operators(type: Type) -> tuple[str, ...]:
    """The operators a value of ``type`` takes, as a user writes them.

    >>> allowed_operators(Type.of("bool"))
    ('=', '!=', 'IS NULL', 'IS NOT NULL')
    >>> allowed_operators(Type.of({"type": "array", "items": "string"}))
    ('?', 'LEN()', 'IS NULL', 'IS NOT NULL')
    """
    families = OPERATORS[type.kind]
    out = [op.text for op in Op if op.family in families]
    if type.kind in IN_KINDS:
        out += ["IN", "NOT IN"]
    if type.kind in LEN_KINDS:
        out.append("LEN()")
    return (*out, "IS NULL", "IS NOT NULL")


# --- literals ----------------------------------------------------------------------

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _fits_float8(value: int | Decimal) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def parse_uuid(text: str) -> UUID | None:
    """A UUID in its 8-4-4-4-12 form, any letter case; None if ``text`` is not one.

    >>> parse_uuid("7C61626F-DDBE-41AF-93F6-B69F4AB6D308")
    UUID('7c61626f-ddbe-41af-93f6-b69f4ab6d308')
    >>> parse_uuid("old-space-id") is None
    True
    """
    if _UUID.fullmatch(text) is None:
        return None
    return UUID(text)


def parse_time(text: str) -> datetime | None:
    """A time literal as timezone-aware datetime (no offset: UTC); None if not one.

    The forms of SPEC §3 with ASCII digits, read by :func:`wherelang.times.read_time`
    (the reader entity values go through too): fractional seconds round to microseconds
    as PostgreSQL rounds them, offsets go up to ±15:59.

    >>> parse_time("2025-02-18T23:16:34+02:00").isoformat()
    '2025-02-18T23:16:34+02:00'
    >>> parse_time("2025-02-18T23:16:34.1234567Z").isoformat()
    '2025-02-18T23:16:34.123457+00:00'
    >>> parse_time("yesterday") is None
    True
    """
    return read_literal(text)


@lru_cache(maxsize=1024)
def _regex_error(pattern: str) -> str | None:
    options = re2.Options()
    options.log_errors = False  # RE2 would print its own error lines to stderr
    try:
        re2.compile(pattern, options=options)
    except UnicodeError:  # a lone surrogate in a tree built in code
        return "the pattern is not valid Unicode text"
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return str(detail)
    return None


def _like_error(pattern: str) -> bool:
    """Whether a LIKE pattern ends in a lone escaping backslash."""
    trailing = len(pattern) - len(pattern.rstrip("\\"))
    return trailing % 2 == 1


# --- paths -------------------------------------------------------------------------


class _Resolved(NamedTuple):
    hops: tuple[str, ...]
    name: str
    key: str | None
    type: Type


class _PathError(NamedTuple):
    code: str
    message: str
    segment: int
    hint: str | None
    whole: bool  # point at the rest of the path from ``segment`` on


_Resolution = _Resolved | _PathError


def _suggest(name: str, schema: Schema) -> str | None:
    candidates = [a.name for a in schema.attributes.values() if a.filterable]
    candidates += [r for r in schema.relations if r not in schema.attributes]
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return close[0] if close else None


def _resolve(segments: tuple[str, ...], schema: Schema) -> _Resolution:
    hops: list[str] = []
    current = schema
    i = 0
    while True:
        seg = segments[i]
        attr = current.attributes.get(seg)
        relation = current.relations.get(seg)
        more = i + 1 < len(segments)
        if more and relation is not None and (attr is None or attr.type.kind is not Kind.MAP):
            if relation.many:
                return _PathError(
                    "bad-path",
                    f"{seg} relates {current.name} to many {relation.entity} entities; "
                    "a path cannot go through it",
                    i, f"test the IDs with {relation.via} ? '<id>'", False,
                )  # fmt: skip
            related = current.related(seg)
            if related is None:
                return _PathError(
                    "unknown-attribute",
                    f"the schema of {relation.entity} (through {seg}) is not known",
                    i, None, False,
                )  # fmt: skip
            hops.append(seg)
            current = related
            i += 1
            continue
        if attr is None:
            guess = _suggest(seg, current)
            hint = None
            if guess is not None:
                hint = "did you mean " + repr(".".join((*segments[:i], guess, *segments[i + 1 :]))) + "?"
            return _PathError(
                "unknown-attribute", f"unknown attribute {seg!r} of {current.name}", i, hint, False
            )
        if not attr.filterable:
            return _PathError(
                "not-filterable",
                f"{current.name} cannot be filtered by {seg}",
                i,
                "filterable attributes: " + ", ".join(current.filterable),
                False,
            )
        if not more:
            return _Resolved(tuple(hops), seg, None, attr.type)
        if attr.type.kind is not Kind.MAP:
            return _PathError(
                "bad-path",
                f"{seg} is {_a(attr.type)}; only maps take a key after a dot",
                i + 1, None, True,
            )  # fmt: skip
        key = ".".join(segments[i + 1 :])
        if current.max_key is not None and len(key) > current.max_key:
            return _PathError(
                "key-too-long",
                f"map key longer than {current.max_key} characters",
                i + 1, "use a shorter key", True,
            )  # fmt: skip
        keys = attr.type.keys
        if keys is not None and keys.kind is Kind.UUID and parse_uuid(key) is None:
            return _PathError(
                "bad-literal", f"the keys of {seg} are UUIDs; {key!r} is not one", i + 1, None, True
            )
        assert attr.type.values is not None
        return _Resolved(tuple(hops), seg, key, attr.type.values)


_SEGMENT = re.compile(r"'(?:[^']|'')*'|[^.']+")

# Resolved paths kept per schema.
_PATH_CACHE = 4096


def _a(type: Type) -> str:
    text = str(type)
    if text == "uuid":
        return "a UUID"
    return ("an " if text[0] in "aeiou" else "a ") + text


# --- the checker -------------------------------------------------------------------


class _Checker:
    __slots__ = ("schema", "text")

    def __init__(self, schema: Schema, text: str | None) -> None:
        self.schema = schema
        self.text = text

    def error(
        self,
        code: str,
        message: str,
        span: Span,
        hint: str | None = None,
        expected: tuple[str, ...] = (),
    ) -> WhereValidationError:
        return WhereValidationError(
            code,
            message,
            text=self.text,
            position=span.offset if span != NO_SPAN else None,
            length=span.length,
            expected=expected,
            hint=hint,
        )

    # paths

    def segment_span(self, path: Path, index: int, whole: bool) -> Span:
        """The span of segment ``index`` (to the end of the path if ``whole``)."""
        span = path.span
        if span == NO_SPAN:
            return span
        if self.text is not None:
            written = self.text[span.offset : span.end]
        else:
            written = ".".join(path.segments)
        pieces = [m.span() for m in _SEGMENT.finditer(written)]
        if index >= len(pieces):
            return span
        start = pieces[index][0]
        end = span.length if whole else pieces[index][1]
        return Span(span.offset + start, end - start)

    def attr(self, path: Path | Attr) -> Attr:
        if isinstance(path, Attr):
            path = Path(path.segments, path.span)
        cache: dict[tuple[str, ...], _Resolution] = self.schema._paths
        found = cache.get(path.segments)
        if found is None:
            if len(cache) >= _PATH_CACHE:  # distinct map keys must not grow it without end
                cache.clear()
            found = cache[path.segments] = _resolve(path.segments, self.schema)
        if isinstance(found, _PathError):
            raise self.error(
                found.code,
                found.message,
                self.segment_span(path, found.segment, found.whole),
                found.hint,
            )
        return Attr(path.segments, found.hops, found.name, found.key, found.type, path.span)

    def operand(self, node: Operand) -> Attr | Len | Literal:
        if isinstance(node, (Path, Attr)):
            return self.attr(node)
        if isinstance(node, Len):
            attr = self.attr(node.path)
            if attr.type.kind not in LEN_KINDS:
                raise self.error(
                    "operator-not-allowed",
                    f"LEN applies to arrays and maps; {_label(attr)} is {_a(attr.type)}"
                    + _takes(attr.type),
                    node.span,
                    _HINTS.get((attr.type.kind, "LEN")),
                    allowed_operators(attr.type),
                )
            return Len(attr, node.span)
        return node

    # literals

    def convert(self, lit: Literal, type: Type, against: _Against) -> Literal:
        """``lit`` as a value of ``type``; ``against`` names what it is compared with."""
        value = lit.value
        kind = type.kind
        if kind is Kind.STRING:
            if not isinstance(value, str):
                raise self.mismatch(lit, type, against)
            if type.enum is not None and value not in type.enum:
                raise self.error(
                    "bad-literal",
                    f"{value!r} is not one of the values of {_label(against)}",
                    lit.span,
                    "allowed values: " + ", ".join(type.enum),
                    tuple(repr(v) for v in type.enum),
                )
            return lit
        if kind is Kind.INT:
            if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
                raise self.mismatch(lit, type, against)
            if isinstance(value, Decimal):
                raise self.error(
                    "bad-literal",
                    f"{_label(against)} is an integer; {format(value, 'f')} is not",
                    lit.span,
                    "write a whole number",
                )
            return lit
        if kind is Kind.FLOAT:
            if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
                raise self.mismatch(lit, type, against)
            if not _fits_float8(value):  # PostgreSQL: "value out of range: overflow"
                raise self.error(
                    "bad-literal",
                    f"{_label(against)} is a float; {format(value, 'f')[:20]}... is beyond "
                    "its range (about ±1.8e308)",
                    lit.span,
                    "write a number of at most 308 digits",
                )
            return lit
        if kind is Kind.BOOL:
            if not isinstance(value, bool):
                raise self.mismatch(lit, type, against)
            return lit
        if kind is Kind.UUID:
            if isinstance(value, UUID):  # already typed
                return lit
            if not isinstance(value, str):
                raise self.mismatch(lit, type, against)
            uuid = parse_uuid(value)
            if uuid is None:
                raise self.error(
                    "bad-literal",
                    f"{_label(against)} is a UUID; {value!r} is not one",
                    lit.span,
                    "write a UUID such as '7c61626f-ddbe-41af-93f6-b69f4ab6d308'",
                )
            return Literal(uuid, value, lit.span)
        if kind is Kind.TIME:
            if isinstance(value, datetime):
                return lit
            if not isinstance(value, str):
                raise self.mismatch(lit, type, against)
            time = parse_time(value)
            if time is None:
                raise self.error(
                    "bad-literal",
                    f"{_label(against)} is a time; {value!r} is not one",
                    lit.span,
                    "write a time such as '2025-01-07' or '2025-02-18T23:16:34Z' "
                    "(ASCII digits, offsets up to ±15:59)",
                )
            return Literal(time, value, lit.span)
        # json elements of an array: compared as written
        return lit

    def mismatch(self, lit: Literal, type: Type, against: _Against) -> WhereValidationError:
        return self.error(
            "type-mismatch",
            f"{_label(against)} is {_a(type)}; {lit.to_where()} is {_a(_literal_type(lit))}",
            lit.span,
            _literal_hint(type),
        )

    # predicates

    def compare(self, node: Compare) -> Compare:
        left = self.operand(node.left)
        right = self.operand(node.right)
        op = node.op
        if isinstance(left, Literal) and isinstance(right, Literal):
            raise self.error(
                "no-attribute",
                "a comparison needs an attribute on at least one side",
                node.span,
                "compare an attribute with a value, such as Slug = 'x'",
            )
        if op.family in _LEFT_ONLY:
            return self.pattern(node, left, right)
        if isinstance(left, Literal):
            subject = right
            assert not isinstance(subject, Literal)
            self.allow(op, subject, node)
            left = self.convert(left, _type(subject), subject)
        else:
            self.allow(op, left, node)
            if isinstance(right, Literal):
                right = self.convert(right, _type(left), left)
            else:
                self.compatible(left, right)
        return Compare(left, op, right, node.span, node.op_span)

    def allow(self, op: Op, subject: Attr | Len, node: Compare) -> None:
        type = _type(subject)
        if op.family not in OPERATORS[type.kind]:
            raise self.error(
                "operator-not-allowed",
                f"{op.text} does not apply to {_label(subject)}, which is {_a(type)}"
                + _takes(type),
                node.op_span,
                _HINTS.get((type.kind, op.family)),
                allowed_operators(type),
            )

    def compatible(self, left: Attr | Len, right: Attr | Len) -> None:
        a, b = _type(left), _type(right)
        if a.kind is b.kind or (a.kind in _NUMBERS and b.kind in _NUMBERS):
            return
        raise self.error(
            "type-mismatch",
            f"{_label(left)} is {_a(a)} but {_label(right)} is {_a(b)}",
            right.span,
            "compare attributes of the same type",
        )

    def pattern(
        self, node: Compare, left: Attr | Len | Literal, right: Attr | Len | Literal
    ) -> Compare:
        """LIKE, regex and ``?``: an attribute on the left, a literal on the right."""
        op = node.op
        if isinstance(left, Literal):
            assert not isinstance(right, Literal)
            self.allow(op, right, node)
            raise self.error(
                "operator-not-allowed",
                f"{op.text} takes the attribute on its left and a literal on its right",
                node.op_span,
                f"write {right.to_where()} {op.text} {left.to_where()}",
            )
        self.allow(op, left, node)
        type = _type(left)
        if not isinstance(right, Literal):
            raise self.error(
                "type-mismatch",
                f"the right side of {op.text} must be a literal, not an attribute",
                right.span,
                None,
            )
        if op.family is Family.HAS:
            return Compare(left, op, self.element(left, right), node.span, node.op_span)
        value = right.value
        if not isinstance(value, str):
            raise self.mismatch(right, type, f"the pattern of {op.text}")
        if op.family is Family.REGEX:
            problem = _regex_error(value)
            if problem is not None:
                raise self.error(
                    "bad-regex",
                    f"invalid regular expression: {problem}",
                    right.span,
                    "patterns use RE2 syntax (no backreferences or lookaround)",
                )
        elif _like_error(value):
            raise self.error(
                "bad-like-pattern",
                "a LIKE pattern cannot end with a lone backslash",
                right.span,
                "write \\\\ for a backslash, \\% or \\_ for a literal % or _",
            )
        return Compare(left, op, right, node.span, node.op_span)

    def element(self, left: Attr | Len, lit: Literal) -> Literal:
        """The right side of ``?``: an element of the array, a key of the map."""
        assert isinstance(left, Attr)
        type = left.type
        if type.kind is Kind.MAP:
            if not isinstance(lit.value, str):
                raise self.error(
                    "bad-literal",
                    f"{_label(left)} ? takes a key, which is a string; {lit.to_where()} is not",
                    lit.span,
                    f"write {_label(left)} ? '{lit.to_where()}'",
                )
            keys = type.keys
            if keys is not None and keys.kind is Kind.UUID and parse_uuid(lit.value) is None:
                raise self.error(
                    "bad-literal", f"the keys of {_label(left)} are UUIDs; {lit.value!r} is not one", lit.span
                )
            return lit
        assert type.items is not None
        try:
            return self.convert(lit, type.items, ("an element of ", left))
        except WhereValidationError as exc:
            exc.code = "bad-literal"
            raise

    def in_(self, node: In) -> In:
        operand = self.operand(node.operand)
        if isinstance(operand, Literal):
            raise self.error(
                "no-attribute",
                "IN needs an attribute on its left",
                node.operand.span,
                "write Slug IN ('a', 'b')",
            )
        type = _type(operand)
        if type.kind not in IN_KINDS:
            keyword = "NOT IN" if node.negated else "IN"
            raise self.error(
                "operator-not-allowed",
                f"{keyword} does not apply to {_label(operand)}, which is {_a(type)}"
                + _takes(type),
                _in_span(node, operand, self.text),
                _HINTS.get((type.kind, "IN")),
                allowed_operators(type),
            )
        values = tuple(self.convert(v, type, operand) for v in node.values)
        return In(operand, values, node.negated, node.span)

    def is_null(self, node: IsNull) -> IsNull:
        operand = self.operand(node.operand)
        if isinstance(operand, Literal):
            raise self.error(
                "no-attribute",
                "IS NULL tests an attribute, not a literal",
                node.operand.span,
                "write Labels.tier IS NULL",
            )
        return IsNull(operand, node.negated, node.span)

    def predicate(self, node: Compare | In | IsNull) -> Compare | In | IsNull:
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, In):
            return self.in_(node)
        return self.is_null(node)

    def expr(self, node: Expr) -> Expr:
        if isinstance(node, And):
            return And(tuple(self.expr(item) for item in node.items), node.span)
        if isinstance(node, Or):
            return Or(tuple(self.expr(item) for item in node.items), node.span)
        if isinstance(node, Not):
            return Not(self.expr(node.expr), node.span)
        if isinstance(node, Truth):
            return Truth(self.predicate(node.expr), node.value, node.negated, node.span)
        return self.predicate(node)


_LEFT_ONLY = frozenset({Family.LIKE, Family.REGEX, Family.HAS})

# What to write instead, by (kind, operator family or word).
_HINTS: dict[tuple[Kind, object], str] = {
    (Kind.STRING, Family.HAS): "to find a substring, use LIKE '%text%'",
    (Kind.STRING, "LEN"): "to test a string's length, use LIKE with _ (e.g. Slug LIKE '___%')",
    (Kind.ARRAY, Family.EQUALITY): "to test for an element, use ? (e.g. ApprovedBy ? '<id>')",
    (Kind.ARRAY, "IN"): "to test for an element, use ?",
    (Kind.MAP, Family.EQUALITY): "compare one key with Map.key = 'value', or test a key with ?",
    (Kind.MAP, Family.LIKE): "match one key's value with Map.key LIKE 'pattern'",
    (Kind.MAP, "IN"): "compare one key with Map.key IN (...)",
    (Kind.BOOL, Family.ORDER): "compare with = true or = false",
    (Kind.BOOL, "IN"): "compare with = true or = false",
    (Kind.UUID, Family.ORDER): "UUIDs only compare with = and !=",
    (Kind.UUID, Family.LIKE): "UUIDs only compare with =, != and IN",
    (Kind.TIME, "IN"): "compare times with = or a range (>=, <)",
    (Kind.JSON, Family.EQUALITY): "json values can only be tested with IS NULL / IS NOT NULL",
    (Kind.INT, Family.LIKE): "numbers compare with = != < > <= >= and IN",
}


_IN_WORDS = re.compile(r"\s*((?:NOT\s+)?IN)\b", re.IGNORECASE)


def _in_span(node: In, operand: Attr | Len, text: str | None) -> Span:
    """The span of the IN / NOT IN keywords, or of the whole predicate."""
    if text is not None and operand.span != NO_SPAN:
        m = _IN_WORDS.match(text, operand.span.end)
        if m is not None:
            return Span(m.start(1), m.end(1) - m.start(1))
    return node.span


def _takes(type: Type) -> str:
    return "; it takes " + ", ".join(allowed_operators(type))


def _type(node: Attr | Len) -> Type:
    return INT_TYPE if isinstance(node, Len) else node.type


# What a literal is compared with, named only when an error needs it.
_Against = Union[str, Attr, Len, tuple[str, Union[Attr, Len]]]


def _label(node: _Against) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, tuple):
        return node[0] + node[1].to_where()
    return node.to_where()


def _literal_type(lit: Literal) -> Type:
    value = lit.value
    if isinstance(value, bool):
        return Type(Kind.BOOL)
    if isinstance(value, (int, Decimal)):
        return Type(Kind.INT if isinstance(value, int) else Kind.FLOAT)
    return Type(Kind.STRING)


def _literal_hint(type: Type) -> str:
    examples = {
        Kind.STRING: "'text'",
        Kind.INT: "42",
        Kind.FLOAT: "0.75",
        Kind.BOOL: "true or false",
        Kind.UUID: "'7c61626f-ddbe-41af-93f6-b69f4ab6d308'",
        Kind.TIME: "'2025-01-07'",
    }
    example = examples.get(type.kind)
    return f"write a value such as {example}" if example else "compare with IS NULL"


def validate(expr: Expr, schema: Schema | str, *, text: str | None = None) -> Expr:
    """Check ``expr`` against ``schema`` and return its typed tree.

    ``text`` is the input ``expr`` was parsed from, so that errors can show it.

    >>> from wherelang import parse, WhereValidationError
    >>> from wherelang.schema import Schema, Attribute, Type
    >>> s = Schema("Thing", [Attribute("Slug", Type.of("string"))])
    >>> try:
    ...     parse("Slgu = 'x'", schema=s)
    ... except WhereValidationError as err:
    ...     print(err.code, err.position, err.hint)
    unknown-attribute 0 did you mean 'Slug'?
    """
    if type(schema) is not Schema:
        schema = as_schema(schema)  # a ConfigHub entity name is a schema too
    return _Checker(schema, text).expr(expr)
