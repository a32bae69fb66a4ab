"""The playground: one page where a user types a where expression and sees, as they type,
the error with a caret (or "valid"), the canonical text, the URL for the remote API, the
SQL for a dialect with its parameters, and the matching sample rows.

:func:`router` gives a FastAPI router that serves the page at ``/``, its two static files
(plain HTML, CSS and JavaScript shipped inside the package: no build step, no CDN) and
three JSON endpoints the page calls:

- ``POST /_check``: the list parameters checked by :meth:`ListQuery.from_params`; 200
  with the canonical text and the query string, or 400 with the error.
- ``POST /_sql``: the same, compiled by :meth:`ListQuery.to_sql` for a dialect.
- ``GET /_complete?entity=Unit``: what completion offers: attribute names, the operators
  each type takes, map keys seen in the data, related entities' attributes.

The rows come from the server's own list endpoints (``GET /unit?where=...``), so the page
shows what the API answers. Every endpoint validates its input as the list endpoints do:
a bad request is a 400 with the API's body ``{"Code": "400", "Message": ...}`` and the
error's fields, never a traceback; bodies are limited to :data:`MAX_BODY` bytes.

>>> from fastapi import FastAPI
>>> from fastapi.testclient import TestClient
>>> from wherelang import playground
>>> app = FastAPI()
>>> app.include_router(playground.router())
>>> client = TestClient(app)
>>> client.post("/_check", json={"entity": "Unit", "where": "slug='x'"}).json()["Message"]
"where: unrecognized attribute name `slug` (at offset 0); did you mean 'Slug'?"
>>> client.post("/_check", json={"entity": "Unit", "where": "Slug='x'"}).json()["query"]
'where=Slug%20%3D%20%27x%27'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .. import confighub, query
from ..errors import WhereError
from ..query import ListQuery, MemoryStore, used_attributes
from ..schema import Kind, Schema, Type
from ..validate import allowed_operators

__all__ = ["router", "error_body", "DIALECTS", "MAX_BODY"]

#: Largest request body the JSON endpoints read (a 1 MB expression still gets its
#: parse error, which says how long an expression may be).
MAX_BODY = 2 * 1024 * 1024

#: Longest value of the parameters other than ``where`` (names, a UUID, search text).
MAX_FIELD = 8192

#: The dialects the page offers, as sqlglot names them; the first is the default.
DIALECTS = ("sqlite", "postgres", "mysql", "duckdb", "spark", "trino", "bigquery", "snowflake")

#: Rows a page of the sample table shows.
PAGE_SIZE = 20

#: Map keys offered for completion, per map attribute.
MAX_KEYS = 200

# The static files and their content types; nothing else is served from the package.
_ASSETS = {
    "playground.js": "text/javascript; charset=utf-8",
    "playground.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}

# The page runs only its own script: no inline script, no other origin. Text typed into
# the page is rendered with textContent, and this policy is the second lock on that door.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

# The body fields of /_check and /_sql, and the type each must have.
_TEXT_FIELDS = ("entity", "where", "filter", "contains", "select", "include", "order_by",
                "dialect")  # fmt: skip
_BOOL_FIELDS = ("extended",)


class _BadRequest(Exception):
    """A request the playground refuses, answered with ``status`` and the API's body."""

    def __init__(self, error: WhereError, status: int = 400) -> None:
        super().__init__(error.message)
        self.error = error
        self.status = status


def _asset(name: str) -> bytes:
    return resources.files(__name__).joinpath("static", name).read_bytes()


