"""django-redis's sorted-set methods, each one store call."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .base import CollectionHooks


class SortedSetMethods(CollectionHooks):
    """Sorted sets, as django-redis 7 has them."""

    def zadd(
        self,
        key: Any,
        mapping: Mapping[Any, float],
        nx: bool = False,
        xx: bool = False,
        ch: bool = False,
        incr: bool = False,
        gt: bool = False,
        lt: bool = False,
        version: int | None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> int | float | None:
        """Add members with scores (Redis's ``ZADD`` flags); how many were added (``ch``:
        or changed); with ``incr``, the member's new score (``None``: the flags refused)."""
        return self._coll.zadd(
            self._k(key, version),
            mapping,
            self._new_ttl(),
            nx=nx,
            xx=xx,
            ch=ch,
            incr=incr,
            gt=gt,
            lt=lt,
            tags=self._tags(tags),
        )

    def zcard(self, key: Any, version: int | None = None) -> int:
        """How many members."""
        return self._coll.zcard(self._k(key, version))

    def zcount(
        self, key: Any, min: float | str, max: float | str, version: int | None = None
    ) -> int:
        """How many members score within ``min``..``max`` (``"(x"`` exclusive, ``"-inf"``)."""
        return self._coll.zcount(self._k(key, version), min, max)

    def zincrby(self, key: Any, amount: float, value: Any, version: int | None = None) -> float:
        """Add ``amount`` to ``value``'s score (absent: 0); the new score."""
        score = self._coll.zincrby(self._k(key, version), amount, value, self._new_ttl())
        if score is None:
            raise ValueError(f"zincrby of '{key}' failed (cache unavailable)")
        return score

    def zpopmax(self, key: Any, count: int | None = None, version: int | None = None) -> Any:
        """Remove the highest: ``(member, score)`` (``None`` if empty), or a list of ``count``."""
        popped = self._coll.zpop(self._k(key, version), 1 if count is None else count, True)
        return (popped[0] if popped else None) if count is None else popped

    def zpopmin(self, key: Any, count: int | None = None, version: int | None = None) -> Any:
        """Remove the lowest: ``(member, score)`` (``None`` if empty), or a list of ``count``."""
        popped = self._coll.zpop(self._k(key, version), 1 if count is None else count, False)
        return (popped[0] if popped else None) if count is None else popped

    def zrange(
        self,
        key: Any,
        start: int,
        end: int,
        desc: bool = False,
        withscores: bool = False,
        score_cast_func: type = float,
        version: int | None = None,
    ) -> list[Any]:
        """Members by rank ``start``..``end`` (inclusive; negative counts from the end)."""
        pairs = self._coll.zrange(self._k(key, version), start, end, desc)
        return _shaped(pairs, withscores, score_cast_func)

    def zrevrange(
        self,
        key: Any,
        start: int,
        end: int,
        withscores: bool = False,
        score_cast_func: type = float,
        version: int | None = None,
    ) -> list[Any]:
        """:meth:`zrange` from the highest score down."""
        return self.zrange(key, start, end, True, withscores, score_cast_func, version)

    def zrangebyscore(
        self,
        key: Any,
        min: float | str,
        max: float | str,
        start: int | None = None,
        num: int | None = None,
        withscores: bool = False,
        score_cast_func: type = float,
        version: int | None = None,
    ) -> list[Any]:
        """Members scoring within ``min``..``max``, lowest first; ``start``/``num`` page them."""
        pairs = self._coll.zrangebyscore(self._k(key, version), min, max, start, num)
        return _shaped(pairs, withscores, score_cast_func)

    def zrevrangebyscore(
        self,
        key: Any,
        max: float | str,
        min: float | str,
        start: int | None = None,
        num: int | None = None,
        withscores: bool = False,
        score_cast_func: type = float,
        version: int | None = None,
    ) -> list[Any]:
        """Members scoring within ``max``..``min``, highest first; ``start``/``num`` page them."""
        pairs = self._coll.zrangebyscore(self._k(key, version), min, max, start, num, desc=True)
        return _shaped(pairs, withscores, score_cast_func)

    def zrank(
        self, key: Any, value: Any, withscore: bool = False, version: int | None = None
    ) -> Any:
        """The member's rank from the lowest score (``None`` if absent); ``withscore``:
        ``[rank, score]``."""
        found = self._coll.zrank(self._k(key, version), value)
        if found is None:
            return None
        return [found[0], found[1]] if withscore else found[0]

    def zrem(self, key: Any, *values: Any, version: int | None = None) -> int:
        """Remove members; how many were there."""
        return self._coll.zrem(self._k(key, version), values)

    def zremrangebyscore(
        self,
        key: Any,
        min: float | str,
        max: float | str,
        version: int | None = None,
    ) -> int:
        """Remove the members scoring within ``min``..``max``; how many."""
        return self._coll.zremrangebyscore(self._k(key, version), min, max)

    def zscore(self, key: Any, value: Any, version: int | None = None) -> float | None:
        """The member's score, ``None`` if absent."""
        return self._coll.zscore(self._k(key, version), value)


def _shaped(
    pairs: list[tuple[Any, float]], withscores: bool, cast: Callable[[Any], Any]
) -> list[Any]:
    if withscores:
        return [(m, cast(s)) for m, s in pairs]
    return [m for m, _ in pairs]


ZSET_METHODS = (
    "zadd",
    "zcard",
    "zcount",
    "zincrby",
    "zpopmax",
    "zpopmin",
    "zrange",
    "zrevrange",
    "zrangebyscore",
    "zrevrangebyscore",
    "zrank",
    "zrem",
    "zremrangebyscore",
    "zscore",
)
"""The sorted-set methods (each has an ``a``-prefixed async form)."""
