"""FastAPI: the list parameters as a dependency, and WhereError as a structured 400.

:func:`list_query` gives a dependency that reads ``where``, ``filter``, ``contains``,
``select``, ``include``, ``include_hidden``, ``order_by``, ``limit``, ``continue``,
``summary`` and ``where_data`` from the request, checks them against an entity schema
and returns the :class:`~wherelang.ListQuery`; every parameter is documented in the
OpenAPI schema with a description and examples. :func:`install` adds the exception
handlers that answer every :class:`~wherelang.errors.WhereError` (and FastAPI's own
request validation errors) with 400 and the remote API's body, extended with where the
problem is::

    {"Code": "400", "Message": "where: unrecognized attribute name `Slgu` (at offset 0);
     did you mean 'Slug'?", "Reason": "unknown-attribute", "Parameter": "where",
     "Position": 0, "Length": 4, "Hint": "did you mean 'Slug'?"}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ._memo import BoundedMemo
from .errors import WhereError, WhereValidationError
from .parser import Limits
from .query import MAX_LIMIT, PARAMETERS, ListQuery, orderable
from .schema import Schema

__all__ = ["list_query", "install", "error_body", "openapi_parameters", "PARAMETER_DOCS"]

#: how many query strings' answers a dependency keeps, and the longest one kept
_KNOWN = 2048
_KNOWN_TEXT = 8192

#: Description and examples of each list parameter, as the OpenAPI schema shows them.
PARAMETER_DOCS: dict[str, tuple[str, list[str]]] = {
    "where": (
        "A where expression over the entity's attributes: comparisons joined by AND "
        "(`Labels.tier = 'backend' AND LEN(ApplyGates) > 0`).",
        ["Labels.tier = 'backend'", "CreatedAt >= '2025-01-07' AND Slug LIKE 'api-%'"],
    ),
    "filter": (
        "A saved Filter whose Where is ANDed with `where`: its UUID, or `space/slug`.",
        ["3d284333-fbfe-4626-aa79-167dc0b3755a", "storefront-dev/backend-units"],
    ),
    "contains": (
        "Free text: a case-insensitive substring of a searchable string attribute, or "
        "of a key or value of a map attribute. `%` and `_` are literal.",
        ["ledger"],
    ),
    "select": (
        "Comma-separated attributes to return. The ID, parent IDs, Slug and every "
        "attribute the other parameters use are returned too.",
        ["DisplayName,Labels"],
    ),
    "include": (
        "Comma-separated ID attributes whose related entities are returned beside each "
        "entity (the extended response: `{\"Unit\": {...}, \"Space\": {...}}`).",
        ["SpaceID", "SpaceID,TargetID"],
    ),
    "include_hidden": (
        "Comma-separated HiddenReasons whose hidden entities are listed too, or `*`.",
        ["*"],
    ),
    "order_by": (
        "Comma-separated sort terms `ASC:Field`, `DESC:Field` or `Field`; NULL sorts "
        "after every value; the entity's ID breaks ties.",
        ["DESC:HeadRevisionNum", "ASC:Slug,DESC:CreatedAt"],
    ),
    "limit": (
        f"The most entities one page holds, 1 to {MAX_LIMIT}. The next page's token is "
        "in the `X-Continue` response header; the last page has none.",
        ["100"],
    ),
    "continue": (
        "The `X-Continue` token of the previous page, unchanged, with the same other "
        "parameters. Tokens are signed, bound to their query, and expire.",
        ["eyJ2IjoxLCJxIjoi.RzV4bTFkM2RlOWZk"],
    ),
    "summary": ("Whether Spaces come with their summary (`true` or `false`).", ["true"]),
    "where_data": (
        "A filter of the Units' configuration data, passed through as it is.",
        ["spec.replicas > 1"],
    ),
}


def error_body(err: WhereError) -> dict[str, Any]:
    """The 400 body of an error: the remote API's ``Code`` and ``Message``, plus the
    stable ``Reason`` code, the ``Parameter``, the ``Position`` and ``Length`` of the
    span in that parameter's text, and the ``Hint``."""
    body: dict[str, Any] = dict(err.to_response())
    body.update(
        {
            "Reason": err.code,
            "Parameter": err.parameter,
            "Position": err.position,
            "Length": err.length if err.position is not None else None,
            "Hint": err.hint,
        }
    )
    return body


