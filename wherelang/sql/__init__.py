"""Destination 2: SQL, built as sqlglot expression trees.

:func:`to_sql` compiles a *typed* tree (``parse(text, schema=...)``) into a WHERE clause
with bound parameters in the driver's placeholder style; :func:`to_sqlglot` returns the
sqlglot expression (literals inlined, quoted by sqlglot) for embedding in a larger query.
No user text is ever parsed as SQL: identifiers come from the schema or the mapping,
values become ``exp.Placeholder`` nodes (or ``exp.Literal`` nodes with ``params=False``).

Six engines are verified against PostgreSQL by the differential test: ``postgres``
(psycopg), ``mysql`` / ``mariadb`` (pymysql, MariaDB 10.11), ``sqlite`` (sqlite3, after
:func:`prepare_sqlite`), ``duckdb``, ``spark`` (and ``databricks``; pyspark in local
mode) and ``clickhouse`` (chdb). ``trino`` / ``presto``, ``bigquery`` and ``snowflake``
have modules checked on their text. Every other sqlglot dialect gets the portable
subset; what an engine cannot express raises :class:`~wherelang.errors.WhereSqlError`
naming the engine and the construct.

The package: :mod:`~wherelang.sql.compiler` (tree to SQL), :mod:`~wherelang.sql.base`
(the shared :class:`~wherelang.sql.base.Engine`), one module per engine in
:mod:`wherelang.sql.engines`, found by :mod:`~wherelang.sql.registry` (keyed by sqlglot
dialect name), :mod:`~wherelang.sql.storage` (the default table layout) and
:mod:`~wherelang.sql.mapping` (where attributes live).

>>> from wherelang import parse, to_sql
>>> from wherelang.schema import Schema, Attribute, Type
>>> s = Schema("Unit", [Attribute("Slug", Type.of("string")),
...                     Attribute("Labels", Type.of({"type": "map", "values": "string"}))])
>>> clause = to_sql(parse("Slug < 'm' AND Labels.tier = 'x'", schema=s))
>>> clause.sql
'"Slug" COLLATE "C" < %s AND JSONB_EXTRACT_PATH_TEXT("Labels", %s) = %s'
>>> clause.params
('m', 'tier', 'x')
"""

from __future__ import annotations

from .base import Engine as Engine
from .compiler import OPERATORS, SqlClause, to_sql, to_sqlglot
from .engines.duckdb import prepare_duckdb
from .engines.sqlite import prepare_sqlite
from .mapping import ArrayColumn, Column, Joined, JoinTable, JsonPath, MapColumn, Related
from .mapping import Target as Target
from .registry import ENGINES
from .registry import _engine as _engine
from .storage import _scalar as _scalar
from .storage import create_table, insert_statement, row

__all__ = [
    "SqlClause",
    "to_sql",
    "to_sqlglot",
    "Column",
    "JsonPath",
    "ArrayColumn",
    "MapColumn",
    "Joined",
    "Related",
    "JoinTable",
    "create_table",
    "insert_statement",
    "row",
    "prepare_sqlite",
    "prepare_duckdb",
    "OPERATORS",
    "ENGINES",
]
