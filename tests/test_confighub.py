"""The ConfigHub catalog: ConfigHub's where_attributes.json as ready schemas."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from wherelang import WhereValidationError, confighub, parse
from wherelang.schema import Kind, Type

ROOT = Path(__file__).resolve().parents[1]
# The project's shared/ folder sits beside the clone (CI) or at /work/shared (development).
_TABLE = "confighub/where_attributes.json"
SHARED = next(
    (p for p in (ROOT.parent / "shared" / _TABLE, Path("/work/shared") / _TABLE) if p.exists()),
    Path("/work/shared") / _TABLE,
)  # fmt: skip


def shipped() -> dict[str, Any]:
    text = resources.files("wherelang").joinpath("data/confighub.json").read_text("utf-8")
    entities: dict[str, Any] = json.loads(text)["entities"]
    return entities


ENTITIES = shipped()


def table() -> dict[str, Any]:
    if not SHARED.exists():
        pytest.skip("ConfigHub's table is not on this machine")
    found: dict[str, Any] = json.loads(SHARED.read_text("utf-8"))["entityTypes"]
    return found


def make_catalog() -> Any:
    spec = importlib.util.spec_from_file_location("make_catalog", ROOT / "scripts" / "make_catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_data_is_what_the_script_writes_from_the_table() -> None:
    script = make_catalog()
    previous = {
        name: {"id": e["id"], "filterable": [],
               "attributes": {a: {k: v for k, v in t.items() if k != "filterable"}
                              for a, t in e["attributes"].items() if t.get("filterable") is False}}
        for name, e in ENTITIES.items()
    }  # fmt: skip
    rebuilt = script.build({"entityTypes": table()}, previous)["entities"]
    assert rebuilt == ENTITIES


def test_names_are_every_entity_of_the_table() -> None:
    assert confighub.names() == tuple(sorted(table())) == tuple(sorted(ENTITIES))
    assert len(confighub.names()) == 29


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_schema_is_the_table(name: str) -> None:
    attrs = table()[name]
    schema = confighub.schema(name)
    assert schema is confighub.schema(name)  # built once
    assert set(schema.filterable) == set(attrs)  # every name of the table, and only those
    for attr_name, spec in attrs.items():
        attribute = schema.attributes[attr_name]
        assert confighub.data_type(schema, attr_name) == spec["dataType"]
        assert attribute.type == Type.of(make_catalog().TYPES[spec["dataType"]])
    for attr_name, attribute in schema.attributes.items():
        if attr_name not in attrs:
            assert not attribute.filterable  # kept for select, not for where
    # relations: the references, named by ConfigHub's FieldNameToEntityName
    vias = {r.via for r in schema.relations.values()}
    assert vias <= {a for a, s in attrs.items() if "references" in s}
    for relation in schema.relations.values():
        spec = attrs[relation.via]
        assert relation.entity == spec["references"]
        assert relation.includable == bool(spec.get("expandable"))
        assert relation.many == (spec["dataType"] in ("[]uuid", "map[uuid]string"))
        assert schema.related(relation.field) is confighub.schema(relation.entity)
    expandable = sorted(a for a, s in attrs.items() if s.get("expandable"))
    assert sorted(schema.includable) == expandable
    parents = {"OrganizationID", "SpaceID"} & set(schema.attributes)
    assert parents <= set(schema.always)
    if schema.id:
        assert schema.id in schema.always


# REFERENCE.md §0: prefixes per entity type under parserFor (* marks list references).
PREFIXES = {
    "Attestation": "Organization Space", "Attribute": "Organization Space",
    "BridgeWorker": "Organization Space", "ChangeWorkflow": "Organization Space",
    "ChangeOrder": "EndTag Invocation Organization RestoreTag SpaceFilter Space StartTag UnitFilter",
    "ChangeSet": "EndTag Organization Space StartTag", "Component": "Organization",
    "Filter": "FromSpace Organization Space", "Invocation": "BridgeWorker Organization Space",
    "Link": "FromUnit Organization Space ToSpace ToUnit TransformInvocation",
    "Mutation": "Invocation Link MergeSource Organization Revision Space Trigger Unit",
    "Release": "Organization Space Tag", "Resource": "Organization Space Target Unit",
    "Revision": "Attestations* ChangeOrders* ChangeSet Organization Releases* Space Tags* Unit User",
    "Space": "AttributeFilter Attributes* Component Organization ReleaseTarget TriggerFilter Triggers*",
    "Tag": "ChangeSet Organization Space", "Target": "Organization Space TriggerFilter Triggers*",
    "Trigger": "BridgeWorker Invocation Organization Space UnitFilter",
    "Unit": "ChangeSet FromLink* HeadRevision LastReleasedRevision Organization Space Target "
            "UpstreamSpace UpstreamUnit",
    "View": "Filter Organization Space",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_prefixes_are_the_reference_table(name: str) -> None:
    schema = confighub.schema(name)
    found = sorted(r.field + ("*" if r.many else "") for r in schema.relations.values() if r.includable)
    assert found == sorted(PREFIXES.get(name, "").split())


def test_removed_attributes_are_gone_and_new_ones_there() -> None:
    unit = confighub.schema("Unit")
    for gone in ("LiveRevisionNum", "ApprovedBy", "LastAppliedRevisionNum", "UpstreamOrganizationID"):
        assert gone not in unit.attributes
    for new in ("LastReleasedRevisionNum", "ValidationErrors", "HiddenReason", "Permissions"):
        assert unit.attributes[new].filterable
    assert confighub.data_type(unit, "ValidationTriggerIDs") == "map[string]uuid"
    assert confighub.data_type(confighub.schema("Revision"), "Tags") == "map[uuid]string"
    assert unit.relation("FromLink").many  # type: ignore[union-attr]


def test_relations_and_what_the_old_catalog_knew() -> None:
    unit = confighub.schema("Unit")
    assert unit.relation("Space").via == "SpaceID"  # type: ignore[union-attr]
    assert unit.relation("UpstreamSpace").via == "UpstreamSpaceID"  # type: ignore[union-attr]
    assert unit.relation("HeadRevision").via == "HeadRevisionNum"  # type: ignore[union-attr]
    invocation = confighub.schema("Invocation")
    assert invocation.includable == ("BridgeWorkerID", "OrganizationID", "SpaceID")
    assert invocation.always == ("InvocationID", "OrganizationID", "Slug", "SpaceID")
    assert "Labels" in invocation.searchable and "DisplayName" in invocation.searchable
    assert "CreatedAt" not in invocation.searchable and "Permissions" not in invocation.searchable
    # non-filterable attributes of the API typings stay, for select
    assert "Data" in unit.attributes and not unit.attributes["Data"].filterable


def test_paths_hop_through_related_schemas() -> None:
    tree = parse("Space.Labels.Environment = 'prod' AND UpstreamSpace.Slug = 'x'", schema=confighub.schema("Unit"))
    first, second = tree.items  # type: ignore[union-attr]
    assert first.left.hops == ("Space",) and first.left.key == "Environment"
    assert second.left.hops == ("UpstreamSpace",) and second.left.name == "Slug"
    with pytest.raises(WhereValidationError) as info:
        parse("Space.HeadRevisionNum > 1", schema=confighub.schema("Unit"))
    assert info.value.code == "unknown-attribute" and info.value.position == 6


def test_catalog_keys_are_limited_to_128_characters() -> None:
    assert confighub.schema("Unit").max_key == confighub.MAX_KEY == 128


@pytest.mark.parametrize(("name", "guess"), [("Unitt", "Unit"), ("unit", "Unit"), ("space", "Space"), ("Invocatoin", "Invocation")])
def test_unknown_entity_suggests(name: str, guess: str) -> None:
    with pytest.raises(WhereValidationError) as info:
        confighub.schema(name)
    assert info.value.code == "unknown-entity"
    assert info.value.hint == f"did you mean {guess!r}?"


def test_unknown_entity_without_a_near_name_lists_them() -> None:
    with pytest.raises(WhereValidationError) as info:
        confighub.schema("Zebra")
    assert info.value.hint is not None and "Unit" in info.value.hint and "Space" in info.value.hint


def test_every_kind_occurs_in_the_catalog() -> None:
    kinds = {
        a.type.kind for name in confighub.names() for a in confighub.schema(name).attributes.values()
    }
    assert kinds == set(Kind) - {Kind.FLOAT}


def test_the_script_is_deterministic(tmp_path: Path) -> None:
    script = make_catalog()
    first = json.dumps(script.build({"entityTypes": table()}, {}), sort_keys=True)
    assert first == json.dumps(script.build({"entityTypes": table()}, {}), sort_keys=True)
