"""In-memory evaluation: a checked where expression becomes a fast Python predicate.

The answers are PostgreSQL's (SPEC §3), to the last NULL: three-valued logic, code-point
string order, anchored LIKE with backslash escapes, ILIKE through PostgreSQL's per-character
``lower()``, unanchored RE2 regular expressions, times as instants, UUIDs in any letter
case. ``tests/test_eval_postgres.py`` holds the evaluator to a real PostgreSQL.

A typed tree is compiled once into the source of one Python function. Only names this
module chooses and fixed templates become source text; every value (attribute names, map
keys, literals, patterns) is bound as a constant, and strings and integers are then
written as literals with ``repr()`` (a constant load is cheaper than a global one), so no
user text can become code: ``tests/test_evaluate.py::test_no_user_text_becomes_code``
tokenizes the source. The function does no dispatch on node types per entity.

>>> import wherelang
>>> from wherelang.schema import Schema, Attribute, Type
>>> s = Schema("Unit", [Attribute("Slug", Type.of("string")),
...                     Attribute("Labels", Type.of({"type": "map", "values": "string"}))])
>>> p = wherelang.compile("Labels.tier != 'db' AND Slug LIKE 'app-%'", schema=s)
>>> p({"Slug": "app-1", "Labels": {"tier": "web"}}), p({"Slug": "app-2", "Labels": {}})
(True, False)
"""

from __future__ import annotations

import builtins
import heapq
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import re2

from ._memo import BoundedMemo
from .errors import WhereEvaluationError, not_text, too_deep
from .nodes import (
    And,
    Attr,
    Compare,
    Expr,
    Family,
    In,
    IsNull,
    Len,
    Literal,
    Node,
    Not,
    Op,
    Operand,
    Or,
    Path,
    Truth,
    walk,
)
from . import jsonpath
from .regex import pg_iregex
from .schema import NEEDS_A_SCHEMA, Kind, Schema, Type, as_schema
from .times import read_time

__all__ = ["compile", "filter", "Predicate", "Resolver", "pg_lower", "parse_entity_time"]

T = TypeVar("T")

#: ``resolver(entity, relation_field) -> related entity or None``: how a path such as
#: ``Space.Labels.env`` finds the Space of an entity that does not carry it.
Resolver = Callable[[Any, str], Any]

_UTC = timezone.utc


# --- values as PostgreSQL sees them ---------------------------------------------------

# PostgreSQL's lower() maps each character on its own (towlower). Python's str.lower()
# differs only for U+0130 (full mapping 'i̇') and capital sigma (final-sigma rule).
_LOWER_FIXES = {0x130: "i", 0x3A3: "σ"}


def pg_lower(text: str) -> str:
    """Lower-case ``text`` as PostgreSQL's ``lower()`` does in a UTF-8 database.

    One character at a time with its simple lowercase mapping: the length never changes,
    'ΟΔΟΣ' ends in 'σ' (no final-sigma rule), 'İ' becomes 'i', and 'ß' stays.

    >>> pg_lower("İSTANBUL ΟΔΟΣ Straße")
    'istanbul οδοσ straße'
    """
    if text.isascii():
        return text.lower()
    return text.translate(_LOWER_FIXES).lower()


class _NaN(float):
    """float8's NaN as PostgreSQL orders it: equal to itself, above every number."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, float) and math.isnan(other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __lt__(self, other: object) -> bool:
        return False

    def __le__(self, other: object) -> bool:
        return self.__eq__(other)

    def __gt__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __ge__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0x7FF8


_NAN = _NaN("nan")


def _float8(value: int | float | Decimal) -> Any:
    """A number compared as float8, as PostgreSQL casts bigint to float8 against a float.

    An int or Decimal beyond float8's range (a JSON integer of 400 digits) stays exact:
    Python compares int and Decimal with float exactly, as PostgreSQL's numeric would,
    where float() would raise OverflowError or give infinity.
    """
    try:
        f = float(value)
    except OverflowError:  # an int beyond float8
        return value
    if f != f:
        return _NAN
    if isinstance(value, Decimal) and math.isinf(f) and value.is_finite():
        return value
    return f


def parse_entity_time(text: str) -> datetime | None:
    """An ISO-8601 time as an entity holds it, as PostgreSQL's ``timestamptz`` reads it:
    :func:`wherelang.times.read_time`, the reader literals and ``sql.row()`` share.

    No offset means UTC. None when PostgreSQL would reject it.

    >>> parse_entity_time("2025-02-18 23:16:34.1234565+05:30").isoformat()
    '2025-02-18T17:46:34.123456+00:00'
    >>> parse_entity_time("2025-01-01T23:59:60Z").isoformat()
    '2025-01-02T00:00:00+00:00'
    >>> parse_entity_time("2025-02-30") is None
    True
    """
    return read_time(text)


_fromisoformat = datetime.fromisoformat
# The shape JSON APIs write, where datetime.fromisoformat reads what PostgreSQL reads.
_COMMON_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[+-](?:0[0-9]|1[0-5]):[0-5][0-9])?"
)
# The generated fast path tests a narrower shape with slices instead: the length, then
# the separators at 4, 7, 10, 13 and 16 ('T' between date and time: the space goes the
# way above) and 'Z' at 19 in one slice, or, 25 long, the separators and an offset of
# the same range. A slice costs some five len() calls (it makes a string), so the
# length comes first; the slices are constants (a slice literal is built each time).
_FAST_TIME_SHAPES = (
    slice(4, 20, 3),
    "--T::Z",
    slice(4, 17, 3),
    "--T::",
    slice(19, 24),
    frozenset(f"{sign}{hour:02d}:{tens}" for sign in "+-" for hour in range(16) for tens in range(6)),
)


def _iso_time(text: str) -> datetime | None:
    """:func:`parse_entity_time`, faster for the shape JSON APIs write
    (``2025-02-18T23:16:34[.123456][Z|+01:00]``)."""
    if _COMMON_TIME.fullmatch(text) is not None:
        try:
            value = _fromisoformat(text)
        except ValueError:  # 24:00, a leap second, February 30th
            return parse_entity_time(text)
        return value if value.tzinfo is not None else value.replace(tzinfo=_UTC)
    return parse_entity_time(text)


_UUID_TEXT = re.compile(r"(\{)?[0-9a-f]{4}(?:-?[0-9a-f]{4}){7}(?(1)\})")


def _uuid_text(text: str) -> str | None:
    """A UUID string in any form PostgreSQL's uuid input takes, canonical lower case."""
    lowered = text.lower()
    if _UUID_TEXT.fullmatch(lowered) is None:
        return None
    digits = lowered.strip("{}").replace("-", "")
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


# --- normalizers: an entity's value as the canonical Python value of its kind ---------
#
# Each takes (value, label) and returns the canonical value, or None for NULL. A value of
# the wrong type is NULL, or raises _Wrong under strict evaluation.


class _Wrong(Exception):
    """An entity value that does not fit its declared type (strict evaluation)."""

    def __init__(self, label: Attr, value: object, kind: str) -> None:
        super().__init__(label, value, kind)
        self.label = label
        self.value = value
        self.kind = kind


_CACHE_LIMIT = 1 << 16
# Parsed entity UUID strings, shared by all predicates: the same IDs recur.
_uuid_cache: BoundedMemo[str, str] = BoundedMemo(_CACHE_LIMIT)


