"""Canonical text and query encoding (wherelang/text.py)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from wherelang import (
    And,
    Compare,
    In,
    IsNull,
    Len,
    Literal,
    Not,
    Op,
    Or,
    Path,
    Truth,
    WhereSyntaxError,
    decode_query,
    encode_query,
    parse,
)
from wherelang.text import format_path, quote_string

A = Compare(Path(("a",)), Op.EQ, Literal(1))
B = Compare(Path(("b",)), Op.EQ, Literal(2))
C = Compare(Path(("c",)), Op.EQ, Literal(3))


@pytest.mark.parametrize(
    "text,canonical",
    [
        ("slug='x'and b  is  not null", "slug = 'x' AND b IS NOT NULL"),
        ("a~~'x%'", "a LIKE 'x%'"),
        ("a !~~ 'x%'", "a NOT LIKE 'x%'"),
        ("a not   like 'x%'", "a NOT LIKE 'x%'"),
        ("a ilike 'x'", "a ILIKE 'x'"),
        ("a~*'x'", "a ~* 'x'"),
        ("a = TRUE and b != False", "a = true AND b != false"),
        ("len(a)>=0", "LEN(a) >= 0"),
        ("a in('x' ,'y')", "a IN ('x', 'y')"),
        ("a not in (1)", "a NOT IN (1)"),
        ("a = 007", "a = 7"),
        ("a = 'x' is not false", "a = 'x' IS NOT FALSE"),
        ("\n\ta\n=\n1\n", "a = 1"),
        ("Labels.'tier' = 'x'", "Labels.tier = 'x'"),
        ("Labels.'a.b/c' = 'x'", "Labels.'a.b/c' = 'x'"),
        ("Labels.app.kubernetes.io/name = 'x'", "Labels.app.kubernetes.io/name = 'x'"),
        ("Labels.'it''s' = 'x'", "Labels.'it''s' = 'x'"),
        ("Labels.'-x' = 'x'", "Labels.'-x' = 'x'"),
        ("Labels.'' = 'x'", "Labels.'' = 'x'"),
        ("Labels.'a b' = 'x'", "Labels.'a b' = 'x'"),
        ("ApplyGates.complete/no-placeholders = true", "ApplyGates.complete/no-placeholders = true"),
    ],
)
def test_canonical_text(text: str, canonical: str) -> None:
    # Odd spellings are extended (REFERENCE.md §1, §5); the canonical text is strict
    # unless it quotes a key.
    expr = parse(text, extended=True)
    assert expr.to_where(extended=True) == canonical
    assert str(expr) == canonical
    assert parse(canonical, extended="'" in canonical.split(" ", 1)[0]) == expr


@pytest.mark.parametrize(
    "text,canonical",
    [
        ("a <> 1", "a != 1"),
        ("a ~~* 'x'", "a ILIKE 'x'"),
        ("a !~~* 'x'", "a NOT ILIKE 'x'"),
        ("a = 'it''s'", "a = 'it''s'"),
        ("a = 1.50", "a = 1.50"),
        ("a = -0.0", "a = -0.0"),
        ("a = -7", "a = -7"),
        ("(a = 1)", "a = 1"),
        ("((a = 1) or (b = 2)) and c = 3", "(a = 1 OR b = 2) AND c = 3"),
        ("a = 1 or (b = 2 and c = 3)", "a = 1 OR b = 2 AND c = 3"),
        ("not (a = 1)", "NOT a = 1"),
        ("not (a = 1 and b = 2)", "NOT (a = 1 AND b = 2)"),
        ("not (not a = 1)", "NOT NOT a = 1"),
        ("(not a = 1) and b = 2", "NOT a = 1 AND b = 2"),
        ("a = 1 and (b = 2 and c = 3)", "a = 1 AND b = 2 AND c = 3"),
    ],
)
def test_canonical_text_extended(text: str, canonical: str) -> None:
    expr = parse(text, extended=True)
    assert expr.to_where(extended=True) == canonical
    assert parse(canonical, extended=True) == expr


@pytest.mark.parametrize(
    "tree,text",
    [
        (And((A, B)), "a = 1 AND b = 2"),
        (Or((A, B)), "a = 1 OR b = 2"),
        (And((Or((A, B)), C)), "(a = 1 OR b = 2) AND c = 3"),
        (Or((And((A, B)), C)), "a = 1 AND b = 2 OR c = 3"),
        (Not(A), "NOT a = 1"),
        (Not(Not(A)), "NOT NOT a = 1"),
        (Not(And((A, B))), "NOT (a = 1 AND b = 2)"),
        (Not(Or((A, B))), "NOT (a = 1 OR b = 2)"),
        (And((Not(A), Not(Or((B, C))))), "NOT a = 1 AND NOT (b = 2 OR c = 3)"),
        (Or((Not(A), And((B, Not(C))))), "NOT a = 1 OR b = 2 AND NOT c = 3"),
        (Truth(A, True), "a = 1 IS TRUE"),
        (Truth(IsNull(Path(("a",)), True), False, True), "a IS NOT NULL IS NOT FALSE"),
        (Not(Truth(In(Path(("a",)), (Literal("x"),)), True)), "NOT a IN ('x') IS TRUE"),
        (Compare(Len(Path(("a", "b.c"))), Op.GT, Literal(0)), "LEN(a.'b.c') > 0"),
        (Compare(Literal("x"), Op.HAS, Path(("Labels",))), "'x' ? Labels"),
    ],
)
def test_minimal_parentheses(tree: object, text: str) -> None:
    """Trees built by hand print with just the parentheses precedence needs."""
    assert tree.to_where(extended=True) == text  # type: ignore[attr-defined]
    assert parse(text, extended=True) == tree


def test_precedence_is_not_and_or() -> None:
    assert parse("NOT a = 1 AND b = 2 OR c = 3", extended=True) == Or(
        (And((Not(A), B)), C)
    )


def test_validated_literals_print_their_original_text() -> None:
    u = uuid.UUID("7c61626f-ddbe-41af-93f6-b69f4ab6d308")
    when = datetime(2025, 1, 7, tzinfo=timezone.utc)
    tree = And(
        (
            Compare(Path(("SpaceID",)), Op.EQ, Literal(u, text=str(u).upper())),
            Compare(Path(("CreatedAt",)), Op.GE, Literal(when, text="2025-01-07")),
            Compare(Path(("Other",)), Op.EQ, Literal(u)),
            Compare(Path(("Rate",)), Op.LT, Literal(Decimal("0.75"))),
        )
    )
    assert tree.to_where(extended=True) == (
        "SpaceID = '7C61626F-DDBE-41AF-93F6-B69F4AB6D308' AND CreatedAt >= '2025-01-07' "
        "AND Other = '7c61626f-ddbe-41af-93f6-b69f4ab6d308' AND Rate < 0.75"
    )


def test_quote_string_and_format_path() -> None:
    assert quote_string("it's") == "'it''s'"
    assert quote_string("") == "''"
    assert format_path(("Labels", "tier")) == "Labels.tier"
    assert format_path(("Labels", "app.kubernetes.io/name")) == "Labels.'app.kubernetes.io/name'"
    assert format_path(("Labels", "a_b")) == "Labels.a_b"
    assert format_path(("Labels", "_b")) == "Labels._b"  # a JSON key may start with _
    assert format_path(("Labels", "-b")) == "Labels.'-b'"
    assert format_path(("Data", "a", "*", "?name=x", "|b")) == "Data.a.*.?name=x.|b"


# --- query encoding -------------------------------------------------------------------


def test_to_query_encodes_every_reserved_character() -> None:
    expr = parse("Slug IN ('a b', 'c&d') AND Labels.'x/y' ~ '^[a-z]+$'", extended=True)
    query = expr.to_query(extended=True)
    assert query == (
        "Slug%20IN%20%28%27a%20b%27%2C%20%27c%26d%27%29%20AND%20Labels.x%2Fy%20~%20"
        "%27%5E%5Ba-z%5D%2B%24%27"
    )
    assert " " not in query and "+" not in query
    assert decode_query(query) == expr.to_where(extended=True)
    assert encode_query(decode_query(query)) == query


def test_non_ascii_is_utf8_percent_encoded() -> None:
    expr = parse("DisplayName = 'Zoë ☃'")
    assert expr.to_query(extended=True) == "DisplayName%20%3D%20%27Zo%C3%AB%20%E2%98%83%27"
    assert decode_query(expr.to_query(extended=True)) == "DisplayName = 'Zoë ☃'"


def test_decode_accepts_plus_for_space() -> None:
    assert decode_query("Slug+%3D+%27a+b%27") == "Slug = 'a b'"
    assert decode_query("Slug%20=%20'a%2Bb'") == "Slug = 'a+b'"
    assert parse(decode_query("Slug+%3D+%27test%27")) == parse("Slug = 'test'")


def test_decode_rejects_bytes_that_are_not_utf8() -> None:
    with pytest.raises(WhereSyntaxError) as err:
        decode_query("Slug%20%3D%20%27%FF%27")
    assert err.value.code == "bad-encoding"
    assert err.value.position == 16  # the %FF
    assert err.value.length == 3


def test_decode_reports_the_offset_in_the_encoded_text() -> None:
    # 'é' in UTF-8 is two bytes; the bad byte comes after it.
    with pytest.raises(WhereSyntaxError) as err:
        decode_query("x%C3%A9y%80")
    assert err.value.position == 8


@pytest.mark.parametrize("value", [None, b"Slug = 'a'", 5])
def test_every_entry_point_gives_not_text(value: object) -> None:
    """parse, compile (with or without a schema) and decode_query: one not-text error,
    never AttributeError or TypeError (issue 10, item 13)."""
    import wherelang
    from wherelang import confighub
    from wherelang.text import decode_query

    calls = [
        lambda: wherelang.parse(value),  # type: ignore[arg-type]
        lambda: wherelang.compile(value, confighub.schema("Unit")),  # type: ignore[arg-type]
        lambda: wherelang.compile(value),  # type: ignore[arg-type]
        lambda: decode_query(value),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(wherelang.WhereSyntaxError) as info:
            call()
        assert info.value.code == "not-text" and type(value).__name__ in info.value.message
        assert info.value.hint
