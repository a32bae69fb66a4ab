"""The strict level's rules that the grammar cannot state: ConfigHub's parser, rule by rule.

ConfigHub's server parses ``where`` with the Go package ``core/entityfilter`` of
confighub/sdk; ``REFERENCE.md`` (shared with this project) restates it section by
section. The grammar (``grammar/where.lark``) describes the syntax both levels share;
this module holds what makes the strict level exactly that parser:

- lexical rules (REFERENCE.md §1–§3, §6): keyword spelling, blanks, names, strings;
- rules on the tree that need no schema (§1 terms, §6 operands, §7 IN lists, §8
  patterns, with the portable regex subset);
- the key and path forms that a schema selects (§4 map keys, §9 JSON paths), used by
  :mod:`wherelang.validate`.

Every check raises :class:`~wherelang.errors.WhereSyntaxError` with a stable code, the
position of the offending text and, as message, what ConfigHub's own message says.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from .errors import WhereSyntaxError
from .nodes import And, Compare, Expr, Family, In, IsNull, JsonStep, Len, Literal, Path, Truth

__all__ = [
    "MAX_LENGTH",
    "MAX_TERMS",
    "MAX_PATTERN",
    "MAX_BLANKS",
    "portable_regex_error",
    "parse_json_path",
    "KEY_FORMS",
    "key_error",
]

#: Bytes in a whole expression (``MaxFilterLength``).
MAX_LENGTH = 8192
#: Terms in one expression (``MaxTerms``).
MAX_TERMS = 100
#: Bytes in a LIKE or regex pattern.
MAX_PATTERN = 1024
#: Blanks (space, tab) one skip point takes.
MAX_BLANKS = 256
#: Bytes in a JSON path.
MAX_JSON_PATH = 512

#: The codes of strict rejections that the extended level may take.
CODES = frozenset({
    "strict-keyword", "strict-blank", "strict-name", "strict-quoted-key", "strict-string",
    "control-character", "strict-negative", "strict-len", "strict-operand", "literal-left",
    "mixed-in-list", "unsupported-regex", "limit-exceeded", "no-and",
})  # fmt: skip

# How the strict level spells its keywords (everything is case-sensitive there).
STRICT_SPELLINGS = frozenset({
    "AND", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "LEN", "true", "TRUE", "false", "FALSE",
})  # fmt: skip
# Keywords the strict syntax has at all (OR is extended only: the grammar says so).
STRICT_KEYWORDS = frozenset({"AND", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE", "LIKE", "ILIKE", "LEN"})

# The name of an attribute: letters only, 1-41 (§2); a prefix may hold digits.
_NAME = re.compile(r"(?:[A-Za-z]{1,41}(?![A-Za-z0-9_])|[A-Za-z][A-Za-z0-9]*(?=\.))[^']*\Z")
# §3: what LEN( must be followed by.
_LEN = re.compile(r"LEN\([A-Za-z][A-Za-z.]{0,60}\)")
# §1: a text that needs the slow look at its blanks.
_ODD_BLANKS = re.compile(r"[\r\n\f]|[ \t]{%d}" % (MAX_BLANKS + 1))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _error(code: str, message: str, text: str, position: int, length: int = 1,
           hint: str | None = None) -> WhereSyntaxError:  # fmt: skip
    return WhereSyntaxError(code, message, text=text, position=position, length=length, hint=hint)


def _rest(text: str, position: int) -> str:
    """The text from ``position`` on, as ConfigHub's messages quote it (shortened)."""
    rest = text[position:]
    rest = rest if len(rest) <= 40 else rest[:37] + "..."
    return rest.translate(_ESCAPES)


_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord("\f"): "\\f"}


# --- lexical rules, called by the lexer --------------------------------------------


