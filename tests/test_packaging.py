"""The package as a newcomer gets it: the wheel ships the grammar, CI runs the README."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("hatchling") is None:
        pytest.fail("hatchling is missing: install the test extra (pip install -e '.[test]')")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("wherelang-*.whl")
    return built


def test_wheel_ships_the_grammar_inside_the_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "wherelang/grammar/where.lark" in names
        shipped = archive.read("wherelang/grammar/where.lark").decode("utf-8")
        assert "wherelang/py.typed" in names
    assert shipped == (ROOT / "grammar" / "where.lark").read_text(encoding="utf-8")


def test_installed_wheel_parses_with_its_own_grammar(wheel: Path, tmp_path: Path) -> None:
    """Unpacked on its own (no source tree beside it), the package finds its grammar."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path)
    code = (
        "import wherelang, wherelang.parser as p; "
        "assert wherelang.__file__.startswith(%r), wherelang.__file__; "
        "print(wherelang.parse(\"Slug='x' AND LEN(a) > 0\").to_where())"
    ) % str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Slug = 'x' AND LEN(a) > 0"


def readme_ci_block() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- ci:begin -->\n```\n(.*?)```\n<!-- ci:end -->", text, re.S)
    assert block, "README has no ci block between <!-- ci:begin --> and <!-- ci:end -->"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_ci_block_holds_the_setup_and_test_commands() -> None:
    setup, test = readme_ci_block()
    assert "pip install" in setup and "'.[test]'" in setup
    assert "venv" in setup
    assert test.startswith(".venv/bin/python -m pytest")


def test_ci_runs_exactly_the_readme_commands() -> None:
    """.ci/run reads its commands from the README; run that extraction and compare."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    extraction = re.search(r"^commands=\$\((.*)\)$", script, re.M)
    assert extraction, ".ci/run no longer reads the README's ci block"
    result = subprocess.run(
        ["bash", "-c", extraction.group(1)], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stdout.splitlines() if line.strip()]
    assert commands == readme_ci_block()
    # and .ci/run executes each of them
    assert 'bash -c "$line"' in script
