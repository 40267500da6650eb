"""Hashes: a map of field -> value (the value through the codec, an exact int64
native so that ``hincrby`` is one atomic map increment), key-ordered."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import aerospike
from aerospike_helpers.operations import map_operations as mo

from ..expiry import VALUE_BIN
from ..records import MISSING
from .base import (
    ALL,
    KEYED,
    RT_EXISTS,
    RT_KEY,
    RT_KEY_VALUE,
    RT_VALUE,
    SOFT,
    CollectionBase,
    grown_by,
    map_pairs,
)

_V: Final = VALUE_BIN


class Hashes(CollectionBase):
    """The hash operations of a store."""

    def hset(
        self,
        key: str,
        mapping: Mapping[Any, Any],
        ttl: float | None,
        tags: list[str] | None = None,
    ) -> int:
        """Set fields; how many were new."""
        items = {_field(f): self.codec.encode(key, v) for f, v in mapping.items()}
        if not items:
            return 0
        put = mo.map_put_items(_V, items, KEYED)
        got = self.write("hset", key, [mo.map_size(_V), put], [put], ttl, tags)
        return grown_by(got)

    def hsetnx(self, key: str, field: Any, value: Any, ttl: float | None) -> bool:
        """Set ``field`` only if it is absent; whether it was set."""
        policy = {**KEYED, "map_write_flags": aerospike.MAP_WRITE_FLAGS_CREATE_ONLY | SOFT}
        put = mo.map_put(_V, _field(field), self.codec.encode(key, value), policy)
        return grown_by(self.write("hsetnx", key, [mo.map_size(_V), put], [put], ttl)) == 1

    def hget(self, key: str, field: Any) -> Any:
        """The value of ``field``, or :data:`MISSING`."""
        got = self.read("hget", key, [mo.map_get_by_key(_V, _field(field), RT_VALUE)])
        if not got or got[0] is None:
            return MISSING
        return self.decode(key, got[0])

    def hmget(self, key: str, fields: Iterable[Any]) -> list[Any]:
        """The values of ``fields`` in order (:data:`MISSING` for an absent one)."""
        asked = [_field(f) for f in fields]
        if not asked:
            return []
        got = self.read("hmget", key, [mo.map_get_by_key_list(_V, asked, RT_KEY_VALUE)])
        found = dict(map_pairs(got[0])) if got else {}
        return [self.decode(key, found[f]) if f in found else MISSING for f in asked]

    def hgetall(self, key: str) -> dict[Any, Any]:
        """Every field and value."""
        return {f: self.decode(key, v) for f, v in self.whole("hgetall", key).items()}

    def hdel(self, key: str, fields: Iterable[Any]) -> int:
        """Remove fields; how many existed."""
        return self.remove_keys("hdel", key, [_field(f) for f in fields])

    def hlen(self, key: str) -> int:
        """How many fields."""
        return self.size("hlen", key)

    def hkeys(self, key: str) -> list[Any]:
        """The fields (in key order)."""
        got = self.read("hkeys", key, [mo.map_get_by_index_range(_V, 0, ALL, RT_KEY)])
        return [bytes(f) if isinstance(f, bytearray) else f for f in (got[0] or [])] if got else []

    def hvals(self, key: str) -> list[Any]:
        """The values, in field order."""
        return list(self.hgetall(key).values())

    def hexists(self, key: str, field: Any) -> bool:
        """Whether ``field`` exists."""
        got = self.read("hexists", key, [mo.map_get_by_key(_V, _field(field), RT_EXISTS)])
        return bool(got and got[0])

    def hincrby(
        self, key: str, field: Any, amount: int | float, ttl: float | None
    ) -> int | float | None:
        """Add ``amount`` to ``field`` (absent: 0) atomically; the new value (``None``:
        fail-open outage). A field holding a non-number: :class:`WrongTypeError`."""
        if isinstance(amount, bool) or not isinstance(amount, (int, float)):
            raise TypeError(f"amount must be a number, got {type(amount).__name__}")
        incr = mo.map_increment(_V, _field(field), amount, KEYED)
        got = self.write("hincrby", key, [incr], [incr], ttl, numeric=True)
        return None if not got else got[0]


def _field(field: Any) -> Any:
    """A hash field as a map key: ``str``, ``int`` or ``bytes`` as is."""
    if isinstance(field, (str, bytes)) or (type(field) is int):
        return field
    raise TypeError(f"hash fields must be str, bytes or int, got {type(field).__name__}")
