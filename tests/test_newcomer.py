"""A newcomer's first hour (issue 16): no traceback, no ignored option, no surprise.

The public surface, names wherever a schema is taken, schema files checked in full
against a published JSON Schema, the builder's strict check and truth value, and the
command line's options and messages.
"""

from __future__ import annotations

import builtins
import json
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import wherelang
from wherelang import WhereError, WhereSyntaxError, WhereValidationError, attr, confighub
from wherelang.builder import Attrs
from wherelang.schema import Attribute, Kind, Schema, Type
from wherelang.schemafile import JSON_SCHEMA_PATH, json_schema

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wherelang", *args], input=stdin, capture_output=True,
        text=True, timeout=120, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


# --- the public surface ------------------------------------------------------------------


def test_star_import_shadows_no_builtin_and_no_typing_name() -> None:
    namespace: dict[str, Any] = {}
    exec("from wherelang import *", namespace)
    names = set(namespace) - {"__builtins__"}
    assert names == set(wherelang.__all__)
    assert not names & set(dir(builtins)), "shadows a builtin"
    assert not names & set(typing.__all__), "clashes with typing"  # Literal, Type
    # what is left out of * is still there by its full name
    assert wherelang.filter and wherelang.compile and wherelang.Literal


def test_dir_shows_only_the_api() -> None:
    shown = {name for name in dir(wherelang) if not name.startswith("_")}
    assert not shown & {"Any", "TYPE_CHECKING", "annotations", "typing", "Union", "Optional"}
    assert {"parse", "confighub", "sample", "sql", "to_sql"} <= shown


def test_submodules_without_an_explicit_import() -> None:
    code = (
        "import sys, wherelang; assert 'wherelang.confighub' not in sys.modules; "
        "print(wherelang.confighub.schema('Unit').name, len(wherelang.sample.entities('Unit')), "
        "wherelang.sql.ENGINES[0])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env={"PYTHONPATH": str(ROOT)})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Unit", "220", "postgres"]


def test_version_is_the_package_version() -> None:
    assert wherelang.__version__ == "0.1.0" or wherelang.__version__[0].isdigit()
    assert run_cli("--version").stdout.strip() == f"wherelang {wherelang.__version__}"
    # pyproject.toml reads it from the package: one place (the wheel test builds it).
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject and 'path = "wherelang/__init__.py"' in pyproject


def test_schema_from_json_lives_in_the_library() -> None:
    import wherelang.cli

    assert not hasattr(wherelang.cli, "schema_from_json")
    unit = confighub.schema("Unit")
    again = Schema.from_json(json.dumps(unit.to_json()))
    assert again == unit
    assert again.always == unit.always and again.searchable == unit.searchable


# --- a name wherever a schema is taken -----------------------------------------------------

UNITS = [{"Slug": "a", "Labels": {"tier": "db"}}, {"Slug": "b"}]


def test_entity_names_are_schemas_everywhere() -> None:
    unit = confighub.schema("Unit")
    text = "Labels.tier = 'db'"
    assert wherelang.parse(text, schema="Unit") == wherelang.parse(text, schema=unit)
    assert wherelang.validate(wherelang.parse(text), "Unit") == wherelang.parse(text, schema=unit)
    assert [u["Slug"] for u in wherelang.filter(UNITS, text, "Unit")] == ["a"]
    assert wherelang.compile(text, "Unit")(UNITS[0]) is True
    assert (Attrs("Unit").Labels["tier"] == "db") == wherelang.parse(text, schema=unit)


def test_a_wrong_schema_says_what_to_pass() -> None:
    with pytest.raises(TypeError, match="a Schema or the name of a ConfigHub entity type such as 'Unit', not int"):
        wherelang.parse("a = 1", schema=3)  # type: ignore[arg-type]
    with pytest.raises(WhereValidationError, match="did you mean 'Unit'"):
        wherelang.parse("a = 1", schema="unit")


def test_filtering_text_without_a_schema_says_why_and_how() -> None:
    with pytest.raises(TypeError) as info:
        list(wherelang.filter(UNITS, "Slug = 'a'"))
    message = str(info.value)
    assert "needs a schema" in message and "types" in message
    assert "'Unit'" in message and "Schema.from_model" in message


# --- schema files and Type.of, checked in full -----------------------------------------------

