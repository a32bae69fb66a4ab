"""Truth tables for in-memory evaluation (SPEC §3).

Expected answers are PostgreSQL's; the cases that depend on PostgreSQL's own functions
(lower(), timestamptz input, uuid input) are checked against a real server in
tests/test_eval_postgres.py as well.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import io
import itertools
import re
import tokenize
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

import wherelang
from wherelang import ListQuery, WhereEvaluationError
from wherelang.evaluate import _OPS, _LENIENT, _STRICT, Predicate, parse_entity_time, pg_lower
from wherelang.nodes import And, Attr, Compare, In, IsNull, Literal, Not, Op, Or, Truth
from wherelang.schema import Attribute, Kind, Relation, Schema, Type
from wherelang.strategies import expressions_for

U1 = "7c61626f-ddbe-41af-93f6-b69f4ab6d308"
U2 = "00000000-0000-4000-8000-000000000002"

SPACE = Schema(
    "Space",
    [
        Attribute("SpaceID", Type.of("uuid")),
        Attribute("Slug", Type.of("string")),
        Attribute("Labels", Type.of({"type": "map", "values": "string"})),
    ],
    id="SpaceID",
)


def _resolve_schema(name: str) -> Schema | None:
    return {"Space": SPACE}.get(name)


UNIT = Schema(
    "Unit",
    [
        Attribute("UnitID", Type.of("uuid")),
        Attribute("Slug", Type.of("string")),
        Attribute("DisplayName", Type.of("string")),
        Attribute("HeadRevisionNum", Type.of("int")),
        Attribute("LiveRevisionNum", Type.of("int")),
        Attribute("Score", Type.of("float")),
        Attribute("Enabled", Type.of("bool")),
        Attribute("Ready", Type.of("bool")),
        Attribute("SpaceID", Type.of("uuid")),
        Attribute("TargetID", Type.of("uuid")),
        Attribute("CreatedAt", Type.of("time")),
        Attribute("UpdatedAt", Type.of("time")),
        Attribute("Labels", Type.of({"type": "map", "values": "string"})),
        Attribute("Gates", Type.of({"type": "map", "values": "bool"})),
        Attribute("Counts", Type.of({"type": "map", "values": "int"})),
        Attribute("ApprovedBy", Type.of({"type": "array", "items": "uuid"})),
        Attribute("Tags", Type.of({"type": "array", "items": "string"})),
        Attribute("Nums", Type.of({"type": "array", "items": "int"})),
        Attribute("Data", Type.of("json")),
    ],
    [Relation("Space", "SpaceID", "Space")],
    id="UnitID",
    resolver=_resolve_schema,
)


def ev(where: str, entity: Any, **options: Any) -> bool:
    options.setdefault("extended", True)
    result = wherelang.compile(where, UNIT, **options)(entity)
    assert type(result) is bool
    return result


def case(where: str, entity: Any, expected: bool) -> Any:
    return pytest.param(where, entity, expected, id=f"{where} | {entity!r}"[:120])


def check(cases: list[Any]) -> Any:
    return pytest.mark.parametrize("where, entity, expected", cases)


# --- three-valued logic ---------------------------------------------------------------

T, F, N = True, False, None
TRI = (T, F, N)


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def _not(a: bool | None) -> bool | None:
    return None if a is None else not a


@pytest.mark.parametrize("a, b", list(itertools.product(TRI, TRI)))
def test_kleene_logic(a: bool | None, b: bool | None) -> None:
    """AND, OR, NOT over true/false/unknown: Enabled = true is unknown when Enabled is NULL."""
    entity = {"Enabled": a, "Ready": b}
    forms = {
        "Enabled = true AND Ready = true": _and(a, b),
        "Enabled = true OR Ready = true": _or(a, b),
        "NOT (Enabled = true AND Ready = true)": _not(_and(a, b)),
        "NOT (Enabled = true OR Ready = true)": _not(_or(a, b)),
        "NOT Enabled = true OR Ready = true": _or(_not(a), b),
        "NOT (NOT Enabled = true AND NOT Ready = true)": _not(_and(_not(a), _not(b))),
        "(Enabled = true AND Ready = true) IS NOT TRUE": None,  # not a predicate: skipped
    }
    for where, expected in forms.items():
        if "IS NOT TRUE" in where:
            continue
        assert ev(where, entity) is (expected is True), where


@pytest.mark.parametrize("a", TRI)
def test_truth_tests(a: bool | None) -> None:
    entity = {"Enabled": a}
    assert ev("Enabled = true IS TRUE", entity) is (a is True)
    assert ev("Enabled = true IS NOT TRUE", entity) is (a is not True)
    assert ev("Enabled = true IS FALSE", entity) is (a is False)
    assert ev("Enabled = true IS NOT FALSE", entity) is (a is not False)
    assert ev("NOT Enabled = true IS NOT FALSE", entity) is (a is False)
    assert ev("NOT (Enabled = true IS FALSE)", entity) is (a is not False)
    # the same in the strict syntax
    assert ev("Enabled = true IS NOT FALSE", entity, extended=False) is (a is not False)


# --- NULL: absent attributes, JSON null, absent keys, wrong types ---------------------

NULLISH = [{}, {"Labels": None}, {"Labels": {}}, {"Labels": {"tier": None}}]


@check(
    [case("Labels.tier = 'x'", e, False) for e in NULLISH]
    + [case("Labels.tier != 'x'", e, False) for e in NULLISH]
    + [case("Labels.tier IS NULL", e, True) for e in NULLISH]
    + [case("Labels.tier IS NOT NULL", e, False) for e in NULLISH]
    + [case("Labels.tier IN ('x', 'y')", e, False) for e in NULLISH]
    + [case("Labels.tier NOT IN ('x', 'y')", e, False) for e in NULLISH]
    + [case("Labels.tier LIKE '%'", e, False) for e in NULLISH]
    + [case("Labels.tier NOT LIKE 'x'", e, False) for e in NULLISH]
    + [case("Labels.tier !~ 'x'", e, False) for e in NULLISH]
    + [case("Labels.tier < 'x' IS NOT TRUE", e, True) for e in NULLISH]
    + [
        case("Labels.tier != 'x'", {"Labels": {"tier": "y"}}, True),
        case("Labels.tier NOT IN ('x', 'y')", {"Labels": {"tier": "z"}}, True),
        case("Labels IS NULL", {}, True),
        case("Labels IS NULL", {"Labels": None}, True),
        case("Labels IS NULL", {"Labels": {}}, False),
        case("Labels ? 'tier'", {"Labels": {"tier": None}}, True),  # the key exists
        case("Labels ? 'tier'", {"Labels": {}}, False),
        case("Labels ? 'tier'", {}, False),
        case("NOT Labels ? 'tier'", {}, False),  # unknown
        case("NOT Labels ? 'tier'", {"Labels": {}}, True),
        case("HeadRevisionNum > LiveRevisionNum", {"HeadRevisionNum": 3, "LiveRevisionNum": 2}, True),
        case("HeadRevisionNum > LiveRevisionNum", {"HeadRevisionNum": 2, "LiveRevisionNum": 2}, False),
        case("HeadRevisionNum > LiveRevisionNum", {"HeadRevisionNum": 3}, False),
        case("HeadRevisionNum != LiveRevisionNum", {"LiveRevisionNum": 3}, False),
        case("HeadRevisionNum = LiveRevisionNum", {}, False),  # NULL = NULL is unknown
        case("HeadRevisionNum = LiveRevisionNum IS NOT FALSE", {}, True),
        case(f"TargetID = '{U1}' IS NOT FALSE", {}, True),
        case(f"TargetID = '{U1}' IS NOT FALSE", {"TargetID": U2}, False),
        case(f"TargetID = '{U1}' IS NOT FALSE", {"TargetID": U1.upper()}, True),
    ]
)
def test_null(where: str, entity: Any, expected: bool) -> None:
    assert ev(where, entity) is expected


@check(
    [
        # a value of the wrong type is NULL: neither = nor != holds, IS NULL does
        case("HeadRevisionNum = 5", {"HeadRevisionNum": "5"}, False),
        case("HeadRevisionNum != 5", {"HeadRevisionNum": "5"}, False),
        case("HeadRevisionNum IS NULL", {"HeadRevisionNum": "5"}, True),
        case("HeadRevisionNum = 1", {"HeadRevisionNum": True}, False),
        case("HeadRevisionNum != 1", {"HeadRevisionNum": True}, False),
        case("HeadRevisionNum = 5", {"HeadRevisionNum": 5.0}, True),  # integral: an int
        case("HeadRevisionNum != 5", {"HeadRevisionNum": 5.5}, False),
        case("Slug != 'x'", {"Slug": 5}, False),
        case("Slug != 'x'", {"Slug": ["x"]}, False),
        case("Enabled != true", {"Enabled": "false"}, False),
        case("Enabled != true", {"Enabled": 0}, False),
        case(f"SpaceID != '{U1}'", {"SpaceID": "not-a-uuid"}, False),
        case(f"SpaceID != '{U1}'", {"SpaceID": 5}, False),
        case("CreatedAt < '2030-01-01'", {"CreatedAt": "soon"}, False),
        case("CreatedAt > '2000-01-01'", {"CreatedAt": "2025-02-30"}, False),
        case("CreatedAt IS NULL", {"CreatedAt": "2025-13-01T00:00:00Z"}, True),
        case("CreatedAt > '2000-01-01'", {"CreatedAt": 1736208000}, False),
        case("Labels.tier != 'x'", {"Labels": ["tier"]}, False),
        case("Labels.tier != 'x'", {"Labels": {"tier": 5}}, False),
        case("Gates.x != true", {"Gates": {"x": "true"}}, False),
        case("Counts.x != 1", {"Counts": {"x": "2"}}, False),
        case("LEN(Labels) >= 0", {"Labels": "x"}, False),
        case("LEN(ApprovedBy) IS NULL", {"ApprovedBy": 7}, True),
        case(f"ApprovedBy ? '{U1}'", {"ApprovedBy": "x"}, False),
        case("Score > 0", {"Score": "1.5"}, False),
        case("Score > 0", {"Score": True}, False),
    ]
)
def test_wrong_types_are_null(where: str, entity: Any, expected: bool) -> None:
    assert ev(where, entity) is expected


# --- strings ----------------------------------------------------------------------------


@check(
    [
        case("Slug < 'a'", {"Slug": "B"}, True),  # code point order: 'B' (66) < 'a' (97)
        case("Slug > 'Z'", {"Slug": "a"}, True),
        case("Slug > 'z'", {"Slug": "é"}, True),
        case("Slug < 'ab'", {"Slug": "a"}, True),
        case("Slug < 'a'", {"Slug": ""}, True),
        case("Slug >= ''", {"Slug": ""}, True),
        # U+1F600 sorts above U+FFFF by code point (UTF-16 order would differ)
        case("Slug > '\uffff'", {"Slug": "\U0001f600"}, True),
        case("Slug > '\ufb01'", {"Slug": "\U00010000"}, True),
        case("'m' < Slug", {"Slug": "z"}, True),
        case("'m' < Slug", {"Slug": "a"}, False),
        case("'x' = Slug", {"Slug": "x"}, True),
        case("Slug = 'x'", {"Slug": "X"}, False),
        case("Slug = 'e\u0301'", {"Slug": "é"}, False),  # no normalization, as PostgreSQL
        case("Slug IN ('a', 'b')", {"Slug": "b"}, True),
        case("Slug IN ('a', 'b')", {"Slug": "c"}, False),
        case("Slug NOT IN ('a', 'b')", {"Slug": "c"}, True),
        case("Slug NOT IN ('a', 'b')", {"Slug": "a"}, False),
        case("Slug = DisplayName", {"Slug": "a", "DisplayName": "a"}, True),
        case("Slug < DisplayName", {"Slug": "a", "DisplayName": "b"}, True),
        case("Slug != DisplayName", {"Slug": "a"}, False),
    ]
)
def test_strings(where: str, entity: Any, expected: bool) -> None:
    assert ev(where, entity) is expected


LIKE_CASES = [
    ("a%", "abc", True),
    ("a%", "ba", False),
    ("a%", "a", True),
    ("b", "abc", False),  # anchored
    ("%b%", "abc", True),
    ("%c", "abc", True),
    ("%c", "abcd", False),
    ("a_c", "abc", True),
    ("a_c", "ac", False),
    ("a_c", "abbc", False),
    ("a%c%e", "abcde", True),
    ("a%c%e", "ace", True),
    ("a%c%e", "acx", False),
    ("a%b%b", "ab", False),  # parts may not overlap
    ("%aa%aa%", "aaa", False),
    ("%aa%aa%", "aaaa", True),
    ("ab%ba", "aba", False),
    ("ab%ba", "abba", True),
    ("_", "é", True),
    ("_", "\U0001f600", True),  # one code point
    ("__", "\U0001f600", False),
    ("a_b", "a\nb", True),  # _ and % match newlines
    ("a%", "a\nb", True),
    ("%", "", True),
    ("", "", True),
    ("", "a", False),
    ("100\\%", "100%", True),
    ("100\\%", "1000", False),
    ("a\\_b", "a_b", True),
    ("a\\_b", "axb", False),
    ("a\\\\b", "a\\b", True),
    ("a\\b", "ab", True),  # an escaped ordinary character is itself
    ("%\\%%", "50% off", True),
    ("%\\%%", "50 off", False),
    ("[a-z]%", "abc", False),  # brackets are not special in LIKE
    ("[a-z]%", "[a-z]x", True),
    ("a.c", "abc", False),
    ("*", "x", False),
    ("É%", "É!", True),
    ("É%", "é!", False),
]


@pytest.mark.parametrize("pattern, value, expected", LIKE_CASES)
def test_like(pattern: str, value: str, expected: bool) -> None:
    text = pattern.replace("'", "''")
    entity = {"Slug": value}
    assert ev(f"Slug LIKE '{text}'", entity) is expected
    assert ev(f"Slug ~~ '{text}'", entity) is expected
    assert ev(f"Slug NOT LIKE '{text}'", entity) is (not expected)
    assert ev(f"Slug !~~ '{text}'", entity) is (not expected)
    # ILIKE agrees on strings without letters of another case
    if pg_lower(value) == value and pg_lower(pattern) == pattern:
        assert ev(f"Slug ILIKE '{text}'", entity) is expected


ILIKE_CASES = [
    ("abc", "ABC", True),
    ("A%", "abc", True),
    ("é", "É", True),
    ("É", "é", True),
    ("ss", "ß", False),  # lower() maps one character to one character
    ("ß", "SS", False),
    ("ß", "ẞ", True),  # lower('ẞ') = 'ß'
    ("i", "İ", True),  # lower('İ') = 'i' (not 'i̇')
    ("ı", "I", False),
    ("σ", "Σ", True),
    ("ς", "Σ", False),  # no final-sigma rule
    ("%ς", "ΟΔΟΣ", False),
    ("%σ", "ΟΔΟΣ", True),
    ("k", "\u212a", True),  # KELVIN SIGN lowers to k
    ("ǆ", "ǅ", True),
    ("_", "İ", True),
]


@pytest.mark.parametrize("pattern, value, expected", ILIKE_CASES)
def test_ilike(pattern: str, value: str, expected: bool) -> None:
    entity = {"Slug": value}
    assert ev(f"Slug ILIKE '{pattern}'", entity) is expected
    assert ev(f"Slug ~~* '{pattern}'", entity) is expected
    assert ev(f"Slug NOT ILIKE '{pattern}'", entity) is (not expected)
    assert ev(f"Slug !~~* '{pattern}'", entity) is (not expected)


def test_pg_lower_is_one_character_at_a_time() -> None:
    assert pg_lower("ΟΔΟΣ") == "οδοσ"  # str.lower() would end in 'ς'
    assert pg_lower("İ") == "i"  # str.lower() gives 'i̇', two code points
    assert pg_lower("ß") == "ß"
    assert pg_lower("ABC") == "abc"


@given(st.text())
def test_pg_lower_keeps_length(text: str) -> None:
    assert len(pg_lower(text)) == len(text)


REGEX_CASES = [
    ("b", "abc", True),  # unanchored search
    ("^b", "abc", False),
    ("^a", "abc", True),
    ("c$", "abc", True),
    ("c$", "abc\n", False),  # $ is the end of the string only
    ("^abc$", "abc", True),
    ("a.c", "a\nc", True),  # . matches a newline, as in PostgreSQL
    ("a\\.c", "a.c", True),
    ("a\\.c", "abc", False),
    ("^app-[0-9]+$", "app-12", True),
    ("^app-[0-9]+$", "app-12x", False),
    ("(x|y)z", "ayz", True),
    ("v{2,3}", "vv", True),
    ("v{2,3}", "v", False),
    ("[^/]+/", "a/b", True),
    ("\\$\\(\\)\\[\\]", "$()[]", True),
    ("^.$", "\U0001f600", True),  # one code point
    ("^..$", "é", False),
    ("é", "café", True),
    ("", "", True),
    ("x*", "abc", True),
]


@pytest.mark.parametrize("pattern, value, expected", REGEX_CASES)
def test_regex(pattern: str, value: str, expected: bool) -> None:
    text = pattern.replace("'", "''")
    entity = {"Slug": value}
    assert ev(f"Slug ~ '{text}'", entity) is expected
    assert ev(f"Slug !~ '{text}'", entity) is (not expected)


@check(
    [
        case("Slug ~* 'B'", {"Slug": "abc"}, True),
        case("Slug ~* '^APP'", {"Slug": "app-1"}, True),
        case("Slug ~ '^APP'", {"Slug": "app-1"}, False),
        case("Slug !~* 'B'", {"Slug": "abc"}, False),
        case("Slug !~* 'x'", {"Slug": "abc"}, True),
        case("Slug ~* 'É'", {"Slug": "é"}, True),
        case("Slug ~* '[a-c]+'", {"Slug": "ABC"}, True),
        case("Slug !~* 'x'", {}, False),
    ]
)
def test_regex_case_insensitive(where: str, entity: Any, expected: bool) -> None:
    assert ev(where, entity) is expected


# --- numbers ------------------------------------------------------------------------------


@check(
    [
        case("HeadRevisionNum = 3", {"HeadRevisionNum": 3}, True),
        case("HeadRevisionNum >= 3", {"HeadRevisionNum": 2}, False),
        case("HeadRevisionNum < -1", {"HeadRevisionNum": -2}, True),
        case("HeadRevisionNum IN (1, 2)", {"HeadRevisionNum": 2}, True),
        case("HeadRevisionNum IN (1, 2)", {"HeadRevisionNum": 3}, False),
        case("HeadRevisionNum NOT IN (1, 2)", {"HeadRevisionNum": 3}, True),
        case("HeadRevisionNum NOT IN (1, 2)", {}, False),
        case("HeadRevisionNum = 1", {"HeadRevisionNum": Decimal(1)}, True),
        case("HeadRevisionNum = 99999999999999999999", {"HeadRevisionNum": 10**20 - 1}, True),
        case("Score > 0.75", {"Score": 0.8}, True),
        case("Score > 0.75", {"Score": 0.75}, False),
        case("Score = 0.1", {"Score": 0.1}, True),  # float8 of the literal
        case("Score > 0", {"Score": 1}, True),
        case("Score >= 1", {"Score": Decimal("1.0")}, True),
        case("Score IN (1, 2.5)", {"Score": 2.5}, True),
        case("Score IN (1, 2.5)", {"Score": 1.0}, True),
        case("Score < 0", {"Score": -0.0}, False),
        case("Score = 0", {"Score": -0.0}, True),
        # int against float compares as float8, as PostgreSQL does
        case("HeadRevisionNum = Score",
             {"HeadRevisionNum": 9007199254740993, "Score": 9007199254740992.0}, True),  # fmt: skip
        case("HeadRevisionNum > Score", {"HeadRevisionNum": 2, "Score": 1.5}, True),
        # float8 NaN equals itself and sorts above every number
        case("Score > 1000000", {"Score": float("nan")}, True),
        case("Score = Score", {"Score": float("nan")}, True),
        case("Score < 1", {"Score": float("nan")}, False),
        case("Score > 1", {"Score": float("inf")}, True),
    ]
)
def test_numbers(where: str, entity: Any, expected: bool) -> None:
    assert ev(where, entity) is expected


def test_int_literal_against_float_attribute_is_float8() -> None:
    # 2**53 + 1 as float8 is 2**53
    assert ev("Score = 9007199254740993", {"Score": 9007199254740992.0}) is True


# --- booleans and UUIDs ---------------------------------------------------------------------


@check(
    [
        case("Enabled = true", {"Enabled": True}, True),
        case("Enabled = false", {"Enabled": True}, False),
        case("Enabled != false", {"Enabled": True}, True),
        case("Enabled = Ready", {"Enabled": False, "Ready": False}, True),
        case(f"SpaceID = '{U1}'", {"SpaceID": U1.upper()}, True),
        case(f"SpaceID = '{U1.upper()}'", {"SpaceID": U1}, True),
        case(f"SpaceID = '{U1}'", {"SpaceID": UUID(U1)}, True),
        case(f"SpaceID = '{U1}'", {"SpaceID": "{" + U1 + "}"}, True),  # PostgreSQL's forms
        case(f"SpaceID = '{U1}'", {"SpaceID": U1.replace("-", "")}, True),
        case(f"SpaceID = '{U1}'", {"SpaceID": "urn:uuid:" + U1}, False),  # not PostgreSQL's
        case(f"SpaceID != '{U1}'", {"SpaceID": U2}, True),
        case(f"SpaceID IN ('{U2}', '{U1.upper()}')", {"SpaceID": U1}, True),
        case(f"SpaceID NOT IN ('{U2}')", {"SpaceID": U1.upper()}, True),
        case("SpaceID = TargetID", {"SpaceID": U1, "TargetID": U1.upper()}, True),
        case("SpaceID != TargetID", {"SpaceID": U1, "TargetID": U2}, True),
    ]
)
def test_bools_and_uuids(where: str, entity: Any, expected: bool) -> None:
    assert ev(where, entity) is expected


# --- times ----------------------------------------------------------------------------------

PLUS5 = timezone(timedelta(hours=5))


@check(
    [
        case("CreatedAt >= '2025-01-07'", {"CreatedAt": "2025-01-07T00:00:00Z"}, True),
        case("CreatedAt >= '2025-01-07'", {"CreatedAt": "2025-01-06T23:59:59.999999Z"}, False),
        case("CreatedAt >= '2025-01-07'", {"CreatedAt": "2025-01-07T01:00:00+02:00"}, False),
        case("CreatedAt >= '2025-01-07'", {"CreatedAt": "2025-01-06T20:00:00-04:00"}, True),
        case("CreatedAt >= '2025-01-07'", {"CreatedAt": "2025-01-07T00:00:00"}, True),  # UTC
        case("CreatedAt >= '2025-01-07'", {"CreatedAt": "2025-01-07"}, True),
        case("CreatedAt >= '2025-01-07'", {"CreatedAt": "2025-01-07 00:00:00+00"}, True),
        case("CreatedAt >= '2025-01-07'", {"CreatedAt": datetime(2025, 1, 7)}, True),  # naive: UTC
        case("CreatedAt >= '2025-01-07'", {"CreatedAt": datetime(2025, 1, 7, 4, tzinfo=PLUS5)}, False),
        case("CreatedAt >= '2025-01-07'", {"CreatedAt": datetime(2025, 1, 7, 5, tzinfo=PLUS5)}, True),
        case("CreatedAt >= '2025-01-07'", {"CreatedAt": date(2025, 1, 7)}, True),
        case("CreatedAt = '2025-01-07T00:00:00+01:00'", {"CreatedAt": "2025-01-06T23:00:00Z"}, True),
        case("CreatedAt = '2025-01-07T00:00:00Z'", {"CreatedAt": "2025-01-07T05:30:00+05:30"}, True),
        case("CreatedAt != '2025-01-07T00:00:00Z'", {"CreatedAt": "2025-01-07T05:30:00+0530"}, False),
        # fractions round to microseconds, half to even, as PostgreSQL's input does
        case("CreatedAt = '2025-01-07'", {"CreatedAt": "2025-01-07T00:00:00.0000005Z"}, True),
        case("CreatedAt > '2025-01-07'", {"CreatedAt": "2025-01-07T00:00:00.0000015Z"}, True),
        case("CreatedAt = '2025-01-07T00:00:01Z'", {"CreatedAt": "2025-01-07T00:00:00.9999999Z"}, True),
        case("CreatedAt = '2025-01-08'", {"CreatedAt": "2025-01-07T24:00:00Z"}, True),
        case("CreatedAt = '2025-01-08'", {"CreatedAt": "2025-01-07T23:59:60Z"}, True),
        case("CreatedAt < UpdatedAt",
             {"CreatedAt": "2025-01-07T10:00:00+02:00", "UpdatedAt": "2025-01-07T09:00:00Z"}, True),  # fmt: skip
        case("CreatedAt = UpdatedAt",
             {"CreatedAt": datetime(2025, 1, 7, 5, tzinfo=PLUS5), "UpdatedAt": "2025-01-07T00:00:00Z"}, True),  # fmt: skip
    ]
)
def test_times(where: str, entity: Any, expected: bool) -> None:
    assert ev(where, entity) is expected


@pytest.mark.parametrize(
    "text",
    ["soon", "", "2025-02-30", "2025-13-01", "2025-01-01T25:00:00Z", "2025-01-01T10:00:00+16:00",
     "2025-01-01T24:00:01Z", "2025-01-01T10:61:00Z", "2025-01-01T10", "2025-W01-1", "+2025-01-01"],
)  # fmt: skip
def test_broken_times_are_null(text: str) -> None:
    assert parse_entity_time(text) is None
    assert ev("CreatedAt IS NULL", {"CreatedAt": text}) is True


# --- arrays and maps --------------------------------------------------------------------------


@check(
    [
        case(f"ApprovedBy ? '{U1}'", {"ApprovedBy": [U2, U1.upper()]}, True),
        case(f"ApprovedBy ? '{U1.upper()}'", {"ApprovedBy": [U1]}, True),
        case(f"ApprovedBy ? '{U1}'", {"ApprovedBy": [U2]}, False),
        case(f"ApprovedBy ? '{U1}'", {"ApprovedBy": []}, False),
        case(f"ApprovedBy ? '{U1}'", {"ApprovedBy": None}, False),
        case(f"ApprovedBy ? '{U1}'", {"ApprovedBy": [None, "junk", 5, U1]}, True),
        case(f"NOT ApprovedBy ? '{U1}'", {"ApprovedBy": []}, True),
        case(f"NOT ApprovedBy ? '{U1}'", {}, False),
        case("LEN(ApprovedBy) = 0", {}, True),  # LEN of a missing array is 0
        case("LEN(ApprovedBy) = 0", {"ApprovedBy": None}, True),
        case("LEN(ApprovedBy) = 0", {"ApprovedBy": []}, True),
        case("LEN(ApprovedBy) > 0", {"ApprovedBy": [U1]}, True),
        case("LEN(ApprovedBy) IS NULL", {}, False),
        case("LEN(ApprovedBy) IN (1, 2)", {"ApprovedBy": [U1, U2]}, True),
        case("LEN(ApprovedBy) < HeadRevisionNum", {"ApprovedBy": [U1], "HeadRevisionNum": 2}, True),
        case("Tags ? 'a'", {"Tags": ["b", "a"]}, True),
        case("Tags ? 'a'", {"Tags": ["A"]}, False),
        case("Tags ? ''", {"Tags": [""]}, True),
        case("Nums ? 1", {"Nums": [True]}, False),  # a boolean is not the number 1
        case("Nums ? 1", {"Nums": [2, 1]}, True),
        case("Nums ? 1", {"Nums": ("1",)}, False),
        case("Labels ? 'app.kubernetes.io/name'", {"Labels": {"app.kubernetes.io/name": "x"}}, True),
        case("LEN(Labels) = 2", {"Labels": {"a": "1", "b": None}}, True),
        case("LEN(Labels) = 0", {"Labels": {}}, True),
        case("LEN(Labels) = 0", {}, True),
        case("Labels.app.kubernetes.io/name = 'web'", {"Labels": {"app.kubernetes.io/name": "web"}}, True),
        case("Labels.'it''s' = 'x'", {"Labels": {"it's": "x"}}, True),
        case("Labels.tier IN ('a', 'b')", {"Labels": {"tier": "b"}}, True),
        case("Gates.x = true", {"Gates": {"x": True}}, True),
        case("Gates.x = false", {"Gates": {"x": True}}, False),
        case("Gates.x != false", {"Gates": {"x": True}}, True),
        case("Counts.x > 1", {"Counts": {"x": 2}}, True),
        case("Counts.x IN (1, 2)", {"Counts": {"x": 2}}, True),
        case("Data IS NULL", {"Data": None}, True),
        case("Data IS NOT NULL", {"Data": {"any": "thing"}}, True),
        case("Data IS NOT NULL", {"Data": 0}, True),
    ]
)
def test_arrays_and_maps(where: str, entity: Any, expected: bool) -> None:
    assert ev(where, entity) is expected


# --- related entities -------------------------------------------------------------------------

PROD_SPACE = {"SpaceID": U2, "Slug": "prod", "Labels": {"Environment": "prod"}}


def test_related_entity_carried_by_the_entity() -> None:
    unit = {"Slug": "a", "SpaceID": U2, "Space": PROD_SPACE}
    assert ev("Space.Labels.Environment = 'prod'", unit) is True
    assert ev("Space.Slug = 'prod' AND Slug = 'a'", unit) is True
    assert ev("Space.Labels.Environment = 'dev'", unit) is False


def test_extended_response_evaluates_as_the_entity() -> None:
    response = {"Unit": {"Slug": "a", "SpaceID": U2}, "Space": PROD_SPACE}
    assert ev("Space.Labels.Environment = 'prod' AND Slug = 'a'", response) is True
    assert ev("Slug = 'a'", response) is True
    assert ev(f"SpaceID = '{U2}'", response) is True
    assert ev("Slug = 'a'", {"Unit": {"Slug": "b"}}) is False


@pytest.mark.parametrize("strict", [False, True])
def test_a_dict_holding_its_own_attributes_is_not_an_extended_response(strict: bool) -> None:
    # the rule of extended_entity: the entity under its name, and none of its own
    # attributes beside it (relations such as Space may be there)
    def check(text: str, entity: Any) -> bool:
        predicate = wherelang.compile(text, UNIT, strict=strict)
        result = predicate(entity)
        assert list(predicate.filter([entity])) == ([entity] if result else [])
        assert bool(predicate.__globals__["_exact"](entity)) is result
        return bool(result)

    inner = {"Slug": "b", "Labels": {"tier": "web"}, "HeadRevisionNum": 3}
    assert check("Slug = 'b' AND Labels.tier = 'web'", {"Unit": inner, "Space": PROD_SPACE})
    assert check("Slug = 'a'", {"Unit": inner, "Slug": "a"})
    assert check("Slug IS NULL", {"Unit": inner, "Slug": None})
    assert not check("Labels.tier = 'web'", {"Unit": inner, "Slug": "a"})
    assert check("LEN(Labels) = 0", {"Unit": inner, "Slug": "a"})
    assert check("LEN(Labels) = 1", {"Unit": inner, "Space": PROD_SPACE})
    assert check("HeadRevisionNum > 2", {"Unit": inner})
    assert check("Slug IS NULL", {"Unit": "not an entity"})
    # ListQuery shapes its results by the same rule
    assert list(ListQuery(where="Slug = 'a'", select=["Slug"], schema=UNIT).apply(
        [{"Unit": inner, "Slug": "a"}]
    )) == [{"UnitID": None, "Slug": "a"}]
    assert list(ListQuery(where="Slug = 'b'", select=["Slug"], schema=UNIT).apply(
        [{"Unit": inner, "Space": PROD_SPACE}]
    )) == [{"UnitID": None, "Slug": "b"}]


def test_resolver_finds_related_entities() -> None:
    spaces = {U2: PROD_SPACE}
    calls: list[tuple[Any, str]] = []

    def resolver(entity: Any, relation: str) -> Any:
        calls.append((entity, relation))
        return spaces.get(entity.get("SpaceID")) if relation == "Space" else None

    unit = {"Slug": "a", "SpaceID": U2}
    assert ev("Space.Labels.Environment = 'prod'", unit, resolver=resolver) is True
    assert calls == [(unit, "Space")]
    assert ev("Space.Labels.Environment = 'prod'", {"SpaceID": U1}, resolver=resolver) is False
    # an entity that carries its Space is not resolved again
    calls.clear()
    assert ev("Space.Slug = 'prod'", {"Space": PROD_SPACE}, resolver=resolver) is True
    assert calls == []


def test_missing_related_entity_is_null() -> None:
    assert ev("Space.Labels.Environment = 'prod'", {"Slug": "a"}) is False
    assert ev("Space.Labels.Environment != 'prod'", {"Slug": "a"}) is False
    assert ev("Space.Labels.Environment IS NULL", {"Slug": "a"}) is True
    assert ev("Space.Slug IS NULL", {"Space": None}) is True
    assert ev("Space.Slug IS NULL", {"Space": "not an entity"}) is True


# --- entities of every kind -----------------------------------------------------------------


class Tier(str, enum.Enum):
    WEB = "web"
    DB = "db"


class UnitModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    slug: str = Field(alias="Slug")
    head: int | None = Field(default=None, alias="HeadRevisionNum")
    created_at: datetime | None = Field(default=None, alias="CreatedAt")
    space_id: UUID | None = Field(default=None, alias="SpaceID")
    labels: dict[str, str] = Field(default_factory=dict, alias="Labels")
    tier: Tier | None = Field(default=None, alias="DisplayName")
    approved_by: list[UUID] = Field(default_factory=list, alias="ApprovedBy")


class SpaceModel(BaseModel):
    Slug: str
    Labels: dict[str, str] = {}


class UnitWithSpace(BaseModel):
    Slug: str
    Space: SpaceModel | None = None


@dataclasses.dataclass
class UnitData:
    Slug: str
    HeadRevisionNum: int | None = None
    Labels: dict[str, str] = dataclasses.field(default_factory=dict)


class PlainUnit:
    def __init__(self, slug: str, head: int | None) -> None:
        self.Slug = slug
        self.HeadRevisionNum = head


WHERE = "Slug LIKE 'app-%' AND HeadRevisionNum > 1"


def test_pydantic_models_by_alias() -> None:
    unit = UnitModel(
        Slug="app-1",
        HeadRevisionNum=2,
        CreatedAt=datetime(2025, 2, 1, tzinfo=timezone.utc),
        SpaceID=UUID(U1),
        Labels={"tier": "web"},
        DisplayName=Tier.WEB,
        ApprovedBy=[UUID(U2)],
    )
    assert ev(WHERE, unit) is True
    assert ev(f"CreatedAt > '2025-01-07' AND SpaceID = '{U1.upper()}'", unit) is True
    assert ev("Labels.tier = 'web' AND DisplayName = 'web'", unit) is True  # str enum
    assert ev(f"ApprovedBy ? '{U2}' AND LEN(ApprovedBy) = 1", unit) is True
    assert ev(WHERE, UnitModel(Slug="app-1", HeadRevisionNum=None)) is False


def test_nested_pydantic_model_as_related_entity() -> None:
    unit = UnitWithSpace(Slug="a", Space=SpaceModel(Slug="prod", Labels={"Environment": "prod"}))
    assert ev("Space.Labels.Environment = 'prod'", unit) is True
    assert ev("Space.Labels.Environment IS NULL", UnitWithSpace(Slug="a")) is True


def test_dataclasses_and_plain_objects() -> None:
    assert ev(WHERE, UnitData("app-1", 2)) is True
    assert ev(WHERE, UnitData("app-1", 1)) is False
    assert ev(WHERE, PlainUnit("app-7", 3)) is True
    assert ev("Labels.x IS NULL AND DisplayName IS NULL", PlainUnit("a", 1)) is True


def test_non_entities_are_all_null() -> None:
    assert ev("Slug IS NULL", None) is True
    assert ev("Slug IS NULL", "a string") is True
    assert ev("Slug = 'x'", 42) is False


# --- filter -----------------------------------------------------------------------------------


def test_filter_is_lazy_and_ordered() -> None:
    endless = ({"Slug": f"app-{i}", "HeadRevisionNum": i} for i in itertools.count())
    found = wherelang.filter(endless, "HeadRevisionNum > 2 AND Slug LIKE '%0'", UNIT)
    assert [next(found)["Slug"], next(found)["Slug"]] == ["app-10", "app-20"]


def test_filter_lists_of_models() -> None:
    units = [UnitModel(Slug=f"app-{i}", HeadRevisionNum=i) for i in range(5)]
    assert [u.slug for u in wherelang.filter(units, "HeadRevisionNum >= 3", UNIT)] == ["app-3", "app-4"]


def test_filter_accepts_trees_and_predicates() -> None:
    units = [{"Slug": "a"}, {"Slug": "b"}]
    tree = wherelang.parse("Slug = 'b'", schema=UNIT)
    predicate = wherelang.compile(tree, UNIT)
    assert list(wherelang.filter(units, tree, UNIT)) == [{"Slug": "b"}]
    assert list(wherelang.filter(units, predicate)) == [{"Slug": "b"}]
    untyped = wherelang.parse("Slug = 'a'")
    assert list(wherelang.filter(units, untyped, UNIT)) == [{"Slug": "a"}]
    with pytest.raises(TypeError):
        wherelang.compile(untyped)


# --- strict evaluation ------------------------------------------------------------------------


def test_strict_names_entity_and_attribute() -> None:
    units = [
        {"UnitID": U1, "Slug": "a", "HeadRevisionNum": 3},
        {"UnitID": U2, "Slug": "b", "HeadRevisionNum": "three"},
    ]
    text = "Slug != 'x' AND HeadRevisionNum > 1"
    # lenient: the broken value is NULL
    assert [u["Slug"] for u in wherelang.filter(units, text, UNIT)] == ["a"]
    with pytest.raises(WhereEvaluationError) as info:
        list(wherelang.filter(units, text, UNIT, strict=True))
    err = info.value
    assert err.code == "wrong-type"
    assert "#1" in err.message and U2 in err.message and "HeadRevisionNum" in err.message
    assert err.position == text.index("HeadRevisionNum")
    # the predicate alone names the entity by its ID
    with pytest.raises(WhereEvaluationError, match="UnitID"):
        wherelang.compile(text, UNIT, strict=True)(units[1])


def test_strict_accepts_good_values_and_nulls() -> None:
    units = [{"Slug": "a", "HeadRevisionNum": None}, {"Slug": "b", "HeadRevisionNum": 2}, {}]
    found = wherelang.filter(units, "HeadRevisionNum > 1 OR Slug = 'a'", UNIT,
                             extended=True, strict=True)  # fmt: skip
    assert [u.get("Slug") for u in found] == ["a", "b"]


@pytest.mark.parametrize(
    "where, entity",
    [
        ("CreatedAt > '2025-01-01'", {"CreatedAt": "not a time"}),
        (f"SpaceID = '{U1}'", {"SpaceID": "nope"}),
        ("Labels.tier = 'x'", {"Labels": {"tier": 1}}),
        ("Labels.tier = 'x'", {"Labels": "tier"}),
        ("LEN(Tags) > 0", {"Tags": "abc"}),
        ("Enabled = true", {"Enabled": "yes"}),
        ("Score > 1", {"Score": "1"}),
        ("Tags ? 'a'", {"Tags": ["b", 1]}),
    ],
)
def test_strict_raises_for_each_kind(where: str, entity: Any) -> None:
    assert ev(where, entity) is False
    with pytest.raises(WhereEvaluationError):
        ev(where, entity, strict=True)


# --- the compiled code ----------------------------------------------------------------------


def test_operator_table_covers_every_operator() -> None:
    assert set(_OPS) == set(Op)


def test_normalizers_cover_every_kind() -> None:
    for norm in (_LENIENT, _STRICT):
        for kind in Kind:
            assert callable(norm.for_kind(kind))


def test_compiled_predicates_are_cached() -> None:
    a = wherelang.compile("Slug = 'cache-me'", UNIT)
    assert wherelang.compile("Slug = 'cache-me'", UNIT) is a
    assert wherelang.compile("Slug = 'cache-me'", UNIT, strict=True) is not a
    tree = wherelang.parse("Slug = 'cache-me'", schema=UNIT)
    assert wherelang.compile(tree, UNIT) is wherelang.compile(tree, UNIT)


# Every name the generated source may use besides the ones it binds (c0, v1, ...). Values
# appear only as literals (strings and integers, written with repr).
_ALLOWED_WORDS = {
    "def", "_predicate", "e", "if", "type", "is", "dict", "and", "not", "in", "get",
    "None", "else", "_view", "return", "or", "True", "False", "str", "int", "bool",
    "float", "_related", "_map_value", "_length", "_float", "_uuids", "len", "_SIZED",
    "startswith", "endswith", "list", "o", "try", "except", "ValueError", "_exact",
    "_fromiso", "_scan", "rows", "for", "yield", "ok", "i", "_Wrong", "_fail", "wrong",
    "raise", "from", "as", "_absent", "_Redo", "TypeError", "AttributeError", "continue", "_NO_KEYS",
}  # fmt: skip


def _words(source: str) -> set[str]:
    """The names of ``source``; each other token is an operator, a number or a string
    literal that is only a constant."""
    words = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME:
            if not re.fullmatch(r"(?:[cv]|_h)[0-9]+", token.string):
                words.add(token.string)
        elif token.type == tokenize.STRING:
            assert isinstance(ast.literal_eval(token.string), str), token.string
        else:
            assert token.type in _OTHER_TOKENS, token
    return words


_OTHER_TOKENS = {tokenize.OP, tokenize.NUMBER, tokenize.NEWLINE, tokenize.NL,
                 tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}  # fmt: skip


HOSTILE = [
    "'); import os; os.system('x'); ('",
    "__import__('os')",
    '"""',
    "\\",
    "\n return True\n",
    "{0.__class__}",
    "${x}",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_no_user_text_becomes_code(value: str) -> None:
    quoted = value.replace("'", "''")
    text = (
        f"Slug = '{quoted}' OR Labels.'{quoted}' LIKE '{quoted.rstrip(chr(92))}' "
        f"OR Slug ~ '{re.escape(value).replace(chr(39), chr(39) * 2)}' OR Tags ? '{quoted}'"
    )
    predicate = wherelang.compile(text, UNIT, extended=True)
    assert _words(predicate.source) <= _ALLOWED_WORDS
    assert predicate({"Slug": value}) is True
    assert predicate({"Tags": [value]}) is True
    assert predicate({"Slug": "other"}) is False


