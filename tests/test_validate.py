"""Validation: the operator table, typed trees, and the errors users get."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from wherelang import Attr, WhereValidationError, confighub, parse
from wherelang.nodes import Compare, Family, In, IsNull, Len, Literal, Op, Truth
from wherelang.schema import Attribute, Kind, Schema, Type
from wherelang.validate import IN_KINDS, LEN_KINDS, OPERATORS, allowed_operators, parse_time

UUID_TEXT = "7c61626f-ddbe-41af-93f6-b69f4ab6d308"

_GENERIC: dict[str, Schema] = {}


def generic(entity: str) -> Schema:
    """A catalog entity as a plain schema: SPEC §2's rules, not ConfigHub's data types
    (those are tests/test_strict_conformance.py's)."""
    if entity not in _GENERIC:
        s = confighub.schema(entity)
        _GENERIC[entity] = Schema(s.name, s.attributes, s.relations, id=s.id, resolver=generic,
                                  max_key=s.max_key)  # fmt: skip
    return _GENERIC[entity]

# SPEC §2, written out independently of wherelang.validate: the operators (as written)
# each kind takes, besides IS [NOT] NULL which every kind takes.
STRING_OPS = {"=", "!=", "<", ">", "<=", ">=", "LIKE", "NOT LIKE", "ILIKE", "NOT ILIKE",
              "~", "~*", "!~", "!~*", "IN", "NOT IN"}  # fmt: skip
SPEC_TABLE: dict[Kind, set[str]] = {
    Kind.STRING: STRING_OPS,
    Kind.INT: {"=", "!=", "<", ">", "<=", ">=", "IN", "NOT IN"},
    Kind.FLOAT: {"=", "!=", "<", ">", "<=", ">=", "IN", "NOT IN"},
    Kind.BOOL: {"=", "!="},
    Kind.UUID: {"=", "!=", "IN", "NOT IN"},
    Kind.TIME: {"=", "!=", "<", ">", "<=", ">="},
    Kind.JSON: set(),
    Kind.ARRAY: {"?", "LEN()"},
    Kind.MAP: {"?", "LEN()"},
}
ALL_OPS = [op.text for op in Op] + ["IN", "NOT IN", "LEN()"]


def test_spec_table_covers_every_kind_and_operator() -> None:
    assert set(SPEC_TABLE) == set(Kind)
    assert set(OPERATORS) == set(Kind)
    assert set().union(*SPEC_TABLE.values()) == set(ALL_OPS)
    # every family is allowed for some kind, so no operator is dead
    assert set().union(*OPERATORS.values()) == set(Family)


@pytest.mark.parametrize("kind", list(Kind))
def test_operator_table_matches_spec(kind: Kind) -> None:
    type = Type(kind, items=Type(Kind.STRING), values=Type(Kind.STRING))
    assert set(allowed_operators(type)) == SPEC_TABLE[kind] | {"IS NULL", "IS NOT NULL"}
    assert (kind in IN_KINDS) == ("IN" in SPEC_TABLE[kind])
    assert (kind in LEN_KINDS) == ("LEN()" in SPEC_TABLE[kind])


# --- every filterable attribute of every ConfigHub entity --------------------------


def sample(type: Type) -> str:
    """A literal valid for ``type``."""
    if type.enum:
        return "'" + type.enum[0] + "'"
    return {
        Kind.STRING: "'x'",
        Kind.INT: "1",
        Kind.FLOAT: "1",
        Kind.BOOL: "true",
        Kind.UUID: f"'{UUID_TEXT}'",
        Kind.TIME: "'2025-01-07'",
        Kind.JSON: "'x'",
    }.get(type.kind, "'x'")


def operand_for(name: str, type: Type) -> str:
    if type.kind is Kind.MAP:
        return name + ".k"  # a key: the map's value type
    return name


def condition(path: str, type: Type, op: str) -> tuple[str, int]:
    """The text of ``path op value`` and the offset where the operator stands."""
    if op in ("IN", "NOT IN"):
        return f"{path} {op} ({sample(type)}, {sample(type)})", len(path) + 1
    if op == "LEN()":
        return f"LEN({path}) > 0", 0
    if op == "?":
        if type.kind is Kind.MAP:
            key = f"'{UUID_TEXT}'" if type.keys and type.keys.kind is Kind.UUID else "'k'"
            return f"{path} ? {key}", len(path) + 1
        items = type.items or Type(Kind.STRING)
        return f"{path} ? {sample(items)}", len(path) + 1
    value = sample(type)
    if type.kind in (Kind.ARRAY, Kind.MAP, Kind.JSON):
        value = "'x'"
    return f"{path} {op} {value}", len(path) + 1


@pytest.mark.parametrize("entity", confighub.names())
def test_each_filterable_attribute_takes_exactly_its_operators(entity: str) -> None:
    schema = generic(entity)
    checked = considered = 0
    for name in schema.filterable:
        attribute = schema.attributes[name]
        operands = [(name, attribute.type)]
        if attribute.type.kind is Kind.MAP:
            key = UUID_TEXT if attribute.type.keys and attribute.type.keys.kind is Kind.UUID else "k"
            assert attribute.type.values is not None
            operands.append((f"{name}.{key}", attribute.type.values))
        if "." in name or attribute.type.kind is Kind.MAP and attribute.type.values.kind is Kind.MAP:
            continue  # Mutation's qualified names and Permissions: ConfigHub's forms only
        considered += 1
        for path, type in operands:
            allowed = SPEC_TABLE[type.kind]
            for op in ALL_OPS:
                text, offset = condition(path, type, op)
                if op in allowed:
                    typed = parse(text, extended=True, schema=schema)
                    assert typed.to_where(extended=True) == parse(text, extended=True).to_where(extended=True)
                else:
                    with pytest.raises(WhereValidationError) as info:
                        parse(text, extended=True, schema=schema)
                    err = info.value
                    assert err.code == "operator-not-allowed", (text, err)
                    assert err.position == offset, text
                    for word in allowed:
                        assert word in err.message
                checked += 1
            for text in (f"{path} IS NULL", f"{path} IS NOT NULL"):
                assert isinstance(parse(text, schema=schema), IsNull)
    assert checked >= considered * len(ALL_OPS) > 0


# --- examples that must validate ----------------------------------------------------

EXAMPLES = [
    # SPEC §6 and the seed (confighub-invocation-api.txt)
    ("Unit", "CreatedAt >= '2025-01-07' AND Slug = 'test' AND Labels.mykey = 'myvalue'"),
    ("Invocation", "CreatedAt >= '2025-01-07' AND Slug = 'test' AND Labels.mykey = 'myvalue'"),
    ("Unit", f"FromLinkID ? '{UUID_TEXT}'"),
    ("Unit", "LEN(FromLinkID) > 0"),
    ("Unit", "Slug IN ('slugone', 'slugtwo')"),
    ("Invocation", "Slug IN ('slugone', 'slugtwo')"),
    ("Unit", "Labels.environment IN ('prod', 'staging')"),
    ("Invocation", "Labels.environment IN ('prod', 'staging')"),
    ("Unit", "Slug ~ '^app-[0-9]+$'"),
    ("Unit", "Slug !~~ 'temp%'"),
    ("Unit", "HeadRevisionNum > LastReleasedRevisionNum"),
    ("Unit", "Labels.tier IS NOT NULL"),
    ("Mutation", f"MergeSourceID = '{UUID_TEXT}' IS NOT FALSE"),
    ("Invocation", "CreatedAt > '2025-02-18T23:16:34'"),
    ("Unit", "Labels.tier = 'Backend'"),
    ("Invocation", "Labels.tier = 'Backend'"),
    # SPEC §1 paths and spellings
    ("Unit", "Space.Labels.Environment = 'prod'"),
    ("Unit", "UpstreamSpace.Slug = 'base'"),
    ("Unit", "ApplyGates.complete/no-placeholders = true"),
    ("Unit", "Labels.app.kubernetes.io/name = 'web'"),
    ("Unit", "Annotations.cost-estimator.confighub.com/budget-status = 'ok'"),
    ("Link", "ToSpaceID != SpaceID"),
    ("Unit", "Slug='x'"),
    ("Unit", "Slug ~~ 'a%' AND Slug ILIKE 'B%' AND Slug ~* 'x' AND Slug !~ 'y' AND Slug !~* 'z'"),
    ("Trigger", "FunctionName NOT IN ('a', 'b') AND Slug NOT LIKE 'x%'"),
    ("Trigger", "Disabled = false AND Validating != true"),
    ("UnitEvent", "Status IN ('Completed', 'Failed') AND Action = 'Apply'"),
    ("Revision", f"Tags ? '{UUID_TEXT}'"),
]


@pytest.mark.parametrize(("entity", "text"), EXAMPLES)
def test_examples_validate_and_print_the_same(entity: str, text: str) -> None:
    assert parse(text, schema=confighub.schema(entity)) == parse(text, schema=generic(entity))
    typed = parse(text, schema=confighub.schema(entity))
    plain = parse(text)
    assert typed.to_where(extended=True) == plain.to_where(extended=True)
    assert typed.to_query(extended=True) == plain.to_query(extended=True)
    assert "Path(" not in repr(typed)


# --- the typed tree -----------------------------------------------------------------


def unit() -> Schema:
    return generic("Unit")


def test_typed_tree_resolves_paths_and_converts_literals() -> None:
    text = f"CreatedAt >= '2025-01-07' AND FromLinkID ? '{UUID_TEXT.upper()}'"
    tree = parse(text, schema=unit())
    created, approved = tree.items  # type: ignore[union-attr]
    assert created.left == Attr(("CreatedAt",), (), "CreatedAt", None, Type(Kind.TIME))
    assert created.right.value == datetime(2025, 1, 7, tzinfo=timezone.utc)
    assert created.right.text == "2025-01-07"
    assert approved.right.value == UUID(UUID_TEXT)
    assert approved.right.text == UUID_TEXT.upper()
    assert tree.to_where(extended=True) == text


def test_hops_keys_and_value_types() -> None:
    cases = {
        "Space.Labels.Environment = 'p'": (("Space",), "Labels", "Environment", Kind.STRING),
        "Labels.app.kubernetes.io/name = 'p'": ((), "Labels", "app.kubernetes.io/name", Kind.STRING),
        "Annotations.'a.b'.c = 'p'": ((), "Annotations", "a.b.c", Kind.STRING),
        "ApplyGates.x/y = true": ((), "ApplyGates", "x/y", Kind.BOOL),
        "UpstreamUnit.Space.Slug = 'p'": (("UpstreamUnit", "Space"), "Slug", None, Kind.STRING),
        "HeadRevision.RevisionNum > 3": (("HeadRevision",), "RevisionNum", None, Kind.INT),
    }
    for text, (hops, name, key, kind) in cases.items():
        tree = parse(text, schema=unit(), extended="'" in text)
        assert isinstance(tree, Compare)
        assert isinstance(tree.left, Attr)
        assert (tree.left.hops, tree.left.name, tree.left.key, tree.left.type.kind) == (
            hops, name, key, kind,
        ), text  # fmt: skip
        assert tree.to_where(extended=True) == text


def test_len_and_whole_containers_keep_container_types() -> None:
    tree = parse("LEN(Labels) >= 2 AND Labels ? 'tier' AND LEN(FromLinkID) IN (1, 2)", extended=True, schema=unit())
    first, second, third = tree.items  # type: ignore[union-attr]
    assert isinstance(first.left, Len) and first.left.path.type.kind is Kind.MAP
    assert second.left.type.kind is Kind.MAP and second.right == Literal("tier")
    assert isinstance(third, In) and third.values == (Literal(1), Literal(2))


def test_literal_on_the_left_is_converted_not_swapped() -> None:
    tree = parse(f"'{UUID_TEXT}' = SpaceID", schema=unit(), extended=True)
    assert isinstance(tree, Compare)
    assert tree.left == Literal(UUID(UUID_TEXT), UUID_TEXT)
    assert isinstance(tree.right, Attr)
    assert tree.to_where(extended=True) == f"'{UUID_TEXT}' = SpaceID"


def test_in_values_are_converted() -> None:
    tree = parse(f"SpaceID NOT IN ('{UUID_TEXT}', '{UUID_TEXT.upper()}')", schema=unit())
    assert isinstance(tree, In) and tree.negated
    assert [v.value for v in tree.values] == [UUID(UUID_TEXT)] * 2


def test_numbers_for_float_and_int_attributes() -> None:
    schema = Schema("Out", [Attribute("confidence", Type(Kind.FLOAT)), Attribute("n", Type(Kind.INT))])
    tree = parse("confidence > 0.75 AND confidence < 1 AND n > confidence", extended=True, schema=schema)
    a, b, c = tree.items  # type: ignore[union-attr]
    assert a.right == Literal(Decimal("0.75")) and b.right == Literal(1)
    assert isinstance(c.right, Attr)
    with pytest.raises(WhereValidationError) as info:
        parse("n = 1.5", extended=True, schema=schema)
    assert (info.value.code, info.value.position) == ("bad-literal", 4)


def test_truth_wraps_a_typed_predicate() -> None:
    tree = parse("Labels.tier = 'x' IS NOT TRUE", schema=unit())
    assert isinstance(tree, Truth) and isinstance(tree.expr.left, Attr)  # type: ignore[union-attr]


def test_json_values_take_only_is_null() -> None:
    schema = generic("Unit")
    assert isinstance(parse("Conflicts IS NOT NULL", schema=schema), IsNull)
    with pytest.raises(WhereValidationError) as info:
        parse("Conflicts = 'x'", schema=schema)
    assert info.value.code == "operator-not-allowed"
    assert "IS NULL" in info.value.message


TIMES = {
    "2025-01-07": datetime(2025, 1, 7, tzinfo=timezone.utc),
    "2025-02-18T23:16:34": datetime(2025, 2, 18, 23, 16, 34, tzinfo=timezone.utc),
    "2025-02-18T23:16:34Z": datetime(2025, 2, 18, 23, 16, 34, tzinfo=timezone.utc),
    "2025-02-18T23:16:34.5Z": datetime(2025, 2, 18, 23, 16, 34, 500000, tzinfo=timezone.utc),
    "2025-02-18T23:16:34.123456789Z": datetime(2025, 2, 18, 23, 16, 34, 123457, tzinfo=timezone.utc),
    "2025-02-18T23:16:34.9999999Z": datetime(2025, 2, 18, 23, 16, 35, tzinfo=timezone.utc),
    "2025-02-18T23:16:34+02:00": datetime(2025, 2, 18, 21, 16, 34, tzinfo=timezone.utc),
    "2025-02-18T23:16:34-05:30": datetime(2025, 2, 19, 4, 46, 34, tzinfo=timezone.utc),
    "2025-01-07 10:00:00": datetime(2025, 1, 7, 10, tzinfo=timezone.utc),  # REFERENCE.md §6
}
NOT_TIMES = ["yesterday", "2025-02-30", "2025-1-7", "2025-01-07T25:00:00", "2025-01-07T10:00",
             "2025-01-07 10:00:00Z", "2025-01-07T10:00:00+24:00", "", "2025-01-07Z"]  # fmt: skip


@pytest.mark.parametrize("text", list(TIMES))
def test_time_literals(text: str) -> None:
    value = parse_time(text)
    assert value is not None and value.tzinfo is not None
    assert value == TIMES[text]
    assert value - TIMES[text] == timedelta(0)


@pytest.mark.parametrize("text", NOT_TIMES)
def test_not_time_literals(text: str) -> None:
    assert parse_time(text) is None
    with pytest.raises(WhereValidationError) as info:
        parse(f"CreatedAt > '{text}'", schema=unit())
    assert (info.value.code, info.value.position) == ("bad-literal", 12)


# --- mistakes: code, position, length, and what the error suggests ----------------

MISTAKES = [
    # (entity, text, code, token at the error, words in message or hint)
    ("Unit", "SpaceID = 'old-space-id'", "bad-literal", "'old-space-id'", "UUID"),
    ("Unit", "CreatedAt > 'yesterday'", "bad-literal", "'yesterday'", "time"),
    ("Trigger", "Disabled > true", "operator-not-allowed", ">", "=, !=, IS NULL"),
    ("Unit", "LEN(Slug) > 0", "operator-not-allowed", "LEN(Slug)", "arrays and maps"),
    ("Unit", "Labels ? 1", "bad-literal", "1", "string"),
    ("Unit", "FromLinkID ? 'me'", "bad-literal", "'me'", "UUID"),
    ("Unit", "HeadRevisionNum > Slug", "type-mismatch", "Slug", "int"),
    ("Unit", "Slgu = 'x'", "unknown-attribute", "Slgu", "did you mean 'Slug'?"),
    ("Unit", "labels.tier = 'x'", "unknown-attribute", "labels", "did you mean 'Labels.tier'?"),
    ("Unit", "DisplayNmae = 'x'", "unknown-attribute", "DisplayNmae", "did you mean 'DisplayName'?"),
    ("Unit", "Space.Lables.env = 'x'", "unknown-attribute", "Lables", "did you mean 'Space.Labels.env'?"),
    ("Unit", "Slug = 1", "type-mismatch", "1", "string"),
    ("Unit", "HeadRevisionNum = '3'", "type-mismatch", "'3'", "int"),
    ("Trigger", "Disabled = 'true'", "type-mismatch", "'true'", "bool"),
    ("Unit", "Slug.x = 'a'", "bad-path", "x", "only maps"),
    ("Unit", "Labels = 'x'", "operator-not-allowed", "=", "?"),
    ("Unit", "FromLinkID = 'x'", "operator-not-allowed", "=", "?"),
    ("Unit", "SpaceID > 'x'", "operator-not-allowed", ">", "="),
    ("Unit", "CreatedAt IN ('2025-01-07')", "operator-not-allowed", "IN", ">="),
    ("Unit", "Labels NOT IN ('x')", "operator-not-allowed", "NOT IN", "?"),
    ("Unit", "Data = 'x'", "not-filterable", "Data", "Slug"),

    ("Unit", "Slug LIKE DisplayName", "type-mismatch", "DisplayName", "literal"),
    ("Unit", "Slug LIKE 3", "type-mismatch", "3", "string"),
    ("Unit", "FromLink.Slug = 'x'", "bad-path", "FromLink", "many"),
    ("Revision", "Tags.abc = 'x'", "bad-literal", "abc", "UUID"),
    ("Revision", "Tags ? 'abc'", "bad-literal", "'abc'", "UUID"),
]


@pytest.mark.parametrize(("entity", "text", "code", "token", "words"), MISTAKES)
def test_mistakes(entity: str, text: str, code: str, token: str, words: str) -> None:
    with pytest.raises(WhereValidationError) as info:
        parse(text, schema=generic(entity))
    err = info.value
    assert err.code == code
    position = text.index(token) if code in ("unknown-attribute", "bad-path") else text.rindex(token)
    if token == "=":
        position = text.index(" = ") + 1
    assert (err.position, err.length) == (position, len(token)), str(err)
    assert words in f"{err.message} {err.hint}"
    assert err.text == text
    caret = err.caret().splitlines()[1]
    assert caret.strip() == "^" * len(token)
    response = err.to_response()
    assert response["Code"] == "400" and err.message in response["Message"]


EXTENDED_MISTAKES = [
    ("Slug LIKE 'a\\'", "bad-like-pattern", "'a\\'"),
    ("Slug ~ 'a(?=b)'", "bad-regex", "'a(?=b)'"),
    ("Slug ~* '\\1'", "bad-regex", "'\\1'"),
    ("HeadRevisionNum = 1.5", "bad-literal", "1.5"),
    ("'a' = 'b'", "no-attribute", "'a' = 'b'"),
    ("'a%' LIKE Slug", "operator-not-allowed", "LIKE"),
    ("NOT (Slug = 'a' OR Slgu = 'b')", "unknown-attribute", "Slgu"),
    ("Labels." + "k" * 129 + " = 'x'", "key-too-long", "k" * 129),
    ("Slug ~ '(unclosed'", "bad-regex", "'(unclosed'"),  # strict: the portable subset
]


@pytest.mark.parametrize(("text", "code", "token"), EXTENDED_MISTAKES)
def test_extended_mistakes(text: str, code: str, token: str) -> None:
    with pytest.raises(WhereValidationError) as info:
        parse(text, extended=True, schema=unit())
    assert (info.value.code, info.value.position, info.value.length) == (
        code, text.index(token), len(token),
    )  # fmt: skip


def test_like_pattern_with_escaped_backslash_is_fine() -> None:
    tree = parse("Slug LIKE 'a\\\\' AND Slug LIKE '\\%%'", extended=True, schema=unit())
    assert tree.to_where(extended=True) == "Slug LIKE 'a\\\\' AND Slug LIKE '\\%%'"


def test_key_of_128_characters_is_fine() -> None:
    parse("Labels." + "k" * 128 + " = 'x'", extended=True, schema=unit())


def test_re2_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(WhereValidationError):
        parse("Slug ~ '[z-a]'", schema=unit(), extended=True)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_errors_without_text_have_no_position() -> None:
    from wherelang.nodes import Path
    from wherelang.validate import validate

    with pytest.raises(WhereValidationError) as info:
        validate(Compare(Path(("Slgu",)), Op.EQ, Literal("x")), unit())
    assert info.value.position is None and info.value.hint == "did you mean 'Slug'?"


def test_validating_a_typed_tree_again_gives_the_same_tree() -> None:
    from wherelang.validate import validate

    text = f"CreatedAt >= '2025-01-07' AND SpaceID = '{UUID_TEXT}' AND Labels.a = 'b'"
    typed = parse(text, schema=unit())
    assert validate(typed, unit()) == typed


def test_regex_that_is_not_unicode_text_is_a_bad_regex() -> None:
    from wherelang.nodes import Path
    from wherelang.validate import validate

    with pytest.raises(WhereValidationError) as info:
        validate(Compare(Path(("Slug",)), Op.REGEX, Literal("\ud800")), unit())
    assert info.value.code == "bad-regex"


def test_regex_too_big_for_re2_is_a_bad_regex() -> None:
    with pytest.raises(WhereValidationError) as info:
        parse("Slug ~ '((a{1000}){1000}){1000}'", schema=unit(), extended=True)
    assert (info.value.code, info.value.position) == ("bad-regex", 7)