BAD_SCHEMAS = [
    ({"attributes": {"M": {"type": "map", "value": "string"}, "A": {"type": "array"}}},
     "attributes.M: unknown key 'value'", "did you mean 'values'?"),
    ({"attributes": {"A": {"type": "array"}}}, 'attributes.A: an array needs "items"', None),
    ({"attributes": {"A": {"type": "map"}}}, 'attributes.A: a map needs "values"', None),
    ({"attributes": {"S": {"type": "string", "filterabel": False}}},
     "attributes.S: unknown key 'filterabel'", "did you mean 'filterable'?"),
    ({"attributes": {"S": "strng"}}, "'strng' is not a kind; the kinds are string, int, float",
     "did you mean 'string'?"),
    ({"id": "SlugID", "attributes": {"Slug": "string"}}, "id 'SlugID' is not an attribute",
     "did you mean 'Slug'?"),
    ({"attributes": {"Slug": "string"}, "filterable": ["Slgu"]}, "filterable names 'Slgu'",
     "did you mean 'Slug'?"),
    ({"attributes": {"SpaceID": "uuid"}, "relations": [{"via": "SpaceID", "entity": "Space"}],
      "includable": ["SpaceId"]}, "includable names 'SpaceId'", "did you mean 'SpaceID'?"),
    ({"attributes": {"N": {"type": "int", "enum": ["a"]}}}, '"enum" belongs to a string, not to an int', None),
    ({"attributes": {"N": {"type": "string", "nullable": "yes"}}}, "attributes.N.nullable", None),
    ({"attributes": {"N": 3}}, "expected a kind's name or an object", None),
    ({"M": {"type": "map", "values": "string"}}, "'attributes' is missing", 'under "attributes"'),
    ([1, 2], "expected an object", None),
]  # fmt: skip


#: What JSON Schema cannot say (one value naming another): only the library checks it.
CROSS_CHECKS = ("id 'SlugID'", "filterable names", "includable names")


@pytest.mark.parametrize("spec, message, hint", BAD_SCHEMAS, ids=[m for _, m, _ in BAD_SCHEMAS])
def test_bad_schema_files_are_clear_errors(spec: Any, message: str, hint: str | None) -> None:
    with pytest.raises(WhereValidationError) as info:
        Schema.from_json(spec)
    assert info.value.code == "bad-schema"
    assert message in info.value.message
    if hint is not None:
        assert info.value.hint is not None and hint in info.value.hint
    if not message.startswith(CROSS_CHECKS):  # the published JSON Schema rejects them too
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(spec, json_schema())


def test_type_of_is_checked_in_full() -> None:
    with pytest.raises(WhereValidationError) as info:
        Type.of("strng")
    assert "the kinds are " + ", ".join(k.value for k in Kind) in info.value.message
    assert info.value.hint == "did you mean 'string'?"
    for spec in ({"type": "array"}, {"type": "map", "value": "string"}, {"type": "int", "items": "int"}, 5):
        with pytest.raises(WhereValidationError):
            Type.of(spec)  # type: ignore[arg-type]


def test_the_published_json_schema_is_the_models() -> None:
    published = json.loads(JSON_SCHEMA_PATH.read_text(encoding="utf-8"))
    assert published == json_schema(), (
        "regenerate it: python -m wherelang.schemafile > wherelang/data/schema-file.schema.json"
    )
    jsonschema.Draft202012Validator.check_schema(published)


@pytest.mark.parametrize("entity", confighub.names())
def test_describe_json_is_a_valid_schema_file(entity: str) -> None:
    spec = confighub.schema(entity).to_json()
    jsonschema.validate(spec, json_schema())
    assert Schema.from_json(spec) == confighub.schema(entity)


def test_one_rule_for_id_and_searchable() -> None:
    # The id is always returned, however the schema is declared.
    declared = Schema("Job", [Attribute("JobID", Type.of("uuid")), Attribute("Log", Type.of("string"))], id="JobID")
    from_file = Schema.from_json({"name": "Job", "id": "JobID", "attributes": {"JobID": "uuid", "Log": "string"}})
    assert declared.always == from_file.always == ("JobID",)
    # Filterable strings and maps are searchable unless said otherwise, in Python and JSON.
    assert declared.searchable == from_file.searchable == ("Log",)
    assert Attribute("Log", Type.of("string"), filterable=False).searchable is False
    assert Attribute("Log", Type.of("string"), searchable=False).searchable is False
    with pytest.raises(ValueError, match="id 'Nope' is not an attribute"):
        Schema("Job", [Attribute("JobID", Type.of("uuid"))], id="Nope")


