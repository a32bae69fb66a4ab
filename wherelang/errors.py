"""Errors: every problem with user input is a :class:`WhereError`.

Each error has a stable ``code``, a ``message``, the ``position`` and ``length`` of the
offending span in the input, the ``expected`` alternatives in words a user knows, and a
``hint``. ``str(err)`` shows the input line with a caret under the span.
"""

from __future__ import annotations

from typing import Any, TypeVar

__all__ = [
    "WhereError",
    "WhereSyntaxError",
    "WhereValidationError",
    "WhereEvaluationError",
    "WhereSqlError",
]

# A window of this many characters either side of the span is shown for long lines.
_CONTEXT = 60


class WhereError(ValueError):
    """Base of every error wherelang raises for bad input.

    >>> from wherelang import parse, WhereError
    >>> try:
    ...     parse("Slug == 'x'")
    ... except WhereError as err:
    ...     print(err.code, err.position)
    unknown-operator 5
    """

    #: the HTTP status a server answers this error with
    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        text: str | None = None,
        position: int | None = None,
        length: int = 1,
        expected: tuple[str, ...] = (),
        hint: str | None = None,
        parameter: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.text = text
        self.position = position
        self.length = max(length, 1)
        self.expected = expected
        self.hint = hint
        self.parameter = parameter

    def with_parameter(self, parameter: str) -> WhereError:
        """Name the query parameter (``where``, ``select``, ...) the error came from."""
        self.parameter = parameter
        return self

    @property
    def line(self) -> int | None:
        """1-based line of ``position`` in ``text``."""
        if self.text is None or self.position is None:
            return None
        return self.text.count("\n", 0, self.position) + 1

    @property
    def column(self) -> int | None:
        """1-based column of ``position`` in its line."""
        if self.text is None or self.position is None:
            return None
        return self.position - (self.text.rfind("\n", 0, self.position) + 1) + 1

    def summary(self) -> str:
        """One line: the parameter, the message, where, and the hint."""
        parts = []
        if self.parameter:
            parts.append(f"{self.parameter}: ")
        parts.append(self.message)
        if self.position is not None:
            parts.append(f" (at offset {self.position})")
        if self.hint:
            parts.append(f"; {self.hint}")
        return "".join(parts)

    def caret(self) -> str:
        """The input line around the error with ``^`` under the span."""
        if self.text is None or self.position is None:
            return ""
        text, pos = self.text, min(self.position, len(self.text))
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        if end < 0:
            end = len(text)
        lo = max(start, pos - _CONTEXT)
        hi = min(end, pos + min(self.length, _CONTEXT) + _CONTEXT)
        shown = "".join(ch if ch.isprintable() else " " for ch in text[lo:hi])
        prefix = "..." if lo > start else ""
        suffix = "..." if hi < end else ""
        width = max(1, min(self.length, hi - pos))
        pad = " " * (len(prefix) + pos - lo)
        return f"  {prefix}{shown}{suffix}\n  {pad}{'^' * width}"

    def __str__(self) -> str:
        head = f"{self.message}"
        if self.parameter:
            head = f"{self.parameter}: {head}"
        if self.line is not None:
            head += f" (line {self.line}, column {self.column})"
        lines = [head]
        caret = self.caret()
        if caret:
            lines.append(caret)
        if self.expected:
            lines.append("expected " + _or_list(self.expected))
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def to_response(self) -> dict[str, str]:
        """The remote API's error body: ``{"Code": "400", "Message": ...}``."""
        return {"Code": str(self.status), "Message": self.summary()}

    def to_dict(self) -> dict[str, Any]:
        """All fields, for logs and JSON error reports."""
        return {
            "code": self.code,
            "message": self.message,
            "parameter": self.parameter,
            "position": self.position,
            "length": self.length,
            "expected": list(self.expected),
            "hint": self.hint,
        }


class WhereSyntaxError(WhereError):
    """The text is not a where expression (or breaks the syntax level's limits)."""


class WhereValidationError(WhereError):
    """The expression does not fit the schema: unknown attribute, bad literal, ..."""


class WhereEvaluationError(WhereError):
    """An entity's value does not fit its declared type (strict evaluation only)."""


class WhereSqlError(WhereError):
    """A construct that the target SQL engine cannot express faithfully."""


def not_text(value: object) -> WhereSyntaxError:
    """The error for an expression that is not a ``str`` (None, bytes, a number): the
    same from every entry point (parse, compile, decode_query)."""
    hint = "decode the bytes as UTF-8 first" if isinstance(value, (bytes, bytearray)) else (
        "pass the where expression as a str"
    )  # fmt: skip
    return WhereSyntaxError(
        "not-text", f"expected a string, got {type(value).__name__}", position=0, hint=hint
    )


_E = TypeVar("_E", bound=WhereError)


def too_deep(cls: type[_E], doing: str) -> _E:
    """The error for a tree built in code (builder, nodes) that nests past what Python's
    recursion allows (~200 levels through And/Or/Not; parse() refuses text nested past
    Limits.max_depth long before): ``doing`` says what could not be done."""
    return cls(
        "limit-exceeded",
        f"the expression nests too deeply to {doing}",
        position=0,
        hint="flatten the expression (And/Or take any number of items); parse() refuses "
        "nesting past Limits.max_depth",
    )


def _or_list(words: tuple[str, ...]) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]
