"""The wherelang command line, run as the real console script in a subprocess."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from wherelang import ListQuery, confighub, parse, sample

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = shutil.which("wherelang", path=str(Path(sys.executable).parent))
UNITS = sample.entities("Unit")


def run(*args: str, stdin: str | None = None, module: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "wherelang"] if module or SCRIPT is None else [SCRIPT]
    return subprocess.run(
        [*command, *args], input=stdin, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip


def run_all(calls: list[tuple[list[str], str | None]]) -> list[subprocess.CompletedProcess[str]]:
    """Run several commands at once (each is a separate process)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda call: run(*call[0], stdin=call[1]), calls))


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_the_console_script_is_installed() -> None:
    assert SCRIPT is not None, "the wherelang console script is not next to the interpreter"


def test_filter_the_sample() -> None:
    where = "Labels.tier = 'backend' AND LEN(ApplyGates) > 0"
    result = run("filter", "--sample", "--where", where)
    assert result.returncode == 0, result.stderr
    got = lines(result.stdout)
    assert [u["UnitID"] for u in got] == [
        u["UnitID"] for u in UNITS if u["Labels"].get("tier") == "backend" and u["ApplyGates"]
    ]
    assert got and got[0] == next(u for u in UNITS if u["UnitID"] == got[0]["UnitID"])


def test_filter_with_every_parameter() -> None:
    backend = next(f for f in sample.entities("Filter") if f["Slug"] == "backend-units")
    args = ["--entity", "Unit", "--filter", backend["FilterID"], "--contains", "LEDGER",
            "--select", "DisplayName", "--include", "SpaceID", "--where", "HeadRevisionNum > 1"]  # fmt: skip
    result = run("filter", "--sample", *args[2:])
    assert result.returncode == 0, result.stderr
    query = ListQuery.from_params(
        {"filter": backend["FilterID"], "contains": "LEDGER", "select": "DisplayName",
         "include": "SpaceID", "where": "HeadRevisionNum > 1"}, schema="Unit",
    )  # fmt: skip
    store = sample.store()
    expected = list(query.apply(UNITS, filters=store, resolver=store))
    assert lines(result.stdout) == expected and expected


def test_filter_reads_json_arrays_and_json_lines(tmp_path: Path) -> None:
    units = [{"Slug": "a", "Labels": {"tier": "x"}}, {"Slug": "b"}, {"Slug": "c", "Labels": {"tier": "x"}}]
    array = tmp_path / "units.json"
    array.write_text(json.dumps(units))
    result = run("filter", "--entity", "Unit", "--where", "Labels.tier = 'x'", str(array))
    assert [u["Slug"] for u in lines(result.stdout)] == ["a", "c"]
    jsonl = "\n".join(json.dumps(u) for u in units) + "\n\n"
    result = run("filter", "--entity", "Unit", "--where", "Slug != 'a'", "--select", "Slug",
                 stdin=jsonl)  # fmt: skip
    assert lines(result.stdout) == [
        {"OrganizationID": None, "Slug": s, "SpaceID": None, "UnitID": None} for s in ("b", "c")
    ]
    assert run("filter", "--entity", "Unit", "--count", str(array)).stdout == "3\n"


def test_filter_include_with_related_files(tmp_path: Path) -> None:
    spaces = tmp_path / "spaces.jsonl"
    spaces.write_text('{"SpaceID": "2ec6898e-1d06-42fa-9381-c011e042b77f", "Slug": "prod"}\n')
    unit = {"UnitID": "u", "SpaceID": "2EC6898E-1D06-42FA-9381-C011E042B77F", "Slug": "a"}
    result = run("filter", "--entity", "Unit", "--include", "SpaceID",
                 "--related", f"Space={spaces}", stdin=json.dumps(unit))  # fmt: skip
    assert lines(result.stdout) == [{"Unit": unit, "Space": json.loads(spaces.read_text())}]