# --- the builder ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "built, code",
    [(attr.Slug.like("it's%"), "strict-string"), (attr.HeadRevisionNum > -1, "strict-negative"),
     ((attr.a == 1) | (attr.b == 2), "extended-syntax"), (attr.Slug.not_ilike("x%"), "extended-syntax"),
     (attr.Score > 0.5, "extended-syntax")],
)  # fmt: skip
def test_to_where_and_to_query_refuse_what_the_remote_api_rejects(built: Any, code: str) -> None:
    for write in (built.to_where, built.to_query):
        with pytest.raises(WhereSyntaxError) as info:
            write()
        assert info.value.code == code
        assert "the remote API rejects" in info.value.message
        assert "extended=True" in (info.value.hint or "")
    text = built.to_where(extended=True)
    assert wherelang.parse(text, extended=True) == built
    assert str(built) == text


def test_python_and_between_conditions_raises_pointing_at_ampersand() -> None:
    with pytest.raises(TypeError, match="join conditions with &"):
        attr.a == 1 and attr.b == 2  # noqa: B015
    with pytest.raises(TypeError, match="&"):
        bool(wherelang.parse("a = 1"))


# --- the command line ----------------------------------------------------------------------


def test_the_issues_schema_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    for spec in ({"M": {"type": "map", "value": "string"}, "A": {"type": "array"}},
                 {"attributes": {"M": {"type": "map", "value": "string"}, "A": {"type": "array"}}}):  # fmt: skip
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(spec), encoding="utf-8")
        result = run_cli("filter", "--schema", str(path), "--where", "A ? 'x'", stdin="[]")
        assert result.returncode == 1
        assert "Traceback" not in result.stderr and result.stderr.startswith(f"error: schema file {path}: ")


def test_decode_with_an_entity_validates() -> None:
    result = run_cli("decode", "--entity", "Unit", "Slgu+%3D+%27x%27")
    assert result.returncode == 1 and "did you mean 'Slug'?" in result.stderr
    assert run_cli("decode", "--entity", "Unit", "Slug+%3D+%27x%27").stdout == "Slug = 'x'\n"


@pytest.mark.parametrize(
    "args, message",
    [(["describe", "--extended", "Unit"], "wherelang describe: error: unrecognized arguments: --extended"),
     (["filter", "--sample", "--related", "Foo=x.jsonl"], "Unit has no relation to Foo entities"),
     (["filter", "--sample", "--space", "notauuid"], "--space takes a UUID, not 'notauuid'"),
     (["check", "--nope", "x"], "wherelang check: error: unrecognized arguments: --nope")],
)  # fmt: skip
def test_ignored_options_are_usage_errors_with_the_subcommands_usage(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"usage: wherelang {args[0]} ")
    assert message in result.stderr


def test_non_objects_in_the_input_are_errors() -> None:
    result = run_cli("filter", "--entity", "Unit", "--count", stdin='[{"Slug": "a"}, 3]')
    assert (result.returncode, result.stderr) == (1, "error: <stdin>, item 1: an entity is a JSON object, not 3\n")
    result = run_cli("filter", "--entity", "Unit", "--count", stdin='{"Slug": "a"}\n"b"\n')
    assert result.returncode == 1 and "line 2: an entity is a JSON object" in result.stderr


def test_cli_errors_speak_cli() -> None:
    result = run_cli("check", "a = 1 OR b = 2")
    assert result.returncode == 1 and "pass --extended" in result.stderr
    assert "extended=True" not in result.stderr
    result = run_cli("filter", "--entity", "Unit", "--filter", "7c61626f-ddbe-41af-93f6-b69f4ab6d308", stdin="[]")
    assert result.returncode == 2 and "--filter needs the saved filters: pass them with --related Filter=FILE" in result.stderr
    result = run_cli("sql", "--entity", "Unit", "--include", "FromLinkID")
    assert result.returncode == 1 and "wherelang filter" in result.stderr and "apply()" not in result.stderr


