"""Text to syntax tree, with Lark's LALR parser over ``grammar/where.lark``.

The tree is built inside the parser's callbacks (no intermediate parse tree), and
Lark's exceptions are turned into :class:`WhereSyntaxError` with words a user knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NamedTuple, cast

from lark.common import ParserConf
from lark.grammar import Rule
from lark.lexer import TerminalDef
from lark.load_grammar import load_grammar
from lark.parsers.lalr_analysis import LALR_Analyzer, Shift

from . import strict as strict_rules
from .errors import WhereSyntaxError, not_text
from .nodes import (
    And,
    Compare,
    Expr,
    In,
    IsNull,
    Len,
    Literal,
    Not,
    Op,
    Or,
    Path,
    Span,
    Truth,
    slot_setters,
)
from .validate import validate  # a module-level name: an import inside parse() costs each call

if TYPE_CHECKING:
    from .schema import Schema

__all__ = ["parse", "Limits", "STRICT_LIMITS", "MAX_LIMITS", "grammar_text"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep hostile input from making parsing or evaluation slow.

    The strict level uses the remote API's limits (:data:`STRICT_LIMITS`); the
    extended level uses these, which a server may tighten or loosen.
    """

    #: characters in the whole expression
    max_length: int = 131_072
    #: levels of AND, OR and NOT inside one another (the top one is level 1)
    max_depth: int = 64
    #: values in one IN list
    max_in_list: int = 1_000
    #: characters in an attribute name (the first segment of a path)
    max_name: int = 255
    #: characters in one key segment
    max_key: int = 1_024
    #: characters in a string literal
    max_string: int = 65_536
    #: digits in an integer literal
    max_digits: int = 40

    def __post_init__(self) -> None:
        for name, ceiling in _CEILINGS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= ceiling:
                raise ValueError(
                    f"Limits.{name} must be an integer from 1 to {ceiling} (got {value!r}): "
                    "every stage (parse, validate, compile, to_sql, to_where) handles "
                    "expressions up to these ceilings"
                )


# The highest value of each limit. Parsing, validation, compiling, SQL generation and
# to_where recurse once or a few times a level, and CPython allows ~1000 frames; 100
# levels leave room for a caller's own stack (tests/test_limits.py runs every stage at
# these ceilings under 150 frames). int() reads at most 4300 digits by default.
_CEILINGS = {
    "max_length": 1 << 20,
    "max_depth": 100,
    "max_in_list": 100_000,
    "max_name": 1 << 16,
    "max_key": 1 << 16,
    "max_string": 1 << 20,
    "max_digits": 4300,
}

#: Every limit at its ceiling: the most a server can allow.
MAX_LIMITS = Limits(**_CEILINGS)


#: The remote API's limits (REFERENCE.md §1, §6): 8192 bytes in all, names of 41 letters,
#: integers of 10 digits, 1000 values in an IN list. Strict strings may not hold ' " or \.
STRICT_LIMITS = Limits(
    max_length=8192,
    max_depth=1,
    max_in_list=1_000,
    max_name=41,
    max_key=8192,
    max_string=8192,
    max_digits=10,
)

# Lone surrogates cannot be encoded as UTF-8: not text a URL or a database can carry.
_SURROGATE = re.compile("[\ud800-\udfff]")

# In the raw token a quote inside the string is written ''.
_STRICT_FORBIDDEN = re.compile(r"['\"\\\x00-\x1f\x7f]")


def grammar_text() -> str:
    """The Lark grammar: shipped inside the wheel, or read from the source tree."""
    shipped = resources.files("wherelang").joinpath("grammar/where.lark")
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    source = FilePath(__file__).resolve().parent.parent / "grammar" / "where.lark"
    return source.read_text(encoding="utf-8")


# --- the lexer -----------------------------------------------------------------
#
# A lexer of our own in front of a table-driven LALR parser: one regular expression
# built from the grammar's terminals, so that the grammar stays the only description
# of syntax. Keywords are reserved: a word spelled like one is that keyword.
#
# The expression is cut into tokens by one ``findall`` call: each match is a tuple of
# the blanks before a token and one group per kind of token, and the loop below reads
# the tuples without a method call per token. Operands become nodes here, as they are
# read; the parser shifts them as they are.


class _Token(NamedTuple):
    """A token the parser keeps as it is (keywords, operators, punctuation), or the
    token an error is about. A named tuple, made with ``tuple.__new__``: the cheapest
    object with attributes."""

    type: str
    value: str
    start_pos: int
    end_pos: int


class _OpToken(NamedTuple):
    """What the parser shifts for a token that spells an operator on its own."""

    op: Op
    span: Span


_new = tuple.__new__

# The lexer and the parser build the commonest nodes without calling their classes
# (nodes.slot_setters): object.__new__, then one setter per field, in field order.
_node = object.__new__
_set_path_segments, _set_path_span = slot_setters(Path)
_set_literal_value, _set_literal_text, _set_literal_span = slot_setters(Literal)
_set_compare_left, _set_compare_op, _set_compare_right, _set_compare_span, _set_compare_op_span = (
    slot_setters(Compare)
)

# Not a terminal of the grammar: the parser stops at it, and the error is explained
# as a character no token starts with.
_BAD = "$BAD"
_END = "$END"

# The terminals written as regular expressions, in the order the lexer tries them:
# DECIMAL before INT, so that 1.5 is one number. The lexer makes a node of each.
_PATTERN_TERMINALS = ("PATH", "STRING", "DECIMAL", "INT")