def error_body(err: WhereError, status: int = 400) -> dict[str, Any]:
    """The list endpoints' 400 body for ``err`` (:func:`wherelang.fastapi.error_body`:
    ``Code``, ``Message``, ``Reason``, ``Parameter``, ``Position`` and ``Length`` in that
    parameter's text, in characters, ``Hint``), plus what a page needs to show it: the
    ``Description`` without the parameter and offset, ``Line`` and ``Column``, the
    ``Expected`` tokens, and the ``Caret``: the input line with ``^`` under the span.

    >>> from wherelang import parse, WhereError
    >>> try:
    ...     parse("Slug == 'x'")
    ... except WhereError as err:
    ...     body = error_body(err)
    >>> body["Reason"], body["Position"], body["Length"], body["Hint"]
    ('unknown-operator', 5, 2, 'use =')
    >>> print(body["Caret"])
      Slug == 'x'
           ^^
    """
    from ..fastapi import error_body as api_body

    body = api_body(err)
    body.update(
        Code=str(status),
        Description=err.message,
        Line=err.line,
        Column=err.column,
        Expected=list(err.expected),
        Caret=err.caret(),
    )
    return body


def _refuse(code: str, message: str, *, parameter: str | None = None,
            hint: str | None = None, status: int = 400) -> _BadRequest:  # fmt: skip
    return _BadRequest(WhereError(code, message, parameter=parameter, hint=hint), status)


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store"})


async def _read_body(request: Request) -> dict[str, Any]:
    """The JSON object of a request, its fields checked for type and size."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise _refuse("too-large", f"the request body is larger than {MAX_BODY} bytes",
                      status=413)  # fmt: skip
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _refuse("too-large", f"the request body is larger than {MAX_BODY} bytes",
                          status=413)  # fmt: skip
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _refuse("bad-json", "the request body is not JSON",
                      hint='send an object such as {"entity": "Unit", "where": "..."}') from None  # fmt: skip
    if not isinstance(data, dict):
        raise _refuse("bad-json", "the request body is not a JSON object",
                      hint='send an object such as {"entity": "Unit", "where": "..."}')  # fmt: skip
    for key, value in data.items():
        if key in _BOOL_FIELDS:
            if not isinstance(value, bool):
                raise _refuse("bad-field", f"{key} must be true or false", parameter=key)
        elif key in _TEXT_FIELDS:
            if value is not None and not isinstance(value, str):
                raise _refuse("bad-field", f"{key} must be a string", parameter=key)
            if isinstance(value, str) and key != "where" and len(value) > MAX_FIELD:
                raise _refuse("too-long", f"{key} is longer than {MAX_FIELD} characters",
                              parameter=key)  # fmt: skip
        else:
            known = ", ".join(_TEXT_FIELDS + _BOOL_FIELDS)
            raise _refuse("unknown-field", f"unknown field {key[:64]!r}",
                          parameter=key[:64], hint=f"the fields are {known}")  # fmt: skip
    return data


def _json_value(value: Any) -> Any:
    """A SQL parameter as JSON: the driver's value, times and UUIDs as text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return str(value)


def _columns(q: ListQuery) -> list[str]:
    """The table columns of the page's rows: what ``select`` returns, or else the
    entity's ID, parents, Slug and DisplayName and what ``where`` reads; then the Slug
    (or ID) of each included entity, as ``Space.Slug``."""
    returned = q.returned()
    if returned is None:
        wanted = set(q.entity.always) | {"DisplayName"}
        if q.where is not None:
            wanted |= used_attributes(q.where, q.entity)
        returned = tuple(name for name in q.entity.attributes if name in wanted)
    columns = list(returned)
    for relation in q.relations():
        related = q.entity.related(relation.field)
        if related is not None:
            name = "Slug" if "Slug" in related.attributes else related.id
            if name is not None:
                columns.append(f"{relation.field}.{name}")
    return columns


