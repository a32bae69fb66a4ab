"""One local SparkSession for a test run (or a benchmark), and running compiled clauses
on it in batches. Not a test module.

Spark plans each query in about half a second, so the differential test evaluates many
expressions per query: ``SELECT Pk, (c0) AS e0, (c1) AS e1, ... FROM t`` with the
clauses' bound parameters in order, and a row matches expression i when ``e<i>`` is
true (WHERE's rule).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from wherelang import sql as wsql
from wherelang.errors import WhereSqlError
from wherelang.nodes import Expr


def java_missing() -> str | None:
    """Why Spark cannot start here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[test]')"
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and os.path.exists(os.path.join(java_home, "bin", "java"))):
        return "no Java found (java on PATH or JAVA_HOME); Spark needs Java 17+"
    return None


def start(zone: str = "Asia/Kolkata") -> Any:
    """A local SparkSession on 127.0.0.1, one core, no UI, a private warehouse directory.
    The session zone is not UTC on purpose: times must compare as instants anyway."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    warehouse = tempfile.mkdtemp(prefix="wherelang-spark-")
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("wherelang-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.sql.session.timeZone", zone)
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def load(spark: Any, table: str, ddl: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Create ``table`` with ``ddl`` and insert ``rows`` (in the table's column order)."""
    spark.sql(f"DROP TABLE IF EXISTS `{table}`")
    spark.sql(ddl)
    schema = spark.table(f"`{table}`").schema
    spark.createDataFrame(list(rows), schema=schema).write.insertInto(f"`{table}`")


def run_batch(
    spark: Any,
    table: str,
    exprs: Sequence[Expr],
    *,
    mapping: Mapping[str, wsql.Target] | None = None,
    params: bool = True,
    dialect: str = "spark",
) -> list[set[int] | WhereSqlError]:
    """Each expression's matching ``Pk``s, or the WhereSqlError compiling it raised."""
    out: list[set[int] | WhereSqlError] = [set() for _ in exprs]
    columns: list[tuple[int, str]] = []
    args: list[Any] = []
    for i, expr in enumerate(exprs):
        try:
            clause = wsql.to_sql(expr, dialect=dialect, mapping=mapping, params=params)
        except WhereSqlError as exc:
            out[i] = exc
            continue
        columns.append((i, clause.sql))
        args.extend(clause.params)
    if not columns:
        return out
    select = ", ".join(f"({sql}) AS e{i}" for i, sql in columns)
    try:
        rows = spark.sql(f"SELECT `Pk`, {select} FROM `{table}`", args=args or None).collect()
    except Exception as exc:
        if len(columns) == 1:
            i, sql = columns[0]
            raise AssertionError(f"Spark failed on {str(exprs[i])!r}: {sql}") from exc
        for i, _ in columns:  # find the expression Spark refused, one query each
            out[i] = run_batch(spark, table, [exprs[i]], mapping=mapping, params=params, dialect=dialect)[0]
        return out
    for r in rows:
        for i, _ in columns:
            if r[f"e{i}"] is True:
                matched = out[i]
                assert isinstance(matched, set)
                matched.add(int(r["Pk"]))
    return out