@settings(max_examples=150)
@given(expressions_for(UNIT, extended=True), st.booleans())
def test_generated_source_only_holds_generated_names(expr: Any, strict: bool) -> None:
    predicate = wherelang.compile(expr, UNIT, strict=strict)
    assert _words(predicate.source) <= _ALLOWED_WORDS
    assert predicate({}) in (True, False)


# Entities with values of every kind, some of them broken or NULL, to run generated
# expressions over: evaluation never raises, and strict evaluation raises only
# WhereEvaluationError.
_VALUES: dict[str, list[Any]] = {
    "Slug": ["app-1", "", "É", None, 3],
    "HeadRevisionNum": [0, 7, -2, None, "x", 2.0],
    "Score": [0.5, float("nan"), 3, None, "1"],
    "Enabled": [True, False, None, "true"],
    "SpaceID": [U1, U1.upper(), None, "junk"],
    "CreatedAt": ["2025-01-07T00:00:00Z", datetime(2025, 1, 7), "2025-13-01", None,
                  "2025-01-07 10:00:00-02:00", "2025-W02-1T10:10:10Z", "2025-01-07T10:00:00+15:60"],
    "Labels": [{"tier": "web"}, {}, None, ["x"], {"tier": 4}],
    "ApprovedBy": [[U1], [], None, "x", [None, 5]],
    "Space": [PROD_SPACE, None, "x"],
}
_PLAIN_ENTITIES = [
    {name: values[(i * (k + 3)) % len(values)] for k, (name, values) in enumerate(_VALUES.items())}
    for i in range(12)
]
# with extended responses, and dicts that hold the entity's name but are not one
_ENTITIES = [
    *_PLAIN_ENTITIES,
    {"Unit": _PLAIN_ENTITIES[1], "Space": {"Slug": "s"}},
    {"Unit": _PLAIN_ENTITIES[2]},
    {"Unit": _PLAIN_ENTITIES[3], "Slug": "app-1"},
    {"Unit": "not an entity", "Slug": "app-1"},
]