def keyword(text: str, value: str, start: int) -> None:
    """A keyword spelled otherwise than the strict level spells it (§1, §5, §6)."""
    upper = value.upper()
    if upper in ("TRUE", "FALSE"):
        message = (f"`{value}` is not a boolean of the strict syntax: booleans are "
                   "true, TRUE, false or FALSE")  # fmt: skip
        hint = f"write {upper.lower()}"
    elif upper == "AND":
        message = f"expected AND before `{_rest(text, start)}`"
        hint = "write AND in upper case"
    else:
        message = f"invalid operator at `{_rest(text, start)}`: keywords are upper case"
        hint = f"write {upper}"
    raise _error("strict-keyword", message, text, start, len(value),
                 hint + "; `wherelang fmt` rewrites the query")  # fmt: skip


def name(text: str, value: str, start: int) -> None:
    """A path whose attribute name is not letters only, or with a quoted key (§2, §4)."""
    if "'" in value:
        at = value.index("'")
        raise _error(
            "strict-quoted-key",
            f"invalid attribute name at `{_rest(text, start)}`: keys are not quoted in "
            "the strict syntax",
            text, start + at - 1, len(value) - at + 1,
            "write the key without quotes (label keys take letters, digits, - _ . / inside)",
        )  # fmt: skip
    first = re.match(r"[A-Za-z0-9_]*", value)
    assert first is not None
    length = first.end()
    raise _error(
        "strict-name",
        f"invalid attribute name at `{_rest(text, start)}`: attribute names are letters "
        "only, 1 to 41 of them",
        text, start, length,
        "ConfigHub's attribute names have no digits or _",
    )  # fmt: skip


def string(text: str, value: str, start: int) -> None:
    """A string holding ' " \\ or a control character (§6)."""
    body = value[1:-1]
    bad = _CONTROL.search(body)
    if bad is not None:
        raise _error(
            "control-character",
            f"string literal contains control character U+{ord(bad.group()):04X}",
            text, start, len(value),
            "strings hold no tab, newline or other control character",
        )  # fmt: skip
    raise _error(
        "strict-string",
        f"no operand found at `{_rest(text, start)}`: strings in the strict syntax may not "
        "contain ' \" or \\",
        text, start, len(value),
        "the server has no way to express them; use LIKE with _ for that character",
    )  # fmt: skip


def and_blanks(text: str, start: int, stop: int, gap_before: bool) -> None:
    """AND with blanks on both sides (§1)."""
    if not gap_before:
        raise _error("strict-blank", f"expected AND before `{_rest(text, start)}`", text, start, 3,
                     "put a space before AND")  # fmt: skip
    if stop < len(text) and text[stop] not in " \t":
        raise _error("strict-blank", f"expected whitespace after AND at `{_rest(text, stop)}`",
                     text, start, 3, "put a space after AND")  # fmt: skip


def joined(text: str, prev_end: int, start: int, value: str) -> None:
    """The words of IS NULL, IS NOT NULL, NOT IN, NOT LIKE, IS [NOT] TRUE: one space (§5, §9)."""
    if text[prev_end:start] != " ":
        raise _error(
            "strict-blank",
            f"invalid operator at `{_rest(text, prev_end)}`: the words of an operator are "
            "separated by exactly one space",
            text, prev_end, max(1, start - prev_end),
            "write one space between the words",
        )  # fmt: skip
    if value.upper() in ("TRUE", "FALSE") and not value.isupper():
        raise _error("strict-keyword", "IS TRUE and IS FALSE are upper case", text, start,
                     len(value), f"write {value.upper()}")  # fmt: skip


def length(text: str, start: int) -> None:
    """LEN( directly followed by a name of letters and dots, and ) (§3)."""
    if _LEN.match(text, start) is None:
        raise _error(
            "strict-len",
            "unrecognized attribute name `LEN`: LEN( takes an attribute name right after "
            "the parenthesis, and ) right after it",
            text, start, 3,
            "write LEN(Labels) > 0, without spaces inside",
        )  # fmt: skip


