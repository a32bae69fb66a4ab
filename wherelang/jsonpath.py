"""Paths into JSON attributes (``Data.spec.containers.*.image``): one meaning, two destinations.

A path (:class:`wherelang.nodes.JsonStep` steps) means what PostgreSQL's SQL/JSON path
language gives, in lax mode, for its translation (:func:`pg_jsonpath`):

==================  ===============================  =========================================
step                jsonpath                         selects (lax mode)
==================  ===============================  =========================================
key ``spec``        ``."spec"``                      the member of an object; of each object
                                                     of an array (one level)
index ``0``         ``[0]``                          the element of an array; a non-array is
                                                     taken as a one-element array
``*``               ``[*]``                          every element of an array; a non-array
                                                     is itself
``?name=web``       ``? (@."name" == "web")``        the elements whose member ``name`` is
                                                     the string ``web``
==================  ===============================  =========================================

A condition ``path OP literal`` becomes ``jsonb_path_exists(doc, 'lax $PATH ? (@ OP $v)')``:
true when some selected value satisfies it (the filter looks into an array, and the
comparison into an array once more, as lax mode does); the literal's kind decides what
can match (a string literal only strings, a number only numbers, a boolean only booleans;
a JSON ``null`` is unequal to everything). ``IS NULL`` is true when the path selects
nothing. The whole condition is NULL when the attribute itself is NULL.

The split ``a.*.|b.c`` visits what the left side selects and tests the right side in each:
``? (@."b"."c" OP $v)``; a visited value with nothing at the right side matches ``!=``
only, as ConfigHub's configuration-data evaluator has it (``!exists(@."b"."c") || ...``).
``IN`` compares the value's text as ConfigHub's ``core/function/api/query.go`` does: a
string as is, a number as its integer part (``1.5`` is ``'1'``), a boolean as
``true``/``false``; ``null``, objects and arrays are in no list and out of none.

In memory the steps become the source of one Python function per path (no per-row
interpretation of the steps); :mod:`wherelang.sql` writes the same translation for
PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from .nodes import JsonStep, Op

__all__ = [
    "NEGATED",
    "condition",
    "exists",
    "has_key",
    "in_list",
    "json_text",
    "like_to_regex",
    "literal_text",
    "pg_jsonpath",
    "pg_string",
    "selector",
    "split_steps",
]

_ARRAYS = (list, tuple)

#: operators that jsonpath writes as ``!(...)``: selected when the positive test is false
NEGATED = frozenset({Op.NOT_LIKE, Op.NOT_ILIKE, Op.NOT_REGEX, Op.NOT_IREGEX})


def split_steps(steps: Sequence[JsonStep]) -> tuple[tuple[JsonStep, ...], tuple[JsonStep, ...] | None]:
    """The steps before the ``.|`` split, and after it (None without a split)."""
    for i, step in enumerate(steps):
        if step.kind == "split":
            return tuple(steps[:i]), tuple(steps[i + 1 :])
    return tuple(steps), None


# --- in memory: the selector of a path, generated ---------------------------------------


def _member_equals(key: str, value: str) -> Callable[[Any], bool]:
    """``@."key" == "value"`` on one filter item: its member (of each object of an array,
    one level), looked into once more if an array, holds the string ``value``."""

    def test(item: Any) -> bool:
        found: list[Any] = []
        if isinstance(item, dict):
            if key in item:
                found.append(item[key])
        elif type(item) in _ARRAYS:
            found.extend(e[key] for e in item if isinstance(e, dict) and key in e)
        for v in found:
            if type(v) is str:
                if v == value:
                    return True
            elif type(v) in _ARRAYS and value in [x for x in v if type(x) is str]:
                return True
        return False

    return test


_NO = object()  # no such member


def _loops(steps: Sequence[JsonStep], consts: dict[str, object]) -> tuple[list[str], int]:
    """The nested loops selecting ``x{len(steps)}`` from ``x0``, at indentation depth 1;
    returns the lines and the depth of the innermost body."""
    lines: list[str] = []
    depth = 1
    for i, step in enumerate(steps):
        x, y, pad = f"x{i}", f"x{i + 1}", "    " * depth
        if step.kind == "key":
            k = f"k{i}"
            consts[k] = step.key
            a = f"a{i}"
            lines.append(f"{pad}for {a} in ({x} if type({x}) in _ARR else ({x},)):")
            lines.append(f"{pad}    if isinstance({a}, dict) and {k} in {a}:")
            lines.append(f"{pad}        {y} = {a}[{k}]")
            depth += 2
        elif step.kind == "index":
            n = int(step.index or 0)
            wrap = f"({x},)" if n == 0 else "()"
            lines.append(f"{pad}for {y} in ({x}[{n}:{n + 1}] if type({x}) in _ARR else {wrap}):")
            depth += 1
        elif step.kind == "any":
            lines.append(f"{pad}for {y} in ({x} if type({x}) in _ARR else ({x},)):")
            depth += 1
        elif step.kind == "match":
            m, k, v, t = f"m{i}", f"k{i}", f"v{i}", f"t{i}"
            consts[m] = _member_equals(str(step.key), str(step.value))
            consts[k], consts[v] = str(step.key), str(step.value)
            lines.append(f"{pad}for {y} in ({x} if type({x}) in _ARR else ({x},)):")
            # a dict's member is the common case, tested inline; the rest through m
            lines.append(f"{pad}    if ((({t} := {y}.get({k}, _NO)) == {v} or (type({t}) in _ARR and {m}({y})))"
                         f" if type({y}) is dict else {m}({y})):")
            depth += 2
        else:
            raise ValueError(f"a {step.kind!r} step cannot select values")
    return lines, depth


def _function(name: str, lines: list[str], consts: dict[str, object]) -> Any:
    consts.update({"_ARR": frozenset(_ARRAYS), "_NO": _NO, "dict": dict, "str": str, "isinstance": isinstance})
    namespace: dict[str, Any] = {"__builtins__": {}, "type": type, **consts}
    exec("\n".join(lines), namespace)  # generated names only; keys and values are constants
    return namespace[name]


def selector(steps: Sequence[JsonStep]) -> Callable[[Any], list[Any]]:
    """``doc -> [selected values]`` for key, index, ``*`` and ``?k=v`` steps, as the source
    of one function: nested loops, one per step, every key and value a bound constant."""
    consts: dict[str, object] = {}
    loops, depth = _loops(steps, consts)
    body = ["def _select(x0):", "    out = []", *loops, "    " * depth + f"out.append(x{len(steps)})", "    return out"]
    fn: Callable[[Any], list[Any]] = _function("_select", body, consts)
    return fn


def _direct(
    steps: Sequence[JsonStep], op: Op, literal: object, matcher: Callable[[str], bool] | None
) -> Callable[[Any], bool | None]:
    """:func:`condition` for a positive operator without a split, as one generated
    function: the path's loops, the filter's and the comparison's look into arrays, and
    the test, returning at the first value that satisfies it."""
    consts: dict[str, object] = {}
    loops, depth = _loops(steps, consts)
    n, pad = len(steps), "    " * depth
    if matcher is not None:
        consts["M"] = matcher
        test = "type(v) is str and M(v)"
    elif op is Op.EQ and isinstance(literal, str):
        consts["V"] = literal
        test = "type(v) is str and v == V"
    else:
        consts["T"] = value_test(op, literal, None)
        test = "T(v) is True"
    body = [
        "def _condition(x0):",
        "    if x0 is None:",
        "        return None",
        *loops,
        f"{pad}for c in (x{n} if type(x{n}) in _ARR else (x{n},)):",
        f"{pad}    for v in (c if type(c) in _ARR else (c,)):",
        f"{pad}        if {test}:",
        f"{pad}            return True",
        "    return False",
    ]
    fn: Callable[[Any], bool | None] = _function("_condition", body, consts)
    return fn


def _unwrap(value: Any) -> Iterable[Any]:
    return value if type(value) in _ARRAYS else (value,)


def _flatten(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if type(v) in _ARRAYS:
            out.extend(v)
        else:
            out.append(v)
    return out


# --- comparisons of one JSON value with a literal, as jsonpath compares ------------------


def _number(v: Any) -> Decimal | int | None:
    """A JSON number as PostgreSQL's numeric holds it (a float by its shortest text)."""
    t = type(v)
    if t is int:
        return v  # type: ignore[no-any-return]
    if t is float:
        return Decimal(repr(v)) if v == v and v not in (float("inf"), float("-inf")) else None
    if t is Decimal:
        return v if v.is_finite() else None
    return None


