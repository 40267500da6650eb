"""django-redis's hashes, sets and sorted sets, for the frontends (a mixin of each backend).

Names, signatures (positional order included) and return values are
django-redis 7's (its ``client=`` argument, a Redis connection, has no
meaning here); hashes also offer ``hget``/``hgetall``/``hmget``/``hincrby``/
``hvals``/``hsetnx`` as redis-py names them. Each method is one store call
(:mod:`aerospike_cache.store.collections`). A frontend supplies three hooks:
how a key is made (Django: ``KEY_PREFIX``, ``version=``, ``KEY_FUNCTION``;
Flask: ``key_prefix``), the TTL of a collection a write creates (the cache's
default timeout: a write to an existing key keeps its expiry; change it
with ``expire``/``persist``/``touch``) and how tags are namespaced. Every
method has an ``a``-prefixed async form on the shared I/O pool.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .store import MISSING

if TYPE_CHECKING:
    from .store import AerospikeStore
    from .store.collections import Collections


class CollectionsMixin:
    """Hashes, sets and sorted sets, as django-redis 7 has them (see the module docstring)."""

    if TYPE_CHECKING:
        _store: AerospikeStore

    def _collection_key(self, key: Any, version: int | None) -> str:
        """The store key of ``key`` (the frontend's key rules)."""
        raise NotImplementedError

    def _collection_ttl(self) -> float | None:
        """The TTL of a collection a write creates: the cache's default timeout."""
        raise NotImplementedError

    def _collection_tags(self, tags: Iterable[str] | None) -> list[str] | None:
        """The stored form of ``tags`` (namespaced as the frontend's other tags)."""
        raise NotImplementedError

    @property
    def _coll(self) -> Collections:
        return self._store.collections

    def _k(self, key: Any, version: int | None) -> str:
        return self._collection_key(key, version)

    def _new_ttl(self) -> float | None:
        return self._collection_ttl()

    def _tags(self, tags: Iterable[str] | None) -> list[str] | None:
        return self._collection_tags(tags) if tags else None

    # -- hashes -------------------------------------------------------------------

    def hset(
        self,
        key: Any,
        field: Any = None,
        value: Any = None,
        mapping: Mapping[Any, Any] | None = None,
        version: int | None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> int:
        """Set ``field`` to ``value`` and/or the fields of ``mapping``; how many fields were new."""
        items: dict[Any, Any] = {}
        if field is not None:
            items[field] = value
        if mapping:
            items.update(mapping)
        if not items:
            raise ValueError("hset needs a field and value, or a mapping")
        made = self._k(key, version)
        return self._coll.hset(made, items, self._new_ttl(), self._tags(tags))

    def hsetnx(self, key: Any, field: Any, value: Any, version: int | None = None) -> bool:
        """Set ``field`` only if it is absent; whether it was set."""
        return self._coll.hsetnx(self._k(key, version), field, value, self._new_ttl())

    def hget(self, key: Any, field: Any, version: int | None = None) -> Any:
        """The value of ``field``; ``None`` if absent."""
        value = self._coll.hget(self._k(key, version), field)
        return None if value is MISSING else value

    def hmget(self, key: Any, *fields: Any, version: int | None = None) -> list[Any]:
        """The values of ``fields`` in order (``None`` for absent ones)."""
        values = self._coll.hmget(self._k(key, version), fields)
        return [None if v is MISSING else v for v in values]

    def hgetall(self, key: Any, version: int | None = None) -> dict[Any, Any]:
        """Every field and value."""
        return self._coll.hgetall(self._k(key, version))

    def hdel(self, key: Any, field: Any, version: int | None = None) -> int:
        """Remove ``field``; how many fields were removed (0 or 1)."""
        return self._coll.hdel(self._k(key, version), [field])

    def hlen(self, key: Any, version: int | None = None) -> int:
        """How many fields."""
        return self._coll.hlen(self._k(key, version))

    def hkeys(self, key: Any, version: int | None = None) -> list[Any]:
        """The fields."""
        return self._coll.hkeys(self._k(key, version))

    def hvals(self, key: Any, version: int | None = None) -> list[Any]:
        """The values."""
        return self._coll.hvals(self._k(key, version))

    def hexists(self, key: Any, field: Any, version: int | None = None) -> bool:
        """Whether ``field`` exists."""
        return self._coll.hexists(self._k(key, version), field)

    def hincrby(self, key: Any, field: Any, amount: int = 1, version: int | None = None) -> int:
        """Add ``amount`` to ``field`` (absent: 0) atomically on the server; the new value."""
        value = self._coll.hincrby(self._k(key, version), field, amount, self._new_ttl())
        if value is None:
            raise ValueError(f"hincrby of '{key}' failed (cache unavailable)")
        return int(value)

    # -- sets ---------------------------------------------------------------------

    def sadd(
        self,
        key: Any,
        *values: Any,
        version: int | None = None,
        tags: Iterable[str] | None = None,
    ) -> int:
        """Add members; how many were new."""
        made = self._k(key, version)
        return self._coll.sadd(made, values, self._new_ttl(), self._tags(tags))

    def scard(self, key: Any, version: int | None = None) -> int:
        """How many members."""
        return self._coll.scard(self._k(key, version))

    def sdiff(self, *keys: Any, version: int | None = None) -> set[Any]:
        """The members of the first set in none of the others (one batch read)."""
        return self._coll.combine_values("sdiff", [self._k(k, version) for k in keys])

    def sdiffstore(
        self,
        dest: Any,
        *keys: Any,
        version_dest: int | None = None,
        version_keys: int | None = None,
    ) -> int:
        """:meth:`sdiff` stored at ``dest`` (replacing it); its size."""
        made = [self._k(k, version_keys) for k in keys]
        return self._coll.store_combined(
            "sdiff", self._k(dest, version_dest), made, self._new_ttl()
        )

    def sinter(self, *keys: Any, version: int | None = None) -> set[Any]:
        """The members in every set (one batch read)."""
        return self._coll.combine_values("sinter", [self._k(k, version) for k in keys])

    def sinterstore(self, dest: Any, *keys: Any, version: int | None = None) -> int:
        """:meth:`sinter` stored at ``dest`` (replacing it); its size."""
        made = [self._k(k, version) for k in keys]
        return self._coll.store_combined("sinter", self._k(dest, version), made, self._new_ttl())

    def sunion(self, *keys: Any, version: int | None = None) -> set[Any]:
        """The members of any of the sets (one batch read)."""
        return self._coll.combine_values("sunion", [self._k(k, version) for k in keys])

    def sunionstore(self, destination: Any, *keys: Any, version: int | None = None) -> int:
        """:meth:`sunion` stored at ``destination`` (replacing it); its size."""
        made = [self._k(k, version) for k in keys]
        dest = self._k(destination, version)
        return self._coll.store_combined("sunion", dest, made, self._new_ttl())

    def smismember(self, key: Any, *members: Any, version: int | None = None) -> list[bool]:
        """Whether each member is in the set."""
        return self._coll.smismember(self._k(key, version), members)

    def sismember(self, key: Any, member: Any, version: int | None = None) -> bool:
        """Whether ``member`` is in the set."""
        return self._coll.sismember(self._k(key, version), member)

    def smembers(self, key: Any, version: int | None = None) -> set[Any]:
        """Every member."""
        return self._coll.smembers(self._k(key, version))

    def smove(self, source: Any, destination: Any, member: Any, version: int | None = None) -> bool:
        """Move ``member`` from ``source`` to ``destination`` (both at ``version``)."""
        src, dst = self._k(source, version), self._k(destination, version)
        return self._coll.smove(src, dst, member, self._new_ttl())

    def spop(self, key: Any, count: int | None = None, version: int | None = None) -> Any:
        """Remove random members: one (``None`` if empty) or a set of up to ``count``."""
        popped = self._coll.spop(self._k(key, version), 1 if count is None else count)
        if count is None:
            return popped[0] if popped else None
        return set(popped)

    def srandmember(self, key: Any, count: int | None = None, version: int | None = None) -> Any:
        """Random members: one (``None`` if empty) or a list (negative ``count``: repeats)."""
        picked = self._coll.srandmember(self._k(key, version), count)
        if count is None:
            return picked[0] if picked else None
        return picked

    def srem(self, key: Any, *members: Any, version: int | None = None) -> int:
        """Remove members; how many were there."""
        return self._coll.srem(self._k(key, version), members)

    def sscan(
        self,
        key: Any,
        match: str | None = None,
        count: int | None = 10,
        version: int | None = None,
    ) -> set[Any]:
        """The members matching the glob ``match`` (string members; ``None``: all), in one read."""
        return set(self.sscan_iter(key, match, count, version))

    def sscan_iter(
        self,
        key: Any,
        match: str | None = None,
        count: int | None = 10,
        version: int | None = None,
    ) -> Iterator[Any]:
        """:meth:`sscan`, one member at a time (``count`` is a Redis cursor hint: unused)."""
        for member in self._coll.smembers(self._k(key, version)):
            if match is None or (isinstance(member, str) and fnmatch.fnmatchcase(member, match)):
                yield member

    # -- sorted sets --------------------------------------------------------------

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
        pairs = self._coll.zrange(self._k(key, version), start, end, True)
        return _shaped(pairs, withscores, score_cast_func)

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


COLLECTION_METHODS = (
    "hset",
    "hsetnx",
    "hget",
    "hmget",
    "hgetall",
    "hdel",
    "hlen",
    "hkeys",
    "hvals",
    "hexists",
    "hincrby",
    "sadd",
    "scard",
    "sdiff",
    "sdiffstore",
    "sinter",
    "sinterstore",
    "sunion",
    "sunionstore",
    "smismember",
    "sismember",
    "smembers",
    "smove",
    "spop",
    "srandmember",
    "srem",
    "sscan",
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
"""Every collection method; each has an ``a``-prefixed async form."""


def _async_form(name: str) -> Callable[..., Awaitable[Any]]:
    async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        method = getattr(self, name)
        return await self._store.run(functools.partial(method, *args, **kwargs))

    run.__name__ = run.__qualname__ = f"a{name}"
    run.__doc__ = f":meth:`{name}` for async code, on the shared I/O pool."
    return run


for _name in COLLECTION_METHODS:
    setattr(CollectionsMixin, f"a{_name}", _async_form(_name))
