"""Keyset paging with continuation tokens that are signed and bound to their query.

A page ends with the sort key (:meth:`~wherelang.ListQuery.key_of`) of its last entity;
the next page holds the entities after that key under the same order. The token that
carries the key is opaque to clients and checked by the server:

- **signed** (HMAC-SHA256 with the server's secret): a token changed by one character
  is refused;
- **bound** to the query it came from: the entity type, the scope (the space of the
  request), ``where``, ``filter``, ``contains``, ``select``, ``include``,
  ``include_hidden``, ``order_by``, ``summary`` and ``where_data`` (``limit`` may change
  from page to page);
- **dated**: older than ``max_age`` seconds it is stale.

Every refusal is a :class:`~wherelang.errors.WhereValidationError` on the parameter
``continue`` (an HTTP 400), never another query's rows.

>>> from wherelang import ListQuery, sample
>>> units = sample.entities("Unit")
>>> pages = Paginator(b"a secret of the server")
>>> q = ListQuery(schema="Unit", where="Labels.tier = 'backend'", order_by="DESC:HeadRevisionNum",
...               select=["Slug"], limit=50)
>>> first = pages.page(q, units)
>>> len(first.items), first.continuation is not None
(50, True)
>>> seen, token = [], None
>>> while True:
...     page = pages.page(q.model_copy(update={"continuation": token}), units)
...     seen += page.items
...     token = page.continuation
...     if token is None:
...         break
>>> seen == list(q.model_copy(update={"limit": None}).apply(units, after=())), len(seen)
(True, 107)
>>> other = ListQuery(schema="Unit", where="Labels.tier = 'frontend'", limit=50,
...                   order_by="DESC:HeadRevisionNum", continuation=first.continuation)
>>> pages.page(other, sample.entities("Unit"))
Traceback (most recent call last):
...
wherelang.errors.WhereValidationError: continue: the continuation token belongs to another query (line 1, column 1)
...
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import WhereValidationError
from .query import ListQuery
from .schema import Kind

__all__ = ["Paginator", "Page", "HEADER"]

#: The response header that carries the next page's token (absent on the last page).
HEADER = "X-Continue"

_VERSION = 1
# Signature bytes kept: 128 bits, far beyond guessing, and a short token.
_SIG_BYTES = 16


@dataclass(frozen=True)
class Page:
    """One page: its ``items`` (shaped as :meth:`ListQuery.apply` gives them) and the
    ``continuation`` token of the next page, None on the last."""

    items: list[Any]
    continuation: str | None = None
    #: the sort key of the last item (what the token records)
    last_key: tuple[Any, ...] | None = field(default=None, repr=False)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fingerprint(query: ListQuery, scope: str = "") -> str:
    """What a token is bound to: a digest of the query without ``limit`` and
    ``continue``, and of the scope."""
    params = query.to_params()
    params.pop("limit", None)
    params.pop("continue", None)
    text = json.dumps([query.entity.name, scope, query.extended, params], sort_keys=True)
    return _b64(hashlib.sha256(text.encode("utf-8")).digest()[:12])


def _refuse(code: str, message: str, token: str, hint: str) -> WhereValidationError:
    shown = token[:200]
    return WhereValidationError(
        code, message, text=shown, position=0, length=len(shown), hint=hint, parameter="continue"
    )


_KINDS: dict[Kind, tuple[type, ...]] = {
    Kind.STRING: (str,),
    Kind.TIME: (str,),
    Kind.UUID: (str,),
    Kind.INT: (int, float),
    Kind.FLOAT: (int, float),
    Kind.BOOL: (bool,),
}


class Paginator:
    """Issues and reads continuation tokens, and pages in memory.

    ``secret``: the signing key, shared by every server process that answers the same
    clients (random, thus private to this object, when None). ``max_age``: seconds a
    token stays valid. ``clock``: seconds since the epoch (for tests).
    """

    def __init__(
        self,
        secret: bytes | str | None = None,
        *,
        max_age: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if secret is None:
            secret = os.urandom(32)
        self._secret = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        self.max_age = max_age
        self._clock = clock

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest()
        return _b64(mac[:_SIG_BYTES])

    def issue(self, query: ListQuery, key: Sequence[Any], *, scope: str = "") -> str:
        """The token of the page after the entity whose sort key is ``key``."""
        body = {"v": _VERSION, "q": fingerprint(query, scope), "k": list(key),
                "t": int(self._clock())}  # fmt: skip
        payload = _b64(json.dumps(body, separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{self._sign(payload)}"

    def read(self, query: ListQuery, *, scope: str = "") -> tuple[Any, ...] | None:
        """The sort key ``query.continuation`` continues after (None without a token),
        after checking the signature, the age and that the token is this query's."""
        token = query.continuation
        if token is None:
            return None
        payload, dot, signature = token.partition(".")
        if not dot or not hmac.compare_digest(signature, self._sign(payload)):
            raise _refuse(
                "bad-continuation",
                "the continuation token is not one this server issued",
                token,
                "pass the token of the previous page's response unchanged",
            )
        try:
            body = json.loads(_unb64(payload))
            version, bound, key, issued = body["v"], body["q"], body["k"], body["t"]
        except (ValueError, KeyError, TypeError):
            raise _refuse(
                "bad-continuation", "the continuation token is damaged", token,
                "start again from the first page",
            ) from None  # fmt: skip
        age = self._clock() - issued if isinstance(issued, (int, float)) else None
        if version != _VERSION or age is None or not -60 <= age <= self.max_age:
            raise _refuse(
                "stale-continuation",
                "the continuation token has expired",
                token,
                "start again from the first page",
            )
        terms = query.ordering()
        if bound != fingerprint(query, scope) or not self._fits(query, key, terms):
            raise _refuse(
                "continuation-mismatch",
                "the continuation token belongs to another query",
                token,
                "send the same parameters as for the first page, with only continue added",
            )
        return tuple(key)

    @staticmethod
    def _fits(query: ListQuery, key: Any, terms: Sequence[tuple[str, bool]]) -> bool:
        if not isinstance(key, list) or len(key) != len(terms):
            return False
        for (name, _), value in zip(terms, key):
            kinds = _KINDS.get(query.entity.attributes[name].type.kind, ())
            if value is not None and (
                not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)
            ):
                return False
        return True

    def page(self, query: ListQuery, entities: Iterable[Any], *, scope: str = "",
             **apply: Any) -> Page:  # fmt: skip
        """One page of ``query`` over entities in memory: at most ``query.limit`` items
        (all without a limit) after the token's position, and the next page's token.
        ``apply`` takes the keyword arguments of :meth:`ListQuery.apply`."""
        after = self.read(query, scope=scope)
        unlimited = query.model_copy(update={"limit": None, "continuation": None})
        found = iter(unlimited.apply(entities, after=after if after is not None else (),
                                     **apply))  # fmt: skip
        return self.cut(query, found, scope=scope)

    def cut(self, query: ListQuery, results: Iterable[Any], *, scope: str = "") -> Page:
        """A :class:`Page` of ``results`` (already in order and after the token's
        position): the first ``query.limit``, and a token when more follow."""
        items: list[Any] = []
        more = False
        for item in results:
            if query.limit is not None and len(items) == query.limit:
                more = True
                break
            items.append(item)
        if not items:
            return Page(items)
        last = query.key_of(items[-1])
        token = self.issue(query, last, scope=scope) if more else None
        return Page(items, token, last)
