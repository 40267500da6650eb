"""Hashes, sets and sorted sets on one record's map bin, changed by server-side map operations.

One cache key is one record, laid out as every entry is (:mod:`.expiry`):
the value bin holds a map, the deadline bin the exact expiry, the tag bin the
tags. A hash maps field -> value (the value through the codec, an exact
int64 native so that ``hincrby`` is one atomic map increment); a set maps
member -> ``1`` (the smallest msgpack value, one byte as ``true`` is, and the
same on every client whatever its ``send_bool_as``); a sorted set maps
member -> score (a double: Aerospike orders ints before doubles, so every
score is a float). Members are map keys: the codec's bytes of the member (an
exact int64 as itself), so equal members are one key. Hashes and sets are
key-ordered maps, sorted sets key-value-ordered (rank and score ranges read
an index, not the whole map).

Each operation is one ``operate`` on the record, atomic on the server:

- reads add a read of the deadline bin, and a record past it reads as an
  empty collection, as an absent one does;
- writes are update-only, with a filter expression that the record is not
  past its deadline, and keep its TTL and deadline. An absent key is then
  created (a create-only ``operate`` writing the deadline and tags with the
  map): a write that creates the key gives it the ``ttl`` it is passed (the
  frontends pass their default timeout), since a write that reset the TTL
  of a live collection would make it live forever under steady writes. A
  record past its deadline (not yet evicted) is removed (only if still
  expired, by the same filter) and the write retried, so an expired
  collection never comes back to life. Losing a race to create retries.
- a plain cached value under the key makes the server refuse the map
  operation (error 12, incompatible bin type): :class:`WrongTypeError`,
  nothing changed. Removing the last member leaves an empty collection
  (Redis would delete the key): it reads as empty, and counts as present for
  ``has``.

The multi-key set algebra reads every key in one batch (plus one write for
the ``*store`` forms, which replace the destination as Redis does). Every
client call goes through the failure path: fail-open turns an outage into
an empty read or a write that did nothing (0, ``False``). Every write drops
the key from the near cache.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

import aerospike
from aerospike import exception as aex
from aerospike_helpers import expressions as exp
from aerospike_helpers.operations import map_operations as mo

from ..errors import CacheOperationError, WrongTypeError
from ..tags import TAG_BIN
from .expiry import DEADLINE_BIN, VALUE_BIN, is_gone, wire_ttl
from .failures import Answers
from .records import MISSING, OP_READ, OP_WRITE, StorePart

if TYPE_CHECKING:
    from .facade import AerospikeStore

_ABSENT: Final[Any] = object()
_EXPIRED: Final[Any] = object()
_WRONG: Final[Any] = object()
_RETRY: Final[Any] = object()

_READ_ANSWERS: Final = ((aex.RecordNotFound, _ABSENT), (aex.BinIncompatibleType, _WRONG))
_UPDATE_ANSWERS: Final = (
    (aex.RecordNotFound, _ABSENT),
    (aex.FilteredOut, _EXPIRED),
    (aex.BinIncompatibleType, _WRONG),
)
_CREATE_ANSWERS: Final = ((aex.RecordExistsError, _RETRY), (aex.BinIncompatibleType, _WRONG))
# an increment of a value that is not a number: the server answers 4 (parameter)
_NOT_NUMBER: Final = ((aex.InvalidRequest, _WRONG),)
_GONE_ANSWERS: Final = ((aex.RecordNotFound, None), (aex.FilteredOut, None))
_BATCH_READ: Final = [VALUE_BIN, DEADLINE_BIN]
_READ_DEADLINE: Final = {"op": OP_READ, "bin": DEADLINE_BIN}
_READ_VALUE: Final = {"op": OP_READ, "bin": VALUE_BIN}
_ATTEMPTS: Final = 16
#: a count meaning "to the end" (the client wants a number; the server clamps it)
_ALL: Final = 2**31 - 1

_RT_COUNT: Final = aerospike.MAP_RETURN_COUNT
_RT_EXISTS: Final = aerospike.MAP_RETURN_EXISTS
_RT_KEY: Final = aerospike.MAP_RETURN_KEY
_RT_VALUE: Final = aerospike.MAP_RETURN_VALUE
_RT_KEY_VALUE: Final = aerospike.MAP_RETURN_KEY_VALUE
_RT_RANK: Final = aerospike.MAP_RETURN_RANK
_RT_REVERSE_RANK: Final = aerospike.MAP_RETURN_REVERSE_RANK

#: hashes and sets: key-ordered maps (a lookup is a binary search)
KEYED: Final = {"map_order": aerospike.MAP_KEY_ORDERED}
#: sorted sets: key- and value-ordered (ranks and score ranges read the value index)
SCORED: Final = {"map_order": aerospike.MAP_KEY_VALUE_ORDERED}
_SOFT: Final = aerospike.MAP_WRITE_FLAGS_NO_FAIL | aerospike.MAP_WRITE_FLAGS_PARTIAL
SCORED_NX: Final = {**SCORED, "map_write_flags": aerospike.MAP_WRITE_FLAGS_CREATE_ONLY | _SOFT}
SCORED_XX: Final = {**SCORED, "map_write_flags": aerospike.MAP_WRITE_FLAGS_UPDATE_ONLY | _SOFT}

_V: Final = VALUE_BIN
SET_MARK: Final = 1
"""The value of every member of a set's map."""


