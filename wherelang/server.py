"""``wherelang serve``: a read-only ConfigHub-style list API over the sample data.

:func:`create_app` loads the sample entities (:mod:`wherelang.sample`) into a database
(a new SQLite file by default, or the ``database_url`` given, such as
``postgresql+psycopg://user@host/db``) and serves them:

- ``GET /space``, ``GET /space/{space}``; ``GET /unit``, ``GET /space/{space}/unit``,
  ``GET /space/{space}/unit/{unit_id}``, and the same for ``target`` and ``filter``;
  ``GET /user``, ``GET /user/{user_id}``, ``GET /organization``,
  ``GET /organization/{organization_id}``. ``{space}`` is a Space's ID or slug.
- Every list takes the parameters of :mod:`wherelang.fastapi` (``where``, ``filter``,
  ``contains``, ``select``, ``include``, ``order_by``, ``limit``, ``continue``, ...);
  pages hold at most 1000 entities, and the next page's token is the ``X-Continue``
  header. With ``include`` each result is the extended entity,
  ``{"Unit": {...}, "Space": {...}}``.
- ``GET /health``; every request is logged (logger ``wherelang.server``); a query
  string longer than ``max_query`` bytes or a body is refused with the structured 400.
- Bad input of any kind is a 400 with ``{"Code": "400", "Message": ..., "Reason",
  "Parameter", "Position", "Hint"}``; an unknown space or entity a 404 of the same shape.

The SQL is :func:`wherelang.sqlalchemy.list_select`'s: what ``ListQuery.apply`` answers
in memory, on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import importlib
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from ._memo import BoundedMemo
from . import sample
from . import sql as wsql
from .confighub import schema as catalog
from .errors import WhereError, WhereValidationError
from .fastapi import error_body, install, list_query, openapi_parameters
from .nodes import Expr
from .pagination import HEADER, Paginator
from .parser import parse
from .query import MAX_LIMIT, ListQuery
from .schema import Schema
from .sqlalchemy import ListStatement, _Stored, _statement_for, list_select, page, prepare

__all__ = ["create_app", "load_sample", "run", "MAX_QUERY"]

log = logging.getLogger("wherelang.server")

#: The longest query string accepted, in bytes (the remote API's where limit is 8192).
MAX_QUERY = 65_536

#: The most listing statements a list route keeps (one per recent query and space)
_LISTINGS = 1024

#: The playground's JSON endpoints: they read a body themselves, with their own limit
#: (``wherelang.playground.MAX_BODY``), since a where being typed may be long.
_BODY_PATHS = frozenset({"/_check", "/_sql"})

#: entity type -> (URL segment, lives in a space)
ROUTES: dict[str, tuple[str, bool]] = {
    "Space": ("space", False),
    "Unit": ("unit", True),
    "Target": ("target", True),
    "Filter": ("filter", True),
    "User": ("user", False),
    "Organization": ("organization", False),
}


def load_sample(engine: sa.Engine, *, prefix: str = "") -> dict[str, sa.Table]:
    """Create one table per sample entity type (``prefix`` + the type's name, the
    default layout of :func:`wherelang.sql.create_table`, replacing a table of that
    name), fill it with the sample, and return the tables by entity type."""
    dialect = _dialect(engine)
    tables: dict[str, sa.Table] = {}
    meta = sa.MetaData()
    with engine.begin() as conn:
        for name in sample.names():
            schema = catalog(name)
            table = prefix + name
            quoted = engine.dialect.identifier_preparer.quote(table)
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quoted}")
            conn.exec_driver_sql(wsql.create_table(schema, dialect, table=table))
            rows = [wsql.row(schema, e, dialect) for e in sample.entities(name)]
            conn.exec_driver_sql(wsql.insert_statement(schema, dialect, table=table), rows)
    for name in sample.names():
        tables[name] = sa.Table(prefix + name, meta, autoload_with=engine)
    return tables


def _dialect(engine: sa.Engine) -> str:
    from .sqlalchemy import dialect_of

    return dialect_of(engine.dialect)


class _Filters:
    """Saved filters read from the Filter table (a :class:`~wherelang.FilterStore`)."""

    def __init__(self, engine: sa.Engine, tables: Mapping[str, sa.Table]) -> None:
        self.engine = engine
        self.filters = tables["Filter"]
        self.spaces = tables["Space"]
        self.schema = catalog("Filter")

    def _one(self, condition: Any) -> dict[str, Any] | None:
        from .sqlalchemy import api_value

        with self.engine.connect() as conn:
            found = conn.execute(sa.select(self.filters).where(condition)).first()
        if found is None:
            return None
        attrs = self.schema.attributes
        text = self.engine.dialect.name != "postgresql"
        return {k: api_value(v, attrs[k].type, json_text=text) if k in attrs else v
                for k, v in found._mapping.items()}  # fmt: skip

    def get_filter(self, filter_id: UUID) -> dict[str, Any] | None:
        uuid_type = self.schema.attributes["FilterID"].type
        return self._one(self.filters.c.FilterID == _Stored(str(filter_id), uuid_type))

    def find_filter(self, space: str, slug: str) -> dict[str, Any] | None:
        space_id = _space_id(self.engine, self.spaces, space)
        if space_id is None:
            return None
        uuid_type = self.schema.attributes["SpaceID"].type
        return self._one(sa.and_(self.filters.c.Slug == slug,
                                 self.filters.c.SpaceID == _Stored(space_id, uuid_type)))  # fmt: skip


def _space_id(engine: sa.Engine, spaces: sa.Table, space: str) -> str | None:
    """The ID of the Space whose ID or slug is ``space``, or None."""
    try:
        wanted = sa.or_(spaces.c.SpaceID == _Stored(str(UUID(space)), catalog("Space").attributes["SpaceID"].type))
    except ValueError:
        wanted = spaces.c.Slug == space
    with engine.connect() as conn:
        found = conn.execute(sa.select(spaces.c.SpaceID).where(wanted)).first()
    return None if found is None else str(found[0]).lower()


def _not_found(message: str) -> JSONResponse:
    body = {"Code": "404", "Message": message, "Reason": "not-found", "Parameter": None,
            "Position": None, "Length": None, "Hint": None}  # fmt: skip
    return JSONResponse(body, status_code=404)


def _equals(schema: Schema, name: str, value: str) -> Expr:
    """``name = 'value'`` typed for ``schema`` (value a checked UUID: no quoting issue)."""
    return parse(f"{name} = '{UUID(value)}'", schema=schema)


def create_app(
    database_url: str | None = None,
    *,
    secret: bytes | str | None = None,
    prefix: str = "",
    load: bool = True,
    extended: bool = False,
    max_query: int = MAX_QUERY,
    token_max_age: float = 3600.0,
) -> FastAPI:
    """The list API over the sample data, as a FastAPI app.

    ``database_url``: a SQLAlchemy URL (default: a new SQLite file in a temporary
    directory); ``prefix``: of the table names; ``load``: create and fill the tables
    (else they must exist); ``secret``: signs continuation tokens (random when None,
    so tokens are valid only for this process); ``extended``: accept the extended
    syntax in ``where``.

    >>> from fastapi.testclient import TestClient
    >>> client = TestClient(create_app())
    >>> r = client.get("/space/payments-prod/unit", params={
    ...     "where": "Labels.tier = 'backend'", "select": "Slug", "order_by": "ASC:Slug",
    ...     "limit": "2"})
    >>> [u["Slug"] for u in r.json()], HEADER in r.headers
    (['currency-rates', 'currency-rates-canary'], True)
    >>> client.get("/unit", params={"where": "Slug = 'x' OR"}).json()["Reason"]
    'extended-syntax'
    """
    if database_url is None:
        folder = tempfile.mkdtemp(prefix="wherelang-serve-")
        database_url = "sqlite:///" + os.path.join(folder, "sample.db")
    options: dict[str, Any] = {}
    if database_url.startswith("sqlite"):
        # a connection kept for each worker thread: a new one would register the SQL
        # functions again
        options["connect_args"] = {"check_same_thread": False}
        options["pool_size"] = 20
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    elif database_url.startswith("mysql://"):
        database_url = "mysql+pymysql://" + database_url[len("mysql://"):]
        options["connect_args"] = {"charset": "utf8mb4"}
    engine = prepare(sa.create_engine(database_url, **options))
    if load:
        tables = load_sample(engine, prefix=prefix)
    else:
        meta = sa.MetaData()
        tables = {n: sa.Table(prefix + n, meta, autoload_with=engine) for n in sample.names()}
    filters = _Filters(engine, tables)
    known_spaces: dict[str, str] = {}

    def spaces_by_name(space: str) -> str | None:
        # The API is read-only: a space found once keeps its ID (misses are asked again).
        found = known_spaces.get(space)
        if found is None:
            found = _space_id(engine, tables["Space"], space)
            if found is not None and len(known_spaces) < 10_000:
                known_spaces[space] = found
        return found

    paginator = Paginator(secret, max_age=token_max_age)

    app = FastAPI(
        title="wherelang sample list API",
        description="A read-only ConfigHub-style list API over wherelang's sample data.",
        version="1",
    )
    install(app)
    app.state.engine = engine
    app.state.tables = tables

    app.add_middleware(_Guard, max_query=max_query)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Whether the server and its database answer."""
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return {"Status": "ok", "Database": engine.dialect.name}

    def lister(entity: str, in_space: bool) -> None:
        schema = catalog(entity)
        segment, _ = ROUTES[entity]
        table = tables[entity]
        dialect = _dialect(engine)
        # FastAPI would check each list parameter before the dependency reads the query
        # string itself: the lean dependency skips that, the schema still documents them
        dependency = list_query(schema, extended=extended, default_limit=MAX_LIMIT, lean=True)
        documented = {"parameters": openapi_parameters(
            list_query(schema, extended=extended, default_limit=MAX_LIMIT))}  # fmt: skip

        # The select of each recent query (without its continuation, which only adds
        # the position): the data is read-only, so a repeated query's is the same.
        listings: BoundedMemo[tuple[ListQuery, str | None], ListStatement] = BoundedMemo(_LISTINGS)

        def run(query: ListQuery, scope: str, space_id: str | None, response: Response) -> Any:
            key = (query if query.continuation is None
                   else query.model_copy(update={"continuation": None}), space_id)  # fmt: skip
            listing = listings.get(key)
            if listing is None:
                listing = list_select(query, table, related=tables, filters=filters,
                                      space_id=space_id)  # fmt: skip
                listings.remember(key, listing)
            # page()'s work, with the body written by ListStatement.json: the JSON text
            # the database holds is copied into it, not decoded and encoded again.
            _, statement = _statement_for(query, table, paginator, scope, listing, {})
            limit = query.limit
            with engine.connect() as conn:
                rows = conn.execute(statement).all()
            headers = {}
            if limit is not None and len(rows) > limit:
                rows = rows[:limit]
                last = query.key_of(listing.shape(rows[-1], dialect))
                headers[HEADER] = paginator.issue(query, last, scope=scope)
            return Response(listing.json(rows, dialect), media_type="application/json",
                            headers=headers)  # fmt: skip

        def list_all(response: Response, query: ListQuery = Depends(dependency)) -> Any:
            return run(query, f"/{segment}", None, response)

        list_all.__doc__ = f"List {entity} entities across the organization."
        app.get(f"/{segment}", name=f"list_all_{segment}", tags=[entity],
                openapi_extra=documented)(list_all)  # fmt: skip

        if in_space:

            def list_in_space(
                space: str, response: Response, query: ListQuery = Depends(dependency)
            ) -> Any:
                space_id = spaces_by_name(space)
                if space_id is None:
                    return _not_found(f"no space {space!r}")
                condition = _equals(schema, "SpaceID", space_id)
                where = condition if query.where is None else _and(condition, query.where)
                scoped = query.model_copy(update={"where": where})
                return run(scoped, f"/space/{space_id}/{segment}", space_id, response)

            list_in_space.__doc__ = f"List the {entity} entities of one space (ID or slug)."
            app.get(f"/space/{{space}}/{segment}", name=f"list_{segment}", tags=[entity],
                    openapi_extra=documented)(list_in_space)  # fmt: skip

        def get_one(
            request: Request, item_id: str, space: str | None = None
        ) -> Any:
            try:
                UUID(item_id)
            except ValueError:
                return _not_found(f"no {entity} {item_id!r}")
            params = {k: v for k, v in request.query_params.items()}
            query = ListQuery.from_params(params, schema=schema, extended=extended)
            condition = _equals(schema, str(schema.id), item_id)
            space_id = None
            if space is not None:
                space_id = spaces_by_name(space)
                if space_id is None:
                    return _not_found(f"no space {space!r}")
                condition = _and(condition, _equals(schema, "SpaceID", space_id))
            where = condition if query.where is None else _and(condition, query.where)
            scoped = query.model_copy(update={"where": where, "limit": 1})
            with engine.connect() as conn:
                result = page(conn, scoped, table, paginator, related=tables,
                              filters=filters, space_id=space_id)  # fmt: skip
            if not result.items:
                return _not_found(f"no {entity} {item_id}")
            return result.items[0]

        if in_space:

            def get_in_space(request: Request, space: str, item_id: str) -> Any:
                return get_one(request, item_id, space)

            get_in_space.__doc__ = f"One {entity} of a space (select and include apply)."
            app.get(f"/space/{{space}}/{segment}/{{item_id}}", name=f"get_{segment}",
                    tags=[entity])(get_in_space)  # fmt: skip
        elif entity == "Space":

            def get_space(request: Request, item_id: str) -> Any:
                found = spaces_by_name(item_id)
                if found is None:
                    return _not_found(f"no space {item_id!r}")
                return get_one(request, found)

            get_space.__doc__ = "One Space, by ID or slug."
            app.get("/space/{item_id}", name="get_space", tags=[entity])(get_space)
        else:

            def get_plain(request: Request, item_id: str) -> Any:
                return get_one(request, item_id)

            get_plain.__doc__ = f"One {entity}, by ID."
            app.get(f"/{segment}/{{item_id}}", name=f"get_{segment}", tags=[entity])(get_plain)

    for entity, (_, in_space) in ROUTES.items():
        lister(entity, in_space)

    try:  # the playground page (issue 14), when this install has it
        playground: Any = importlib.import_module("wherelang.playground")
    except ImportError:
        pass
    else:
        app.include_router(playground.router())
    return app


