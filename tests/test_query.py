"""ListQuery: the five list parameters, their errors, round trips and in-memory runs."""

from __future__ import annotations

import string
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wherelang import ListQuery, WhereError, confighub, parse, sample
from wherelang.query import MemoryStore, contains_pattern
from wherelang.strategies import expressions_for

UNIT = confighub.schema("Unit")
UNITS = sample.entities("Unit")
STORE = sample.store()
FILTERS = {f["Slug"]: f for f in sample.entities("Filter")}
SPACES = {s["Slug"]: s for s in sample.entities("Space")}


def q(**params: Any) -> ListQuery:
    return ListQuery.from_params(params, schema=UNIT)


# --- parameters -----------------------------------------------------------------------


def test_from_query_string_decodes_and_types_every_parameter() -> None:
    fid = FILTERS["backend-units"]["FilterID"]
    query = ListQuery.from_params(
        "where=CreatedAt+%3E%3D+%272025-01-07%27&filter=" + fid.upper()
        + "&contains=50%25+off&select=DisplayName,%20Labels&include=SpaceID%2CTargetID",
        schema=UNIT,
    )  # fmt: skip
    assert query.where == parse("CreatedAt >= '2025-01-07'", schema=UNIT)
    assert query.filter == UUID(fid)
    assert query.contains == "50% off"
    assert query.select == ("DisplayName", "Labels")
    assert query.include == ("SpaceID", "TargetID")


def test_canonical_query_string_and_order() -> None:
    query = q(include="SpaceID", select="Labels,Slug,Labels", contains="a b",
              where="slug = 'x'".replace("slug", "Slug"),
              filter="7C61626F-DDBE-41AF-93F6-B69F4AB6D308")  # fmt: skip
    assert query.to_query_string() == (
        "where=Slug%20%3D%20%27x%27&filter=7c61626f-ddbe-41af-93f6-b69f4ab6d308"
        "&contains=a%20b&select=Labels%2CSlug&include=SpaceID"
    )
    assert list(query.to_params()) == ["where", "filter", "contains", "select", "include"]
    assert query.to_params()["select"] == "Labels,Slug"  # duplicates dropped
    assert query.to_params(encoded=True)["where"] == "Slug%20%3D%20%27x%27"


def test_empty_values_are_absent() -> None:
    query = ListQuery.from_params("where=&select=&include=&contains=", schema=UNIT)
    assert query == ListQuery(schema=UNIT)
    assert query.to_query_string() == ""
    # Spaces are text to search for, but blank elsewhere.
    assert ListQuery.from_params({"contains": " ", "where": " "}, schema=UNIT).contains == " "


def test_mapping_values_may_be_lists_as_frameworks_give_them() -> None:
    query = ListQuery.from_params({"where": ["Slug = 'a'"], "select": "Slug"}, schema="Unit")
    assert query.where == parse("Slug = 'a'", schema=UNIT)


NAMES = st.lists(st.sampled_from(sorted(UNIT.attributes)), min_size=1, max_size=4)
TEXT = st.text(string.printable + "é€😀%_+&=#", min_size=1, max_size=30).filter(str.strip)


@settings(max_examples=60)
@given(
    where=st.none() | expressions_for(UNIT),
    contains=st.none() | TEXT,
    select=st.none() | NAMES,
    include=st.lists(st.sampled_from(UNIT.includable), max_size=3),
    filter=st.none() | st.uuids(),
)
def test_round_trip_through_the_query_string(
    where: Any, contains: Any, select: Any, include: Any, filter: Any
) -> None:
    query = ListQuery(
        schema=UNIT, where=where, contains=contains, select=select, include=include,
        filter=filter, extended=True,
    )  # fmt: skip
    again = ListQuery.from_params(query.to_query_string(), schema=UNIT, extended=True)
    assert again == query
    assert again.to_query_string() == query.to_query_string()
    assert ListQuery.from_params(query.to_params(), schema=UNIT, extended=True) == query


# --- every error names its parameter ---------------------------------------------------

