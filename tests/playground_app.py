"""A small list API over the sample data with the playground mounted, for the playground's
tests until they run against ``wherelang serve``: ``GET /unit?where=...`` (and the other
sample entity types) answers as ``ListQuery.apply`` does, in pages of ``limit`` rows with
the next page's offset in the ``X-Continue`` header, and every WhereError as a 400."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from wherelang import ListQuery, WhereError, playground, sample

app = FastAPI()
app.include_router(playground.router())
_STORE = sample.store()
_PAGING = ("limit", "continue", "order_by")


def _list(entity: str, request: Request) -> JSONResponse:
    params = {k: v for k, v in request.query_params.items() if k not in _PAGING}
    try:
        query = ListQuery.from_params(params, schema=entity)
        limit = int(request.query_params.get("limit") or 1000)
        offset = int(request.query_params.get("continue") or 0)
        if not 1 <= limit <= 1000 or offset < 0:
            raise WhereError("bad-paging", "limit is 1 to 1000, continue a row offset")
    except WhereError as err:
        return JSONResponse(playground.error_body(err), status_code=400)
    except ValueError:
        return JSONResponse({"Code": "400", "Message": "limit and continue are numbers"}, 400)
    rows: list[Any] = list(
        query.apply(sample.entities(entity), filters=_STORE, resolver=_STORE)
    )
    page = rows[offset : offset + limit]
    headers = {"X-Continue": str(offset + limit)} if offset + limit < len(rows) else {}
    return JSONResponse(page, headers=headers)


def _endpoint(entity: str) -> Any:
    def endpoint(request: Request) -> JSONResponse:
        return _list(entity, request)

    return endpoint


for _name in sample.names():
    app.add_api_route("/" + _name.lower(), _endpoint(_name), methods=["GET"])
