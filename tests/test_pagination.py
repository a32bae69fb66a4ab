"""The list parameters of REFERENCE §11 on ListQuery (order_by, limit, continue,
include_hidden, summary, where_data, filter as space/slug) and the continuation tokens of
wherelang.pagination, in memory."""

from __future__ import annotations

import string
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wherelang import ListQuery, WhereError, sample
from wherelang.confighub import schema as catalog
from wherelang.pagination import Paginator
from wherelang.query import MAX_LIMIT, orderable

UNIT = catalog("Unit")
UNITS = sample.entities("Unit")
STORE = sample.store()

TERMS = st.lists(st.sampled_from(orderable(UNIT)), max_size=3, unique=True).flatmap(
    lambda names: st.tuples(*[st.tuples(st.just(n), st.booleans()) for n in names])
)
TEXT = st.text(string.ascii_letters + string.digits + " ='%&é", min_size=1, max_size=20).filter(str.strip)


@settings(max_examples=80)
@given(
    order_by=TERMS,
    limit=st.none() | st.integers(1, MAX_LIMIT),
    token=st.none() | st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=40),
    hidden=st.lists(st.sampled_from(["Deleted", "Archived", "Orphaned"]), max_size=2, unique=True),
    summary=st.none() | st.booleans(),
    where_data=st.none() | TEXT,
    filter=st.none() | st.uuids() | st.sampled_from(["storefront-dev/backend-units", "a/b"]),
)
def test_the_paging_parameters_round_trip(
    order_by: Any, limit: Any, token: Any, hidden: Any, summary: Any, where_data: Any, filter: Any
) -> None:
    query = ListQuery(schema=UNIT, order_by=list(order_by), limit=limit, continuation=token,
                      include_hidden=hidden, summary=summary, where_data=where_data,
                      filter=filter)  # fmt: skip
    again = ListQuery.from_params(query.to_query_string(), schema=UNIT)
    assert again == query
    assert again.to_query_string() == query.to_query_string()
    assert ListQuery.from_params(query.to_params(), schema=UNIT) == query
    if where_data is not None:
        assert again.where_data == where_data  # passed through untouched


def test_order_by_spellings() -> None:
    q = ListQuery.from_params({"order_by": "Slug, desc:CreatedAt,ASC:HeadRevisionNum"}, schema=UNIT)
    assert q.order_by == (("Slug", False), ("CreatedAt", True), ("HeadRevisionNum", False))
    assert q.to_params()["order_by"] == "ASC:Slug,DESC:CreatedAt,ASC:HeadRevisionNum"
    assert q.ordering()[-1] == ("UnitID", False)
    by_id = ListQuery(schema=UNIT, order_by="DESC:UnitID")
    assert by_id.ordering() == (("UnitID", True),)  # no second tie-break on the ID


ERRORS = [
    ({"order_by": "DESC:Labels"}, "order_by", "not-orderable", 5),
    ({"order_by": "ASC:Slgu"}, "order_by", "unknown-attribute", 4),
    ({"order_by": "UP:Slug"}, "order_by", "bad-order", 0),
    ({"order_by": "Slug,,CreatedAt"}, "order_by", "empty-name", 5),
    ({"order_by": "Slug,DESC:Slug"}, "order_by", "duplicate-order", 10),
    ({"limit": "0"}, "limit", "bad-limit", 0),
    ({"limit": "1001"}, "limit", "bad-limit", 0),
    ({"limit": "ten"}, "limit", "bad-limit", 0),
    ({"limit": "١٢"}, "limit", "bad-limit", 0),  # digits, but not ASCII ones
    ({"continue": "a b"}, "continue", "bad-continuation", 1),
    ({"continue": "x" * 5000}, "continue", "bad-continuation", None),
    ({"summary": "yes please"}, "summary", "bad-summary", 0),
    ({"include_hidden": "Deleted,<b>"}, "include_hidden", "bad-hidden-reason", 8),
    ({"filter": "space/"}, "filter", "bad-filter-id", 0),
    ({"filter": "a/b/c"}, "filter", "bad-filter-id", 0),
]


@pytest.mark.parametrize("params, parameter, code, position", ERRORS)
def test_errors_name_their_parameter(params: dict[str, str], parameter: str, code: str,
                                     position: int | None) -> None:  # fmt: skip
    with pytest.raises(WhereError) as info:
        ListQuery.from_params(params, schema=UNIT)
    err = info.value
    assert (err.parameter, err.code) == (parameter, code), err
    if position is not None:
        assert err.position == position, err


def _expected_order(entities: list[dict[str, Any]], terms: list[tuple[str, bool]]) -> list[str]:
    """Sorted by hand: one stable sort per term, last term first; NULL after every value."""

    def value(entity: dict[str, Any], name: str) -> Any:
        v = entity.get(name)
        if v is not None and UNIT.attributes[name].type.kind.value == "time":
            return datetime.fromisoformat(v.replace("Z", "+00:00")).astimezone(timezone.utc)
        return v

    rows = sorted(entities, key=lambda e: e["UnitID"])
    for name, desc in reversed(terms):
        present = [e for e in rows if value(e, name) is not None]
        missing = [e for e in rows if value(e, name) is None]
        present.sort(key=lambda e: value(e, name), reverse=desc)
        rows = (missing + present) if desc else (present + missing)
    return [e["UnitID"] for e in rows]


