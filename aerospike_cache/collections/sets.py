"""django-redis's set methods, each one store call (the set algebra: one batch read)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from typing import Any

from .base import CollectionHooks


class SetMethods(CollectionHooks):
    """Sets, as django-redis 7 has them."""

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


SET_METHODS = (
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
)
"""The set methods (each has an ``a``-prefixed async form)."""