ERRORS = [
    ({"where": "Slgu = 'x'"}, "where", "unknown-attribute", 0),
    ({"where": "Slug = 'x' OR Slug = 'y'"}, "where", "extended-syntax", 11),
    ({"where": "SpaceID = 'old-space-id'"}, "where", "bad-literal", 10),
    ({"filter": "not-a-uuid"}, "filter", "bad-filter-id", 0),
    ({"contains": "a\x00b"}, "contains", "bad-contains", 1),
    ({"contains": "x" * 1025}, "contains", "limit-exceeded", 1024),
    ({"select": "Slug, DisplayNme"}, "select", "unknown-attribute", 6),
    ({"select": "Slug,,Labels"}, "select", "empty-name", 5),
    ({"include": "SpaceID,Space"}, "include", "unknown-attribute", 8),
    ({"include": "Slug"}, "include", "not-includable", 0),
    ({"include": "spaceid"}, "include", "unknown-attribute", 0),
    ({"wher": "Slug = 'x'"}, "wher", "unknown-parameter", None),
]


@pytest.mark.parametrize("params, parameter, code, position", ERRORS)
def test_errors_name_the_parameter(
    params: dict[str, str], parameter: str, code: str, position: int | None
) -> None:
    with pytest.raises(WhereError) as info:
        ListQuery.from_params(params, schema=UNIT)
    err = info.value
    assert (err.parameter, err.code) == (parameter, code)
    if position is not None:
        assert err.position == position
    assert err.to_response()["Message"].startswith(f"{parameter}: ")


def test_error_hints() -> None:
    with pytest.raises(WhereError) as info:
        q(select="DisplayNme")
    assert info.value.hint == "did you mean 'DisplayName'?"
    with pytest.raises(WhereError) as info:
        q(include="Space")
    assert info.value.hint == "name the ID attribute: SpaceID"
    with pytest.raises(WhereError) as info:
        q(include="spaceid")
    assert info.value.hint == "did you mean 'SpaceID'?"
    with pytest.raises(WhereError) as info:
        ListQuery.from_params("wher=x", schema=UNIT)
    assert info.value.hint == "did you mean 'where'?" and info.value.position == 0


def test_query_string_errors_point_into_the_query_string() -> None:
    with pytest.raises(WhereError) as info:
        ListQuery.from_params("select=Slug&where=Slug%3D%27%FF%27", schema=UNIT)
    assert info.value.parameter == "where" and info.value.code == "bad-encoding"
    assert info.value.position == len("select=Slug&where=Slug%3D%27")


def test_duplicates_and_unknown_parameters() -> None:
    with pytest.raises(WhereError) as info:
        ListQuery.from_params("where=Slug%3D%27a%27&where=Slug%3D%27b%27", schema=UNIT)
    assert info.value.code == "duplicate-parameter" and "AND" in (info.value.hint or "")
    query = ListQuery.from_params("page=10&where=Slug%3D%27a%27", schema=UNIT, ignore_unknown=True)
    assert query.to_params() == {"where": "Slug = 'a'"}


def test_direct_construction_checks_the_same_way() -> None:
    with pytest.raises(WhereError) as info:
        ListQuery(schema="Unit", select=["Nope"])
    assert info.value.parameter == "select"
    with pytest.raises(WhereError):
        ListQuery(schema="Unitt")
    # A tree from the builder (untyped) is typed against the entity.
    from wherelang import attr

    typed = ListQuery(schema="Unit", where=attr.SpaceID == SPACES["data-prod"]["SpaceID"])
    assert typed.where == parse(f"SpaceID = '{SPACES['data-prod']['SpaceID']}'", schema=UNIT)
    assert ListQuery(schema="Unit", where="Slug = 'a'") == q(where="Slug = 'a'")
    assert "ListQuery(Unit, where=" in repr(typed)


# --- filter ------------------------------------------------------------------------------


def test_filter_is_anded_with_where() -> None:
    backend = FILTERS["backend-units"]["FilterID"]
    query = q(filter=backend, where="LEN(ApplyGates) > 0")
    got = [u["UnitID"] for u in query.apply(UNITS, filters=STORE)]
    expected = [
        u["UnitID"] for u in UNITS if u["Labels"].get("tier") == "backend" and u["ApplyGates"]
    ]
    assert got == expected and 0 < len(got) < len(UNITS)
    assert query.condition(STORE) == parse(
        "LEN(ApplyGates) > 0 AND Labels.tier = 'backend'", schema=UNIT
    )


def test_filter_bound_to_a_space() -> None:
    saved = FILTERS["unapproved-prod"]
    query = q(filter=saved["FilterID"])
    ok = list(query.apply(UNITS, filters=STORE, space_id=saved["FromSpaceID"].upper()))
    assert ok and all(not u["ApplyGates"] for u in ok)
    for space in (SPACES["data-prod"]["SpaceID"], None):
        with pytest.raises(WhereError) as info:
            list(query.apply(UNITS, filters=STORE, space_id=space))
        assert (info.value.code, info.value.parameter) == ("filter-space-mismatch", "filter")