@settings(max_examples=150)
@given(expressions_for(UNIT, extended=True))
def test_evaluation_never_raises(expr: Any) -> None:
    lenient = wherelang.compile(expr, UNIT)
    strict = wherelang.compile(expr, UNIT, strict=True)
    exact = lenient.__globals__["_exact"]  # the predicate without the fast shortcuts
    failed_at = None
    for index, entity in enumerate(_ENTITIES):
        result = lenient(entity)
        assert result in (True, False)
        assert bool(exact(entity)) is result
        try:
            assert strict(entity) is result
        except WhereEvaluationError as err:
            assert err.code == "wrong-type"
            failed_at = index if failed_at is None else failed_at
    matches = [e for e in _ENTITIES if lenient(e)]
    assert list(lenient.filter(_ENTITIES)) == matches
    try:
        assert list(strict.filter(_ENTITIES)) == matches
        assert failed_at is None
    except WhereEvaluationError as err:
        assert f"entity #{failed_at}" in err.message


@settings(max_examples=100)
@given(expressions_for(UNIT, extended=True))
def test_not_is_the_complement_unless_unknown(expr: Any) -> None:
    """For every entity: exactly one of p, NOT p, (p IS NULL-ish) holds — checked through
    p IS NOT TRUE being NOT p or unknown."""
    if isinstance(expr, (And, Or, Not)):
        return
    positive = wherelang.compile(expr, UNIT)
    negative = wherelang.compile(Not(expr), UNIT)
    for entity in _ENTITIES:
        assert not (positive(entity) and negative(entity))


