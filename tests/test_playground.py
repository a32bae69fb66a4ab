"""The playground's endpoints, over HTTP in process (the browser tests are in
test_playground_browser.py): every answer is JSON, bad requests are structured 400s, the
SQL it shows runs on SQLite and returns ListQuery.apply's rows, completion offers the
schema's names and operators and the map keys of the data."""

from __future__ import annotations

import json
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("fastapi", reason="the playground needs the server extra (fastapi)")
pytest.importorskip("sqlalchemy", reason="wherelang serve needs the server extra (sqlalchemy)")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx versions
    from fastapi.testclient import TestClient

from wherelang import ListQuery, confighub, playground, sample, sql  # noqa: E402
from wherelang.server import create_app  # noqa: E402
from wherelang.validate import allowed_operators  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """``wherelang serve``'s app (the sample in a new SQLite file), which includes the
    playground's router."""
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture(scope="module")
def db() -> sqlite3.Connection:
    """The sample data in SQLite, one table per entity type named after it: the default
    layout the page's SQL is written for."""
    conn = sql.prepare_sqlite(sqlite3.connect(":memory:", check_same_thread=False))
    for name in sample.names():
        schema = confighub.schema(name)
        conn.execute(sql.create_table(schema, "sqlite", table=name))
        conn.executemany(sql.insert_statement(schema, "sqlite", table=name),
                         [sql.row(schema, e, "sqlite") for e in sample.entities(name)])  # fmt: skip
    return conn


def ids_of_sql(conn: sqlite3.Connection, answer: dict[str, Any], id_column: str) -> list[str]:
    cursor = conn.execute(answer["sql"], answer["params"])
    names = [d[0] for d in cursor.description]
    index = names.index(id_column)  # the listed entity's columns come first
    return sorted(row[index] for row in cursor.fetchall())


def ids_of_apply(params: dict[str, Any]) -> list[str]:
    entity = params["entity"]
    schema = confighub.schema(entity)
    query = ListQuery.from_params({k: v for k, v in params.items() if k not in ("entity", "extended", "dialect")},
                                  schema=schema, extended=params.get("extended", False))  # fmt: skip
    store = sample.store()
    out = []
    for item in query.apply(sample.entities(entity), filters=store, resolver=store):
        inner = item[entity] if query.include else item
        out.append(str(inner[schema.id]).lower())
    return sorted(out)


# --- the page and its files ---------------------------------------------------------------