def blanks(text: str, tokens: list[Any]) -> None:
    """Blanks are space and tab, at most 256 in a row; inside IN lists any of \\t\\n\\f\\r and
    space, without limit (§1, §7). Called only when the text has odd blanks."""
    in_list = False
    prev_end = 0
    prev_type = ""
    for token in (*tokens, None):
        start = len(text) if token is None else token.start_pos
        gap = text[prev_end:start]
        if gap and not (in_list and not gap.strip(" \t\n\f\r")):
            bad = re.search(r"[^ \t]", gap)
            if bad is not None:
                raise _error("strict-blank",
                             f"expected AND before `{_rest(text, prev_end + bad.start())}`: "
                             f"{bad.group()!r} is not a blank of the strict syntax",
                             text, prev_end + bad.start(), 1,
                             "blanks are spaces and tabs (newlines only inside IN lists)")  # fmt: skip
            if len(gap) > MAX_BLANKS:
                raise _error("strict-blank", f"more than {MAX_BLANKS} blanks in a row", text,
                             prev_end + MAX_BLANKS, len(gap) - MAX_BLANKS,
                             "use fewer blanks")  # fmt: skip
        if token is None:
            break
        kind = token.type
        if kind == "LPAR" and (prev_type == "IN"):
            in_list = True
        elif kind == "RPAR":
            in_list = False
        prev_type, prev_end = kind, token.end_pos


def odd_blanks(text: str) -> bool:
    """Whether the text may break a rule on blanks (cheap: run on every strict parse)."""
    return (
        "\n" in text or "\r" in text or "\f" in text
        or (
            len(text) > MAX_BLANKS
            and text.count(" ") + text.count("\t") > MAX_BLANKS
            and _ODD_BLANKS.search(text) is not None
        )
    )


# --- the whole text and its tree -------------------------------------------------------


def too_long(text: str) -> WhereSyntaxError | None:
    if len(text) > MAX_LENGTH or (not text.isascii() and len(text.encode("utf-8", "surrogatepass")) > MAX_LENGTH):
        return _error("limit-exceeded", f"query string exceeds maximum length of {MAX_LENGTH}",
                      text[: MAX_LENGTH + 1], min(len(text), MAX_LENGTH),
                      hint="shorten the expression (the server's limit, in bytes)")  # fmt: skip
    return None


def _terms(expr: Expr) -> tuple[Expr, ...]:
    return expr.items if isinstance(expr, And) else (expr,)


def check_tree(expr: Expr, text: str) -> None:
    """The strict rules on a parsed tree that need no schema.

    Written with ``type(...) is`` tests: it runs on every strict parse, and the common
    term (an attribute, an operator, a literal) passes after three of them."""
    terms = expr.items if type(expr) is And else (expr,)
    if len(terms) > MAX_TERMS:
        extra = terms[MAX_TERMS]
        raise _error("limit-exceeded", f"expression has more than {MAX_TERMS} terms", text,
                     extra.span.offset, extra.span.length, "split the query")  # fmt: skip
    for term in terms:
        node: Any = term.expr if type(term) is Truth else term
        kind = type(node)
        if kind is Compare:
            left, right = node.left, node.right
            if type(left) is Literal:
                raise _error(
                    "literal-left",
                    f"invalid attribute name at `{_rest(text, left.span.offset)}`",
                    text, left.span.offset, left.span.length,
                    "the attribute comes first: write the condition the other way round",
                )  # fmt: skip
            right_kind = type(right)
            if right_kind is Literal:
                family = node.op.family
                if (family is _REGEX or family is _LIKE) and type(right.value) is str:
                    _pattern(text, right, family is _REGEX)
            elif right_kind is Len:
                raise _error("strict-operand",
                             "unrecognized attribute name `LEN`: LEN is not an operand",
                             text, right.span.offset, right.span.length,
                             "compare LEN(...) with a number: LEN(Labels) > 0")  # fmt: skip
            elif right_kind is Path and "*" in right.segments:
                segments = right.segments
                star = segments.index("*")
                raise _error(
                    "strict-operand",
                    f"`{'.'.join(segments[:star])}.*.{'.'.join(segments[star + 1:])}` "
                    "is a list and cannot be the right-hand operand; compare against a literal",
                    text, right.span.offset, right.span.length, None,
                )  # fmt: skip
        elif kind is In:
            operand = node.operand
            if type(operand) is Literal:
                raise _error("literal-left",
                             f"invalid attribute name at `{_rest(text, operand.span.offset)}`",
                             text, operand.span.offset, operand.span.length,
                             "IN follows an attribute: Slug IN ('a', 'b')")  # fmt: skip
            values = node.values
            first = type(values[0].value)
            if any(type(v.value) is not first for v in values):
                raise _error(
                    "mixed-in-list",
                    f"invalid IN clause: invalid IN clause at `{_rest(text, values[0].span.offset - 1)}`",
                    text, values[0].span.offset, values[-1].span.end - values[0].span.offset,
                    "an IN list holds only strings, only integers or only booleans",
                )  # fmt: skip
        elif kind is IsNull and type(node.operand) is Literal:
            operand = node.operand
            raise _error("literal-left",
                         f"invalid attribute name at `{_rest(text, operand.span.offset)}`",
                         text, operand.span.offset, operand.span.length,
                         "IS NULL tests an attribute")  # fmt: skip