class Collections(StorePart):
    """The hash, set and sorted-set operations of a store (see the module docstring).

    Keys are the store's keys (made by the frontend); ``ttl`` of a write is
    the store's TTL language and applies only when the write creates the key.
    """

    def __init__(self, store: AerospikeStore) -> None:
        super().__init__(store.records, store.failures, store.codec, store._deadlines)
        self.store = store

    # -- the record: read, write, create ---------------------------------------

    def read(self, op: str, key: str, ops: list[dict[str, Any]]) -> list[Any] | None:
        """The results of ``ops`` on ``key``'s map; ``None`` if it is absent or expired."""
        got = self.failures.call(op, _ABSENT, _READ_ANSWERS, self._read, (key, ops))
        if got is _WRONG:
            raise _wrong(key)
        return None if got is _ABSENT else got

    def _read(self, client: Any, job: tuple[str, list[dict[str, Any]]]) -> Any:
        key, ops = job
        _, _, rows = client.operate_ordered(self.records.key(key), [*ops, _READ_DEADLINE])
        return self._results(rows)

    def _results(self, rows: list[tuple[str, Any]]) -> Any:
        """The value bin's results of an ``operate_ordered``, or ``_ABSENT`` past the deadline."""
        deadline = None
        out = []
        for name, value in rows:
            if name == DEADLINE_BIN:
                deadline = value
            elif name == _V:
                out.append(value)
        return _ABSENT if self.deadlines.expired(deadline) else out

    def write(
        self,
        op: str,
        key: str,
        ops: list[dict[str, Any]],
        create: list[dict[str, Any]] | None = None,
        ttl: float | None = None,
        tags: list[str] | None = None,
        numeric: bool = False,
    ) -> list[Any] | None:
        """The results of ``ops`` on ``key``'s live map, or of ``create`` on a new record.

        ``None``: the key is absent (or expired) and ``create`` is ``None``, or
        the call failed under fail-open. The TTL and deadline of a live entry
        are kept; ``ttl`` and ``tags`` are those of a created one.
        """
        call = self.failures.call
        updates: Answers = _UPDATE_ANSWERS
        creates: Answers = _CREATE_ANSWERS
        if numeric:  # an increment: a value that is not a number is a wrong type too
            updates, creates = (*updates, *_NOT_NUMBER), (*creates, *_NOT_NUMBER)
        try:
            for _attempt in range(_ATTEMPTS):
                got = call(op, None, updates, self._update, (key, ops))
                if got is _EXPIRED:
                    # past its deadline, not yet evicted: gone for good, then written anew
                    call(op, None, _GONE_ANSWERS, self._drop_expired, key)
                    continue
                if got is _ABSENT:
                    if create is None:
                        return None
                    got = call(op, None, creates, self._create, (key, create, ttl, tags))
                    if got is _RETRY:
                        continue  # another writer created it first: update theirs
                if got is _WRONG:
                    raise _wrong(key)
                return got  # type: ignore[no-any-return]
            raise CacheOperationError(f"{op} of {key!r} kept racing with other writers; try again")
        finally:
            near = self.store.near
            if near is not None:
                near.drop((key,))
            self.store.metrics.sets += 1

    def _live(self) -> Any:
        """A filter: the record has no deadline, or it is still ahead."""
        now_ms = int(self.deadlines.clock() * 1000)
        return exp.Or(
            exp.Not(exp.BinExists(DEADLINE_BIN)), exp.GT(exp.IntBin(DEADLINE_BIN), now_ms)
        ).compile()

    def _update(self, client: Any, job: tuple[str, list[dict[str, Any]]]) -> Any:
        key, ops = job
        policy = {**self.records.update_keep, "expressions": self._live()}
        _, _, rows = client.operate_ordered(self.records.key(key), ops, None, policy)
        return [value for name, value in rows if name == _V]

    def _drop_expired(self, client: Any, key: str) -> None:
        now_ms = int(self.deadlines.clock() * 1000)
        expired = exp.LE(exp.IntBin(DEADLINE_BIN), now_ms).compile()
        policy = {"key": self.records.key_only["key"], "expressions": expired}
        client.remove(self.records.key(key), policy=policy)

    def _create(self, client: Any, job: tuple[str, list[dict[str, Any]], Any, Any]) -> Any:
        key, ops, ttl, tags = job
        if is_gone(ttl):  # created and gone at once: a deadline of now, for the server 1 s
            deadline: int | None = int(self.deadlines.clock() * 1000)
            wttl = 1
        else:
            deadline, wttl = self.deadlines.of(ttl), wire_ttl(ttl)
        self.records.check_ttl(wttl)
        extra = [] if deadline is None else [{"op": OP_WRITE, "bin": DEADLINE_BIN, "val": deadline}]
        if tags:
            extra.append({"op": OP_WRITE, "bin": TAG_BIN, "val": tags})
        policy = self.records.create_policy(wttl)
        _, _, rows = client.operate_ordered(self.records.key(key), [*ops, *extra], None, policy)
        return [value for name, value in rows if name == _V]

    # -- members ---------------------------------------------------------------------

    def member(self, key: str, value: Any) -> Any:
        """The map key of a set or sorted-set member (the codec's form)."""
        return self.codec.encode(key, value)

    def members(self, key: str, values: Iterable[Any]) -> list[Any]:
        return [self.codec.encode(key, v) for v in values]

    def decode(self, key: str, stored: Any) -> Any:
        codec = self.codec
        if type(stored) is bytes and stored[:1] == codec.plain_head:
            try:  # the common member or value, inline (as the store's get); else decode()
                return codec.plain_loads(stored[1:])
            except Exception:
                pass
        if isinstance(stored, bytearray):
            stored = bytes(stored)
        found, value = self.codec.decode(key, stored)
        if not found:
            raise CacheOperationError(f"a member or value of {key!r} cannot be decoded")
        return value

    def whole(self, op: str, key: str) -> dict[Any, Any]:
        """The whole map of ``key`` (empty if absent or expired)."""
        got = self.read(op, key, [_READ_VALUE])
        stored = got[0] if got else None
        if stored is None:
            return {}
        if not isinstance(stored, dict):
            raise _wrong(key)
        return stored

    # -- hashes ------------------------------------------------------------------------

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
        return _grown(got)

    def hsetnx(self, key: str, field: Any, value: Any, ttl: float | None) -> bool:
        """Set ``field`` only if it is absent; whether it was set."""
        policy = {**KEYED, "map_write_flags": aerospike.MAP_WRITE_FLAGS_CREATE_ONLY | _SOFT}
        put = mo.map_put(_V, _field(field), self.codec.encode(key, value), policy)
        return _grown(self.write("hsetnx", key, [mo.map_size(_V), put], [put], ttl)) == 1

    def hget(self, key: str, field: Any) -> Any:
        """The value of ``field``, or :data:`MISSING`."""
        got = self.read("hget", key, [mo.map_get_by_key(_V, _field(field), _RT_VALUE)])
        if not got or got[0] is None:
            return MISSING
        return self.decode(key, got[0])

    def hmget(self, key: str, fields: Iterable[Any]) -> list[Any]:
        """The values of ``fields`` in order (:data:`MISSING` for an absent one)."""
        asked = [_field(f) for f in fields]
        if not asked:
            return []
        got = self.read("hmget", key, [mo.map_get_by_key_list(_V, asked, _RT_KEY_VALUE)])
        found = dict(_pairs(got[0])) if got else {}
        return [self.decode(key, found[f]) if f in found else MISSING for f in asked]

    def hgetall(self, key: str) -> dict[Any, Any]:
        """Every field and value."""
        return {f: self.decode(key, v) for f, v in self.whole("hgetall", key).items()}

    def hdel(self, key: str, fields: Iterable[Any]) -> int:
        """Remove fields; how many existed."""
        asked = [_field(f) for f in fields]
        if not asked:
            return 0
        got = self.write("hdel", key, [mo.map_remove_by_key_list(_V, asked, _RT_COUNT)])
        return int(got[0]) if got else 0

    def hlen(self, key: str) -> int:
        """How many fields."""
        return self.size("hlen", key)

    def hkeys(self, key: str) -> list[Any]:
        """The fields (in key order)."""
        got = self.read("hkeys", key, [mo.map_get_by_index_range(_V, 0, _ALL, _RT_KEY)])
        return [bytes(f) if isinstance(f, bytearray) else f for f in (got[0] or [])] if got else []

    def hvals(self, key: str) -> list[Any]:
        """The values, in field order."""
        return list(self.hgetall(key).values())

    def hexists(self, key: str, field: Any) -> bool:
        """Whether ``field`` exists."""
        got = self.read("hexists", key, [mo.map_get_by_key(_V, _field(field), _RT_EXISTS)])
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

    def size(self, op: str, key: str) -> int:
        got = self.read(op, key, [mo.map_size(_V)])
        return int(got[0] or 0) if got else 0

    # -- sets --------------------------------------------------------------------------

    def sadd(
        self, key: str, values: Iterable[Any], ttl: float | None, tags: list[str] | None = None
    ) -> int:
        """Add members; how many were new."""
        items = dict.fromkeys(self.members(key, values), SET_MARK)
        if not items:
            return 0
        put = mo.map_put_items(_V, items, KEYED)
        return _grown(self.write("sadd", key, [mo.map_size(_V), put], [put], ttl, tags))

    def srem(self, key: str, values: Iterable[Any]) -> int:
        """Remove members; how many were there."""
        asked = self.members(key, values)
        if not asked:
            return 0
        got = self.write("srem", key, [mo.map_remove_by_key_list(_V, asked, _RT_COUNT)])
        return int(got[0]) if got else 0

    def smembers(self, key: str) -> set[Any]:
        """Every member."""
        return {self.decode(key, m) for m in self.whole("smembers", key)}

    def sismember(self, key: str, value: Any) -> bool:
        """Whether ``value`` is a member."""
        got = self.read(
            "sismember", key, [mo.map_get_by_key(_V, self.member(key, value), _RT_EXISTS)]
        )
        return bool(got and got[0])

    def smismember(self, key: str, values: Iterable[Any]) -> list[bool]:
        """Whether each of ``values`` is a member, in order."""
        asked = self.members(key, values)
        if not asked:
            return []
        got = self.read("smismember", key, [mo.map_get_by_key_list(_V, asked, _RT_KEY)])
        present = {_plain(m) for m in (got[0] or [])} if got else set()
        return [_plain(m) in present for m in asked]

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
        remove = mo.map_remove_by_index_range(_V, start, count, _RT_KEY)
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
                maps.append({_plain(m): v for m, v in stored.items()})
            else:
                raise _wrong(key)
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
            near = self.store.near
            if near is not None:
                near.drop((key,))

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
        got = self.write("smove", source, [mo.map_remove_by_key(_V, member, _RT_COUNT)])
        if not got or not got[0]:
            return False
        put = mo.map_put(_V, member, SET_MARK, KEYED)
        self.write("smove", dest, [put], [put], ttl)
        return True

    # -- sorted sets -------------------------------------------------------------------

    def zadd(
        self,
        key: str,
        mapping: Mapping[Any, Any],
        ttl: float | None,
        *,
        nx: bool = False,
        xx: bool = False,
        ch: bool = False,
        incr: bool = False,
        gt: bool = False,
        lt: bool = False,
        tags: list[str] | None = None,
    ) -> int | float | None:
        """Redis's ``ZADD``: how many were added (``ch``: added or changed); with
        ``incr`` the member's new score, ``None`` if the flags refused it."""
        if nx and (xx or gt or lt):
            raise ValueError("zadd: nx cannot be combined with xx, gt or lt")
        if gt and lt:
            raise ValueError("zadd: gt and lt cannot be combined")
        if incr and len(mapping) != 1:
            raise ValueError("zadd: incr takes exactly one member and score")
        items = {self.member(key, m): _score(s) for m, s in mapping.items()}
        if not items:
            return 0
        if incr:
            ((member, amount),) = items.items()
            return self._zadd_incr(key, member, amount, ttl, nx, xx, gt, lt, tags)
        policy = SCORED_NX if nx else SCORED_XX if xx else SCORED
        if gt or lt:
            return self._zadd_compare(key, items, ttl, xx, ch, gt, tags)
        # the old scores and the write in one operate: the counts are exact
        put = mo.map_put_items(_V, items, policy)
        old = mo.map_get_by_key_list(_V, list(items), _RT_KEY_VALUE)
        got = self.write("zadd", key, [old, put], [put], ttl, tags)
        if got is None:
            return 0
        return _counted(items, dict(_pairs(got[0])) if len(got) > 1 else {}, nx, xx, ch)

    def _zadd_compare(
        self,
        key: str,
        items: dict[Any, float],
        ttl: float | None,
        xx: bool,
        ch: bool,
        gt: bool,
        tags: list[str] | None,
    ) -> int:
        """``zadd`` with ``gt``/``lt``: no map write flag says "only if greater", so the
        old scores are read and what passes is written at the generation read."""
        ask = list(items)
        for _attempt in range(_ATTEMPTS):
            seen = self.failures.call("zadd", None, _READ_ANSWERS, self._scores_at, (key, ask))
            if seen is _WRONG:
                raise _wrong(key)
            if seen is None:
                return 0  # fail-open
            old, gen = ({}, None) if seen is _ABSENT else seen
            chosen = {
                m: s
                for m, s in items.items()
                if (m not in old and not xx) or (m in old and (s > old[m] if gt else s < old[m]))
            }
            if not chosen:
                return 0
            put = mo.map_put_items(_V, chosen, SCORED)
            if gen is None:  # absent: create it (a racer created it first: read again)
                got = self.write("zadd", key, [_READ_VALUE], [put], ttl, tags)
                if got is None:
                    return 0
                if got and type(got[0]) is int:  # the create's put answered the new size
                    return len(chosen)
                continue  # the update path read someone's new map: compare with it
            answers = ((aex.RecordGenerationError, _RETRY), *_UPDATE_ANSWERS)
            done = self.failures.call("zadd", None, answers, self._put_at, (key, put, gen))
            if done is _RETRY or done is _ABSENT or done is _EXPIRED:
                continue
            if done is _WRONG:
                raise _wrong(key)
            if done is None:
                return 0
            return _counted(chosen, old, False, xx, ch)
        raise CacheOperationError(f"zadd of {key!r} kept racing with other writers; try again")

    def _scores_at(self, client: Any, job: tuple[str, list[Any]]) -> Any:
        key, members = job
        ops = [mo.map_get_by_key_list(_V, members, _RT_KEY_VALUE), _READ_DEADLINE]
        _, meta, rows = client.operate_ordered(self.records.key(key), ops)
        got = self._results(rows)
        if got is _ABSENT:
            return _ABSENT
        return dict(_pairs(got[0] if got else None)), meta["gen"]

    def _put_at(self, client: Any, job: tuple[str, dict[str, Any], int]) -> Any:
        key, put, gen = job
        policy = {**self.records.update_keep, "gen": aerospike.POLICY_GEN_EQ}
        policy["expressions"] = self._live()
        try:
            near = self.store.near
            client.operate(self.records.key(key), [put], {"gen": gen}, policy)
        finally:
            if near is not None:
                near.drop((key,))
        return True

    def _zscores(self, key: str, members: list[Any]) -> Any:
        got = self.read("zscore", key, [mo.map_get_by_key_list(_V, members, _RT_KEY_VALUE)])
        return got[0] if got else None

    def _zadd_incr(
        self,
        key: str,
        member: Any,
        amount: float,
        ttl: float | None,
        nx: bool,
        xx: bool,
        gt: bool,
        lt: bool,
        tags: list[str] | None,
    ) -> float | None:
        if not (nx or xx or gt or lt):
            return self._incr(key, member, amount, ttl, tags)
        old = dict(_pairs(self._zscores(key, [member])))
        if (nx and member in old) or (xx and member not in old):
            return None
        if member in old and (gt or lt):
            new = old[member] + amount
            if (gt and not new > old[member]) or (lt and not new < old[member]):
                return None
        return self._incr(key, member, amount, ttl, tags)

    def _incr(
        self, key: str, member: Any, amount: float, ttl: float | None, tags: list[str] | None = None
    ) -> float | None:
        op = mo.map_increment(_V, member, amount, SCORED)
        got = self.write("zincrby", key, [op], [op], ttl, tags, numeric=True)
        return None if not got else float(got[0])

    def zincrby(self, key: str, amount: float, value: Any, ttl: float | None) -> float | None:
        """Add ``amount`` to the member's score (absent: 0); the new score."""
        return self._incr(key, self.member(key, value), _score(amount), ttl)

    def zcard(self, key: str) -> int:
        return self.size("zcard", key)

    def zcount(self, key: str, low: Any, high: Any) -> int:
        """How many members score within ``low``..``high`` (Redis bounds: ``(x``, ``-inf``)."""
        span = _span(low, high)
        if span is None:
            return 0
        got = self.read("zcount", key, [mo.map_get_by_value_range(_V, *span, _RT_COUNT)])
        return int(got[0] or 0) if got else 0

    def zscore(self, key: str, value: Any) -> float | None:
        got = self.read("zscore", key, [mo.map_get_by_key(_V, self.member(key, value), _RT_VALUE)])
        return None if not got or got[0] is None else float(got[0])

    def zrank(self, key: str, value: Any, desc: bool = False) -> tuple[int, float] | None:
        """``(rank, score)`` of the member (``desc``: rank from the highest), ``None`` if absent."""
        member = self.member(key, value)
        ops = [
            mo.map_get_by_key(_V, member, _RT_REVERSE_RANK if desc else _RT_RANK),
            mo.map_get_by_key(_V, member, _RT_VALUE),
        ]
        got = self.read("zrank", key, ops)
        if not got or len(got) < 2 or got[0] is None or got[1] is None:
            return None
        return int(got[0]), float(got[1])

    def zrem(self, key: str, values: Iterable[Any]) -> int:
        asked = self.members(key, values)
        if not asked:
            return 0
        got = self.write("zrem", key, [mo.map_remove_by_key_list(_V, asked, _RT_COUNT)])
        return int(got[0]) if got else 0

    def zremrangebyscore(self, key: str, low: Any, high: Any) -> int:
        span = _span(low, high)
        if span is None:
            return 0
        got = self.write(
            "zremrangebyscore", key, [mo.map_remove_by_value_range(_V, *span, _RT_COUNT)]
        )
        return int(got[0]) if got else 0

    def zpop(self, key: str, count: int, highest: bool) -> list[tuple[Any, float]]:
        """Remove and return the ``count`` lowest (or highest) members, in pop order."""
        if count <= 0:
            return []
        rank = -count if highest else 0
        got = self.write("zpop", key, [mo.map_remove_by_rank_range(_V, rank, count, _RT_KEY_VALUE)])
        pairs = self._scored(key, got[0] if got else None)
        return pairs[::-1] if highest else pairs

    def zrange(self, key: str, start: int, end: int, desc: bool = False) -> list[tuple[Any, float]]:
        """Members ``start``..``end`` (inclusive, negative from the end) by rank, with scores."""
        if desc:
            start, end = -(end + 1), -(start + 1)  # the same members, counted from the top
        same_sign = (start >= 0) == (end >= 0)
        if same_sign and end < start:
            return []
        count = end - start + 1 if same_sign else _ALL
        ops = [mo.map_size(_V), mo.map_get_by_rank_range(_V, start, count, _RT_KEY_VALUE)]
        got = self.read("zrange", key, ops)
        if not got or len(got) < 2:
            return []
        size = int(got[0] or 0)
        pairs = self._scored(key, got[1])
        if not same_sign:  # fetched to the end: keep what end allows
            first = start if start >= 0 else max(size + start, 0)
            last = end if end >= 0 else size + end
            pairs = pairs[: max(last - first + 1, 0)]
        return pairs[::-1] if desc else pairs

    def zrangebyscore(
        self,
        key: str,
        low: Any,
        high: Any,
        start: int | None = None,
        num: int | None = None,
        desc: bool = False,
    ) -> list[tuple[Any, float]]:
        """Members scoring within ``low``..``high``, with scores; ``start``/``num`` page them."""
        if (start is None) != (num is None):
            raise ValueError("zrangebyscore: give both start and num, or neither")
        span = _span(low, high)
        if span is None:
            return []
        got = self.read("zrangebyscore", key, [mo.map_get_by_value_range(_V, *span, _RT_KEY_VALUE)])
        pairs = self._scored(key, got[0] if got else None)
        if desc:
            pairs.reverse()
        if start is not None and num is not None:
            pairs = pairs[start:] if num < 0 else pairs[start : start + num]
        return pairs

    def _scored(self, key: str, raw: Any) -> list[tuple[Any, float]]:
        """Decoded ``(member, score)`` pairs in Aerospike's rank order (score, then member)."""
        pairs = sorted(_pairs(raw), key=_rank_order)
        return [(self.decode(key, m), float(s)) for m, s in pairs]


