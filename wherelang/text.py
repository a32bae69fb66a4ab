"""Destination 3: canonical where text, and its query encoding for URLs."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote, unquote_plus
from uuid import UUID

from .errors import WhereSyntaxError, not_text, too_deep
from .nodes import (
    And,
    Attr,
    Compare,
    In,
    IsNull,
    Len,
    Literal,
    Node,
    Not,
    Or,
    Path,
    Truth,
)

__all__ = ["to_where", "encode_query", "decode_query", "quote_string", "format_path"]

# A key segment that needs no quotes: a bare segment of the grammar's PATH (a key, `*`,
# `|` or `?key=value`), minus the dot, which separates segments.
_BARE_SEGMENT = re.compile(
    r"(?:[A-Za-z0-9_$]|~1)(?:[A-Za-z0-9_/:$-]|~1)*|\*|\|(?:[A-Za-z0-9_$]|~1)(?:[A-Za-z0-9_/:$-]|~1)*|\?[A-Za-z_$](?:[A-Za-z0-9/_$-]|~1)*=[^.#'\"\\ \t\r\n\f]{1,255}"
)

# Precedence: a child binding looser than its parent needs parentheses.
_OR, _AND, _NOT, _ATOM = 1, 2, 3, 4


def quote_string(value: str) -> str:
    """A string literal: single quotes, with ``''`` for a quote inside."""
    return "'" + value.replace("'", "''") + "'"


def format_path(segments: tuple[str, ...]) -> str:
    """``Labels.tier``; segments that need it quoted: ``Annotations.'a.b/c'``."""
    out = [segments[0]]
    for seg in segments[1:]:
        out.append(seg if _BARE_SEGMENT.fullmatch(seg) else quote_string(seg))
    return ".".join(out)


def _literal(node: Literal) -> str:
    value = node.value
    if node.text is not None:
        return quote_string(node.text)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, UUID):
        return quote_string(str(value))
    if isinstance(value, datetime):
        return quote_string(value.isoformat())
    raise TypeError(f"not a literal value: {value!r}")


def _operand(node: Node) -> str:
    if isinstance(node, (Path, Attr)):
        return format_path(node.segments)
    if isinstance(node, Literal):
        return _literal(node)
    if isinstance(node, Len):
        return f"LEN({format_path(node.path.segments)})"
    raise TypeError(f"not an operand: {node!r}")


def _precedence(node: Node) -> int:
    if isinstance(node, Or):
        return _OR
    if isinstance(node, And):
        return _AND
    if isinstance(node, Not):
        return _NOT
    return _ATOM


def _child(node: Node, parent: int) -> str:
    text = _text(node)
    return f"({text})" if _precedence(node) < parent else text


def to_where(node: Node) -> str:
    """Canonical text of any node. A tree built in code nested too deeply to write is a
    :class:`~wherelang.errors.WhereSyntaxError` (``limit-exceeded``)."""
    try:
        return _text(node)
    except RecursionError:
        raise too_deep(WhereSyntaxError, "write as text") from None


def _text(node: Node) -> str:
    if isinstance(node, Compare):
        return f"{_operand(node.left)} {node.op.text} {_operand(node.right)}"
    if isinstance(node, And):
        return " AND ".join(_child(item, _AND) for item in node.items)
    if isinstance(node, Or):
        return " OR ".join(_child(item, _OR) for item in node.items)
    if isinstance(node, In):
        values = ", ".join(_literal(v) for v in node.values)
        keyword = "NOT IN" if node.negated else "IN"
        return f"{_operand(node.operand)} {keyword} ({values})"
    if isinstance(node, IsNull):
        return f"{_operand(node.operand)} IS {'NOT ' if node.negated else ''}NULL"
    if isinstance(node, Truth):
        value = "TRUE" if node.value else "FALSE"
        return f"{_text(node.expr)} IS {'NOT ' if node.negated else ''}{value}"
    if isinstance(node, Not):
        return f"NOT {_child(node.expr, _NOT)}"
    return _operand(node)


def encode_query(text: str) -> str:
    """Percent-encode a parameter value for a URL; a space becomes ``%20``.

    >>> encode_query("Slug IN ('a', 'b')")
    'Slug%20IN%20%28%27a%27%2C%20%27b%27%29'
    """
    return quote(text, safe="")


def decode_query(value: str) -> str:
    """Reverse :func:`encode_query`; ``+`` is accepted for a space too.

    >>> decode_query("Slug+%3D+%27a%27")
    "Slug = 'a'"
    """
    if not isinstance(value, str):
        raise not_text(value)
    if value.isascii():
        # In C for the usual ASCII text: each %XX becomes the escape \xXX (backslashes
        # doubled first), which the unicode_escape codec turns into that byte; UTF-8 then
        # reads the bytes, as unquote does. A lone % or bad UTF-8 raises UnicodeError:
        # _unquote gives its answer or error (test_query.py::test_fast_decode_is_unquote).
        try:
            escaped = value.replace("+", " ").replace("\\", "\\\\").replace("%", "\\x")
            return escaped.encode("ascii").decode("unicode_escape").encode("latin-1").decode("utf-8")
        except UnicodeError:
            pass
    return _unquote(value)


def _unquote(value: str) -> str:
    """:func:`decode_query` by urllib's ``unquote_plus``, with our error."""
    try:
        return unquote_plus(value, errors="strict")
    except UnicodeDecodeError as exc:
        raise WhereSyntaxError(
            "bad-encoding",
            "the percent-encoding does not decode to UTF-8 text",
            text=value,
            position=_encoded_offset(value, exc.start),
            length=3,
            hint="encode the text as UTF-8 before percent-encoding it",
        ) from None


def _encoded_offset(value: str, byte_offset: int) -> int:
    """The offset in the encoded text of the ``byte_offset``-th decoded byte."""
    seen = 0
    i = 0
    while i < len(value):
        if seen == byte_offset:
            return i
        if value[i] == "%" and re.fullmatch(r"[0-9A-Fa-f]{2}", value[i + 1 : i + 3]):
            i += 3
            seen += 1
        else:
            seen += len(value[i].encode("utf-8"))
            i += 1
    return len(value)