_ORDER: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: lambda a, b: a == b,
    Op.NE: lambda a, b: a != b,
    Op.LT: lambda a, b: a < b,
    Op.GT: lambda a, b: a > b,
    Op.LE: lambda a, b: a <= b,
    Op.GE: lambda a, b: a >= b,
}


def value_test(op: Op, literal: object, matcher: Callable[[str], bool] | None) -> Callable[[Any], bool | None]:
    """``value -> True/False/None`` for ``value OP literal`` as jsonpath's comparison and
    ``like_regex`` give: values of another kind are unknown, except that ``null`` is
    unequal (``!=`` true) and not equal or ordered (false) to anything."""
    if matcher is not None:  # LIKE family and regex: strings only; null is unknown too

        def match(v: Any) -> bool | None:
            return matcher(v) if type(v) is str else None

        return match
    compare = _ORDER[op]
    on_null = op is Op.NE
    if isinstance(literal, bool):

        def boolean(v: Any) -> bool | None:
            if v is True or v is False:
                return compare(v, literal)
            return on_null if v is None else None

        return boolean
    if isinstance(literal, (int, Decimal)):

        def number(v: Any) -> bool | None:
            if v is None:
                return on_null
            if v is True or v is False:
                return None
            n = _number(v)
            return None if n is None else compare(n, literal)

        return number
    text = str(literal)

    def string(v: Any) -> bool | None:
        if type(v) is str:
            return compare(v, text)
        return on_null if v is None else None

    return string


