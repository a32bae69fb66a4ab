"""The documentation as shipped: the site builds strictly, every page is in its nav, the
README stays a front page, and no page points at a file the repository does not hold.

The examples themselves are doctests (``--doctest-glob=*.md`` over README.md and docs/ in
pyproject.toml); ``tests/test_cli.py`` runs the ``$ wherelang`` lines.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
#: What a newcomer reads: the front page, the contributors' guide and the site.
TEXTS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *PAGES]


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    """``mkdocs build --strict``: a broken link, anchor or nav entry fails the suite."""
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        pytest.fail("mkdocs-material is missing: install the test extra (pip install -e '.[test]')")
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (site / "index.html").is_file()
    # The included CONTRIBUTING.md is rendered, not left as a snippet line.
    contributing = (site / "contributing" / "index.html").read_text(encoding="utf-8")
    assert "Adding a SQL engine" in contributing and "--8&lt;--" not in contributing


def _nav_files() -> set[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text.split("\nnav:\n", 1)[1]
    return set(re.findall(r":\s*([\w./-]+\.md)\s*$", nav, re.M))


def test_every_page_is_in_the_nav() -> None:
    pages = {page.name for page in PAGES}
    assert {"index.md", "syntax.md", "errors.md", "schemas.md", "sql.md", "cli.md"} <= pages
    nav = _nav_files()
    assert pages - nav == set(), "pages missing from the nav of mkdocs.yml"
    assert nav - pages == set(), "nav entries without a page"


def test_readme_is_a_front_page() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250
    headings = [line[3:] for line in lines if line.startswith("## ")]
    for wanted in ("Install as a dependency", "Set up and test", "Quick start", "Used by", "Documentation"):
        assert wanted in headings


def test_readme_links_every_reference_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", readme))
    missing = {p.name for p in PAGES} - linked - {"index.md", "contributing.md"}
    assert not missing, f"README does not link {sorted(missing)}"


# A path of the repository written in backticks: `wherelang/text.py`, `benchmarks/bench_*.py`.
_PATH = re.compile(r"`((?:wherelang|tests|benchmarks|grammar|scripts|docs|\.ci)/[\w.*/-]*\w)`")
# A relative Markdown link: [text](docs/sql.md), [x](CONTRIBUTING.md)
_LINK = re.compile(r"\]\((?!https?:|#|mailto:)([^)#\s]+)")


@pytest.mark.parametrize("page", TEXTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_named_is_shipped(page: Path) -> None:
    """No reference to a file the repository does not hold (SPEC.md lives outside it)."""
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"\bSPEC\b", text), "SPEC is not part of the repository"
    for name in _PATH.findall(text):
        assert list(ROOT.glob(name)), f"{page.name} names {name}, which is not in the repository"
    if page.parent == DOCS:
        return  # links between pages: mkdocs build --strict checks them
    for target in _LINK.findall(text):
        assert (page.parent / target).exists(), f"{page.name} links {target}, which does not exist"