class _Normalizers:
    """The normalizer of each kind, lenient (wrong type = NULL) or strict (raise)."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict

    def wrong(self, value: object, label: Attr, kind: str) -> Any:
        """NULL for a value of the wrong type (strict: raise)."""
        if self.strict:
            raise _Wrong(label, value, kind)
        return None

    def string(self, v: object, label: Attr) -> Any:
        if v is None:
            return None
        if isinstance(v, Enum):
            v = v.value
        if isinstance(v, str):
            return str.__str__(v)
        return self.wrong(v, label, "a string")

    def integer(self, v: object, label: Attr) -> Any:
        if v is None:
            return None
        if isinstance(v, Enum):
            v = v.value
        if isinstance(v, bool):
            return self.wrong(v, label, "an integer")
        if isinstance(v, int):
            return int(v)
        if isinstance(v, (float, Decimal)) and v == v and v not in (float("inf"), float("-inf")):
            if v == int(v):
                return int(v)
        return self.wrong(v, label, "an integer")

    def number(self, v: object, label: Attr) -> Any:
        if v is None:
            return None
        if isinstance(v, Enum):
            v = v.value
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            return _float8(v)
        return self.wrong(v, label, "a number")

    def boolean(self, v: object, label: Attr) -> Any:
        if v is None or v is True or v is False:
            return v
        return self.wrong(v, label, "a boolean")

    def uuid(self, v: object, label: Attr) -> Any:
        if v is None:
            return None
        if type(v) is str:
            found = _uuid_cache.get(v)
            if found is None:
                found = _uuid_text(v)
                if found is None:
                    return self.wrong(v, label, "a UUID")
                _uuid_cache.remember(v, found)
            return found
        if isinstance(v, UUID):
            return str(v)
        if isinstance(v, str):
            return self.uuid(str.__str__(v), label)
        return self.wrong(v, label, "a UUID")

    def time(self, v: object, label: Attr) -> Any:
        if v is None:
            return None
        if type(v) is str:
            found = _iso_time(v)
            if found is None:
                return self.wrong(v, label, "an ISO-8601 time")
            return found
        if isinstance(v, datetime):
            return v if v.tzinfo is not None else v.replace(tzinfo=_UTC)
        if isinstance(v, date):
            return datetime(v.year, v.month, v.day, tzinfo=_UTC)
        return self.wrong(v, label, "a time")

    def array(self, v: object, label: Attr) -> Any:
        if v is None or type(v) is list:
            return v
        if isinstance(v, (list, tuple, set, frozenset)):
            return list(v)
        return self.wrong(v, label, "an array")

    def mapping(self, v: object, label: Attr) -> Any:
        if v is None or type(v) is dict:
            return v
        if isinstance(v, Mapping):
            return v
        return self.wrong(v, label, "a map")

    def json(self, v: object, label: Attr) -> object:
        return v

    def for_kind(self, kind: Kind) -> Callable[[object, Attr], Any]:
        table: dict[Kind, Callable[[object, Attr], Any]] = {
            Kind.STRING: self.string,
            Kind.INT: self.integer,
            Kind.FLOAT: self.number,
            Kind.BOOL: self.boolean,
            Kind.UUID: self.uuid,
            Kind.TIME: self.time,
            Kind.JSON: self.json,
            Kind.ARRAY: self.array,
            Kind.MAP: self.mapping,
        }
        return table[kind]

    def map_value(self, m: object, key: str, label: Attr) -> object:
        """The value under ``key`` of a map (None: absent, or the map is NULL).

        Strict: the map must be a Mapping. Lenient, as the generated fast version reads
        it, ``(m or {}).get(key)``: an empty or false value has no keys, and whatever
        has a working get method is read through it; anything else is NULL."""
        if self.strict:
            found = self.mapping(m, label)
            return None if found is None else found.get(key)
        if type(m) is dict:
            return m.get(key)
        try:
            return m.get(key) if m else None  # type: ignore[attr-defined]
        except (AttributeError, TypeError, ValueError):  # no get; no truth value (numpy)
            return self.wrong(m, label, "a map")

    def length(self, v: object, label: Attr) -> Any:
        """LEN: the size of an array or map; a missing one has 0."""
        if v is None:
            return 0
        if isinstance(v, (list, tuple, set, frozenset, Mapping)):
            return len(v)
        return self.wrong(v, label, "an array or map")


_NO_KEYS: dict[str, object] = {}  # what the fast version reads a NULL or empty map as
_LENIENT = _Normalizers(False)
_STRICT = _Normalizers(True)


# --- entities: dicts, pydantic models, dataclasses, plain objects ----------------------


def _none(name: str) -> None:
    return None


@lru_cache(maxsize=1024)
def _field_names(cls: type) -> Mapping[str, str]:
    """Attribute names users type (pydantic aliases) -> Python attribute names."""
    names: dict[str, str] = {}
    model_fields = getattr(cls, "model_fields", None)
    if isinstance(model_fields, Mapping):
        for field_name, info in model_fields.items():
            for alias in (
                getattr(info, "serialization_alias", None),
                getattr(info, "validation_alias", None),
                getattr(info, "alias", None),
            ):
                if isinstance(alias, str) and alias != field_name:
                    names.setdefault(alias, field_name)
    elif is_dataclass(cls):
        for f in fields(cls):
            names[f.name] = f.name
    return names


def _getter(entity: object) -> Callable[[str], Any]:
    """``name -> value`` for any kind of entity; None for an absent attribute.

    An entity with a ``get`` method (a dict, any Mapping) is read through it, the way
    the generated code reads one directly (see _Generator.function); any other by
    attribute."""
    if isinstance(entity, Mapping):
        get: Callable[[str], Any] = entity.get
        return get
    if entity is None or isinstance(entity, (str, bytes, int, float, list, tuple)):
        return _none
    method: Callable[[str], Any] | None = getattr(entity, "get", None)
    if callable(method):
        return method
    names = _field_names(type(entity))  # type: ignore[arg-type]

    def get_attribute(name: str) -> Any:
        return getattr(entity, names.get(name, name), None)

    return get_attribute


def _is_entity(value: object) -> bool:
    return value is not None and not isinstance(
        value, (str, bytes, int, float, Decimal, list, tuple, set, frozenset, UUID, datetime)
    )


class _View:
    """A non-dict entity (or an extended response) seen like a dict: ``get(name)``."""

    __slots__ = ("entity", "wrapper", "get")

    def __init__(self, entity: object, wrapper: object = None) -> None:
        self.entity = entity
        self.wrapper = wrapper
        self.get = _getter(entity)


# (the name an extended response holds the entity under, the entity's own attribute
# names): see extended_entity.
SelfKey = tuple[str, frozenset[str]]


def self_key(schema: Schema | None) -> SelfKey | None:
    """How an extended response of ``schema``'s entities is recognised (None: it has none)."""
    if schema is None or schema.name in schema.attributes or schema.name in schema.relations:
        return None
    return schema.name, frozenset(schema.attributes) - frozenset(schema.relations)


def extended_entity(entity: object, key: SelfKey | None) -> object | None:
    """The entity an extended response (``{"Unit": {...}, "Space": {...}}``) holds, or
    None when ``entity`` is not one.

    It is one when it holds an entity under the entity's name and none of the entity's
    own attributes (a dict with the key ``Slug``, even null, is a Unit itself). The
    second half is what lets a predicate read a plain dict directly and look for the
    name only when an attribute it reads is missing (see _Generator.missing)."""
    if key is None:
        return None
    name, own = key
    if isinstance(entity, Mapping):
        inner: object = entity.get(name)
        if not _is_entity(inner) or not own.isdisjoint(entity.keys()):
            return None
        return inner
    get = _getter(entity)
    inner = get(name)
    if not _is_entity(inner) or any(get(attribute) is not None for attribute in own):
        return None
    return inner


class _Redo(Exception):
    """A plain dict turned out to be an extended response: evaluate it exactly."""


def _absent_reader(key: SelfKey) -> Callable[[dict[str, Any]], None]:
    """The value of an attribute a plain dict lacks: NULL, unless the dict is an
    extended response, which the exact predicate reads instead."""
    name = key[0]

    def absent(entity: dict[str, Any]) -> None:
        if name in entity and extended_entity(entity, key) is not None:
            raise _Redo
        return None

    return absent


def _view(entity: object, key: SelfKey | None) -> Any:
    """What the generated code reads attributes from: the dict itself, or a _View.

    An extended response (see extended_entity) is seen as the entity it holds,
    remembering the response for related entities."""
    inner = extended_entity(entity, key)
    if inner is not None:
        return _View(inner, entity)
    if type(entity) is dict:
        return entity
    return _View(entity)


_NO_ENTITY: Mapping[str, Any] = {}  # a related entity that was not found: all NULL


def _hop_getter(resolver: Resolver | None) -> Callable[[Any, tuple[str, ...]], Any]:
    def related(seen: Any, hops: tuple[str, ...]) -> Any:
        """The entity reached through ``hops``, seen like a dict (empty if not found)."""
        if type(seen) is _View:
            current, wrapper = seen.entity, seen.wrapper
        else:
            current, wrapper = seen, None
        for i, hop in enumerate(hops):
            found = _getter(current)(hop)
            if found is None and i == 0 and wrapper is not None:
                found = _getter(wrapper)(hop)
            if found is None and resolver is not None:
                found = resolver(current, hop)
            if not _is_entity(found):
                return _NO_ENTITY
            current = found
        return current if type(current) is dict else _View(current)

    return related


# --- matchers for LIKE and regular expressions ------------------------------------------

_ANY = object()  # '_' in a LIKE pattern


def _like_parts(pattern: str) -> list[list[object]]:
    """The pattern split at unescaped '%': lists of characters and _ANY."""
    parts: list[list[object]] = [[]]
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            ch = next(chars, "")
            if ch == "":
                raise ValueError("LIKE pattern ends with an escape character")
            parts[-1].append(ch)
        elif ch == "%":
            parts.append([])
        elif ch == "_":
            parts[-1].append(_ANY)
        else:
            parts[-1].append(ch)
    return parts


def _like_matcher(pattern: str) -> Callable[[str], bool]:
    """A function telling whether a string matches the LIKE ``pattern`` (anchored)."""
    parts = _like_parts(pattern)
    if any(_ANY in part for part in parts):
        pieces = []
        for i, part in enumerate(parts):
            if i:
                pieces.append(".*")
            pieces.extend("." if c is _ANY else re2.escape(str(c)) for c in part)
        return _regex_matcher("".join(pieces), anchored=True)
    texts = ["".join(str(c) for c in part) for part in parts]
    if len(texts) == 1:
        whole = texts[0]
        return whole.__eq__
    prefix, middles, suffix = texts[0], [t for t in texts[1:-1] if t], texts[-1]
    least = len(prefix) + len(suffix) + sum(len(t) for t in middles)
    if not middles:
        if not suffix:
            return lambda s: s.startswith(prefix)
        if not prefix:
            return lambda s: s.endswith(suffix)
        return lambda s: len(s) >= least and s.startswith(prefix) and s.endswith(suffix)
    if not prefix and not suffix and len(middles) == 1:
        middle = middles[0]
        return lambda s: middle in s

    def match(s: str) -> bool:
        # Greedy leftmost search for each middle part is exact for patterns of '%' only.
        if len(s) < least or not s.startswith(prefix) or not s.endswith(suffix):
            return False
        pos, end = len(prefix), len(s) - len(suffix)
        for part in middles:
            found = s.find(part, pos, end)
            if found < 0:
                return False
            pos = found + len(part)
        return True

    return match


def _regex_options(case_sensitive: bool) -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    options.dot_nl = True  # PostgreSQL's '.' matches a newline
    options.never_capture = True
    options.case_sensitive = case_sensitive
    return options


