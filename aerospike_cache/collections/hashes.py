"""django-redis's hash methods (and redis-py's ``hget``/``hgetall``/``hmget``/
``hincrby``/``hvals``/``hsetnx``), each one store call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..store import MISSING
from .base import CollectionHooks


class HashMethods(CollectionHooks):
    """Hashes, as django-redis 7 has them."""

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


HASH_METHODS = (
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
)
"""The hash methods (each has an ``a``-prefixed async form)."""
