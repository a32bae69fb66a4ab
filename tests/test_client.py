"""wherelang.client and ``wherelang list`` against ``wherelang serve`` running as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from server_process import ROOT, free_port, serve

from wherelang import ListQuery, WhereError, sample
from wherelang.client import Client, ServerError, error_from_body

UNITS = sample.entities("Unit")
STORE = sample.store()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve() as url:
        yield url


class Counting(httpx.HTTPTransport):
    """The real transport, counting the requests it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return super().handle_request(request)


def _memory(**params: str) -> list[Any]:
    query = ListQuery.from_params(params, schema="Unit")
    return list(query.apply(UNITS, filters=STORE, resolver=STORE, after=()))


def test_pages_are_followed_to_the_end_and_limit_counts_all_of_them(server: str) -> None:
    transport = Counting()
    with Client(server, transport=transport) as client:
        got = list(client.list("Unit", where="Labels.tier = 'backend'", order_by="DESC:CreatedAt",
                               select=["Slug"], page_size=25))  # fmt: skip
        want = _memory(where="Labels.tier = 'backend'", order_by="DESC:CreatedAt", select="Slug")
        assert [u["UnitID"] for u in got] == [u["UnitID"] for u in want]
        assert len(transport.requests) == -(-len(want) // 25)  # one request a page
        transport.requests.clear()
        first = list(client.list("Unit", order_by="ASC:Slug", limit=30, page_size=12))
        assert [u["UnitID"] for u in first] == [u["UnitID"] for u in _memory(order_by="ASC:Slug")][:30]
        # 12 + 12 + 6: the last page asks only for what is left
        assert [r.url.params["limit"] for r in transport.requests] == ["12", "12", "6"]


def test_a_bad_query_is_refused_before_any_request() -> None:
    transport = Counting()
    # Nothing listens there: a request would fail with a connection error.
    with Client(f"http://127.0.0.1:{free_port()}", transport=transport) as client:
        for kwargs, parameter in (
            ({"where": "Slgu = 'x'"}, "where"),
            ({"where": "Slug = 'a' OR Slug = 'b'"}, "where"),  # the extended syntax
            ({"select": "Nope"}, "select"),
            ({"order_by": "DESC:Labels"}, "order_by"),
            ({"filter": "not a filter"}, "filter"),
        ):
            with pytest.raises(WhereError) as info:
                client.list("Unit", **kwargs)
            assert info.value.parameter == parameter
    assert transport.requests == []


def test_a_400_comes_back_as_the_servers_where_error(server: str) -> None:
    with Client(server) as client:
        with pytest.raises(WhereError) as info:
            list(client.list("Unit", filter="00000000-0000-4000-8000-000000000000"))
        assert (info.value.code, info.value.parameter) == ("unknown-filter", "filter")
        assert "no filter with ID" in info.value.message
        with pytest.raises(WhereError) as info:
            # a filter saved for the Units of storefront-prod-us, used in payments-prod
            list(client.list("Unit", space="payments-prod",
                             filter="4d4e9d40-1ce9-4bf3-971e-42f8a54fb01c"))  # fmt: skip
        assert (info.value.code, info.value.parameter) == ("filter-space-mismatch", "filter")
        with pytest.raises(ServerError) as missing:
            list(client.list("Unit", space="no-such-space"))
        assert missing.value.status == 404


def test_extended_entities_and_one_entity(server: str) -> None:
    with Client(server) as client:
        items = list(client.list("Unit", space="payments-prod", include=["SpaceID", "TargetID"],
                                 where="LEN(ApplyGates) > 0"))  # fmt: skip
        assert items and all(i["Space"]["Slug"] == "payments-prod" for i in items)
        unit = items[0]["Unit"]
        one = client.get("Unit", unit["UnitID"], space=unit["SpaceID"], select="Slug")
        assert one["UnitID"] == unit["UnitID"] and one["Slug"] == unit["Slug"]
        spaces = list(client.list("Space", where="Labels.Environment = 'prod'"))
        assert {s["Slug"] for s in spaces} == {
            s["Slug"] for s in sample.entities("Space") if s["Labels"].get("Environment") == "prod"
        }


def test_error_from_body_keeps_what_the_server_said() -> None:
    err = error_from_body({"Code": "400", "Message": "where: bad", "Reason": "bad-literal",
                           "Parameter": "where", "Position": 7, "Length": 3, "Hint": "quote it"})  # fmt: skip
    assert (err.code, err.message, err.parameter, err.position, err.length, err.hint) == (
        "bad-literal", "where: bad", "where", 7, 3, "quote it")  # fmt: skip
    assert error_from_body("not json").code == "bad-request"


def test_the_list_command(server: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wherelang", "list", server, "Unit", "--space", "payments-prod",
         "--where", "Labels.tier = 'backend'", "--order-by", "ASC:Slug", "--select", "Slug",
         "--limit", "3"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    slugs = [json.loads(line)["Slug"] for line in result.stdout.splitlines()]
    assert slugs == ["currency-rates", "currency-rates-canary", "currency-rates-migrations"]
    bad = subprocess.run(
        [sys.executable, "-m", "wherelang", "list", server, "Unit", "--where", "Slgu = 'x'"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert bad.returncode == 1 and "did you mean 'Slug'?" in bad.stderr