def _any_true(test: Callable[[Any], bool | None]) -> Callable[[Iterable[Any]], bool | None]:
    """A predicate over a sequence, lax mode: true if some pair is, else unknown if one is."""

    def over(values: Iterable[Any]) -> bool | None:
        result: bool | None = False
        for v in values:
            r = test(v)
            if r is True:
                return True
            if r is None:
                result = None
        return result

    return over


def _visits(left: Callable[[Any], list[Any]]) -> Callable[[Any], Iterable[Any]]:
    """The items a filter on the left side sees: each selected value, an array's elements."""

    def items(doc: Any) -> Iterable[Any]:
        for s in left(doc):
            if type(s) in _ARRAYS:
                yield from s
            else:
                yield s

    return items


def condition(
    steps: Sequence[JsonStep], op: Op, literal: object, matcher: Callable[[str], bool] | None = None
) -> Callable[[Any], bool | None]:
    """``doc -> True/False/None`` for ``path OP literal``; ``matcher`` is the string test of
    the LIKE and regex operators (positive form; negated operators are in NEGATED)."""
    left_steps, right_steps = split_steps(steps)
    if right_steps is None and op not in NEGATED:
        return _direct(left_steps, op, literal, matcher)
    items = _visits(selector(left_steps))
    seq = _any_true(value_test(op, literal, matcher))
    want: bool = op not in NEGATED
    if right_steps is None:

        def hit(c: Any) -> bool:
            return seq(_unwrap(c)) is want

    else:
        right = selector(right_steps)
        missing_matches = op is Op.NE  # ConfigHub: != holds of a missing property

        def hit(c: Any) -> bool:
            found = right(c)
            if not found:
                return missing_matches
            return seq(_flatten(found)) is want

    def test(doc: Any) -> bool | None:
        if doc is None:
            return None
        for c in items(doc):
            if hit(c):
                return True
        return False

    return test


def exists(steps: Sequence[JsonStep]) -> Callable[[Any], bool]:
    """``doc -> bool``: the path selects something (``IS NOT NULL``); never unknown."""
    left_steps, right_steps = split_steps(steps)
    left = selector(left_steps)
    if right_steps is None:
        return lambda doc: doc is not None and bool(left(doc))
    items = _visits(left)
    right = selector(right_steps)
    return lambda doc: doc is not None and any(right(c) for c in items(doc))


def json_text(v: Any) -> str | None:
    """The text ``query.go`` compares with an IN list: None for null, objects, arrays."""
    if type(v) is str:
        return v
    if v is True:
        return "true"
    if v is False:
        return "false"
    n = _number(v)
    if n is None:
        return None
    return str(int(n))


def literal_text(value: object) -> str:
    """An IN list value as the text it is compared as: a string as written, a boolean
    ``true``/``false``, a number as written (``1.5`` stays ``'1.5'``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _values(steps: Sequence[JsonStep]) -> Callable[[Any], list[Any]]:
    """What IN and the comparisons look at: ``$LEFT[*]RIGHT[*]`` in lax mode."""
    left_steps, right_steps = split_steps(steps)
    items = _visits(selector(left_steps))
    if right_steps is None:
        return lambda doc: _flatten(items(doc))
    right = selector(right_steps)
    return lambda doc: _flatten(v for c in items(doc) for v in right(c))


def in_list(steps: Sequence[JsonStep], texts: Iterable[str], negated: bool) -> Callable[[Any], bool | None]:
    """``doc -> True/False/None`` for ``path [NOT] IN (...)``: some selected scalar's text
    is (is not) one of ``texts``."""
    values = _values(steps)
    wanted = frozenset(texts)

    def test(doc: Any) -> bool | None:
        if doc is None:
            return None
        for v in values(doc):
            t = json_text(v)
            if t is not None and (t in wanted) is not negated:
                return True
        return False

    return test


def jsonb_has(v: Any, key: str) -> bool:
    """PostgreSQL's ``jsonb ? key``: an object's key, an array's string element, the string."""
    if isinstance(v, dict):
        return key in v
    if type(v) in _ARRAYS:
        return any(type(x) is str and x == key for x in v)
    return type(v) is str and v == key