def test_page_is_served_with_a_policy_that_runs_only_its_own_script(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    # no other origin is named: the page works offline
    assert "http://" not in page.text and "https://" not in page.text
    assert '<script src="_static/playground.js" defer></script>' in page.text
    assert page.text.count("<script") == 1


@pytest.mark.parametrize(
    "name, kind",
    [("playground.js", "text/javascript"), ("playground.css", "text/css"),
     ("favicon.svg", "image/svg+xml")],
)  # fmt: skip
def test_static_files_are_served(client: TestClient, name: str, kind: str) -> None:
    answer = client.get(f"/_static/{name}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
    text = answer.text.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name, not a fetch
    assert "http://" not in text and "https://" not in text


@pytest.mark.parametrize("name", ["index.html", "__init__.py", "..%2F__init__.py", "x.js"])
def test_only_the_listed_files_are_served(client: TestClient, name: str) -> None:
    answer = client.get(f"/_static/{name}")
    assert answer.status_code == 404
    assert "import" not in answer.text  # not the module's source
    if "/" not in name.replace("%2F", "/"):  # a name the router sees (not a path elsewhere)
        assert answer.json()["Code"] == "404"


def test_the_script_never_writes_markup() -> None:
    """Text reaches the page through textContent only: no innerHTML, no eval."""
    source = (Path(playground.__file__).parent / "static" / "playground.js").read_text()
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                  "new Function"):  # fmt: skip
        assert risky not in source


def test_config_lists_the_sample_entity_types_and_dialects(client: TestClient) -> None:
    config = client.get("/_config").json()
    assert [e["name"] for e in config["entities"]] == list(sample.names())
    assert {"name": "Unit", "path": "/unit"} in config["entities"]
    assert config["dialects"] == list(playground.DIALECTS)


# --- /_check ------------------------------------------------------------------------------


def test_check_of_a_valid_query(client: TestClient) -> None:
    answer = client.post("/_check", json={
        "entity": "Unit", "extended": True, "where": "Slug='a'  or Labels.tier~~'b%'",
        "contains": "ledger", "include": "SpaceID", "select": "DisplayName",
    })  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["canonical"] == "Slug = 'a' OR Labels.tier LIKE 'b%'"
    query = ListQuery(schema="Unit", extended=True, where="Slug='a' or Labels.tier~~'b%'",
                      contains="ledger", include=["SpaceID"], select=["DisplayName"])  # fmt: skip
    assert body["query"] == query.to_query_string()
    assert body["url"] == "/unit?" + query.to_query_string()
    assert body["columns"][-1] == "Space.Slug"
    assert set(body["columns"][:-1]) == set(query.returned() or ())


def test_check_of_nothing_is_valid_and_lists_everything(client: TestClient) -> None:
    body = client.post("/_check", json={"entity": "Space", "where": "  "}).json()
    assert body["canonical"] is None and body["url"] == "/space" and body["query"] == ""


@pytest.mark.parametrize(
    "fields, code, parameter, position, hint",
    [
        ({"where": "Slgu = 'x'"}, "unknown-attribute", "where", 0, "did you mean 'Slug'?"),
        ({"where": "Slug = 'x' AND Labels.tier == 'y'"}, "unknown-operator", "where", 27, "use ="),
        ({"where": "Slug = 'a' OR Slug = 'b'"}, "extended-syntax", "where", 11, None),
        ({"where": "Slug = 'x'", "select": "DisplayNme"}, "unknown-attribute", "select", 0,
         "did you mean 'DisplayName'?"),
        ({"include": "Space"}, None, "include", 0, None),
        ({"filter": "not-a-uuid"}, None, "filter", None, None),
    ],
)  # fmt: skip
def test_check_answers_a_mistake_with_the_error(
    client: TestClient, fields: dict[str, str], code: str | None, parameter: str,
    position: int | None, hint: str | None,
) -> None:  # fmt: skip
    answer = client.post("/_check", json={"entity": "Unit", **fields})
    assert answer.status_code == 400
    body = answer.json()
    assert body["Code"] == "400" and body["Message"].startswith(parameter + ": ")
    assert body["Parameter"] == parameter
    if code is not None:
        assert body["Reason"] == code
    if position is not None:
        assert body["Position"] == position
        text = fields[parameter]
        # the caret sits under the span of the text as typed
        shown, marks = body["Caret"].split("\n")
        assert shown.strip() == text
        start = marks.index("^")
        assert text[start - 2 : start - 2 + body["Length"]] == \
            text[position : position + body["Length"]]  # fmt: skip
        assert start - 2 == position
    if hint is not None:
        assert body["Hint"] == hint


def test_error_positions_count_characters_not_bytes(client: TestClient) -> None:
    text = "DisplayName = 'é😀' AND Slgu = 'x'"
    body = client.post("/_check", json={"entity": "Unit", "where": text}).json()
    assert text[body["Position"] : body["Position"] + body["Length"]] == "Slgu"


BAD_REQUESTS = [
    (b"not json", "bad-json", None),
    (b"[1, 2]", "bad-json", None),
    (b'"Slug"', "bad-json", None),
    (b"\xff\xfe", "bad-json", None),
    (json.dumps({"entity": "Unit", "wher": "Slug = 'x'"}).encode(), "unknown-field", "wher"),
    (json.dumps({"entity": "Unit", "where": 42}).encode(), "bad-field", "where"),
    (json.dumps({"entity": "Unit", "where": ["a"]}).encode(), "bad-field", "where"),
    (json.dumps({"entity": "Unit", "extended": "yes"}).encode(), "bad-field", "extended"),
    (json.dumps({"entity": "unit"}).encode(), "bad-entity", "entity"),
    (json.dumps({"entity": "Nope"}).encode(), "bad-entity", "entity"),
    (json.dumps({"where": "Slug = 'x'"}).encode(), "bad-entity", "entity"),
    (json.dumps({"entity": "Unit", "select": "a" * 9000}).encode(), "too-long", "select"),
]


@pytest.mark.parametrize("path", ["/_check", "/_sql"])
@pytest.mark.parametrize("content, code, parameter", BAD_REQUESTS)
def test_bad_requests_get_a_structured_400(
    client: TestClient, path: str, content: bytes, code: str, parameter: str | None
) -> None:
    answer = client.post(path, content=content, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["Code"] == "400" and body["Message"]
    assert body["Reason"] == code and body["Parameter"] == parameter


def test_unknown_entity_gets_a_did_you_mean(client: TestClient) -> None:
    body = client.post("/_check", json={"entity": "unit"}).json()
    assert body["Hint"] == "did you mean 'Unit'?"


def test_a_body_over_the_limit_is_refused_before_it_is_read(client: TestClient) -> None:
    where = "Slug = '" + "a" * playground.MAX_BODY + "'"
    answer = client.post("/_check", json={"entity": "Unit", "where": where})
    assert answer.status_code == 413
    assert answer.json()["Reason"] == "too-large"
    # and the server goes on answering
    assert client.post("/_check", json={"entity": "Unit", "where": "Slug = 'x'"}).status_code == 200


def test_a_megabyte_expression_gets_its_parse_error(client: TestClient) -> None:
    where = "Slug = '" + "<script>" * (1_000_000 // 8) + "'"
    for extended in (False, True):
        answer = client.post("/_check", json={"entity": "Unit", "where": where,
                                              "extended": extended})  # fmt: skip
        assert answer.status_code == 400
        body = answer.json()
        assert body["Reason"] == "limit-exceeded" and body["Parameter"] == "where"
        assert len(answer.content) < 10_000  # the caret shows a window, not the megabyte


@given(st.dictionaries(
    st.sampled_from(["entity", "where", "contains", "select", "include", "filter",
                     "order_by", "dialect", "extended", "other"]),
    st.one_of(st.text(max_size=40), st.booleans(), st.integers(), st.none(),
              st.sampled_from(["Unit", "Space", "Slug = 'x'", "Labels.tier ? 'a'", "sqlite"])),
))  # fmt: skip
def test_any_body_gets_json_and_never_a_500(client: TestClient, body: dict[str, Any]) -> None:
    for path in ("/_check", "/_sql"):
        answer = client.post(path, json=body)
        assert answer.status_code in (200, 400), answer.text
        data = answer.json()
        if answer.status_code == 400:
            assert data["Code"] == "400" and isinstance(data["Message"], str)


# --- /_sql ----------------------------------------------------------------------------------

SQL_QUERIES = [
    {"entity": "Unit", "where": "Labels.tier = 'backend' AND LEN(ApplyGates) > 0"},
    {"entity": "Unit", "where": "Labels.tier = 'backend'", "include": "SpaceID",
     "select": "DisplayName"},
    {"entity": "Unit", "where": "Space.Labels.Environment = 'prod' AND Slug LIKE 'l%'"},
    {"entity": "Unit", "where": "CreatedAt >= '2025-01-07' AND HeadRevisionNum > 2",
     "contains": "ledger"},
    {"entity": "Unit", "extended": True,
     "where": "Slug ~* '^pay' OR NOT Labels.team IN ('data', 'search')"},
    {"entity": "Space", "where": "Labels.Environment != 'dev'"},
    {"entity": "Unit", "contains": "BUDGET"},
]  # fmt: skip


@pytest.mark.parametrize("params", SQL_QUERIES, ids=lambda p: p.get("where", p.get("contains")))
def test_sql_shown_runs_on_sqlite_and_returns_the_rows_of_apply(
    client: TestClient, db: sqlite3.Connection, params: dict[str, Any]
) -> None:
    answer = client.post("/_sql", json={**params, "dialect": "sqlite"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    id_column = confighub.schema(params["entity"]).id
    assert id_column is not None
    expected = ids_of_apply(params)
    assert expected, "the query should match some sample rows"
    assert ids_of_sql(db, body, id_column) == expected


@pytest.mark.parametrize("dialect", playground.DIALECTS)
def test_sql_for_every_dialect_offered(client: TestClient, dialect: str) -> None:
    body = client.post("/_sql", json={"entity": "Unit", "where": "Slug = 'x' AND HeadRevisionNum > 2",
                                      "dialect": dialect}).json()  # fmt: skip
    query = ListQuery(schema="Unit", where="Slug = 'x' AND HeadRevisionNum > 2")
    assert body["sql"] == query.to_sql(dialect).sql
    assert body["params"] == ["x", 2]
    assert body["inline"] == query.to_sql(dialect, params=False).sql


def test_sql_params_are_json_and_name_their_type(client: TestClient) -> None:
    where = "CreatedAt >= '2025-01-07T10:00:00+02:00' AND SpaceID != '7C61626F-DDBE-41AF-93F6-B69F4AB6D308'"
    body = client.post("/_sql", json={"entity": "Unit", "where": where, "dialect": "postgres"}).json()
    assert body["params"] == ["2025-01-07T08:00:00+00:00", "7c61626f-ddbe-41af-93f6-b69f4ab6d308"]
    assert body["types"] == ["datetime", "UUID"]


def test_sql_refusals_are_400s(client: TestClient) -> None:
    bad = client.post("/_sql", json={"entity": "Unit", "dialect": "cobol"}).json()
    assert bad["Reason"] == "bad-dialect" and "sqlite" in bad["Hint"]
    many = client.post("/_sql", json={"entity": "Unit", "include": "FromLinkID", "dialect": "sqlite"})
    assert many.status_code == 400 and many.json()["Reason"] == "sql-include-many"


# --- /_complete -----------------------------------------------------------------------------


def test_completion_offers_names_operators_and_keys(client: TestClient) -> None:
    data = client.get("/_complete", params={"entity": "Unit"}).json()
    unit = confighub.schema("Unit")
    by_name = {a["name"]: a for a in data["attributes"]}
    assert list(by_name) == list(unit.filterable)
    for name, item in by_name.items():
        assert item["operators"] == list(allowed_operators(unit.attributes[name].type))
    assert "LIKE" in by_name["Slug"]["operators"] and "LIKE" not in by_name["HeadRevisionNum"]["operators"]
    seen = {k for u in sample.entities("Unit") for k in (u.get("Labels") or {})}
    assert set(by_name["Labels"]["keys"]) == seen
    assert by_name["Labels"]["keys"][0] in ("app", "team", "tier")  # the most used come first
    assert "?" in by_name["Labels"]["operators"] and "LIKE" in by_name["Labels"]["keyOperators"]
    space = next(r for r in data["relations"] if r["field"] == "Space")
    space_labels = next(a for a in space["attributes"] if a["name"] == "Labels")
    assert "Environment" in space_labels["keys"]
    assert not any(r["field"] == "FromLink" for r in data["relations"])  # to many: no path
    assert data["include"] == list(unit.includable)


def test_completion_of_an_unknown_entity_is_a_400(client: TestClient) -> None:
    answer = client.get("/_complete", params={"entity": "<b>x</b>"})
    assert answer.status_code == 400 and answer.json()["Reason"] == "bad-entity"


def test_the_server_still_refuses_bodies_on_its_list_endpoints(client: TestClient) -> None:
    """Only the playground's two JSON endpoints read a body."""
    answer = client.request("GET", "/unit", content=b'{"where": "x"}')
    assert answer.status_code == 400 and answer.json()["Reason"] == "request-body"


def test_the_server_serves_the_page_at_its_root(client: TestClient) -> None:
    assert client.get("/").headers["content-security-policy"].startswith("default-src 'none'")
    rows = client.get("/unit", params={"where": "Slug = 'ledger'", "limit": "2"})
    assert rows.status_code == 200 and {u["Slug"] for u in rows.json()} == {"ledger"}
