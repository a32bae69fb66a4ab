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
import sys
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple, Union
from uuid import UUID

import re2

from ._memo import BoundedMemo
from . import strict as strict_rules
from .errors import WhereValidationError, too_deep
from .nodes import (
    NO_SPAN,
    And,
    Attr,
    Compare,
    Expr,
    Family,
    In,
    IsNull,
    JsonStep,
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
    >>> parse_time("2025-01-07 10:00:00").isoformat()
    '2025-01-07T10:00:00+00:00'
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


# --- ConfigHub's rules (the strict level on a catalog schema) -------------------------
#
# REFERENCE.md §2-§9: ConfigHub's parser decides by its data types ("map[string]bool"),
# by the name of a map (its key form) and by its own operator and literal tables, which
# differ from SPEC §2's (it takes IN on bool and time, ordering on bool, any operator on
# JSON). On a catalog schema the strict level applies exactly these; the extended level
# takes what either the rules above or these take.

_PERMISSIONS = "map[string]map[string]map[uuid]bool"
_VALUE_MAPS = frozenset({"map[string]bool", "map[uuid]string", "map[string]uuid"})
_KEYED = frozenset({"map[string]string", *_VALUE_MAPS, _PERMISSIONS})
_LEN_TYPES = _KEYED | {"[]uuid"}
_PATTERN_OPS = frozenset({"LIKE", "NOT LIKE", "ILIKE", "~", "~*", "!~", "!~*"})
_EQ_NULL = frozenset({"=", "!=", "IS NULL", "IS NOT NULL"})
_MAP_OPS = frozenset({"=", "!=", "IN", "NOT IN", "?", "IS NULL", "IS NOT NULL"})
_LETTERS = re.compile(r"[A-Za-z]{1,41}")

#: mapkeys.go: the key form of each map, by the map's name.
HUB_KEY_FORMS: Mapping[str, str] = {
    "Labels": "label", "Annotations": "label", "Facts": "label", "Guards": "name",
    "Values": "values", "ValidationErrors": "gate", "ValidationWarnings": "gate",
    "ValidationPassed": "gate", "ApplyGates": "gate", "ApplyWarnings": "gate",
    "DeleteGates": "label", "DestroyGates": "label", "ValidationTriggerIDs": "gate",
    "ValueTriggerIDs": "values",
}  # fmt: skip

# The message for a map whose name has no key form, by data type.
_NO_KEY_FORM = {
    "map[string]string": "unsupported StringMap {}",
    "map[string]bool": "{} has no key form",
    "map[string]uuid": "unsupported StringUUIDMap {}",
}


def _hub_operator_error(op: str, dt: str, under_len: bool) -> str | None:
    """ConfigHub's validateOperator (§5), in its order; None when ``op`` applies."""
    if op in _PATTERN_OPS and dt not in ("string", "map[string]string", "JSON"):
        return f"invalid operator {op}; string comparison operators are only supported for string attributes"
    if dt == "uuid" and op not in _EQ_NULL:
        return f"invalid operator {op}; only =, !=, IS NULL, and IS NOT NULL are supported for UUID comparisons"
    if not under_len and dt in _VALUE_MAPS and op not in _MAP_OPS:
        return (f"invalid operator {op}; only =, !=, IN, NOT IN, ?, IS NULL, and IS NOT NULL are "
                "supported for boolean/UUID map comparisons")  # fmt: skip
    if not under_len and dt == _PERMISSIONS and op != "?":
        return f"invalid operator {op}; only ? is supported for Permissions containment expressions"
    if op == "?" and dt not in _KEYED and dt not in ("[]uuid", "JSON"):
        return "? is only supported for array and map containment expressions"
    if not under_len and dt == "[]uuid" and op != "?":
        return f"invalid operator {op}; only ? is supported for array comparisons"
    return None


def hub_uuid(text: str) -> UUID | None:
    """A UUID as google/uuid's Parse reads it (§6): canonical, urn:uuid:, any one character
    either side of the canonical form, or 32 hex digits."""
    size = len(text)
    if size == 45 and text[:9].lower() == "urn:uuid:":
        text = text[9:]
    elif size == 38:
        text = text[1:37]
    elif size == 32 and re.fullmatch(r"[0-9a-fA-F]{32}", text):
        return UUID(text)
    return parse_uuid(text)


def _literal_kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, Decimal):
        return "float"
    return "string"