class _Guard:
    """Request limits and the request log, as plain ASGI (Starlette's function
    middleware costs a task and a stream per request).

    A query string longer than ``max_query`` bytes, or a body on a list request, is the
    structured 400; every request is logged with its status and time."""

    def __init__(self, app: Any, *, max_query: int) -> None:
        self.app = app
        self.max_query = max_query

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            await JSONResponse(error_body(refusal), status_code=400)(scope, receive, sending)
        else:
            await self.app(scope, receive, sending)
        log.info("%s %s %d %.1fms", scope.get("method"), scope.get("path"), status[0],
                 (time.perf_counter() - start) * 1000)  # fmt: skip

    def _refusal(self, scope: Any) -> WhereError | None:
        query = scope.get("query_string", b"")
        if len(query) > self.max_query:
            return WhereValidationError(
                "request-too-large",
                f"the query string is {len(query)} bytes; the limit is {self.max_query}",
                hint="a where expression is at most 8192 characters; split the request",
            )
        if scope.get("path") in _BODY_PATHS:
            return None
        for name, value in scope.get("headers", ()):
            if (name == b"content-length" and value != b"0") or name == b"transfer-encoding":
                return WhereValidationError(
                    "request-body", "list requests take no body",
                    hint="send the parameters in the query string",
                )  # fmt: skip
        return None