INVALID = [
        (["filter", "--entity", "Unit"], "{bad json}\n", "<stdin>, line 1: not JSON"),
        (["filter", "--entity", "Unit"], '{"Slug": "a"}\n[1,\n', "line 2: not JSON"),
        (["filter", "--entity", "Unit", "/nonexistent/x.json"], None, "cannot read /nonexistent/x.json"),
        (["filter", "--sample", "--where", "Slug == 'x'"], None, "unknown operator '=='"),
        (["filter", "--sample", "--select", "Nope"], None, "select: unknown attribute 'Nope'"),
        (["filter", "--sample", "--include", "Slug"], None, "include: Unit cannot include Slug"),
        (["filter", "--sample", "--filter", "xyz"], None, "filter: 'xyz' is not a filter ID"),
        (["check", "--schema", "/nonexistent.json", "Slug = 'a'"], None, "cannot read schema file"),
        (["describe", "Unitt"], None, "did you mean 'Unit'?"),
]


def test_invalid_input_exits_1() -> None:
    for (args, stdin, message), result in zip(INVALID, run_all([(a, s) for a, s, _ in INVALID])):
        assert result.returncode == 1, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_check() -> None:
    result = run("check", "--entity", "Unit", "createdat >= '2025-01-07' AND Slug='x'")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines()[1:] == [
        "  createdat >= '2025-01-07' AND Slug='x'",
        "  ^^^^^^^^^",
        "hint: did you mean 'CreatedAt'?",
    ]
    ok = run("check", "--entity", "Unit", "CreatedAt >= '2025-01-07' AND Slug='x'")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "CreatedAt >= '2025-01-07' AND Slug = 'x'\n", "")
    # standard input: one expression per line, as fmt reads it
    assert run("check", stdin="a = 1 AND b = 2\n\nslug='x'\n").stdout == "a = 1 AND b = 2\nslug = 'x'\n"
    assert run("check", "a = 1 OR b = 2").returncode == 1
    assert run("check", "--extended", "a = 1 OR b = 2").stdout == "a = 1 OR b = 2\n"


def test_check_json() -> None:
    bad = run("check", "--json", "--entity", "Unit", "Slug ~ '('")
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert report["valid"] is False and report["error"]["code"] == "unsupported-regex"
    good = json.loads(run("check", "--json", "Slug = 'a b'").stdout)
    assert good == {"valid": True, "where": "Slug = 'a b'", "query": "Slug%20%3D%20%27a%20b%27"}


def test_fmt_reports_each_bad_line() -> None:
    result = run("fmt", stdin="slug='a'\n\nSlug == 'b'\nlen(x)>0\n")
    assert result.returncode == 1
    # one output line per input line, so that output stays aligned with the input
    assert result.stdout == "slug = 'a'\n\n\nLEN(x) > 0\n"
    # one line/column scheme: the input's own
    assert result.stderr.splitlines()[:3] == [
        "error: unknown operator '==' (line 3, column 6)", "  Slug == 'b'", "       ^^"]
    # check reads standard input the same way, and says the same
    check = run("check", stdin="slug='a'\n\nSlug == 'b'\nLEN(x)>0\n")  # check: strict
    assert (check.returncode, check.stdout) == (1, "slug = 'a'\nLEN(x) > 0\n")
    assert check.stderr == result.stderr


def test_encode_and_decode() -> None:
    encoded = run("encode", "Slug IN ('a b', 'c')").stdout.strip()
    assert encoded == parse("Slug IN ('a b', 'c')").to_query()
    assert run("decode", encoded).stdout == "Slug IN ('a b', 'c')\n"
    assert run("decode", "Slug+%3D+%27a%27").stdout == "Slug = 'a'\n"
    assert run("encode", "--raw", "not parsed ==").stdout == "not%20parsed%20%3D%3D\n"
    assert run("encode", "Slug ==").returncode == 1
    bad = run("decode", "%FF")
    assert bad.returncode == 1 and "UTF-8" in bad.stderr


def test_encode_and_decode_list_parameters() -> None:
    result = run("encode", "--entity", "Unit", "--where", "slug = 'a'".title().replace("'A'", "'a'"),
                 "--select", "DisplayName", "--contains", "x y")  # fmt: skip
    query_string = result.stdout.strip()
    assert query_string == "where=Slug%20%3D%20%27a%27&contains=x%20y&select=DisplayName"
    decoded = run("decode", "--params", "--entity", "Unit", query_string)
    assert json.loads(decoded.stdout) == {"where": "Slug = 'a'", "contains": "x y", "select": "DisplayName"}
    loose = run("decode", "--params", "where=a+%3D+1&other=x")
    assert json.loads(loose.stdout) == {"where": "a = 1", "other": "x"}
    assert run("encode", "--where", "Slug = 'a'").returncode == 2  # needs a schema