# The hint of a ConfigHub rejection that has no more particular one.
_HUB_HINTS = {
    "unknown-attribute": "see confighub.schema(...).filterable for the names the server knows",
    "list-reference": "write Prefix.*.Attr for a list of references, Prefix.Attr for one",
    "bad-key": "see REFERENCE.md §4 for the key form of each map",
    "bad-json-path": "a JSON path holds keys, indexes, *, ?key=value and one .| split",
    "bad-literal": "write a literal of the attribute's type",
    "type-mismatch": "write a literal or attribute of the left side's type",
    "bad-operand": "compare with a literal or a plain attribute of the same type",
    "operator-not-allowed": "see REFERENCE.md §5 for the operators of each type",
    "bad-path": "only maps and JSON attributes take a key or path after a dot",
    "bad-name": "attribute names are letters only, 1 to 41 of them",
}


class _HubTarget(NamedTuple):
    attr: Attr
    data_type: str


class _HubChecker(_Checker):
    """ConfigHub's parser on a catalog schema (REFERENCE.md §2-§9)."""

    __slots__ = ()

    def fail(self, code: str, message: str, span: Span, hint: str | None = None) -> WhereValidationError:
        return self.error(code, message, span, hint or _HUB_HINTS.get(code))

    def target(self, path: Path | Attr, *, left: bool, under_len: bool = False) -> _HubTarget:
        """Resolve a path by ConfigHub's rules (§2, §4, §9)."""
        # The same paths recur in every query, and what one resolves to depends only on
        # the schema, its segments and where it stands: resolutions that succeed are kept
        # per schema (beside the general rules' in Schema._paths), without their span.
        cache: BoundedMemo[tuple[bool, bool, tuple[str, ...]], _HubTarget] | None = self.schema.__dict__.get("_hub_paths")
        if cache is None:
            cache = BoundedMemo(_PATH_CACHE)  # distinct map keys must not grow it without end
            object.__setattr__(self.schema, "_hub_paths", cache)
        key = (left, under_len, path.segments)
        found = cache.get(key)
        if found is None:
            found = cache.remember(key, self.resolve(path, left=left, under_len=under_len))
        a = found.attr
        return _HubTarget(Attr(a.segments, a.hops, a.name, a.key, a.type, path.span, a.each, a.json), found.data_type)

    def resolve(self, path: Path | Attr, *, left: bool, under_len: bool) -> _HubTarget:
        """:meth:`target`, uncached."""
        from . import confighub

        segments = path.segments
        span = path.span
        schema = self.schema
        entity = schema
        hops: tuple[str, ...] = ()
        each = False
        at = 0  # the index of the attribute's name
        qualified: str | None = None
        if len(segments) >= 2:
            prefix, star = segments[0], segments[1] == "*"
            relation = schema.relations.get(prefix)
            after = segments[2] if star and len(segments) > 2 else "<attribute>"
            if prefix == schema.name:
                if star:
                    raise self.fail("list-reference", f"`{prefix}` is the entity being filtered, not "
                                    f"a list; use `{prefix}.{after}`", span)  # fmt: skip
                at = 1
            elif (relation is not None and relation.includable
                  and (star or prefix not in confighub.keyed_maps())):  # fmt: skip
                if star and not relation.many:
                    raise self.fail("list-reference", f"`{prefix}` is not a list, so "
                                    f"`{prefix}.*.{after}` does not apply; use `{prefix}.{after}`",
                                    span)  # fmt: skip
                if not star and relation.many:
                    name = segments[1]
                    raise self.fail(
                        "list-reference",
                        f"`{prefix}` is a list, so `{prefix}.{name}` does not name a single value; "
                        f"use `{prefix}.*.{name}` to match when any element does, or filter the "
                        f"ids with `{relation.via} ? '<uuid>'`",
                        span, f"write {prefix}.*.{name}",
                    )  # fmt: skip
                related = schema.related(prefix)
                if related is None:
                    raise self.fail("unknown-attribute",
                                    f"unrecognized entity type `{relation.entity}`", span)  # fmt: skip
                entity, hops, each, at = related, (prefix,), star, 2 if star else 1
            elif not star and left and f"{prefix}.{segments[1]}" in schema.attributes:
                qualified, at = f"{prefix}.{segments[1]}", 1
        if at >= len(segments):
            raise self.fail("bad-name", f"invalid attribute name at `{'.'.join(segments)}`", span)
        name = segments[at]
        if _LETTERS.fullmatch(name) is None:
            raise self.fail("bad-name", f"invalid attribute name at `{'.'.join(segments[at:])}`",
                            self.segment_span(path, at, True) if isinstance(path, Path) else span,
                            "attribute names are letters only, 1 to 41 of them")  # fmt: skip
        full = qualified or name
        attr = entity.attributes.get(full)
        if attr is None or not attr.filterable:
            raise self.fail("unknown-attribute",
                            f"unrecognized attribute name `{full}`",
                            self.segment_span(path, at, False) if isinstance(path, Path) else span,
                            self.suggestion(full, entity, segments, at))  # fmt: skip
        dt = confighub.data_type(entity, full) or ""
        rest = segments[at + 1 :]
        type = attr.type
        key: str | None = None
        json: tuple[JsonStep, ...] = ()
        if not left:
            written = ".".join(segments)
            if dt in _KEYED:
                raise self.fail("bad-operand", f"{full} must be the first expression operand", span,
                                "a map is compared through its key, on the left")  # fmt: skip
            if each:
                raise self.fail("list-reference", f"`{written}` is a list and cannot be the "
                                "right-hand operand; compare against a literal", span)  # fmt: skip
            if rest:
                raise self.fail("bad-operand", f"no valid operand found at `{written}`: keys and "
                                "paths are not accepted on the right", span)  # fmt: skip
        if rest:
            key_span = self.segment_span(path, at + 1, True) if isinstance(path, Path) else span
            remaining = ".".join(rest)
            if dt == "JSON":
                json, problem = strict_rules.parse_json_path(rest, name)
                if problem is not None:
                    raise self.fail("bad-json-path", problem, key_span)
            elif dt == _PERMISSIONS:
                if _LETTERS.fullmatch(rest[0]) is None:
                    raise self.fail("bad-key", f"invalid Permissions action key at {remaining}", key_span)
                if len(rest) > 2 or len(rest) == 2 and _LETTERS.fullmatch(rest[1]) is None:
                    raise self.fail("bad-key", f"invalid Permissions nested field at {'.'.join(rest[1:])}", key_span)
                if len(rest) == 2 and rest[1] != "UserIDs":
                    raise self.fail("bad-key", f"unsupported Permissions field {rest[1]}; only "
                                    "UserIDs is supported", key_span)  # fmt: skip
                if len(rest) == 1 and not under_len:
                    raise self.fail("bad-key", "Permissions requires .<action>.UserIDs syntax for "
                                    "containment expressions", key_span,
                                    f"write Permissions.{rest[0]}.UserIDs ? '<uuid>'")  # fmt: skip
                key = rest[0]
                assert type.values is not None and type.values.values is not None
                type = type.values.values
            elif dt in _KEYED:
                if under_len:
                    raise self.fail("bad-key", f"expected `)` to close LEN at `.{remaining})`", key_span,
                                    "LEN takes the whole map, without a key")  # fmt: skip
                form = "uuid" if dt == "map[uuid]string" else HUB_KEY_FORMS.get(name)
                if form is None:
                    raise self.fail("bad-key", _NO_KEY_FORM[dt].format(name), key_span,
                                    f"test the keys of {name} with ? instead")  # fmt: skip
                if strict_rules.key_error(form, remaining):
                    raise self.fail("bad-key", f"invalid {name} key at {remaining}", key_span,
                                    f"{name} keys are {strict_rules.KEY_WORDS[form]}")  # fmt: skip
                key = remaining
                assert type.values is not None
                type = type.values
            else:
                raise self.fail("bad-path", f"invalid operator at `.{remaining}`", key_span,
                                f"{full} is {_a(type)}; only maps and JSON take a key after a dot")  # fmt: skip
        elif dt == _PERMISSIONS and not under_len:
            raise self.fail("bad-key", "Permissions requires .<action>.UserIDs syntax for "
                            "containment expressions", span,
                            "write Permissions.<Action>.UserIDs ? '<uuid>'")  # fmt: skip
        found = Attr(segments, hops, full, key, type, span, each, json)
        return _HubTarget(found, dt)

    def suggestion(
        self, name: str, schema: Schema, segments: tuple[str, ...] = (), at: int = 0
    ) -> str | None:
        guess = _suggest(name, schema)
        if guess is None:
            return None
        written = ".".join((*segments[:at], guess, *segments[at + 1 :])) if segments else guess
        return f"did you mean {written!r}?"

    def left(self, node: Operand) -> tuple[Attr | Len, str, bool]:
        """The left side: an attribute or LEN of one, its data type, whether LEN."""
        if isinstance(node, Len):
            found = self.target(node.path, left=True, under_len=True)
            if found.data_type not in _LEN_TYPES:
                raise self.fail("operator-not-allowed", f"length not supported for attribute "
                                f"`{found.attr.name}` of type {found.data_type}", node.span,
                                "LEN applies to maps and lists of ids")  # fmt: skip
            return Len(found.attr, node.span), found.data_type, True
        if isinstance(node, Literal):
            raise self.fail("no-attribute", "invalid attribute name: a literal cannot be on the left",
                            node.span, "the attribute comes first")  # fmt: skip
        found = self.target(node, left=True)
        return found.attr, found.data_type, False

    def operator(self, op: str, dt: str, under_len: bool, span: Span, subject: Attr | Len) -> None:
        problem = _hub_operator_error(op, dt, under_len)
        if problem is not None:
            raise self.fail("operator-not-allowed", problem, span,
                            f"{_label(subject)} is a {dt}")  # fmt: skip

    def literal(self, lit: Literal, dt: str, op: str, under_len: bool) -> Literal:
        """ConfigHub's literal rules (§6): the literal as the typed tree holds it."""
        value = lit.value
        kind = _literal_kind(value)
        if under_len:
            dt = "int"
        if dt == "JSON" or (dt == _PERMISSIONS and kind == "string"):
            return lit
        if kind == "string" and dt in ("map[string]string", "map[string]bool", "map[uuid]string"):
            return lit
        if dt == "[]uuid" and kind == "string":
            assert isinstance(value, str)
            found = hub_uuid(value)
            return lit if found is None else Literal(found, value, lit.span)
        if dt == "map[string]bool" and kind == "bool":
            return lit
        if dt == "time" and kind == "string":
            assert isinstance(value, str)
            time = parse_time(value)
            if time is None:
                raise self.fail("bad-literal", f"invalid time literal \"{value}\": expected a date such "
                                "as '2025-02-18', or a time such as '2025-02-18T23:16:34' or "
                                "'2025-02-18T23:16:34Z'", lit.span)  # fmt: skip
            return Literal(time, value, lit.span)
        if (dt == "uuid" or dt == "map[string]uuid" and op != "?") and kind == "string":
            assert isinstance(value, str)
            found = hub_uuid(value)
            if found is None:
                raise self.fail("bad-literal", f"expected a UUID literal, got {lit.to_where()}", lit.span,
                                "write a UUID such as '7c61626f-ddbe-41af-93f6-b69f4ab6d308'")  # fmt: skip
            return Literal(found, value, lit.span)
        if dt == "map[string]uuid" and kind == "string":
            return lit
        if kind != dt:
            raise self.fail("type-mismatch", f"expected {dt} literal, got {kind}", lit.span,
                            _literal_hint(Type(Kind(dt))) if dt in ("string", "int", "bool") else None)  # fmt: skip
        return lit

    def compare(self, node: Compare) -> Compare:
        left, dt, under_len = self.left(node.left)
        op = node.op.text
        self.operator(op, dt, under_len, node.op_span, left)
        right = node.right
        if isinstance(right, Literal):
            return Compare(left, node.op, self.literal(right, dt, op, under_len), node.span, node.op_span)
        if isinstance(right, Len):
            raise self.fail("bad-operand", "unrecognized attribute name `LEN`", right.span)
        other = self.target(right, left=False)
        expected = "int" if under_len else dt
        if other.data_type != expected:
            raise self.fail("type-mismatch", f"attribute {other.attr.name} is not of type {expected}",
                            right.span, "compare attributes of the same type")  # fmt: skip
        return Compare(left, node.op, other.attr, node.span, node.op_span)

    def in_(self, node: In) -> In:
        operand, dt, _ = self.left(node.operand)
        words = {"string": "string", "int": "integer", "bool": "boolean"}
        if dt in ("int",):
            want = "int"
        elif dt in ("bool", "map[string]bool"):
            want = "bool"
        elif dt in ("[]uuid", _PERMISSIONS):
            raise self.fail("operator-not-allowed", f"IN clause is not supported for column type {dt}",
                            _in_span(node, operand, self.text), "test the ids with ?")  # fmt: skip
        else:
            want = "string"
        values = []
        for lit in node.values:
            kind = _literal_kind(lit.value)
            if kind != want:
                raise self.fail("type-mismatch", f"invalid {words[want]} IN clause value "
                                f"`{lit.to_where()}`", lit.span)  # fmt: skip
            value = lit.value
            if dt in ("uuid", "map[string]uuid"):
                assert isinstance(value, str)
                found = hub_uuid(value)
                if found is None:
                    raise self.fail("bad-literal", f"invalid UUID IN clause value `{lit.to_where()}`",
                                    lit.span)  # fmt: skip
                lit = Literal(found, value, lit.span)
            elif dt == "time":
                lit = self.literal(lit, "time", "IN", False)
            values.append(lit)
        return In(operand, tuple(values), node.negated, node.span)

    def is_null(self, node: IsNull) -> IsNull:
        operand, dt, under_len = self.left(node.operand)
        word = "IS NOT NULL" if node.negated else "IS NULL"
        self.operator(word, dt, under_len, node.span, operand)
        return IsNull(operand, node.negated, node.span)