_REGEX = Family.REGEX
_LIKE = Family.LIKE


def _pattern(text: str, lit: Literal, regex: bool) -> None:
    value = lit.value
    assert isinstance(value, str)
    size = len(value.encode("utf-8", "surrogatepass"))
    span = lit.span
    if size > MAX_PATTERN:
        what = "regular expression" if regex else "LIKE pattern"
        raise _error("limit-exceeded", f"{what} exceeds maximum length of {MAX_PATTERN}", text,
                     span.offset, span.length, "shorten the pattern")  # fmt: skip
    if regex:
        problem = portable_regex_error(value)
        if problem is not None:
            raise _error("unsupported-regex", problem, text, span.offset, span.length,
                         "the server takes a portable subset of RE2: no backslash, no (?, "
                         "no [:class:], bounds up to 255")  # fmt: skip


# --- the portable regex subset (§8) -----------------------------------------------------

MAX_NESTING = 32
MAX_BOUND = 255


def portable_regex_error(pattern: str) -> str | None:
    """ConfigHub's message when ``pattern`` is outside the portable regex subset, or None.

    >>> portable_regex_error("^app-[0-9]+$") is None
    True
    >>> portable_regex_error("a\\\\d")
    'unsupported regular expression `a\\\\d`: backslashes are not supported'
    >>> portable_regex_error("(?i)x")
    'unsupported regular expression `(?i)x`: `(?` constructs are not supported at offset 0'
    """
    if len(pattern.encode("utf-8", "surrogatepass")) > MAX_PATTERN:
        return f"regular expression exceeds maximum length of {MAX_PATTERN}"
    problem = _walk(pattern)
    if problem is None:
        return None
    if problem.startswith("\0"):  # built at the top level
        return f"unsupported regular expression `{pattern}`: {problem[1:]}"
    return f"unsupported regular expression `{pattern}`: {problem}"


