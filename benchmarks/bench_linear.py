"""Growth with input size: every stage, doubling series up to the default max_length.

Each stage (parse, validate, compile to a Predicate, to_sql, to_where) runs on inputs of
8, 16, 32, 64 and 128 KB (the last just under ``Limits().max_length``), uncached, and
each row is the time per KB of input. The reference of a series is its smallest input,
so a ratio near 1 down the series means linear; a ratio that halves at each doubling
means quadratic. Two families of input:

- ``mixed``: an OR of AND groups with IN, NOT, LEN, a time, a quoted key and a regex
  (extended syntax), as a generated filter might look;
- ``distinct map keys``: an AND of equalities on different keys of one map
  (``Labels.k0 = 'v0' AND Labels.k1 = 'v1' AND ...``), the hostile case of issue 10
  (item 14) for the evaluator, whose compile was quadratic in it.

Times are CPU time of this process (the machine is shared). A series stops when one call
takes longer than a budget (5 s, 1 s under ``--quick``), and says so in the table, so
that a quadratic stage cannot hold the whole run.

The memory group parses and compiles a 128 KB expression under tracemalloc and prints
the peak of Python allocations beside the issue's limit (50 MB).
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any, Callable

from harness import Bench, Row

import wherelang
from wherelang import Limits, confighub
from wherelang.evaluate import Predicate
from wherelang.validate import validate

UNIT = confighub.schema("Unit")
SIZES = (8, 16, 32, 64, 128)  # KB
MEMORY_LIMIT_MB = 50


def _joined(size: int, joiner: str, part: Callable[[int], str]) -> str:
    """Parts joined by ``joiner``, as many as fit in ``size`` characters."""
    parts: list[str] = []
    total = 0
    i = 0
    while True:
        piece = part(i)
        if parts and total + len(joiner) + len(piece) > size:
            return joiner.join(parts)
        total += len(piece) + (len(joiner) if parts else 0)
        parts.append(piece)
        i += 1


def mixed(size: int) -> str:
    return _joined(
        size,
        " OR ",
        lambda i: (
            f"(Slug = 'app-{i}' AND Labels.tier IN ('a', 'b', 'c') AND NOT LEN(ApplyGates) > {i})"
            if i % 2 == 0
            else f"(CreatedAt >= '2025-01-07' AND Labels.'app.kubernetes.io/name' ~ '^x{i}$')"
        ),
    )


def distinct_keys(size: int) -> str:
    return _joined(size, " AND ", lambda i: f"Labels.key{i} = 'v{i}'")


FAMILIES: dict[str, Callable[[int], str]] = {"mixed": mixed, "distinct map keys": distinct_keys}


def _stages(text: str) -> dict[str, Callable[[], Any]]:
    tree = wherelang.parse(text, extended=True, cache=False)
    typed = validate(tree, UNIT)
    return {
        "parse": lambda: wherelang.parse(text, extended=True, cache=False),
        "validate": lambda: validate(tree, UNIT),
        "compile": lambda: Predicate(typed, UNIT),
        "to_sql": lambda: wherelang.to_sql(typed, cache=False),
        "to_where": lambda: typed.to_where(extended=True),
    }


def _timed(fn: Callable[[], Any]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def run(bench: Bench) -> None:
    budget = 1.0 if bench.quick else 5.0
    max_length = Limits().max_length
    stopped: dict[tuple[str, str], str] = {}  # (family, stage) -> why the series stopped
    refs: dict[tuple[str, str], Row] = {}
    fits: dict[str, bool] = {}  # family -> compile of the largest input stayed in budget
    for family, make in FAMILIES.items():
        for kb in SIZES:
            text = make(min(kb * 1024, max_length))
            for stage, fn in _stages(text).items():
                group = f"linear: {stage} ({family})"
                name = f"{stage} {kb} KB"
                why = stopped.get((family, stage))
                if why:
                    bench.skip(group, name, why)
                    continue
                once = _timed(fn)  # also the warm-up
                if once > budget:
                    stopped[(family, stage)] = f"stopped: {kb} KB took {once:.1f} s (budget {budget} s)"
                    bench.skip(group, name, stopped[(family, stage)])
                    continue
                if stage == "compile" and kb == SIZES[-1]:
                    fits[family] = True
                row = bench.measure(
                    group, name, fn, units=len(text) / 1024, unit="KB",
                    reference=kb == SIZES[0], min_time=0.1 if bench.quick else 0.5, repeats=3,
                )  # fmt: skip
                ref = refs.setdefault((family, stage), row)
                row.note = f"{len(text):,} characters; ratio ~1 = linear"
                if kb == SIZES[-1]:
                    row.note += f"; x{ref.seconds / row.seconds:.2f} of the {SIZES[0]} KB rate"
    _memory(bench, fits)


def _memory(bench: Bench, fits: dict[str, bool]) -> None:
    group = f"memory: parse + compile a {SIZES[-1]} KB expression (tracemalloc)"
    size = min(SIZES[-1] * 1024, Limits().max_length)
    for family, make in FAMILIES.items():
        name = f"peak of parse + validate + compile ({family})"
        if family != "mixed" and not fits.get(family):  # it could run for minutes
            bench.skip(group, name, "its compile did not fit the time budget above")
            continue
        text = make(size)
        wherelang.parse("Slug = 'x'", schema=UNIT)  # the parser and schema caches, built once
        tracemalloc.start()
        try:
            start = time.process_time()
            Predicate(wherelang.parse(text, schema=UNIT, extended=True, cache=False), UNIT)
            seconds = time.process_time() - start
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        mb = peak / 2**20
        verdict = "meets" if mb < MEMORY_LIMIT_MB else "misses"
        bench.rows.append(
            Row(group, name, seconds, "expression",
                note=f"peak {mb:.1f} MB for {len(text):,} characters: {verdict} the target "
                f"< {MEMORY_LIMIT_MB} MB (time under tracemalloc)")  # fmt: skip
        )