def test_typed_trees_built_by_hand() -> None:
    slug = Attr(("Slug",), (), "Slug", None, Type(Kind.STRING))
    head = Attr(("HeadRevisionNum",), (), "HeadRevisionNum", None, Type(Kind.INT))
    tree = And(
        (
            Compare(slug, Op.LIKE, Literal("a%")),
            Or((In(head, (Literal(1), Literal(2))), IsNull(head))),
            Truth(Compare(head, Op.EQ, Literal(5)), True, True),
        )
    )
    predicate = Predicate(tree)
    assert predicate({"Slug": "ab", "HeadRevisionNum": 2}) is True
    assert predicate({"Slug": "ab"}) is True
    assert predicate({"Slug": "ab", "HeadRevisionNum": 3}) is False
    assert predicate({"Slug": "b", "HeadRevisionNum": 2}) is False


# Pieces of patterns, some in the shape Python's re may serve, some not.
_REGEX_PIECES = ["^", "$", ".", "a", "b", "é", "-", "[a-c]", "[^/]", "[0-9]", "+", "*", "?",
                 "{2}", "{1,3}", "{2,}", "\\.", "\\$", "\\\\", "x", " ", "\n", "(", ")", "|"]  # fmt: skip


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from(_REGEX_PIECES), max_size=6).map("".join),
    st.lists(st.text("ab.é-/0\n$\\x ", max_size=12), min_size=1, max_size=5),
)
def test_python_regex_means_what_re2_means(pattern: str, texts: list[str]) -> None:
    """Where the evaluator hands a pattern to Python's re, it answers as RE2 would."""
    from wherelang.evaluate import _python_regex, _regex_matcher

    try:
        by_re2 = _regex_matcher(pattern)
    except ValueError:
        return  # not a valid pattern: the validator rejects it
    python = _python_regex(pattern)
    if python is None:
        return
    search = re.compile(python, re.DOTALL).search
    for text in texts:
        assert (search(text) is not None) is by_re2(text), (pattern, python, text)