def _regex_matcher(
    pattern: str, *, anchored: bool = False, case_sensitive: bool = True
) -> Callable[[str], bool]:
    """An RE2 search (or, anchored, full match) as a ``str -> bool`` function."""
    options = _regex_options(case_sensitive)
    low = getattr(re2, "_re2", None)
    if low is not None and hasattr(low, "Set"):
        anchor = low.RE2.Anchor.ANCHOR_BOTH if anchored else low.RE2.Anchor.UNANCHORED
        regex_set = low.Set(anchor, options)
        if regex_set.Add(pattern.encode("utf-8")) != 0 or not regex_set.Compile():
            raise ValueError(f"invalid regular expression {pattern!r}")
        set_match = regex_set.Match

        def matches(s: str) -> bool:
            try:
                return bool(set_match(s.encode("utf-8")))
            except UnicodeEncodeError:  # lone surrogates: PostgreSQL cannot hold them
                return False

        return matches
    compiled = re2.compile(pattern, options)  # pragma: no cover - older google-re2
    find = compiled.fullmatch if anchored else compiled.search  # pragma: no cover
    return lambda s: find(s) is not None  # pragma: no cover


_PLAIN = re.compile(r"[A-Za-z0-9 _\-/:,=@#%&'\"<>!;`~]*")


@lru_cache(maxsize=1024)
def _like(pattern: str, fold: bool) -> Callable[[str], bool]:
    if not fold:
        return _like_matcher(pattern)
    match = _like_matcher(pg_lower(pattern))
    return lambda s: match(pg_lower(s))


@lru_cache(maxsize=1024)
def _search(pattern: str, case_sensitive: bool) -> Callable[[str], bool]:
    return _regex_matcher(pattern, case_sensitive=case_sensitive)


def like(value: str, pattern: str, *, fold: bool = False) -> bool:
    r"""PostgreSQL's ``value LIKE pattern`` (``fold``: ILIKE) on non-NULL text.

    SQLite's registered functions (:func:`wherelang.sql.prepare_sqlite`) call it, so
    that they mean exactly what in-memory evaluation means.

    >>> like("Straße", "STRA%", fold=True), like("a_b", r"a\_b"), like("axb", r"a\_b")
    (True, True, False)
    """
    return _like(pattern, fold)(value)


def regex_search(value: str, pattern: str, *, case_sensitive: bool = True) -> bool:
    r"""An unanchored RE2 search for ``pattern`` in ``value``, '.' matching a newline as
    in PostgreSQL.

    >>> regex_search("app-12", "^app-[0-9]+$"), regex_search("A\nb", "a.B", case_sensitive=False)
    (True, True)
    """
    return _search(pattern, case_sensitive)(value)


# --- the operator table -------------------------------------------------------------------
#
# Each entry turns the names of two evaluated, non-NULL operands (and the constant right
# side, when the right side is a literal) into a Python expression. ``gen.const`` binds a
# value as a constant and returns its name.


# For an operand read as ``(value(v) if type(v := raw) is T else rest)``: its guard, the
# test that its rest gives a value (binding it to v) and its value under the guard (v
# itself, or len(v) for LEN), written with another name for v (see split_guard).
_Split = tuple[Callable[[str], str], Callable[[str], str], Callable[[str], str]]


@dataclass(frozen=True, slots=True)
class _Side:
    code: str  # the Python expression giving the operand's value
    nullable: bool
    node: Operand
    value: Any = None  # the constant for a literal
    split: _Split | None = None
    bound: str | None = None  # the name the code binds the value to (see operand)


_Template = Callable[["_Generator", str, str, _Side, _Side], str]


def _like_template(fold: bool, negate: bool) -> _Template:
    def emit(gen: _Generator, a: str, b: str, left: _Side, right: _Side) -> str:
        pattern = pg_lower(right.value) if fold else right.value
        subject = f"{gen.const(pg_lower)}({a})" if fold else a
        return f"{'not ' if negate else ''}{_like_code(gen, subject, pattern)}"

    return emit


def _like_code(gen: _Generator, subject: str, pattern: str) -> str:
    """The common LIKE shapes inline (=, startswith, endswith, in); else a matcher."""
    parts = _like_parts(pattern)
    if not any(_ANY in part for part in parts):
        texts = ["".join(str(c) for c in part) for part in parts]
        if len(texts) == 1:
            return f"({subject} == {gen.const(texts[0])})"
        if len(texts) == 2 and not texts[1]:
            return f"{subject}.startswith({gen.const(texts[0])})"
        if len(texts) == 2 and not texts[0]:
            return f"{subject}.endswith({gen.const(texts[1])})"
        if len(texts) == 3 and not texts[0] and not texts[2]:
            return f"({gen.const(texts[1])} in {subject})"
    return f"{gen.const(_like(pattern, False))}({subject})"


def _regex_template(case_sensitive: bool, negate: bool) -> _Template:
    def emit(gen: _Generator, a: str, b: str, left: _Side, right: _Side) -> str:
        return f"{'not ' if negate else ''}{_regex_code(gen, a, right.value, case_sensitive)}"

    return emit


# Python's re backtracks: it serves only patterns of the safe shape below, on strings up
# to this length; RE2 takes everything else.
_PYTHON_REGEX_MAX = 256


def _regex_code(gen: _Generator, subject: str, pattern: str, case_sensitive: bool) -> str:
    # PostgreSQL ignores case by matching each pattern character's lower and upper case
    # ('ǅ' ~* 'ǅ' is false), not by RE2's case folding: wherelang.regex writes those sets out.
    folded = pg_iregex(pattern, not case_sensitive)
    if folded is not None:
        return f"{gen.const(_search(folded, True))}({subject})"  # one matcher a pattern
    if case_sensitive and _PLAIN.fullmatch(pattern):
        return f"({gen.const(pattern)} in {subject})"  # a literal substring
    re2_match = gen.const(_search(pattern, case_sensitive))
    shape = _python_regex_shape(pattern) if case_sensitive else None
    if shape is None:
        return f"{re2_match}({subject})"
    python, quantifiers = shape
    search = gen.const(re.compile(python, re.DOTALL).search)
    if python.startswith("^") and quantifiers <= 1:
        # Anchored, re tries the one start only; one quantifier on one atom gives
        # back at most the whole string once: linear at any length, no bound needed.
        return f"({search}({subject}) is not None)"
    return (
        f"(({search}({subject}) is not None) if len({subject}) <= {_PYTHON_REGEX_MAX} "
        f"else {re2_match}({subject}))"
    )


_PY_CLASS = re.compile(r"\[(?!\^?\])\^?[^\\\[\]]+\]")
_PY_COUNT = re.compile(r"\{[0-9]{1,3}(,[0-9]{0,3})?\}")
_PY_ESCAPE = re.compile(r"\\[.^$*+?()\[\]{}|\\/-]")


def _python_regex(pattern: str) -> str | None:
    """The pattern for Python's re when it means the same there as in RE2 and cannot
    backtrack badly: literals, escaped punctuation, '.', classes without escapes or
    POSIX names, at most two quantifiers on single atoms (at most one of them
    unbounded), '^' first and '$' last. None otherwise.

    >>> print(_python_regex("^app-[0-9]+$"))
    ^app\\-[0-9]+\\Z
    >>> _python_regex("(a|b)") is None, _python_regex("a*b*") is None
    (True, True)
    """
    shape = _python_regex_shape(pattern)
    return None if shape is None else shape[0]


def _python_regex_shape(pattern: str) -> tuple[str, int] | None:
    """:func:`_python_regex` and the number of quantifiers in the pattern."""
    out: list[str] = []
    i, n, unbounded, quantifiers, atom = 0, len(pattern), 0, 0, False
    while i < n:
        ch = pattern[i]
        if ch == "^" and i == 0:
            out.append("^")
            i += 1
            atom = False
            continue
        if ch == "$" and i == n - 1:
            out.append(r"\Z")  # Python's $ would also match before a final newline
            i += 1
            continue
        if ch in "*+?" or ch == "{":
            count = _PY_COUNT.match(pattern, i) if ch == "{" else None
            if not atom or (ch == "{" and count is None):
                return None
            if i + 1 < n and pattern[i + 1] in "?+*":
                return None  # lazy or stacked quantifiers: leave them to RE2
            quantifiers += 1
            if ch in "*+" or (count is not None and _wide(count.group(0))):
                unbounded += 1
            token = count.group(0) if count is not None else ch
            out.append(token)
            i += len(token)
            atom = False
            continue
        if ch == "[":
            m = _PY_CLASS.match(pattern, i)
            if m is None or "[:" in m.group(0):
                return None
            out.append(m.group(0))
            i = m.end()
            atom = True
            continue
        if ch == "\\":
            m = _PY_ESCAPE.match(pattern, i)
            if m is None:
                return None
            out.append(m.group(0))
            i = m.end()
            atom = True
            continue
        if ch in "()|]}$^":
            return None
        if ch == ".":
            out.append(".")
            i += 1
            atom = True
            continue
        out.append(re.escape(ch))
        i += 1
        atom = True
    return ("".join(out), quantifiers) if unbounded <= 1 and quantifiers <= 2 else None


def _wide(count: str) -> bool:
    """Whether ``{n,m}`` repeats without bound or more than ten times."""
    _, comma, high = count.strip("{}").partition(",")
    if not comma:
        return False
    return not high or int(high) > 10


def _has(gen: _Generator, a: str, b: str, left: _Side, right: _Side) -> str:
    node = left.node
    assert isinstance(node, Attr)
    if node.type.kind is Kind.MAP:
        return f"{b} in {a}"
    items = node.type.items or Type(Kind.JSON)
    return f"{gen.const(_element_test(items, right.value, gen.norm, node))}({a})"