# -- helpers ----------------------------------------------------------------------------


def _wrong(key: str) -> WrongTypeError:
    return WrongTypeError(
        f"WRONGTYPE: key {key!r} holds a plain cached value (or, for an increment, the field "
        "holds a value that is not a number), not the collection this operation needs"
    )


def _grown(got: list[Any] | None) -> int:
    """How many entries a put added: the size after minus the size before (the update's
    two results), or the size of a new map (the create's one result)."""
    if not got:
        return 0
    if len(got) == 1:
        return int(got[0] or 0)
    return int(got[1] or 0) - int(got[0] or 0)


def _counted(chosen: dict[Any, float], before: dict[Any, Any], nx: bool, xx: bool, ch: bool) -> int:
    """ZADD's answer: members added, plus (``ch``) members whose score changed."""
    added = 0 if xx else sum(1 for m in chosen if m not in before)
    changed = 0 if nx else sum(1 for m, s in chosen.items() if m in before and before[m] != s)
    return added + changed if ch else added


def _field(field: Any) -> Any:
    """A hash field as a map key: ``str``, ``int`` or ``bytes`` as is."""
    if isinstance(field, (str, bytes)) or (type(field) is int):
        return field
    raise TypeError(f"hash fields must be str, bytes or int, got {type(field).__name__}")


