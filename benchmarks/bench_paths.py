"""JSON paths and list references in memory: wherelang against hand-written Python.

20,000 Unit-shaped dicts (2,000 under ``--quick``) with a Kubernetes-like ``Data``
document (containers with names, images and ports) and two or three carried
``FromLink`` entities. Each group's reference is a hand-written function doing the same
walk the way a person would write it for this data (it trusts the shapes: no lax-mode
unwrapping of unexpected arrays, no NULL logic), so the ratio is the price of the exact
PostgreSQL meaning. The path is compiled once into a selector function
(``wherelang.jsonpath``); nothing about it is interpreted per row.
"""

from __future__ import annotations

import random
from typing import Any

from harness import Bench

import wherelang
from wherelang.nodes import Attr, Compare, JsonStep, Literal, Op
from wherelang.schema import Attribute, Kind, Relation, Schema, Type

LINK = Schema("Link", [Attribute("LinkID", Type(Kind.UUID)), Attribute("Slug", Type(Kind.STRING))], id="LinkID")
UNIT = Schema(
    "Unit",
    [Attribute("Slug", Type(Kind.STRING)), Attribute("Data", Type(Kind.JSON)),
     Attribute("FromLinkID", Type.of({"type": "array", "items": "uuid"}))],
    [Relation("FromLink", "FromLinkID", "Link", many=True)],
    resolver={"Link": LINK}.get,
)  # fmt: skip


def _data(*steps: JsonStep) -> Attr:
    return Attr(("Data",), (), "Data", None, Type(Kind.JSON), json=steps)


def _key(k: str) -> JsonStep:
    return JsonStep("key", k)


CONTAINERS = (_key("spec"), _key("template"), _key("spec"), _key("containers"))
LATEST = Compare(_data(*CONTAINERS, JsonStep("any"), _key("image")), Op.LIKE, Literal("%:latest"))
NAMED = Compare(_data(*CONTAINERS, JsonStep("match", "name", value="web"), _key("image")), Op.EQ, Literal("nginx:1.25"))
EACH = Compare(Attr(("FromLink", "*", "Slug"), ("FromLink",), "Slug", None, Type(Kind.STRING), each=True),
               Op.EQ, Literal("db-7"))  # fmt: skip


def units(count: int, seed: int = 12) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    images = ["nginx:latest", "nginx:1.25", "redis:7", "postgres:16", "app:latest", "sidecar:2"]
    out = []
    for i in range(count):
        containers = [
            {"name": rng.choice(["web", "api", "log", "proxy"]), "image": rng.choice(images),
             "ports": [rng.randrange(1, 9000)]}
            for _ in range(rng.randint(1, 4))
        ]  # fmt: skip
        links = [{"Slug": f"db-{rng.randrange(50)}"} for _ in range(rng.randint(0, 3))]
        out.append({
            "Slug": f"app-{i}",
            "Data": {"kind": "Deployment", "spec": {"replicas": rng.randint(1, 5),
                                                    "template": {"spec": {"containers": containers}}}},
            "FromLink": links,
        })  # fmt: skip
    return out


def _containers(u: dict[str, Any]) -> list[Any]:
    d = u.get("Data")
    return d["spec"]["template"]["spec"]["containers"] if d else []


def hand_latest(u: dict[str, Any]) -> bool:
    return any(c.get("image", "").endswith(":latest") for c in _containers(u))


def hand_named(u: dict[str, Any]) -> bool:
    return any(c.get("name") == "web" and c.get("image") == "nginx:1.25" for c in _containers(u))


def hand_each(u: dict[str, Any]) -> bool:
    return any(link.get("Slug") == "db-7" for link in u.get("FromLink") or ())


def run(bench: Bench) -> None:
    rows = units(2_000 if bench.quick else 20_000)
    for label, condition, hand in (
        ("Data...containers.*.image LIKE '%:latest'", LATEST, hand_latest),
        ("Data...containers.?name=web.image = 'nginx:1.25'", NAMED, hand_named),
        ("FromLink.*.Slug = 'db-7'", EACH, hand_each),
    ):
        group = f"paths: {label} ({len(rows):,} Units)"
        predicate = wherelang.compile(condition, UNIT)
        expected = sum(1 for u in rows if hand(u))
        assert sum(1 for u in rows if predicate(u)) == expected, label
        ref = bench.measure(group, "hand-written function", lambda: [u for u in rows if hand(u)],
                            units=len(rows), unit="row", reference=True, note=f"{expected:,} match")  # fmt: skip
        row = bench.measure(group, "wherelang predicate", lambda: [u for u in rows if predicate(u)],
                            units=len(rows), unit="row")  # fmt: skip
        bench.measure(group, "wherelang filter", lambda: list(predicate.filter(rows)), units=len(rows), unit="row")
        row.note = f"{ref.seconds / row.seconds:.2f}x the hand-written function's rows/s"
