"""wherelang._memo.BoundedMemo, and the memos that use it (fastapi.list_query's answers,
validate's ConfigHub path resolutions): bounded, emptied when full, hits kept."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wherelang import ListQuery, WhereError, confighub, parse
from wherelang._memo import BoundedMemo


def test_hits_are_the_stored_values() -> None:
    memo: BoundedMemo[str, object] = BoundedMemo(3)
    value = object()
    assert memo.remember("a", value) is value
    assert memo.get("a") is value and memo.get("b") is None


def test_full_memo_is_emptied_before_a_new_key() -> None:
    memo: BoundedMemo[int, int] = BoundedMemo(3)
    for i in range(3):
        memo.remember(i, i * 10)
    assert dict(memo) == {0: 0, 1: 10, 2: 20}
    memo.remember(1, 11)  # a key it holds: replaced, nothing dropped
    assert dict(memo) == {0: 0, 1: 11, 2: 20}
    memo.remember(3, 30)
    assert dict(memo) == {3: 30}


def test_a_memo_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError):
        BoundedMemo(0)


@given(st.integers(1, 8), st.lists(st.tuples(st.integers(0, 20), st.integers())))
def test_memo_is_a_dict_emptied_when_full(limit: int, writes: list[tuple[int, int]]) -> None:
    """Against a model: the memo holds what a dict holds that is emptied whenever a new
    key would pass ``limit``; never more than ``limit``; the last write always a hit."""
    memo: BoundedMemo[int, int] = BoundedMemo(limit)
    model: dict[int, int] = {}
    for key, value in writes:
        if key not in model and len(model) == limit:
            model = {}
        model[key] = value
        memo.remember(key, value)
        assert dict(memo) == model and len(memo) <= limit
        assert memo.get(key) == value


def _memos(fn: Any) -> list[BoundedMemo[Any, Any]]:
    """The BoundedMemo objects ``fn``'s closures hold (through nested closures)."""
    found: list[BoundedMemo[Any, Any]] = []
    seen: set[int] = set()
    todo = [fn]
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        for cell in getattr(f, "__closure__", None) or ():
            item = cell.cell_contents
            if isinstance(item, BoundedMemo):
                found.append(item)
            elif callable(item):
                todo.append(item)
    return found


def test_list_query_answers_are_bounded_and_reused() -> None:
    from wherelang.fastapi import _KNOWN, list_query

    dependency = list_query("Unit", lean=True)
    [known] = _memos(dependency)
    assert known.limit == _KNOWN

    def request(query: bytes) -> Any:
        return SimpleNamespace(scope={"query_string": query})

    first = dependency(request(b"where=Slug%3D%27a%27"))
    assert isinstance(first, ListQuery) and dependency(request(b"where=Slug%3D%27a%27")) is first
    for i in range(_KNOWN + 5):
        dependency(request(f"where=Slug%3D%27a{i}%27".encode()))
        assert len(known) <= _KNOWN
    assert len(known) < _KNOWN  # it was emptied once on the way
    with pytest.raises(WhereError):  # errors are answers too, raised afresh each time
        dependency(request(b"where=Nope%3D1"))
    with pytest.raises(WhereError):
        dependency(request(b"where=Nope%3D1"))


def test_hub_path_resolutions_are_bounded() -> None:
    from wherelang.validate import _PATH_CACHE

    unit = confighub.schema("Unit")
    for i in range(_PATH_CACHE + 10):
        parse(f"Labels.k{i} = 'x'", schema=unit, cache=False)
        memo = unit.__dict__["_hub_paths"]
        assert isinstance(memo, BoundedMemo) and len(memo) <= _PATH_CACHE
    assert len(unit.__dict__["_hub_paths"]) < _PATH_CACHE