def _walk(p: str) -> str | None:
    depth = 0
    # What the last item was: "" nothing repeatable, "atom", "anchor", "quant".
    last = ""
    i = 0
    n = len(p)
    while i < n:
        c = p[i]
        if c == "\\":
            return "backslashes are not supported"
        if c == "(":
            if i + 1 < n and p[i + 1] == "?":
                return f"`(?` constructs are not supported at offset {i}"
            depth += 1
            if depth > MAX_NESTING:
                return f"groups nest deeper than {MAX_NESTING}"
            last = ""
            i += 1
            continue
        if c == ")":
            if depth == 0:
                return f"\0unmatched `)` at offset {i}"
            depth -= 1
            last = "atom"
            i += 1
            continue
        if c == "|":
            last = ""
            i += 1
            continue
        if c in "*+?":
            if last == "anchor":
                return f"an anchor cannot be repeated, at offset {i}"
            if last == "quant":
                return f"`{c}` at offset {i} follows another quantifier"
            if last == "":
                return f"`{c}` at offset {i} has nothing to repeat"
            last = "quant"
            i += 1
            continue
        if c == "{":
            m = re.match(r"\{([0-9]{1,4})(,([0-9]{1,4})?)?\}", p[i:])
            if m is None:
                return f"`{{` at offset {i} is not part of a bound; write `[{{]` for a literal brace"
            low = int(m.group(1))
            high = int(m.group(3)) if m.group(3) is not None else (MAX_BOUND if m.group(2) else low)
            if low > MAX_BOUND or high > MAX_BOUND or high < low:
                return f"`{{` at offset {i} is not part of a bound; write `[{{]` for a literal brace"
            if last == "anchor":
                return f"an anchor cannot be repeated, at offset {i}"
            if last == "quant":
                return f"`{{` at offset {i} follows another quantifier"
            if last == "":
                return f"`{{` at offset {i} has nothing to repeat"
            last = "quant"
            i += m.end()
            continue
        if c in "}]":
            return (f"`{c}` at offset {i} is not part of a bound or bracket expression; "
                    f"write `[{c}]` for the character")  # fmt: skip
        if c in "^$":
            last = "anchor"
            i += 1
            continue
        if c == "[":
            end = _bracket(p, i)
            if isinstance(end, str):
                return end
            last = "atom"
            i = end
            continue
        last = "atom"
        i += 1
    if depth:
        return "missing `)`"
    return None


def _bracket(p: str, start: int) -> int | str:
    """The offset after the bracket expression at ``start``, or the error."""
    i = start + 1
    n = len(p)
    if i < n and p[i] == "^":
        i += 1
    first = i
    while True:
        if i >= n:
            return f"missing `]` for the bracket expression at offset {start}"
        c = p[i]
        if c == "\\":
            return "backslashes are not supported"
        if c == "]" and i > first:
            return i + 1
        if c == "[" and i + 1 < n and p[i + 1] in ":.=":
            return f"`[{p[i + 1]}` classes are not supported, at offset {i}"
        if c == "-" and i > first and i + 1 < n and p[i + 1] != "]":
            return f"`-` at offset {i} must end a range, or come first or last"
        if i + 2 < n and p[i + 1] == "-" and p[i + 2] != "]":
            end = p[i + 2]
            if end in "\\[":
                return f"unsupported range end `{end}` at offset {i + 2}"
            if end < c:
                return f"range `{c}-{end}` is out of order"
            i += 3
            continue
        i += 1


# --- map keys (§4) and JSON paths (§9), selected by the schema ---------------------------

_SLUG = r"[A-Za-z0-9](?:[-_.A-Za-z0-9]*[A-Za-z0-9])?"
_FUNC = r"[A-Za-z0-9][-_A-Za-z0-9]{0,127}"
_GATE_FN = _FUNC + r"(?::[1-9][0-9]{0,8})?"
_UUID_KEY = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

#: Key forms by name: the regular expression a whole key must match.
KEY_FORMS: dict[str, re.Pattern[str]] = {
    "label": re.compile(r"[A-Za-z0-9](?:[-_./A-Za-z0-9]*[A-Za-z0-9])?"),
    "name": re.compile(_FUNC),
    "gate": re.compile(f"{_SLUG}/{_SLUG}/{_GATE_FN}|{_SLUG}/{_GATE_FN}"),
    "values": re.compile(f"{_SLUG}/{_SLUG}/{_FUNC}|{_SLUG}/{_FUNC}"),
    "uuid": re.compile(_UUID_KEY),
}