_OPS: dict[Op, _Template] = {
    Op.EQ: lambda gen, a, b, l, r: f"{a} == {b}",
    Op.NE: lambda gen, a, b, l, r: f"{a} != {b}",
    Op.LT: lambda gen, a, b, l, r: f"{a} < {b}",
    Op.GT: lambda gen, a, b, l, r: f"{a} > {b}",
    Op.LE: lambda gen, a, b, l, r: f"{a} <= {b}",
    Op.GE: lambda gen, a, b, l, r: f"{a} >= {b}",
    Op.LIKE: _like_template(False, False),
    Op.NOT_LIKE: _like_template(False, True),
    Op.ILIKE: _like_template(True, False),
    Op.NOT_ILIKE: _like_template(True, True),
    Op.REGEX: _regex_template(True, False),
    Op.IREGEX: _regex_template(False, False),
    Op.NOT_REGEX: _regex_template(True, True),
    Op.NOT_IREGEX: _regex_template(False, True),
    Op.HAS: _has,
}


def _element_test(
    items: Type, value: object, norm: _Normalizers, label: Attr
) -> Callable[[Iterable[Any]], bool]:
    """``array ? value``: some element equals ``value`` (elements of other types never do)."""
    kind = items.kind
    if kind is Kind.STRING and not norm.strict:
        return lambda arr: value in arr  # other types never equal a str
    if kind is Kind.JSON:
        kind_of = type(value)
        return lambda arr: any(type(x) is kind_of and x == value for x in arr)
    if kind is Kind.UUID:
        value = str(value)
    elif kind is Kind.TIME and isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    elif kind is Kind.FLOAT:
        value = _NAN if float(value) != float(value) else float(value)  # type: ignore[arg-type]
    element = norm.for_kind(kind)
    quiet = _LENIENT.for_kind(kind)

    def test(arr: Iterable[Any]) -> bool:
        for x in arr:
            if x is not None and (element(x, label) if norm.strict else quiet(x, label)) == value:
                return True
        return False

    return test


# --- relation lists, JSON paths and Permissions (issue 12) -------------------------------
#
# Conditions on these forms do not fit the scalar templates above: each becomes one
# function of the entity (``e``, a dict or a _View) returning True, False or None, built
# once per condition. JSON path steps are compiled by wherelang.jsonpath into a selector
# function; a list reference's condition is a predicate compiled for the related schema.

_MIRROR = {Op.LT: Op.GT, Op.GT: Op.LT, Op.LE: Op.GE, Op.GE: Op.LE, Op.EQ: Op.EQ, Op.NE: Op.NE}
# LEN(x) <op> n that is the truth of a non-empty x (True) or of an empty one (False)
_LEN_TRUTH = {
    (Op.GT, 0): True, (Op.NE, 0): True, (Op.GE, 1): True,
    (Op.EQ, 0): False, (Op.LE, 0): False, (Op.LT, 1): False,
}  # fmt: skip


def declared_type(schema: Schema | None, attr: Attr) -> Type | None:
    """The type the schema declares for the attribute a path ends at (through its hops)."""
    current = schema
    for hop in attr.hops:
        current = current.related(hop) if current is not None else None
    if current is None:
        return None
    found = current.attributes.get(attr.name)
    return found.type if found is not None else None


def is_permissions_type(t: Type | None) -> bool:
    """``map[string]map[string]map[uuid]bool``: action -> {"UserIDs": {user: true}}."""
    if t is None or t.kind is not Kind.MAP or t.values is None:
        return False
    inner = t.values
    return inner.kind is Kind.MAP and inner.values is not None and inner.values.kind is Kind.MAP


def is_permissions(schema: Schema | None, attr: Attr) -> bool:
    """``Permissions.<Action>.UserIDs``: the action is ``attr.key``, and the attribute is
    declared ``map[string]map[string]map[uuid]bool`` (or the path's own type is that, or
    the users map ``map[uuid]bool`` the action leads to, as validation types it)."""
    if attr.key is None or attr.json or attr.each:
        return False
    t = attr.type
    if is_permissions_type(t):
        return True
    if (
        t.kind is Kind.MAP and t.keys is not None and t.keys.kind is Kind.UUID
        and t.values is not None and t.values.kind is Kind.BOOL
    ):  # fmt: skip
        return True
    return schema is not None and is_permissions_type(declared_type(schema, attr))


def _subject(node: Compare | In | IsNull) -> Operand:
    if isinstance(node, Compare):
        return node.right if isinstance(node.left, Literal) else node.left
    return node.operand


def _attr_of(operand: Operand) -> Attr | None:
    if isinstance(operand, Len):
        return operand.path if isinstance(operand.path, Attr) else None
    return operand if isinstance(operand, Attr) else None


def _value_getter(gen: _Generator, attr: Attr) -> Callable[[Any], Any]:
    """``e -> the attribute's value as the entity holds it`` (through the hops)."""
    name = attr.name
    if not attr.hops:
        return lambda e: e.get(name)
    related, hops = _hop_getter(gen.resolver), attr.hops
    return lambda e: related(e, hops).get(name)


def _related_list(resolver: Resolver | None, field: str) -> Callable[[Any], list[Any]]:
    """``e -> the entities a list reference names``: carried under the relation's field,
    in an extended response, or from ``resolver(entity, field)``; none when not found."""

    def entities(seen: Any) -> list[Any]:
        if type(seen) is _View:
            current, wrapper = seen.entity, seen.wrapper
        else:
            current, wrapper = seen, None
        found = _getter(current)(field)
        if found is None and wrapper is not None:
            found = _getter(wrapper)(field)
        if found is None and resolver is not None:
            found = resolver(current, field)
        if found is None:
            return []
        if isinstance(found, (list, tuple, set, frozenset)):
            return [x for x in found if _is_entity(x)]
        return [found] if _is_entity(found) else []

    return entities


def each_inner(node: Compare | In | IsNull, attr: Attr) -> Compare | In | IsNull:
    """The condition ``Prefix.*.Attr OP x`` asks of each related entity: ``Attr OP x``."""
    from dataclasses import replace

    inner_attr = replace(attr, hops=attr.hops[1:], each=False, segments=attr.segments[2:] or (attr.name,))

    def swap(operand: Operand) -> Operand:
        if operand == attr:
            return inner_attr
        if isinstance(operand, Len) and operand.path == attr:
            return replace(operand, path=inner_attr)
        return operand

    if isinstance(node, Compare):
        return replace(node, left=swap(node.left), right=swap(node.right))
    return replace(node, operand=swap(node.operand))


def each_attr(node: Compare | In | IsNull) -> Attr | None:
    """The ``Prefix.*.Attr`` of a condition, if it has one."""
    operands = (node.left, node.right) if isinstance(node, Compare) else (node.operand,)
    for operand in operands:
        attr = _attr_of(operand)
        if attr is not None and attr.each:
            return attr
    return None


def _each_condition(gen: _Generator, node: Compare | In | IsNull, attr: Attr) -> Callable[[Any], bool]:
    """``Prefix.*.Attr OP x``: EXISTS a related entity for which ``Attr OP x`` is TRUE."""
    field = attr.hops[0]
    inner = each_inner(node, attr)
    schema = gen.schema.related(field) if gen.schema is not None else None
    test = Predicate(inner, schema, strict=gen.norm.strict, resolver=gen.resolver)
    entities = _related_list(gen.resolver, field)

    def exists(e: Any) -> bool:
        carried = e.get(field) if type(e) is dict else None
        if type(carried) is list:  # the common case: a dict carrying a list of dicts
            for x in carried:
                if (type(x) is dict or _is_entity(x)) and test(x):
                    return True
            return False
        for x in entities(e):
            if test(x):
                return True
        return False

    return exists


def _string_matcher(op: Op, pattern: str) -> Callable[[str], bool]:
    """The positive string test of a LIKE-family or regex operator on a JSON value; the
    SQL/JSON path form is ``like_regex`` (ILIKE: flag "i", which folds case as ``~*``)."""
    if op in (Op.LIKE, Op.NOT_LIKE):
        return _like(pattern, False)
    if op in (Op.ILIKE, Op.NOT_ILIKE):
        pattern, ci = jsonpath.like_to_regex(pattern), True
    else:
        ci = op in (Op.IREGEX, Op.NOT_IREGEX)
    folded = pg_iregex(pattern, ci)
    if folded is not None:
        return _regex_matcher(folded)
    return _regex_matcher(pattern, case_sensitive=not ci)


def _json_literal(node: Literal) -> object:
    value = node.value
    if isinstance(value, (UUID, datetime)):
        return node.text if node.text is not None else str(value)
    return value


def _json_condition(gen: _Generator, node: Compare | In | IsNull, attr: Attr) -> Callable[[Any], bool | None] | None:
    get = _value_getter(gen, attr)
    steps = attr.json
    if isinstance(node, IsNull):
        if not steps:
            return None  # the attribute's own NULL test
        found = jsonpath.exists(steps)
        if node.negated:
            return lambda e: found(get(e))
        return lambda e: not found(get(e))
    if isinstance(node, In):
        texts = [jsonpath.literal_text(_json_literal(v)) for v in node.values]
        test = jsonpath.in_list(steps, texts, node.negated)
        return lambda e: test(get(e))
    op, other = node.op, node.right
    if isinstance(node.left, Literal):
        op, other = _MIRROR[op], node.left
    if not isinstance(other, Literal):
        raise TypeError("a JSON path is compared with a literal only")
    literal = _json_literal(other)
    if op is Op.HAS:
        test = jsonpath.has_key(steps, str(literal))
    elif op.family in (Family.LIKE, Family.REGEX):
        test = jsonpath.condition(steps, op, literal, _string_matcher(op, str(literal)))
    else:
        test = jsonpath.condition(steps, op, literal)
    return lambda e: test(get(e))


def _uuid_key(value: object) -> str | None:
    return _uuid_text(value) if isinstance(value, str) else str(value) if isinstance(value, UUID) else None