def test_sql(tmp_path: Path) -> None:
    result = run("sql", "--entity", "Unit", "--dialect", "postgres", "Labels.tier = 'backend'",
                 "--select", "Slug")  # fmt: skip
    assert result.returncode == 0, result.stderr
    first, params = result.stdout.splitlines()
    expected = ListQuery(schema="Unit", where="Labels.tier = 'backend'", select=["Slug"]).to_sql()
    assert first == expected.sql
    assert json.loads(params.removeprefix("-- params: ")) == list(expected.params)
    clause = run("sql", "--entity", "Unit", "--extended", "--clause", "--inline", "Slug = 'it''s'")
    assert clause.stdout == "\"Slug\" = 'it''s'\n"
    assert run("sql", "Slug = 'a'").returncode == 2


def test_entities_and_describe(tmp_path: Path) -> None:
    listing = run("entities").stdout.splitlines()
    assert listing[0].split() == ["ENTITY", "ID", "FILTERABLE", "INCLUDABLE"]
    assert [line.split()[0] for line in listing[1:]] == list(confighub.names())
    described = run("describe", "Unit").stdout
    assert re.search(r"^Labels\s+map of string to string\s+filterable, searchable$", described, re.M)
    assert re.search(r"^Space\s+SpaceID\s+Space\s+yes$", described, re.M)
    # describe --json is a schema file for --schema.
    schema_file = tmp_path / "unit.json"
    schema_file.write_text(run("describe", "--json", "Unit").stdout)
    again = run("check", "--schema", str(schema_file), "Labels.tier = 'x' AND LEN(FromLinkID) > 0")
    assert again.returncode == 0, again.stderr
    assert run("check", "--schema", str(schema_file), "Data = 'x'").returncode == 1  # not filterable
    custom = tmp_path / "thing.json"
    custom.write_text(json.dumps({"name": "Thing", "attributes": {"size": "int"}}))
    assert run("check", "--schema", str(custom), "size > 'big'").returncode == 1
    assert run("filter", "--schema", str(custom), "--where", "size > 2",
               stdin='{"size": 3}\n{"size": 1}\n').stdout == '{"size": 3}\n'  # fmt: skip


USAGE = [[], ["bogus"], ["check", "--nope"], ["filter", "--where", "Slug = 'a'"], ["filter", "--sample", "--limit", "-1"],
         ["filter", "--sample", "x.json"], ["describe"], ["check", "--entity", "Unit", "--schema", "f"]]  # fmt: skip


def test_usage_errors_exit_2() -> None:
    for args, result in zip(USAGE, run_all([(a, "") for a in USAGE])):
        assert result.returncode == 2, args
        assert "usage: wherelang" in result.stderr, args


def test_python_dash_m() -> None:
    result = run("check", "Slug='x'", module=True)
    assert (result.returncode, result.stdout) == (0, "Slug = 'x'\n")


# --- the README's examples --------------------------------------------------------------


def _readme_examples() -> list[tuple[str, str]]:
    """The ``$ wherelang`` lines of the README's quick start and of docs/cli.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    section = quick_start + "\n" + (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    examples = []
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        for chunk in re.split(r"^(?=\$ )", block, flags=re.M):
            if chunk.startswith("$ "):
                command, _, output = chunk[2:].partition("\n")
                examples.append((command, output))
    return examples


README_EXAMPLES = _readme_examples()


def test_the_readme_has_command_line_examples() -> None:
    assert len(README_EXAMPLES) >= 5


def test_readme_command_line_examples() -> None:
    """Each ``$ wherelang ...`` line prints what the README or docs/cli.md shows (stderr included)."""
    calls = []
    for command, _ in README_EXAMPLES:
        words = shlex.split(command)
        # The quick start calls the script in the README's venv: .venv/bin/wherelang.
        assert words[0] in ("wherelang", ".venv/bin/wherelang")
        calls.append((words[1:], None))
    for (command, output), result in zip(README_EXAMPLES, run_all(calls)):
        assert result.stdout + result.stderr == output, command