def has_key(steps: Sequence[JsonStep], key: str) -> Callable[[Any], bool | None]:
    """``doc -> True/False/None`` for ``path ? 'key'``: some selected value (``$PATH``, or
    ``$LEFT[*]RIGHT`` with a split) has the key, as jsonb's ``?`` says."""
    left_steps, right_steps = split_steps(steps)
    left = selector(left_steps)
    if right_steps is None:
        select = left
    else:
        items, right = _visits(left), selector(right_steps)

        def select(doc: Any) -> list[Any]:
            return [v for c in items(doc) for v in right(c)]

    def test(doc: Any) -> bool | None:
        if doc is None:
            return None
        return any(jsonb_has(v, key) for v in select(doc))

    return test


# --- PostgreSQL: the jsonpath text --------------------------------------------------------


def pg_string(text: str) -> str:
    """A jsonpath string literal: double quotes, JSON escapes."""
    return json.dumps(text, ensure_ascii=False)


def _pg_steps(steps: Sequence[JsonStep]) -> str:
    out = []
    for step in steps:
        if step.kind == "key":
            out.append("." + pg_string(str(step.key)))
        elif step.kind == "index":
            out.append(f"[{int(step.index or 0)}]")
        elif step.kind == "any":
            out.append("[*]")
        elif step.kind == "match":
            out.append(f" ? (@.{pg_string(str(step.key))} == {pg_string(str(step.value))})")
        else:
            raise ValueError(f"a {step.kind!r} step has no jsonpath form")
    return "".join(out)


def pg_jsonpath(
    steps: Sequence[JsonStep], predicate: Callable[[str], str] | None = None, op: Op | None = None
) -> str:
    """The lax jsonpath of a path, with ``predicate(subject)`` (a jsonpath test such as
    ``@ == "x"`` for the subject ``@``) as its filter. With a split the subject is
    ``@RIGHT``, and a visited value without it matches ``!=`` only.

    >>> from wherelang.nodes import JsonStep as S
    >>> pg_jsonpath((S("key", "spec"), S("any"), S("match", "name", value="web")))
    'lax $."spec"[*] ? (@."name" == "web")'
    >>> pg_jsonpath((S("key", "a"), S("any"), S("split"), S("key", "b")), lambda x: f"{x} != 1", Op.NE)
    'lax $."a"[*] ? (!exists(@."b") || @."b" != 1)'
    """
    left_steps, right_steps = split_steps(steps)
    path = "lax $" + _pg_steps(left_steps)
    if predicate is None:
        if right_steps is not None:
            path += f" ? (exists(@{_pg_steps(right_steps)}))"
        return path
    if right_steps is None:
        return f"{path} ? ({predicate('@')})"
    right = "@" + _pg_steps(right_steps)
    if op is Op.NE:
        return f"{path} ? (!exists({right}) || {predicate(right)})"
    return f"{path} ? (exists({right}) && {predicate(right)})"


def pg_values_path(steps: Sequence[JsonStep], flatten: bool = True) -> str:
    """``$LEFT[*]RIGHT[*]`` (``flatten=False``: ``$PATH``, or ``$LEFT[*]RIGHT`` with a split):
    the values IN and ``?`` look at."""
    left_steps, right_steps = split_steps(steps)
    if right_steps is None:
        return "lax $" + _pg_steps(left_steps) + ("[*][*]" if flatten else "")
    return "lax $" + _pg_steps(left_steps) + "[*]" + _pg_steps(right_steps) + ("[*]" if flatten else "")


def like_to_regex(pattern: str) -> str:
    r"""A LIKE pattern (``%``, ``_``, ``\`` escapes) as an anchored regular expression
    that RE2 and PostgreSQL's ARE read alike (every other character escaped or plain).

    >>> like_to_regex(r"a%b_c\%")
    '^a.*b.c%$'
    """
    out = ["^"]
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            ch = next(chars, "")
            out.append(_regex_char(ch))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(_regex_char(ch))
    out.append("$")
    return "".join(out)


def _regex_char(ch: str) -> str:
    return "\\" + ch if ch in _REGEX_SPECIAL else ch


_REGEX_SPECIAL = frozenset(".^$*+?()[]{}|\\")