@pytest.mark.parametrize(
    "filter_id, store, code",
    [
        ("prod-spaces", STORE, "filter-entity-mismatch"),
        ("00000000-0000-4000-8000-000000000000", STORE, "unknown-filter"),
        ("backend-units", None, "filter-unsupported"),
    ],
)
def test_filter_errors(filter_id: str, store: MemoryStore | None, code: str) -> None:
    fid = FILTERS[filter_id]["FilterID"] if filter_id in FILTERS else filter_id
    with pytest.raises(WhereError) as info:
        q(filter=fid).condition(store)
    assert (info.value.code, info.value.parameter) == (code, "filter")


def test_a_broken_saved_where_is_reported_on_filter() -> None:
    fid = "11111111-1111-4111-8111-111111111111"
    store = MemoryStore({"Filter": [{"FilterID": fid, "From": "Unit", "Where": "Slgu = 'x'"}]})
    with pytest.raises(WhereError) as info:
        q(filter=fid).condition(store)
    assert info.value.parameter == "filter" and info.value.code == "unknown-attribute"
    assert "invalid" in info.value.message and info.value.text == "Slgu = 'x'"
    empty = MemoryStore({"Filter": [{"FilterID": fid, "From": "Unit", "Where": ""}]})
    assert q(filter=fid, where="Slug = 'a'").condition(empty) == parse("Slug = 'a'", schema=UNIT)


def test_space_filters_ignore_from_space_for_spaces_themselves() -> None:
    fid = "22222222-2222-4222-8222-222222222222"
    store = MemoryStore({"Filter": [{"FilterID": fid, "From": "Space", "FromSpaceID": fid,
                                     "Where": "Labels.Environment = 'prod'"}]})  # fmt: skip
    space_query = ListQuery(schema="Space", filter=fid)
    got = {s["Slug"] for s in space_query.apply(sample.entities("Space"), filters=store)}
    assert got == {slug for slug, s in SPACES.items() if s["Labels"]["Environment"] == "prod"}


# --- contains ----------------------------------------------------------------------------


def _contains_by_hand(unit: dict[str, Any], text: str) -> bool:
    needle = text.lower()
    for name in UNIT.searchable:
        value = unit.get(name)
        if isinstance(value, str) and needle in value.lower():
            return True
        if isinstance(value, dict):
            string_values = UNIT.attributes[name].type.values.kind.value == "string"  # type: ignore[union-attr]
            for k, v in value.items():
                if needle in k.lower() or (string_values and isinstance(v, str) and needle in v.lower()):
                    return True
    return False


@pytest.mark.parametrize(
    "text", ["LEDGER", "budget", "over-BUDGET", "OPS-1", "kubernetes.io", "no-placeholders",
             "canary", "%", "_", "50%", "e_r", "zz-nothing", "Auto", "true"],
)  # fmt: skip
def test_contains_is_a_case_insensitive_substring_of_strings_keys_and_values(text: str) -> None:
    got = [u["UnitID"] for u in q(contains=text).apply(UNITS)]
    assert got == [u["UnitID"] for u in UNITS if _contains_by_hand(u, text)]


def test_contains_treats_wildcards_literally() -> None:
    units = [{"Slug": "a%b"}, {"Slug": "axb"}, {"Slug": "a_b"}, {"Labels": {"x\\y": "1"}}]
    assert [u["Slug"] for u in q(contains="%").apply(units)] == ["a%b"]
    assert [u["Slug"] for u in q(contains="a_b").apply(units)] == ["a_b"]
    assert list(q(contains="x\\y").apply(units)) == [units[3]]
    assert contains_pattern("a%_\\") == "%a\\%\\_\\\\%"


def test_contains_is_anded_with_where() -> None:
    got = list(q(contains="ledger", where="Labels.track = 'canary'").apply(UNITS))
    assert got and all("ledger" in u["Slug"] and u["Labels"]["track"] == "canary" for u in got)


# --- select --------------------------------------------------------------------------------