def _permission_users(gen: _Generator, attr: Attr) -> Callable[[Any], Mapping[Any, Any] | None]:
    """``e -> Permissions[action]["UserIDs"]`` (an empty map when absent; None when the
    Permissions attribute itself is NULL)."""
    get, action = _value_getter(gen, attr), attr.key
    empty: Mapping[Any, Any] = {}

    def users(e: Any) -> Mapping[Any, Any] | None:
        perms = get(e)
        if perms is None:
            return None
        subjects = perms.get(action) if isinstance(perms, Mapping) else None
        found = subjects.get("UserIDs") if isinstance(subjects, Mapping) else None
        return found if isinstance(found, Mapping) else empty

    return users


def canonical_users(users: Mapping[Any, Any]) -> dict[Any, Any]:
    """A user map with its UUID keys in canonical form, as :func:`wherelang.sql.row`
    stores it (of two spellings of one user, the later one counts)."""
    return {(_uuid_key(key) or key): v for key, v in users.items()}


def _permissions_condition(gen: _Generator, node: Compare, attr: Attr) -> Callable[[Any], bool | None]:
    """``Permissions.<Action>.UserIDs ? u``: u is a key of that action's users whose value
    is true (keys compare as UUIDs); NULL when Permissions itself is."""
    users = _permission_users(gen, attr)
    literal = node.right if isinstance(node.right, Literal) else None
    wanted = _uuid_key(literal.value) if literal is not None else None

    def test(e: Any) -> bool | None:
        found = users(e)
        if found is None:
            return None
        if wanted is None:
            return False
        return canonical_users(found).get(wanted) is True

    return test


def permissions_length(gen: _Generator, attr: Attr) -> Callable[[Any], int]:
    """``LEN(Permissions.<Action>.UserIDs)``: the users whose value is true."""
    users = _permission_users(gen, attr)

    def length(e: Any) -> int:
        found = users(e)
        return 0 if not found else sum(1 for v in canonical_users(found).values() if v is True)

    return length


def path_condition(gen: _Generator, node: Compare | In | IsNull) -> Callable[[Any], bool | None] | None:
    """The function of the entity for a condition on a relation list, a JSON path or
    Permissions; None for every other condition."""
    attr = each_attr(node)
    if attr is not None:
        return _each_condition(gen, node, attr)
    attr = _attr_of(_subject(node))
    if attr is None or isinstance(_subject(node), Len):
        return None
    if isinstance(node, Compare) and node.op is Op.HAS and is_permissions(gen.schema, attr):
        return _permissions_condition(gen, node, attr)
    if attr.json or (attr.type.kind is Kind.JSON and not isinstance(node, IsNull)):
        return _json_condition(gen, node, attr)
    return None


# --- code generation ----------------------------------------------------------------------

_NUMERIC = frozenset({Kind.INT, Kind.FLOAT})


def _kind_of(node: Operand) -> Kind:
    if isinstance(node, Attr):
        return node.type.kind
    if isinstance(node, Len):
        return Kind.INT
    assert isinstance(node, Literal)
    value = node.value
    if isinstance(value, bool):
        return Kind.BOOL
    if isinstance(value, (int, Decimal)):
        return Kind.INT
    if isinstance(value, UUID):
        return Kind.UUID
    if isinstance(value, datetime):
        return Kind.TIME
    return Kind.STRING


def _domain(left: Operand, right: Operand) -> Kind:
    """The kind both sides are compared as: numbers mixing float and int compare as
    float8, as PostgreSQL casts bigint to float8."""
    kinds = (_kind_of(left), _kind_of(right))
    if Kind.FLOAT in kinds and all(k in _NUMERIC for k in kinds):
        return Kind.FLOAT
    attr_side = left if not isinstance(left, Literal) else right
    return _kind_of(attr_side)


def _constant(value: object, domain: Kind) -> object:
    """A literal as the canonical value its domain compares."""
    if domain is Kind.UUID:
        return str(value if isinstance(value, UUID) else UUID(str(value)))
    if domain is Kind.TIME:
        assert isinstance(value, datetime)
        # In UTC: datetime compares two values of the same tzinfo object field by field,
        # and 'Z' texts read with timezone.utc; values of different zones cost two
        # utcoffset() calls and a subtraction per comparison (several times slower).
        if value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        try:
            return value.astimezone(_UTC)
        except OverflowError:  # the first or last day datetime holds: compare as it is
            return value
    if domain is Kind.FLOAT:
        return _float8(value)  # type: ignore[arg-type]
    return value


# Inline fast paths: the common Python type of a kind needs no function call.
_FAST_TYPES = {
    Kind.STRING: "str",
    Kind.INT: "int",
    Kind.BOOL: "bool",
    Kind.FLOAT: "float",
    Kind.ARRAY: "list",
    Kind.MAP: "dict",
}