class _Playground:
    """What the endpoints share: the entity types offered, their schemas and data."""

    def __init__(
        self,
        entities: Sequence[str],
        store: MemoryStore | None,
        list_paths: Mapping[str, str],
        schemas: Mapping[str, Schema],
        continue_header: str,
        continue_param: str,
        limit_param: str,
    ) -> None:
        self.entities = tuple(entities)
        self.store = store
        self.list_paths = dict(list_paths)
        self.schemas = dict(schemas)
        self.config = {
            "entities": [{"name": e, "path": self.list_paths[e]} for e in self.entities],
            "default": "Unit" if "Unit" in self.entities else self.entities[0],
            "dialects": list(DIALECTS),
            "pageSize": PAGE_SIZE,
            "continueHeader": continue_header,
            "continueParam": continue_param,
            "limitParam": limit_param,
            "parameters": list(query.PARAMETERS),
        }
        self._completions: dict[str, dict[str, Any]] = {}

    def schema(self, name: Any) -> Schema:
        if not isinstance(name, str) or not name:
            raise _refuse("bad-entity", "entity is missing", parameter="entity",
                          hint="one of " + ", ".join(self.entities))  # fmt: skip
        if name not in self.schemas:
            close = [e for e in self.entities if e.lower() == name.lower()]
            hint = f"did you mean {close[0]!r}?" if close else "one of " + ", ".join(self.entities)
            raise _refuse("bad-entity", f"unknown entity type {name[:64]!r}",
                          parameter="entity", hint=hint)  # fmt: skip
        return self.schemas[name]

    def list_query(self, data: Mapping[str, Any]) -> ListQuery:
        """The list parameters of a body, checked as a list endpoint checks them."""
        schema = self.schema(data.get("entity"))
        params = {k: data[k] for k in query.PARAMETERS if isinstance(data.get(k), str)}
        try:
            return ListQuery.from_params(params, schema=schema, extended=bool(data.get("extended")))
        except WhereError as err:
            raise _BadRequest(err) from None

    def check(self, data: Mapping[str, Any]) -> dict[str, Any]:
        q = self.list_query(data)
        query_string = q.to_query_string()
        path = self.list_paths[q.entity.name]
        return {
            "valid": True,
            "entity": q.entity.name,
            "extended": q.extended,
            "canonical": None if q.where is None else str(q.where),
            "params": q.to_params(),
            "query": query_string,
            "path": path,
            "url": path + ("?" + query_string if query_string else ""),
            "id": q.entity.id,
            "columns": _columns(q),
            "related": [r.field for r in q.relations()],
            "wrapped": bool(q.include),
        }

    def sql(self, data: Mapping[str, Any]) -> dict[str, Any]:
        dialect = data.get("dialect") or DIALECTS[0]
        if dialect not in DIALECTS:
            raise _refuse("bad-dialect", f"unknown dialect {str(dialect)[:64]!r}",
                          parameter="dialect", hint="one of " + ", ".join(DIALECTS))  # fmt: skip
        q = self.list_query(data)
        try:
            statement = q.to_sql(dialect, filters=self.store)
        except WhereError as err:
            raise _BadRequest(err) from None
        try:
            inline: str | None = q.to_sql(dialect, filters=self.store, params=False).sql
        except WhereError:
            inline = None
        return {
            "dialect": dialect,
            "sql": statement.sql,
            "params": [_json_value(p) for p in statement.params],
            "types": [type(p).__name__ for p in statement.params],
            "inline": inline,
        }

    def completion(self, name: Any) -> dict[str, Any]:
        schema = self.schema(name)
        if schema.name not in self._completions:
            relations = []
            for relation in schema.relations.values():
                related = schema.related(relation.field)
                if relation.many or related is None:
                    continue
                relations.append({
                    "field": relation.field,
                    "via": relation.via,
                    "entity": relation.entity,
                    "attributes": self._attributes(related),
                })  # fmt: skip
            self._completions[schema.name] = {
                "entity": schema.name,
                "id": schema.id,
                "attributes": self._attributes(schema),
                "relations": relations,
                "select": list(schema.attributes),
                "include": list(schema.includable),
            }
        return self._completions[schema.name]

    def _attributes(self, schema: Schema) -> list[dict[str, Any]]:
        seen = self._keys(schema)
        out = []
        for attribute in schema.attributes.values():
            if not attribute.filterable:
                continue
            item: dict[str, Any] = {
                "name": attribute.name,
                "type": str(attribute.type),
                "kind": attribute.type.kind.value,
                "operators": list(allowed_operators(attribute.type)),
            }
            if attribute.type.enum:
                item["values"] = list(attribute.type.enum)
            if attribute.type.kind is Kind.MAP:
                item["keys"] = seen.get(attribute.name, [])
                value_type = attribute.type.values or Type(Kind.STRING)
                item["keyOperators"] = list(allowed_operators(value_type))
                item["keyKind"] = value_type.kind.value
            out.append(item)
        return out

    def _keys(self, schema: Schema) -> dict[str, list[str]]:
        """The map keys that the data of ``schema``'s entity type holds, most used first."""
        if self.store is None:
            return {}
        try:
            entities: Iterable[Mapping[str, Any]] = self.store.entities(schema.name)
        except KeyError:
            return {}
        maps = [a.name for a in schema.attributes.values() if a.type.kind is Kind.MAP]
        counts: dict[str, dict[str, int]] = {name: {} for name in maps}
        for entity in entities:
            for name in maps:
                value = entity.get(name) if isinstance(entity, Mapping) else None
                if isinstance(value, Mapping):
                    for key in value:
                        if isinstance(key, str) and len(key) <= 128:
                            counts[name][key] = counts[name].get(key, 0) + 1
        return {
            name: sorted(found, key=lambda k: (-found[k], k))[:MAX_KEYS]
            for name, found in counts.items()
        }