def test_python_regex_refuses_what_could_backtrack() -> None:
    from wherelang.evaluate import _python_regex

    for pattern in ["a*a*", "(a+)+", "a|b", "a{1,100}b*", "a?a?a?", "[[:alpha:]]", "\\w+", "a+?"]:
        assert _python_regex(pattern) is None, pattern
    assert _python_regex("^app-[0-9]+$") is not None


def test_anchored_regex_with_one_quantifier_runs_in_python_at_any_length() -> None:
    """Anchored with '^' and one quantifier, Python's re tries the one start and is
    linear: the generated code has no length bound. Unanchored, or with two
    quantifiers, strings past the bound go to RE2. Both answer as RE2 does on a long
    string."""
    long_match, long_miss = "app-" + "7" * 100_000, "app-" + "7" * 100_000 + "x"
    for text, bounded in [("Slug ~ '^app-[0-9]+$'", False), ("Slug ~ 'app-[0-9]+$'", True),
                          ("Slug ~ '^a[a-z]?p-[0-9]+$'", True)]:  # fmt: skip
        predicate = wherelang.compile(text, UNIT)
        assert ("<= 256" in predicate.source) is bounded, text
        assert predicate({"Slug": long_match}) is True
        assert predicate({"Slug": long_miss}) is False


_TIME_BASES = ["2025-01-07T10:00:00Z", "2025-01-07T10:00:00+02:00", "2025-01-07 10:00:00.123456Z",
               "2025-01-07T23:59:59.5-11:30", "2025-01-07T10:00:00"]  # fmt: skip


