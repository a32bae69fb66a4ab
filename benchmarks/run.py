"""Run every benchmark of the project and print one table.

    .venv/bin/pip install -e '.[test,bench]'
    .venv/bin/python benchmarks/run.py            # full run; writes benchmarks/RESULTS.md
    .venv/bin/python benchmarks/run.py --quick    # a fast smoke run
    .venv/bin/python benchmarks/run.py parse      # only bench_parse.py

Each ``bench_*.py`` module beside this file contributes rows through ``run(bench)``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import traceback
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Bench, table  # noqa: E402


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


Ticks = tuple[int, int] | None  # (ticks stolen by the host, all ticks), or unknown


def _cpu_ticks() -> Ticks:
    """(ticks stolen by the host, all ticks) of every CPU so far, from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
        values = [int(v) for v in fields]
    except (OSError, IndexError, ValueError):
        return None
    return (values[7], sum(values)) if len(values) == 8 else None


def quietness(load: float | None, start: Ticks, end: Ticks) -> str:
    """How quiet the run was: the load average before it, and the share of CPU time the
    host took from this virtual machine meanwhile (steal), where the system tells."""
    parts = []
    if load is not None:
        parts.append(f"load average {load:.2f} at the start")
    if start is not None and end is not None and end[1] > start[1]:
        stolen = 100 * (end[0] - start[0]) / (end[1] - start[1])
        parts.append(f"{stolen:.1f}% of CPU time stolen by the host")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("only", nargs="*", help="module names without bench_ (default: all)")
    parser.add_argument("--quick", action="store_true", help="short timings, for smoke tests")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"), help="Markdown file to write")
    args = parser.parse_args(argv)

    bench = Bench(quick=args.quick)
    try:
        load: float | None = os.getloadavg()[0]
    except OSError:
        load = None
    ticks = _cpu_ticks()
    modules = sorted(HERE.glob("bench_*.py"))
    for path in modules:
        name = path.stem.removeprefix("bench_")
        if args.only and name not in args.only:
            continue
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        try:
            spec = importlib.util.spec_from_file_location(path.stem, path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            module.run(bench)
        except Exception:  # one broken module is a row of the table, not a lost run
            traceback.print_exc()
            error = traceback.format_exc(limit=0).strip().splitlines()[-1]
            bench.skip(f"{path.stem}.py", "the whole module", f"failed: {error}")

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    quiet = quietness(load, ticks, _cpu_ticks())
    text = (
        f"Machine: {machine()}. Run: {stamp}{' (quick)' if args.quick else ''}"
        f"{f' ({quiet})' if quiet else ''}.\n\n{table(bench.rows)}\n"
    )
    print(text)
    if not args.quick and not args.only:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