class _Lexer:
    def __init__(self, terminals: list[TerminalDef], ignore_names: list[str]) -> None:
        word = re.compile(next(t.pattern.to_regexp() for t in terminals if t.name == "PATH"))
        # Every spelling of every keyword, so that one dict look-up finds it.
        self.keywords: dict[str, str] = {}
        # The grammar's operators and punctuation, as written (=, !~~*, (, ...), with
        # their terminals.
        self.symbol_terminals: dict[str, str] = {}
        patterns: dict[str, str] = {}
        ignore = []
        for term in terminals:
            regexp = term.pattern.to_regexp()
            if term.name in ignore_names:
                ignore.append(regexp)
            elif term.pattern.type == "str":
                if word.fullmatch(term.pattern.value):
                    for spelling in _case_variants(term.pattern.value):
                        self.keywords[spelling] = term.name
                else:
                    self.symbol_terminals[term.pattern.value] = term.name
            else:
                patterns[term.name] = regexp
        if set(patterns) != set(_PATTERN_TERMINALS):
            raise AssertionError(f"the lexer makes nodes of {_PATTERN_TERMINALS}, the grammar "
                                 f"has {tuple(patterns)}")  # fmt: skip
        self.symbols = set(self.symbol_terminals)
        # Longest operator first, so that !~~* is not read as !~ ~ *.
        symbols = "|".join(re.escape(s) for s in sorted(self.symbols, key=len, reverse=True))
        skip = "|".join(ignore)
        # Blanks written [...]+ repeat as a plain character class: cheaper than (?:[...]+)*+.
        blanks = f"{skip[:-1]}*+" if re.fullmatch(r"\[[^\]]*\]\+", skip) else f"(?:{skip})*+"
        # Groups: the blanks before the token, PATH, STRING, DECIMAL, INT, an operator
        # or punctuation, and a character no token starts with (which takes the rest of
        # the text with it, so that the lexer stops there); at the end of the text none
        # of them matches. The possessive *+ never gives white space back, and every
        # position matches something, so findall never skips a character and never
        # tries the same blanks twice.
        groups = "|".join(f"({patterns[name]})" for name in _PATTERN_TERMINALS)
        self.master = re.compile(f"({blanks})(?:{groups}|({symbols})|((?s:.))(?s:.*)|\\Z)")
        # What the lexer shifts for a terminal that spells an operator on its own (an
        # _OpToken, so that the rule "eq: EQ" costs the parser no call), or a literal.
        # The engine fills in the operators from the grammar's rules.
        self.operators: dict[str, Op] = {}
        self.keyword_values: dict[str, bool | Op] = {"TRUE": True, "FALSE": False}
        self.symbol_values: dict[str, tuple[str, Op | None]] = {}

    def set_operators(self, operators: dict[str, Op]) -> None:
        self.operators = operators
        for name, op in operators.items():
            if name in self.keywords.values():
                self.keyword_values[name] = op
        self.symbol_values = {
            spelling: (name, operators.get(name)) for spelling, name in self.symbol_terminals.items()
        }

    def tokens(self, text: str, limits: Limits, strict: bool) -> tuple[list[str], list[Any]]:
        """The terminals and the values the parser shifts: a node for an operand, a
        :class:`_Token` otherwise. The last terminal is $END, or _BAD at a character no
        token starts with.

        At the strict level each token also passes ConfigHub's lexical rules
        (wherelang/strict.py); the checks run only on tokens that may break one.
        """
        keywords = self.keywords
        keyword_values = self.keyword_values
        symbol_values = self.symbol_values
        max_name = limits.max_name
        max_string = limits.max_string + 2
        max_digits = limits.max_digits
        # Whether a string may hold what the strict level forbids: one search of the
        # whole text spares one a string.
        strict_strings = strict and (
            "''" in text or '"' in text or "\\" in text or not text.isprintable()
        )
        terms: list[str] = []
        values: list[Any] = []
        term = terms.append
        value = values.append
        pos = 0
        prev = ""
        for blanks, path, string, decimal, integer, symbol, bad in self.master.findall(text):
            start = pos + len(blanks) if blanks else pos
            if path:
                pos = start + len(path)
                kind = keywords.get(path)
                if kind is None:
                    if pos - start > max_name:
                        _check_path(text, path, start, limits)
                    if strict and not path.isalpha() and _STRICT_NAME(path) is None:
                        if not (start and text[start - 1].isdigit()):  # 1e3: the parser says
                            strict_rules.name(text, path, start)
                    term("PATH")
                    node = _node(Path)
                    _set_path_segments(node, tuple(path.split(".")) if "'" not in path
                                       else _segments(path))  # fmt: skip
                    _set_path_span(node, _new(Span, (start, pos - start)))
                    value(node)
                    prev = "PATH"
                    continue
                if strict:
                    if path not in _STRICT_SPELLINGS and kind in _STRICT_KEYWORDS:
                        strict_rules.keyword(text, path, start)
                    if prev in _JOINERS and kind in _JOINED:
                        strict_rules.joined(text, start - len(blanks), start, path)
                    elif kind == "AND" and prev and (
                        not blanks or text[pos : pos + 1] not in _BLANKS
                    ):
                        strict_rules.and_blanks(text, start, pos, bool(blanks))
                    elif kind == "LEN":
                        strict_rules.length(text, start)
                term(kind)
                special = keyword_values.get(kind)
                if special is None:
                    value(_new(_Token, (kind, path, start, pos)))
                elif type(special) is bool:
                    value(Literal(special, None, _new(Span, (start, pos - start))))
                else:
                    value(_new(_OpToken, (special, _new(Span, (start, pos - start)))))
                prev = kind
            elif symbol:
                pos = start + len(symbol)
                prev, op = symbol_values[symbol]
                term(prev)
                if op is None:
                    value(_new(_Token, (prev, symbol, start, pos)))
                else:
                    value(_new(_OpToken, (op, _new(Span, (start, pos - start)))))
            elif string:
                pos = start + len(string)
                if pos - start > max_string or (
                    strict_strings and _STRICT_FORBIDDEN.search(string, 1, len(string) - 1)
                ):
                    _check_string(text, string, start, limits, strict)
                term("STRING")
                literal = _node(Literal)
                _set_literal_value(literal, string[1:-1].replace("''", "'") if "''" in string
                                   else string[1:-1])  # fmt: skip
                _set_literal_text(literal, None)
                _set_literal_span(literal, _new(Span, (start, pos - start)))
                value(literal)
                prev = "STRING"
            elif integer or decimal:
                number = integer or decimal
                pos = start + len(number)
                if pos - start > max_digits or (strict and number[0] == "-"):
                    _check_number(text, number, start, limits, strict)
                prev = "INT" if integer else "DECIMAL"
                term(prev)
                value(Literal(int(number) if integer else Decimal(number), None,
                              _new(Span, (start, pos - start))))  # fmt: skip
            elif bad:
                term(_BAD)
                value(_new(_Token, (_BAD, bad, start, start + 1)))
                break
            else:
                term(_END)
                value(_new(_Token, (_END, "", len(text), len(text))))
                break
        if strict and strict_rules.odd_blanks(text):
            tokens = [_token(text, t, v) for t, v in zip(terms, values) if t != _END]
            strict_rules.blanks(text, tokens)
        return terms, values