class _Generator:
    """Builds the source of one predicate function; values become bound constants."""

    def __init__(self, schema: Schema | None, strict: bool, resolver: Resolver | None) -> None:
        self.norm = _STRICT if strict else _LENIENT
        self.consts: dict[str, object] = {}
        self.ids: dict[tuple[type, object], str] = {}
        self.temps = 0
        self.resolver = resolver
        self.schema = schema
        # values of attributes certainly read already: (attr, kind) -> local name
        self.bound: dict[tuple[Attr, Kind], str] = {}
        self.binds: dict[str, str] = {}  # bound name -> the code it is bound to
        self.binding = False
        self.fast_times = False
        self.fast_maps = False  # map values read with (m or _NO_KEYS).get(key)
        # Direct: the version for plain dicts, which reads the dict itself; an attribute
        # it lacks is looked for in an extended response by ``missing``. Code that
        # needs a _View (relation hops, JSON paths, Permissions) sets needs_view.
        self.key = self_key(schema)
        self.direct = False
        self.needs_view = False
        # long ANDs and ORs are split into functions of their own (see _PIECE)
        self.helpers: list[str] = []
        self.helper_names: dict[str, str] = {}

    def reset(self) -> None:
        """Forget bound values before generating the same tree again. Local names start
        over too (each version is a function of its own), so that a tree without times
        gives the same code twice and needs no fallback."""
        self.bound.clear()
        self.binds.clear()
        self.temps = 0

    def const(self, value: object) -> str:
        key = (type(value), value) if _hashable(value) else (type(value), id(value))
        name = self.ids.get(key)
        if name is None:
            name = self.ids[key] = f"c{len(self.consts)}"
            self.consts[name] = value
        return name

    def temp(self) -> str:
        self.temps += 1
        return f"v{self.temps}"

    def missing(self, attr: Attr) -> str:
        """The value of ``attr`` when the entity lacks it (read as None): NULL, but in
        the direct version a dict lacking it may be an extended response."""
        if self.direct and self.key is not None and not attr.hops:
            return "_absent(e)"
        return "None"

    def view_needed(self) -> None:
        if self.direct:
            self.needs_view = True

    # operands

    def raw(self, attr: Attr) -> str:
        """The value of an attribute as the entity holds it."""
        if attr.hops:
            self.view_needed()
        source = f"_related(e, {self.const(attr.hops)})" if attr.hops else "e"
        value = f"{source}.get({self.const(attr.name)})"
        if attr.key is None:
            return value
        if self.fast_maps:
            # Any map with keys is read through its get method, as the lenient
            # map_value reads it; what has none raises AttributeError, which sends the
            # entity to the exact version. No type test per map.
            missing = self.missing(attr)
            empty = "_NO_KEYS" if missing == "None" else f"{missing} or _NO_KEYS"
            return f"({value} or {empty}).get({self.const(attr.key)})"
        m, key, label = self.temp(), self.const(attr.key), self.const(attr)
        return (
            f"({m}.get({key}) if type({m} := {value}) is dict "
            f"else {self.missing(attr)} if {m} is None else _map_value({m}, {key}, {label}))"
        )

    def normalized(self, raw: str, kind: Kind, label: Attr) -> tuple[str, _Split | None]:
        """The canonical value of ``raw``: the common Python type and None pass inline,
        everything else through the kind's normalizer. With it, for the plain form, how
        to write its guard and rest with another name (see split_guard)."""
        if kind is Kind.JSON:
            self.view_needed()
            return raw, None
        fn = self.const(self.norm.for_kind(kind))
        lab = self.const(label)
        v = self.temp()
        # a map value read as None is an absent key (raw looked for the map itself)
        absent = "None" if label.key is not None else self.missing(label)
        rest = f"{absent} if {v} is None else {fn}({v}, {lab})"
        if kind is Kind.TIME:
            parse = f"({self.const(_iso_time)}({v}) or {fn}({v}, {lab}))"
            if self.fast_times:
                # '2025-02-18T23:16:34Z' and '...+01:00' straight to datetime.fromisoformat;
                # a ValueError it raises sends the entity to the exact predicate (see
                # function()). The shape test keeps out what Python reads but PostgreSQL
                # does not: week dates ('2025-W02-1'), offsets beyond 15:59 ('+15:60').
                zulu_at, zulu, seps_at, seps, offset_at, offsets = map(self.const, _FAST_TIME_SHAPES)
                shape = (
                    f"(len({v}) == 20 and {v}[{zulu_at}] == {zulu} "
                    f"or len({v}) == 25 and {v}[{seps_at}] == {seps} and {v}[{offset_at}] in {offsets})"
                )
                parse = f"(_fromiso({v}) if {shape} else {parse})"
            return f"({parse} if type({v} := {raw}) is str else {rest})", None
        if kind is Kind.UUID:  # the same IDs recur: remember them
            return f"((_uuids.get({v}) or {fn}({v}, {lab})) if type({v} := {raw}) is str else {rest})", None
        fast_type = _FAST_TYPES[kind]

        def guard_of(n: str) -> str:
            return f"type({n} := {raw}) is {fast_type}" + (f" and {n} == {n}" if kind is Kind.FLOAT else "")

        def known_of(n: str) -> str:  # the rest gives a value, bound to n
            if absent == "None":  # an absent map key: no call, no store
                return f"{n} is not None and ({n} := {fn}({n}, {lab})) is not None"
            return f"({n} := {rest_of(n)}) is not None"

        def rest_of(n: str) -> str:
            return f"{absent} if {n} is None else {fn}({n}, {lab})"

        return f"({v} if {guard_of(v)} else {rest})", (guard_of, known_of, str)

    def operand(self, node: Operand, domain: Kind, bind: bool = False) -> _Side:
        """The code of an operand's value. With ``bind``, the operand is certainly
        evaluated whenever the rest of the top-level AND chain is, so later conditions
        on the same attribute reuse its value instead of reading and parsing it again."""
        if isinstance(node, Literal):
            value = _constant(node.value, domain)
            return _Side(self.const(value), False, node, value)
        if isinstance(node, Len):
            attr = node.path
            assert isinstance(attr, Attr), "compile needs a typed tree"
            if is_permissions(self.schema, attr):
                self.view_needed()
                code = f"{self.const(permissions_length(self, attr))}(e)"
                return _Side(f"_float({code}, None)" if domain is Kind.FLOAT else code, False, node)
            v, raw, label = self.temp(), self.raw(attr), self.const(attr)
            absent = "None" if attr.key is not None else self.missing(attr)
            # the declared kind's type is one identity test; a set look-up is more
            sized = _SIZED_TYPES.get(attr.type.kind)
            test = f"is {sized}" if sized else "in _SIZED"

            def guard_of(n: str) -> str:
                return f"type({n} := {raw}) {test}"

            def rest_of(n: str) -> str:
                size = n if absent == "None" else f"({n} if {n} is not None else {absent})"
                return f"_length({size}, {label})"

            def len_of(n: str) -> str:
                return f"len({n})"

            def known_of(n: str) -> str:
                return f"({n} := {rest_of(n)}) is not None"

            code = f"(len({v}) if {guard_of(v)} else {rest_of(v)})"
            if domain is Kind.FLOAT:
                return _Side(f"_float({code}, {label})", True, node)
            return _Side(code, True, node, split=(guard_of, known_of, len_of))
        if not isinstance(node, Attr):
            raise TypeError("compile needs a typed tree (parse with a schema)")
        kind = node.type.kind
        if domain is Kind.FLOAT and kind is Kind.INT:
            kind = Kind.FLOAT
        known = self.bound.get((node, kind))
        if known is not None:
            return _Side(known, True, node)
        code, split = self.normalized(self.raw(node), kind, node)
        if bind and self.binding:
            name = self.temp()
            self.bound[(node, kind)] = name
            self.binds[name] = code
            return _Side(f"({name} := {code})", True, node, split=split, bound=name)
        return _Side(code, True, node, split=split)

    # predicates: ``truth`` gives a bool that is True exactly when the node is TRUE;
    # ``tri`` gives True, False or None (unknown).

    def compare(self, node: Compare, tri: bool) -> str:
        domain = _domain(node.left, node.right)
        left = self.operand(node.left, domain, bind=True)
        right = self.operand(node.right, domain)
        template = _OPS[node.op]
        plain = left.split is None and right.split is None  # else the split form below
        if not tri and node.op is Op.EQ and not (left.nullable and right.nullable) and plain:
            return f"({left.code} == {right.code})"  # None == value is False
        a = self.temp() if left.nullable else left.code
        b = self.temp() if right.nullable else right.code
        tests = [f"({n} := {s.code}) is None" for n, s in ((a, left), (b, right)) if s.nullable]
        definite = template(self, a, b, left, right)
        if tri:
            if not tests:
                return f"({definite})"
            return f"(None if {' or '.join(tests)} else ({definite}))"
        if left.nullable != right.nullable:
            split = self.split_guard(left if left.nullable else right)
            if split is not None:
                # the value of the common type is not None: no test of it
                name, guard, known, value = split
                x, y = (name, b) if left.nullable else (a, name)
                definite = template(self, x, y, left, right)
                fast = definite
                if value != name:  # LEN: len(name) under the guard
                    other = right if left.nullable else left
                    op = node.op if left.nullable else _MIRROR.get(node.op, node.op)
                    truth = _LEN_TRUTH.get((op, other.value)) if type(other.value) is int else None
                    if truth is not None:
                        # LEN(x) > 0 and the like: the truth of the list or map itself,
                        # no len() call ('not' keeps it a bool; in an if, mere jumps)
                        fast = f"{'not not' if truth else 'not'} {name}"
                    else:
                        x, y = (value, b) if left.nullable else (a, value)
                        fast = template(self, x, y, left, right)
                return f"(({fast}) if {guard} else {known} and ({definite}))"
        guards = [f"({n} := {s.code}) is not None" for n, s in ((a, left), (b, right)) if s.nullable]
        return f"({' and '.join([*guards, f'({definite})'])})"

    def split_guard(self, side: _Side) -> tuple[str, str, str, str] | None:
        """For an operand read as ``(value(v) if type(v := raw) is T else rest)``
        (perhaps bound to a name, see operand): the name to hold its value, the guard,
        the test that the rest gives a value and the value under the guard, written
        with that name; None for any other operand."""
        if side.split is None:
            return None
        name = side.bound or self.temp()
        guard_of, known_of, value_of = side.split
        return name, guard_of(name), known_of(name), value_of(name)

    def in_(self, node: In, tri: bool) -> str:
        operand = node.operand
        domain = _kind_of(operand)
        side = self.operand(operand, domain, bind=True)
        values = self.const(frozenset(_constant(v.value, domain) for v in node.values))
        word = "not in" if node.negated else "in"
        a = self.temp()
        if tri:
            return f"(None if ({a} := {side.code}) is None else ({a} {word} {values}))"
        split = self.split_guard(side)
        if split is not None:  # the value of the common type is not None: no test of it
            name, guard, known, value = split
            return f"(({value} {word} {values}) if {guard} else {known} and {name} {word} {values})"
        if not node.negated:
            return f"({side.code} in {values})"
        return f"(({a} := {side.code}) is not None and {a} not in {values})"

    def is_null(self, node: IsNull) -> str:
        operand = node.operand
        domain = _kind_of(operand)
        side = self.operand(operand, domain, bind=True)
        return f"({side.code} is {'not ' if node.negated else ''}None)"

    def predicate(self, node: Compare | In | IsNull, tri: bool) -> str:
        special = path_condition(self, node)  # relation lists, JSON paths, Permissions
        if special is not None:
            self.view_needed()
            call = f"{self.const(special)}(e)"
            return call if tri else f"({call} is True)"
        if isinstance(node, Compare):
            return self.compare(node, tri)
        if isinstance(node, In):
            return self.in_(node, tri)
        return self.is_null(node)

    def join(self, word: str, codes: list[str]) -> str:
        """``codes`` joined by ``and`` or ``or``. When long, each run of about _PIECE
        characters becomes a function of its own, compiled on its own."""
        if not codes:  # an empty expression (no terms) keeps everything
            return "True" if word == "and" else "False"
        if sum(map(len, codes)) <= _PIECE or self.uses_bound(codes):
            return "(" + f" {word} ".join(codes) + ")"
        calls: list[str] = []
        run: list[str] = []
        size = 0
        for code in codes:
            run.append(code)
            size += len(code)
            if size >= _PIECE:
                calls.append(self.helper("(" + f" {word} ".join(run) + ")"))
                run, size = [], 0
        if run:
            calls.append(self.helper("(" + f" {word} ".join(run) + ")"))
        return self.join(word, calls)

    def uses_bound(self, codes: list[str]) -> bool:
        """Whether ``codes`` read a value bound in the top-level chain (a local of the
        function being generated, which a helper function cannot see)."""
        if not self.binds:
            return False
        return any(name in self.binds for code in codes for name in _TEMP_REF.findall(code))

    def helper(self, code: str) -> str:
        """A call of a generated function ``(e) -> code`` (the same code, the same one)."""
        name = self.helper_names.get(code)
        if name is None:
            name = self.helper_names[code] = f"_h{len(self.helper_names)}"
            self.helpers.append(f"def {name}(e):\n    return {code}")
        return f"{name}(e)"

    def literals(self, code: str) -> str:
        """``code`` with each constant that is a string, an integer, a bool or None
        written as a Python literal."""

        def literal(m: re.Match[str]) -> str:
            value = self.consts[m.group(0)]
            if type(value) in _LITERAL_TYPES and not (type(value) is int and abs(value) >= 1 << 63):
                return repr(value)
            return m.group(0)

        return _CONST_REF.sub(literal, code)

    def truth(self, node: Expr) -> str:
        if isinstance(node, And):
            return self.join("and", [self.truth(item) for item in node.items])
        if isinstance(node, Or):
            return self.join("or", [self.truth(item) for item in node.items])
        if isinstance(node, Not):
            return self.falsity(node.expr)
        if isinstance(node, Truth):
            return self.truth_test(node)
        return self.predicate(node, False)

    def falsity(self, node: Expr) -> str:
        """A bool that is True exactly when ``node`` is FALSE."""
        if isinstance(node, And):
            return self.join("or", [self.falsity(item) for item in node.items])
        if isinstance(node, Or):
            return self.join("and", [self.falsity(item) for item in node.items])
        if isinstance(node, Not):
            return self.truth(node.expr)
        return f"({self.tri(node)} is False)"

    def truth_test(self, node: Truth) -> str:
        """``p IS [NOT] TRUE|FALSE``: never unknown."""
        if node.value and not node.negated:
            return self.predicate(node.expr, False)
        if node.value and node.negated:
            return f"(not {self.predicate(node.expr, False)})"
        return f"({self.predicate(node.expr, True)} is {'not ' if node.negated else ''}False)"

    def tri(self, node: Expr) -> str:
        if isinstance(node, (And, Or)):
            # SQL: AND is FALSE if any item is, else unknown if any is; OR the mirror.
            stop, other = ("False", "True") if isinstance(node, And) else ("True", "False")
            names = [self.temp() for _ in node.items]
            code = f"(None if ({' or '.join(f'{n} is None' for n in names)}) else {other})"
            for n, item in reversed(list(zip(names, node.items))):
                code = f"({stop} if ({n} := {self.tri(item)}) is {stop} else {code})"
            return code
        if isinstance(node, Not):
            n = self.temp()
            return f"(None if ({n} := {self.tri(node.expr)}) is None else not {n})"
        if isinstance(node, Truth):
            return self.truth_test(node)
        return self.predicate(node, True)

    def top(self, expr: Expr) -> str:
        """The top-level AND chain, cheapest conditions first (AND commutes in SQL's
        logic, and PostgreSQL does not promise an order either)."""
        return _all(self.conjuncts(expr))

    def conjuncts(self, expr: Expr) -> list[str]:
        """The code of each condition of the top-level AND chain, in the order they run
        (see top)."""
        items = sorted(expr.items, key=_cost) if isinstance(expr, And) else [expr]
        codes: list[str] = []
        pieces: list[str] = []  # calls of helpers holding earlier runs of a long chain
        size = 0
        for item in items:
            self.binding = isinstance(item, (Compare, In, IsNull))
            codes.append(self.truth(item))
            size += len(codes[-1])
            if size >= _PIECE and len(items) > 1:
                # this run becomes a function of its own; later conditions read their
                # attributes again rather than share a value bound inside it
                pieces.append(self.helper("(" + " and ".join(codes) + ")"))
                codes, size = [], 0
                self.bound.clear()
                self.binds.clear()  # none of them can be in the body: nothing to unbind
        self.binding = False
        codes = pieces + codes
        if not codes:  # an empty expression (no terms) keeps everything
            return ["True"]
        # Unbound as one text, so that a name is kept where a later condition reuses
        # it; NUL never occurs in generated code (string constants are repr()s).
        return _reuse_names(self.unbind("\0".join(codes)).split("\0"))

    def unbind(self, body: str) -> str:
        """``body`` with ``(v := code)`` replaced by ``code`` for each bound name that is
        never reused. One pass over the text (a search per name would make compiling
        quadratic in the number of conditions)."""
        if not self.binds:
            return body
        uses = Counter(_TEMP_REF.findall(body))
        pieces: list[str] = []
        done = 0
        for m in _BIND_START.finditer(body):
            name = m.group(1)
            code = self.binds.get(name)
            if code is None or uses[name] != 1 or m.start() < done:
                continue
            end = m.end() + len(code)
            if not body.startswith(code, m.end()) or body[end : end + 1] != ")":
                continue
            pieces += [body[done : m.start()], code]
            done = end + 1
        pieces.append(body[done:])
        return "".join(pieces)

    def function(self, expr: Expr) -> tuple[list[str], dict[str, object]]:
        """The sources to compile, in order (helper functions first), and the namespace
        to run them in."""
        body = self.top(expr)
        key = self.key
        # The exact version sees anything but a plain dict, and any dict holding the
        # entity's name, through a _View (see extended_entity).
        def test(name: str) -> str:
            if key is None:
                return f"type({name}) is not dict"
            return f"type({name}) is not dict or {self.const(key[0])} in {name}"

        lines = [
            "def _exact(e):",
            f"    if {test('e')}:",
            f"        e = _view(e, {self.const(key)})",
            f"    return {body}",
        ]
        # The fast version: common time strings straight to datetime.fromisoformat, and,
        # when nothing needs a _View, a plain dict read directly, without the look for
        # the entity's name in every dict (an extended response is found where an
        # attribute is missing). What it cannot answer (a ValueError, _Redo) the exact
        # version answers.
        self.reset()
        self.fast_times = self.direct = True
        self.fast_maps = not self.norm.strict  # strict: a map of the wrong type raises
        self.needs_view = False
        parts = self.conjuncts(expr)
        direct = not self.needs_view
        if not direct:
            self.reset()
            self.direct = False
            parts = self.conjuncts(expr)
        self.fast_times = self.direct = self.fast_maps = False
        fast = _all(parts)

        # The fast version as statements, one ``if`` per condition of the top-level
        # AND but the last: fewer instructions per entity than one ``and`` expression
        # (measured: some 70 of 1,900 per entity on the seed example).
        def chain(out: Callable[[str], str], fail: str) -> list[str]:
            tests = [line for part in parts[:-1] for line in (f"if not {part}:", f"    {fail}")]
            return [*tests, out(parts[-1])]

        # ``read(f, o)`` is the test of the entity named ``o`` as statements, f writing
        # out the answer.
        def read(out: Callable[[str], str], fail: str, o: str) -> list[str]:
            if direct:
                # No type test per entity: the entity (named e) is read with
                # ``e.get``, and what has no get method (an AttributeError, a
                # TypeError) goes to the exact version, which reads it through a _View
                # (see _getter). Only the exact version raises the errors users see:
                # the fast version has no side effects, so running the exact one after
                # it is safe.
                fallback = "(ValueError, TypeError, AttributeError, _Redo)"
                lines = []
            else:
                lines = [f"e = _view({o}, {self.const(key)}) if {test(o)} else {o}"]
                if fast == body:
                    return [*lines, out(body)]
                # a map read with get (fast_maps) raises the other two
                fallback = "(ValueError, TypeError, AttributeError)"
            return [*lines, "try:", *("    " + line for line in chain(out, fail)),
                    f"except {fallback}:", f"    {out(f'_exact({o})')}"]  # fmt: skip

        # In the direct version the parameter is the ``e`` the generated code reads.
        entity = "e" if direct else "o"
        one = read(lambda code: f"return {code}", "return False", entity)
        # In _scan, an entity that does not match is skipped by ``continue``; the
        # yield comes after every try, so that nothing thrown into the generator at
        # the yield reaches an except clause meant for the test.
        test_one = read(lambda code: f"if not {code}: continue", "continue", entity)
        if self.norm.strict:  # a value of the wrong type raises, naming the entity
            # A try costs nothing in Python 3.11 until something is raised.
            def strict(lines: list[str], o: str, index: str) -> list[str]:
                return ["try:", *("    " + line for line in lines),
                        "except _Wrong as wrong:", f"    raise _fail(wrong, {o}, {index}) from None"]  # fmt: skip

            one = strict(one, entity, "None")
            test_one = strict(test_one, entity, "i")
            scan = ["def _scan(rows):", "    i = -1", f"    for {entity} in rows:", "        i += 1"]
        else:
            scan = ["def _scan(rows):", f"    for {entity} in rows:"]
        # The callable users get is this function itself: no wrapper call per entity.
        lines += [f"def _predicate({entity}):", *("    " + line for line in one)]
        # _scan filters a whole iterable in one loop: no function call per entity.
        scan += [*("        " + line for line in test_one)]
        scan += [f"        yield {entity}"]
        # Strings and integers are written as literals (a constant load is cheaper
        # than a global one); repr() of them is always a literal of the same value.
        lines = [self.literals(line) for line in lines]
        scan = [self.literals(line) for line in scan]
        self.helpers = [self.literals(helper) for helper in self.helpers]
        lines += scan
        namespace: dict[str, object] = {
            "__builtins__": {},
            "type": type,
            "dict": dict,
            "str": str,
            "int": int,
            "float": float,
            "bool": bool,
            "list": list,
            "_uuids": _uuid_cache,
            "_view": _view,
            "_Wrong": _Wrong,
            "_Redo": _Redo,
            "_absent": None if key is None else _absent_reader(key),
            "_fail": None,  # set by _PredicateType: the error for a wrong value
            "_fromiso": datetime.fromisoformat,
            "ValueError": ValueError,
            "TypeError": TypeError,
            "AttributeError": AttributeError,
            "len": len,
            "_SIZED": frozenset({list, dict}),
            "_related": _hop_getter(self.resolver),
            "_map_value": self.norm.map_value,
            "_NO_KEYS": _NO_KEYS,
            "_length": self.norm.length,
            "_float": self.norm.number,
        }
        namespace.update(self.consts)
        # In the loop, every name it reads is a local (a default argument): faster than
        # a global.
        used = sorted(
            set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", "\n".join(scan)))
            & (set(namespace) - {"__builtins__"})
        )
        scan[0] = "def _scan(rows, " + ", ".join(f"{n}={n}" for n in used) + "):"
        lines[-len(scan) :] = scan
        return [*self.helpers, "\n".join(lines)], namespace