def test_bad_input_never_raises_anything_but_where_error() -> None:
    # a schema given as garbage through every public entry point
    for bad in ("strng", {"type": "strng"}, {"type": "array"}):
        with pytest.raises(WhereError):
            Type.of(bad)  # type: ignore[arg-type]


# --- messages ------------------------------------------------------------------------


def error_of(text: str, **options: Any) -> WhereError:
    with pytest.raises(WhereError) as info:
        wherelang.parse(text, **options)
    return info.value


@pytest.mark.parametrize("text, extended, shown, plain", [
    ("a = 1.5e3", False, "1.5e3", "1500"), ("a = 1.5e3", True, "1.5e3", "1500"),
    ("a = 1e3", False, "1e3", "1000"), ("a = 2.5E-3", True, "2.5E-3", "0.0025"),
])  # fmt: skip
def test_exponents_are_named(text: str, extended: bool, shown: str, plain: str) -> None:
    err = error_of(text, extended=extended)
    assert (err.code, err.message, err.hint) == ("bad-number", f"exponents are not supported: {shown}", f"write {plain}")
    assert (err.position, err.length) == (4, len(shown))
    assert isinstance(wherelang.parse("a = '1e3'"), wherelang.Compare)  # inside a string it is text


def test_is_true_after_a_value_echoes_once_and_fits_the_type() -> None:
    plain = error_of("Labels.tier IS TRUE")
    assert plain.code == "truth-of-operand" and plain.hint is not None
    assert plain.hint.count("Labels.tier") == 1
    typed = error_of("Labels.tier IS TRUE", schema="Unit")
    assert typed.hint == "Labels.tier is a string: compare it first, as in Labels.tier = ... IS NOT TRUE"
    assert "= true" not in typed.hint
    assert error_of("ApplyGates.x IS NOT FALSE", schema="Unit").hint == "write ApplyGates.x = false"
    # the schema's wording does not leak into the cached error of the plain parse
    assert error_of("Labels.tier IS TRUE").hint == plain.hint


def test_a_non_ascii_key_shows_its_quoted_form() -> None:
    err = error_of("Labels.日本 = 'x'")
    assert err.code == "bad-path" and err.hint is not None
    assert "ASCII letters and digits" in err.hint and err.hint.endswith("Labels.'日本'")
    quoted = err.hint.rsplit(": ", 1)[1]
    # a quoted key is extended syntax (REFERENCE.md §4)
    assert str(wherelang.parse(f"{quoted} = 'x'", extended=True)) == "Labels.'日本' = 'x'"


@pytest.mark.parametrize("text, hint", [
    ("Slug = 'x';", "join them with AND, and end without ;"),
    ("Slug = ‘x’", "write 'x'"), ("Slug = “a b”", "write 'a b'"),
    ("Slug IS NOT 'x'", "compare values with !=: Slug != 'x'"),
    ("Slug IS 'x'", "compare values with =: Slug = 'x'"),
])  # fmt: skip
def test_other_languages_get_hints(text: str, hint: str) -> None:
    err = error_of(text)
    assert err.hint is not None and hint in err.hint


def test_a_uuid_not_an_uuid() -> None:
    err = error_of("SpaceID = 3", schema="Unit")
    assert err.message == "expected uuid literal, got int"  # ConfigHub's message (REFERENCE.md §6)
    assert "an uuid" not in str(error_of("SpaceID ? 'x'", schema="Unit"))


def test_an_unsupported_dialect_construct_shows_the_condition_and_a_way_out() -> None:
    expr = wherelang.parse("Slug = 'x' AND Labels.tier = 'y'", schema="Unit")
    with pytest.raises(wherelang.WhereSqlError) as info:
        wherelang.to_sql(expr, dialect="oracle")
    err = info.value
    assert err.code == "sql-unsupported"
    assert err.text is not None and err.position is not None
    assert err.text[err.position : err.position + err.length] == "Labels.tier = 'y'"
    assert err.hint is not None and "wherelang.filter" in err.hint
    result = run_cli("sql", "--entity", "Unit", "--dialect", "oracle", "--where", "Labels.tier = 'y'")
    assert result.returncode == 1
    assert result.stderr.splitlines()[1:3] == ["  Labels.tier = 'y'", "  ^^^^^^^^^^^^^^^^^"]
    assert "wherelang filter" in result.stderr and "wherelang.filter" not in result.stderr
