"""Dialects with an unanchored Java-syntax regex function (Spark 2 and Hive:
java.util.regex): the portable subset plus regular expressions."""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp

from ..base import Engine, _java_intersection, _rewrite


class Regexp(Engine):
    """Generic dialects whose regex function searches (unanchored), Java syntax."""

    dialects: ClassVar[tuple[str, ...]] = ("spark2", "hive")

    def regex_pattern(self, pattern: str, ci: bool) -> tuple[str, bool]:
        # As for Spark: the portable subset, $ written \z, ~* as PostgreSQL's case sets.
        text, _ = _rewrite(pattern, self, ci, fold=True)
        if _java_intersection(text):
            raise self.unsupported(f"'&&' in the regular expression {pattern!r} (Java reads it in [...] as intersection)")
        return "(?s)" + text, False

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        return exp.RegexpLike(this=x, expression=p)
