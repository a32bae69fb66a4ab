"""Validation overhead: parse + validate against plain parse, in the same run.

The seed example of the remote API is checked against the ConfigHub ``Unit`` schema
(a time literal converted to a datetime, a string, a map key). The reference is the
plain parse without the parse cache; the issue asks that validation add less than
half of that. ``validate`` alone is timed on the parsed tree, with the schema's path
cache warm (steady state of a server) and cleared before every call (first query).
"""

from __future__ import annotations

from harness import Bench

import wherelang
from wherelang import confighub
from wherelang.validate import validate

SEED = "CreatedAt >= '2025-01-07' AND Slug = 'test' AND Labels.mykey = 'myvalue'"
# A longer strict query touching a UUID, a map, IN and a relation hop.
WIDE = (
    "CreatedAt >= '2025-01-07T10:00:00Z' AND Slug IN ('a', 'b', 'c') "
    "AND SpaceID = '7c61626f-ddbe-41af-93f6-b69f4ab6d308' "
    "AND ApplyGates ? 'complete/no-placeholders' AND LEN(ApplyGates) > 0 "
    "AND Space.Labels.Environment = 'prod' AND HeadRevisionNum > UpstreamRevisionNum "
    "AND Slug ~ '^app-[0-9]+$'"
)


def run(bench: Bench) -> None:
    unit = confighub.schema("Unit")
    for label, text in (("seed", SEED), ("8 conditions", WIDE)):
        group = f"validate: {label} vs Unit"
        tree = wherelang.parse(text, cache=False)
        parse_row = bench.measure(
            group, "parse (no cache)", lambda: wherelang.parse(text, cache=False),
            unit="query", reference=True,
        )  # fmt: skip
        both = bench.measure(
            group, "parse + validate (no cache)",
            lambda: wherelang.parse(text, schema=unit, cache=False), unit="query",
        )  # fmt: skip
        warm = bench.measure(group, "validate only", lambda: validate(tree, unit), unit="query")

        def cold() -> None:
            unit._paths.clear()
            validate(tree, unit)

        bench.measure(group, "validate only, path cache cleared", cold, unit="query")
        bench.measure(
            group, "parse (cached) + validate",
            lambda: wherelang.parse(text, schema=unit), unit="query",
        )  # fmt: skip
        # The difference of the two end-to-end rows is noisy on a shared machine; the
        # validate-only row measures the added work directly.
        warm.note = f"adds {warm.seconds / parse_row.seconds:.0%} of parse time (target < 50%)"
        both.note = f"{both.seconds / parse_row.seconds - 1:+.0%} against parse alone"
