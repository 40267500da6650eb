"""Read-modify-write operations that stay atomic under exact expiry.

The common path is one round trip, as before exact expiry: ``add`` is a
create-only put, ``incr`` one ``operate`` that also reads the deadline. Only
when a record exists but is past its deadline (the server has not evicted it
yet) does a second, generation-checked write take it over: among racers
exactly one wins, and a lost check means someone else wrote first (the
record is read again). An increment never revives an expired entry: landing
on one, it reports the key missing and leaves the deadline as it was.

Counters are Python ints: they never wrap. The server's increment wraps
silently at 64 bits, so it carries a filter expression that lets it run only
when the result fits (``v <= INT64_MAX - delta``); a filtered-out increment,
and one on a value stored as a blob (an int beyond 64 bits), are done in the
client instead: read the value and generation, add, write back checked on
that generation (retried when another writer came first). A result back
within 64 bits is stored as a server integer again, so the common path
stays one ``operate``.
"""

from __future__ import annotations

import random
import time
from typing import Any, Final

import aerospike
from aerospike import exception as aex

from ..errors import CacheOperationError
from ..serialization import INT64_MAX, INT64_MIN
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
_REPLACE_ANSWERS: Final = (
    (aex.RecordNotFound, False),
    (aex.FilteredOut, False),  # past its deadline: absent
    (aex.RecordTooBig, TOO_BIG),
)
_BIG: Final[Any] = object()
_INCR_ANSWERS: Final = (
    (aex.RecordNotFound, _ABSENT),
    (aex.BinIncompatibleType, _BIG),  # a blob: maybe an int beyond 64 bits
    (aex.FilteredOut, _BIG),  # the result would not fit in 64 bits (or not an int bin)
)
_BIG_ANSWERS: Final = ((aex.RecordNotFound, _ABSENT),)
# An increment reads back the new value and the deadline in the same operate.
_READ_BACK: Final = ({"op": OP_READ, "bin": VALUE_BIN}, {"op": OP_READ, "bin": DEADLINE_BIN})
_ATTEMPTS: Final = 16  # each retry means another writer made progress
_BIG_ATTEMPTS: Final = 100  # a big counter's writers all race on one generation
_DEADLINE_ONLY: Final = [DEADLINE_BIN]
_CREATE_OR_REPLACE: Final = aerospike.POLICY_EXISTS_CREATE_OR_REPLACE