def _token(text: str, term: str, value: Any) -> _Token:
    """The token the lexer read as ``value`` (a node or a token)."""
    if type(value) is _Token:
        return value
    start, length = value.span
    return _Token(term, text[start : start + length], start, start + length)


# The strict level's spelling of keywords (strict.py); IS and NOT join the next word.
_STRICT_SPELLINGS = strict_rules.STRICT_SPELLINGS
_STRICT_KEYWORDS = strict_rules.STRICT_KEYWORDS
_STRICT_NAME = strict_rules._NAME.match
_JOINERS = frozenset({"IS", "NOT"})
_BLANKS = (" ", "\t")
_JOINED = frozenset({"NOT", "NULL", "IN", "LIKE", "ILIKE", "TRUE", "FALSE"})



def _case_variants(word: str) -> list[str]:
    variants = [""]
    for ch in word:
        variants = [v + c for v in variants for c in dict.fromkeys((ch.lower(), ch.upper()))]
    return variants


def _limit(text: str, message: str, span: Span, hint: str) -> WhereSyntaxError:
    return WhereSyntaxError(
        "limit-exceeded", message, text=text, position=span.offset, length=span.length, hint=hint
    )


def _check_path(text: str, value: str, start: int, limits: Limits) -> None:
    segments = _segments(value)
    if len(segments[0]) > limits.max_name:
        raise _limit(text, f"attribute name longer than {limits.max_name} characters",
                     Span(start, len(segments[0])), "check the attribute name")  # fmt: skip
    if any(len(seg) > limits.max_key for seg in segments[1:]):
        raise _limit(text, f"key longer than {limits.max_key} characters",
                     Span(start, len(value)), "use a shorter key")  # fmt: skip


def _check_string(text: str, value: str, start: int, limits: Limits, strict: bool) -> None:
    span = Span(start, len(value))
    inner = value[1:-1].replace("''", "'")
    if len(inner) > limits.max_string:
        raise _limit(text, f"string longer than {limits.max_string} characters", span,
                     "use a shorter string")  # fmt: skip
    if strict and _STRICT_FORBIDDEN.search(value, 1, len(value) - 1):
        strict_rules.string(text, value, start)


def _check_number(text: str, value: str, start: int, limits: Limits, strict: bool) -> None:
    span = Span(start, len(value))
    digits = len(value.lstrip("-").split(".")[0])
    if digits > limits.max_digits:
        raise _limit(text, f"number longer than {limits.max_digits} digits", span,
                     "use a smaller number")  # fmt: skip
    if strict and value.startswith("-"):
        raise WhereSyntaxError(
            "strict-negative",
            "negative numbers are only in the extended syntax",
            text=text,
            position=start,
            length=len(value),
            hint="parse with extended=True to allow it",
        )


# --- building the tree in the parser callbacks ------------------------------------
#
# The parser calls one callback per reduction: with the value of the only child for
# a rule of one symbol, with the list of the children's values otherwise. Rule aliases
# in the grammar name the handlers below; the operator aliases are the lower-case
# names of :class:`Op` members. A rule of one symbol without a handler passes its
# child on, and costs the parser no call.


# Spans and tokens are named tuples; tuple.__new__ makes them without a Python call.


def _span(first: Any, last: Any) -> Span:
    start = first.start_pos if type(first) is _Token else first.span[0]
    if type(last) is _Token:
        return _new(Span, (start, last.end_pos - start))
    end = last.span
    return _new(Span, (start, end[0] + end[1] - start))


_SEGMENT = re.compile(r"'((?:[^']|'')*)'|([^.']+)")


def _segments(text: str) -> tuple[str, ...]:
    if "'" not in text:
        return tuple(text.split("."))
    return tuple(
        quoted.replace("''", "'") if bare == "" else bare
        for quoted, bare in _SEGMENT.findall(text)
    )


def _flatten(kind: type[And] | type[Or], first: Any, rest: list[Any]) -> Expr:
    items: list[Expr] = []
    for child in (first, *rest):
        if type(child) is kind:
            items.extend(child.items)
        else:
            items.append(child)
    return kind(tuple(items), _span(items[0], items[-1]))


def _connective(kind: type[And] | type[Or]) -> Callable[[list[Any]], Expr]:
    return lambda s: _flatten(kind, s[0], s[1])


def _strict(s: list[Any]) -> And:
    # predicate (AND predicate)+: no predicate is an And to flatten.
    items = (s[0], *s[1])
    return And(items, _span(items[0], items[-1]))


def _op_handler(op: Op) -> Callable[[list[Any]], _OpToken]:
    """The handler of an operator spelled with two tokens (NOT LIKE). The lexer makes
    the _OpToken of an operator spelled with one."""
    return lambda s: _new(_OpToken, (op, _span(s[0], s[-1])))


def _values(s: list[Any]) -> tuple[tuple[Literal, ...], _Token]:
    return (s[1], *s[2]) if len(s) == 4 else (s[1],), s[-1]


def _tested(node: Compare | In | IsNull, s: list[Any], size: int) -> Expr:
    """``node``, or ``node IS [NOT] TRUE|FALSE`` when the children go on past ``size``."""
    if len(s) == size:
        return node
    return Truth(node, s[-1].value, len(s) - size == 3, _span(s[0], s[-1]))


def _compare(s: list[Any]) -> Expr:
    # The most common condition: its span is built here, without helper calls.
    left, op, right = s[0], s[1], s[2]
    start = left.span[0]
    end = right.span
    node = _node(Compare)
    _set_compare_left(node, left)
    _set_compare_op(node, op.op)
    _set_compare_right(node, right)
    _set_compare_span(node, _new(Span, (start, end[0] + end[1] - start)))
    _set_compare_op_span(node, op.span)
    return node if len(s) == 3 else _tested(node, s, 3)


def _in_handler(size: int) -> Callable[[list[Any]], Expr]:
    def handler(s: list[Any]) -> Expr:
        values, rpar = s[size - 1]
        return _tested(In(s[0], values, size == 4, _span(s[0], rpar)), s, size)

    return handler


def _is_null_handler(size: int) -> Callable[[list[Any]], Expr]:
    def handler(s: list[Any]) -> Expr:
        return _tested(IsNull(s[0], size == 4, _span(s[0], s[size - 1])), s, size)

    return handler