#: The words of each form in messages.
KEY_WORDS = {
    "label": "a label key (letters, digits and - _ . / inside, a letter or digit at both ends)",
    "name": "a name (letters, digits, - and _; no dot or slash)",
    "gate": "a gate key space/trigger/function, optionally :N (or the older trigger/function)",
    "values": "a Values key space/trigger/attribute (or the older trigger/attribute)",
    "uuid": "a UUID in its 8-4-4-4-12 form",
}


def key_error(form: str, key: str) -> bool:
    """Whether ``key`` is not a key of ``form``."""
    return KEY_FORMS[form].fullmatch(key) is None


_JSON_KEY = re.compile(r"[A-Za-z_$](?:[A-Za-z0-9/_$-]|~1){0,127}")
_JSON_INDEX = re.compile(r"[0-9]{1,10}")
_JSON_MATCH = re.compile(r"\?([A-Za-z_$](?:[A-Za-z0-9/_$-]|~1){0,127})=([^.#'\"\\ \t]{1,255})")


def parse_json_path(segments: Iterable[str], attribute: str) -> tuple[tuple[JsonStep, ...], str | None]:
    """The steps of a JSON path (§9) and None, or () and ConfigHub's message.

    >>> steps, problem = parse_json_path(["spec", "containers", "*", "?name=web", "image"], "Data")
    >>> [s.kind for s in steps], problem
    (['key', 'key', 'any', 'match', 'key'], None)
    >>> parse_json_path(["a~1b", "|0"], "Data")[0]
    (JsonStep(kind='key', key='a.b', index=None, value=None), JsonStep(kind='split', key=None, index=None, value=None), JsonStep(kind='index', key=None, index=0, value=None))
    """
    segments = list(segments)
    text = ".".join(segments)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_JSON_PATH:
        return (), f"{attribute} path exceeds maximum length of {MAX_JSON_PATH}"
    steps: list[JsonStep] = []
    split = False
    for seg in segments:
        if seg.startswith("#"):
            return (), (f"embedded accessors (`#accessor`) are not supported in {attribute} paths; "
                        "they read inside a scalar value, which has no SQL equivalent -- use "
                        "--where-data on units instead")  # fmt: skip
        if seg.startswith("@"):
            return (), (f"parameter bindings (`@key:name`) are not supported in {attribute} paths; "
                        "they bind function arguments rather than selecting a value")  # fmt: skip
        if _JSON_INDEX.fullmatch(seg):
            steps.append(JsonStep("index", index=int(seg)))
            continue
        if _JSON_KEY.fullmatch(seg):
            steps.append(JsonStep("key", key=seg.replace("~1", ".")))
            continue
        if seg.startswith("|"):
            if split:
                return (), (f"patterns are not supported here in {attribute} paths; the right side "
                            "of a split path (`.|`) admits only plain keys and indexes")  # fmt: skip
            split = True
            steps.append(JsonStep("split"))
            seg = seg[1:]
            if _JSON_INDEX.fullmatch(seg):
                steps.append(JsonStep("index", index=int(seg)))
                continue
            if _JSON_KEY.fullmatch(seg):
                steps.append(JsonStep("key", key=seg.replace("~1", ".")))
                continue
            return (), f"invalid {attribute} path at `|{seg}`"
        if seg == "*" or seg.startswith("?"):
            m = _JSON_MATCH.fullmatch(seg)
            if split or (seg != "*" and m is None):
                return (), (f"patterns are not supported here in {attribute} paths; the right side "
                            "of a split path (`.|`) admits only plain keys and indexes")  # fmt: skip
            if m is None:
                steps.append(JsonStep("any"))
            else:
                steps.append(JsonStep("match", key=m.group(1).replace("~1", "."), value=m.group(2)))
            continue
        return (), f"invalid {attribute} path at `{seg}`"
    return tuple(steps), None
