"""A small timing harness shared by every benchmark module.

Each ``benchmarks/bench_*.py`` defines ``run(bench: Bench) -> None`` and records rows
with :meth:`Bench.measure`. Rows of one group are compared with the group's reference
row (the hand-written baseline or the fastest peer, as the module says).
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Row:
    group: str
    name: str
    seconds: float  # median seconds per unit of work
    unit: str  # what one unit is: "parse", "row", "query"
    reference: bool = False
    note: str = ""
    shown: str = ""  # what the median column shows instead of a time (a count)

    @property
    def per_second(self) -> float:
        return 1.0 / self.seconds if self.seconds else float("inf")


@dataclass
class Bench:
    quick: bool = False
    rows: list[Row] = field(default_factory=list)

    def measure(
        self,
        group: str,
        name: str,
        fn: Callable[[], Any],
        *,
        units: int = 1,
        unit: str = "call",
        reference: bool = False,
        note: str = "",
        min_time: float = 0.2,
        repeats: int = 7,
        clock: Callable[[], float] = time.process_time,
    ) -> Row:
        """Time ``fn`` (which does ``units`` units of work); keep the median per unit.

        The default clock counts this process's CPU time: steadier on a machine shared
        with other jobs. Rows whose work runs in another process or in several threads
        (a database) pass ``clock=time.perf_counter``, and so does their reference."""
        if self.quick:
            min_time, repeats = min_time / 10, 3
        fn()  # warm up: imports, caches of the library under test
        number = 1
        while True:
            start = clock()
            for _ in range(number):
                fn()
            elapsed = clock() - start
            if elapsed >= min_time / repeats or number >= 1 << 20:
                break
            number *= 2
        samples = []
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for _ in range(repeats):
                start = clock()
                for _ in range(number):
                    fn()
                samples.append((clock() - start) / number / units)
        finally:
            if gc_was_enabled:
                gc.enable()
        row = Row(group, name, statistics.median(samples), unit, reference, note)
        self.rows.append(row)
        return row

    def record(
        self, group: str, name: str, value: float, *, unit: str, shown: str,
        reference: bool = False, note: str = "",
    ) -> Row:
        """A row measured some other way than by the clock (an instruction count):
        ``value`` takes the place of the seconds in the ratio, ``shown`` of the time."""
        row = Row(group, name, value, unit, reference, note, shown)
        self.rows.append(row)
        return row

    def interleaved(self, group: str, entries: list[dict[str, Any]], rounds: int = 3) -> list[Row]:
        """Measure ``entries`` (keyword arguments of :meth:`measure`) round-robin,
        ``rounds`` times, and keep each one's fastest median: other jobs on a shared
        machine slow some rows and not others, and a row measured next to its reference
        sees the same load. Returns the rows in the order of ``entries``."""
        best: dict[str, Row] = {}
        for _ in range(1 if self.quick else rounds):
            for entry in entries:
                row = self.measure(group, **entry)
                self.rows.remove(row)
                if entry["name"] not in best or row.seconds < best[entry["name"]].seconds:
                    best[entry["name"]] = row
        rows = [best[entry["name"]] for entry in entries]
        self.rows.extend(rows)
        return rows

    def skip(self, group: str, name: str, reason: str) -> None:
        self.rows.append(Row(group, name, float("nan"), "", False, f"skipped: {reason}"))


def format_time(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "-"
    for scale, suffix in ((1e-6, "ns"), (1e-3, "µs"), (1.0, "ms")):
        if seconds < scale:
            return f"{seconds / scale * 1000:.1f} {suffix}"
    return f"{seconds:.2f} s"


def table(rows: list[Row]) -> str:
    """A Markdown table; ratio = reference time / row time (above 1: faster than it)."""
    lines = [
        "| group | implementation | median per unit | per second | vs reference | note |",
        "|---|---|---:|---:|---:|---|",
    ]
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    for group, members in groups.items():
        refs = [r for r in members if r.reference]
        ref = refs[0] if refs else None
        for row in members:
            if row.seconds != row.seconds:
                ratio = "-"
                per_second = "-"
            else:
                counted = row.unit and not row.shown
                per_second = f"{row.per_second:,.0f}/{row.unit}" if counted else "-"
                ratio = (
                    "reference"
                    if row is ref
                    else (f"{ref.seconds / row.seconds:.2f}x" if ref else "-")
                )
            lines.append(
                f"| {group} | {row.name} | {row.shown or format_time(row.seconds)} | {per_second} "
                f"| {ratio} | {row.note} |"
            )
    return "\n".join(lines)