def validate(
    expr: Expr, schema: Schema | str, *, text: str | None = None, extended: bool = True
) -> Expr:
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
    try:
        return _validate(expr, schema, text, extended)
    except RecursionError:  # a tree built in code: parse() refuses such nesting
        raise too_deep(WhereValidationError, "check") from None


def _validate(expr: Expr, schema: Schema, text: str | None, extended: bool) -> Expr:
    """:func:`validate` of a :class:`Schema`."""
    # wherelang.confighub is imported by whoever uses it, not by import wherelang: until
    # it is, no schema is of its catalog (and no import statement runs per call).
    confighub = sys.modules.get("wherelang.confighub")
    if confighub is None or not confighub.is_catalog(schema):
        return _Checker(schema, text).expr(expr)
    if not extended:
        try:
            return _HubChecker(schema, text).expr(expr)
        except WhereValidationError as exc:
            try:
                _Either(schema, text).expr(expr)
            except WhereValidationError:
                raise exc from None
            note = "extended=True accepts it"
            exc.hint = f"{exc.hint}; {note}" if exc.hint else note
            raise
    return _Either(schema, text).expr(expr)


class _Either(_Checker):
    """The extended level on a catalog schema: what the general rules or ConfigHub's take."""

    __slots__ = ()

    def predicate(self, node: Compare | In | IsNull) -> Compare | In | IsNull:
        # The general rules first; ConfigHub's where they fail, and first for the forms
        # they would read otherwise than ConfigHub (Permissions, `*`, the entity's own
        # name), so that what strict accepts means the same here.
        hub = _HubChecker(self.schema, self.text)
        if self.hub_first(node):
            try:
                return hub.predicate(node)
            except WhereValidationError:
                pass
        try:
            return super().predicate(node)
        except WhereValidationError as exc:
            if exc.code in ("bad-regex", "bad-like-pattern", "no-attribute"):
                raise  # wrong whatever the table says
            try:
                return hub.predicate(node)
            except WhereValidationError as other:
                raise (other if exc.code in ("unknown-attribute", "bad-path") else exc) from None

    def hub_first(self, node: Compare | In | IsNull) -> bool:
        operands = (node.left, node.right) if isinstance(node, Compare) else (node.operand,)
        for operand in operands:
            path = operand.path if isinstance(operand, Len) else operand
            if isinstance(path, (Path, Attr)):
                segments = path.segments
                if "*" in segments or segments[0] in ("Permissions", self.schema.name):
                    return True
        return False
