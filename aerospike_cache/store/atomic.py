"""Read-modify-write operations that stay atomic under exact expiry.

The common path is one round trip, as before exact expiry: ``add`` is a
create-only put, ``incr`` one ``operate`` that also reads the deadline. Only
when a record exists but is past its deadline (the server has not evicted it
yet) does a second, generation-checked write take it over: among racers
exactly one wins, and a lost check means someone else wrote first (the
record is read again). An increment never revives an expired entry: landing
on one, it reports the key missing and leaves the deadline as it was.
"""

from __future__ import annotations

from typing import Any, Final

import aerospike
from aerospike import exception as aex

from ..errors import CacheOperationError
from ..tags import TAG_BIN
from .expiry import DEADLINE_BIN, VALUE_BIN, is_gone, wire_ttl
from .failures import warn_oversized
from .records import OP_INCR, OP_READ, OP_WRITE, StorePart

# Sentinels an answer stands for, where the caller does more than return it.
TOO_BIG: Final[Any] = object()
_ABSENT: Final[Any] = object()
_EXISTS: Final[Any] = object()
_NOT_INT: Final[Any] = object()
_RETRY: Final[Any] = object()

_LOST_RACE: Final = ((aex.RecordNotFound, _RETRY), (aex.RecordGenerationError, _RETRY))
_ADD_ANSWERS: Final = ((aex.RecordExistsError, _EXISTS), (aex.RecordTooBig, TOO_BIG))
_INCR_ANSWERS: Final = ((aex.RecordNotFound, _ABSENT), (aex.BinIncompatibleType, _NOT_INT))
# An increment reads back the new value and the deadline in the same operate.
_READ_BACK: Final = ({"op": OP_READ, "bin": VALUE_BIN}, {"op": OP_READ, "bin": DEADLINE_BIN})
_ATTEMPTS: Final = 16  # each retry means another writer made progress
_DEADLINE_ONLY: Final = [DEADLINE_BIN]
_CREATE_OR_REPLACE: Final = aerospike.POLICY_EXISTS_CREATE_OR_REPLACE


