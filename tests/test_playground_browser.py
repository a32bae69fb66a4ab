"""The playground page in headless Chromium (Debian's package, driven by Playwright; no
browser is downloaded), against a real server process on 127.0.0.1.

Against `wherelang serve`. What a person sees: a typo's caret and did-you-mean, the rows of ListQuery.apply page by
page, SQL that runs on SQLite and returns those rows, completion by keyboard, a link that
reopens the query, hostile input shown as text and never run. Screenshots at 1280 and
360 px are written to ``$WHERELANG_ARTIFACTS`` (default ``tmp/artifacts``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import unavailable
from wherelang import ListQuery, confighub, sample, sql
from wherelang.validate import allowed_operators

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("WHERELANG_ARTIFACTS", ROOT / "tmp" / "artifacts"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TIMEOUT_MS = 15_000


def chromium() -> str:
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    unavailable("chromium", "Debian's chromium package is not installed (apt-get install chromium)")
    raise AssertionError("unreachable")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``wherelang serve`` (the sample in a new SQLite file) as a process on 127.0.0.1,
    stopped when the tests are done."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wherelang", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"the server stopped at start: {err[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/_config", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not answer within 60 s")

    def alive(self) -> bool:
        """The process runs and answers."""
        if self.process.poll() is not None:
            return False
        with urllib.request.urlopen(self.url + "/_config", timeout=5) as answer:
            return bool(answer.status == 200)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright", "the python package is missing (install the test extra)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        # A persistent context is the only way to hand chromium a fresh --user-data-dir.
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=path, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        context.set_default_timeout(TIMEOUT_MS)
        yield context
        context.close()


class Page:
    """One tab of the playground, with what went wrong in it recorded."""

    def __init__(self, context: Any, server: Server, width: int = 1280) -> None:
        self.tab = context.new_page()
        self.tab.set_viewport_size({"width": width, "height": 900})
        self.server = server
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.tab.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.tab.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, query: str = "") -> Page:
        self.tab.goto(self.server.url + "/" + query)
        self.tab.wait_for_selector("body[data-ready=true]")
        self.settle()
        return self

    def settle(self) -> None:
        """Wait until every answer for what was typed has arrived."""
        self.tab.wait_for_selector('body[data-busy="false"]')

    def type_where(self, text: str) -> None:
        self.tab.fill("#where", text)
        self.settle()

    def text(self, selector: str) -> str:
        return str(self.tab.locator(selector).text_content() or "")

    def row_ids(self) -> list[str]:
        """The IDs of the rows shown on every page, turning pages with the Next button."""
        ids: list[str] = []
        while True:
            ids += self.tab.eval_on_selector_all("#rows tbody tr", "rows => rows.map(r => r.dataset.id)")
            if self.tab.is_disabled("#next"):
                return ids
            self.tab.click("#next")
            self.settle()

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.tab.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    def close(self) -> None:
        self.tab.close()
        assert not self.errors, f"script errors in the page: {self.errors}"
        assert not self.dialogs, f"the page opened dialogs: {self.dialogs}"


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Page]:
    tab = Page(browser, server)
    yield tab
    tab.close()


def apply_ids(entity: str, **params: Any) -> list[str]:
    schema = confighub.schema(entity)
    query = ListQuery(schema=schema, **params)
    store = sample.store()
    found = query.apply(sample.entities(entity), filters=store, resolver=store)
    return [str((item[entity] if query.include else item)[schema.id]) for item in found]


@pytest.fixture(scope="module")
def db() -> sqlite3.Connection:
    """The sample in SQLite, a table per entity type named after it (the page's SQL)."""
    conn = sql.prepare_sqlite(sqlite3.connect(":memory:"))
    for name in sample.names():
        schema = confighub.schema(name)
        conn.execute(sql.create_table(schema, "sqlite", table=name))
        conn.executemany(sql.insert_statement(schema, "sqlite", table=name),
                         [sql.row(schema, e, "sqlite") for e in sample.entities(name)])  # fmt: skip
    return conn


# --- errors -------------------------------------------------------------------------------


def test_a_typo_shows_the_caret_and_did_you_mean(page: Page) -> None:
    page.open()
    page.type_where("Labels.tier = 'backend' AND Slgu = 'x'")
    status = page.tab.locator("#status")
    assert status.get_attribute("aria-live") == "polite"  # announced to screen readers
    assert "invalid" in (status.get_attribute("class") or "")
    said = page.text("#status")
    assert "unrecognized attribute name `Slgu`" in said and "(line 1, column 29)" in said
    assert "hint: did you mean 'Slug'?" in said
    shown, marks = page.text("#caret").split("\n")
    assert shown == "  Labels.tier = 'backend' AND Slgu = 'x'"
    assert marks == "  " + " " * 28 + "^^^^"
    assert page.tab.is_visible("#caret")
    assert page.text("#canonical") == "" and page.text("#sql") == ""
    assert page.tab.locator("#rows tbody tr").count() == 0
    # fixing it brings everything back
    page.type_where("Labels.tier = 'backend' AND Slug = 'x'")
    assert page.text("#status").startswith("valid")
    assert not page.tab.is_visible("#caret")
    assert page.text("#canonical") == "Labels.tier = 'backend' AND Slug = 'x'"


def test_a_strict_or_says_to_use_the_extended_level(page: Page) -> None:
    page.open()
    page.type_where("Slug = 'a' OR Slug = 'b'")
    assert "extended" in page.text("#status")
    page.tab.check("#level-extended")
    page.settle()
    assert page.text("#canonical") == "Slug = 'a' OR Slug = 'b'"


# --- rows and SQL -------------------------------------------------------------------------

WHERE = "Labels.tier = 'backend' AND LEN(ApplyGates) >= 0"


def test_a_valid_query_shows_the_rows_of_list_query_apply(page: Page) -> None:
    page.open()
    page.tab.fill("#include", "SpaceID")
    page.type_where(WHERE)
    expected = apply_ids("Unit", where=WHERE, include=["SpaceID"])
    assert len(expected) > 40  # more than two pages of 20
    assert page.text("#rows-status").startswith("Rows 1–20")
    assert "Space.Slug" in page.tab.eval_on_selector_all("#rows th", "h => h.map(x => x.textContent)")
    shown = page.row_ids()
    assert sorted(shown) == sorted(expected)
    assert len(shown) == len(set(shown))
    assert page.text("#page") == f"Page {(len(expected) + 19) // 20}"
    page.tab.click("#prev")
    page.settle()
    assert page.text("#page") == f"Page {(len(expected) + 19) // 20 - 1}"


def test_order_by_shows_the_rows_in_the_order_of_apply_across_pages(page: Page) -> None:
    page.open()
    page.tab.fill("#order_by", "DESC:HeadRevisionNum")  # many ties: the ID breaks them
    page.type_where("Labels.tier = 'backend'")
    assert "order_by=DESC%3AHeadRevisionNum" in page.text("#url")
    expected = apply_ids("Unit", where="Labels.tier = 'backend'", order_by="DESC:HeadRevisionNum")
    assert len(expected) > 40
    assert page.row_ids() == expected
    page.tab.fill("#order_by", "DESC:Nope")
    page.settle()
    assert "order_by" in page.text("#status") and page.tab.is_visible("#caret")


def test_contains_and_select_narrow_the_rows(page: Page) -> None:
    page.open()
    page.tab.fill("#contains", "ledger")
    page.tab.fill("#select", "DisplayName")
    page.type_where("Labels.tier = 'backend'")
    expected = apply_ids("Unit", where="Labels.tier = 'backend'", contains="ledger",
                         select=["DisplayName"])  # fmt: skip
    assert sorted(page.row_ids()) == sorted(expected) and expected
    headers = page.tab.eval_on_selector_all("#rows th", "h => h.map(x => x.textContent)")
    returned = ListQuery(schema="Unit", where="Labels.tier = 'backend'", contains="ledger",
                         select=["DisplayName"]).returned()  # fmt: skip
    assert set(headers[:-1]) == set(returned or ())


def test_the_sql_shown_runs_on_sqlite_and_returns_the_same_rows(page: Page, db: sqlite3.Connection) -> None:
    page.open()
    page.tab.fill("#include", "SpaceID")
    page.type_where(WHERE + " AND Space.Labels.Environment != 'dev'")
    assert page.tab.input_value("#dialect") == "sqlite"
    statement = page.text("#sql")
    params = [json.loads(p) for p in
              page.tab.eval_on_selector_all("#params li code", "c => c.map(x => x.textContent)")]  # fmt: skip
    assert statement.startswith("SELECT ") and params
    cursor = db.execute(statement, params)
    index = [d[0] for d in cursor.description].index("UnitID")
    from_sql = sorted(row[index] for row in cursor.fetchall())
    expected = apply_ids("Unit", where=WHERE + " AND Space.Labels.Environment != 'dev'",
                         include=["SpaceID"])  # fmt: skip
    assert from_sql == sorted(expected) and expected
    assert sorted(page.row_ids()) == from_sql
    # another dialect: PostgreSQL's placeholders
    page.tab.select_option("#dialect", "postgres")
    page.settle()
    assert "%s" in page.text("#sql") and "?" not in page.text("#sql").replace("jsonb_exists", "")


# --- completion, the link, accessibility ------------------------------------------------------


def options(page: Page) -> list[str]:
    page.tab.wait_for_selector("#suggestions:not([hidden])")
    return [str(x) for x in page.tab.eval_on_selector_all("#suggestions li .label", "o => o.map(x => x.textContent)")]


def test_completion_by_keyboard_names_keys_and_operators(page: Page) -> None:
    page.open()
    page.tab.fill("#where", "")
    page.tab.focus("#where")
    page.tab.keyboard.type("Lab")
    assert options(page)[0] == "Labels"
    assert page.tab.get_attribute("#where", "aria-expanded") == "true"
    page.tab.keyboard.press("Enter")
    assert page.tab.input_value("#where") == "Labels"
    page.tab.keyboard.type(".ti")
    assert options(page) == ["Labels.tier"]  # a key seen in the sample data
    page.tab.keyboard.press("Tab")
    assert page.tab.input_value("#where") == "Labels.tier"
    page.tab.keyboard.type(" ")
    string_ops = [op for op in allowed_operators(confighub.schema("Unit").attributes["Slug"].type)
                  if op != "LEN()"]  # fmt: skip
    assert options(page) == string_ops  # a map of strings: its values take the string operators
    page.tab.keyboard.press("ArrowDown")  # the second: !=
    page.tab.keyboard.press("Enter")
    assert page.tab.input_value("#where") == "Labels.tier != "
    page.tab.keyboard.press("Escape")
    assert page.tab.is_hidden("#suggestions")
    page.tab.keyboard.type("'x' AND HeadRevisionNum ")
    int_ops = options(page)
    assert "LIKE" not in int_ops and "<" in int_ops and "IN" in int_ops
    page.tab.keyboard.press("Escape")
    page.tab.keyboard.type("> 1 AND Space.La")
    assert options(page) == ["Space.Labels"]  # the related Space's attributes
    page.tab.keyboard.press("Enter")
    page.tab.keyboard.type(".Env")
    assert options(page) == ["Space.Labels.Environment"]
    page.tab.keyboard.press("Enter")
    page.tab.keyboard.type(" = 'prod'")
    page.settle()
    assert page.text("#canonical") == \
        "Labels.tier != 'x' AND HeadRevisionNum > 1 AND Space.Labels.Environment = 'prod'"  # fmt: skip


def test_the_link_reopens_the_same_query(page: Page, browser: Any, server: Server) -> None:
    page.open()
    page.tab.check("#level-extended")
    page.tab.fill("#contains", "pay ments")
    page.tab.fill("#include", "SpaceID")
    page.tab.select_option("#dialect", "duckdb")
    page.type_where("Slug LIKE 'pay%' OR NOT Labels.tier = 'data & more'")
    link = page.tab.get_attribute("#permalink", "href")
    assert link and link.startswith("?")
    canonical, sql_text = page.text("#canonical"), page.text("#sql")
    other = Page(browser, server).open(link)
    try:
        assert other.tab.is_checked("#level-extended")
        assert other.tab.input_value("#where") == "Slug LIKE 'pay%' OR NOT Labels.tier = 'data & more'"
        assert other.tab.input_value("#contains") == "pay ments"
        assert other.tab.input_value("#include") == "SpaceID"
        assert other.tab.input_value("#dialect") == "duckdb"
        assert other.text("#canonical") == canonical and other.text("#sql") == sql_text
    finally:
        other.close()


def test_every_control_has_a_label_and_the_page_fits_360_px(browser: Any, server: Server) -> None:
    tab = Page(browser, server, width=360).open()
    try:
        unlabelled = tab.tab.evaluate(
            """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
                 .filter(el => !(el.labels && el.labels.length) && !el.textContent.trim()
                               && !el.getAttribute('aria-label'))
                 .map(el => el.id)"""
        )
        assert unlabelled == []
        assert tab.tab.evaluate("document.documentElement.scrollWidth") <= 360
        # the keyboard reaches the where box from the entity type
        tab.tab.focus("#entity")
        for _ in range(4):
            tab.tab.keyboard.press("Tab")
            if tab.tab.evaluate("document.activeElement.id") == "where":
                break
        assert tab.tab.evaluate("document.activeElement.id") == "where"
    finally:
        tab.close()


# --- screenshots --------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1280, 360])
def test_screenshots(browser: Any, server: Server, width: int) -> None:
    tab = Page(browser, server, width=width).open("?entity=Unit&include=SpaceID&where="
                                                  "Labels.tier%20%3D%20%27backend%27")  # fmt: skip
    try:
        assert tab.tab.locator("#rows tbody tr").count() == 20
        assert tab.tab.evaluate("document.documentElement.scrollWidth") <= width
        valid = tab.screenshot(f"playground-{width}-valid.png")
        tab.type_where("Labels.tier = 'backend' AND Slgu = 'x'")
        error = tab.screenshot(f"playground-{width}-error.png")
        assert valid.stat().st_size > 10_000 and error.stat().st_size > 10_000
    finally:
        tab.close()


# --- hostile input ------------------------------------------------------------------------

SCRIPT = "<script>window.__pwned = 1</script>"
IMAGE = "<img src=x onerror=window.__pwned=2>"  # no quotes: a strict string may hold it


def pwned(page: Page) -> Any:
    return page.tab.evaluate("window.__pwned")


def test_script_tags_in_strings_are_shown_as_text(page: Page) -> None:
    page.open()
    page.tab.fill("#contains", IMAGE)
    page.type_where(f"Slug = '{SCRIPT}' AND DisplayName != '{IMAGE}'")
    assert page.text("#status").startswith("valid")
    assert page.text("#canonical") == f"Slug = '{SCRIPT}' AND DisplayName != '{IMAGE}'"
    shown = page.tab.eval_on_selector_all("#params li code", "c => c.map(x => x.textContent)")
    assert json.dumps(SCRIPT) in shown and json.dumps(IMAGE) in shown
    page.type_where(f"{IMAGE} = 1")  # an error whose caret line holds the markup
    assert IMAGE in page.text("#caret")
    assert page.tab.locator("img").count() == 0
    assert page.tab.locator("script").count() == 1  # the page's own
    assert pwned(page) is None


def test_a_megabyte_of_input_is_an_error_and_the_server_stays_up(page: Page, server: Server) -> None:
    page.open()
    for level in ("#level-strict", "#level-extended"):
        page.tab.check(level)
        page.type_where("Slug = '" + SCRIPT * (1_000_000 // len(SCRIPT)) + "'")
        said = page.text("#status")
        assert "limit-exceeded" in said and ("longer than" in said or "8192" in said)
        assert len(page.text("#caret")) < 400  # a window around the error, not the megabyte
        assert page.text("#permalink") == "This query is too long to link to"
        assert server.alive()
    assert pwned(page) is None
    page.type_where("Slug = 'ledger'")
    assert page.text("#status").startswith("valid") and page.row_ids()
