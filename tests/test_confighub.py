"""The ConfigHub catalog: every entity of entities.json as a ready schema."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from wherelang import WhereValidationError, confighub, parse
from wherelang.schema import Kind, Type

# The project's shared/ folder sits beside the clone (CI) or at /work/shared (development).
_FACTS = "confighub/entities.json"
SHARED = next(
    (p for p in (Path(__file__).resolve().parents[2] / "shared" / _FACTS,
                 Path("/work/shared") / _FACTS) if p.exists()),
    Path("/work/shared") / _FACTS,
)  # fmt: skip


def shipped() -> dict[str, Any]:
    text = resources.files("wherelang").joinpath("data/confighub.json").read_text("utf-8")
    entities: dict[str, Any] = json.loads(text)["entities"]
    return entities


ENTITIES = shipped()


def test_shipped_data_is_the_shared_facts() -> None:
    if not SHARED.exists():
        pytest.skip("the shared facts are not on this machine")
    assert json.loads(SHARED.read_text("utf-8"))["entities"] == ENTITIES


def test_names_are_every_entity() -> None:
    assert confighub.names() == tuple(sorted(ENTITIES))
    assert len(confighub.names()) == 20
    for name in ("Unit", "Space", "Invocation", "Trigger", "Filter", "View", "Link", "Revision"):
        assert name in confighub.names()


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_schema_matches_the_facts(name: str) -> None:
    spec = ENTITIES[name]
    schema = confighub.schema(name)
    assert schema.name == name and schema.id == spec.get("id")
    assert schema is confighub.schema(name)  # built once
    assert list(schema.filterable) == spec["filterable"]
    assert list(schema.includable) == spec["includable"]
    assert set(schema.attributes) == set(spec["attributes"])
    for attr_name, attr_spec in spec["attributes"].items():
        attribute = schema.attributes[attr_name]
        assert attribute.type == Type.of({k: v for k, v in attr_spec.items() if k != "nullable"})
        assert attribute.type.to_json() == {k: v for k, v in attr_spec.items() if k != "nullable"}
        assert attribute.nullable == attr_spec.get("nullable", False)
        assert attribute.filterable == (attr_name in spec["filterable"])
        searchable = attr_name in spec["filterable"] and attr_spec["type"] in ("string", "map")
        assert attribute.searchable == searchable
    parents = {"OrganizationID", "SpaceID"} & set(spec["attributes"])
    expected_always = parents | ({"Slug"} & set(spec["attributes"]))
    if spec.get("id"):
        expected_always.add(spec["id"])
    assert set(schema.always) == expected_always
    # relations: one per ID attribute, named as the include field or the name minus ID
    assert {r.via: r.entity for r in schema.relations.values()} == spec["relations"]
    for relation in schema.relations.values():
        entry = spec.get("include", {}).get(relation.via)
        if entry:
            assert (relation.field, relation.many) == (entry["field"], entry["many"])
        else:
            assert relation.field == relation.via.removesuffix("ID")
        assert relation.includable == (relation.via in spec["includable"])
        assert relation.entity in ENTITIES
        assert schema.related(relation.field) is confighub.schema(relation.entity)


def test_relation_fields_documented_in_spec() -> None:
    unit = confighub.schema("Unit")
    assert unit.relation("Space").via == "SpaceID"  # type: ignore[union-attr]
    assert unit.relation("UpstreamSpace").via == "UpstreamSpaceID"  # type: ignore[union-attr]
    assert unit.relation("UpstreamOrganization").entity == "Organization"  # type: ignore[union-attr]
    invocation = confighub.schema("Invocation")
    assert invocation.includable == ("BridgeWorkerID", "OrganizationID", "SpaceID")
    assert invocation.always == ("InvocationID", "OrganizationID", "Slug", "SpaceID")
    assert "Labels" in invocation.searchable and "DisplayName" in invocation.searchable
    assert "CreatedAt" not in invocation.searchable


def test_paths_hop_through_related_schemas() -> None:
    tree = parse("Space.Labels.Environment = 'prod' AND UpstreamSpace.Slug = 'x'", schema=confighub.schema("Unit"))
    first, second = tree.items  # type: ignore[union-attr]
    assert first.left.hops == ("Space",) and first.left.key == "Environment"
    assert second.left.hops == ("UpstreamSpace",) and second.left.name == "Slug"
    with pytest.raises(WhereValidationError) as info:
        parse("Space.HeadRevisionNum > 1", schema=confighub.schema("Unit"))
    assert info.value.code == "unknown-attribute" and info.value.position == 6
    assert "of Space" in info.value.message


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
