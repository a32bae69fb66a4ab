"""List queries: parsing the five parameters, and running them in memory.

Rows of one group do the same work. The references are what a programmer writes by hand:
``urllib.parse`` plus ``wherelang.parse`` for the parameters (so the row shows what
checking the other four parameters costs; issue 17 asks ``from_params`` for at least
0.8x of it), and a hand-written Python loop for the
in-memory run over the shipped sample Units (repeated to 22,000 rows, 2,200 under
``--quick``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from harness import Bench

import wherelang
from wherelang import ListQuery, confighub, sample

UNIT = confighub.schema("Unit")
QUERY_STRING = (
    "where=Labels.tier%20%3D%20%27backend%27%20AND%20LEN%28ApplyGates%29%20%3E%200"
    "&contains=ledger&select=DisplayName%2CLabels&include=SpaceID"
)
WHERE = "Labels.tier = 'backend' AND LEN(ApplyGates) > 0"


def _by_hand_params() -> Any:
    params = dict(parse_qsl(QUERY_STRING))
    return wherelang.parse(params["where"], schema=UNIT), params["select"].split(",")


def _hand_where_contains_select(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = sorted({*UNIT.always, "DisplayName", "Labels"})
    strings = [n for n in UNIT.searchable if UNIT.attributes[n].type.kind.value == "string"]
    maps = [n for n in UNIT.searchable if UNIT.attributes[n].type.kind.value == "map"]
    out = []
    for u in units:
        labels = u.get("Labels") or {}
        if labels.get("tier") != "backend" or not u.get("ApplyGates"):
            continue
        found = any("ledger" in (u.get(n) or "").lower() for n in strings) or any(
            "ledger" in k.lower() or (isinstance(v, str) and "ledger" in v.lower())
            for n in maps
            for k, v in (u.get(n) or {}).items()
        )
        if found:
            out.append({n: u.get(n) for n in keep})
    return out


def run(bench: Bench) -> None:
    group = "list query: parse the parameters"
    ref, ours = bench.interleaved(group, [
        {"name": "urllib.parse + wherelang.parse(where)", "fn": _by_hand_params, "unit": "query",
         "reference": True},
        {"name": "ListQuery.from_params (all five checked)", "unit": "query",
         "fn": lambda: ListQuery.from_params(QUERY_STRING, schema=UNIT)},
    ])  # fmt: skip
    ours.note = f"target >= 0.8x the reference: {ref.seconds / ours.seconds:.2f}x"
    query = ListQuery.from_params(QUERY_STRING, schema=UNIT)
    bench.measure(group, "to_query_string", query.to_query_string, unit="query")

    repeat = 10 if bench.quick else 100
    units = sample.entities("Unit") * repeat
    rows = len(units)
    listing = ListQuery(schema=UNIT, where=WHERE, contains="ledger", select=["DisplayName", "Labels"])
    assert [u["UnitID"] for u in listing.apply(units)] == [
        u["UnitID"] for u in _hand_where_contains_select(units)
    ]
    group = f"list query: where + contains + select, {rows:,} units"
    bench.measure(group, "hand-written Python loop", lambda: _hand_where_contains_select(units),
                  units=rows, unit="row", reference=True)  # fmt: skip
    bench.measure(group, "ListQuery.apply", lambda: list(listing.apply(units)), units=rows,
                  unit="row")  # fmt: skip

    contains_only = ListQuery(schema=UNIT, contains="ledger")
    group = f"list query: contains only, {rows:,} units"
    bench.measure(group, "hand-written Python loop",
                  lambda: [u for u in units if _hand_contains(u, "ledger")], units=rows,
                  unit="row", reference=True)  # fmt: skip
    bench.measure(group, "ListQuery.apply", lambda: list(contains_only.apply(units)), units=rows,
                  unit="row")  # fmt: skip


_STRINGS = [n for n in UNIT.searchable if UNIT.attributes[n].type.kind.value == "string"]
_MAPS = [n for n in UNIT.searchable if UNIT.attributes[n].type.kind.value == "map"]


def _hand_contains(u: dict[str, Any], needle: str) -> bool:
    for n in _STRINGS:
        v = u.get(n)
        if isinstance(v, str) and needle in v.lower():
            return True
    for n in _MAPS:
        for k, v in (u.get(n) or {}).items():
            if needle in k.lower() or (isinstance(v, str) and needle in v.lower()):
                return True
    return False