# Past this many characters of generated code, the parts of an AND or OR become functions
# of their own, each compiled on its own: Python's compiler holds the syntax tree of what
# it compiles at once, some 100 bytes per character (300 MB for one 128 KB expression).
_PIECE = 4096
# A generated local name (see _Generator.temp).
_TEMP_REF = re.compile(r"\bv[0-9]+\b")
_CONST_REF = re.compile(r"\bc[0-9]+\b")  # a constant's name (see _Generator.const)
_LITERAL_TYPES = (str, int, bool, type(None))
_BIND_START = re.compile(r"\((v[0-9]+) := ")  # where a binding of one starts

_SIZED_TYPES = {Kind.ARRAY: "list", Kind.MAP: "dict"}  # see operand's LEN

# Rough cost of evaluating a condition, to order a top-level AND chain.
_KIND_COST = {Kind.TIME: 4, Kind.UUID: 3, Kind.FLOAT: 2, Kind.ARRAY: 3}
_OP_COST = {Family.LIKE: 3, Family.REGEX: 5, Family.HAS: 3}


def _reuse_names(parts: list[str]) -> list[str]:
    """The conditions of an AND chain with their local names renumbered, so that a name
    no later condition reads is used again: fewer locals make a cheaper call, since
    each one is cleared when the function returns (measured: about 15 of 1,800
    instructions per entity on the seed, 6 locals down to 3). A name several conditions read
    keeps one number from the first to the last; the conditions run in order, one
    after the other, so a name freed before a condition starts is dead."""
    names = [dict.fromkeys(_TEMP_REF.findall(part)) for part in parts]
    last = {name: i for i, found in enumerate(names) for name in found}
    number: dict[str, int] = {}
    free: list[int] = []  # a heap: the lowest free number first
    top = 0
    for i, found in enumerate(names):
        for name in found:
            if name not in number:
                if free:
                    number[name] = heapq.heappop(free)
                else:
                    top += 1
                    number[name] = top
        for name in found:
            if last[name] == i:
                heapq.heappush(free, number[name])
    return [_TEMP_REF.sub(lambda m: f"v{number[m.group()]}", part) for part in parts]


