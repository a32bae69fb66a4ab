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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("only", nargs="*", help="module names without bench_ (default: all)")
    parser.add_argument("--quick", action="store_true", help="short timings, for smoke tests")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"), help="Markdown file to write")
    args = parser.parse_args(argv)

    bench = Bench(quick=args.quick)
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
    text = f"Machine: {machine()}. Run: {stamp}{' (quick)' if args.quick else ''}.\n\n{table(bench.rows)}\n"
    print(text)
    if not args.quick and not args.only:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