@st.composite
def _near_times(draw: st.DrawFn) -> str:
    """Strings one to four characters away from common time shapes."""
    chars = list(draw(st.sampled_from(_TIME_BASES)))
    for _ in range(draw(st.integers(1, 4))):
        chars[draw(st.integers(0, len(chars) - 1))] = draw(st.sampled_from("0123456789-:T.Z +Wt"))
    return "".join(chars)


@settings(max_examples=500)
@given(_near_times())
@example("2025-W02-1T10:10:00Z")  # an ISO week date: Python reads it, PostgreSQL does not
@example("2025-01-07T10:00:00+15:60")  # Python reads +16:00, beyond PostgreSQL's range
@example("2025-01-07T10:00:00+16:00")
@example("2025-01-07 10:00:00-15:59")
def test_fast_time_paths_read_what_the_exact_parser_reads(text: str) -> None:
    """The shortcuts through datetime.fromisoformat never read a string differently from
    parse_entity_time (which tests/test_eval_postgres.py holds to PostgreSQL)."""
    from wherelang.evaluate import _iso_time

    exact = parse_entity_time(text)
    assert _iso_time(text) == exact
    moment = "2025-01-07T10:00:00Z"
    predicate = wherelang.compile(f"CreatedAt >= '{moment}'", UNIT)
    expected = exact is not None and exact >= datetime(2025, 1, 7, 10, tzinfo=timezone.utc)
    assert predicate({"CreatedAt": text}) is expected
    assert list(wherelang.filter([{"CreatedAt": text}], predicate)) == ([{"CreatedAt": text}] if expected else [])
    unread = wherelang.compile("CreatedAt IS NULL", UNIT)
    assert unread({"CreatedAt": text}) is (exact is None)
    assert len(list(unread.filter([{"CreatedAt": text}]))) == (exact is None)


