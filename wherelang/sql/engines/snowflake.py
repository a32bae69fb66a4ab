"""Snowflake: the portable subset plus regular expressions."""

from __future__ import annotations


from sqlglot import exp

from ..base import Engine, _fn


class Snowflake(Engine):
    dialects = ("snowflake",)
    title = "Snowflake"

    def regex(self, x: exp.Expression, p: exp.Expression, ci: bool) -> exp.Expression:
        # REGEXP_LIKE is anchored in Snowflake; REGEXP_INSTR searches.
        one = exp.Literal.number(1)
        flags = exp.Literal.string("is" if ci else "s")
        call = _fn("REGEXP_INSTR", x, p, one, one.copy(), exp.Literal.number(0), flags)
        return exp.GT(this=call, expression=exp.Literal.number(0))