def _group(s: list[Any]) -> Expr:
    # A group's span takes in its parentheses, so that NOT (...) ends at the ")".
    inner: Expr = s[1]
    return replace(inner, span=_span(s[0], s[2]))


# Handlers of rules of more than one symbol, by alias or rule name.
_HANDLERS: dict[str, Callable[[list[Any]], Any]] = {
    "len": lambda s: Len(s[2], _span(s[0], s[3])),
    "compare": _compare,
    "values": _values,
    "in_": _in_handler(3),
    "not_in": _in_handler(4),
    "is_null": _is_null_handler(3),
    "is_not_null": _is_null_handler(4),
    "negation": lambda s: Not(s[1], _span(s[0], s[1])),
    "group": _group,
    "and_expr": _connective(And),
    "or_expr": _connective(Or),
    "strict": _strict,
    **{op.name.lower(): _op_handler(op) for op in Op},
}

# The operator of each alias (eq, like, ...).
_OPERATORS = {op.name.lower(): op for op in Op}


# Rules of one symbol that pass their child on: one predicate is not an And.
_PASS_ON = frozenset({"strict", "and_expr", "or_expr"})


def _collect(s: list[Any]) -> list[Any]:
    # x* is compiled into left-recursive helper rules: "SEP x" and "helper SEP x".
    if len(s) == 3:
        s[0].append(s[2])
        return s[0]  # type: ignore[no-any-return]
    return [s[1]]


def _callback(rule: Rule) -> Callable[[Any], Any] | None:
    """The handler of ``rule``, which takes the list of its children; None for a rule
    of one symbol, which passes its child on (an operator's _OpToken, made by the
    lexer, or a predicate)."""
    origin = str(rule.origin.name)
    name = rule.alias or origin.split("{")[0]
    if len(rule.expansion) == 1:
        if name not in _OPERATORS and name in _HANDLERS and name not in _PASS_ON:
            raise AssertionError(f"a rule of one symbol without a handler: {rule}")
        return None
    if name in _HANDLERS:
        return _HANDLERS[name]
    if origin.startswith("__") and "_star_" in origin:
        return _collect
    raise AssertionError(f"grammar rule without a handler: {rule}")