def _plain(member: Any) -> Any:
    return bytes(member) if isinstance(member, bytearray) else member


def _pairs(raw: Any) -> list[tuple[Any, Any]]:
    """``(key, value)`` pairs of a key-value map result (pairs, a flat list, or a dict)."""
    if not raw:
        return []
    if isinstance(raw, dict):
        return [(_plain(k), v) for k, v in raw.items()]
    if isinstance(raw[0], (tuple, list)):
        return [(_plain(k), v) for k, v in raw]
    return [(_plain(raw[i]), raw[i + 1]) for i in range(0, len(raw), 2)]


def _rank_order(pair: tuple[Any, Any]) -> tuple[float, int, Any]:
    member, score = pair
    # Aerospike orders equal values by key, ints before blobs
    return (float(score), 0 if isinstance(member, int) else 1, member)


def _score(score: Any) -> float:
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        raise TypeError(f"a score must be a number, got {type(score).__name__}")
    value = float(score)
    if math.isnan(value):
        raise ValueError("a score cannot be NaN")
    return value


def _bound(bound: Any) -> tuple[float, bool]:
    """A Redis score bound, ``(value, exclusive)``: ``1.5``, ``"(1.5"``, ``"-inf"``, ``"+inf"``."""
    if isinstance(bound, (str, bytes)):
        text = bound.decode() if isinstance(bound, bytes) else bound
        text = text.strip()
        exclusive = text.startswith("(")
        try:
            return float(text[1:] if exclusive else text), exclusive
        except ValueError:
            raise ValueError(
                f"a score bound must be a number, '(number', '-inf' or '+inf', got {bound!r}"
            ) from None
    return _score(bound), False


def _span(low: Any, high: Any) -> tuple[Any, Any] | None:
    """``(begin, end)`` of Aerospike's value range (end exclusive) for Redis's bounds,
    ``None`` if nothing can match."""
    lo, lo_open = _bound(low)
    hi, hi_open = _bound(high)
    begin = math.nextafter(lo, math.inf) if lo_open else lo
    if hi == math.inf and not hi_open:
        # to the end (a nil end is no bound on a real node: it matches nothing)
        end: Any = aerospike.CDTInfinite()
    else:
        end = hi if hi_open else math.nextafter(hi, math.inf)
        if end <= begin:
            return None
    return begin, end


__all__ = ["KEYED", "SCORED", "SET_MARK", "Collections"]
