"""Which constructs each dialect supports, found by compiling them with the engine modules.

:func:`markdown` is the table of ``docs/engines.md``; ``tests/test_engines_doc.py`` keeps
the page and the code in step. After changing an engine module:

    python -m wherelang.sql.support --write

>>> table = support()
>>> table["Map.key"]["postgres"], table["Map.key"]["tsql"]
(True, False)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import WhereSqlError
from ..schema import Attribute, Schema, Type
from .mapping import ArrayColumn, JsonPath, MapColumn, Target
from .registry import ENGINES

__all__ = ["CONSTRUCTS", "DIALECTS", "support", "markdown"]

_SCHEMA = Schema(
    "Probe",
    [
        Attribute("Slug", Type.of("string")),
        Attribute("N", Type.of("int")),
        Attribute("At", Type.of("time")),
        Attribute("Id", Type.of("uuid")),
        Attribute("Tags", Type.of({"type": "array", "items": "string"})),
        Attribute("Ids", Type.of({"type": "array", "items": "uuid"})),
        Attribute("Labels", Type.of({"type": "map", "values": "string"})),
    ],
)
_NATIVE: dict[str, Target] = {"Tags": ArrayColumn("Tags"), "Labels": MapColumn("Labels")}

#: construct -> (a where expression using it, the mapping it needs)
CONSTRUCTS: Mapping[str, tuple[str, Mapping[str, Target]]] = {
    "=, IN, IS NULL, AND/OR/NOT": ("Slug = 'a' AND (N IN (1, 2) OR NOT (Slug IS NULL))", {}),
    "string order by code point": ("Slug < 'b'", {}),
    "IS TRUE / IS FALSE": ("N = 1 IS NOT TRUE", {}),
    "LIKE with escapes": ("Slug LIKE 'a\\%%'", {}),
    "ILIKE": ("Slug ILIKE 'é%'", {}),
    "~ and ~* (regex)": ("Slug ~* '^a.b$'", {}),
    "time as instants": ("At < '2025-01-07T02:00:00+02:00'", {}),
    "uuid in any case": ("Id = '7C61626F-DDBE-41AF-93F6-B69F4AB6D308'", {}),
    "Map.key": ("Labels.tier = 'x'", {}),
    "Map ? key": ("Labels ? 'k'", {}),
    "Array ? value": ("Tags ? 'a'", {}),
    "Array of uuids ? value (any case)": ("Ids ? '7C61626F-DDBE-41AF-93F6-B69F4AB6D308'", {}),
    "LEN(Array), LEN(Map)": ("LEN(Tags) > 0 AND LEN(Labels) = 1", {}),
    "JSON path (JsonPath mapping)": ("Slug = 'a'", {"Slug": JsonPath("Doc", "meta", "slug")}),
    "native ARRAY column": ("Tags ? 'a' AND LEN(Tags) > 0", _NATIVE),
    "native MAP column": ("Labels.tier = 'x' AND Labels ? 'k' AND LEN(Labels) > 0", _NATIVE),
}

#: The dialects of the table, verified engines first.
DIALECTS = ("postgres", "mysql", "sqlite", "duckdb", "spark", "databricks", "trino", "bigquery",
            "snowflake", "clickhouse", "tsql")  # fmt: skip

_TITLES = {"postgres": "PostgreSQL", "mysql": "MariaDB", "sqlite": "SQLite", "duckdb": "DuckDB",
           "spark": "Spark", "databricks": "Databricks", "trino": "Trino", "bigquery": "BigQuery",
           "snowflake": "Snowflake", "clickhouse": "ClickHouse", "tsql": "T-SQL (no module: portable subset)"}  # fmt: skip

#: Dialects proven through another's engine (Databricks shares Spark's SQL).
_PROVEN_ALSO = {"databricks": "as Spark (same SQL)"}


def support() -> dict[str, dict[str, bool]]:
    """construct -> dialect -> whether it compiles (False: a WhereSqlError naming it)."""
    from .. import parser
    from .compiler import to_sql

    out: dict[str, dict[str, bool]] = {}
    for construct, (text, mapping) in CONSTRUCTS.items():
        expr = parser.parse(text, schema=_SCHEMA, extended=True)
        row: dict[str, bool] = {}
        for dialect in DIALECTS:
            try:
                to_sql(expr, dialect=dialect, mapping=mapping, cache=False)
            except WhereSqlError:
                row[dialect] = False
            else:
                row[dialect] = True
        out[construct] = row
    return out


def _claimed() -> dict[str, Any]:
    from .registry import engine_classes

    return engine_classes()


def markdown() -> str:
    """The support table as Markdown (✓ compiles, — refused with a WhereSqlError)."""
    head = "| construct | " + " | ".join(_TITLES[d] for d in DIALECTS) + " |"
    lines = [head, "|---" * (len(DIALECTS) + 1) + "|"]
    proven = [
        "differential test" if d in ENGINES else _PROVEN_ALSO.get(d, "text only" if d in _claimed() else "nothing")
        for d in DIALECTS
    ]
    lines.append("| proven on | " + " | ".join(proven) + " |")
    for construct, row in support().items():
        lines.append(f"| {construct} | " + " | ".join("✓" if row[d] else "—" for d in DIALECTS) + " |")
    return "\n".join(lines)


BEGIN, END = "<!-- support:begin -->", "<!-- support:end -->"


def _rewrite(page: str) -> str:
    block = f"{BEGIN}\n{markdown()}\n{END}"
    return re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, page, flags=re.S)


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    path = Path(__file__).resolve().parents[2] / "docs" / "engines.md"
    if "--write" in sys.argv:
        path.write_text(_rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(markdown())
