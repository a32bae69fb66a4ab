"""The schema file: a :class:`~wherelang.schema.Schema` as JSON, checked in full.

The format is what ``wherelang describe --json`` prints and ``--schema FILE`` reads. The
pydantic models below are its definition; ``wherelang/data/schema-file.schema.json`` is
their JSON Schema, published for editors and other tools (a test keeps the two equal;
``python -m wherelang.schemafile`` prints it). Every mistake is a
:class:`~wherelang.errors.WhereValidationError` (code ``bad-schema``) naming the place in
the file, never a traceback later:

>>> from wherelang.schema import Schema
>>> Schema.from_json({"attributes": {"M": {"type": "map", "value": "string"}}})
Traceback (most recent call last):
...
wherelang.errors.WhereValidationError: attributes.M: unknown key 'value'
hint: did you mean 'values'?
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from .errors import WhereValidationError
from .schema import Attribute, Kind, Relation, Type

if TYPE_CHECKING:
    from .schema import Schema

__all__ = ["JSON_SCHEMA_PATH", "json_schema", "schema_from_json", "schema_to_json", "type_of"]

#: The published JSON Schema of the schema file (shipped in the wheel).
JSON_SCHEMA_PATH = Path(__file__).parent / "data" / "schema-file.schema.json"

_KINDS = tuple(kind.value for kind in Kind)


def _a(kind: Kind) -> str:
    return ("an " if kind.value[0] in "aeiou" else "a ") + kind.value


def _bare_kind(value: Any) -> Any:
    # "string" is short for {"type": "string"}, everywhere a type is written.
    return {"type": value} if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# What the validator below requires, said in the JSON Schema too.
_NEEDS: dict[str, Any] = {
    "allOf": [
        {"if": {"properties": {"type": {"const": "array"}}}, "then": {"required": ["items"]}},
        {"if": {"properties": {"type": {"const": "map"}}}, "then": {"required": ["values"]}},
        {"if": {"properties": {"type": {"not": {"const": "string"}}}}, "then": {"not": {"required": ["enum"]}}},
    ]
}


class TypeSpec(_Strict):
    """A type: a kind, with items (array), values and keys (map), enum (string).
    Written as the kind's name alone when nothing else is said."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_NEEDS)

    type: Kind = Field(description="the kind: " + ", ".join(_KINDS))
    items: Optional[TypeField] = Field(None, description="array: the type of the elements")
    values: Optional[TypeField] = Field(None, description="map: the type of the values")
    keys: Optional[TypeField] = Field(None, description="map: the type of the keys (string or uuid)")
    enum: Optional[list[StrictStr]] = Field(None, description="string: the allowed values")

    @model_validator(mode="after")
    def _complete(self) -> TypeSpec:
        kind = self.type
        if kind is Kind.ARRAY and self.items is None:
            raise ValueError('an array needs "items", the type of its elements')
        if kind is Kind.MAP and self.values is None:
            raise ValueError('a map needs "values", the type of its values')
        if self.items is not None and kind is not Kind.ARRAY:
            raise ValueError(f'"items" belongs to an array, not to {_a(kind)}')
        for name in ("values", "keys"):
            if getattr(self, name) is not None and kind is not Kind.MAP:
                raise ValueError(f'"{name}" belongs to a map, not to {_a(kind)}')
        if self.keys is not None and self.keys.type not in (Kind.STRING, Kind.UUID):
            raise ValueError('map "keys" are string or uuid')
        if self.enum is not None and kind is not Kind.STRING:
            raise ValueError(f'"enum" belongs to a string, not to {_a(kind)}')
        return self


TypeField = Annotated[TypeSpec, BeforeValidator(_bare_kind, json_schema_input_type=Union[Kind, TypeSpec])]
TypeSpec.model_rebuild()


class AttributeSpec(TypeSpec):
    """An attribute: its type and what it is for. Unsaid, filterable follows the file's
    filterable list (all attributes when there is none), the filterable string and map
    attributes are searchable, and the id attribute is always returned."""

    nullable: StrictBool = True
    filterable: Optional[StrictBool] = None
    searchable: Optional[StrictBool] = None
    always: StrictBool = False
    description: StrictStr = ""


AttributeField = Annotated[
    AttributeSpec, BeforeValidator(_bare_kind, json_schema_input_type=Union[Kind, AttributeSpec])
]