def test_predicate_is_the_generated_function() -> None:
    """What compile returns is the generated function itself (no wrapper per call),
    still a Predicate with its attributes, and strict errors are translated inside it."""
    import types

    text = "Slug = 'x' AND CreatedAt >= '2025-01-07'"
    predicate = wherelang.compile(text, UNIT, strict=True)
    assert type(predicate) is types.FunctionType
    assert isinstance(predicate, Predicate) and not isinstance(lambda e: True, Predicate)
    assert predicate.text == text and predicate.strict and predicate.schema is UNIT
    assert predicate.expr == wherelang.parse(text, schema=UNIT)
    assert "def _predicate(e):" in predicate.source
    assert repr(predicate).startswith(f"<function Predicate({text!r}) at ")
    assert wherelang.compile(predicate) is predicate
    assert predicate({"Slug": "x", "CreatedAt": "2025-02-01T00:00:00Z"}) is True
    with pytest.raises(WhereEvaluationError) as info:
        predicate({"UnitID": U1, "Slug": "x", "CreatedAt": 7})
    assert info.value.code == "wrong-type" and info.value.position == text.index("CreatedAt")
    assert str(info.value.message).startswith(f"the entity (UnitID '{U1}'): CreatedAt holds 7")
    with pytest.raises(WhereEvaluationError, match=r"^entity #1: CreatedAt holds 7"):
        list(predicate.filter([{"Slug": "y"}, {"Slug": "x", "CreatedAt": 7}]))


def _outcome(predicate: Any, entity: Any) -> Any:
    try:
        return predicate(entity)
    except WhereEvaluationError as err:
        return err.code


@settings(max_examples=150)
@given(expressions_for(UNIT, extended=True), st.booleans())
def test_expressions_split_into_helper_functions_mean_the_same(expr: Any, strict: bool) -> None:
    """Long ANDs and ORs are generated as helper functions compiled one by one (to bound
    the compiler's memory); with a tiny piece size every expression is split so, and
    answers exactly as the unsplit predicate does."""
    import wherelang.evaluate as evaluate

    expr = wherelang.compile(expr, UNIT).expr  # typed
    whole = Predicate(expr, UNIT, strict=strict)
    saved = evaluate._PIECE
    evaluate._PIECE = 40
    try:
        split = Predicate(expr, UNIT, strict=strict)
    finally:
        evaluate._PIECE = saved
    assert _words(split.source) <= _ALLOWED_WORDS
    assert [_outcome(split, e) for e in _ENTITIES] == [_outcome(whole, e) for e in _ENTITIES]
    assert list(split.filter(_ENTITIES[:1])) == list(whole.filter(_ENTITIES[:1]))


