"""Syntax errors: a stable code, the span of the fault, what was expected, a hint."""

from __future__ import annotations

import re

import pytest

from wherelang import (
    WhereError,
    WhereEvaluationError,
    WhereSqlError,
    WhereSyntaxError,
    WhereValidationError,
    parse,
)

# (text, extended, code, the text under the span, words of the hint, expected words)
ERRORS = [
    ("Slug = 'test", False, "unterminated-string", "'test", "close the string", ()),
    ("Labels.'tier = 'x'", True, "unexpected-token", "x", "", ()),
    ("Labels.'tier = 1", False, "unterminated-string", "'tier = 1", "close the key", ()),
    ("Slug = 'x' Labels.a = 'b'", False, "missing-and", "Labels.a", "join conditions with AND",
     ("AND",)),
    ("Slug = 'x' 1 = 1", False, "missing-and", "1", "AND", ()),
    ("Slug = 'x' AND", False, "trailing-and", "AND", "remove the trailing AND", ()),
    ("Slug = 'x' and  ", True, "trailing-and", "and", "", ()),
    ("a = 1 OR", True, "trailing-or", "OR", "", ()),
    ("a = 1 AND NOT", True, "trailing-not", "NOT", "", ()),
    ("Slug = 'x' AND AND b = 1", False, "missing-condition", "AND", "", ()),
    ("a = 1 OR AND b = 1", True, "missing-condition", "AND", "", ()),
    ("Slug IN ()", False, "empty-in-list", ")", "IN ('a', 'b')", ()),
    ("Slug NOT IN ( )", True, "empty-in-list", ")", "", ()),
    ("Slug == 'x'", False, "unknown-operator", "==", "use =", ()),
    ("Slug === 'x'", False, "unknown-operator", "===", "use =", ()),
    ("Slug => 1", False, "unknown-operator", "=>", "use >=", ()),
    ("Slug =< 1", False, "unknown-operator", "=<", "use <=", ()),
    ("Slug =~ 'x'", False, "unknown-operator", "=~", "use ~", ()),
    ("Slug ! 'x'", False, "unknown-operator", "!", "use !=", ()),
    ("Slug <=> 'x'", False, "unknown-operator", "<=>", "", ()),
    ("a = 1 && b = 2", False, "unknown-operator", "&&", "use AND", ()),
    ("a = 1 || b = 2", True, "unknown-operator", "||", "use OR", ()),
    ("Slug = 'x' OR Slug = 'y'", False, "extended-syntax", "OR", "extended=True", ()),
    ("Slug = 'x' or Slug = 'y'", False, "extended-syntax", "or", "IN (...)", ()),
    ("NOT Slug = 'x'", False, "extended-syntax", "NOT", "!=", ()),
    ("(Slug = 'x')", False, "extended-syntax", "(", "extended=True", ()),
    ("a <> 1", False, "extended-syntax", "<>", "write !=", ()),
    ("a NOT ILIKE 'x'", False, "extended-syntax", "NOT ILIKE", "extended=True", ()),
    ("a ~~* 'x'", False, "extended-syntax", "~~*", "ILIKE", ()),
    ("a !~~* 'x'", False, "extended-syntax", "!~~*", "extended=True", ()),
    ("a = 0.5", False, "extended-syntax", "0.5", "extended=True", ()),
    ("a = -1", False, "strict-negative", "-1", "extended=True", ()),
    ("a = 'it''s'", False, "strict-string", "'it''s'", "", ()),
    ("x = null", False, "null-comparison", "null", "IS NULL", ()),
    ("x IN ('a', NULL)", False, "null-comparison", "NULL", "IS NULL", ()),
    ("and = 1", False, "reserved-word", "and", "keywords", ()),
    ("a = 1 AND in = 2", False, "reserved-word", "in", "keywords", ()),
    ("Not = 1", True, "reserved-word", "Not", "keywords", ()),
    ("a IS TRUE", False, "truth-of-operand", "TRUE", "compared with = true", ()),
    ("a = 1.5e3", False, "bad-number", "1.5e3", "write 1500", ()),
    ("a = -2e-2", True, "bad-number", "-2e-2", "write -0.02", ()),
    ("a.-b = 1", False, "bad-path", ".", "quote", ()),
    ("a- = 1", False, "bad-path", "-", "quote", ()),
    ('Slug = "x"', False, "unexpected-character", '"', "single quotes", ()),
    ("Slug = 'x' ;", False, "unexpected-character", ";", "", ()),
    ("Slug = 'x' \x00", False, "unexpected-character", "\x00", "", ()),
    ("Slug = \u00a0'x'", False, "unexpected-character", "\u00a0", "spaces, tabs", ()),
    (" \t\n", False, "strict-blank", "\n", "extended=True", ()),
    ("Slug", False, "unexpected-end", "", "", ("an operator such as = or LIKE", "IN", "IS")),
    ("Slug =", False, "unexpected-end", "", "", ("an attribute name", "a string such as 'text'")),
    ("(a = 1", True, "unexpected-end", "", "", (")",)),
    ("a = 1)", True, "unexpected-token", ")", "", ("the end of the input",)),
    ("= 'x'", False, "unexpected-token", "=", "", ("an attribute name",)),
    ("a NOT = 1", False, "unexpected-token", "=", "", ("LIKE", "IN")),
    ("a NOT = 1", True, "unexpected-token", "=", "", ("LIKE", "ILIKE", "IN")),
    ("a IS 1", False, "unexpected-token", "1", "", ("NULL", "NOT")),
    ("a IN 'x'", False, "unexpected-token", "'x'", "", ("(",)),
    ("a IN ('x',)", False, "unexpected-token", ")", "", ("a string such as 'text'",)),
    ("LEN('x') > 0", True, "unexpected-token", "'x'", "", ("an attribute name",)),
    ("a = 1 IS TRUE IS TRUE", False, "unexpected-token", "IS", "", ("AND",)),
    ("a" * 42 + " = 1", False, "limit-exceeded", "a" * 42, "", ()),
]  # fmt: skip