class RelationSpec(_Strict):
    """A related entity reached through the ID attribute ``via``."""

    via: StrictStr = Field(description="the attribute that holds the related entity's ID")
    entity: StrictStr = Field(description="the related entity type")
    field: Optional[StrictStr] = Field(None, description="the name paths use (default: via without ID)")
    many: StrictBool = False
    includable: Optional[StrictBool] = Field(None, description="default: listed in includable")


class SchemaFile(_Strict):
    """One entity type."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="wherelang schema file")

    json_schema_ref: Optional[str] = Field(None, alias="$schema", description="this format's JSON Schema")
    name: Optional[StrictStr] = Field(None, description="the entity type (default: the file's name)")
    id: Optional[StrictStr] = Field(None, description="the attribute that identifies an entity")
    description: StrictStr = ""
    attributes: dict[str, AttributeField]
    filterable: Optional[list[str]] = Field(None, description="the attributes where may use (default: all)")
    includable: Optional[list[str]] = Field(None, description="the relations' via attributes include may expand")
    relations: Union[list[RelationSpec], dict[str, str]] = Field(
        default_factory=list, description='a list, or {"SpaceID": "Space"} (via to entity)'
    )
    max_key: Optional[StrictInt] = Field(None, ge=1, description="the longest map key a path may name")

    @model_validator(mode="after")
    def _consistent(self) -> SchemaFile:
        names = list(self.attributes)
        if self.id is not None and self.id not in self.attributes:
            raise ValueError(f"id {self.id!r} is not an attribute" + _nearest(self.id, names, ": did you mean {}?"))
        for name in self.filterable or ():
            if name not in self.attributes:
                raise ValueError(f"filterable names {name!r}, which is not an attribute" + _nearest(name, names, ": did you mean {}?"))  # fmt: skip
        vias = [r.via for r in self._relations()]
        for name in self.includable or ():
            if name not in vias:
                raise ValueError(f"includable names {name!r}, which is not the via of a relation" + _nearest(name, vias, ": did you mean {}?"))  # fmt: skip
        return self

    def _relations(self) -> list[RelationSpec]:
        if isinstance(self.relations, dict):  # the catalog's {"SpaceID": "Space"}
            return [RelationSpec(via=via, entity=entity, field=None, includable=None) for via, entity in self.relations.items()]
        return list(self.relations)


# --- errors in the file's own words ---------------------------------------------------

_KEYS = sorted(
    {*TypeSpec.model_fields, *AttributeSpec.model_fields, *RelationSpec.model_fields, "$schema",
     *(f for f in SchemaFile.model_fields if f != "json_schema_ref")}
)  # fmt: skip


def _nearest(word: str, choices: Any, template: str) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return template.format(repr(close[0])) if close else ""


def _place(loc: tuple[int | str, ...], root: str) -> str:
    # pydantic names the union branch or the validator wrapper in the location: drop them.
    parts = [str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))]
    return ".".join(parts) or root


def _problem(error: Mapping[str, Any], root: str) -> tuple[str, str | None]:
    """One pydantic error as (message, hint); ``root`` names the whole (an empty place)."""
    loc = tuple(error["loc"])
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        if key in _KEYS:  # a key of the format, in the wrong place (nullable inside a type)
            return f"{_place(loc[:-1], root)}: {key!r} does not belong here", None
        return f"{_place(loc[:-1], root)}: unknown key {key!r}", _nearest(key, _KEYS, "did you mean {}?") or None
    if kind == "enum":
        nearest = _nearest(str(value), _KINDS, "did you mean {}?")
        return f"{_place(loc, root)}: {value!r} is not a kind; the kinds are {', '.join(_KINDS)}", nearest or None
    if kind == "missing":
        wrapped = 'a schema file holds its attributes under "attributes": {"attributes": {"Slug": "string"}}'
        return f"{_place(loc[:-1], root)}: {str(loc[-1])!r} is missing", wrapped if loc == ("attributes",) else None
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        typed = loc and loc[0] in ("attributes", "type", "items", "values", "keys") or root == "type"
        wanted = "a kind's name or an object with \"type\"" if typed else "an object"
        return f"{_place(loc, root)}: expected {wanted}, not {json.dumps(value, default=repr)}", None
    message = str(error["msg"]).removeprefix("Value error, ")
    if ": did you mean " in message:
        message, _, suggestion = message.partition(": did you mean ")
        return f"{_place(loc, root)}: {message}", "did you mean " + suggestion
    return f"{_place(loc, root)}: {message}", None


def _invalid(exc: ValidationError, root: str) -> WhereValidationError:
    errors = exc.errors()
    # relations is a list or a mapping: pydantic reports the branch that was not taken.
    branch = [e for e in errors if any(isinstance(p, str) and "[" in p for p in e["loc"])]
    taken = [e for e in branch if e["type"] not in ("list_type", "dict_type")]
    if taken:
        errors = [e for e in errors if e not in branch or e in taken]
    problems = [_problem(e, root) for e in errors]
    message = "; ".join(dict.fromkeys(p for p, _ in problems))
    hint = next((h for _, h in problems if h), None)
    return WhereValidationError("bad-schema", message, hint=hint)


@lru_cache(maxsize=1)
def _type_adapter() -> TypeAdapter[TypeSpec]:
    return TypeAdapter(TypeField)


def type_of(spec: Any) -> Type:
    """A :class:`Type` from its JSON form, checked in full (``Type.of`` calls this).

    >>> type_of("strng")
    Traceback (most recent call last):
    ...
    wherelang.errors.WhereValidationError: type: 'strng' is not a kind; the kinds are string, int, float, bool, uuid, time, json, array, map
    hint: did you mean 'string'?
    """
    try:
        checked = _type_adapter().validate_python(spec)
    except ValidationError as exc:
        raise _invalid(exc, "type") from None
    return _type(checked)


def _type(spec: TypeSpec) -> Type:
    return Type(
        spec.type,
        items=_type(spec.items) if spec.items is not None else None,
        values=_type(spec.values) if spec.values is not None else None,
        keys=_type(spec.keys) if spec.keys is not None else None,
        enum=tuple(spec.enum) if spec.enum else None,
    )


def schema_from_json(spec: Any, default_name: str = "Entity") -> Schema:
    """A :class:`Schema` from its JSON description (a mapping, or JSON text), checked in
    full against the schema file format.

    >>> s = schema_from_json({"name": "Thing", "id": "ThingID",
    ...                       "attributes": {"ThingID": "uuid", "slug": {"type": "string"}}})
    >>> s.attribute("slug").filterable, s.attribute("slug").searchable, s.always
    (True, True, ('ThingID',))
    """
    from .schema import Schema

    if isinstance(spec, (str, bytes)):
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError as exc:
            raise WhereValidationError("bad-schema", f"the schema is not JSON: {exc}") from None
    try:
        checked = SchemaFile.model_validate(spec)
    except ValidationError as exc:
        raise _invalid(exc, "the schema") from None
    includable = set(checked.includable or ())
    attributes = []
    for name, attr in checked.attributes.items():
        usable = attr.filterable if attr.filterable is not None else (
            checked.filterable is None or name in checked.filterable)  # fmt: skip
        attributes.append(
            Attribute(
                name,
                _type(attr),
                nullable=attr.nullable,
                filterable=usable,
                searchable=attr.searchable,  # type: ignore[arg-type]  # None: Attribute's rule
                always=attr.always or name == checked.id,
                description=attr.description,
            )
        )
    relations = [
        Relation(
            rel.field or rel.via.removesuffix("ID"),
            rel.via,
            rel.entity,
            many=rel.many,
            includable=rel.includable if rel.includable is not None else rel.via in includable,
        )
        for rel in checked._relations()
    ]
    return Schema(
        checked.name or default_name, attributes, relations, id=checked.id,
        max_key=checked.max_key, description=checked.description,
    )  # fmt: skip


def schema_to_json(schema: Schema) -> dict[str, Any]:
    """The JSON description of a schema, as ``wherelang describe --json`` prints it and
    :func:`schema_from_json` reads it back."""
    out: dict[str, Any] = {
        "name": schema.name,
        "id": schema.id,
        "attributes": {
            a.name: {
                **a.type.to_json(),
                "nullable": a.nullable,
                "filterable": a.filterable,
                "searchable": a.searchable,
                "always": a.always,
                **({"description": a.description} if a.description else {}),
            }
            for a in schema.attributes.values()
        },
        "relations": [
            {"field": r.field, "via": r.via, "entity": r.entity, "many": r.many, "includable": r.includable}
            for r in schema.relations.values()
        ],
    }
    if schema.max_key is not None:
        out["max_key"] = schema.max_key
    if schema.description:
        out["description"] = schema.description
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the schema file, generated from the models above."""
    out = SchemaFile.model_json_schema(by_alias=True)
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return out


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
