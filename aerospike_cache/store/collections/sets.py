"""Sets: a map of member -> ``1`` (the smallest msgpack value, one byte as ``true``
is, and the same on every client whatever its ``send_bool_as``), key-ordered.

The multi-key set algebra reads every key in one batch (plus one write for
the ``*store`` forms, which replace the destination as Redis does).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any, Final

from aerospike_helpers.operations import map_operations as mo

from ...errors import CacheOperationError
from ...tags import TAG_BIN
from ..expiry import DEADLINE_BIN, VALUE_BIN, is_gone, wire_ttl
from ..records import OP_WRITE
from .base import (
    KEYED,
    RT_COUNT,
    RT_EXISTS,
    RT_KEY,
    CollectionBase,
    grown_by,
    plain_member,
    wrong_type,
)

_V: Final = VALUE_BIN
_BATCH_READ: Final = [VALUE_BIN, DEADLINE_BIN]
SET_MARK: Final = 1
"""The value of every member of a set's map."""


class Sets(CollectionBase):
    """The set operations of a store, and the set algebra across keys."""

    def sadd(
        self, key: str, values: Iterable[Any], ttl: float | None, tags: list[str] | None = None
    ) -> int:
        """Add members; how many were new."""
        items = dict.fromkeys(self.members(key, values), SET_MARK)
        if not items:
            return 0
        put = mo.map_put_items(_V, items, KEYED)
        return grown_by(self.write("sadd", key, [mo.map_size(_V), put], [put], ttl, tags))

    def srem(self, key: str, values: Iterable[Any]) -> int:
        """Remove members; how many were there."""
        return self.remove_keys("srem", key, self.members(key, values))

    def smembers(self, key: str) -> set[Any]:
        """Every member."""
        return {self.decode(key, m) for m in self.whole("smembers", key)}

    def sismember(self, key: str, value: Any) -> bool:
        """Whether ``value`` is a member."""
        got = self.read(
            "sismember", key, [mo.map_get_by_key(_V, self.member(key, value), RT_EXISTS)]
        )
        return bool(got and got[0])

    def smismember(self, key: str, values: Iterable[Any]) -> list[bool]:
        """Whether each of ``values`` is a member, in order."""
        asked = self.members(key, values)
        if not asked:
            return []
        got = self.read("smismember", key, [mo.map_get_by_key_list(_V, asked, RT_KEY)])
        present = {plain_member(m) for m in (got[0] or [])} if got else set()
        return [plain_member(m) in present for m in asked]

    def scard(self, key: str) -> int:
        """How many members."""
        return self.size("scard", key)

    def spop(self, key: str, count: int) -> list[Any]:
        """Remove and return up to ``count`` members from a random position.

        Two calls: the size, then one atomic remove of ``count`` members from a
        random index (a lost race, an emptier set: removes what is there).
        """
        size = self.size("spop", key)
        if size == 0 or count <= 0:
            return []
        start = random.randrange(size)
        start = min(start, max(size - count, 0))
        remove = mo.map_remove_by_index_range(_V, start, count, RT_KEY)
        got = self.write("spop", key, [remove])
        return [self.decode(key, m) for m in (got[0] or [])] if got else []

    def srandmember(self, key: str, count: int | None) -> list[Any]:
        """Random members, as Redis's ``SRANDMEMBER``: ``count`` distinct ones, or
        ``-count`` with repeats; ``None``: one."""
        members = list(self.whole("srandmember", key))
        if not members:
            return []
        if count is None:
            picked = [random.choice(members)]
        elif count >= 0:
            picked = random.sample(members, min(count, len(members)))
        else:
            picked = [random.choice(members) for _ in range(-count)]
        return [self.decode(key, m) for m in picked]

    def combine(self, how: str, keys: list[str]) -> dict[Any, Any]:
        """The difference, intersection or union (``how``) of the sets at ``keys``: one batch read.

        Returns the result's map (member form -> mark).
        """
        if not keys:
            return {}
        maps = self.failures.call(how, None, (), self._batch_maps, keys)
        if maps is None:  # fail-open
            return {}
        first, rest = maps[0], maps[1:]
        if how == "sdiff":
            out = dict(first)
            for other in rest:
                for m in other:
                    out.pop(m, None)
        elif how == "sinter":
            out = {m: v for m, v in first.items() if all(m in other for other in rest)}
        else:
            out = {}
            for one in maps:
                out.update(one)
        return out

    def _batch_maps(self, client: Any, keys: list[str]) -> list[dict[Any, Any]]:
        batch = client.batch_read(self.records.keys(keys), _BATCH_READ)
        maps: list[dict[Any, Any]] = []
        for key, row in zip(keys, batch.batch_records, strict=True):
            bins = row.record[2] if row.result == 0 and row.record else None
            if not bins or self.deadlines.expired(bins.get(DEADLINE_BIN)):
                if row.result not in (0, 2):  # 2: not found
                    raise CacheOperationError(f"batch read of {key!r} failed", row.result)
                maps.append({})
                continue
            stored = bins.get(_V)
            if stored is None:
                maps.append({})
            elif isinstance(stored, dict):
                maps.append({plain_member(m): v for m, v in stored.items()})
            else:
                raise wrong_type(key)
        return maps

    def combine_values(self, how: str, keys: list[str]) -> set[Any]:
        """:meth:`combine`, decoded."""
        return {self.decode(keys[0], m) for m in self.combine(how, keys)}

    def store_combined(self, how: str, dest: str, keys: list[str], ttl: float | None) -> int:
        """:meth:`combine` stored at ``dest`` (replacing what it held, as Redis does;
        an empty result deletes it); the result's size. One batch read, one write."""
        result = self.combine(how, keys)
        if not result:
            self.store.delete(dest)
            return 0
        self.replace(f"{how}store", dest, result, KEYED, ttl)
        return len(result)

    def replace(
        self, op: str, key: str, items: dict[Any, Any], policy: Any, ttl: float | None
    ) -> None:
        """Make ``key`` a new collection holding ``items``: one ``operate`` writing every bin."""
        if is_gone(ttl):
            self.store.delete(key)
            return
        deadline, wttl = self.deadlines.of(ttl), wire_ttl(ttl)
        ops = [
            {"op": OP_WRITE, "bin": _V, "val": None},  # whatever it held, then a new map
            mo.map_put_items(_V, items, policy),
            {"op": OP_WRITE, "bin": DEADLINE_BIN, "val": deadline},
            {"op": OP_WRITE, "bin": TAG_BIN, "val": None},
        ]
        job = (key, ops, wttl)
        try:
            self.failures.call(op, None, (), self._replace, job)
        finally:
            self.drop_near(key)

    def _replace(self, client: Any, job: tuple[str, list[dict[str, Any]], int]) -> None:
        key, ops, wttl = job
        self.records.check_ttl(wttl)
        policy = {"key": self.records.key_only["key"], "ttl": wttl}
        client.operate(self.records.key(key), ops, None, policy)

    def smove(self, source: str, dest: str, value: Any, ttl: float | None) -> bool:
        """Move a member from ``source`` to ``dest``; whether it was in ``source``.

        A check that ``dest`` holds no plain value, the atomic remove from
        ``source`` (which decides), then the add to ``dest``; a failure between
        the last two loses the member."""
        member = self.member(source, value)
        self.size("smove", dest)  # WrongTypeError before anything is taken
        got = self.write("smove", source, [mo.map_remove_by_key(_V, member, RT_COUNT)])
        if not got or not got[0]:
            return False
        put = mo.map_put(_V, member, SET_MARK, KEYED)
        self.write("smove", dest, [put], [put], ttl)
        return True