@pytest.mark.parametrize("text,extended,code,under,hint,expected", ERRORS)
def test_error(
    text: str, extended: bool, code: str, under: str, hint: str, expected: tuple[str, ...]
) -> None:
    with pytest.raises(WhereSyntaxError) as info:
        parse(text, extended=extended)
    err = info.value
    assert err.code == code
    assert err.position is not None
    shown = text[err.position : err.position + err.length]
    if under:
        assert shown == under
    else:
        assert err.position == (len(text) if code != "empty" else 0)
    assert hint.lower() in (err.hint or "").lower()
    for word in expected:
        assert word in err.expected
    assert err.message and "\n" not in err.message


def test_error_codes_table_is_complete() -> None:
    """Every code the parser can raise is exercised above (codes are a stable API)."""
    source = open(parse.__code__.co_filename, encoding="utf-8").read()
    raised = set(re.findall(r'error\(\s*"([a-z-]+)"', source))
    raised |= set(re.findall(r'WhereSyntaxError\(\s*"([a-z-]+)"', source))
    raised |= {f"trailing-{w}" for w in ("and", "or", "not")}
    raised.discard("trailing-")  # built with an f-string
    tested = {row[2] for row in ERRORS} | {"not-text", "invalid-character"}
    assert {c for c in raised if not c.endswith("-")} <= tested


def test_users_never_see_grammar_terminal_names() -> None:
    names = re.compile(r"\b(PATH|STRING|INT|DECIMAL|LPAR|RPAR|COMMA|EQ|NE|LT_GT|TILDE\w*|BANG\w*|"
                       r"QUESTION|__\w+|\$END|\$BAD|Token)\b")  # fmt: skip
    for text, extended, *_ in ERRORS:
        with pytest.raises(WhereSyntaxError) as info:
            parse(text, extended=extended)
        assert not names.search(str(info.value)), str(info.value)
        assert not names.search(" ".join(info.value.expected))


def test_caret_display() -> None:
    with pytest.raises(WhereSyntaxError) as info:
        parse("Slug == 'x'")
    assert str(info.value) == (
        "unknown operator '==' (line 1, column 6)\n"
        "  Slug == 'x'\n"
        "       ^^\n"
        "hint: use ="
    )