@pytest.mark.parametrize("terms", [
    [("UpstreamUnitID", False)], [("UpstreamUnitID", True)], [("TargetID", False), ("Slug", True)],
    [("ChangeSetID", True)], [("HeadRevisionNum", True), ("CreatedAt", False)],
    [("DisplayName", False)],
])  # fmt: skip
def test_memory_order_is_the_hand_sorted_order(terms: list[tuple[str, bool]]) -> None:
    got = [u["UnitID"] for u in ListQuery(schema=UNIT, order_by=terms).apply(UNITS)]
    assert got == _expected_order(UNITS, terms)
    # the first term has ties (or NULLs) for the next ones and the ID to break
    assert len({str(u.get(terms[0][0])) for u in UNITS}) < len(UNITS)


@settings(max_examples=40, deadline=None)
@given(terms=TERMS, limit=st.integers(1, 60))
def test_memory_pages_join_up_to_the_whole_order(terms: Any, limit: int) -> None:
    pages = Paginator(b"k")
    query = ListQuery(schema=UNIT, order_by=list(terms), limit=limit, where="LEN(ApplyGates) >= 0")
    whole = [u["UnitID"] for u in query.model_copy(update={"limit": None}).apply(UNITS, after=())]
    got: list[str] = []
    token = None
    while True:
        page = pages.page(query.model_copy(update={"continuation": token}), UNITS)
        got += [u["UnitID"] for u in page.items]
        token = page.continuation
        if token is None:
            break
        assert len(page.items) == limit
    assert got == whole


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _first_token(pages: Paginator, query: ListQuery, scope: str = "") -> str:
    token = pages.page(query, UNITS, scope=scope).continuation
    assert token is not None
    return token


def test_tokens_are_signed_bound_and_dated() -> None:
    clock = Clock()
    pages = Paginator(b"server secret", max_age=600, clock=clock)
    query = ListQuery(schema=UNIT, order_by="ASC:Slug", limit=10, where="Labels.tier = 'backend'")
    token = _first_token(pages, query, scope="/unit")
    ok = pages.read(query.model_copy(update={"continuation": token}), scope="/unit")
    last = pages.page(query, UNITS, scope="/unit").items[-1]
    assert ok == query.key_of(last) == (last["Slug"], last["UnitID"])

    def refused(q: ListQuery, scope: str = "/unit", by: Paginator = pages) -> str:
        with pytest.raises(WhereError) as info:
            by.read(q, scope=scope)
        assert info.value.parameter == "continue" and info.value.hint
        return info.value.code

    with_token = query.model_copy(update={"continuation": token})
    # one character changed anywhere
    for i in (0, len(token) // 2, len(token) - 1):
        changed = token[:i] + ("B" if token[i] == "A" else "A") + token[i + 1:]
        assert refused(query.model_copy(update={"continuation": changed})) == "bad-continuation"
    # another server's secret
    assert refused(with_token, by=Paginator(b"other secret", clock=clock)) == "bad-continuation"
    # another query, another scope: refused; another limit: fine
    for other in (
        ListQuery(schema=UNIT, order_by="DESC:Slug", limit=10, where="Labels.tier = 'backend'"),
        ListQuery(schema=UNIT, order_by="ASC:Slug", limit=10, where="Labels.tier = 'frontend'"),
        ListQuery(schema=UNIT, order_by="ASC:Slug", limit=10, where="Labels.tier = 'backend'",
                  contains="x"),
        ListQuery(schema=catalog("Space"), order_by="ASC:Slug", limit=10),
    ):
        assert refused(other.model_copy(update={"continuation": token})) == "continuation-mismatch"
    assert refused(with_token, scope="/space/x/unit") == "continuation-mismatch"
    assert pages.read(with_token.model_copy(update={"limit": 3}), scope="/unit") == ok
    # stale
    clock.now += 601
    assert refused(with_token) == "stale-continuation"


def test_a_token_needs_a_paginator() -> None:
    query = ListQuery(schema=UNIT, continuation="abc")
    with pytest.raises(WhereError) as info:
        list(query.apply(UNITS))
    assert (info.value.code, info.value.parameter) == ("continuation-unsupported", "continue")


def test_filter_by_space_and_slug() -> None:
    backend = [f for f in sample.entities("Filter") if f["Slug"] == "backend-units"][0]
    space = STORE.get("Space", backend["SpaceID"])
    assert space is not None
    by_id = ListQuery(schema=UNIT, filter=backend["FilterID"])
    for ref in (f"{space['Slug']}/backend-units", f"{backend['SpaceID']}/backend-units"):
        by_ref = ListQuery.from_params({"filter": ref}, schema=UNIT)
        assert by_ref.filter == ref
        assert list(by_ref.apply(UNITS, filters=STORE)) == list(by_id.apply(UNITS, filters=STORE))
    with pytest.raises(WhereError) as info:
        ListQuery(schema=UNIT, filter="nowhere/backend-units").condition(STORE)
    assert info.value.code == "unknown-filter"


@settings(max_examples=200)
@given(values=st.dictionaries(
    st.sampled_from(["order_by", "limit", "continue", "include_hidden", "summary", "where_data",
                     "filter"]),
    st.text(max_size=40) | st.sampled_from(["ASC:Slug", "DESC:", ":", ",", "1000", "00"]),
))  # fmt: skip
def test_any_value_is_a_query_or_a_where_error(values: dict[str, str]) -> None:
    try:
        query = ListQuery.from_params(values, schema=UNIT)
    except WhereError as err:
        assert err.parameter in values, err
        return
    assert ListQuery.from_params(query.to_query_string(), schema=UNIT) == query