class Atomic(StorePart):
    """``add``, ``incr``, ``touch`` and ``remove_if_equal`` of a store."""

    def put(self, client: Any, job: tuple[str, dict[str, Any], int, Any, Any]) -> bool:
        """One put: ``(key, bins, wire ttl, policy, meta)`` (nsup checked first)."""
        key, bins, wttl, policy, meta = job
        records = self.records
        if wttl > 0 and records.ttl_forbidden:
            records.check_ttl(wttl)  # raises
        if type(key) is str and key.isascii() and "\x00" not in key:  # records.key(), inlined
            record_key: Any = (records.namespace, records.set_name, key)
        else:
            record_key = records.key(key)
        if records.replace_refused:  # a merge (Records.write_policy): nil bins drop older ones
            bins = records.whole(bins)
            if policy.get("exists") == _CREATE_OR_REPLACE:  # made before the inspection
                policy = records.write_policy(wttl)
        client.put(record_key, bins, meta, policy)
        return True

    def add(
        self, key: str, encoded: Any, ttl: float | None, stored_tags: list[str] | None = None
    ) -> bool:
        """A create-only put; an existing record past its deadline is taken over."""
        call = self.failures.call
        for _attempt in range(_ATTEMPTS):
            bins, wttl = self.deadlines.entry(encoded, ttl)
            if stored_tags:
                bins[TAG_BIN] = stored_tags
            policy = self.records.create_policy(wttl)
            done = call("add", False, _ADD_ANSWERS, self.put, (key, bins, wttl, policy, None))
            if done is _EXISTS:
                done = call("add", False, _LOST_RACE, self._take_over, (key, bins, wttl))
            if done is TOO_BIG:
                warn_oversized(key)
                return False
            if done is not _RETRY:
                return bool(done)
        raise CacheOperationError(f"add of {key!r} kept racing with other writers; try again")

    def _take_over(self, client: Any, job: tuple[str, dict[str, Any], int]) -> Any:
        """Replace the record if it is past its deadline, at the generation read."""
        key, bins, wttl = job
        record_key = self.records.key(key)
        _, meta, current = client.select(record_key, _DEADLINE_ONLY)
        if not self.deadlines.expired(current.get(DEADLINE_BIN)):
            return False  # a live entry: add fails
        self.records.check_ttl(wttl)
        try:
            policy = self.records.replace_if_policy(wttl)
            client.put(record_key, self.records.whole(bins), {"gen": meta["gen"]}, policy)
        except aex.RecordTooBig:
            return TOO_BIG
        return True

    def incr(self, key: str, delta: int, create: bool, ttl: float | None) -> int | None:
        """See :meth:`AerospikeStore.incr`."""
        ops = [{"op": OP_INCR, "bin": VALUE_BIN, "val": delta}, *_READ_BACK]
        for _attempt in range(_ATTEMPTS):
            got = self.failures.call("incr", None, _INCR_ANSWERS, self._operate, (key, ops))
            if got is None:
                return None  # fail-open
            if got is _NOT_INT:
                raise TypeError(f"the value of key {key!r} is not an integer")
            if got is not _ABSENT and not self.deadlines.expired(got[1]):
                return int(got[0])
            # Absent, or landed on an expired entry (which stays expired).
            if not create:
                raise KeyError(key)
            if is_gone(ttl):
                return delta
            done = self._create_counter(key, delta, ttl, None if got is _ABSENT else got[2])
            if done is not _RETRY:
                return None if done is None else delta
        raise CacheOperationError(f"incr of {key!r} kept racing with other writers; try again")

    def _operate(self, client: Any, job: tuple[str, list[dict[str, Any]]]) -> tuple[Any, Any, int]:
        key, ops = job
        _, meta, bins = client.operate(self.records.key(key), ops, None, self.records.update_keep)
        return bins[VALUE_BIN], bins.get(DEADLINE_BIN), meta["gen"]

    def _create_counter(
        self, key: str, delta: int, ttl: float | None, generation: int | None
    ) -> Any:
        """Create the counter, or replace the expired one at ``generation`` (if not None)."""
        bins, wttl = self.deadlines.entry(delta, ttl)
        records = self.records
        meta = None
        if generation is None:
            policy = records.create_policy(wttl)
            answers: Any = ((aex.RecordExistsError, _RETRY),)
        else:
            policy, meta = records.replace_if_policy(wttl), {"gen": generation}
            answers = _LOST_RACE
        return self.failures.call("incr", None, answers, self.put, (key, bins, wttl, policy, meta))

    def touch(self, key: str, ttl: float | None) -> bool:
        """A new TTL and deadline for a live entry; ``False`` if absent or expired."""
        wttl = wire_ttl(ttl)
        answers = ((aex.RecordNotFound, False), (aex.RecordGenerationError, _RETRY))
        for _attempt in range(_ATTEMPTS):
            done = self.failures.call("touch", False, answers, self._touch, (key, ttl, wttl))
            if done is not _RETRY:
                return bool(done)
        raise CacheOperationError(f"touch of {key!r} kept racing with other writers; try again")

    def _touch(self, client: Any, job: tuple[str, float | None, int]) -> bool:
        key, ttl, wttl = job
        self.records.check_ttl(wttl)
        record_key = self.records.key(key)
        _, meta, bins = client.select(record_key, _DEADLINE_ONLY)
        if self.deadlines.expired(bins.get(DEADLINE_BIN)):
            return False
        # A None deadline removes the bin: the entry never expires.
        ops = [{"op": OP_WRITE, "bin": DEADLINE_BIN, "val": self.deadlines.of(ttl)}]
        client.operate(record_key, ops, {"gen": meta["gen"]}, self.records.update_if_policy(wttl))
        return True

    def remove_if_equal(self, key: str, value: Any) -> bool:
        """Delete ``key`` only if it still holds ``value`` and is live (generation-checked)."""
        answers = ((aex.RecordNotFound, False), (aex.RecordGenerationError, False))
        return self.failures.call(
            "remove_if_equal", False, answers, self._remove_if_equal, (key, value)
        )

    def _remove_if_equal(self, client: Any, job: tuple[str, Any]) -> bool:
        key, value = job
        record_key = self.records.key(key)
        _, meta, bins = client.get(record_key)
        if self.deadlines.expired(bins.get(DEADLINE_BIN)):
            return False
        found, current = self.codec.decode(key, bins.get(VALUE_BIN))
        if not found or current != value:
            return False
        client.remove(record_key, policy=self.records.remove_if_policy(meta["gen"]))
        return True