def test_caret_display_with_expected_words() -> None:
    with pytest.raises(WhereSyntaxError) as info:
        parse("Slug = 'x' Labels.a = 'b'")
    assert str(info.value) == (
        "missing AND between conditions (line 1, column 12)\n"
        "  Slug = 'x' Labels.a = 'b'\n"
        "             ^^^^^^^^\n"
        "expected IS, AND or the end of the input\n"
        "hint: join conditions with AND"
    )


def test_caret_on_a_later_line() -> None:
    text = "Slug = 'x'\nAND Labels.a = 'b'\nAND c == 1"
    with pytest.raises(WhereSyntaxError) as info:
        parse(text, extended=True)
    err = info.value
    assert (err.line, err.column) == (3, 7)
    lines = str(err).splitlines()
    assert lines[1:3] == ["  AND c == 1", "        ^^"]


def test_caret_windows_long_lines() -> None:
    text = "a = 1 AND " * 30 + "b == 2" + " AND c = 3" * 30
    with pytest.raises(WhereSyntaxError) as info:
        parse(text)
    shown, carets = str(info.value).splitlines()[1:3]
    assert shown.startswith("  ...") and shown.endswith("...")
    assert len(shown) < 140
    assert shown[carets.index("^") : carets.index("^") + 2] == "=="


def test_caret_replaces_control_characters() -> None:
    with pytest.raises(WhereSyntaxError) as info:
        parse("a = 1\x07 AND b = 2")
    shown, carets = str(info.value).splitlines()[1:3]
    assert "\x07" not in shown
    assert carets.index("^") == 2 + 5


def test_to_response_is_the_remote_api_error_body() -> None:
    with pytest.raises(WhereError) as info:
        parse("Slug = 'x' OR Slug = 'y'")
    body = info.value.to_response()
    assert set(body) == {"Code", "Message"}
    assert body["Code"] == "400"
    assert body["Message"].startswith("OR is only in the extended syntax (at offset 11)")
    assert "extended=True" in body["Message"]
    assert info.value.with_parameter("where").to_response()["Message"].startswith("where: OR")


def test_to_dict_has_every_field() -> None:
    with pytest.raises(WhereError) as info:
        parse("Slug IN ()")
    assert info.value.to_dict() == {
        "code": "empty-in-list",
        "message": "IN needs at least one value",
        "parameter": None,
        "position": 9,
        "length": 1,
        "expected": ["a string such as 'text'", "a number", "true or false"],
        "hint": "write IN ('a', 'b'); an empty list is a syntax error as in SQL",
    }


@pytest.mark.parametrize("value", [None, 42, b"Slug = 'x'", ["Slug = 'x'"]])
def test_non_text_input(value: object) -> None:
    with pytest.raises(WhereSyntaxError) as info:
        parse(value)  # type: ignore[arg-type]
    assert info.value.code == "not-text"


def test_lone_surrogates_are_not_text() -> None:
    with pytest.raises(WhereSyntaxError) as info:
        parse("Slug = 'a\ud800'")
    assert (info.value.code, info.value.position) == ("invalid-character", 9)


def test_error_hierarchy() -> None:
    for cls in (WhereSyntaxError, WhereValidationError, WhereEvaluationError, WhereSqlError):
        assert issubclass(cls, WhereError)
    assert issubclass(WhereError, ValueError)
    assert WhereError.status == 400


def test_strict_failure_names_the_extended_construct_that_caused_it() -> None:
    # Fails at both levels, but the extended syntax gets further: OR is the problem.
    with pytest.raises(WhereSyntaxError) as info:
        parse("Slug = 'x' OR")
    assert (info.value.code, info.value.position) == ("extended-syntax", 11)
    # An error the extended syntax has too is reported as it is.
    with pytest.raises(WhereSyntaxError) as info:
        parse("a == 1 OR b = 2")
    assert info.value.code == "unknown-operator"
    with pytest.raises(WhereSyntaxError) as info:
        parse("a = 1 AND AND b = 2 OR c = 3")
    assert info.value.code == "missing-condition"


def test_every_grammar_terminal_has_words_for_users() -> None:
    """A terminal added to the grammar must get words in parser._WORDS (or be an operator)."""
    from wherelang import parser

    engine = parser._engine()
    terminals = engine.terminals
    described = set(parser._WORDS) | parser._OPERATOR_TERMINALS
    assert terminals - described == set()