def _all(parts: list[str]) -> str:
    """The conditions of a top-level AND chain (see _Generator.conjuncts) as one expression."""
    return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"


def _cost(node: Expr) -> tuple[int, str]:
    if isinstance(node, (Compare, In, IsNull)):
        subject = node.left if isinstance(node, Compare) else node.operand
        if isinstance(subject, Literal) and isinstance(node, Compare):
            subject = node.right
        cost = 1
        if isinstance(subject, Attr):
            cost += _KIND_COST.get(subject.type.kind, 0) + (subject.key is not None) + 3 * len(subject.hops)
        elif isinstance(subject, Len):
            cost += 2
        if isinstance(node, Compare):
            cost += _OP_COST.get(node.op.family, 0) + (not isinstance(node.right, Literal))
        # the same attribute's conditions stay together, to share its value
        return cost, subject.to_where()
    return 10, ""


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# --- the public API -------------------------------------------------------------------


class _PredicateType(type):
    """``Predicate(...)`` returns the generated function itself, carrying the
    predicate's attributes: a call costs one Python call, with no wrapper method in
    between. ``isinstance(f, Predicate)`` is True for such functions."""

    def __call__(
        cls,
        expr: Expr,
        schema: Schema | None = None,
        *,
        strict: bool = False,
        resolver: Resolver | None = None,
        text: str | None = None,
    ) -> Any:
        if _has_paths(expr):
            raise TypeError("compile needs a typed tree: parse with a schema first")
        gen = _Generator(schema, strict, resolver)
        try:
            pieces, namespace = gen.function(expr)
            namespace["_fail"] = partial(_wrong_type, schema, text)
            for piece in pieces:  # one at a time: see _PIECE
                code = builtins.compile(piece, "<wherelang predicate>", "exec")
                exec(code, namespace)  # the source holds only generated names; see _Generator
        except (RecursionError, MemoryError, SyntaxError):
            # A tree built in code, nested past what parse's Limits allow (max_depth
            # 100 at most): Python's compiler gives up on ~200 nested parentheses.
            raise too_deep(WhereEvaluationError, "compile") from None
        source = "\n".join(pieces)
        fn: Any = namespace["_predicate"]
        fn.expr, fn.schema, fn.strict, fn.text, fn.source = expr, schema, strict, text, source
        fn.filter = namespace["_scan"]
        fn.__wherelang_predicate__ = True
        # what repr() shows: <function Predicate('Slug = ...') at 0x...>
        fn.__name__ = fn.__qualname__ = f"Predicate({str(expr)!r})"
        return fn

    def __instancecheck__(cls, obj: object) -> bool:
        return getattr(obj, "__wherelang_predicate__", False) is True


class Predicate(metaclass=_PredicateType):
    """A compiled where expression: call it with an entity to get True or False.

    Only a TRUE result matches; unknown (NULL) does not. ``source`` is the generated
    Python code, for the curious; user values appear in it only as literals. The object
    is a plain Python function (the generated one), so calling it costs what calling a
    lambda costs.

    ``Predicate(expr, schema, strict=..., resolver=..., text=...)`` compiles a typed
    tree; :func:`compile` does the same from text or an untyped tree, with a cache.
    """

    expr: Expr
    schema: Schema | None
    strict: bool
    text: str | None
    source: str

    if TYPE_CHECKING:  # what the generated function offers (see _PredicateType)

        def __init__(
            self,
            expr: Expr,
            schema: Schema | None = None,
            *,
            strict: bool = False,
            resolver: Resolver | None = None,
            text: str | None = None,
        ) -> None: ...

        def __call__(self, entity: Any) -> bool: ...

        def filter(self, entities: Iterable[T]) -> Iterator[T]:
            """The entities that match, lazily, in their order."""


def _wrong_type(
    schema: Schema | None, text: str | None, wrong: _Wrong, entity: Any, index: int | None
) -> WhereEvaluationError:
    """The error of strict evaluation for an entity value of the wrong type."""
    entity_text = "the entity" if index is None else f"entity #{index}"
    id_name = schema.id if schema is not None else None
    if id_name:
        ident = _view(entity, self_key(schema)).get(id_name)
        if ident is not None:
            entity_text += f" ({id_name} {str(ident)!r})"
    label = wrong.label.to_where() if isinstance(wrong.label, Node) else str(wrong.label)
    span = wrong.label.span
    shown = repr(wrong.value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return WhereEvaluationError(
        "wrong-type",
        f"{entity_text}: {label} holds {shown} ({type(wrong.value).__name__}), "
        f"not {wrong.kind}",
        text=text,
        position=span.offset if text is not None else None,
        length=span.length,
        hint="fix the data, or evaluate without strict=True to treat it as NULL",
    )


def _has_paths(expr: Expr) -> bool:
    return any(isinstance(node, Path) for node in walk(expr))


@lru_cache(maxsize=512)
def _compile_tree(
    expr: Expr, schema: Schema | None, strict: bool, resolver: Resolver | None, text: str | None
) -> Predicate:
    return Predicate(expr, schema, strict=strict, resolver=resolver, text=text)


@lru_cache(maxsize=512)
def _compile_text(
    text: str, schema: Schema, extended: bool, strict: bool, resolver: Resolver | None
) -> Predicate:
    from .parser import parse

    expr = parse(text, schema=schema, extended=extended)
    return Predicate(expr, schema, strict=strict, resolver=resolver, text=text)


def compile(
    where: str | Expr | Predicate,
    schema: Schema | str | None = None,
    *,
    extended: bool = False,
    strict: bool = False,
    resolver: Resolver | None = None,
) -> Predicate:
    """Compile a where expression into a :class:`Predicate` (``entity -> bool``).

    ``where`` is text (parsed and validated against ``schema``; ``extended`` picks the
    syntax level), a syntax tree (validated against ``schema`` unless already typed), or
    a Predicate (returned as is). ``strict=True`` raises :class:`WhereEvaluationError`
    for an entity value of the wrong type instead of treating it as NULL. ``resolver``
    finds related entities for paths such as ``Space.Labels.env``. Compiled predicates
    are cached by expression, schema and options.

    >>> from wherelang import compile, confighub
    >>> p = compile("LEN(FromLinkID) > 0 AND Labels.tier IS NULL", confighub.schema("Unit"))
    >>> p({"FromLinkID": ["7C61626F-DDBE-41AF-93F6-B69F4AB6D308"]}), p({})
    (True, False)
    """
    if isinstance(where, Predicate):
        return where
    if not isinstance(where, (str, Node)):
        raise not_text(where)
    try:
        return _compile(where, schema, extended, strict, resolver)
    except RecursionError:  # a tree built in code, hashed for the cache or validated
        raise too_deep(WhereEvaluationError, "compile") from None


def _compile(
    where: str | Expr,
    schema: Schema | str | None,
    extended: bool,
    strict: bool,
    resolver: Resolver | None,
) -> Predicate:
    if schema is not None:
        schema = as_schema(schema)  # a ConfigHub entity name is a schema too
    if isinstance(where, str):
        if schema is None:
            raise TypeError("filtering or compiling where text " + NEEDS_A_SCHEMA)
        try:
            return _compile_text(where, schema, extended, strict, resolver)
        except TypeError as exc:
            if "unhashable" not in str(exc):
                raise
            from .parser import parse

            expr = parse(where, schema=schema, extended=extended)
            return Predicate(expr, schema, strict=strict, resolver=resolver, text=where)
    if _has_paths(where):
        if schema is None:
            raise TypeError("filtering or compiling an untyped tree " + NEEDS_A_SCHEMA)
        from .validate import validate

        where = validate(where, schema)
    try:
        return _compile_tree(where, schema, strict, resolver, None)
    except TypeError as exc:
        if "unhashable" not in str(exc):
            raise
        return Predicate(where, schema, strict=strict, resolver=resolver)


def filter(
    entities: Iterable[T],
    where: str | Expr | Predicate,
    schema: Schema | str | None = None,
    *,
    extended: bool = False,
    strict: bool = False,
    resolver: Resolver | None = None,
) -> Iterator[T]:
    """The entities that match ``where``, lazily and in order (see :func:`compile`).

    >>> from wherelang import filter, confighub
    >>> units = [{"Slug": "app-1", "HeadRevisionNum": 3, "LastReleasedRevisionNum": 2},
    ...          {"Slug": "app-2", "HeadRevisionNum": 2, "LastReleasedRevisionNum": 2},
    ...          {"Slug": "db", "HeadRevisionNum": None}]
    >>> [u["Slug"] for u in filter(units, "HeadRevisionNum > LastReleasedRevisionNum",
    ...                            confighub.schema("Unit"))]
    ['app-1']
    """
    predicate = compile(where, schema, extended=extended, strict=strict, resolver=resolver)
    return predicate.filter(entities)
