"""SQL: compiling the seed example, and filtering a million rows in the database.

Group "compile to PostgreSQL": the seed example of the remote API compiled by wherelang
(typed tree -> WHERE clause with bound parameters), cached and uncached, beside
``sqlglot.transpile`` of the equivalent hand-written WHERE clause (the reference: the
least work a sqlglot-based compiler must do, parsing text and generating text). Issue
17 asks parse + validate + to_sql, uncached, to be at least 3x the reference, with and
without sqlglot's mypyc-compiled build (``sqlglotc``). The group title says which build
ran. ``sqlglotc`` pins its own sqlglot version, so it lives in a second environment: set
``WHERELANG_SQLGLOTC_PYTHON`` to that environment's interpreter (one that can import
wherelang, e.g. through PYTHONPATH) and the same group is measured there too, in a
child process.

Group "filter N rows": ``SELECT count(*) ... WHERE <compiled clause>`` on DuckDB and
PostgreSQL against in-memory filtering of the same rows with ``wherelang.filter`` (the
reference). 1,000,000 rows (20,000 under --quick); PostgreSQL is loaded with COPY. Times
are per row scanned, wall-clock; the database rows include query planning and the round trip.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from harness import Bench, Row

import wherelang
from wherelang import confighub
from wherelang import sql as wsql
from wherelang.schema import Attribute, Schema, Type

SEED = "CreatedAt >= '2025-01-07' AND Slug = 'test' AND Labels.mykey = 'myvalue'"
HAND_WRITTEN = (
    "SELECT * FROM units WHERE \"CreatedAt\" >= '2025-01-07' AND \"Slug\" = 'test' "
    "AND \"Labels\" ->> 'mykey' = 'myvalue'"
)
# A selective filter over the same attributes, so that every row is examined.
FILTER = "CreatedAt >= '2025-01-07' AND Slug LIKE 'app-1%' AND Labels.mykey = 'myvalue'"

TABLE = "sql_bench"
SCHEMA = Schema(
    "Unit",
    [
        Attribute("Slug", Type.of("string")),
        Attribute("CreatedAt", Type.of("time")),
        Attribute("HeadRevisionNum", Type.of("int")),
        Attribute("Labels", Type.of({"type": "map", "values": "string"})),
    ],
)


def _sqlglot_build() -> str:
    import sqlglot
    import sqlglot.generator

    compiled = not sqlglot.generator.__file__.endswith(".py")
    return f"sqlglot {sqlglot.__version__}, {'sqlglotc (mypyc)' if compiled else 'pure Python'}"


def _compile_group(bench: Bench) -> None:
    import sqlglot

    unit = confighub.schema("Unit")
    expr = wherelang.parse(SEED, schema=unit)
    group = f"compile seed to PostgreSQL ({_sqlglot_build()})"
    transpile = {"name": "sqlglot.transpile (postgres -> postgres)", "unit": "compile",
                 "fn": lambda: sqlglot.transpile(HAND_WRITTEN, read="postgres", write="postgres"),
                 "reference": True, "note": "parse SQL text + generate"}  # fmt: skip
    try:
        wherelang.to_sql(expr, cache=False)
    except Exception as exc:  # wherelang cannot run on this sqlglot build: the rows say why
        bench.measure(group, **transpile)  # type: ignore[arg-type]
        for name in ("wherelang.to_sql, cached", "wherelang.to_sql, uncached",
                     "parse + validate + to_sql, uncached"):  # fmt: skip
            bench.skip(group, name, f"{type(exc).__name__}: {exc}")
        return
    ref, _, _, full = bench.interleaved(group, [
        transpile,
        {"name": "wherelang.to_sql, cached", "fn": lambda: wherelang.to_sql(expr), "unit": "compile",
         "note": "the same typed tree again: an LRU lookup"},
        {"name": "wherelang.to_sql, uncached", "fn": lambda: wherelang.to_sql(expr, cache=False),
         "unit": "compile", "note": "build sqlglot tree + generate"},
        {"name": "parse + validate + to_sql, uncached", "unit": "compile",
         "fn": lambda: wherelang.to_sql(wherelang.parse(SEED, schema=unit, cache=False), cache=False)},
    ])  # fmt: skip
    full.note = f"text to WHERE clause; target >= 3x the reference: {ref.seconds / full.seconds:.2f}x"


def _compile_group_elsewhere(bench: Bench, python: str) -> None:
    """The compile group measured by another interpreter (one with sqlglotc)."""
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    path = os.pathsep.join([str(here.parent), str(here), os.environ.get("PYTHONPATH", "")])
    argv = [python, __file__, "--compile-group"] + (["--quick"] if bench.quick else [])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": path})  # fmt: skip
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        bench.skip("compile seed to PostgreSQL (WHERELANG_SQLGLOTC_PYTHON)", python, tail)
        print(done.stderr, file=sys.stderr)
        return
    for fields in json.loads(done.stdout):
        bench.rows.append(Row(**fields))


def _rows(n: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    start = datetime(2024, 12, 1, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        labels = {"mykey": "myvalue" if rng.random() < 0.3 else "other"}
        if rng.random() < 0.2:
            labels["tier"] = "web"
        out.append({
            "Slug": f"app-{rng.randrange(100_000)}",
            "CreatedAt": start + timedelta(minutes=rng.randrange(120 * 24 * 60)),
            "HeadRevisionNum": rng.randrange(100),
            "Labels": labels,
        })  # fmt: skip
    return out


def _csv(entities: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for e in entities:
        writer.writerow([e["Slug"], e["CreatedAt"].isoformat(), e["HeadRevisionNum"],
                         json.dumps(e["Labels"])])  # fmt: skip
    return buf.getvalue()


def _duckdb(entities: list[dict[str, Any]], path: str) -> Any:
    import duckdb

    conn = duckdb.connect()
    conn.execute(wsql.create_table(SCHEMA, "duckdb", table=TABLE))
    conn.execute(f"COPY {TABLE} FROM '{path}' (FORMAT csv, HEADER false)")
    return conn


def _postgres(data: str) -> Any:
    import psycopg

    dsn = os.environ.get("WHERELANG_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
    conn = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
    conn.execute(f'DROP TABLE IF EXISTS "{TABLE}"')
    conn.execute(wsql.create_table(SCHEMA, "postgres", table=TABLE))
    with conn.cursor().copy(f'COPY "{TABLE}" FROM STDIN WITH (FORMAT csv)') as copy:
        copy.write(data)
    conn.execute(f'ANALYZE "{TABLE}"')
    return conn


def _filter_group(bench: Bench) -> None:
    import tempfile

    n = 20_000 if bench.quick else 1_000_000
    group = f"filter {n:,} rows"
    entities = _rows(n)
    expr = wherelang.parse(FILTER, schema=SCHEMA)
    predicate = wherelang.compile(expr, SCHEMA)
    expected = sum(1 for e in entities if predicate(e))
    bench.measure(group, "in memory: wherelang.filter", lambda: sum(1 for _ in wherelang.filter(entities, expr, SCHEMA)),
                  units=n, unit="row", reference=True, repeats=3, note=f"{expected:,} match",
                  clock=time.perf_counter)  # fmt: skip

    data = _csv(entities)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        conn = _duckdb(entities, path)
        clause = wsql.to_sql(expr, dialect="duckdb")
        query = f"SELECT count(*) FROM {TABLE} WHERE {clause.sql}"
        got = conn.execute(query, clause.params).fetchone()[0]
        assert got == expected, (got, expected)
        bench.measure(group, "DuckDB (in process)", lambda: conn.execute(query, clause.params).fetchone(),
                      units=n, unit="row", repeats=3, note="same count", clock=time.perf_counter)  # fmt: skip
    finally:
        os.unlink(path)

    try:
        pg = _postgres(data)
    except Exception as exc:  # no server: the row says so
        bench.skip(group, "PostgreSQL", f"{type(exc).__name__}")
        return
    clause = wsql.to_sql(expr, dialect="postgres")
    query = f'SELECT count(*) FROM "{TABLE}" WHERE {clause.sql}'
    got = pg.execute(query, clause.params).fetchone()[0]
    assert got == expected, (got, expected)
    bench.measure(group, "PostgreSQL 15 (psycopg, local)", lambda: pg.execute(query, clause.params).fetchone(),
                  units=n, unit="row", repeats=3, note="same count; loaded with COPY",
                  clock=time.perf_counter)  # fmt: skip
    pg.execute(f'DROP TABLE "{TABLE}"')
    pg.close()


def run(bench: Bench) -> None:
    _compile_group(bench)
    python = os.environ.get("WHERELANG_SQLGLOTC_PYTHON")
    if python:
        _compile_group_elsewhere(bench, python)
    _filter_group(bench)


if __name__ == "__main__":  # the child of _compile_group_elsewhere
    import dataclasses
    import sys

    if "--compile-group" in sys.argv:
        child = Bench(quick="--quick" in sys.argv)
        _compile_group(child)
        print(json.dumps([dataclasses.asdict(row) for row in child.rows]))
