"""The registry of engines, keyed by sqlglot dialect name.

Every module in :mod:`wherelang.sql.engines` is an engine module: each :class:`Engine`
subclass it defines names the sqlglot dialects it serves in its own ``dialects``. Adding
an engine means adding one module there. A dialect no module claims gets the portable
subset (:class:`Engine` itself).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from ..errors import WhereSqlError
from .base import Engine

__all__ = ["ENGINES", "engine_classes"]

#: Engines proven against PostgreSQL by the differential test (tests/test_sql_engines.py;
#: Spark local in tests/test_spark.py, ClickHouse on chdb in tests/test_clickhouse.py).
ENGINES = ("postgres", "mysql", "sqlite", "duckdb", "spark", "clickhouse")

_ALIASES = {"postgresql": "postgres", "mariadb": "mysql", "pg": "postgres"}


@lru_cache(maxsize=1)
def engine_classes() -> dict[str, type[Engine]]:
    """Each sqlglot dialect name an engine module claims, and its engine class."""
    from . import engines

    out: dict[str, type[Engine]] = {}
    for info in sorted(pkgutil.iter_modules(engines.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{engines.__name__}.{info.name}")
        for obj in vars(module).values():
            if not (isinstance(obj, type) and issubclass(obj, Engine)) or obj.__module__ != module.__name__:
                continue
            for dialect in obj.__dict__.get("dialects", ()):  # its own, not inherited
                if dialect in out:
                    raise RuntimeError(f"{dialect!r} is claimed by {out[dialect]} and {obj}")
                out[dialect] = obj
    return out


@lru_cache(maxsize=64)
def _engine(dialect: str) -> Engine:
    name = _ALIASES.get(dialect.lower(), dialect.lower())
    try:
        Dialect.get_or_raise(name)
    except (ValueError, SqlglotError):
        raise WhereSqlError(
            "unknown-dialect",
            f"unknown SQL dialect {dialect!r}",
            hint="use a sqlglot dialect name such as postgres, mysql, sqlite, duckdb",
        ) from None
    return engine_classes().get(name, Engine)(name)
