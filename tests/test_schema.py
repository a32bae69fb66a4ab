"""The schema data model, and schemas derived from pydantic models."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum, IntEnum
from typing import Annotated, Any, Literal, Optional, Union

import pytest
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel, to_pascal

from wherelang import WhereValidationError, parse
from wherelang.examples import (
    C1_FUNCTION_INVOCATION,
    NYCKEL_FUNCTION_OUTPUT,
    C1FunctionInvocation,
    NyckelFunctionOutput,
)
from wherelang.schema import Attribute, Kind, Relation, Schema, Type


class Color(str, Enum):
    RED = "red"
    GREEN = "green"


class Level(IntEnum):
    LOW = 1
    HIGH = 2


class Owner(BaseModel):
    name: str


class Everything(BaseModel):
    """Every supported annotation."""

    s: str
    i: int
    f: float
    d: Decimal
    b: bool
    u: uuid.UUID
    t: dt.datetime
    day: dt.date
    opt: Optional[str] = None
    pipe: int | None = None
    lit: Literal["a", "b"]
    color: Color
    level: Level
    tags: list[str] = []
    ids: tuple[uuid.UUID, ...] = ()
    uniq: set[int] = set()
    labels: dict[str, str] = {}
    by_id: dict[uuid.UUID, bool] = {}
    nested_map: dict[str, list[int]] = {}
    owner: Owner
    owners: list[Owner] = []
    extra: dict[str, Any] = {}
    anything: Any = None
    raw: dict = {}  # type: ignore[type-arg]
    annotated: Annotated[int, Field(ge=0)] = 0


EXPECTED = {
    "s": "string", "i": "int", "f": "float", "d": "float", "b": "bool", "u": "uuid",
    "t": "time", "day": "time", "opt": "string", "pipe": "int", "lit": "string",
    "color": "string", "level": "int", "tags": "array of string", "ids": "array of uuid",
    "uniq": "array of int", "labels": "map of string to string",
    "by_id": "map of uuid to bool", "nested_map": "map of string to array of int",
    "owner": "json", "owners": "array of json", "extra": "map of string to json",
    "anything": "json", "raw": "json", "annotated": "int",
}  # fmt: skip


def test_every_supported_annotation() -> None:
    schema = Schema.from_model(Everything)
    assert schema.name == "Everything"
    assert schema.description == "Every supported annotation."
    assert {n: str(a.type) for n, a in schema.attributes.items()} == EXPECTED
    assert schema.attributes["lit"].type.enum == ("a", "b")
    assert schema.attributes["color"].type.enum == ("red", "green")
    nullable = {n for n, a in schema.attributes.items() if a.nullable}
    assert nullable == {"opt", "pipe", "anything"}
    # searchable defaults to the string and map attributes (a bare dict is json)
    assert set(schema.searchable) == {"s", "opt", "lit", "color", "labels", "by_id",
                                      "nested_map", "extra"}  # fmt: skip


def test_derived_schema_validates_and_types() -> None:
    schema = Schema.from_model(Everything)
    text = (
        "color = 'red' AND level > 1 AND u = '7C61626F-DDBE-41AF-93F6-B69F4AB6D308' "
        "AND day >= '2025-01-07' AND tags ? 'x' AND nested_map.k ? 3 AND LEN(owners) > 0 "
        "AND owner IS NOT NULL AND extra.a IS NULL AND f > i AND d >= 0.5"
    )
    tree = parse(text, extended=True, schema=schema)
    assert tree.to_where(extended=True) == parse(text, extended=True).to_where(extended=True)
    for bad, code in [
        ("color = 'blue'", "bad-literal"),
        ("lit IN ('a', 'c')", "bad-literal"),
        ("owner = 'x'", "operator-not-allowed"),
        ("extra.a = 1", "operator-not-allowed"),
        ("by_id ? 'nope'", "bad-literal"),
        ("Color = 'red'", "unknown-attribute"),
    ]:
        with pytest.raises(WhereValidationError) as info:
            parse(bad, schema=schema, extended="_" in bad)  # names with _ are extended
        assert info.value.code == code, bad
    with pytest.raises(WhereValidationError) as info:
        parse("Color = 'red'", schema=schema)
    assert info.value.hint == "did you mean 'color'?"


class Pascal(BaseModel):
    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True)

    unit_id: uuid.UUID
    slug: str
    display_name: str = ""
    secret: str = ""
    created_at: dt.datetime


def test_alias_generator_names_are_what_users_type() -> None:
    schema = Schema.from_model(Pascal, id="unit_id", filterable=["Slug", "created_at", "UnitId"],
                               exclude=["secret"])  # fmt: skip
    assert list(schema.attributes) == ["UnitId", "Slug", "DisplayName", "CreatedAt"]
    assert schema.id == "UnitId" and schema.always == ("UnitId",)
    assert schema.attributes["CreatedAt"].python_name == "created_at"
    assert schema.attributes["Slug"].python_name == "slug"
    assert schema.filterable == ("UnitId", "Slug", "CreatedAt")
    assert schema.searchable == ("Slug",)
    with pytest.raises(WhereValidationError) as info:
        parse("DisplayName = 'x'", schema=schema)
    assert info.value.code == "not-filterable"
    assert "Slug" in (info.value.hint or "")
    with pytest.raises(WhereValidationError) as info:
        parse("slug = 'x'", schema=schema)
    assert info.value.hint == "did you mean 'Slug'?"


class Aliased(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel)

    head_revision_num: int = Field(alias="HeadRevisionNum")
    live: int = Field(serialization_alias="LiveRevisionNum")
    plain_name: str


def test_explicit_aliases_win() -> None:
    schema = Schema.from_model(Aliased, searchable=["plainName"], always=["live"])
    assert list(schema.attributes) == ["HeadRevisionNum", "LiveRevisionNum", "plainName"]
    assert schema.searchable == ("plainName",)
    assert schema.always == ("LiveRevisionNum",)
    parse("HeadRevisionNum > LiveRevisionNum", schema=schema)


def test_options_naming_unknown_fields_fail() -> None:
    with pytest.raises(ValueError, match="no field nope"):
        Schema.from_model(Pascal, filterable=["nope"])
    with pytest.raises(ValueError, match="no field nope"):
        Schema.from_model(Pascal, exclude="nope")


class Unsupported(BaseModel):
    ok: str
    data: bytes


class Mixed(BaseModel):
    value: Union[int, str]


class BadKeys(BaseModel):
    counts: dict[int, int]


@pytest.mark.parametrize(("model", "words"), [
    (Unsupported, "Unsupported.data: bytes has no where type"),
    (Mixed, "Mixed.value: a union of int, str has no single type"),
    (BadKeys, "map keys must be str or UUID"),
])  # fmt: skip
def test_unsupported_annotations_say_which_field(model: type[BaseModel], words: str) -> None:
    with pytest.raises(TypeError, match=words):
        Schema.from_model(model)


def test_excluding_an_unsupported_field_works() -> None:
    assert list(Schema.from_model(Unsupported, exclude=["data"]).attributes) == ["ok"]


def test_not_a_model() -> None:
    with pytest.raises(TypeError, match="pydantic model class"):
        Schema.from_model(dict)


def test_relations_and_resolver_pass_through() -> None:
    owner = Schema.from_model(Owner, name="Owner")

    class Thing(BaseModel):
        owner_id: uuid.UUID

    schema = Schema.from_model(
        Thing, relations=[Relation("owner", "owner_id", "Owner")],
        resolver={"Owner": owner}.get, max_key=10,
    )  # fmt: skip
    tree = parse("owner.name = 'x'", schema=schema)
    assert tree.left.hops == ("owner",) and tree.left.name == "name"  # type: ignore[union-attr]


# --- the data model -----------------------------------------------------------------


@pytest.mark.parametrize("spec", [
    "string", {"type": "array", "items": "uuid"}, {"type": "map", "values": "bool"},
    {"type": "map", "keys": "uuid", "values": "string"},
    {"type": "string", "enum": ["a", "b"]}, {"type": "array", "items": {"type": "array", "items": "int"}},
])  # fmt: skip
def test_type_json_round_trip(spec: Any) -> None:
    type = Type.of(spec)
    assert Type.of(type.to_json()) == type
    assert Type.of(type) is type


def test_schema_equality_ignores_the_path_cache() -> None:
    a = Schema("T", [Attribute("Slug", Type(Kind.STRING))])
    b = Schema("T", [Attribute("Slug", Type(Kind.STRING))])
    parse("Slug = 'x'", schema=a)
    assert a == b and hash(a) == hash(b)


def test_schema_lists() -> None:
    schema = Schema("T", [
        Attribute("ID", Type(Kind.UUID), always=True),
        Attribute("Slug", Type(Kind.STRING), searchable=True, always=True),
        Attribute("Secret", Type(Kind.STRING), filterable=False),
    ], [Relation("Space", "SpaceID", "Space", includable=True), Relation("Org", "OrgID", "Org")])  # fmt: skip
    assert schema.filterable == ("ID", "Slug")
    assert schema.searchable == ("Slug",)
    assert schema.always == ("ID", "Slug")
    assert schema.includable == ("SpaceID",)
    assert schema.related("Space") is None  # no resolver
    with pytest.raises(WhereValidationError) as info:
        parse("Space.Slug = 'x'", schema=schema)
    assert info.value.code == "unknown-attribute" and "not known" in info.value.message


# --- the example schemas of the other seed APIs -------------------------------------


def test_c1_function_invocation() -> None:
    s = C1_FUNCTION_INVOCATION
    assert s.name == "FunctionInvocation" and s.id == "id"
    assert list(s.attributes) == ["id", "functionId", "commitId", "status", "createdAt",
                                  "updatedAt", "error", "input", "output"]  # fmt: skip
    assert s.attributes["status"].type.enum == (
        "FUNCTION_INVOCATION_STATUS_UNSPECIFIED", "FUNCTION_INVOCATION_STATUS_PENDING",
        "FUNCTION_INVOCATION_STATUS_RUNNING", "FUNCTION_INVOCATION_STATUS_SUCCESS",
        "FUNCTION_INVOCATION_STATUS_ERROR",
    )  # fmt: skip
    assert str(s.attributes["input"].type) == "map of string to json"
    assert s.always == ("id", "functionId")
    text = ("functionId = 'fn-1' AND status IN ('FUNCTION_INVOCATION_STATUS_PENDING', "
            "'FUNCTION_INVOCATION_STATUS_RUNNING') AND updatedAt < '2025-02-18T23:16:34Z' "
            "AND output ? 'result' AND input.user IS NOT NULL AND error IS NULL")  # fmt: skip
    assert parse(text, schema=s).to_where(extended=True) == text
    with pytest.raises(WhereValidationError) as info:
        parse("status = 'SUCCESS'", schema=s)
    assert info.value.code == "bad-literal" and "FUNCTION_INVOCATION_STATUS_SUCCESS" in (info.value.hint or "")
    # the model reads the API's JSON
    item = C1FunctionInvocation.model_validate({"id": "a", "functionId": "f", "status": "FUNCTION_INVOCATION_STATUS_ERROR"})
    assert item.function_id == "f"


def test_nyckel_function_output() -> None:
    s = NYCKEL_FUNCTION_OUTPUT
    assert {n: str(a.type) for n, a in s.attributes.items()} == {
        "labelName": "string", "labelId": "string", "confidence": "float",
        "labelConfidences": "array of json",
    }  # fmt: skip
    tree = parse("confidence >= 0.75 AND labelName = 'cat' AND LEN(labelConfidences) > 1",
                 extended=True, schema=s)  # fmt: skip
    assert tree.items[0].right.value == Decimal("0.75")  # type: ignore[union-attr]
    with pytest.raises(WhereValidationError) as info:
        parse("confidence = 'high'", schema=s)
    assert info.value.code == "type-mismatch"
    out = NyckelFunctionOutput.model_validate(
        {"labelName": "cat", "confidence": 0.9, "labelConfidences": [{"labelName": "cat", "confidence": 0.9}]}
    )
    assert out.label_confidences is not None and out.label_confidences[0].label_name == "cat"
