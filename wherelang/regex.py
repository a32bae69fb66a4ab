"""PostgreSQL's regular expressions, written for engines that read patterns differently.

Patterns are RE2 (the validator compiled them). PostgreSQL's ARE and MariaDB's PCRE read
some RE2 syntax differently, and PostgreSQL's ``~*`` folds case its own way, so both
destinations need the same rewriting: SQL (:mod:`wherelang.sql`) for every engine but
RE2-based ones, and in-memory evaluation (:mod:`wherelang.evaluate`) for ``~*``.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from typing import Any

__all__ = ["pg_case_set", "pg_iregex", "rewrite", "ilike_regex"]

# \d is locale-aware in ARE, \b is backspace in ARE, $ also matches before a final newline
# in PCRE: for those engines the pattern is parsed and rewritten from a portable subset,
# and anything outside it is reported (SQL raises WhereSqlError). RE2 engines (DuckDB,
# SQLite's function, BigQuery, ...) take it as written.
#
# Case-insensitive matching (~*, or a leading (?i)) is PostgreSQL's: a pattern character c
# matches exactly lower(c) and upper(c) (so 'ǅ' ~* 'ǅ' is false, and 'K' ~* 'k' is not
# Kelvin-aware), which is not RE2's Unicode case folding. Engines other than PostgreSQL
# get the pattern with those case sets written out, matched case-sensitively.

_sre: Any = importlib.import_module("re._parser")
_sc: Any = importlib.import_module("re._constants")

_CATEGORIES: dict[Any, str] = {
    _sc.CATEGORY_DIGIT: "0-9",
    _sc.CATEGORY_WORD: "0-9A-Za-z_",
    _sc.CATEGORY_SPACE: "\\t\\n\\f\\r ",
}
_NOT_CATEGORIES: dict[Any, Any] = {
    _sc.CATEGORY_NOT_DIGIT: _sc.CATEGORY_DIGIT,
    _sc.CATEGORY_NOT_WORD: _sc.CATEGORY_WORD,
    _sc.CATEGORY_NOT_SPACE: _sc.CATEGORY_SPACE,
}
_MAX_REPEAT = 255  # PostgreSQL's RE_DUP_MAX
_MAX_FOLDED_RANGE = 2048  # characters of a range whose case variants are listed

# Engines whose $ also matches before a final newline (PCRE, Java, Joni): they get \z.
_DOLLAR_BEFORE_NEWLINE = frozenset({"mysql", "spark", "databricks", "spark2", "hive", "trino", "presto", "athena"})

_SPECIAL = frozenset("\\.^$|?*+()[]{}")
_CLASS_SPECIAL = frozenset("\\]^-[")


def _lower1(c: str) -> str:
    """Simple (one-character) lower case, as towlower: 'İ' -> 'i'."""
    low = c.lower()
    return low if len(low) == 1 else low[0]


def _upper1(c: str) -> str:
    """Simple upper case, as towupper: 'ß' stays 'ß', 'ᾀ' becomes 'ᾈ'.

    Python has only the full mapping. Where it expands a character ('ᾀ' -> 'ἈΙ'), the
    simple mapping is the titlecase form when that is one character (the 27 Greek
    letters with ypogegrammeni), else none: tests/test_eval_postgres.py checks every
    code point against PostgreSQL's upper().
    """
    up = c.upper()
    if len(up) == 1:
        return up
    title = c.title()
    return title if len(title) == 1 else c


def pg_case_set(c: str) -> tuple[str, ...]:
    """The characters PostgreSQL's ``~*`` lets a pattern character match: its lower and
    upper case (not itself, when it is neither: titlecase 'ǅ').

    >>> pg_case_set("a"), pg_case_set("ǅ"), pg_case_set("İ"), pg_case_set("ß"), pg_case_set("ᾀ")
    (('a', 'A'), ('ǆ', 'Ǆ'), ('i', 'İ'), ('ß',), ('ᾀ', 'ᾈ'))
    """
    low, up = _lower1(c), _upper1(c)
    return (low,) if low == up else (low, up)


def _char(code: int, in_class: bool = False) -> str:
    ch = chr(code)
    if code == 0:
        raise _Unsupported("a NUL character")
    if ch == "\t":
        return "\\t"
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch in (_CLASS_SPECIAL if in_class else _SPECIAL):
        return "\\" + ch  # an escaped punctuation mark is itself in ARE, PCRE and RE2
    return ch


class _Unsupported(ValueError):
    pass


class _Rewriter:
    """Writes a parsed RE2 pattern back in the portable subset, for one engine."""

    def __init__(self, engine: str, fold: bool) -> None:
        self.engine = engine
        self.fold = fold  # write case sets out (case-insensitive, engine is not PostgreSQL)

    def emit(self, items: Any) -> str:
        return "".join(self.item(op, av) for op, av in items)

    def atom(self, items: Any) -> str:
        text = self.emit(items)
        if len(items) == 1 and items[0][0] in (_sc.LITERAL, _sc.ANY, _sc.IN, _sc.NOT_LITERAL):
            return text
        return f"(?:{text})"

    def cases(self, code: int) -> list[int]:
        if not self.fold:
            return [code]
        return [ord(c) for c in pg_case_set(chr(code))]

    def item(self, op: Any, av: Any) -> str:
        if op is _sc.LITERAL:
            codes = self.cases(av)
            if len(codes) == 1:
                return _char(codes[0])
            return "[" + "".join(_char(c, True) for c in codes) + "]"
        if op is _sc.NOT_LITERAL:
            return "[^" + "".join(_char(c, True) for c in self.cases(av)) + "]"
        if op is _sc.ANY:
            return "."
        if op is _sc.IN:
            return self.klass(av)
        if op is _sc.BRANCH:
            return "(?:" + "|".join(self.emit(alt) for alt in av[1]) + ")"
        if op is _sc.SUBPATTERN:
            _group, add, remove, sub = av
            if add or remove:
                raise _Unsupported("scoped flags ((?i:...))")
            return f"(?:{self.emit(sub)})"
        if op in (_sc.MAX_REPEAT, _sc.MIN_REPEAT):  # laziness does not change what matches
            low, high, sub = av
            if high is not _sc.MAXREPEAT and high > _MAX_REPEAT or low > _MAX_REPEAT:
                raise _Unsupported(f"a repetition count above {_MAX_REPEAT}")
            body = self.atom(sub)
            if high is _sc.MAXREPEAT:
                quant = {0: "*", 1: "+"}.get(low, f"{{{low},}}")
            elif (low, high) == (0, 1):
                quant = "?"
            elif low == high:
                quant = f"{{{low}}}"
            else:
                quant = f"{{{low},{high}}}"
            return body + quant
        if op is _sc.AT:
            if av in (_sc.AT_BEGINNING, _sc.AT_BEGINNING_STRING):
                return "^"
            if av is _sc.AT_END:
                return "\\z" if self.engine in _DOLLAR_BEFORE_NEWLINE else "$"
            raise _Unsupported("word boundaries (\\b, \\B)")
        raise _Unsupported("this pattern construct")

    def klass(self, items: Any) -> str:
        out: list[str] = []
        negate = False
        if len(items) == 1 and items[0][0] is _sc.CATEGORY and items[0][1] in _NOT_CATEGORIES:
            return "[^" + _CATEGORIES[_NOT_CATEGORIES[items[0][1]]] + "]"
        if (len(items) == 2 and items[0][0] is _sc.NEGATE and items[1][0] is _sc.CATEGORY
                and items[1][1] in _NOT_CATEGORIES):  # fmt: skip
            return "[" + _CATEGORIES[_NOT_CATEGORIES[items[1][1]]] + "]"  # [^\S] is [\s]
        for op, av in items:
            if op is _sc.NEGATE:
                negate = True
            elif op is _sc.LITERAL:
                out.extend(_char(c, True) for c in self.cases(av))
            elif op is _sc.RANGE:
                low, high = av
                out.append(_char(low, True) + "-" + _char(high, True))
                if self.fold:  # PostgreSQL adds each character's case variants to a range
                    if high - low > _MAX_FOLDED_RANGE:
                        raise _Unsupported(f"a case-insensitive range wider than {_MAX_FOLDED_RANGE}")
                    extra = {v for c in range(low, high + 1) for v in self.cases(c)}
                    out.extend(_char(c, True) for c in sorted(extra) if not low <= c <= high)
            elif op is _sc.CATEGORY and av in _CATEGORIES:
                out.append(_CATEGORIES[av])  # ASCII classes, closed under case already
            else:
                raise _Unsupported("a negated class (\\D, \\S, \\W) inside brackets")
        return "[" + ("^" if negate else "") + "".join(out) + "]"


# RE2's POSIX classes: ASCII only, whatever the locale (PostgreSQL's and MariaDB's are
# locale-aware), written as the ranges Python's parser reads inside brackets.
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z",
    "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\x0b\\f\\r ", "upper": "A-Z",
    "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}  # fmt: skip
_POSIX = re.compile(r"\[:(\^?)([a-z]+):\]")


def _spell_out(pattern: str) -> str:
    """``pattern`` with what Python's parser reads otherwise than RE2 spelled out:
    ``[[:upper:]]`` becomes ``[A-Z]`` (RE2's ASCII sets), ``[[:^alpha:]]`` ``[^A-Za-z]``,
    and a ``{`` that RE2 takes literally (``a{,3}``: RE2 has no ``{,n}``) is escaped.
    Raises _Unsupported for what has no spelling (``[x[:^alpha:]]``, ``[[=a=]]``)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif ch == "{" and pattern.startswith(",", i + 1):
            out.append("\\{")
            i += 1
        elif ch == "[":
            i = _spell_class(pattern, i, out)
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _spell_class(pattern: str, start: int, out: list[str]) -> int:
    """Copy the bracket expression at ``start`` to ``out``; the index after it."""
    i, n = start + 1, len(pattern)
    negate = pattern.startswith("^", i)
    i += negate
    body: list[str] = []
    first = True
    while i < n and (pattern[i] != "]" or first):
        first = False
        m = _POSIX.match(pattern, i)
        if m is not None:
            name = m.group(2)
            if name not in _POSIX_CLASSES:
                raise _Unsupported(f"the POSIX class [:{name}:]")
            if m.group(1):  # [[:^alpha:]]: only as the whole class
                if body or pattern[m.end() : m.end() + 1] != "]":
                    raise _Unsupported("a negated POSIX class ([:^alpha:]) beside other members")
                negate = not negate
            body.append(_POSIX_CLASSES[name])
            i = m.end()
        elif pattern.startswith(("[=", "[."), i):
            raise _Unsupported("POSIX collating elements and equivalence classes ([[=a=]])")
        elif pattern[i] == "\\":
            body.append(pattern[i : i + 2])
            i += 2
        else:
            body.append(pattern[i])
            i += 1
    out.append("[" + ("^" if negate else "") + "".join(body) + "]")
    return i + 1


@lru_cache(maxsize=1024)
def rewrite(pattern: str, engine: str, ci: bool, fold: bool) -> tuple[str, bool] | str:
    """(rewritten pattern, whether matching ignores case) or the unsupported construct.

    ``ci``: the operator ignores case (~*); the result says whether the match ignores
    case (also when the pattern starts with (?i)). ``fold``: then write the case sets out,
    for an engine that must match the result case-sensitively.
    """
    try:
        spelled = _spell_out(pattern)
    except _Unsupported as exc:
        return str(exc.args[0])
    try:
        tree = _sre.parse(spelled)
    except Exception:  # RE2 syntax Python's parser does not know: \pL, \z, \Q, ...
        return "this pattern syntax"
    flags = tree.state.flags & ~(_sc.SRE_FLAG_UNICODE | _sc.SRE_FLAG_DOTALL)
    ci = ci or bool(flags & _sc.SRE_FLAG_IGNORECASE)
    if flags & ~_sc.SRE_FLAG_IGNORECASE:
        return "pattern flags other than (?i) and (?s)"
    try:
        text = _Rewriter(engine, fold and ci).emit(tree)
    except _Unsupported as exc:
        return str(exc.args[0])
    return text, ci


def pg_iregex(pattern: str, ci: bool = True) -> str | None:
    """An RE2 pattern that matches case-sensitively what PostgreSQL's ``~*`` (``ci``) or
    a leading ``(?i)`` matches; None when the pattern does not ignore case or cannot be
    rewritten (then RE2's own case folding is the nearest).

    >>> pg_iregex("ǅa")
    '[ǆǄ][aA]'
    >>> pg_iregex("ab", ci=False) is None
    True
    """
    result = rewrite(pattern, "re2", ci, True)
    if isinstance(result, str) or not result[1]:
        return None
    return result[0]




@lru_cache(maxsize=1)
def _lower_groups() -> dict[str, str]:
    """``lower(c) -> every character that lowers to it`` for the characters whose
    lower case is another one ('K' and 'K' -> 'k', 'İ' -> 'i', 'ẞ' -> 'ß')."""
    from .evaluate import pg_lower

    groups: dict[str, list[str]] = {}
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        c = chr(code)
        low = pg_lower(c)
        if low != c:
            groups.setdefault(low, [low] if pg_lower(low) == low else []).append(c)
    return {low: "".join(members) for low, members in groups.items()}


@lru_cache(maxsize=1024)
def ilike_regex(pattern: str, engine: str) -> str:
    """PostgreSQL's ``ILIKE pattern`` (``lower(x) LIKE lower(pattern)``) as an anchored
    regular expression matched case-sensitively: each pattern character becomes the set
    of characters whose ``lower()`` is its ``lower()``, so the answer no longer depends
    on the engine's own lower() (MariaDB's leaves 737 cased characters as they are).

    >>> print(ilike_regex("ß_%", "mysql"))
    (?s)^[ßẞ]..*\\z
    """
    from .evaluate import _like_parts, pg_lower

    groups = _lower_groups()
    out: list[str] = []
    for i, part in enumerate(_like_parts(pattern)):
        if i:
            out.append(".*")
        for c in part:
            if not isinstance(c, str):
                out.append(".")
                continue
            members = groups.get(pg_lower(c), c)
            if members == "\x00":
                out.append("\\x00")  # PCRE and RE2 read this escape alike
            elif len(members) == 1:
                out.append(_char(ord(members)))
            else:
                out.append("[" + "".join(_char(ord(m), True) for m in members) + "]")
    end = "\\z" if engine == "mysql" else "$"
    return "(?s)^" + "".join(out) + end