def _inline(rules: list[Rule]) -> list[Rule]:
    """Splice rules named ``_x`` into the rules that use them (see the grammar).

    ``a: b _x? c`` with ``_x: d | e f`` becomes ``a: b c | b d c | b e f c``: one
    reduction fewer for the parser, and ``a``'s callback sees ``_x``'s children in
    place of ``_x`` (Lark does the same to its parse trees). Lark does not allow
    aliases on such rules, so no callback is lost.
    """

    def inlined(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    alternatives: dict[str, list[Rule]] = {}
    for rule in rules:
        alternatives.setdefault(str(rule.origin.name), []).append(rule)
    expanded: dict[str, list[list[Any]]] = {}

    def expand(rule: Rule, seen: tuple[str, ...]) -> list[list[Any]]:
        results: list[list[Any]] = [[]]
        for symbol in rule.expansion:
            name = str(symbol.name)
            if symbol.is_term or not inlined(name):
                results = [exp + [symbol] for exp in results]
                continue
            if name in seen:
                raise AssertionError(f"inlined rule {name} is recursive")
            if name not in expanded:
                expanded[name] = [
                    sub for alt in alternatives[name] for sub in expand(alt, (*seen, name))
                ]
            results = [exp + sub for exp in results for sub in expanded[name]]
        return results

    out: list[Rule] = []
    for name, group in alternatives.items():
        if inlined(name):
            continue
        order = 0
        for rule in group:
            for expansion in expand(rule, (name,)):
                out.append(Rule(rule.origin, expansion, order, rule.alias, rule.options))
                order += 1
    return out



class _Unexpected(Exception):
    """The parser found no action for ``term``: the error is explained from the
    token, and the terminals the states on ``stack`` would have taken."""

    def __init__(self, term: str, value: Any, stack: list[int]) -> None:
        self.term = term
        self.value = value
        self.stack = stack


class _Engine:
    """Lark's LALR tables for the grammar, driven by one loop of our own.

    Lark computes the tables (so the grammar is the only source of syntax); the loop
    below reads them without Lark's per-token objects and calls. Each state's actions
    are a dict from terminal to an int: a state to shift to (>= 0) or ``~r`` to reduce
    by rule ``r``. A rule is (number of symbols, the states to go to after it by the
    state below it, callback); a rule of one symbol keeps its child as its value.
    """

    def __init__(self) -> None:
        grammar, _ = cast(Any, load_grammar)(grammar_text(), "where.lark", [], True)
        terminals, rules, ignore = grammar.compile(["strict", "extended"], set())
        rules = _inline(rules)
        if any(not rule.expansion for rule in rules):
            raise AssertionError("the parser loop takes no empty rule")
        self.lexer = _Lexer(terminals, ignore)
        analysis = LALR_Analyzer(ParserConf(rules, {}, ["strict", "extended"]), strict=True)
        cast(Any, analysis).compute_lalr()
        table: Any = analysis.parse_table  # an IntParseTable: states are 0, 1, ...
        if sorted(table.states) != list(range(len(table.states))):
            raise AssertionError("Lark numbers the states 0, 1, ...")
        numbers: dict[Rule, int] = {}
        for actions in table.states.values():
            for kind, arg in actions.values():
                if kind is not Shift and arg not in numbers:
                    numbers[arg] = len(numbers)
        gotos: dict[str, dict[int, int]] = {}
        self.actions: list[dict[str, int]] = [{} for _ in range(len(table.states))]
        for state, actions in table.states.items():
            for symbol, (kind, arg) in actions.items():
                if symbol.isupper() or symbol == _END:
                    self.actions[state][symbol] = arg if kind is Shift else ~numbers[arg]
                else:
                    gotos.setdefault(symbol, {})[state] = arg
        self.rules: list[tuple[int, dict[int, int], Callable[[Any], Any] | None]] = [
            (len(rule.expansion), gotos[str(rule.origin.name)], _callback(rule))
            for rule in numbers
        ]
        self.lexer.set_operators(_operator_terminals(numbers))
        self.start_states: dict[str, int] = dict(table.start_states)
        self.end_states: dict[str, int] = dict(table.end_states)
        # The end state shifts $END into itself; the loop stops after $END.
        for end in self.end_states.values():
            self.actions[end][_END] = end
        #: The terminals the table knows.
        self.terminals = frozenset(t for actions in self.actions for t in actions)

    def parse(self, text: str, start: str, limits: Limits) -> Any:
        terms, values = self.lexer.tokens(text, limits, start == "strict")
        actions = self.actions
        rules = self.rules
        state = self.start_states[start]
        stack = [state]
        results: list[Any] = []
        push_state = stack.append
        push = results.append
        term = _END
        value: Any = None
        try:
            for term, value in zip(terms, values):
                action = actions[state][term]
                while action < 0:
                    size, goto, callback = rules[~action]
                    if size == 1:
                        state = stack[-1] = goto[stack[-2]]
                    else:
                        children = results[-size:]
                        del results[-size:]
                        del stack[-size:]
                        push(callback(children))  # type: ignore[misc]
                        state = goto[stack[-1]]
                        push_state(state)
                    action = actions[state][term]
                state = action
                push_state(state)
                push(value)
        except KeyError:
            if term in actions[state]:
                raise
            raise _Unexpected(term, value, stack) from None
        return results[0]

    def accepts(self, stack: list[int]) -> set[str]:
        """The terminals the parser could take next, found by trying each one."""
        accepted = set()
        for terminal in self.terminals:
            states = list(stack)
            while True:
                action = self.actions[states[-1]].get(terminal)
                if action is None:
                    break
                if action >= 0:
                    accepted.add(terminal)
                    break
                size, goto, _ = self.rules[~action]
                del states[-size:]
                states.append(goto[states[-1]])
        return accepted


def _operator_terminals(rules: Iterable[Rule]) -> dict[str, Op]:
    """The operator each terminal spells on its own (EQ: Op.EQ, TILDE_TILDE: Op.LIKE),
    from the rules "alias: TERMINAL"."""
    operators: dict[str, Op] = {}
    for rule in rules:
        if len(rule.expansion) == 1 and rule.alias in _OPERATORS:
            if not rule.expansion[0].is_term:
                raise AssertionError(f"an operator rule of a rule: {rule}")
            terminal = str(rule.expansion[0].name)
            op = _OPERATORS[rule.alias]
            if operators.setdefault(terminal, op) is not op:
                raise AssertionError(f"{terminal} spells two operators")
    return operators


@lru_cache(maxsize=1)
def _engine() -> _Engine:
    return _Engine()


# --- errors in words a user knows --------------------------------------------

_OPERATOR_TERMINALS = {
    "EQ", "NE", "LT_GT", "LT", "GT", "LE", "GE", "LIKE", "ILIKE", "TILDE_TILDE",
    "BANG_TILDE_TILDE", "TILDE_TILDE_STAR", "BANG_TILDE_TILDE_STAR", "TILDE",
    "TILDE_STAR", "BANG_TILDE", "BANG_TILDE_STAR", "QUESTION",
}  # fmt: skip

# Order matters: the words appear in this order in messages.
_WORDS: dict[str, str] = {
    "PATH": "an attribute name",
    "LEN": "LEN(...)",
    "STRING": "a string such as 'text'",
    "INT": "a number",
    "DECIMAL": "a decimal number",
    "TRUE": "true or false",
    "FALSE": "true or false",
    "OPERATOR": "an operator such as = or LIKE",
    "IN": "IN",
    "IS": "IS",
    "NULL": "NULL",
    "NOT": "NOT",
    "AND": "AND",
    "OR": "OR",
    "LPAR": "(",
    "RPAR": ")",
    "COMMA": ",",
    "$END": "the end of the input",
}

_OPERATOR_CHARS = "=!<>~*?"

# Operators of other languages, with the spelling to use instead.
_OPERATOR_HINTS = {
    "==": "=", "===": "=", "=!": "!=", "!==": "!=", "=<": "<=", "=>": ">=",
    "=~": "~", "!": "!=", "=*": "~*", "<=>": "IS NOT DISTINCT FROM is not supported; use =",
}  # fmt: skip

# Constructs only the extended syntax has: (pattern, what it is, hint).
_EXTENDED_ONLY = [
    (re.compile(r"\bOR\b", re.I), "OR", "the remote API joins conditions with AND only; use IN (...) for alternatives of one attribute"),
    (re.compile(r"\bNOT\s+ILIKE\b", re.I), "NOT ILIKE", "write !~* with a regular expression instead"),
    (re.compile(r"\bNOT\b", re.I), "NOT", "negate the operator instead: !=, NOT LIKE, NOT IN, !~"),
    (re.compile(r"<>"), "<>", "write != instead"),
    (re.compile(r"!~~\*"), "!~~*", "write !~* with a regular expression instead"),
    (re.compile(r"~~\*"), "~~*", "write ILIKE instead"),
    (re.compile(r"-?[0-9]+\.[0-9]+"), "a decimal number", "write an integer"),
    (re.compile(r"[()]"), "parentheses", "the remote API does not group conditions"),
]  # fmt: skip

# The keywords that, after NOT, make an operator.
_NEGATED_KEYWORDS = {"LIKE", "ILIKE", "IN"}


def _describe(expected: Iterable[str]) -> tuple[str, ...]:
    expected = set(expected)
    if expected and expected <= _NEGATED_KEYWORDS:  # after NOT: name them
        return tuple(sorted(expected, key=["LIKE", "ILIKE", "IN"].index))
    kinds = set()
    for name in expected:
        if name in _OPERATOR_TERMINALS:
            kinds.add("OPERATOR")
        elif name in _WORDS:
            kinds.add(name)
    if "OPERATOR" in kinds:
        kinds.discard("NOT")  # NOT LIKE / NOT IN are operators here
    return tuple(dict.fromkeys(_WORDS[k] for k in _WORDS if k in kinds))


def _found(text: str, pos: int) -> str:
    if pos >= len(text):
        return "the end of the input"
    token = re.match(r"'[^']*'?|[A-Za-z0-9_.]+|[=!<>~*?]+|\S", text[pos:])
    found = token.group(0) if token else text[pos]
    if len(found) > 30:
        found = found[:27] + "..."
    return repr(found) if found.isprintable() else repr(found)


def _operator_run(text: str, pos: int) -> tuple[int, int] | None:
    """The run of operator characters around ``pos``, if it is not a known operator."""
    if pos >= len(text) or text[pos] not in _OPERATOR_CHARS:
        return None
    start = pos
    while start > 0 and text[start - 1] in _OPERATOR_CHARS:
        start -= 1
    end = pos
    while end < len(text) and text[end] in _OPERATOR_CHARS:
        end += 1
    if text[start:end] in _engine().lexer.symbols:
        return None
    return start, end


# Terminals that start a value (TRUE and FALSE also follow IS).
_VALUE_TERMINALS = {"PATH", "STRING", "INT"}
_KEYWORD_TERMINALS = {"AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE", "LIKE", "ILIKE", "LEN"}


#: Characters of other languages, and what to write instead.
_CHARACTER_HINTS = {
    ";": "an expression is one list of conditions: join them with AND, and end without ;",
    "`": "strings are quoted with ' and attribute names are not quoted",
}
_CURLY_QUOTES = "‘’“”"


def _before(text: str, pos: int) -> str:
    return text[:pos].rstrip()


_EXPONENT = re.compile(r"(?<![\w.'])-?[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+(?![\w.'])")


def _exponent(text: str, pos: int) -> WhereSyntaxError | None:
    """``1.5e3`` at ``pos`` (outside a string): say that exponents are not supported."""
    for match in _EXPONENT.finditer(text, max(0, pos - 48), min(len(text), pos + 48)):
        if match.start() <= pos <= match.end() and text.count("'", 0, match.start()) % 2 == 0:
            plain = format(Decimal(match.group()), "f")
            if "." in plain:
                plain = plain.rstrip("0").rstrip(".")
            return WhereSyntaxError(
                "bad-number", f"exponents are not supported: {match.group()}", text=text,
                position=match.start(), length=match.end() - match.start(), hint=f"write {plain}",
            )  # fmt: skip
    return None


def _syntax_error(text: str, pos: int, token: _Token | None, expected: set[str]) -> WhereSyntaxError:
    """Explain a failure at ``pos``: ``token`` is what was found (None: a character no
    token starts with), ``expected`` the terminals that would have been valid."""
    words = _describe(expected)
    token_type = token.type if token is not None else ""
    exponent = _exponent(text, pos)
    if exponent is not None:
        return exponent

    def error(code: str, message: str, length: int = 1, hint: str | None = None,
              show_expected: bool = True) -> WhereSyntaxError:  # fmt: skip
        return WhereSyntaxError(
            code,
            message,
            text=text,
            position=pos,
            length=length,
            expected=words if show_expected else (),
            hint=hint,
        )

    run = _operator_run(text, pos)
    if run is not None:
        pos = run[0]
        spelled = text[run[0] : run[1]]
        better = _OPERATOR_HINTS.get(spelled)
        hint = f"use {better}" if better else "operators are = != < > <= >= LIKE NOT LIKE ILIKE ~~ !~~ ~ ~* !~ !~* ? IN NOT IN"
        return error("unknown-operator", f"unknown operator {spelled!r}", run[1] - run[0], hint, False)

    if token is None:
        ch = text[pos]
        if ch == "'":
            return error(
                "unterminated-string",
                "unterminated string: no closing quote",
                len(text) - pos,
                "close the string with ' (write '' for a quote inside a string)",
                False,
            )
        if ch == '"':
            return error("unexpected-character", "strings are quoted with single quotes, not \"",
                         1, "write strings in single quotes: 'text'")  # fmt: skip
        two = text[pos : pos + 2]
        if two in ("&&", "||"):
            return error("unknown-operator", f"unknown operator {two!r}", 2,
                         f"use {'AND' if two == '&&' else 'OR'}", False)  # fmt: skip
        if ch == ".":
            if text[pos + 1 : pos + 2] == "'":
                pos += 1
                return error("unterminated-string", "unterminated quoted key: no closing quote",
                             len(text) - pos, "close the key with ' (write '' for a quote inside it)",
                             False)  # fmt: skip
            key = re.match(r"[^\s=!<>~?()',.]*", text[pos + 1 :]).group(0)  # type: ignore[union-attr]
            path = re.search(r"[\w.]*$", text[:pos]).group(0)  # type: ignore[union-attr]
            quoted = f"{path}.'{key}'" if key.strip("*") else f"{path}.'key'"
            return error("bad-path", "a key after '.' must start and end with a letter or digit",
                         1, "an unquoted key holds ASCII letters and digits, with . _ / - inside; "
                         f"quote any other key: {quoted}", False)  # fmt: skip
        if ch in "-/" and pos and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
            return error("bad-path", f"{ch!r} cannot end a name or key",
                         1, "names are letters, digits and _; quote a key with other "
                         "characters: Labels.'key-'", False)  # fmt: skip
        if ch.isspace():
            return error("unexpected-character", f"unexpected white space {ch!r}", 1,
                         "separate tokens with spaces, tabs or newlines")  # fmt: skip
        advice = _CHARACTER_HINTS.get(ch)
        if ch in _CURLY_QUOTES:
            close = re.match(r".[^‘’“”]*[‘’“”]?", text[pos:]).group(0)  # type: ignore[union-attr]
            inner = close[1:].rstrip("‘’“”")
            advice = f"strings are quoted with the straight quote ': write '{inner}'"
        return error("unexpected-character", f"unexpected character {ch!r}", 1, advice)

    before = _before(text, pos)
    if token_type == "RPAR" and re.search(r"\bIN\s*\($", before, re.I):
        return error("empty-in-list", "IN needs at least one value", 1,
                     "write IN ('a', 'b'); an empty list is a syntax error as in SQL")  # fmt: skip
    if token_type == "$END":
        trailing = re.search(r"\b(AND|OR|NOT)$", before, re.I)
        if trailing:
            pos = trailing.start()
            word = trailing.group(1).upper()
            return error(f"trailing-{word.lower()}", f"{word} at the end needs a condition after it",
                         len(word), f"remove the trailing {word} or add a condition")  # fmt: skip
        return error("unexpected-end", "unexpected end of the input")
    if token_type in ("AND", "OR") and re.search(r"\b(AND|OR)$", before, re.I):
        return error("missing-condition", f"{token_type} follows {before[-3:].strip().upper()} with no condition between",
                     len(token.value), "remove one of them or add a condition")  # fmt: skip
    is_value = re.search(r"\bIS(\s+NOT)?$", before, re.I)
    if is_value and token_type in _VALUE_TERMINALS and "NULL" in expected:
        operand = before[: is_value.start()].rstrip()
        better = "!=" if is_value.group(1) else "="
        value = _found(text, pos)[1:-1] if token_type == "STRING" else token.value
        return error("unexpected-token", f"IS {'NOT ' if is_value.group(1) else ''}compares with NULL only",
                     len(token.value), f"compare values with {better}: {operand} {better} {value}")  # fmt: skip
    if token_type == "NULL" and expected & _VALUE_TERMINALS:
        return error("null-comparison", "NULL is not a value to compare with",
                     len(token.value), "use IS NULL or IS NOT NULL", False)  # fmt: skip
    if "AND" in expected and token_type in {"PATH", "LEN", "STRING", "INT", "DECIMAL", "TRUE",
                                             "FALSE", "NOT", "LPAR"}:  # fmt: skip
        return error("missing-and", "missing AND between conditions", len(token.value),
                     "join conditions with AND")  # fmt: skip
    if token_type in ("TRUE", "FALSE") and "NULL" in expected:
        operand = re.sub(r"\s*\bIS(\s+NOT)?$", "", before, flags=re.I)
        # The operand's type is not known here: parse() words it for bools with a schema.
        return error("truth-of-operand", "IS [NOT] TRUE|FALSE tests a comparison, not a value",
                     len(token.value), f"write a comparison before it, as in {operand} = 'x' IS NOT TRUE; "
                     f"a bool attribute is compared with = {token.value.lower()}", False)  # fmt: skip
    keyword = re.search(r"(?:^|[(]|\bAND|\bOR)\s*\b(NOT|LEN)$", before, re.I)
    if keyword and (token_type in _OPERATOR_TERMINALS or token_type in ("IN", "IS")):
        pos = keyword.start(1)
        word = keyword.group(1)
        return error("reserved-word", f"{word} is a keyword, not an attribute name", len(word),
                     "keywords cannot name attributes", False)  # fmt: skip
    if token_type in _KEYWORD_TERMINALS and "PATH" in expected:
        return error("reserved-word", f"{token.value} is a keyword, not an attribute name",
                     len(token.value), "keywords cannot name attributes")  # fmt: skip
    return error("unexpected-token", f"unexpected {_found(text, pos)}", max(1, len(token.value)))


def _extended_only(text: str, pos: int) -> WhereSyntaxError:
    exponent = _exponent(text, pos)
    if exponent is not None:
        return exponent
    for pattern, what, hint in _EXTENDED_ONLY:
        for match in pattern.finditer(text, max(0, pos - 12), min(len(text), pos + 12)):
            if match.start() <= pos <= match.end():
                verb = "are" if what == "parentheses" else "is"
                return WhereSyntaxError(
                    "extended-syntax",
                    f"{what} {verb} only in the extended syntax",
                    text=text,
                    position=match.start(),
                    length=match.end() - match.start(),
                    hint=f"{hint}, or parse with extended=True",
                )
    return WhereSyntaxError(
        "extended-syntax",
        "this is only valid in the extended syntax",
        text=text,
        position=pos,
        hint="parse with extended=True to allow it",
    )


# --- limits -------------------------------------------------------------------
#
# The lexer checks each token against the limits; nesting and IN lists are checked
# on the tree, and only when a cheap count of the text says a limit may be passed.


def _connectives(expr: Expr) -> Iterator[tuple[Expr, int]]:
    """Every node with its nesting depth (AND, OR and NOT each add a level)."""
    stack: list[tuple[Expr, int]] = [(expr, 0)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        if isinstance(node, (And, Or)):
            stack.extend((item, depth + 1) for item in node.items)
        elif isinstance(node, Not):
            stack.append((node.expr, depth + 1))
        elif isinstance(node, Truth):
            stack.append((node.expr, depth))


def _check_tree(expr: Expr, text: str, limits: Limits, extended: bool) -> None:
    # Each parenthesis or NOT opens at most two levels (an OR, then an AND inside it).
    deep = extended and 2 * (text.count("(") + text.upper().count("NOT") + 1) > limits.max_depth
    long_lists = text.count(",") >= limits.max_in_list
    if not (deep or long_lists):
        return
    for node, depth in _connectives(expr):
        # The top AND/OR/NOT is level 1.
        if deep and depth >= limits.max_depth and isinstance(node, (And, Or, Not)):
            raise _limit(text, f"nesting deeper than {limits.max_depth} levels", node.span,
                         "simplify the expression")  # fmt: skip
        if long_lists and isinstance(node, In) and len(node.values) > limits.max_in_list:
            raise _limit(text, f"more than {limits.max_in_list} values in IN",
                         node.values[limits.max_in_list].span, "split the list")  # fmt: skip


# --- entry point ---------------------------------------------------------------


def _attempt(text: str, start: str, limits: Limits) -> tuple[Expr | WhereSyntaxError, int]:
    """The tree or the error, and how far the parser got (the offset it failed at)."""
    try:
        return _engine().parse(text, start, limits), len(text)
    except (WhereSyntaxError, _Unexpected) as exc:
        return _explain(text, exc)


def _explain(text: str, exc: WhereSyntaxError | _Unexpected) -> tuple[WhereSyntaxError, int]:
    """The error the parser stopped with, and the offset it failed at."""
    if isinstance(exc, WhereSyntaxError):
        return exc, exc.position or 0
    token = _token(text, exc.term, exc.value)
    if token.type == _BAD:
        return _syntax_error(text, token.start_pos, None, set()), token.start_pos
    expected = _engine().accepts(exc.stack)
    return _syntax_error(text, token.start_pos, token, expected), token.start_pos


def _parse_text(text: str, extended: bool, limits: Limits) -> Expr:
    if not isinstance(text, str):
        raise not_text(text)
    if not extended and limits is STRICT_LIMITS:
        too_long = strict_rules.too_long(text)
        if too_long is not None:
            raise _extended_hint(too_long, text)
    if len(text) > limits.max_length:
        raise WhereSyntaxError(
            "limit-exceeded",
            f"expression longer than {limits.max_length} characters",
            text=text[: limits.max_length + 1],
            position=limits.max_length,
            hint="shorten the expression" + ("" if extended else " (the remote API's limit)"),
        )
    if not text.isascii():
        bad = _SURROGATE.search(text)
        if bad:
            raise WhereSyntaxError(
                "invalid-character",
                f"the text holds a lone surrogate {text[bad.start()]!r}, which is not Unicode text",
                text=text,
                position=bad.start(),
                hint="decode the input as UTF-8 text before parsing it",
            )
    if not text.strip(" \t\r\n\f"):
        # No terms: ConfigHub takes it as a filter that keeps everything (§1).
        if not extended:
            _strict_check(text, lambda: strict_rules.blanks(text, []))
        return And((), Span(0, len(text)))
    try:
        tree: Expr = _engine().parse(text, "extended" if extended else "strict", limits)
    except (WhereSyntaxError, _Unexpected) as exc:
        raise _failure(text, extended, exc) from None
    if not extended:
        try:
            strict_rules.check_tree(tree, text)
        except WhereSyntaxError as exc:
            raise _extended_hint(exc, text) from None
    _check_tree(tree, text, limits, extended)
    return tree


def _failure(text: str, extended: bool, exc: WhereSyntaxError | _Unexpected) -> WhereSyntaxError:
    """The error to raise for a text the parser stopped on with ``exc``."""
    result, failed_at = _explain(text, exc)
    if not extended and result.code in strict_rules.CODES:
        return _extended_hint(result, text)
    if not extended and result.code not in _NOT_EXTENDED_CODES:
        # The extended syntax gets further: the strict failure is an extended-only construct.
        wider, wider_failed_at = _attempt(text, "extended", Limits())
        if isinstance(wider, WhereSyntaxError) and wider.code == "reserved-word":
            return wider  # NOT = 1: a keyword as a name, at both levels
        if not isinstance(wider, WhereSyntaxError) or wider_failed_at > failed_at:
            return _extended_only(text, result.position or 0)
    return result


def _strict_check(text: str, check: Callable[[], None]) -> WhereSyntaxError | None:
    """Run a strict rule; its error, with a hint when the extended level takes the text."""
    try:
        check()
    except WhereSyntaxError as exc:
        raise _extended_hint(exc, text) from None
    return None


def _extended_hint(exc: WhereSyntaxError, text: str) -> WhereSyntaxError:
    """``exc``, its hint saying so when the extended level accepts ``text``."""
    wider, _ = _attempt(text, "extended", _EXTENDED_LIMITS)
    if isinstance(wider, WhereSyntaxError) and exc.code == "strict-keyword":
        return wider  # wrong at both levels: the real mistake is not the letter case
    if not isinstance(wider, WhereSyntaxError) or not text.strip(" \t\r\n\f"):
        note = "extended=True accepts it"
        exc.hint = f"{exc.hint}; {note}" if exc.hint else note
    return exc


# Failures that the extended syntax cannot cure, or that have a better message.
_NOT_EXTENDED_CODES = {
    "unterminated-string", "unknown-operator", "unexpected-character", "limit-exceeded",
    "strict-string", "strict-negative",
}  # fmt: skip


_EXTENDED_LIMITS = Limits()


# Two caches: with the default limits the key is (text, extended), which hashes in C;
# a Limits object in the key would hash through Python on every hit.
@lru_cache(maxsize=4096)
def _parse_default(text: str, extended: bool) -> Expr:
    return _parse_text(text, extended, _EXTENDED_LIMITS if extended else STRICT_LIMITS)


@lru_cache(maxsize=1024)
def _parse_cached(text: str, extended: bool, limits: Limits) -> Expr:
    return _parse_text(text, extended, limits)


def _truth_hint(err: WhereSyntaxError, schema: Schema | str) -> WhereSyntaxError:
    """``X IS TRUE`` with a schema: the hint says what suits X's type. (A copy: the
    parser's errors are cached with the text.)"""
    from .errors import WhereError
    from .nodes import Attr, IsNull
    from .validate import validate

    text, pos = err.text or "", err.position or 0
    operand = re.sub(r"\s*\bIS(\s+NOT)?$", "", text[:pos].rstrip(), flags=re.I)
    try:
        typed = validate(_parse_text(f"{operand} IS NULL", True, _EXTENDED_LIMITS), schema)
    except WhereError:
        return err  # not an attribute: the parser's words stand
    if not isinstance(typed, IsNull) or not isinstance(typed.operand, Attr) or typed.operand.type is None:
        return err
    kind = typed.operand.type.kind.value
    if kind == "bool":
        hint = f"write {operand} = {text[pos : pos + err.length].lower()}"
    else:
        article = "a UUID" if kind == "uuid" else ("an " if kind[0] in "aeiou" else "a ") + kind
        hint = f"{operand} is {article}: compare it first, as in {operand} = ... IS NOT TRUE"
    return WhereSyntaxError(err.code, err.message, text=err.text, position=err.position,
                            length=err.length, expected=err.expected, hint=hint)  # fmt: skip


def parse(
    text: str,
    *,
    extended: bool = False,
    schema: Schema | str | None = None,
    limits: Limits | None = None,
    cache: bool = True,
) -> Expr:
    """Parse a where expression into a syntax tree.

    ``extended`` selects the extended syntax (OR, NOT, parentheses, ...). With a
    ``schema`` the tree is validated and typed (paths resolved, literals converted).
    Repeated texts are served from an LRU cache unless ``cache=False``.

    >>> from wherelang import parse
    >>> parse("Slug = 'a' AND LEN(ApprovedBy) > 0")
    And(items=(Compare(left=Path(segments=('Slug',)), op=Op.EQ, right=Literal(value='a', text=None)), Compare(left=Len(path=Path(segments=('ApprovedBy',))), op=Op.GT, right=Literal(value=0, text=None))))
    """
    try:
        if cache and type(text) is str and len(text) <= 8192:
            if limits is None:
                expr = _parse_default(text, extended)
            else:
                expr = _parse_cached(text, extended, limits)
        else:
            if limits is None:
                limits = _EXTENDED_LIMITS if extended else STRICT_LIMITS
            expr = _parse_text(text, extended, limits)
    except WhereSyntaxError as err:
        if schema is not None and err.code == "truth-of-operand":
            raise _truth_hint(err, schema) from None
        raise
    if schema is not None:
        return validate(expr, schema, text=text, extended=extended)
    return expr
