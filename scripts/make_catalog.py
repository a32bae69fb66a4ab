"""Write ``wherelang/data/confighub.json``, the ConfigHub catalog, from ConfigHub's table.

The table is ``where_attributes.json`` of confighub/sdk (core/configkit/cubkit, MIT),
what ConfigHub's where parser checks names against (REFERENCE.md §0). Every attribute in
it is filterable; its ``references`` make relations and its ``expandable`` fields are
what ``include`` expands, and the prefixes a where expression may use.

The table does not say what ``select`` always returns, what ``contains`` searches, nor
which attributes a response has beyond the filterable ones. Those facts come from the
previous catalog (ConfigHub's public API typings), kept where they do not contradict
the table: its entity IDs, and its non-filterable attributes of types the table does not
name otherwise.

Run from the repository root::

    python scripts/make_catalog.py [path/to/where_attributes.json]

The output is deterministic (sorted keys), so a change of the table reviews as a diff.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "wherelang" / "data" / "confighub.json"
DEFAULT_TABLE = next(
    (p for p in (ROOT.parent / "shared" / "confighub" / "where_attributes.json",
                 Path("/work/shared/confighub/where_attributes.json")) if p.exists()),
    Path("/work/shared/confighub/where_attributes.json"),
)  # fmt: skip

#: ConfigHub's data types (REFERENCE.md §0) as wherelang types (Type.of's JSON).
TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "int": {"type": "int"},
    "bool": {"type": "bool"},
    "uuid": {"type": "uuid"},
    "time": {"type": "time"},
    "JSON": {"type": "json"},
    "[]uuid": {"type": "array", "items": "uuid"},
    "map[string]string": {"type": "map", "values": "string"},
    "map[string]bool": {"type": "map", "values": "bool"},
    "map[uuid]string": {"type": "map", "keys": "uuid", "values": "string"},
    "map[string]uuid": {"type": "map", "values": "uuid"},
    "map[string]map[string]map[uuid]bool": {
        "type": "map",
        "values": {"type": "map", "values": {"type": "map", "keys": "uuid", "values": "bool"}},
    },
}

#: References that hold several ids: written ``Prefix.*.Attr`` (REFERENCE.md §0).
LIST_TYPES = ("[]uuid", "map[uuid]string")


def prefix_of(field: str) -> str:
    """ConfigHub's FieldNameToEntityName: the prefix an included field gives."""
    if field.endswith("ID"):
        return field[:-2]
    if field.endswith("IDs"):
        return field[:-3] + "s"
    if field.endswith("Num"):
        return field[:-3]
    return field


def build(table: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    entities: dict[str, Any] = {}
    for name in sorted(table["entityTypes"]):
        attrs = table["entityTypes"][name]
        before = previous.get(name, {})
        attributes: dict[str, Any] = {}
        for attr_name in sorted(attrs):
            spec = attrs[attr_name]
            attributes[attr_name] = {**TYPES[spec["dataType"]], "dataType": spec["dataType"]}
        # Non-filterable attributes of the previous catalog (returned by select).
        for attr_name, spec in sorted(before.get("attributes", {}).items()):
            if attr_name not in attributes and attr_name not in before.get("filterable", ()):
                attributes[attr_name] = {**spec, "filterable": False}
        own_id = before.get("id") or (f"{name}ID" if f"{name}ID" in attrs else None)
        relations: dict[str, Any] = {}
        # Two references may give one prefix (Mutation's RevisionID and RevisionNum): the
        # expandable one is the prefix; the other stays a plain attribute.
        fields: dict[str, str] = {}
        for via in sorted(attrs, key=lambda v: not attrs[v].get("expandable")):
            if "references" in attrs[via]:
                fields.setdefault(prefix_of(via), via)
        for via in sorted(attrs):
            spec = attrs[via]
            if "references" not in spec or fields[prefix_of(via)] != via:
                continue
            relations[via] = {
                "entity": spec["references"],
                "field": prefix_of(via),
                "many": spec["dataType"] in LIST_TYPES,
                "expandable": bool(spec.get("expandable")),
            }
        entities[name] = {
            "id": own_id,
            "attributes": attributes,
            "relations": relations,
        }
    return {
        "source": "ConfigHub's where_attributes.json (confighub/sdk core/configkit/cubkit, MIT, "
        "(C) ConfigHub, Inc.), written by scripts/make_catalog.py; non-filterable attributes "
        "and entity IDs from ConfigHub's public API typings",
        "notes": "attributes: wherelang type (Type.of), ConfigHub's dataType, filterable "
        "(default true: the table lists what where may name). relations: by the attribute "
        "holding the id: the entity referenced, the prefix (field) a where expression uses, "
        "many (a list of ids: Prefix.*.Attr), expandable (include expands it; a strict prefix).",
        "entities": entities,
    }


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_TABLE
    table = json.loads(source.read_text("utf-8"))
    previous: dict[str, Any] = {}
    if OUT.exists():
        old = json.loads(OUT.read_text("utf-8"))
        if "filterable" in next(iter(old["entities"].values()), {}):  # the older layout
            previous = old["entities"]
        else:
            previous = {
                name: {
                    "id": spec["id"],
                    "attributes": {a: {k: v for k, v in s.items() if k != "filterable"}
                                   for a, s in spec["attributes"].items()
                                   if s.get("filterable") is False},  # fmt: skip
                    "filterable": [],
                }
                for name, spec in old["entities"].items()
            }
    OUT.write_text(json.dumps(build(table, previous), indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