def test_a_long_expression_compiles_in_bounded_pieces() -> None:
    """A 64 KB OR of AND groups: no compiled piece is much longer than _PIECE, and the
    predicate matches the sample Units the groups' own predicates match."""
    from wherelang import confighub, sample
    from wherelang.evaluate import _PIECE

    unit = confighub.schema("Unit")
    groups: list[str] = []
    i = 0
    while sum(len(g) + 4 for g in groups) < 64 * 1024:
        groups.append(
            f"(Slug = 'unit-{i % 300}' AND Labels.tier IN ('backend', 'frontend') "
            f"AND LEN(ApplyGates) >= {i % 3})"
            if i % 2 == 0
            else f"(Labels.'app.kubernetes.io/name' ~ '^x{i}$' OR DisplayName LIKE '%{i % 97}%')"
        )
        i += 1
    text = " OR ".join(groups)
    predicate = wherelang.compile(text, unit, extended=True)
    pieces = predicate.source.split("\ndef ")
    assert len(pieces) > 50
    assert max(len(piece) for piece in pieces if piece.startswith("_h")) < 4 * _PIECE
    units = sample.entities("Unit")
    parts = [wherelang.compile(g, unit, extended=True) for g in set(groups)]
    expected = [u["UnitID"] for u in units if any(p(u) for p in parts)]
    assert [u["UnitID"] for u in predicate.filter(units)] == expected
    assert [u["UnitID"] for u in units if predicate(u)] == expected
    assert 0 < len(expected) < len(units)


_OFFSETS = st.integers(-15 * 60 - 59, 15 * 60 + 59).map(lambda m: timedelta(minutes=m))


def _time_text(moment: datetime, offset: timedelta, zulu: bool) -> str:
    if zulu and not offset:
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(timezone(offset)).isoformat()


@settings(max_examples=300)
@given(
    st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.just(timezone.utc)),
    _OFFSETS,
    st.lists(st.tuples(st.integers(-3 * 86400, 3 * 86400), _OFFSETS, st.booleans()), min_size=1, max_size=6),
    st.sampled_from(["<", "<=", ">", ">=", "=", "!="]),
)
def test_time_literals_of_any_zone_compare_as_instants(
    moment: datetime, offset: timedelta, rows: list[tuple[int, timedelta, bool]], op: str
) -> None:
    """Time literals are held in UTC (datetime compares two values of one zone faster):
    a literal with any offset, against texts with any offset (or 'Z'), answers as the
    instants compare."""
    import operator

    literal = _time_text(moment, offset, False)
    text = f"CreatedAt {op} '{literal}'"
    predicate = wherelang.compile(text, UNIT)
    expr = wherelang.parse(text, schema=UNIT)
    assert isinstance(expr, Compare) and isinstance(expr.right, Literal)
    wanted = expr.right.value
    compare = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
               "=": operator.eq, "!=": operator.ne}[op]  # fmt: skip
    entities = []
    for seconds, row_offset, zulu in rows:
        value = _time_text(moment + timedelta(seconds=seconds), row_offset, zulu)
        read = parse_entity_time(value)
        assert read is not None
        assert predicate({"CreatedAt": value}) is compare(read, wanted), value
        entities.append({"CreatedAt": value})
    assert list(predicate.filter(entities)) == [e for e in entities if predicate(e)]


class _Lower(dict):  # type: ignore[type-arg]
    """A dict subclass whose get lowers the strings it finds."""

    def get(self, key: object, default: object = None) -> object:
        value = super().get(key, default)
        return value.lower() if isinstance(value, str) else value


def test_entities_are_read_through_get_or_attributes() -> None:
    """The generated code reads an entity with ``e.get`` and no type test per entity:
    a dict, a Mapping, a dict subclass overriding get and any object with a get method
    are read through get; anything else (no get, or a get that is not callable) by
    attribute, the same in a call and in filter()."""
    from collections import UserDict
    from types import SimpleNamespace

    class Getter:
        def __init__(self, **values: object) -> None:
            self.values = values
            self.Slug = "not-read"

        def get(self, name: str) -> object:
            return self.values.get(name)

    class Field:  # a field named get, as a model may have
        def __init__(self, slug: str) -> None:
            self.get = "a field"
            self.Slug = slug

    predicate = wherelang.compile("Slug = 'web' AND HeadRevisionNum > 1", UNIT)
    cases: list[tuple[object, bool]] = [
        ({"Slug": "web", "HeadRevisionNum": 2}, True),
        (UserDict({"Slug": "web", "HeadRevisionNum": 2}), True),
        (_Lower({"Slug": "WEB", "HeadRevisionNum": 2}), True),
        (Getter(Slug="web", HeadRevisionNum=2), True),
        (Getter(Slug="web"), False),
        (SimpleNamespace(Slug="web", HeadRevisionNum=2), True),
        (SimpleNamespace(Slug="web", HeadRevisionNum=1), False),
        (Field("web"), False),  # HeadRevisionNum absent: NULL
        ("Slug", False),
        (None, False),
    ]
    for entity, expected in cases:
        assert predicate(entity) is expected, entity
        assert list(predicate.filter([entity])) == ([entity] if expected else []), entity
    field = Field("web")
    field.HeadRevisionNum = 3  # type: ignore[attr-defined]
    assert predicate(field) is True


def test_map_values_are_read_through_get() -> None:
    """A map attribute is read like ``(m or {}).get(key)``: any map with keys, and any
    object with a working get method, through get; an empty or false value has no keys;
    a value without get (a list, a string) or without a truth value is NULL. The same
    per call and in filter(), in the version reading dicts directly and in the one
    reading through a view (Data needs one). strict=True takes Mappings only."""
    from collections import UserDict

    class Getter:
        def __init__(self, **values: object) -> None:
            self.values = values

        def get(self, key: str) -> object:
            return self.values.get(key)

        def __bool__(self) -> bool:
            return bool(self.values)

    class NoTruth(dict):  # type: ignore[type-arg]
        def __bool__(self) -> bool:
            raise ValueError("ambiguous, as a numpy array's")

    cases: list[tuple[object, bool | None]] = [  # None: the value is NULL
        ({"tier": "web"}, True),
        ({"tier": "api"}, False),
        (UserDict(tier="web"), True),
        (_Lower(tier="WEB"), True),
        (Getter(tier="web"), True),
        (Getter(), None),  # false: no keys
        ({}, None),
        (None, None),
        (["tier"], None),
        ("tier=web", None),
        (NoTruth(tier="web"), None),
    ]
    for text in ("Labels.tier = 'web'", "Labels.tier = 'web' AND (Data IS NULL OR Data IS NOT NULL)"):
        equal = wherelang.compile(text, UNIT, extended=True)
        null = wherelang.compile(text.replace("= 'web'", "IS NULL"), UNIT, extended=True)
        for labels, expected in cases:
            entity = {"Slug": "a", "Labels": labels}
            for predicate, answer in ((equal, expected is True), (null, expected is None)):
                assert predicate(entity) is answer, (text, labels)
                assert list(predicate.filter([entity])) == ([entity] if answer else []), labels
    strict = wherelang.compile("Labels.tier = 'web'", UNIT, strict=True)
    assert strict({"Labels": UserDict(tier="web")}) is True
    for labels in (Getter(tier="web"), ["tier"]):
        with pytest.raises(wherelang.WhereEvaluationError, match="Labels"):
            strict({"Labels": labels})


def test_filter_lets_what_is_thrown_in_propagate() -> None:
    """What is thrown into filter()'s generator at a yield propagates: the yield is
    outside the try that sends a failed fast test to the exact version."""
    text = "Slug = 'a' AND HeadRevisionNum > 1"
    rows = [{"Slug": "a", "HeadRevisionNum": 2}, {"Slug": "a", "HeadRevisionNum": 3}]
    for strict in (False, True):
        scan = wherelang.compile(text, UNIT, strict=strict).filter(rows)
        assert next(scan) == rows[0]
        with pytest.raises(ValueError, match="thrown"):
            scan.throw(ValueError("thrown"))