def _and(*items: Expr) -> Expr:
    from .builder import and_

    return and_(*items)


def _protocol() -> Any:
    """uvicorn's h11 protocol, answering a request that is not HTTP (bytes a URL may not
    hold, a malformed request line) with the structured 400 body too, not plain text."""
    import json

    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Protocol(H11Protocol):
        def send_400_response(self, msg: str) -> None:
            err = WhereValidationError(
                "bad-request", f"the request is not valid HTTP: {msg}",
                hint="percent-encode every byte of the query that is not URL text",
            )  # fmt: skip
            data = json.dumps(error_body(err)).encode("utf-8")
            headers = [(b"content-type", b"application/json"), (b"connection", b"close"),
                       (b"content-length", str(len(data)).encode())]  # fmt: skip
            for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                          h11.Data(data=data), h11.EndOfMessage()):  # fmt: skip
                self.transport.write(self.conn.send(event))
            self.transport.close()

    return Protocol


def run(
    app: FastAPI,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    exit_after: float | None = None,
) -> None:
    """Serve ``app`` with uvicorn until interrupted (or for ``exit_after`` seconds)."""
    import threading

    import uvicorn

    try:
        http: Any = _protocol()
    except ImportError:  # uvicorn moved its internals: plain-text 400s for non-HTTP
        http = "h11"
    # h11 would refuse a long request line itself: let the app's own limit answer.
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, http=http,
                            h11_max_incomplete_event_size=4 << 20)  # fmt: skip
    server = uvicorn.Server(config)
    if exit_after is not None:
        timer = threading.Timer(exit_after, lambda: setattr(server, "should_exit", True))
        timer.daemon = True
        timer.start()
    server.run()