def router(
    *,
    entities: Sequence[str] | None = None,
    store: MemoryStore | None = None,
    list_paths: Mapping[str, str] | None = None,
    schemas: Mapping[str, Schema] | None = None,
    continue_header: str = "X-Continue",
    continue_param: str = "continue",
    limit_param: str = "limit",
) -> APIRouter:
    """The playground's routes: the page at ``/``, its assets, ``/_check``, ``/_sql`` and
    ``/_complete``.

    ``entities`` are the entity types the page offers (default: those of the sample data
    set), ``store`` their data (default: :func:`wherelang.sample.store`; it gives map keys
    for completion and resolves saved filters), ``list_paths`` the list endpoint of each
    (default ``/unit`` for Unit), ``schemas`` their schemas (default: the ConfigHub
    catalog). The page pages through the list endpoint with ``limit_param`` and the token
    the endpoint sends in ``continue_header``, passed back as ``continue_param``.
    """
    if store is None and entities is None:
        from .. import sample

        store = sample.store()
    if entities is None:
        from .. import sample

        entities = sample.names()
    resolved = dict(schemas or {})
    for name in entities:
        if name not in resolved:
            resolved[name] = confighub.schema(name)
    paths = {name: (list_paths or {}).get(name, "/" + name.lower()) for name in entities}
    state = _Playground(entities, store, paths, resolved, continue_header, continue_param,
                        limit_param)  # fmt: skip

    api = APIRouter()

    @api.get("/", include_in_schema=False)
    def page() -> Response:
        return Response(_asset("index.html"), media_type="text/html; charset=utf-8",
                        headers=_HEADERS)  # fmt: skip

    @api.get("/_static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in _ASSETS:
            return _json(error_body(WhereError("not-found", "no such file"), 404), 404)
        return Response(_asset(name), media_type=_ASSETS[name], headers=_HEADERS)

    @api.get("/_config", summary="The playground's settings: entity types, dialects, paging")
    def config() -> JSONResponse:
        return _json(state.config)

    @api.get("/_complete", summary="Completion data for one entity type")
    def complete(entity: str = "") -> JSONResponse:
        try:
            return _json(state.completion(entity))
        except _BadRequest as bad:
            return _json(error_body(bad.error, bad.status), bad.status)

    @api.post("/_check", summary="Check the list parameters; canonical text and URL")
    async def check(request: Request) -> JSONResponse:
        try:
            return _json(state.check(await _read_body(request)))
        except _BadRequest as bad:
            return _json(error_body(bad.error, bad.status), bad.status)

    @api.post("/_sql", summary="The SELECT of the list parameters for a SQL dialect")
    async def sql(request: Request) -> JSONResponse:
        try:
            return _json(state.sql(await _read_body(request)))
        except _BadRequest as bad:
            return _json(error_body(bad.error, bad.status), bad.status)

    return api
