"""The record machinery of every collection: read, write, create, expiry, wrong type, members.

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

Every client call goes through the failure path: fail-open turns an outage
into an empty read or a write that did nothing (0, ``False``). Every write
drops the key from the near cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

import aerospike
from aerospike import exception as aex
from aerospike_helpers import expressions as exp
from aerospike_helpers.operations import map_operations as mo

from ...errors import CacheOperationError, WrongTypeError
from ...tags import TAG_BIN
from ..expiry import DEADLINE_BIN, VALUE_BIN, is_gone, wire_ttl
from ..failures import Answers
from ..records import OP_READ, OP_WRITE, StorePart

if TYPE_CHECKING:
    from ..facade import AerospikeStore

ABSENT: Final[Any] = object()
EXPIRED: Final[Any] = object()
WRONG: Final[Any] = object()
RETRY: Final[Any] = object()

READ_ANSWERS: Final = ((aex.RecordNotFound, ABSENT), (aex.BinIncompatibleType, WRONG))
UPDATE_ANSWERS: Final = (
    (aex.RecordNotFound, ABSENT),
    (aex.FilteredOut, EXPIRED),
    (aex.BinIncompatibleType, WRONG),
)
_CREATE_ANSWERS: Final = ((aex.RecordExistsError, RETRY), (aex.BinIncompatibleType, WRONG))
# an increment of a value that is not a number: the server answers 4 (parameter)
_NOT_NUMBER: Final = ((aex.InvalidRequest, WRONG),)
_GONE_ANSWERS: Final = ((aex.RecordNotFound, None), (aex.FilteredOut, None))
READ_DEADLINE: Final = {"op": OP_READ, "bin": DEADLINE_BIN}
READ_VALUE: Final = {"op": OP_READ, "bin": VALUE_BIN}
ATTEMPTS: Final = 16
#: a count meaning "to the end" (the client wants a number; the server clamps it)
ALL: Final = 2**31 - 1

RT_COUNT: Final = aerospike.MAP_RETURN_COUNT
RT_EXISTS: Final = aerospike.MAP_RETURN_EXISTS
RT_KEY: Final = aerospike.MAP_RETURN_KEY
RT_VALUE: Final = aerospike.MAP_RETURN_VALUE
RT_KEY_VALUE: Final = aerospike.MAP_RETURN_KEY_VALUE

#: hashes and sets: key-ordered maps (a lookup is a binary search)
KEYED: Final = {"map_order": aerospike.MAP_KEY_ORDERED}
SOFT: Final = aerospike.MAP_WRITE_FLAGS_NO_FAIL | aerospike.MAP_WRITE_FLAGS_PARTIAL

_V: Final = VALUE_BIN


class CollectionBase(StorePart):
    """What every kind of collection shares: the record's read and write paths, the
    member codec (see the module docstring)."""

    def __init__(self, store: AerospikeStore) -> None:
        super().__init__(store.records, store.failures, store.codec, store._deadlines)
        self.store = store

    # -- the record: read, write, create ---------------------------------------

    def read(self, op: str, key: str, ops: list[dict[str, Any]]) -> list[Any] | None:
        """The results of ``ops`` on ``key``'s map; ``None`` if it is absent or expired."""
        got = self.failures.call(op, ABSENT, READ_ANSWERS, self._read, (key, ops))
        if got is WRONG:
            raise wrong_type(key)
        return None if got is ABSENT else got

    def _read(self, client: Any, job: tuple[str, list[dict[str, Any]]]) -> Any:
        key, ops = job
        _, _, rows = client.operate_ordered(self.records.key(key), [*ops, READ_DEADLINE])
        return self._results(rows)

    def _results(self, rows: list[tuple[str, Any]]) -> Any:
        """The value bin's results of an ``operate_ordered``, or ``ABSENT`` past the deadline."""
        deadline = None
        out = []
        for name, value in rows:
            if name == DEADLINE_BIN:
                deadline = value
            elif name == _V:
                out.append(value)
        return ABSENT if self.deadlines.expired(deadline) else out

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
        updates: Answers = UPDATE_ANSWERS
        creates: Answers = _CREATE_ANSWERS
        if numeric:  # an increment: a value that is not a number is a wrong type too
            updates, creates = (*updates, *_NOT_NUMBER), (*creates, *_NOT_NUMBER)
        try:
            for _attempt in range(ATTEMPTS):
                got = call(op, None, updates, self._update, (key, ops))
                if got is EXPIRED:
                    # past its deadline, not yet evicted: gone for good, then written anew
                    call(op, None, _GONE_ANSWERS, self._drop_expired, key)
                    continue
                if got is ABSENT:
                    if create is None:
                        return None
                    got = call(op, None, creates, self._create, (key, create, ttl, tags))
                    if got is RETRY:
                        continue  # another writer created it first: update theirs
                if got is WRONG:
                    raise wrong_type(key)
                return got  # type: ignore[no-any-return]
            raise CacheOperationError(f"{op} of {key!r} kept racing with other writers; try again")
        finally:
            self.drop_near(key)
            self.store.metrics.sets += 1

    def _live(self) -> Any:
        """A filter: the record has no deadline, or it is still ahead."""
        return self.deadlines.live().compile()

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
        got = self.read(op, key, [READ_VALUE])
        stored = got[0] if got else None
        if stored is None:
            return {}
        if not isinstance(stored, dict):
            raise wrong_type(key)
        return stored

    def remove_keys(self, op: str, key: str, asked: list[Any]) -> int:
        """Remove these map keys (fields, members) in one write; how many were there."""
        if not asked:
            return 0
        got = self.write(op, key, [mo.map_remove_by_key_list(_V, asked, RT_COUNT)])
        return int(got[0]) if got else 0

    def size(self, op: str, key: str) -> int:
        got = self.read(op, key, [mo.map_size(_V)])
        return int(got[0] or 0) if got else 0

    def drop_near(self, key: str) -> None:
        """Forget ``key`` in the near cache (a write changed it)."""
        near = self.store.near
        if near is not None:
            near.drop((key,))


# -- helpers ----------------------------------------------------------------------------


def wrong_type(key: str) -> WrongTypeError:
    return WrongTypeError(
        f"WRONGTYPE: key {key!r} holds a plain cached value (or, for an increment, the field "
        "holds a value that is not a number), not the collection this operation needs"
    )


def grown_by(got: list[Any] | None) -> int:
    """How many entries a put added: the size after minus the size before (the update's
    two results), or the size of a new map (the create's one result)."""
    if not got:
        return 0
    if len(got) == 1:
        return int(got[0] or 0)
    return int(got[1] or 0) - int(got[0] or 0)


def plain_member(member: Any) -> Any:
    return bytes(member) if isinstance(member, bytearray) else member


def map_pairs(raw: Any) -> list[tuple[Any, Any]]:
    """``(key, value)`` pairs of a key-value map result (pairs, a flat list, or a dict)."""
    if not raw:
        return []
    if isinstance(raw, dict):
        return [(plain_member(k), v) for k, v in raw.items()]
    if isinstance(raw[0], (tuple, list)):
        return [(plain_member(k), v) for k, v in raw]
    return [(plain_member(raw[i]), raw[i + 1]) for i in range(0, len(raw), 2)]