class Atomic(StorePart):
    """``add``, ``incr``, ``touch`` and ``remove_if_equal`` of a store."""

    def __init__(self, *parts: Any) -> None:
        super().__init__(*parts)
        self._incr_policies: dict[int, dict[str, Any]] = {}

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

    def replace(
        self, key: str, encoded: Any, ttl: float | None, stored_tags: list[str] | None = None
    ) -> Any:
        """One update-only put, filtered on the entry being live: ``True``, ``False``
        (absent or past its deadline), :data:`TOO_BIG`, or ``None`` (fail-open)."""
        bins, wttl = self.deadlines.entry(encoded, ttl)
        if stored_tags:
            bins[TAG_BIN] = stored_tags
        records = self.records
        live = self.deadlines.live()
        policy = {
            "key": records.key_only["key"],
            "ttl": wttl,
            # a merge where replaces are refused: whole() sends nil bins for the rest
            "exists": aerospike.POLICY_EXISTS_UPDATE
            if records.replace_refused
            else aerospike.POLICY_EXISTS_REPLACE,
            "expressions": live.compile(),
        }
        job = (key, records.whole(bins), wttl, policy, None)
        return self.failures.call("set", None, _REPLACE_ANSWERS, self.put, job)

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
        fits = INT64_MIN <= delta <= INT64_MAX  # else no server increment can add it
        if fits:
            ops = [{"op": OP_INCR, "bin": VALUE_BIN, "val": delta}, *_READ_BACK]
            job = (key, ops, self._incr_policy(delta))
        for attempt in range(_ATTEMPTS):
            got = (
                self.failures.call("incr", None, _INCR_ANSWERS, self._operate, job)
                if fits
                else _BIG
            )
            if got is _BIG:  # the server cannot add it exactly: in the client
                got = self._add_big(key, delta)
                if type(got) is int:
                    return got
            if got is None:
                return None  # fail-open
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
            # Lost to another writer. Racing creators of an expired counter each bump its
            # generation with their own increment first, so without a pause they can keep
            # invalidating one another: a short random one, growing, breaks the tie.
            time.sleep(random.uniform(0, min(0.005, 0.0001 * 2**attempt)))
        raise CacheOperationError(f"incr of {key!r} kept racing with other writers; try again")

    def _add_big(self, key: str, delta: int) -> Any:
        """Read the counter, add, write back at the generation read; again (with a
        short random pause) when another writer came first. The new value, ``None``
        (fail-open), ``_ABSENT``, or ``(value, deadline, generation)`` of an entry
        past its deadline."""
        for attempt in range(_BIG_ATTEMPTS):
            got = self.failures.call("incr", None, _BIG_ANSWERS, self._read_counter, key)
            if type(got) is not tuple or self.deadlines.expired(got[1]):
                return got
            if got[0] is _NOT_INT:
                raise TypeError(f"the value of key {key!r} is not an integer")
            value = got[0] + delta
            done = self._write_counter(key, value, got[2])
            if done is not _RETRY:
                return None if done is None else value
            # contention on a big counter: pauses that grow, at random, up to 10 ms
            time.sleep(random.uniform(0, min(0.01, 0.0002 * 2**attempt)))
        raise CacheOperationError(f"incr of {key!r} kept racing with other writers; try again")

    def _incr_policy(self, delta: int) -> dict[str, Any]:
        """The increment's policy: TTL kept, and a filter that refuses a 64-bit wrap."""
        policy = self._incr_policies.get(delta)
        if policy is None:
            from aerospike_helpers import expressions as exp

            if delta == 0:
                policy = self.records.update_keep  # cannot wrap
            else:
                value = exp.IntBin(VALUE_BIN)
                fits = (
                    exp.LE(value, INT64_MAX - delta)
                    if delta > 0
                    else exp.GE(value, INT64_MIN - delta)
                )
                policy = {**self.records.update_keep, "expressions": fits.compile()}
            if len(self._incr_policies) < 256:  # the deltas in use are few
                self._incr_policies[delta] = policy
        return policy

    def _operate(self, client: Any, job: tuple[str, list[dict[str, Any]], Any]) -> Any:
        key, ops, policy = job
        _, meta, bins = client.operate(self.records.key(key), ops, None, policy)
        return bins[VALUE_BIN], bins.get(DEADLINE_BIN), meta["gen"]

    def _read_counter(self, client: Any, key: str) -> tuple[Any, Any, int]:
        """``(the int value or _NOT_INT, deadline, generation)`` of a counter."""
        _, meta, bins = client.get(self.records.key(key))
        stored = bins.get(VALUE_BIN)
        if type(stored) is not int:
            found, stored = self.codec.decode(key, stored)
            if not found or not isinstance(stored, int) or isinstance(stored, bool):
                stored = _NOT_INT
        return stored if stored is _NOT_INT else int(stored), bins.get(DEADLINE_BIN), meta["gen"]

    def _write_counter(self, key: str, value: int, generation: int) -> Any:
        """Store ``value`` (a server int when it fits) at ``generation``, TTL and deadline
        kept: ``True``, ``None`` (fail-open) or ``_RETRY`` (another writer came first)."""
        ops = [{"op": OP_WRITE, "bin": VALUE_BIN, "val": self.codec.encode(key, value)}]
        answers = ((aex.RecordNotFound, _RETRY), (aex.RecordGenerationError, _RETRY))
        return self.failures.call("incr", None, answers, self._operate_at, (key, ops, generation))

    def _operate_at(self, client: Any, job: tuple[str, list[dict[str, Any]], int]) -> bool:
        key, ops, generation = job
        policy = {**self.records.update_keep, "gen": aerospike.POLICY_GEN_EQ}
        client.operate(self.records.key(key), ops, {"gen": generation}, policy)
        return True

    def _create_counter(
        self, key: str, delta: int, ttl: float | None, generation: int | None
    ) -> Any:
        """Create the counter, or replace the expired one at ``generation`` (if not None)."""
        bins, wttl = self.deadlines.entry(self.codec.encode(key, delta), ttl)
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
