"""A memo that holds at most a given number of answers (internal).

Several places keep the answers to recent inputs (a query string's ListQuery, a
listing's statement, a path's resolution): the inputs repeat, but distinct ones (map
keys, continuation tokens, hostile clients) must not grow the memo without end. When it
is full it is emptied and refills with what is asked now: no order is kept per entry,
so a hit costs one ``dict.get`` (the lookups are on hot paths) and a miss one ``len``.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["BoundedMemo"]

K = TypeVar("K")
V = TypeVar("V")


class BoundedMemo(dict[K, V]):
    """A dict of at most ``limit`` entries: :meth:`remember` empties it when full.

    Read it as a dict (``memo.get(key)``); store through :meth:`remember` only.

    >>> memo: BoundedMemo[str, int] = BoundedMemo(2)
    >>> memo.remember("a", 1), memo.remember("b", 2), memo.get("a")
    (1, 2, 1)
    >>> memo.remember("c", 3)
    3
    >>> dict(memo)
    {'c': 3}
    """

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a memo holds at least one entry, not {limit}")
        super().__init__()
        self.limit = limit

    def remember(self, key: K, value: V) -> V:
        """Store ``value`` under ``key`` (emptying the memo first when it is full) and
        return it."""
        if len(self) >= self.limit and key not in self:
            self.clear()
        self[key] = value
        return value
