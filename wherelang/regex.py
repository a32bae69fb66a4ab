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

__all__ = ["pg_case_set", "pg_iregex", "rewrite"]

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
    """Simple upper case, as towupper: 'ß' stays 'ß'."""
    up = c.upper()
    return up if len(up) == 1 else c


def pg_case_set(c: str) -> tuple[str, ...]:
    """The characters PostgreSQL's ``~*`` lets a pattern character match: its lower and
    upper case (not itself, when it is neither: titlecase 'ǅ').

    >>> pg_case_set("a"), pg_case_set("ǅ"), pg_case_set("İ"), pg_case_set("ß")
    (('a', 'A'), ('ǆ', 'Ǆ'), ('i', 'İ'), ('ß',))
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


class _Unsupported(Exception):
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


@lru_cache(maxsize=1024)
def rewrite(pattern: str, engine: str, ci: bool, fold: bool) -> tuple[str, bool] | str:
    """(rewritten pattern, whether matching ignores case) or the unsupported construct.

    ``ci``: the operator ignores case (~*); the result says whether the match ignores
    case (also when the pattern starts with (?i)). ``fold``: then write the case sets out,
    for an engine that must match the result case-sensitively.
    """
    if re.search(r"\[[:=.]", pattern):
        return "POSIX bracket classes ([[:alpha:]])"
    if re.search(r"\{,", pattern):
        return "a repetition without lower bound ({,n})"
    try:
        tree = _sre.parse(pattern)
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


