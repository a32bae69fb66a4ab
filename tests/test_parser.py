"""Parsing: every construct of SPEC §1 at both syntax levels, spans, limits, examples."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path as FilePath

import pytest

import wherelang
from wherelang import (
    STRICT_LIMITS,
    And,
    Compare,
    In,
    IsNull,
    Len,
    Limits,
    Literal,
    Not,
    Op,
    Or,
    Path,
    Span,
    Truth,
    WhereSyntaxError,
    parse,
)


def P(*segments: str) -> Path:
    return Path(segments)


def L(value: object) -> Literal:
    return Literal(value)  # type: ignore[arg-type]


def both(text: str) -> list[wherelang.Expr]:
    """The tree at both levels (a strict text means the same in extended syntax)."""
    return [parse(text), parse(text, extended=True)]


# --- operators ------------------------------------------------------------------

# (spelling, operator, accepted by the strict level)
SPELLINGS = [
    ("=", Op.EQ, True),
    ("!=", Op.NE, True),
    ("<>", Op.NE, False),
    ("<", Op.LT, True),
    (">", Op.GT, True),
    ("<=", Op.LE, True),
    (">=", Op.GE, True),
    ("LIKE", Op.LIKE, True),
    ("~~", Op.LIKE, True),
    ("NOT LIKE", Op.NOT_LIKE, True),
    ("!~~", Op.NOT_LIKE, True),
    ("ILIKE", Op.ILIKE, True),
    ("~~*", Op.ILIKE, False),
    ("NOT ILIKE", Op.NOT_ILIKE, False),
    ("!~~*", Op.NOT_ILIKE, False),
    ("~", Op.REGEX, True),
    ("~*", Op.IREGEX, True),
    ("!~", Op.NOT_REGEX, True),
    ("!~*", Op.NOT_IREGEX, True),
    ("?", Op.HAS, True),
]


def test_every_operator_has_a_spelling_in_the_table() -> None:
    assert {op for _, op, _ in SPELLINGS} == set(Op)
    # The canonical spelling of each operator is one of its spellings, at the level
    # the operator belongs to.
    for op in Op:
        assert (op.text, op, op.strict) in SPELLINGS


@pytest.mark.parametrize("spelling,op,strict", SPELLINGS)
def test_operator_spellings(spelling: str, op: Op, strict: bool) -> None:
    text = f"Slug {spelling} 'x'"
    expected = Compare(P("Slug"), op, L("x"))
    assert parse(text, extended=True) == expected
    if strict:
        assert parse(text) == expected
    else:
        with pytest.raises(WhereSyntaxError) as err:
            parse(text)
        assert err.value.code == "extended-syntax"
        assert err.value.position == text.index(spelling.split()[0])
        assert "extended=True" in (err.value.hint or "")


@pytest.mark.parametrize("spelling,op,strict", [s for s in SPELLINGS if not s[0][0].isalpha()])
def test_operators_need_no_spaces(spelling: str, op: Op, strict: bool) -> None:
    assert parse(f"Slug{spelling}'x'", extended=True) == Compare(P("Slug"), op, L("x")) is not None
    assert parse(f"Slug{spelling}Other", extended=True) == Compare(P("Slug"), op, P("Other")) is not None


@pytest.mark.parametrize("spelling", ["like", "Like", "not like", "Not Like", "ilike", "iLiKe"])
def test_word_operators_in_any_case(spelling: str) -> None:
    op = {"like": Op.LIKE, "not like": Op.NOT_LIKE, "ilike": Op.ILIKE}[spelling.lower()]
    assert parse(f"Slug {spelling} 'x%'", extended=True) == Compare(P("Slug"), op, L("x%"))
    if spelling != spelling.upper():  # strict: keywords are upper case (REFERENCE.md §5)
        with pytest.raises(WhereSyntaxError) as err:
            parse(f"Slug {spelling} 'x%'")
        assert err.value.code == "strict-keyword"
        assert "extended=True" in (err.value.hint or "")


def test_not_ilike_in_any_case_extended() -> None:
    assert parse("a not ilike 'x'", extended=True) == Compare(P("a"), Op.NOT_ILIKE, L("x")) is not None


def test_slug_equals_without_spaces() -> None:
    assert parse("Slug='x'") == Compare(P("Slug"), Op.EQ, L("x"))
    assert parse("Slug='x' AND Labels.a!='b'") == And(
        (Compare(P("Slug"), Op.EQ, L("x")), Compare(P("Labels", "a"), Op.NE, L("b")))
    )


# --- IN, ?, LEN, IS NULL, IS TRUE ---------------------------------------------------


def test_in_and_not_in() -> None:
    for expr in both("Slug IN ('slugone', 'slugtwo')"):
        assert expr == In(P("Slug"), (L("slugone"), L("slugtwo")))
    for expr in both("Slug NOT IN ('a')"):
        assert expr == In(P("Slug"), (L("a"),), negated=True)
    assert parse("n IN(1,2 ,3)") == In(P("n"), (L(1), L(2), L(3)))
    assert parse("b not in (true, false)", extended=True) == In(P("b"), (L(True), L(False)), negated=True)
    assert parse("x IN (1.5, -2, 'y')", extended=True) == In(
        P("x"), (L(Decimal("1.5")), L(-2), L("y"))
    )


def test_in_takes_literals_only() -> None:
    with pytest.raises(WhereSyntaxError) as err:
        parse("Slug IN (Other)")
    assert err.value.code == "unexpected-token"
    assert err.value.position == 9


def test_has_operator_on_arrays_and_maps() -> None:
    uuid = "7c61626f-ddbe-41af-93f6-b69f4ab6d308"
    assert parse(f"ApprovedBy ? '{uuid}'") == Compare(P("ApprovedBy"), Op.HAS, L(uuid)) is not None
    assert parse("Labels ? 'tier'") == Compare(P("Labels"), Op.HAS, L("tier")) is not None


def test_len() -> None:
    assert parse("LEN(ApprovedBy) > 0") == Compare(Len(P("ApprovedBy")), Op.GT, L(0))
    assert parse("len ( Labels ) = 2", extended=True) == Compare(Len(P("Labels")), Op.EQ, L(2))
    assert parse("0 < LEN(Space.Labels)", extended=True) == Compare(L(0), Op.LT, Len(P("Space", "Labels")))
    assert parse("LEN(a) IN (1, 2)") == In(Len(P("a")), (L(1), L(2)))


def test_is_null() -> None:
    for expr in both("Labels.tier IS NOT NULL"):
        assert expr == IsNull(P("Labels", "tier"), negated=True)
    assert parse("Labels.tier is null", extended=True) == IsNull(P("Labels", "tier"))
    assert parse("LEN(a) IS NULL") == IsNull(Len(P("a")))


@pytest.mark.parametrize(
    "suffix,value,negated",
    [("IS TRUE", True, False), ("IS FALSE", False, False), ("IS NOT TRUE", True, True),
     ("is not false", False, True)],
)  # fmt: skip
def test_truth_tests(suffix: str, value: bool, negated: bool) -> None:
    uuid = "7c61626f-ddbe-41af-93f6-b69f4ab6d308"
    compare = Compare(P("MergeSourceID"), Op.EQ, L(uuid))
    for expr in both(f"MergeSourceID = '{uuid}' {suffix.upper()}"):
        assert expr == Truth(compare, value, negated)
    assert parse(f"MergeSourceID = '{uuid}' {suffix}", extended=True) == Truth(compare, value, negated)
    suffix = suffix.upper()
    assert parse(f"a IN (1) {suffix}") == Truth(In(P("a"), (L(1),)), value, negated)
    assert parse(f"a IS NULL {suffix}") == Truth(IsNull(P("a")), value, negated)
    assert parse(f"a IS NOT NULL {suffix}") == Truth(IsNull(P("a"), True), value, negated)
    assert parse(f"a NOT IN (1) {suffix} AND b = 2") == And(
        (Truth(In(P("a"), (L(1),), True), value, negated), Compare(P("b"), Op.EQ, L(2)))
    )


def test_truth_tests_do_not_chain() -> None:
    with pytest.raises(WhereSyntaxError) as err:
        parse("a = 1 IS TRUE IS TRUE")
    assert err.value.position == 14


# --- operands ---------------------------------------------------------------------


def test_attribute_to_attribute() -> None:
    assert parse("HeadRevisionNum > LiveRevisionNum") == Compare(
        P("HeadRevisionNum"), Op.GT, P("LiveRevisionNum")
    )
    assert parse("ToSpaceID != SpaceID") == Compare(P("ToSpaceID"), Op.NE, P("SpaceID")) is not None


def test_literal_on_the_left_is_kept() -> None:
    assert parse("'x' = Slug", extended=True) == Compare(L("x"), Op.EQ, P("Slug"))
    assert parse("1 < 2", extended=True) == Compare(L(1), Op.LT, L(2))
    with pytest.raises(WhereSyntaxError) as err:  # REFERENCE.md §6: never on the left
        parse("'x' = Slug")
    assert err.value.code == "literal-left"


@pytest.mark.parametrize(
    "text,segments",
    [
        ("Labels.tier", ("Labels", "tier")),
        ("Space.Labels.Environment", ("Space", "Labels", "Environment")),
        ("ApplyGates.complete/no-placeholders", ("ApplyGates", "complete/no-placeholders")),
        ("Labels.app.kubernetes.io/name", ("Labels", "app", "kubernetes", "io/name")),
        ("Labels.a_b-c/d", ("Labels", "a_b-c/d")),
        ("Labels.9", ("Labels", "9")),
        ("Labels.0-x", ("Labels", "0-x")),
        ("Annotations.'cost-estimator.confighub.com/budget-status'",
         ("Annotations", "cost-estimator.confighub.com/budget-status")),
        ("Annotations.'it''s'", ("Annotations", "it's")),
        ("Annotations.''", ("Annotations", "")),
        ("Labels.'tier'", ("Labels", "tier")),
        ("Labels.'a b'.c", ("Labels", "a b", "c")),
        ("createdAt", ("createdAt",)),
        ("snake_case_1", ("snake_case_1",)),
        ("Null.x", ("Null", "x")),  # a keyword followed by a key is a path
        ("x.AND", ("x", "AND")),
    ],
)  # fmt: skip
def test_paths(text: str, segments: tuple[str, ...]) -> None:
    # Quoted keys and names with _ or digits are extended (REFERENCE.md §2, §4).
    strict = "'" not in text and re.fullmatch(r"[A-Za-z]+", text.split(".")[0]) is not None
    for expr in both(f"{text} = 'v'") if strict else [parse(f"{text} = 'v'", extended=True)]:
        assert expr == Compare(Path(segments), Op.EQ, L("v"))
    if not strict:
        with pytest.raises(WhereSyntaxError) as err:
            parse(f"{text} = 'v'")
        assert err.value.code in ("strict-quoted-key", "strict-name")


@pytest.mark.parametrize("text", ["a.-b = 1", "a. = 1", "a..b = 1", "a.b. = 1"])
def test_bad_path_keys(text: str) -> None:
    with pytest.raises(WhereSyntaxError) as err:
        parse(text)
    assert err.value.code == "bad-path"
    assert text[err.value.position or 0] in ".-"


def test_names_start_with_a_letter() -> None:
    for text in ["_a = 1", "1a = 1"]:
        with pytest.raises(WhereSyntaxError):
            parse(text)


@pytest.mark.parametrize(
    "text,value",
    [
        ("'x'", "x"),
        ("''", ""),
        ("'a b  c'", "a b  c"),
        ("'ünï ☃ 𝄞'", "ünï ☃ 𝄞"),
        ("'AND'", "AND"),
        ("0", 0),
        ("42", 42),
        ("0042", 42),
        ("9999999999", 9_999_999_999),
        ("true", True),
        ("FALSE", False),
    ],
)
def test_strict_literals(text: str, value: object) -> None:
    for expr in both(f"a = {text}"):
        assert expr == Compare(P("a"), Op.EQ, L(value))
        assert type(expr.right.value) is type(value)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text,value",
    [
        ("'it''s'", "it's"),
        ("''''", "'"),
        ("'say \"hi\"'", 'say "hi"'),
        ("'back\\slash'", "back\\slash"),
        ("-3", -3),
        ("-0", 0),
        ("0.75", Decimal("0.75")),
        ("-12.50", Decimal("-12.50")),
        ("123456789012345678901234567890", 123456789012345678901234567890),
        ("'tab\there'", "tab\there"),  # control characters: REFERENCE.md §6
        ("'line\nbreak'", "line\nbreak"),
        ("True", True),  # booleans: true TRUE false FALSE
    ],
)
def test_extended_literals(text: str, value: object) -> None:
    expr = parse(f"a = {text}", extended=True)
    assert expr == Compare(P("a"), Op.EQ, L(value))
    with pytest.raises(WhereSyntaxError) as err:
        parse(f"a = {text}")
    assert err.value.position == 4


def test_true_is_not_one() -> None:
    assert parse("a = true") != parse("a = 1") is not None
    assert parse("a = 1", extended=True) != parse("a = 1.0", extended=True) is not None


# --- keywords ---------------------------------------------------------------------


def test_keywords_in_any_case_at_both_levels() -> None:
    text = "slug = 'x' and Labels.a is not null AnD b NoT iN (1) and c not like 'y' and len(d) > 0"
    upper = "Slug = 'x' AND Labels.a IS NOT NULL AND b NOT IN (1) AND c NOT LIKE 'y' AND LEN(d) > 0"
    assert parse(text, extended=True).to_where() == upper.replace("Slug", "slug")
    assert parse(upper.replace("Slug", "slug")).to_where() == upper.replace("Slug", "slug")
    with pytest.raises(WhereSyntaxError) as err:  # strict: upper case (REFERENCE.md §1, §5)
        parse(text)
    assert err.value.code == "strict-keyword" and "extended=True" in (err.value.hint or "")
    assert parse("a = 1 or not b = 2", extended=True) == Or(
        (Compare(P("a"), Op.EQ, L(1)), Not(Compare(P("b"), Op.EQ, L(2))))
    )


@pytest.mark.parametrize("word", ["AND", "or", "Not", "in", "IS", "like", "ILIKE", "len"])
@pytest.mark.parametrize("extended", [False, True])
def test_keywords_are_reserved(word: str, extended: bool) -> None:
    texts = [f"{word} = 'x'"] + ([f"a = 1 AND {word} = 'x'"] if word.upper() not in ("AND", "OR") else [])
    for text in texts:
        with pytest.raises(WhereSyntaxError) as err:
            parse(text, extended=extended)
        assert err.value.code == "reserved-word"
        assert err.value.position == text.rindex(word)
        assert err.value.length == len(word)


def test_true_false_null_are_values_not_names() -> None:
    assert parse("TRUE = a", extended=True) == Compare(L(True), Op.EQ, P("a"))
    assert parse("false != a", extended=True) == Compare(L(False), Op.NE, P("a"))
    with pytest.raises(WhereSyntaxError) as err:
        parse("null = 'x'")
    assert (err.value.code, err.value.position) == ("null-comparison", 0)


def test_null_is_not_a_value() -> None:
    for text in ["x = null", "x != NULL", "x IN (null)"]:
        with pytest.raises(WhereSyntaxError) as err:
            parse(text)
        assert err.value.code == "null-comparison"
        assert text[err.value.position or 0 :].upper().startswith("NULL")
        assert "IS NULL" in (err.value.hint or "")


# --- extended syntax: OR, NOT, parentheses, precedence ---------------------------------

A = Compare(P("a"), Op.EQ, L(1))
B = Compare(P("b"), Op.EQ, L(2))
C = Compare(P("c"), Op.EQ, L(3))


@pytest.mark.parametrize(
    "text,tree",
    [
        ("a = 1 OR b = 2", Or((A, B))),
        ("a = 1 OR b = 2 AND c = 3", Or((A, And((B, C))))),
        ("a = 1 AND b = 2 OR c = 3", Or((And((A, B)), C))),
        ("(a = 1 OR b = 2) AND c = 3", And((Or((A, B)), C))),
        ("NOT a = 1 AND b = 2", And((Not(A), B))),
        ("NOT a = 1 OR b = 2", Or((Not(A), B))),
        ("NOT (a = 1 AND b = 2)", Not(And((A, B)))),
        ("NOT NOT a = 1", Not(Not(A))),
        ("not(a = 1)", Not(A)),
        ("(a = 1)", A),
        ("((a = 1))", A),
        ("a = 1 AND (b = 2 AND c = 3)", And((A, B, C))),
        ("(a = 1 OR b = 2) OR c = 3", Or((A, B, C))),
        ("a = 1 OR (b = 2 OR (c = 3))", Or((A, B, C))),
        ("NOT (a = 1) IS TRUE", None),  # IS TRUE tests a comparison, not a group
        ("NOT a = 1 IS TRUE", Not(Truth(A, True))),
        ("a IS NULL OR NOT b IN (1, 2)", Or((IsNull(P("a")), Not(In(P("b"), (L(1), L(2))))))),
    ],
)
def test_extended_structure(text: str, tree: wherelang.Expr | None) -> None:
    if tree is None:
        with pytest.raises(WhereSyntaxError):
            parse(text, extended=True)
        return
    assert parse(text, extended=True) == tree


def test_and_or_never_nest_directly() -> None:
    expr = parse("(a = 1 AND b = 2) AND (c = 3 AND (a = 1 AND b = 2))", extended=True)
    assert isinstance(expr, And) and len(expr.items) == 5
    assert not any(isinstance(item, And) for item in expr.items)


# --- spans ---------------------------------------------------------------------------


def spanned(text: str, span: Span) -> str:
    return text[span.offset : span.end]


def test_spans_point_at_their_text() -> None:
    text = "  CreatedAt >= '2025-01-07' AND\tLabels.'a.b' IN ('x', 2)  AND LEN(ApprovedBy) > 0 "
    expr = parse(text, extended=True)
    assert isinstance(expr, And)
    first, second, third = expr.items
    assert spanned(text, expr.span) == text.strip()
    assert isinstance(first, Compare)
    assert spanned(text, first.span) == "CreatedAt >= '2025-01-07'"
    assert spanned(text, first.left.span) == "CreatedAt"
    assert spanned(text, first.op_span) == ">="
    assert spanned(text, first.right.span) == "'2025-01-07'"
    assert isinstance(second, In)
    assert spanned(text, second.span) == "Labels.'a.b' IN ('x', 2)"
    assert spanned(text, second.operand.span) == "Labels.'a.b'"
    assert [spanned(text, v.span) for v in second.values] == ["'x'", "2"]
    assert isinstance(third, Compare) and isinstance(third.left, Len)
    assert spanned(text, third.left.span) == "LEN(ApprovedBy)"
    assert spanned(text, third.left.path.span) == "ApprovedBy"


def test_spans_of_extended_nodes() -> None:
    text = "NOT (a = 1 OR b  NOT  LIKE 'x') AND c IS NOT NULL IS FALSE"
    expr = parse(text, extended=True)
    assert isinstance(expr, And)
    negation, truth = expr.items
    assert isinstance(negation, Not) and isinstance(negation.expr, Or)
    assert spanned(text, negation.span) == "NOT (a = 1 OR b  NOT  LIKE 'x')"
    assert spanned(text, negation.expr.span) == "(a = 1 OR b  NOT  LIKE 'x')"
    like = negation.expr.items[1]
    assert isinstance(like, Compare)
    assert spanned(text, like.op_span) == "NOT  LIKE"
    assert isinstance(truth, Truth)
    assert spanned(text, truth.span) == "c IS NOT NULL IS FALSE"
    assert spanned(text, truth.expr.span) == "c IS NOT NULL"


def test_spans_take_no_part_in_equality() -> None:
    one = parse("Slug='x' AND LEN(a)>0")
    two = parse("Slug  =  'x'\n AND\tlen( a ) > 0", extended=True)
    assert one == two
    assert hash(one) == hash(two)
    assert one.span != two.span  # type: ignore[union-attr]
    assert {one: "cached"}[two] == "cached"


def test_nodes_are_hashable_and_immutable() -> None:
    expr = parse("a IN (1, 2) AND b = 'x' AND c IS NULL IS TRUE")
    assert len({expr, parse("a IN (1, 2) AND b = 'x' AND c IS NULL IS TRUE"), parse("a = 1")}) == 2
    with pytest.raises(AttributeError):
        expr.items = ()  # type: ignore[misc, union-attr]
    assert isinstance(expr.items, tuple)  # type: ignore[union-attr]


# --- examples from the documentation -------------------------------------------------

SPEC = FilePath(__file__).resolve().parents[2] / "shared" / "SPEC.md"
SEED = FilePath(__file__).resolve().parents[2] / "shared" / "seeds" / "confighub-invocation-api.txt"
UUID = "7c61626f-ddbe-41af-93f6-b69f4ab6d308"

# SPEC §6; the canonical text is the example itself but for !~~, written NOT LIKE.
SPEC_EXAMPLES = [
    "CreatedAt >= '2025-01-07' AND Slug = 'test' AND Labels.mykey = 'myvalue'",
    f"ApprovedBy ? '{UUID}'",
    "LEN(ApprovedBy) > 0",
    "Slug IN ('slugone', 'slugtwo')",
    "Labels.environment IN ('prod', 'staging')",
    "Slug ~ '^app-[0-9]+$'",
    "Slug !~~ 'temp%'",
    "HeadRevisionNum > LiveRevisionNum",
    "Labels.tier IS NOT NULL",
    f"MergeSourceID = '{UUID}' IS NOT FALSE",
]

# The where examples of the seed API reference ("such as ...", "as in ...").
SEED_EXAMPLES = [
    ("CreatedAt > '2025-02-18T23:16:34'", "CreatedAt > '2025-02-18T23:16:34'"),
    (f"ApprovedBy ? '{UUID}'", f"ApprovedBy ? '{UUID}'"),
    ("LEN(ApprovedBy) > 0", "LEN(ApprovedBy) > 0"),
    ("Labels.tier = 'Backend'", "Labels.tier = 'Backend'"),
    ("Slug IN ('slugone', 'slugtwo')", "Slug IN ('slugone', 'slugtwo')"),
    ("Labels.environment IN ('prod', 'staging')", "Labels.environment IN ('prod', 'staging')"),
    ("CreatedAt >= '2025-01-07' AND Slug = 'test' AND Labels.mykey = 'myvalue'",
     "CreatedAt >= '2025-01-07' AND Slug = 'test' AND Labels.mykey = 'myvalue'"),
]  # fmt: skip

EXPECTED_TREES = {
    SPEC_EXAMPLES[0]: And(
        (
            Compare(P("CreatedAt"), Op.GE, L("2025-01-07")),
            Compare(P("Slug"), Op.EQ, L("test")),
            Compare(P("Labels", "mykey"), Op.EQ, L("myvalue")),
        )
    ),
    SPEC_EXAMPLES[5]: Compare(P("Slug"), Op.REGEX, L("^app-[0-9]+$")),
    SPEC_EXAMPLES[6]: Compare(P("Slug"), Op.NOT_LIKE, L("temp%")),
    SPEC_EXAMPLES[9]: Truth(Compare(P("MergeSourceID"), Op.EQ, L(UUID)), False, negated=True),
}


@pytest.mark.parametrize("text", SPEC_EXAMPLES)
def test_spec_examples(text: str) -> None:
    for expr in both(text):
        assert expr.to_where(extended=True) == text.replace("!~~", "NOT LIKE")
        if text in EXPECTED_TREES:
            assert expr == EXPECTED_TREES[text]


@pytest.mark.parametrize("text,canonical", SEED_EXAMPLES)
def test_seed_examples(text: str, canonical: str) -> None:
    for expr in both(text):
        assert expr.to_where(extended=True) == canonical


def test_example_tables_match_the_documents() -> None:
    """The tables above are copied from SPEC §6 and the seed; check they still are."""
    if not SPEC.exists() or not SEED.exists():
        pytest.skip("shared/ is not beside this checkout")
    section = SPEC.read_text(encoding="utf-8").split("## 6.", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None
    assert block.group(1).strip().splitlines() == SPEC_EXAMPLES
    seed = SEED.read_text(encoding="utf-8")
    for text, _ in SEED_EXAMPLES:
        assert text in seed


# --- limits ---------------------------------------------------------------------------


def error_of(text: str, **options: object) -> WhereSyntaxError:
    with pytest.raises(WhereSyntaxError) as err:
        parse(text, **options)  # type: ignore[arg-type]
    return err.value


def test_strict_length_limit() -> None:
    # REFERENCE.md §1: 8192 bytes and 100 terms.
    term = "Slug = '" + "x" * 60 + "' AND "
    long = (term * 100)[: -len(" AND ")]
    assert isinstance(parse(long), And)
    padded = long[:-1] + "é" * ((8192 - len(long.encode())) // 2) + "'"
    assert len(padded.encode()) <= 8192 and isinstance(parse(padded), And)
    err = error_of(padded[:-1] + "é'")
    assert err.code == "limit-exceeded" and "8192" in err.message  # bytes, not characters
    assert isinstance(parse(padded[:-1] + "é'", extended=True), And)
    err = error_of("a = 1 AND " * 100 + "a = 1")
    assert (err.code, err.message) == ("limit-exceeded", "expression has more than 100 terms")
    assert isinstance(parse("a = 1 AND " * 99 + "a = 1"), And)


def test_strict_name_limit() -> None:
    assert parse("a" * 41 + " = 1") == Compare(P("a" * 41), Op.EQ, L(1)) is not None
    err = error_of("a" * 42 + " = 1")
    assert (err.code, err.position, err.length) == ("limit-exceeded", 0, 42)
    assert isinstance(parse("a" * 42 + " = 1", extended=True), Compare)
    err = error_of("x = 1 AND Labels." + "k" * 30 + " = 1 AND " + "b" * 42 + ".c = 1")
    assert err.position == 17 + 30 + 9


def test_strict_strings_have_no_length_limit() -> None:
    # REFERENCE.md §6: no per-literal limit but the 8192 bytes of the whole text.
    assert parse(f"a = '{'x' * 8000}'") == Compare(P("a"), Op.EQ, L("x" * 8000))


@pytest.mark.parametrize("inside", ["''", '"', "\\"])
def test_strict_strings_exclude_quotes_and_backslash(inside: str) -> None:
    text = f"a = 'x{inside}y' AND b = 1"
    err = error_of(text)
    assert (err.code, err.position, err.length) == ("strict-string", 4, 4 + len(inside))
    assert parse(text, extended=True) is not None


def test_strict_integer_limit() -> None:
    assert parse("a = 9999999999") == Compare(P("a"), Op.EQ, L(9_999_999_999)) is not None
    err = error_of("a = 12345678901")
    assert (err.code, err.position, err.length) == ("limit-exceeded", 4, 11)
    err = error_of("a = -1")
    assert (err.code, err.position, err.length) == ("strict-negative", 4, 2)


def test_strict_key_has_no_syntax_limit() -> None:
    # Label keys have no length cap (REFERENCE.md §4); a schema's max_key still applies.
    key = "k" * 300
    assert parse(f"Labels.{key} = 1") == Compare(P("Labels", key), Op.EQ, L(1))


def test_strict_limits_object() -> None:
    assert STRICT_LIMITS.max_length == 8192
    assert STRICT_LIMITS.max_name == 41
    assert STRICT_LIMITS.max_string == 8192
    assert STRICT_LIMITS.max_digits == 10


def test_extended_default_limits() -> None:
    limits = Limits()
    deep = "NOT " * limits.max_depth + "a = 1"
    assert isinstance(parse(deep, extended=True), Not)
    err = error_of("NOT " + deep, extended=True)
    assert err.code == "limit-exceeded"
    assert err.position == limits.max_depth * 4
    values = ", ".join(["1"] * limits.max_in_list)
    assert isinstance(parse(f"a IN ({values})", extended=True), In)
    err = error_of(f"a IN ({values}, 2)", extended=True)
    assert err.code == "limit-exceeded"
    assert err.position == len(f"a IN ({values}, ")
    big = " OR ".join(["Slug = '" + "x" * 1000 + "'"] * 100)
    big += " " * (limits.max_length - len(big))
    assert parse(big, extended=True, cache=False) is not None
    err = error_of(big + " ", extended=True, cache=False)
    assert (err.code, err.position) == ("limit-exceeded", limits.max_length)


def test_configurable_limits() -> None:
    tight = Limits(max_length=30, max_depth=2, max_in_list=2, max_string=3, max_name=3,
                   max_key=2, max_digits=2)  # fmt: skip
    assert parse("NOT (a = 1 OR b = 2)", extended=True, limits=tight) is not None
    assert error_of("NOT (a = 1 OR NOT b = 2)", extended=True, limits=tight).position == 14
    assert error_of("a IN (1, 2, 3)", extended=True, limits=tight).position == 12
    assert error_of("a = 'abcd'", extended=True, limits=tight).position == 4
    assert error_of("abcd = 1", extended=True, limits=tight).position == 0
    assert error_of("a.xyz = 1", extended=True, limits=tight).code == "limit-exceeded"
    assert error_of("a = 100", extended=True, limits=tight).position == 4
    assert error_of("a = 1 AND b = 2 AND c = 3 AND d = 4", extended=True, limits=tight).position == 30
    # Limits apply to the strict level too when given.
    assert error_of("a IN (1, 2, 3)", limits=tight).code == "limit-exceeded"


def test_depth_counts_and_or_levels_opened_by_one_parenthesis() -> None:
    # OR, AND, (OR, AND, (OR: five levels with two parentheses.
    text = "a = 1 OR b = 1 AND (c = 1 OR d = 1 AND (e = 1 OR f = 1))"
    assert parse(text, extended=True, limits=Limits(max_depth=5)) is not None
    err = error_of(text, extended=True, limits=Limits(max_depth=4))
    assert err.code == "limit-exceeded"
    assert err.position == text.index("(e = 1")  # the group of the fifth level


def test_paren_and_not_free_text_skips_depth_walk_but_stays_correct() -> None:
    # Depth comes only from NOT and parentheses; a long flat OR is depth 1.
    flat = " OR ".join(f"a = {i}" for i in range(500))
    assert isinstance(parse(flat, extended=True, limits=Limits(max_depth=1)), Or)


# --- caching ---------------------------------------------------------------------------


def test_cache_returns_the_same_tree() -> None:
    text = "Slug = 'cache-me' AND LEN(a) > 1"
    assert parse(text) is parse(text) is not None
    assert parse(text, cache=False) is not parse(text) is not None
    assert parse(text, cache=False) == parse(text) is not None
    assert parse(text) is not parse(text, extended=True) is not None
    assert parse(text) == parse(text, extended=True) is not None


def test_errors_are_not_cached_into_success() -> None:
    for _ in range(2):
        with pytest.raises(WhereSyntaxError):
            parse("Slug = ")


def test_nodes_construct_by_keyword_with_defaults() -> None:
    node = In(operand=P("a"), values=(L(1),))
    assert node.negated is False and node.span == Span(0, 0)
    assert node == In(P("a"), (L(1),), False, Span(3, 4))
    assert Compare(left=P("a"), op=Op.EQ, right=L(1)).op_span == Span(0, 0)
    with pytest.raises(TypeError):
        Compare(P("a"), Op.EQ)  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        node.negated = True  # type: ignore[misc]


def test_parser_built_nodes_match_constructed_nodes() -> None:
    # The lexer and _compare build Path, Literal and Compare with object.__new__ and
    # slot setters (nodes.slot_setters): each node must be the one its class builds,
    # every field (spans too, which == ignores) set, with the same hash and repr.
    import dataclasses

    from wherelang.nodes import Compare, Literal, Path, walk

    text = "CreatedAt >= '2025-01-07' AND Slug = 'it''s' AND Labels.'a b' != x.y"
    seen = set()
    for node in walk(wherelang.parse(text, cache=False, extended=True)):
        if type(node) not in (Path, Literal, Compare):
            continue
        seen.add(type(node))
        values = {f.name: getattr(node, f.name) for f in dataclasses.fields(node)}
        rebuilt = type(node)(**values)
        assert rebuilt == node and hash(rebuilt) == hash(node) and repr(rebuilt) == repr(node)
        assert {n: getattr(rebuilt, n) for n in values} == values
        assert node.span != (0, 0)
    assert seen == {Path, Literal, Compare}
