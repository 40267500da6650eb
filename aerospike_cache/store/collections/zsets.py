"""Sorted sets: a map of member -> score (a double: Aerospike orders ints before
doubles, so every score is a float), key- and value-ordered (rank and score
ranges read an index, not the whole map). Redis's score bounds and rank ranges
become Aerospike's value and rank ranges here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

import aerospike
from aerospike import exception as aex
from aerospike_helpers.operations import map_operations as mo

from ...errors import CacheOperationError
from ..expiry import VALUE_BIN
from .base import (
    ABSENT,
    ALL,
    ATTEMPTS,
    EXPIRED,
    READ_ANSWERS,
    READ_DEADLINE,
    READ_VALUE,
    RETRY,
    RT_COUNT,
    RT_KEY_VALUE,
    RT_VALUE,
    SOFT,
    UPDATE_ANSWERS,
    WRONG,
    CollectionBase,
    map_pairs,
    wrong_type,
)

_V: Final = VALUE_BIN

_RT_RANK: Final = aerospike.MAP_RETURN_RANK
_RT_REVERSE_RANK: Final = aerospike.MAP_RETURN_REVERSE_RANK

#: sorted sets: key- and value-ordered (ranks and score ranges read the value index)
SCORED: Final = {"map_order": aerospike.MAP_KEY_VALUE_ORDERED}
SCORED_NX: Final = {**SCORED, "map_write_flags": aerospike.MAP_WRITE_FLAGS_CREATE_ONLY | SOFT}
SCORED_XX: Final = {**SCORED, "map_write_flags": aerospike.MAP_WRITE_FLAGS_UPDATE_ONLY | SOFT}


class SortedSets(CollectionBase):
    """The sorted-set operations of a store."""

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
        old = mo.map_get_by_key_list(_V, list(items), RT_KEY_VALUE)
        got = self.write("zadd", key, [old, put], [put], ttl, tags)
        if got is None:
            return 0
        return _counted(items, dict(map_pairs(got[0])) if len(got) > 1 else {}, nx, xx, ch)

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
        for _attempt in range(ATTEMPTS):
            seen = self.failures.call("zadd", None, READ_ANSWERS, self._scores_at, (key, ask))
            if seen is WRONG:
                raise wrong_type(key)
            if seen is None:
                return 0  # fail-open
            old, gen = ({}, None) if seen is ABSENT else seen
            chosen = {
                m: s
                for m, s in items.items()
                if (m not in old and not xx) or (m in old and (s > old[m] if gt else s < old[m]))
            }
            if not chosen:
                return 0
            put = mo.map_put_items(_V, chosen, SCORED)
            if gen is None:  # absent: create it (a racer created it first: read again)
                got = self.write("zadd", key, [READ_VALUE], [put], ttl, tags)
                if got is None:
                    return 0
                if got and type(got[0]) is int:  # the create's put answered the new size
                    return len(chosen)
                continue  # the update path read someone's new map: compare with it
            answers = ((aex.RecordGenerationError, RETRY), *UPDATE_ANSWERS)
            done = self.failures.call("zadd", None, answers, self._put_at, (key, put, gen))
            if done is RETRY or done is ABSENT or done is EXPIRED:
                continue
            if done is WRONG:
                raise wrong_type(key)
            if done is None:
                return 0
            return _counted(chosen, old, False, xx, ch)
        raise CacheOperationError(f"zadd of {key!r} kept racing with other writers; try again")

    def _scores_at(self, client: Any, job: tuple[str, list[Any]]) -> Any:
        key, members = job
        ops = [mo.map_get_by_key_list(_V, members, RT_KEY_VALUE), READ_DEADLINE]
        _, meta, rows = client.operate_ordered(self.records.key(key), ops)
        got = self._results(rows)
        if got is ABSENT:
            return ABSENT
        return dict(map_pairs(got[0] if got else None)), meta["gen"]

    def _put_at(self, client: Any, job: tuple[str, dict[str, Any], int]) -> Any:
        key, put, gen = job
        policy = {**self.records.update_keep, "gen": aerospike.POLICY_GEN_EQ}
        policy["expressions"] = self._live()
        try:
            client.operate(self.records.key(key), [put], {"gen": gen}, policy)
        finally:
            self.drop_near(key)
        return True

    def _zscores(self, key: str, members: list[Any]) -> Any:
        got = self.read("zscore", key, [mo.map_get_by_key_list(_V, members, RT_KEY_VALUE)])
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
        old = dict(map_pairs(self._zscores(key, [member])))
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
        got = self.read("zcount", key, [mo.map_get_by_value_range(_V, *span, RT_COUNT)])
        return int(got[0] or 0) if got else 0

    def zscore(self, key: str, value: Any) -> float | None:
        got = self.read("zscore", key, [mo.map_get_by_key(_V, self.member(key, value), RT_VALUE)])
        return None if not got or got[0] is None else float(got[0])

    def zrank(self, key: str, value: Any, desc: bool = False) -> tuple[int, float] | None:
        """``(rank, score)`` of the member (``desc``: rank from the highest), ``None`` if absent."""
        member = self.member(key, value)
        ops = [
            mo.map_get_by_key(_V, member, _RT_REVERSE_RANK if desc else _RT_RANK),
            mo.map_get_by_key(_V, member, RT_VALUE),
        ]
        got = self.read("zrank", key, ops)
        if not got or len(got) < 2 or got[0] is None or got[1] is None:
            return None
        return int(got[0]), float(got[1])

    def zrem(self, key: str, values: Iterable[Any]) -> int:
        return self.remove_keys("zrem", key, self.members(key, values))

    def zremrangebyscore(self, key: str, low: Any, high: Any) -> int:
        span = _span(low, high)
        if span is None:
            return 0
        got = self.write(
            "zremrangebyscore", key, [mo.map_remove_by_value_range(_V, *span, RT_COUNT)]
        )
        return int(got[0]) if got else 0

    def zpop(self, key: str, count: int, highest: bool) -> list[tuple[Any, float]]:
        """Remove and return the ``count`` lowest (or highest) members, in pop order."""
        if count <= 0:
            return []
        rank = -count if highest else 0
        got = self.write("zpop", key, [mo.map_remove_by_rank_range(_V, rank, count, RT_KEY_VALUE)])
        pairs = self._scored(key, got[0] if got else None)
        return pairs[::-1] if highest else pairs

    def zrange(self, key: str, start: int, end: int, desc: bool = False) -> list[tuple[Any, float]]:
        """Members ``start``..``end`` (inclusive, negative from the end) by rank, with scores."""
        if desc:
            start, end = -(end + 1), -(start + 1)  # the same members, counted from the top
        same_sign = (start >= 0) == (end >= 0)
        if same_sign and end < start:
            return []
        count = end - start + 1 if same_sign else ALL
        ops = [mo.map_size(_V), mo.map_get_by_rank_range(_V, start, count, RT_KEY_VALUE)]
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
        got = self.read("zrangebyscore", key, [mo.map_get_by_value_range(_V, *span, RT_KEY_VALUE)])
        pairs = self._scored(key, got[0] if got else None)
        if desc:
            pairs.reverse()
        if start is not None and num is not None:
            pairs = pairs[start:] if num < 0 else pairs[start : start + num]
        return pairs

    def _scored(self, key: str, raw: Any) -> list[tuple[Any, float]]:
        """Decoded ``(member, score)`` pairs in Aerospike's rank order (score, then member)."""
        pairs = sorted(map_pairs(raw), key=_rank_order)
        return [(self.decode(key, m), float(s)) for m, s in pairs]


# -- helpers ----------------------------------------------------------------------------


def _counted(chosen: dict[Any, float], before: dict[Any, Any], nx: bool, xx: bool, ch: bool) -> int:
    """ZADD's answer: members added, plus (``ch``) members whose score changed."""
    added = 0 if xx else sum(1 for m in chosen if m not in before)
    changed = 0 if nx else sum(1 for m, s in chosen.items() if m in before and before[m] != s)
    return added + changed if ch else added


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