def list_query(
    schema: Schema | str,
    *,
    extended: bool = False,
    limits: Limits | None = None,
    default_limit: int | None = None,
    other: tuple[str, ...] = (),
    lean: bool = False,
) -> Callable[..., ListQuery]:
    """A FastAPI dependency returning the checked :class:`~wherelang.ListQuery` of the
    request, for entities of ``schema``.

    ``lean``: the dependency takes the request alone, so FastAPI does not check each
    list parameter before it does (a fast server's choice); give the route
    ``openapi_extra={"parameters": openapi_parameters(list_query(schema))}`` to
    document them all the same.

    The query string is read as sent (so that a repeated or unknown parameter, or text
    that is not UTF-8, is a 400 naming it); ``other`` names the endpoint's own
    parameters, which it leaves alone. ``default_limit`` applies when the request gives
    no ``limit``.

    >>> from fastapi import Depends, FastAPI
    >>> from fastapi.testclient import TestClient
    >>> from wherelang import ListQuery, sample
    >>> from wherelang.fastapi import install, list_query
    >>> app = install(FastAPI())
    >>> @app.get("/unit")
    ... def units(query: ListQuery = Depends(list_query("Unit"))) -> list[dict]:
    ...     return list(query.apply(sample.entities("Unit"), resolver=sample.store()))
    >>> client = TestClient(app)
    >>> found = client.get("/unit", params={"where": "Slug = 'ledger'", "select": "Slug"})
    >>> found.status_code, sorted(found.json()[0])
    (200, ['OrganizationID', 'Slug', 'SpaceID', 'UnitID'])
    >>> bad = client.get("/unit", params={"where": "Slgu = 'x'"})
    >>> bad.status_code, bad.json()["Parameter"], bad.json()["Hint"]
    (400, 'where', "did you mean 'Slug'?")
    """
    from .confighub import schema as catalog

    entity = catalog(schema) if isinstance(schema, str) else schema
    ignore = frozenset(other)
    sortable = ", ".join(orderable(entity))

    def doc(name: str) -> dict[str, Any]:
        description, examples = PARAMETER_DOCS[name]
        if name == "order_by":
            description += f" Fields of {entity.name}: {sortable}."
        return {"description": description, "examples": examples}

    def dependency(
        request: Request,
        where: str | None = Query(None, **doc("where")),
        filter: str | None = Query(None, **doc("filter")),
        contains: str | None = Query(None, **doc("contains")),
        select: str | None = Query(None, **doc("select")),
        include: str | None = Query(None, **doc("include")),
        include_hidden: str | None = Query(None, **doc("include_hidden")),
        order_by: str | None = Query(None, **doc("order_by")),
        limit: str | None = Query(None, **doc("limit"), json_schema_extra={"format": "int32"}),
        continuation: str | None = Query(None, alias="continue", **doc("continue")),
        summary: str | None = Query(None, **doc("summary")),
        where_data: str | None = Query(None, **doc("where_data")),
    ) -> ListQuery:
        # The declared parameters document the endpoint; the query string itself is
        # read here, so that duplicates and unknown names are errors too.
        return answer(request.scope.get("query_string", b""))

    def lean_dependency(request: Request) -> ListQuery:
        return answer(request.scope.get("query_string", b""))

    def answer(raw: bytes) -> ListQuery:
        found = known.get(raw)
        if found is None:
            try:
                found = read(raw)
            except WhereError as err:
                found = err
            if len(raw) <= _KNOWN_TEXT:
                known.remember(raw, found)
        if isinstance(found, WhereError):
            raise _fresh(found)
        return found

    def read(raw: bytes) -> ListQuery:
        text = _text(raw)
        if ignore:
            parts = [p for p in text.split("&") if p.partition("=")[0] not in ignore]
            text = "&".join(parts)
        query = ListQuery.from_params(text, schema=entity, extended=extended, limits=limits)
        if default_limit is not None and query.limit is None:
            query = query.model_copy(update={"limit": default_limit})
        return query

    # A ListQuery is immutable and a query string means one query (or one error) for
    # this dependency: the answers to recent query strings are kept, since clients
    # repeat theirs (the next page adds only its token).
    known: BoundedMemo[bytes, ListQuery | WhereError] = BoundedMemo(_KNOWN)

    chosen = lean_dependency if lean else dependency
    chosen.__name__ = f"list_{entity.name.lower()}_query"
    return chosen


def openapi_parameters(dependency: Callable[..., Any]) -> list[dict[str, Any]]:
    """The OpenAPI parameter objects a dependency's signature documents (as FastAPI
    writes them for a route that depends on it), for a route's ``openapi_extra``.

    >>> [p["name"] for p in openapi_parameters(list_query("Unit"))][:3]
    ['where', 'filter', 'contains']
    """
    from fastapi import Depends

    probe = FastAPI()

    @probe.get("/probe")
    def endpoint(_: Any = Depends(dependency)) -> None:
        return None

    parameters: list[dict[str, Any]] = probe.openapi()["paths"]["/probe"]["get"]["parameters"]
    return parameters


def _fresh(err: WhereError) -> WhereError:
    """A new error equal to ``err``: each request raises its own (its traceback and
    context are the request's)."""
    new = type(err).__new__(type(err), *err.args)
    new.__dict__.update(err.__dict__)
    return new


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = raw.decode("utf-8", errors="replace")
        raise WhereValidationError(
            "bad-encoding",
            "the query string is not UTF-8 text",
            text=shown,
            position=len(raw[: exc.start].decode("utf-8", errors="replace")),
            hint="percent-encode every parameter value (a space is %20)",
        ) from None


def install(app: FastAPI) -> FastAPI:
    """Answer :class:`~wherelang.errors.WhereError` with 400 and :func:`error_body`,
    and FastAPI's request validation errors (a path parameter of the wrong type) the
    same way. Returns the app."""

    async def where_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, WhereError)
        return JSONResponse(error_body(exc), status_code=exc.status)

    async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        location = [str(p) for p in first.get("loc", ())]
        parameter = location[-1] if location else None
        err = WhereValidationError(
            "bad-parameter",
            f"{parameter or 'the request'}: {first.get('msg', 'invalid value')}",
            parameter=parameter,
            hint="see the endpoint's parameters in /docs",
        )
        return JSONResponse(error_body(err), status_code=400)

    app.add_exception_handler(WhereError, where_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    return app


# Every list parameter has its documentation.
assert set(PARAMETER_DOCS) == set(PARAMETERS)
