"""``wherelang serve`` as a real process (uvicorn, 127.0.0.1, a free port) on SQLite and on
PostgreSQL, spoken to with :class:`wherelang.client.Client` and with raw httpx:

- generated list queries (hypothesis: where, contains, select, include, filter, space,
  order_by, limit) give, page after page, exactly the rows of ``ListQuery.apply`` over
  the sample data in memory, in the same order, each page full but the last;
- page boundaries are exact under order_by on columns full of ties and NULLs;
- bad input of every kind (bytes that are not UTF-8, a 1 MB where, forged and foreign
  continuation tokens, unknown and repeated parameters, wrong types) is a 400 with the
  structured body, and the server goes on serving.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlparse

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_process import LOGS, drop_tables, serve

from conftest import PG_DSN, unavailable
from wherelang import ListQuery, WhereError, parse, sample
from wherelang.builder import and_
from wherelang.client import Client
from wherelang.confighub import schema as catalog
from wherelang.pagination import HEADER
from wherelang.strategies import expressions_for

UNIT = catalog("Unit")
UNITS = sample.entities("Unit")
STORE = sample.store()
SPACES = {s["Slug"]: s["SpaceID"] for s in sample.entities("Space")}
FILTERS = [f["FilterID"] for f in sample.entities("Filter")]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        with serve() as url:
            yield url
        return
    try:
        import psycopg

        psycopg.connect(PG_DSN, connect_timeout=5).close()
    except Exception as exc:
        unavailable("postgres", f"{type(exc).__name__}: {exc}")
    prefix = f"wl13t{os.getpid()}_"
    try:
        with serve(PG_DSN, prefix=prefix) as url:
            yield url
    finally:
        drop_tables(PG_DSN, prefix)


# --- what memory answers ---------------------------------------------------------------------


def _clean(entity: Any) -> Any:
    # SQL returns every attribute of the schema, NULL where the sample has none.
    if not isinstance(entity, dict):
        return entity
    return {k: v for k, v in entity.items() if v is not None}


def normalize(items: list[Any], extended: bool) -> list[Any]:
    if extended:
        return [{k: _clean(v) for k, v in item.items()} for item in items]
    return [_clean(item) for item in items]


def in_memory(params: dict[str, str], space: str | None) -> list[Any] | WhereError:
    try:
        query = ListQuery.from_params(params, schema=UNIT)
        space_id = None
        if space is not None:
            space_id = SPACES.get(space, space)
            own = parse(f"SpaceID = '{space_id}'", schema=UNIT)
            query = query.model_copy(update={"where": own if query.where is None
                                             else and_(own, query.where)})  # fmt: skip
        query = query.model_copy(update={"limit": None})
        return list(query.apply(UNITS, filters=STORE, resolver=STORE, space_id=space_id, after=()))
    except WhereError as err:
        return err


def path_of(space: str | None) -> str:
    return "/unit" if space is None else f"/space/{space}/unit"


def fetch_all(url: str, params: dict[str, str], space: str | None) -> list[Any] | dict[str, Any]:
    """Every page through raw httpx; the 400 body if the first page is refused."""
    limit = int(params["limit"]) if "limit" in params else None
    items: list[Any] = []
    token = None
    with httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(len(UNITS) + 2):
            sent = dict(params, **({"continue": token} if token else {}))
            response = http.get(path_of(space), params=sent)
            if response.status_code == 400 and not items:
                body: dict[str, Any] = response.json()
                return body
            assert response.status_code == 200, response.text
            page = response.json()
            token = response.headers.get(HEADER)
            if token is not None:
                # Every page but the last is full.
                assert limit is None or len(page) == limit, (len(page), limit)
            items += page
            if token is None:
                return items
    raise AssertionError("the pages never ended")


# --- generated queries --------------------------------------------------------------------

SORTABLE = ["Slug", "DisplayName", "HeadRevisionNum", "LastReleasedRevisionNum", "TargetID",
            "UpdatedAt", "CreatedAt", "ChangeSetID", "UpstreamUnitID", "CursorID"]  # fmt: skip


@st.composite
def list_params(draw: st.DrawFn) -> tuple[dict[str, str], str | None]:
    params: dict[str, str] = {}
    if draw(st.integers(0, 3)):
        params["where"] = draw(expressions_for(UNIT, hops=0)).to_where()
    if draw(st.integers(0, 4)) == 0:
        params["contains"] = draw(st.sampled_from(["ledger", "API", "pay", "é", "%", "_", "tier"]))
    if draw(st.integers(0, 3)) == 0:
        names = ["Slug", "DisplayName", "Labels", "HeadRevisionNum", "UpdatedAt", "ApplyGates"]
        params["select"] = ",".join(draw(st.lists(st.sampled_from(names), min_size=1,
                                                  max_size=3, unique=True)))  # fmt: skip
    if draw(st.integers(0, 3)) == 0:
        params["include"] = ",".join(draw(st.lists(
            st.sampled_from(["SpaceID", "TargetID", "OrganizationID"]), min_size=1, max_size=2,
            unique=True)))  # fmt: skip
    if draw(st.integers(0, 5)) == 0:
        params["filter"] = draw(st.sampled_from(FILTERS + ["storefront-dev/backend-units"]))
    terms = draw(st.lists(st.sampled_from(SORTABLE), max_size=2, unique=True))
    if terms:
        params["order_by"] = ",".join(f"{draw(st.sampled_from(['ASC', 'DESC']))}:{t}" for t in terms)
    limit = draw(st.sampled_from([None, 9, 40, 150]))
    if limit is not None:
        params["limit"] = str(limit)
    space = draw(st.sampled_from([None, None, "payments-prod", "storefront-dev",
                                  SPACES["payments-staging"]]))  # fmt: skip
    return params, space


# What an engine may refuse where memory answers (as in the differential suite).
ENGINE_LIMITS = ("NUL", "surrogate", "regular expression")


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.filter_too_much])  # fmt: skip
@given(case=list_params(), via_client=st.booleans())
def test_generated_queries_agree_with_memory(
    server: str, case: tuple[dict[str, str], str | None], via_client: bool
) -> None:
    params, space = case
    want = in_memory(params, space)
    extended = "include" in params
    if via_client:
        got: Any
        try:
            with Client(server) as client:
                got = list(client.list(
                    "Unit", space=space, where=params.get("where"), filter=params.get("filter"),
                    contains=params.get("contains"), select=params.get("select"),
                    include=params.get("include"), order_by=params.get("order_by"),
                    page_size=int(params.get("limit", 1000)),
                ))  # fmt: skip
        except WhereError as err:
            got = {"Reason": err.code, "Message": err.message, "Parameter": err.parameter}
    else:
        got = fetch_all(server, params, space)
    if isinstance(got, dict):  # refused
        if isinstance(want, WhereError):
            assert got["Reason"] == want.code, (params, got, want)
            return
        assert got["Reason"] == "sql-unsupported", (params, got)
        assert any(m in got["Message"] for m in ENGINE_LIMITS), (params, got)
        return
    assert not isinstance(want, WhereError), (params, want)
    assert normalize(got, extended) == normalize(want, extended), params


# --- page boundaries ------------------------------------------------------------------------


@pytest.mark.parametrize("order_by", ["ASC:TargetID", "DESC:UpdatedAt,ASC:Slug",
                                      "DESC:ChangeSetID,DESC:LastReleasedRevisionNum", "ASC:DisplayName"])  # fmt: skip
@pytest.mark.parametrize("limit", [1, 7, 64])
def test_page_boundaries_are_exact_on_ties_and_nulls(server: str, order_by: str, limit: int) -> None:
    params = {"order_by": order_by, "limit": str(limit), "select": "Slug"}
    want = in_memory(params, None)
    assert isinstance(want, list) and len(want) == len(UNITS)
    got = fetch_all(server, params, None)
    assert isinstance(got, list)
    assert [u["UnitID"] for u in got] == [u["UnitID"] for u in want]
    assert len({u["UnitID"] for u in got}) == len(got)


# --- bad input ---------------------------------------------------------------------------------


def _token(server: str, params: dict[str, str]) -> str:
    response = httpx.get(server + "/unit", params=params)
    token = response.headers.get(HEADER)
    assert response.status_code == 200 and token
    return token


def raw_get(server: str, target: bytes) -> tuple[int, bytes]:
    """A GET whose request target is sent byte for byte (httpx would encode it)."""
    address = urlparse(server)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def assert_structured(status: int, body: Any, parameter: str | None = "any") -> dict[str, Any]:
    assert status == 400, (status, body)
    data = json.loads(body) if isinstance(body, (bytes, str)) else body
    assert data["Code"] == "400" and data["Message"] and data["Reason"], data
    assert {"Parameter", "Position", "Hint"} <= set(data)
    if parameter != "any":
        assert data["Parameter"] == parameter, data
    return dict(data)


BAD = [
    ("where=Slgu%20%3D%20%27x%27", "where", "unknown-attribute"),
    ("where=Slug%20%3D%3D%20%27x%27", "where", None),
    ("where=%FF%FE", "where", "bad-encoding"),
    ("where=Slug%20%3D%20%27a%27&where=Slug%20%3D%20%27b%27", "where", "duplicate-parameter"),
    ("wher=Slug", "wher", "unknown-parameter"),
    ("limit=abc", "limit", "bad-limit"),
    ("limit=0", "limit", "bad-limit"),
    ("limit=5000", "limit", "bad-limit"),
    ("limit=-1", "limit", "bad-limit"),
    ("summary=maybe", "summary", "bad-summary"),
    ("order_by=DESC:Labels", "order_by", "not-orderable"),
    ("order_by=SIDEWAYS:Slug", "order_by", "bad-order"),
    ("order_by=ASC:Slug,DESC:Slug", "order_by", "duplicate-order"),
    ("select=Slug,Nope", "select", "unknown-attribute"),
    ("include=Slug", "include", "not-includable"),
    ("include=ChangeSetID", "include", "sql-unknown-relation"),
    ("filter=not-a-filter", "filter", "bad-filter-id"),
    ("filter=00000000-0000-4000-8000-000000000000", "filter", "unknown-filter"),
    ("contains=a%00b", "contains", "bad-contains"),
    ("continue=not%20a%20token", "continue", "bad-continuation"),
    ("continue=eyJ2IjoxfQ.AAAAAAAAAAAAAAAAAAAAAA", "continue", "bad-continuation"),
    ("where=" + "(" * 100, "where", None),
    ("include_hidden=%3Cscript%3E", "include_hidden", "bad-hidden-reason"),
]


@pytest.mark.parametrize("query, parameter, reason", BAD)
def test_bad_input_is_a_structured_400(server: str, query: str, parameter: str, reason: str | None) -> None:
    response = httpx.get(f"{server}/unit?{query}")
    data = assert_structured(response.status_code, response.content, parameter)
    if reason is not None:
        assert data["Reason"] == reason, data
    # asked again, the remembered answer is the same 400
    again = httpx.get(f"{server}/unit?{query}")
    assert (again.status_code, again.json()) == (response.status_code, data)


def test_raw_bytes_huge_queries_tokens_and_types(server: str) -> None:
    # bytes that are not UTF-8, sent as they are
    status, body = raw_get(server, b"/unit?where=Slug%20%3D%20%27\xff\xfe%27")
    assert_structured(status, body)
    status, body = raw_get(server, b"/unit?\xc3\x28=1")
    assert_structured(status, body)
    # 1 MB of where
    huge = quote("Slug = '" + "x" * (1 << 20) + "'", safe="")
    status, body = raw_get(server, b"/unit?where=" + huge.encode())  # httpx refuses to send it
    assert assert_structured(status, body)["Reason"] == "request-too-large"
    # a token with one character changed, a token of another query, of another scope
    params = {"order_by": "ASC:Slug", "limit": "5"}
    token = _token(server, params)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad, reason in (
        ({**params, "continue": flipped}, "bad-continuation"),
        ({**params, "continue": token[:10] + "x" + token[11:]}, "bad-continuation"),
        ({"order_by": "DESC:Slug", "limit": "5", "continue": token}, "continuation-mismatch"),
        ({**params, "where": "Slug = 'ledger'", "continue": token}, "continuation-mismatch"),
    ):
        response = httpx.get(server + "/unit", params=bad)
        assert assert_structured(response.status_code, response.content, "continue")["Reason"] == reason
    response = httpx.get(f"{server}/space/payments-prod/unit", params={**params, "continue": token})
    assert assert_structured(response.status_code, response.content, "continue")["Reason"] == (
        "continuation-mismatch"
    )
    # a body on a GET, a path that names nothing
    response = httpx.request("GET", server + "/unit", content=b"x" * 1000)
    assert_structured(response.status_code, response.content)
    missing = httpx.get(server + "/space/no-such-space/unit")
    assert missing.status_code == 404 and missing.json()["Code"] == "404"
    # still serving, and still right
    assert httpx.get(server + "/health").json()["Status"] == "ok"
    good = httpx.get(server + "/unit", params={"where": "Slug = 'ledger'", "select": "Slug"})
    ledgers = [u for u in UNITS if u["Slug"] == "ledger"]
    assert good.status_code == 200 and len(ledgers) > 1
    assert sorted(u["UnitID"] for u in good.json()) == sorted(u["UnitID"] for u in ledgers)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(junk=st.binary(max_size=200))
def test_any_bytes_in_the_query_never_break_the_server(server: str, junk: bytes) -> None:
    target = b"/unit?" + bytes(b if b > 32 and b not in (35,) else 37 for b in junk)
    status, body = raw_get(server, target)
    assert status in (200, 400), (status, body[:300])
    if status == 400 and body.startswith(b"{"):
        assert_structured(status, body)


def test_every_entity_type_and_one_of_each(server: str) -> None:
    with httpx.Client(base_url=server) as http:
        for path in ("/space", "/target", "/filter", "/user", "/organization",
                     "/space/payments-prod/target", "/space/storefront-dev/filter"):  # fmt: skip
            response = http.get(path)
            assert response.status_code == 200 and response.json(), path
        unit = UNITS[0]
        one = http.get(f"/space/{unit['SpaceID']}/unit/{unit['UnitID']}", params={"include": "SpaceID"})
        assert one.status_code == 200
        assert one.json()["Unit"]["Slug"] == unit["Slug"] and one.json()["Space"]["SpaceID"] == unit["SpaceID"]
        assert http.get("/space/payments-prod").json()["SpaceID"] == SPACES["payments-prod"]
        assert http.get(f"/unit/{unit['UnitID']}").status_code == 404  # a Unit lives in a space
        assert http.get(f"/space/{unit['SpaceID']}/unit/{FILTERS[0]}").status_code == 404
        docs = http.get("/openapi.json").json()
        names = {p["name"] for p in docs["paths"]["/unit"]["get"]["parameters"]}
        assert {"where", "filter", "contains", "select", "include", "order_by", "limit",
                "continue"} <= names  # fmt: skip
        for parameter in docs["paths"]["/unit"]["get"]["parameters"]:
            assert parameter.get("description") and parameter["schema"].get("examples"), parameter


def test_requests_are_logged_and_quoted_values_survive(server: str) -> None:
    # A where with every character a URL treats specially.
    where = "Slug != '&=?#%+/ ; " + quote("&=", safe="") + "'"
    response = httpx.get(server + "/unit", params={"where": where, "select": "Slug"})
    assert response.status_code == 200 and len(response.json()) == len(UNITS)
    httpx.get(server + "/target", params={"where": "Slgu = 'logged'"})
    # the line is written once the response is sent: give the server a moment
    deadline = time.monotonic() + 10
    while True:
        log = LOGS[server].read_text(errors="replace")
        if ("GET /unit 200" in log and "GET /target 400" in log) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert "GET /unit 200" in log and "GET /target 400" in log, log[-2000:]
