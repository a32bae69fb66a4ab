"""wherelang: the filter language of ConfigHub-style REST APIs.

Parse ``where`` expressions, check them against a schema, evaluate them in memory,
compile them to SQL, and print them back as canonical, query-encoded text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    WhereError,
    WhereEvaluationError,
    WhereSqlError,
    WhereSyntaxError,
    WhereValidationError,
)
from .nodes import (
    And,
    Attr,
    Compare,
    Expr,
    Family,
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
)
from .evaluate import Predicate, compile, filter
from .parser import STRICT_LIMITS, Limits, parse
from .text import decode_query, encode_query
from .schema import Attribute, Kind, Relation, Schema, Type
from .validate import validate
from .builder import attr
from .query import ListQuery

if TYPE_CHECKING:
    from .sql import SqlClause, to_sql, to_sqlglot


def __getattr__(name: str) -> Any:
    # wherelang.sql (and sqlglot, a third of import time) loads on first use.
    if name in ("SqlClause", "to_sql", "to_sqlglot"):
        from . import sql

        return getattr(sql, name)
    raise AttributeError(f"module 'wherelang' has no attribute {name!r}")

__all__ = [
    "parse",
    "validate",
    "Schema",
    "Attribute",
    "Relation",
    "Type",
    "Kind",
    "compile",
    "filter",
    "to_sql",
    "to_sqlglot",
    "SqlClause",
    "Predicate",
    "attr",
    "ListQuery",
    "Limits",
    "STRICT_LIMITS",
    "decode_query",
    "encode_query",
    "WhereError",
    "WhereSyntaxError",
    "WhereValidationError",
    "WhereEvaluationError",
    "WhereSqlError",
    "Expr",
    "And",
    "Or",
    "Not",
    "Compare",
    "In",
    "IsNull",
    "Truth",
    "Path",
    "Attr",
    "Len",
    "Literal",
    "Op",
    "Family",
    "Span",
]