def test_select_returns_the_asked_and_always_returned_attributes() -> None:
    query = q(select="DisplayName", where="HeadRevisionNum > LastReleasedRevisionNum")
    rows = list(query.apply(UNITS))
    expected = {"DisplayName", "UnitID", "SpaceID", "OrganizationID", "Slug",
                "HeadRevisionNum", "LastReleasedRevisionNum"}  # fmt: skip
    assert rows and all(set(row) == expected for row in rows)
    assert query.returned() == tuple(n for n in UNIT.attributes if n in expected)


def test_select_adds_what_contains_and_relation_paths_use() -> None:
    query = q(select="Slug", contains="x", where="Space.Labels.Environment = 'prod'")
    returned = set(query.returned() or ())
    assert set(UNIT.searchable) <= returned and "SpaceID" in returned
    assert "Space" not in returned


def test_select_includes_attributes_of_the_saved_filter() -> None:
    query = q(select="Slug", filter=FILTERS["pending-changes"]["FilterID"])
    row = next(query.apply(UNITS, filters=STORE))
    assert {"HeadRevisionNum", "LastReleasedRevisionNum"} <= set(row)


def test_missing_selected_attributes_are_null() -> None:
    assert list(q(select="DisplayName").apply([{"Slug": "a"}])) == [
        {"DisplayName": None, "OrganizationID": None, "Slug": "a", "SpaceID": None, "UnitID": None}
    ]


def test_without_select_or_include_entities_come_back_unchanged() -> None:
    got = list(q(where="Slug = 'ledger'").apply(UNITS))
    assert got and all(any(g is u for u in UNITS) for g in got)


# --- include -------------------------------------------------------------------------------


def test_include_expands_related_entities() -> None:
    query = q(include="SpaceID,UpstreamUnitID,TargetID", where="Slug = 'ledger'")
    units = {u["UnitID"]: u for u in UNITS}
    spaces = {s["SpaceID"]: s for s in SPACES.values()}
    rows = list(query.apply(UNITS, resolver=STORE))
    assert rows
    for row in rows:
        assert set(row) == {"Unit", "Space", "UpstreamUnit", "Target"}
        unit = row["Unit"]
        assert row["Space"] == spaces[unit["SpaceID"]]
        assert row["UpstreamUnit"] == units.get(unit["UpstreamUnitID"])
        assert (row["Target"] is None) == (unit["TargetID"] is None)


def test_include_uses_an_extended_response_and_embedded_entities() -> None:
    unit = {"UnitID": "u1", "SpaceID": "s1", "Slug": "a"}
    space = {"SpaceID": "s1", "Slug": "from-wrapper"}
    [row] = q(include="SpaceID").apply([{"Unit": unit, "Space": space}])
    assert row == {"Unit": unit, "Space": space}
    [row] = q(include="SpaceID").apply([{**unit, "Space": space}])
    assert row["Space"] == space
    [row] = q(include="SpaceID").apply([unit])
    assert row == {"Unit": unit, "Space": None}


def test_paths_through_relations_use_the_store() -> None:
    query = q(where="Space.Labels.Environment = 'staging' AND Labels.tier = 'data'")
    got = {u["UnitID"] for u in query.apply(UNITS, resolver=STORE)}
    staging = {s["SpaceID"] for s in SPACES.values() if s["Labels"]["Environment"] == "staging"}
    assert got == {
        u["UnitID"] for u in UNITS if u["SpaceID"] in staging and u["Labels"].get("tier") == "data"
    }
    assert got


def test_pydantic_entities() -> None:
    from pydantic import BaseModel, Field

    class Unit(BaseModel):
        slug: str = Field(alias="Slug")
        labels: dict[str, str] = Field(default_factory=dict, alias="Labels")
        unit_id: str = Field(alias="UnitID")

    units = [Unit(Slug="ledger", Labels={"tier": "Backend"}, UnitID="1"),
             Unit(Slug="web", UnitID="2")]  # fmt: skip
    query = q(where="Labels.tier = 'Backend'", select="Labels")
    assert list(query.apply(units)) == [
        {"Labels": {"tier": "Backend"}, "OrganizationID": None, "Slug": "ledger",
         "SpaceID": None, "UnitID": "1"}
    ]  # fmt: skip
    assert [u.slug for u in q(contains="BACKEND").apply(units)] == ["ledger"]


