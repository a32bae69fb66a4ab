"""A client of ConfigHub-style list APIs (``wherelang serve`` among them), on httpx.

:meth:`Client.list` checks the query locally at the strict level before sending it (a
typo never costs a round trip), follows the ``X-Continue`` token from page to page, and
turns a 400 body back into a :class:`~wherelang.errors.WhereError` carrying the server's
message, reason, parameter, position and hint.

>>> from fastapi.testclient import TestClient
>>> from wherelang.server import create_app
>>> api = Client("http://testserver", transport=TestClient(create_app())._transport)
>>> units = api.list("Unit", space="payments-prod", where="Labels.tier = 'backend'",
...                  select="Slug", order_by="ASC:Slug")
>>> [u["Slug"] for u in units][:3]
['currency-rates', 'currency-rates-canary', 'currency-rates-migrations']
>>> api.list("Unit", where="Slgu = 'x'")
Traceback (most recent call last):
...
wherelang.errors.WhereValidationError: where: unrecognized attribute name `Slgu` (line 1, column 1)
...
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any
from uuid import UUID

import httpx

from .errors import WhereError
from .nodes import Expr
from .pagination import HEADER
from .query import MAX_LIMIT, ListQuery
from .schema import Schema

__all__ = ["Client", "ServerError", "error_from_body"]


class ServerError(Exception):
    """A response that is neither a page nor a 400 (a 404, a 5xx): ``status`` and
    ``body`` as received."""

    def __init__(self, status: int, body: Any) -> None:
        message = body.get("Message") if isinstance(body, dict) else None
        super().__init__(f"HTTP {status}: {message or body}")
        self.status = status
        self.body = body


def error_from_body(body: Any) -> WhereError:
    """The :class:`WhereError` a 400 body describes (``{"Code": "400", "Message": ...}``
    plus the ``Reason``, ``Parameter``, ``Position``, ``Length`` and ``Hint`` that
    :mod:`wherelang.fastapi` adds)."""
    if not isinstance(body, dict):
        return WhereError("bad-request", str(body))
    position = body.get("Position")
    length = body.get("Length")
    return WhereError(
        str(body.get("Reason") or "bad-request"),
        str(body.get("Message") or "the server refused the request"),
        position=position if isinstance(position, int) else None,
        length=length if isinstance(length, int) else 1,
        hint=body.get("Hint") if isinstance(body.get("Hint"), str) else None,
        parameter=body.get("Parameter") if isinstance(body.get("Parameter"), str) else None,
    )


def _segment(entity: str) -> str:
    return entity.lower()


class Client:
    """A list API at ``base_url``; ``token`` is sent as a bearer token.

    ``transport`` replaces httpx's (an ASGI app's transport in tests); other keyword
    arguments go to :class:`httpx.Client` (``timeout``, ``verify``, ...).
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        **options: Any,
    ) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        options.setdefault("timeout", 30.0)
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers,
                                 transport=transport, **options)  # fmt: skip

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, params: dict[str, str]) -> httpx.Response:
        response = self.http.get(path, params=params)
        if response.status_code == 400:
            raise error_from_body(_json(response))
        if response.status_code != 200:
            raise ServerError(response.status_code, _json(response))
        return response

    def list(
        self,
        entity: str | Schema,
        *,
        space: str | UUID | None = None,
        where: str | Expr | None = None,
        filter: str | UUID | None = None,
        contains: str | None = None,
        select: str | list[str] | None = None,
        include: str | list[str] | None = None,
        order_by: str | list[str] | None = None,
        limit: int | None = None,
        include_hidden: str | list[str] | None = None,
        summary: bool | None = None,
        where_data: str | None = None,
        page_size: int = MAX_LIMIT,
        extended: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """The entities (or extended entities, with ``include``) of ``entity`` — of
        the space ``space`` (ID or slug) when given — page after page, at most
        ``limit`` in all. The query is checked here first (strict level unless
        ``extended``): a bad one raises its :class:`WhereError` before any request."""
        query = ListQuery(
            schema=entity, where=where, filter=filter, contains=contains, select=select,
            include=include or (), order_by=order_by or (), include_hidden=include_hidden or (),
            summary=summary, where_data=where_data, extended=extended,
        )  # fmt: skip
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
        name = query.entity.name
        path = f"/{_segment(name)}"
        if space is not None and name != "Space":
            path = f"/space/{space}/{_segment(name)}"
        return self._pages(path, query.to_params(), limit, min(page_size, MAX_LIMIT))

    def _pages(
        self, path: str, params: dict[str, str], limit: int | None, page_size: int
    ) -> Iterator[dict[str, Any]]:
        given = 0
        token: str | None = None
        while True:
            ask = page_size if limit is None else min(page_size, limit - given)
            sent = dict(params, limit=str(ask))
            if token is not None:
                sent["continue"] = token
            response = self._get(path, sent)
            for item in _json(response):
                yield item
                given += 1
            token = response.headers.get(HEADER)
            # Only a missing token ends the listing; a short page does not.
            if token is None or (limit is not None and given >= limit):
                return

    def get(
        self,
        entity: str,
        entity_id: str | UUID,
        *,
        space: str | UUID | None = None,
        select: str | None = None,
        include: str | None = None,
    ) -> dict[str, Any]:
        """One entity by ID (of ``space`` for the types that live in one)."""
        query = ListQuery(schema=entity, select=select, include=include or ())
        segment = _segment(query.entity.name)
        path = f"/{segment}/{entity_id}"
        if space is not None:
            path = f"/space/{space}/{segment}/{entity_id}"
        found: dict[str, Any] = _json(self._get(path, query.to_params()))
        return found


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
