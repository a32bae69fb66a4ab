"""Dialects with an unanchored regex function and inline flags: the portable subset
plus regular expressions (Spark 2, Hive, Athena)."""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp

from ..base import Engine


class Regexp(Engine):
    """Generic dialects whose regex function searches (unanchored) with inline flags."""

    dialects: ClassVar[tuple[str, ...]] = ("spark2", "hive", "athena")

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        return ("(?si)" if ci else "(?s)") + pattern, ci

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        return exp.RegexpLike(this=x, expression=p)