def test_memory_store() -> None:
    store = MemoryStore({"Space": [{"SpaceID": "2EC6898E-1D06-42FA-9381-C011E042B77F"}]})
    assert store.get("Space", UUID("2ec6898e-1d06-42fa-9381-c011e042b77f")) is not None
    assert store.get("Space", None) is None and store.get("Nope", "x") is None
    assert store.id_attribute("Widget") == "WidgetID"
    assert MemoryStore(ids={"Widget": "Key"}).id_attribute("Widget") == "Key"
    resolve = store.resolver(UNIT)
    assert resolve({"SpaceID": "2ec6898e-1d06-42fa-9381-c011e042b77f"}, "Space") is not None
    assert resolve({}, "Space") is None and resolve({"SpaceID": "x"}, "Nope") is None


# --- the sample data set -----------------------------------------------------------------


def test_the_shipped_sample_is_what_the_script_generates(tmp_path: Any) -> None:
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "make_sample_data.py"
    spec = importlib.util.spec_from_file_location("make_sample_data", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write(module.build(), tmp_path)
    shipped = Path(sample.__file__).parent / "data" / "sample"
    names = sorted(p.name for p in shipped.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), name


def test_the_sample_is_realistic_and_consistent() -> None:
    units = sample.entities("Unit")
    assert len(units) >= 200
    spaces = {s["SpaceID"] for s in sample.entities("Space")}
    assert all(u["SpaceID"] in spaces for u in units)
    assert {u["UpstreamUnitID"] for u in units if u["UpstreamUnitID"]} <= {u["UnitID"] for u in units}
    # Every where example the docs and SPEC use finds some units and misses others.
    for where in ["Labels.tier = 'backend' AND LEN(ApplyGates) > 0", "HeadRevisionNum > LastReleasedRevisionNum",
                  "ApplyGates.complete/no-placeholders = true", "TargetID IS NULL",
                  "Labels.app.kubernetes.io/name IS NOT NULL", "CreatedAt >= '2025-02-01'"]:  # fmt: skip
        found = list(q(where=where).apply(units))
        assert 0 < len(found) < len(units), where
    with pytest.raises(KeyError):
        sample.entities("Nope")


# --- the remaining error paths -------------------------------------------------------------


def test_non_text_values_and_wrong_types() -> None:
    with pytest.raises(WhereError) as info:
        ListQuery.from_params({"where": 5}, schema=UNIT)  # type: ignore[dict-item]
    assert (info.value.code, info.value.parameter) == ("bad-parameter", "where")
    with pytest.raises(TypeError):
        ListQuery(schema=UNIT, where=5)
    with pytest.raises(TypeError):
        ListQuery(schema=42)


def test_sql_errors_for_what_sql_cannot_do() -> None:
    from wherelang.errors import WhereSqlError
    from wherelang.schema import Attribute, Relation, Schema, Type

    lonely = Schema(
        "Thing",
        [Attribute("ThingID", Type.of("uuid"), always=True), Attribute("OwnerID", Type.of("uuid")),
         Attribute("Name", Type.of("string"), searchable=True)],
        [Relation("Owner", "OwnerID", "Owner", includable=True)],
        id="ThingID",
    )  # fmt: skip
    with pytest.raises(WhereSqlError) as info:
        ListQuery(schema=lonely, include=["OwnerID"]).to_sql("postgres")
    assert info.value.code == "sql-unknown-relation"
    # contains over JSON maps has SQL for the four verified engines only.
    with pytest.raises(WhereSqlError) as info:
        q(contains="x").to_sql("bigquery")
    assert (info.value.code, info.value.parameter) == ("sql-unsupported", "contains")
    # Over string attributes alone it goes to any dialect.
    statement = ListQuery(schema=lonely, contains="x").to_sql("bigquery")
    assert "Name" in statement.sql and statement.params == ("%x%",)
    nothing = Schema("Bare", [Attribute("N", Type.of("int"))])
    assert ListQuery(schema=nothing, contains="x").to_sql("sqlite").sql.endswith("WHERE 1 = 0")
    assert list(ListQuery(schema=nothing, contains="x").apply([{"N": 1}])) == []


def test_json_round_trip_and_hashing() -> None:
    query = q(where="Labels.tier = 'backend' AND CreatedAt > '2025-01-01'", contains="x",
              filter=FILTERS["backend-units"]["FilterID"], select="Slug", include="SpaceID")  # fmt: skip
    text = query.model_dump_json()
    assert '"schema":"Unit"' in text and "\"where\":\"Labels.tier = 'backend'" in text
    again = ListQuery.model_validate_json(text)
    assert again == query and hash(again) == hash(query)
    assert {query: 1}[again] == 1


def test_a_store_gives_one_resolver_per_schema() -> None:
    assert STORE.resolver(UNIT) is STORE.resolver(UNIT)
    assert STORE.resolver(UNIT) is not STORE.resolver(confighub.schema("Space"))


# --- from_params' shortcuts (issue 17) -------------------------------------------------

_PARAMETER_VALUES = {
    "where": ["Slug = 'a'", "Labels.tier = 'x' AND LEN(ApplyGates) > 0", "Slgu = 'x'",
              "Slug = 'a' OR Slug = 'b'", " "],
    "filter": ["7C61626F-DDBE-41AF-93F6-B69F4AB6D308", "prod/backend-units", "not-a-uuid"],
    "contains": ["ledger", "50% off", " ", "a\x00b"],
    "select": ["Slug,Labels", "DisplayName, Labels,Slug", "Slug,,x", "DisplayNme"],
    "include": ["SpaceID", "SpaceID,TargetID", "Slug", "Space"],
    "include_hidden": ["*", "Deleted,Archived", "bad name"],
    "order_by": ["DESC:Slug", "CreatedAt,ASC:Slug", "ASC:Nope", "Slug,Slug", "UP:Slug"],
    "limit": ["10", "0", "x"],
    "continue": ["abc-1", "a b"],
    "summary": ["true", "FALSE", "maybe"],
    "where_data": ["spec.replicas > 1"],
}  # fmt: skip


def _outcome(build: Any) -> Any:
    try:
        return build()
    except WhereError as err:
        return ("error", type(err), err.code, err.parameter, err.position)


def _built_by_init(params: str, extended: bool) -> ListQuery:
    """from_params as it was: every value checked by _prepare, then validated again by
    pydantic's __init__."""
    from pydantic import BaseModel

    from wherelang.query import _FIELDS, _collect, _prepare

    fields: dict[str, Any] = {"schema": UNIT, "extended": extended}
    for name, value in _collect(params, False).items():
        fields[_FIELDS.get(name, name)] = value
    query = ListQuery.__new__(ListQuery)
    BaseModel.__init__(query, **_prepare(fields))
    return query


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(sorted(_PARAMETER_VALUES)),
        st.integers(0, 4),
        max_size=6,
    ),
    st.booleans(),
)
def test_from_params_builds_what_init_builds(picks: dict[str, int], extended: bool) -> None:
    """from_params stores its checked values without pydantic validating them again: the
    same values of the same types, the same fields set, equal and hashing alike; of
    several bad values, the same one is reported."""
    from wherelang.text import encode_query

    params = "&".join(
        f"{name}={encode_query(values[i % len(values)])}"
        for name, i in picks.items()
        for values in [_PARAMETER_VALUES[name]]
    )
    fast = _outcome(lambda: ListQuery.from_params(params, schema=UNIT, extended=extended))
    slow = _outcome(lambda: _built_by_init(params, extended))
    if isinstance(slow, tuple):
        assert fast == slow
        return
    assert isinstance(fast, ListQuery)
    assert fast == slow and hash(fast) == hash(slow)
    assert list(fast.__dict__) == list(slow.__dict__)
    for name, value in slow.__dict__.items():
        assert type(fast.__dict__[name]) is type(value) and fast.__dict__[name] == value, name
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_dump() == slow.model_dump()
    assert fast.to_query_string() == slow.to_query_string()


def test_from_params_reads_a_non_bool_extended_as_pydantic_does() -> None:
    query = ListQuery.from_params("where=Slug%3D%27a%27", schema=UNIT, extended=1)  # type: ignore[arg-type]
    assert query.extended is True and query == ListQuery(schema=UNIT, where="Slug = 'a'", extended=True)


_BYTES = st.integers(0, 255).map(lambda b: f"%{b:02X}" if b % 2 else f"%{b:02x}")
_CHUNKS = st.text("%+\\xXuN{}0123456789abcdefABCDEFz é€&=", max_size=6)


@settings(max_examples=1000)
@given(st.lists(_BYTES | _CHUNKS | st.sampled_from(["%e2%82%ac", "%C3%A9", "%F0%9F%98%80"]), max_size=8))
def test_fast_decode_is_unquote(parts: list[str]) -> None:
    """decode_query's C route (unicode_escape) gives urllib's unquote_plus text, or its
    error at the same position, on random escapes, backslashes and bad UTF-8."""
    from wherelang.text import _unquote, decode_query

    text = "".join(parts)
    assert _outcome(lambda: decode_query(text)) == _outcome(lambda: _unquote(text))
