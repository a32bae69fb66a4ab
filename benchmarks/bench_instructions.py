"""Instructions per row: the evaluate groups counted by callgrind instead of timed.

On a shared virtual machine the timed ratios of ``bench_evaluate.py`` move with the
host's load (the same code read 0.61x and 0.81x per call on the seed within an hour).
Valgrind's callgrind counts the instructions the processor runs, which do not depend on
load. One child process under callgrind filters the same Units with each expression and
each way of calling: ``builtins.filter`` with the reference lambda or the compiled
predicate called per row, and ``predicate.filter``. It runs each once (CPython
specialises the code meanwhile), then three more times between two calls of
``os.getppid``, where callgrind dumps and zeroes its counts (``--dump-before=getppid``):
the count of that stretch over its rows is the cost of one row, with start-up, imports
and compilation left out. The hash seed is fixed, or string hashes move dictionary
layouts and the counts by some 3%.

The ratio is the lambda's count over the row's: the same reading as the timed groups.
Counts miss what instructions do not show (cache misses, mispredicted branches), so
they accompany the timed rows and do not replace them. Without valgrind
(``apt-get install valgrind``) the group is skipped with the reason.
"""

from __future__ import annotations

import builtins
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import Bench

HERE = Path(__file__).resolve().parent
EXTRA = 3  # runs beyond the first; the count per row is their cost over EXTRA * rows
# what a child runs, by row name: the same calls as bench_evaluate's rows
MODES = {
    "hand-written lambda": "lambda",
    "wherelang.compile(...) called per row": "call",
    "wherelang.filter": "filter",
}
TARGETS = {"wherelang.compile(...) called per row": 0.85, "wherelang.filter": 0.9}  # issue 17


def _child(count: int) -> None:
    """Filter ``count`` Units with each expression and each mode (run under callgrind):
    a first pass, which also lets CPython specialise the code, then EXTRA passes between
    two calls of ``os.getppid``, at each of which callgrind dumps and zeroes its counts."""
    import bench_evaluate as evaluate

    import wherelang
    from wherelang import confighub

    rows = evaluate.units(count)
    unit = confighub.schema("Unit")
    for text in evaluate.NAMES:
        predicate = wherelang.compile(text, unit)
        reference = evaluate.LAMBDAS[text]
        expected = sum(1 for _ in builtins.filter(reference, rows))
        ways = {
            "lambda": lambda: builtins.filter(reference, rows),
            "call": lambda: builtins.filter(predicate, rows),
            "filter": lambda: predicate.filter(rows),
        }
        for mode in MODES.values():
            work = ways[mode]
            assert sum(1 for _ in work()) == expected, (text, mode)
            gc.disable()
            os.getppid()
            for _ in range(EXTRA):
                for _ in work():
                    pass
            os.getppid()
            gc.enable()


def _counts(valgrind: str, count: int) -> list[int]:
    """The instructions of each measured stretch of _child, in its order."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        command = [
            valgrind, "--tool=callgrind", "--dump-before=getppid", f"--callgrind-out-file={out}",
            sys.executable, __file__, "--child", str(count),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        subprocess.run(command, capture_output=True, text=True, env=env, timeout=1200, check=True)
        dumps = sorted(Path(folder).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        totals = []
        for dump in dumps:
            found = re.search(r"^summary: (\d+)", dump.read_text(errors="replace"), re.MULTILINE)
            if found is None:
                raise RuntimeError(f"no summary line in {dump.name}")
            totals.append(int(found.group(1)))
    # dump 2k ends the k-th measured stretch; the odd ones end what came before it
    return totals[1::2]


def _group(name: str, count: int) -> str:
    return f"instructions per row: {name} ({count:,} Units, callgrind)"


def run(bench: Bench) -> None:
    import bench_evaluate as evaluate

    count = 2_000 if bench.quick else 20_000
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        for name in evaluate.NAMES.values():
            bench.skip(_group(name, count), "callgrind", "valgrind is not installed (apt-get install valgrind)")
        return
    found = _counts(valgrind, count)
    expected = len(evaluate.NAMES) * len(MODES)
    if len(found) != expected:  # something else called getppid: the stretches would shift
        raise RuntimeError(f"{len(found)} measured stretches from callgrind, not {expected}")
    counts = iter(found)
    for name in evaluate.NAMES.values():
        group = _group(name, count)
        rows = {}
        for row_name, mode in MODES.items():
            per_row = next(counts) / (EXTRA * count)
            rows[row_name] = bench.record(
                group, row_name, per_row, unit="row", shown=f"{per_row:,.0f} instr",
                reference=mode == "lambda",
            )  # fmt: skip
        lam = rows["hand-written lambda"].seconds
        for row_name, target in TARGETS.items():
            row = rows[row_name]
            row.note = f"target >= {target}x the lambda: {lam / row.seconds:.2f}x in instructions"


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    sys.path.insert(0, str(HERE))
    _child(int(sys.argv[2]))
