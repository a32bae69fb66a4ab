"""wherelang: the filter language of ConfigHub-style REST APIs.

Parse ``where`` expressions, check them against a schema, evaluate them in memory,
compile them to SQL, and print them back as canonical, query-encoded text.
"""

# No ``from __future__ import annotations`` and no ``from typing import ...`` here: every
# public name of this module is part of the API (``dir(wherelang)`` shows no helpers).
import typing as _typing

__version__ = "0.1.0"  # the one place of the version: pyproject.toml reads it (hatch)

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

if _typing.TYPE_CHECKING:
    from . import confighub, examples, sample, sql, strategies
    from .sql import SqlClause, to_sql, to_sqlglot

#: Submodules loaded on first use: ``wherelang.confighub`` works without importing it.
_LAZY_MODULES = ("confighub", "sample", "sql", "examples", "strategies")


def __getattr__(name: str) -> object:
    # wherelang.sql (and sqlglot, a third of import time) loads on first use.
    if name in ("SqlClause", "to_sql", "to_sqlglot"):
        from . import sql

        # Kept as a global once loaded: wherelang.to_sql is called per query, and a
        # module __getattr__ runs on every lookup that misses the globals.
        value = globals()[name] = getattr(sql, name)
        return value
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'wherelang' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_MODULES) | {"SqlClause", "to_sql", "to_sqlglot"})


# ``from wherelang import *`` gives what is safe to star-import: not ``filter`` and
# ``compile`` (they would shadow the builtins; use ``wherelang.filter``) nor ``Literal``
# and ``Type`` (typing has both; use ``wherelang.Literal``, ``wherelang.Type``).
__all__ = [
    "__version__",
    "parse",
    "validate",
    "Schema",
    "Attribute",
    "Relation",
    "Kind",
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
    "Op",
    "Family",
    "Span",
]
