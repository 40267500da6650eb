"""Map operations in ``operate`` (CDT ops 64..110 on a map bin), as a real node runs them.

One op is ``[op code, args...]``, or ``[0xff, [ctx type, ctx value, ...], [op code,
args...]]`` to reach a nested map. The semantics, result shapes and result codes
follow ``as/src/base/particle_map.c`` of aerospike-server 8.1 (function names in
the comments): a map is kept in key order (a real node sorts every map it is
given and inserts new keys in order, so even an unordered map stays key-sorted);
its flags (1 key-ordered, 3 key-value-ordered) live in a leading extension
element, stored like a real node stores them so that later reads and expression
compares see the same bytes. Result types: none, index, reverse index, rank,
reverse rank, count, key, value, key-value (a list of pairs on the client), the
index/rank ranges, exists, unordered map, ordered map; ``INVERTED`` selects the
complement. Errors: 4 parameter, 12 the bin is not a map, 23 element not found,
24 element exists, 26 op not applicable (index out of range, a result type the
selection does not support, a missing context).
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable
from typing import Any

from . import _expr
from . import _msgpack as mp
from . import _protocol as p
from ._protocol import (
    INVERTED,
    RT_COUNT,
    RT_EXISTS,
    RT_INDEX,
    RT_INDEX_RANGE,
    RT_KEY,
    RT_KEY_VALUE,
    RT_NONE,
    RT_ORDERED_MAP,
    RT_RANK,
    RT_RANK_RANGE,
    RT_REVINDEX,
    RT_REVINDEX_RANGE,
    RT_REVRANK,
    RT_REVRANK_RANGE,
    RT_UNORDERED_MAP,
    RT_VALUE,
    UnsupportedError,
)
from ._values import OpError, has_wildcard, msgpack_cmp, order_key

RC_ELEMENT_NOT_FOUND = 23
RC_ELEMENT_EXISTS = 24

_INDEX_RANGES = (RT_INDEX_RANGE, RT_REVINDEX_RANGE)
_RANK_RANGES = (RT_RANK_RANGE, RT_REVRANK_RANGE)
_ELEMENTS = (RT_KEY, RT_VALUE, RT_KEY_VALUE, RT_UNORDERED_MAP, RT_ORDERED_MAP)
_VALID_RT = frozenset((0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17))

#: map flags (AS_PACKED_MAP_FLAG_*)
K_ORDERED, KV_ORDERED, PRESERVE_ORDER, PERSIST_INDEX = 1, 3, 8, 0x10
#: map write flags (as_cdt_map_modify_flags)
NO_OVERWRITE, NO_CREATE, NO_FAIL, DO_PARTIAL = 1, 2, 4, 8

_CTX = 0xFF
_CTX_CREATE_MASK = 0x1C0
_UINT32_MAX = 0xFFFFFFFF


class _Empty:
    __slots__ = ()

    def __repr__(self) -> str:
        return "EMPTY"


#: an op that leaves its result bin empty (no bin in the answer)
EMPTY: Any = _Empty()
#: a range's end that is not given: up to the largest value (an explicit nil is the
#: smallest value, so a range that ends at nil is empty)
OPEN: Any = _Empty()


def _fail(rc: int = p.RC_OP_NOT_APPLICABLE) -> OpError:
    return OpError(rc)


class _Probe:
    """A search argument compared against stored values (wildcards allowed)."""

    __slots__ = ("key", "value", "wild")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.wild = has_wildcard(value)
        self.key = order_key(value)

    def cmp(self, stored: Any) -> int:
        """stored <=> probe."""
        if self.wild:
            return msgpack_cmp(stored, self.value)
        k = order_key(stored)
        return (k > self.key) - (k < self.key)


# -- the map being worked on ------------------------------------------------------


_UNREAD: Any = object()


class Map:
    """A map's entries in key order and its flags.

    Read from a bin, its values stay msgpack until an op looks at them, and the
    entries an op leaves alone are written back as the bytes they were.
    """

    __slots__ = ("_kraw", "_order", "_vals", "_vraw", "flags", "keys")

    def __init__(
        self,
        keys: list[Any],
        vals: list[Any],
        flags: int,
        kraw: list[bytes | None] | None = None,
        vraw: list[bytes | None] | None = None,
    ) -> None:
        self.keys = keys
        self._vals = vals
        self.flags = flags
        self._kraw: list[bytes | None] = kraw if kraw is not None else [None] * len(keys)
        self._vraw: list[bytes | None] = vraw if vraw is not None else [None] * len(keys)
        self._order: list[tuple[Any, ...]] | None = None

    @classmethod
    def of(cls, d: dict[Any, Any]) -> Map:
        items = sorted(d.items(), key=lambda kv: order_key(kv[0]))
        flags = mp.map_flags(d)
        return cls([k for k, _v in items], [v for _k, v in items], flags & ~PERSIST_INDEX)

    @classmethod
    def read(cls, raw: bytes) -> Map:
        """A stored map bin (kept in key order by every write)."""
        flags, keys, kraw, vraw, order = mp.split_map(raw)
        m = cls(keys, [_UNREAD] * len(keys), flags & ~PERSIST_INDEX, kraw, vraw)
        m._order = [rank or order_key(k) for rank, k in zip(order, keys, strict=True)]
        return m

    def to_dict(self) -> dict[Any, Any]:
        if self.flags:
            return mp.FlaggedMap(self.flags, zip(self.keys, self.vals, strict=True))
        return dict(zip(self.keys, self.vals, strict=True))

    def to_bytes(self) -> bytes:
        out = bytearray(mp.map_header(len(self.keys), self.flags))
        for i, key in enumerate(self.keys):
            kraw, vraw = self._kraw[i], self._vraw[i]
            out += kraw if kraw is not None else mp.pack(key)
            out += vraw if vraw is not None else mp.pack(self._vals[i])
        return bytes(out)

    def val(self, i: int) -> Any:
        v = self._vals[i]
        if v is _UNREAD:
            raw = self._vraw[i]
            assert raw is not None
            v = self._vals[i] = mp.unpack(raw, particles=True, keep_flags=True)
        return v

    @property
    def vals(self) -> list[Any]:
        """Every value (read from the stored bytes at the first look)."""
        for i in range(len(self._vals)):
            self.val(i)
        return self._vals

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def k_ordered(self) -> bool:
        return self.flags != 0

    def find(self, key: Any) -> tuple[int, bool]:
        """Where a key is (or would be inserted), and whether it is there."""
        kk = order_key(key)
        order = self._keyorder()
        i = bisect.bisect_left(order, kk)
        return i, i < len(order) and order[i] == kk

    def _keyorder(self) -> list[tuple[Any, ...]]:
        if self._order is None:
            self._order = [order_key(k) for k in self.keys]
        return self._order

    def rank_order(self) -> list[int]:
        """Indexes in value order, ties in key order (map_order_index_sort by value)."""
        vals = self.vals
        return sorted(range(len(vals)), key=lambda i: order_key(vals[i]))

    def ranks(self) -> dict[int, int]:
        return {idx: r for r, idx in enumerate(self.rank_order())}

    def put(self, i: int, found: bool, key: Any, value: Any) -> None:
        if found:
            self._vals[i] = value
            self._vraw[i] = None
        else:
            self.keys.insert(i, key)
            self._vals.insert(i, value)
            self._kraw.insert(i, None)
            self._vraw.insert(i, None)
            if self._order is not None:
                self._order.insert(i, order_key(key))

    def remove(self, idxs: list[int]) -> None:
        if not idxs:
            return
        gone = set(idxs)
        keep = [i for i in range(len(self.keys)) if i not in gone]
        self.keys = [self.keys[i] for i in keep]
        self._vals = [self._vals[i] for i in keep]
        self._kraw = [self._kraw[i] for i in keep]
        self._vraw = [self._vraw[i] for i in keep]
        self._order = None

    def clear(self) -> None:
        self.keys, self._vals, self._kraw, self._vraw, self._order = [], [], [], [], None


# -- results ----------------------------------------------------------------------


class _Res:
    """The op's return type (result_data_set)."""

    __slots__ = ("inverted", "multi", "type")

    def __init__(self, rtype: Any, multi: bool) -> None:
        if type(rtype) is not int or rtype < 0:
            raise _fail(p.RC_PARAMETER)
        self.type = rtype & 0xFFFF
        self.inverted = bool(rtype & INVERTED)
        self.multi = multi


def _rev(i: int, n: int, is_rev: bool) -> int:
    return n - i - 1 if is_rev else i


def _int_range(start: int, count: int, n: int, is_rev: bool) -> list[int]:
    """cdt_container_builder_add_int_range: a block of indexes or ranks; reversed, the
    block is mirrored but still ascending."""
    if is_rev:
        start = n - start - count
    return list(range(start, start + count))


def _blocks(idxs: list[int], n: int, is_rev: bool) -> list[int]:
    """Ascending indexes as their runs of consecutive ones, each an int range."""
    out: list[int] = []
    i = 0
    while i < len(idxs):
        j = i
        while j + 1 < len(idxs) and idxs[j + 1] == idxs[j] + 1:
            j += 1
        out += _int_range(idxs[i], j - i + 1, n, is_rev)
        i = j + 1
    return out


def _not_found(r: _Res, index: int) -> Any:
    """result_data_set_not_found."""
    t = r.type
    if t == RT_NONE:
        return EMPTY
    if t in _INDEX_RANGES or t in _RANK_RANGES:
        return [index, 0]
    if t in (RT_INDEX, RT_REVINDEX, RT_RANK, RT_REVRANK):
        return [] if r.multi else -1
    if t == RT_COUNT:
        return 0
    if t == RT_EXISTS:
        return False
    if t in (RT_KEY, RT_VALUE):
        return [] if r.multi else EMPTY
    if t in (RT_KEY_VALUE, RT_UNORDERED_MAP, RT_ORDERED_MAP):
        return _out_map(t, [], [])
    raise _fail()


def _key_not_found(r: _Res, index: int) -> Any:
    if r.type in _RANK_RANGES:
        raise _fail()
    return _not_found(r, index)


def _value_not_found(r: _Res, rank: int) -> Any:
    if r.type in _INDEX_RANGES:
        raise _fail()
    return _not_found(r, rank)


def _index_rank_count(r: _Res, start: int, count: int, n: int) -> Any:
    """result_data_set_index_rank_count: consecutive indexes or ranks."""
    t = r.type
    if t == RT_NONE:
        return EMPTY
    if t == RT_COUNT:
        return n - count if r.inverted else count
    if t == RT_EXISTS:
        return count == 0 if r.inverted else count != 0
    if t in (RT_INDEX, RT_REVINDEX, RT_RANK, RT_REVRANK):
        is_rev = t in (RT_REVINDEX, RT_REVRANK)
        if not r.multi:
            return -1 if count == 0 else _rev(start, n, is_rev)
        if r.inverted:
            return _int_range(0, start, n, is_rev) + _int_range(
                start + count, n - start - count, n, is_rev
            )
        return _int_range(start, count, n, is_rev)
    raise _fail()


def _set_range(r: _Res, start: int, count: int, n: int) -> Any:
    """result_data_set_range."""
    t = r.type
    if t in _INDEX_RANGES or t in _RANK_RANGES:
        if t in (RT_REVINDEX_RANGE, RT_REVRANK_RANGE):
            start = n - start - count
        if r.inverted:
            raise _fail()
        return [start, count]
    return _index_rank_count(r, start, count, n)


def _out_map(t: int, keys: list[Any], vals: list[Any]) -> Any:
    pairs = zip(keys, vals, strict=True)
    if t == RT_KEY_VALUE:
        return mp.FlaggedMap(PRESERVE_ORDER, pairs)
    if t == RT_ORDERED_MAP:
        items = sorted(pairs, key=lambda kv: order_key(kv[0]))
        return mp.FlaggedMap(K_ORDERED, items)
    return dict(pairs)


def _elements(m: Map, idxs: list[int], r: _Res) -> Any:
    """Keys, values or a map of the given entries, in the given order."""
    t = r.type
    if t in (RT_KEY_VALUE, RT_UNORDERED_MAP, RT_ORDERED_MAP):
        return _out_map(t, [m.keys[i] for i in idxs], [m.val(i) for i in idxs])
    get = m.keys.__getitem__ if t == RT_KEY else m.val
    if r.multi:
        return [get(i) for i in idxs]
    return get(idxs[0]) if idxs else EMPTY


def _indexes(m: Map, idxs: list[int], r: _Res) -> Any:
    n = len(m)
    is_rev = r.type == RT_REVINDEX
    if not idxs:
        return _not_found(r, -1)
    if not r.multi:
        return _rev(idxs[0], n, is_rev)
    return [_rev(i, n, is_rev) for i in idxs]


def _ranks(m: Map, idxs: list[int], r: _Res) -> Any:
    n = len(m)
    is_rev = r.type == RT_REVRANK
    rank_of = m.ranks()
    if not r.multi:
        return _rev(rank_of[idxs[0]], n, is_rev)
    return [_rev(rank_of[i], n, is_rev) for i in idxs]


def _complement(idxs: list[int], n: int) -> list[int]:
    gone = set(idxs)
    return [i for i in range(n) if i not in gone]


# -- selections (packed_map_get_remove_*) -----------------------------------------


class _Op:
    """One op's state: the map, the return type, and whether it changes the map."""

    __slots__ = ("m", "modify", "r")

    def __init__(self, m: Map, r: _Res, modify: bool) -> None:
        self.m = m
        self.r = r
        self.modify = modify

    def remove(self, idxs: list[int]) -> None:
        if self.modify:
            self.m.remove(idxs)


def _calc_index_count(index: int, count: int, n: int, multi: bool) -> tuple[int, int]:
    """calc_index_count: an absolute (index, count) bounded by n; 26 when a single
    index is out of range."""
    if not multi:
        if index >= n or (index := index + n if index < 0 else index) < 0:
            raise _fail()
        return index, min(count, n - index)
    if index >= n:
        return n, 0
    if index < 0:
        index += n
        if index < 0:
            return 0, min(max(0, count + index), n) if -index < count else 0
    return index, min(count, n - index)


def _span(
    o: _Op, start: int, count: int, bad: tuple[int, int], can_trim: bool
) -> tuple[int, int, bool]:
    """An index or rank range made absolute, refused for the other kind's range
    result types, with an inverted range reduced."""
    n = len(o.m)
    begin, cnt = _calc_index_count(start, count, n, o.r.multi)
    if o.r.type in bad:
        raise _fail()
    return _reduce_inverted(o.r, begin, cnt, n, can_trim)


def _reduce_inverted(
    r: _Res, start: int, cnt: int, n: int, can_trim: bool
) -> tuple[int, int, bool]:
    """An inverted range as the plain range it leaves (all, the tail or the head);
    a middle range stays inverted, or is a trim of a key-ordered map."""
    if not r.inverted:
        return start, cnt, False
    if not r.multi:
        raise _fail()
    r.inverted = False
    if cnt == 0:
        return 0, n, False
    if start == 0:
        return cnt, n - cnt, False
    if start + cnt >= n:
        return 0, start, False
    if can_trim:
        return start, cnt, True
    r.inverted = True
    return start, cnt, False


def _get_remove_all(o: _Op) -> Any:
    """packed_map_get_remove_all."""
    m, r = o.m, o.r
    n = len(m)
    every = list(range(n))
    t = r.type
    if t in _ELEMENTS:
        out = _elements(m, every, r)
    elif t in (RT_INDEX, RT_REVINDEX, RT_RANK, RT_REVRANK):
        is_rev = t in (RT_REVINDEX, RT_REVRANK)
        out = _int_range(0, n, n, is_rev) if r.multi else 0
    elif t == RT_COUNT:
        out = n
    elif t == RT_EXISTS:
        out = n != 0
    elif t in _INDEX_RANGES or t in _RANK_RANGES:
        out = [0, n]
    else:
        out = EMPTY
    if o.modify:
        m.clear()
    return out


def _by_index_range(o: _Op, index: int, count: int) -> Any:
    """packed_map_get_remove_by_index_range."""
    m, r = o.m, o.r
    n = len(m)
    uindex, cnt, trim = _span(o, index, count, _RANK_RANGES, m.k_ordered)
    if cnt == 0:
        return _key_not_found(r, uindex)
    if cnt == n and not trim:
        return _get_remove_all(o)
    chosen = list(range(uindex, uindex + cnt))
    if trim:  # packed_map_trim_ordered: the complement, in index order
        rest = _complement(chosen, n)
        t = r.type
        r.inverted = True
        if t == RT_COUNT:
            out: Any = len(rest)
        elif t == RT_EXISTS:
            out = bool(rest)
        elif t in (RT_INDEX, RT_REVINDEX):
            out = _blocks(rest, n, t == RT_REVINDEX)
        elif t in (RT_RANK, RT_REVRANK):
            out = _ranks(m, rest, r)
        elif t in _ELEMENTS:
            out = _elements(m, rest, r)
        elif t == RT_NONE:
            out = EMPTY
        else:
            raise _fail()
        o.remove(rest)
        return out
    return _finish(o, chosen, uindex, cnt, RT_RANK)


def _finish(o: _Op, chosen: list[int], start: int, count: int, per_entry: int) -> Any:
    """The result of a selection (its complement when inverted), then the removal:
    entries, per-entry indexes or ranks (``per_entry``), else the range's numbers."""
    m, r = o.m, o.r
    picked = _complement(chosen, len(m)) if r.inverted else chosen
    t = r.type
    if t in _ELEMENTS:
        out = _elements(m, picked, r)
    elif per_entry == RT_RANK and t in (RT_RANK, RT_REVRANK):
        out = _ranks(m, picked, r)
    elif per_entry == RT_INDEX and t in (RT_INDEX, RT_REVINDEX):
        out = _indexes(m, picked, r)
    else:
        out = _set_range(r, start, count, len(m))
    o.remove(picked)
    return out


def _key_span(m: Map, start: Any, end: Any, single: bool) -> tuple[int, int]:
    """The index range of keys in [start, end) (end None: to the last key)."""
    i, found = m.find(start)
    if single:
        return i, 1 if found else 0
    if end is OPEN:
        return i, len(m) - i
    j, _f = m.find(end)
    return i, max(0, j - i)


def _by_key_interval(o: _Op, start: Any, end: Any, single: bool) -> Any:
    """packed_map_get_remove_by_key_interval (single: start == end, one key)."""
    m, r = o.m, o.r
    if r.type in _RANK_RANGES:
        raise _fail()
    index, count = _key_span(m, start, end, single)
    if m.k_ordered:
        if count == 0 and not r.multi:
            return _key_not_found(r, -1)
        return _by_index_range(o, index, count)
    if r.inverted and not r.multi:
        raise _fail()
    if single:
        if count == 0:
            return _key_not_found(r, -1)
        out = _result_by_key(m, r, index, 1)
        o.remove([index])
        return out
    return _finish(o, list(range(index, index + count)), index, count, RT_RANK)


def _result_by_key(m: Map, r: _Res, idx: int, count: int) -> Any:
    """packed_map_build_result_by_key."""
    n = len(m)
    t = r.type
    if t == RT_NONE:
        return EMPTY
    if t in _INDEX_RANGES:
        return [n - idx - count if t == RT_REVINDEX_RANGE else idx, count]
    if t in (RT_INDEX, RT_REVINDEX):
        return n - idx - count if t == RT_REVINDEX else idx
    if t in (RT_RANK, RT_REVRANK):
        return _ranks(m, [idx], r)
    if t == RT_COUNT:
        return count
    if t == RT_EXISTS:
        return count != 0
    if t in _ELEMENTS:
        return _elements(m, [idx], r)
    raise _fail()


def _by_value_interval(o: _Op, start: Any, end: Any, single: bool) -> Any:
    """packed_map_get_remove_by_value_interval (single: all entries equal to start)."""
    m, r = o.m, o.r
    n = len(m)
    if r.type in _INDEX_RANGES:
        raise _fail()
    if r.inverted and not r.multi:
        raise _fail()
    if n == 0:
        return _value_not_found(r, -1)
    lo = _Probe(start)
    hi = None if single or end is OPEN else _Probe(end)
    rank = 0
    chosen: list[int] = []
    for i, v in enumerate(m.vals):
        c = lo.cmp(v)
        if c < 0:
            rank += 1
        elif single:
            if c == 0:
                chosen.append(i)
        elif hi is None or hi.cmp(v) < 0:
            chosen.append(i)
    if not chosen:
        if r.inverted:
            r.inverted = False
            return _get_remove_all(o)
        return _value_not_found(r, rank)
    if not r.multi:
        chosen = chosen[:1]
    return _finish(o, chosen, rank, len(chosen), RT_INDEX)


def _by_rank_range(o: _Op, rank: int, count: int) -> Any:
    """packed_map_get_remove_by_rank_range."""
    m, r = o.m, o.r
    n = len(m)
    urank, cnt, _trim = _span(o, rank, count, _INDEX_RANGES, False)
    if cnt == 0:
        return _value_not_found(r, urank)
    ranked = m.rank_order()[urank : urank + cnt]
    inverted = r.inverted
    picked = _complement(ranked, n) if inverted else ranked
    by_mask = inverted or r.type == RT_ORDERED_MAP
    t = r.type
    if t in (RT_NONE, RT_COUNT, RT_EXISTS, RT_RANK, RT_REVRANK):
        out = _index_rank_count(r, urank, cnt, n)
    elif t in (RT_INDEX, RT_REVINDEX):
        out = _indexes(m, sorted(picked) if inverted else picked, r)
    elif t in _ELEMENTS:
        out = _elements(m, sorted(picked) if by_mask else picked, r)
    elif t in _RANK_RANGES:
        out = _set_range(r, urank, len(picked), n)
    else:
        raise _fail()
    o.remove(picked)
    return out


def _empty_list(o: _Op, bad_rank: bool) -> Any:
    """A key or value list with no items: nothing, or everything when inverted."""
    r = o.r
    if bad_rank or r.type in _INDEX_RANGES or r.type in _RANK_RANGES:
        raise _fail()
    if not r.inverted:
        return _not_found(r, 0)
    r.inverted = False
    return _get_remove_all(o)


def _by_list(o: _Op, items: Any, by_key: bool) -> Any:
    """packed_map_get_remove_all_by_key_list / _by_value_list: the entries whose key
    (value) is one of the items. Key lists answer indexes in the items' order and
    no ranks; value lists answer ranks."""
    m, r = o.m, o.r
    if not isinstance(items, list):
        raise _fail(p.RC_PARAMETER)
    t = r.type
    if not items:
        return _empty_list(o, by_key and t in (RT_RANK, RT_REVRANK))
    n = len(m)
    in_list: list[int] = []
    if by_key:
        for k in items:
            i, found = m.find(k)
            if found and i not in in_list:
                in_list.append(i)
    else:
        probes = [_Probe(v) for v in items]
        in_list = [i for i, v in enumerate(m.vals) if any(pr.cmp(v) == 0 for pr in probes)]
    mask = sorted(in_list)
    picked = _complement(mask, n) if r.inverted else mask
    if t == RT_NONE:
        out: Any = EMPTY
    elif t in (RT_INDEX, RT_REVINDEX):
        is_rev = t == RT_REVINDEX
        if not r.inverted:
            out = [_rev(i, n, is_rev) for i in in_list]
        elif m.k_ordered or not by_key:  # by mask: each index on its own
            out = [_rev(i, n, is_rev) for i in picked]
        else:
            out = _blocks(picked, n, is_rev)
    elif t in (RT_RANK, RT_REVRANK) and not by_key:
        out = _value_list_ranks(m, items, r)
    elif t == RT_COUNT:
        out = len(picked)
    elif t == RT_EXISTS:
        out = bool(picked)
    elif t in _ELEMENTS:
        out = _elements(m, picked, r)
    else:
        raise _fail()
    o.remove(picked)
    return out


def _value_list_ranks(m: Map, items: list[Any], r: _Res) -> list[int]:
    """result_data_set_by_itemlist_irc: the ranks of each item's entries in the items'
    order; inverted, the ranks between them (in value order) as int ranges."""
    n = len(m)
    is_rev = r.type == RT_REVRANK
    spans = []
    for item in items:
        probe = _Probe(item)
        signs = [probe.cmp(v) for v in m.vals]
        spans.append((signs.count(-1), signs.count(0)))
    if not r.inverted:
        return [
            _rev(rank, n, is_rev) for start, count in spans for rank in range(start, start + count)
        ]
    out: list[int] = []
    prev = 0
    for start, count in sorted(spans):
        if count:
            out += _int_range(prev, start - prev, n, is_rev)
            prev = start + count
    return out + _int_range(prev, n - prev, n, is_rev)


def _rel(start: int, offset: int, count: int) -> tuple[int, int]:
    """calc_rel_index_count."""
    index = offset + start
    if index < 0:
        count = count + index if count > -index else 0
        index = 0
    return index, count


def _by_key_rel_index(o: _Op, key: Any, offset: int, count: int) -> Any:
    start, _found = o.m.find(key)
    index, cnt = _rel(start, offset, count)
    return _by_index_range(o, index, cnt)


def _by_value_rel_rank(o: _Op, value: Any, offset: int, count: int) -> Any:
    probe = _Probe(value)
    start = sum(1 for v in o.m.vals if probe.cmp(v) < 0)
    rank, cnt = _rel(start, offset, count)
    return _by_rank_range(o, rank, cnt)


# -- writes (map_add, map_add_items, map_increment) ------------------------------


def _check_key(key: Any) -> None:
    """map_is_key: an integer, a string or a blob."""
    t = type(key)
    if t is bool or not (t is int or t is str or t is bytes):
        raise _fail(p.RC_PARAMETER)


def _add(m: Map, key: Any, value: Any, overwrite: bool, create: bool, no_fail: bool) -> int:
    _check_key(key)
    i, found = m.find(key)
    if (found and not overwrite) or (not found and not create):
        if no_fail:
            return len(m)
        raise _fail(RC_ELEMENT_EXISTS if found else RC_ELEMENT_NOT_FOUND)
    m.put(i, found, key, normalize(value))
    return len(m)


def _add_items(
    m: Map, items: Any, overwrite: bool, create: bool, no_fail: bool, partial: bool
) -> int:
    if not isinstance(items, dict):
        raise _fail(p.RC_PARAMETER)
    staged: list[tuple[int, bool, Any, Any]] = []
    for key, value in sorted(items.items(), key=lambda kv: order_key(kv[0])):
        _check_key(key)
        i, found = m.find(key)
        if (found and not overwrite) or (not found and not create):
            if no_fail:
                if partial:
                    continue
                return len(m)
            raise _fail(RC_ELEMENT_EXISTS if found else RC_ELEMENT_NOT_FOUND)
        staged.append((i, found, key, value))
    for _i, _found, key, value in staged:
        i, found = m.find(key)
        m.put(i, found, key, normalize(value))
    return len(m)


def _increment(m: Map, key: Any, delta: Any, decrement: bool) -> Any:
    """map_increment: an absent key starts at 0; int + float stays int (cdt_calc_delta)."""
    _check_key(key)
    if delta is None:
        delta = 1
    elif type(delta) not in (int, float):
        raise _fail(p.RC_PARAMETER)
    if decrement:
        delta = -delta
    i, found = m.find(key)
    if found:
        cur = m.val(i)
        if type(cur) is int:
            total: Any = _wrap(cur + (int(delta) if type(delta) is float else delta))
        elif type(cur) is float:
            total = cur + float(delta)
        else:
            raise _fail(p.RC_PARAMETER)
    else:
        total = delta
    m.put(i, found, key, total)
    return total


def _wrap(n: int) -> int:
    return (n + (1 << 63)) % (1 << 64) - (1 << 63)


def normalize(v: Any) -> Any:
    """A value as a real node stores it: every map (nested too) in key order, with
    valid keys only (cdt_untrusted_rewrite)."""
    if isinstance(v, dict):
        for k in v:
            _check_key(k)
        items = sorted(((k, normalize(x)) for k, x in v.items()), key=lambda kv: order_key(kv[0]))
        flags = mp.map_flags(v) & ~PERSIST_INDEX
        return mp.FlaggedMap(flags, items) if flags else dict(items)
    if isinstance(v, list):
        if any(isinstance(x, (list, dict)) for x in v):
            out = [normalize(x) for x in v]
            return mp.FlaggedList(v.flags, out) if type(v) is mp.FlaggedList else out
        return v
    if type(v) is mp.Ext:
        raise _fail(p.RC_PARAMETER)  # wildcards and infinity are not storable
    return v


# -- the op table ----------------------------------------------------------------


def _uint(v: Any) -> int:
    if type(v) is not int or v < 0:
        raise _fail(p.RC_PARAMETER)
    return v


def _int(v: Any) -> int:
    if type(v) is not int:
        raise _fail(p.RC_PARAMETER)
    return v


Handler = Callable[[Map, list[Any], bool], Any]
#: op code -> (required args, optional args, is a modify op, handler)
_TABLE: dict[int, tuple[int, int, bool, Handler]] = {}


def _op(code: int, required: int, optional: int, modify: bool) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _TABLE[code] = (required, optional, modify, fn)
        return fn

    return register


def _select(code: int, get_code: int, multi: bool, run: Callable[[_Op, list[Any]], Any]) -> None:
    """A remove op and its get twin: same selection, one changes the map."""
    n_args = _SELECT_ARGS[code]

    def make(modify: bool) -> Handler:
        def handler(m: Map, args: list[Any], _top: bool) -> Any:
            r = _Res(args[0], multi)
            if r.type not in _VALID_RT:
                raise _fail()
            return run(_Op(m, r, modify), args[1:])

        return handler

    _TABLE[code] = (n_args[0], n_args[1], True, make(True))
    _TABLE[get_code] = (n_args[0], n_args[1], False, make(False))


#: remove op code -> (required args, optional args)
_SELECT_ARGS = {
    76: (2, 0),
    77: (2, 0),
    78: (2, 0),
    79: (2, 0),
    81: (2, 0),
    82: (2, 0),
    83: (2, 0),
    84: (2, 1),
    85: (2, 1),
    86: (2, 1),
    87: (2, 1),
    88: (3, 1),
    89: (3, 1),
}


def _count_arg(a: list[Any], i: int) -> int:
    return _uint(a[i]) if len(a) > i else _UINT32_MAX


_select(76, 97, False, lambda o, a: _by_key_interval(o, a[0], OPEN, True))
_select(77, 98, False, lambda o, a: _by_index_range(o, _int(a[0]), 1))
_select(78, 99, False, lambda o, a: _by_value_interval(o, a[0], OPEN, True))
_select(79, 100, False, lambda o, a: _by_rank_range(o, _int(a[0]), 1))
_select(81, 107, True, lambda o, a: _by_list(o, a[0], True))
_select(82, 102, True, lambda o, a: _by_value_interval(o, a[0], OPEN, True))
_select(83, 108, True, lambda o, a: _by_list(o, a[0], False))
_select(84, 103, True, lambda o, a: _by_key_interval(o, a[0], a[1] if len(a) > 1 else OPEN, False))
_select(85, 104, True, lambda o, a: _by_index_range(o, _int(a[0]), _count_arg(a, 1)))
_select(
    86, 105, True, lambda o, a: _by_value_interval(o, a[0], a[1] if len(a) > 1 else OPEN, False)
)
_select(87, 106, True, lambda o, a: _by_rank_range(o, _int(a[0]), _count_arg(a, 1)))
_select(88, 109, True, lambda o, a: _by_key_rel_index(o, a[0], _int(a[1]), _count_arg(a, 2)))
_select(89, 110, True, lambda o, a: _by_value_rel_rank(o, a[0], _int(a[1]), _count_arg(a, 2)))


@_op(96, 0, 0, False)
def _size(m: Map, _a: list[Any], _top: bool) -> Any:
    return len(m)


@_op(75, 0, 0, True)
def _clear(m: Map, _a: list[Any], _top: bool) -> Any:
    m.clear()
    return EMPTY


@_op(64, 1, 0, True)
def _set_type(m: Map, a: list[Any], top: bool) -> Any:
    flags = _uint(a[0])
    if flags & ~(KV_ORDERED | PERSIST_INDEX):
        raise _fail()
    m.flags = flags & KV_ORDERED
    return EMPTY


def _write_flags(a: list[Any], at: int) -> int:
    return _uint(a[at]) if len(a) > at else 0


def _putter(items: bool, fixed: tuple[bool, bool] | None, flags_at: int) -> Handler:
    """map_add / map_add_items with the control of one op code: put takes its write
    flags from the args, add (create only) and replace (update only) are fixed."""

    def handler(m: Map, a: list[Any], _top: bool) -> Any:
        no_fail = partial = False
        if fixed is None:
            w = _write_flags(a, flags_at)
            overwrite, create = not w & NO_OVERWRITE, not w & NO_CREATE
            no_fail, partial = bool(w & NO_FAIL), bool(w & DO_PARTIAL)
        else:
            overwrite, create = fixed
        if items:
            return _add_items(m, a[0], overwrite, create, no_fail, partial)
        return _add(m, a[0], a[1], overwrite, create, no_fail)

    return handler


def _incrementer(decrement: bool) -> Handler:
    return lambda m, a, _top: _increment(m, a[0], a[1] if len(a) > 1 else None, decrement)


_TABLE.update(
    {
        65: (2, 1, True, _putter(False, (False, True), 0)),  # add
        66: (1, 1, True, _putter(True, (False, True), 0)),  # add items
        67: (2, 2, True, _putter(False, None, 3)),  # put
        68: (1, 2, True, _putter(True, None, 2)),  # put items
        69: (2, 0, True, _putter(False, (True, False), 0)),  # replace
        70: (1, 0, True, _putter(True, (True, False), 0)),  # replace items
        73: (1, 2, True, _incrementer(False)),
        74: (1, 2, True, _incrementer(True)),
    }
)


#: ops that create a missing bin (or context), and the arg that holds their map flags
_CREATE_FLAGS_AT = {64: 0, 65: 2, 66: 1, 67: 2, 68: 1, 69: -1, 73: 2, 74: 2}
#: ops that change nothing on a missing bin (return no result)
_NOOP_WHEN_MISSING = frozenset({75, 76, 77, 78, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 70})


@functools.lru_cache(maxsize=512)
def _parse(data: bytes) -> tuple[int, tuple[Any, ...], tuple[tuple[int, Any], ...]]:
    try:
        parts = mp.unpack(data, particles=True, keep_flags=True)
    except mp.MsgpackError:
        raise _fail(p.RC_PARAMETER) from None
    ctx: list[tuple[int, Any]] = []
    if isinstance(parts, list) and len(parts) == 3 and parts[0] == _CTX:
        raw_ctx = parts[1]
        if not isinstance(raw_ctx, list) or not raw_ctx or len(raw_ctx) % 2:
            raise _fail(p.RC_PARAMETER)
        ctx = [(t, v) for t, v in zip(raw_ctx[0::2], raw_ctx[1::2], strict=True)]
        parts = parts[2]
    if not isinstance(parts, list) or not parts or type(parts[0]) is not int:
        raise _fail(p.RC_PARAMETER)
    return parts[0], tuple(parts[1:]), tuple(ctx)


def run(bins: dict[bytes, tuple[int, bytes]], name: bytes, data: bytes, modify: bool) -> Any:
    """One map op on ``bins[name]``: its result (or EMPTY); raises :class:`OpError`.

    ``modify`` is the wire op (CDT modify vs read): a read op code in a modify op
    works, a modify op code in a read op answers 4 as a real node does.
    """
    code, args, ctx = _parse(data)
    if code < 64:
        raise UnsupportedError("CDT list op")
    spec = _TABLE.get(code)
    if spec is None:
        raise _fail(p.RC_PARAMETER)
    required, optional, changes, handler = spec
    if changes and not modify:
        raise _fail(p.RC_PARAMETER)
    if not required <= len(args) <= required + optional:
        raise _fail(p.RC_PARAMETER)
    arglist = list(args)
    cur = bins.get(name)
    if cur is not None and cur[0] != p.PT_MAP and not ctx:
        raise _fail(p.RC_INCOMPATIBLE_TYPE)
    if cur is None:
        if not changes:
            return EMPTY
        if ctx:
            top: Any = None
        elif code in _NOOP_WHEN_MISSING:
            return EMPTY
        else:
            top = mp.FlaggedMap(_create_flags(code, arglist))
    elif ctx:
        if cur[0] != p.PT_MAP and cur[0] != p.PT_LIST:
            raise _fail(p.RC_PARAMETER)
        top = mp.unpack(cur[1], particles=True, keep_flags=True)
    if ctx:
        return _run_ctx(bins, name, top, code, arglist, ctx, changes, handler)
    m = Map.read(cur[1]) if cur is not None else Map.of(top)
    out = handler(m, arglist, True)
    if changes:
        bins[name] = (p.PT_MAP, m.to_bytes())
    return out


def _create_flags(code: int, args: list[Any]) -> int:
    at = _CREATE_FLAGS_AT.get(code, -1)
    if at < 0 or len(args) <= at:
        return 0
    flags = args[at]
    if type(flags) is not int or flags & ~(KV_ORDERED | PERSIST_INDEX):
        return 0  # cdt_context_use_static_map_if_notinuse: invalid flags make it unordered
    return flags & KV_ORDERED


def _run_ctx(
    bins: dict[bytes, tuple[int, bytes]],
    name: bytes,
    top: Any,
    code: int,
    args: list[Any],
    ctx: tuple[tuple[int, Any], ...],
    changes: bool,
    handler: Handler,
) -> Any:
    """An op on a nested map (cdt_context_dig): descend, run, write the path back."""
    path: list[tuple[Any, Any]] = []  # (container, slot) to write the new child back
    node = top
    for ctx_type, value in ctx:
        if type(ctx_type) is not int:
            raise _fail(p.RC_PARAMETER)
        base, kind, create = ctx_type & 0x0F, ctx_type & 0x30, ctx_type & _CTX_CREATE_MASK
        if base > 3:
            raise _fail()
        if node is None:  # a missing bin (or a created level): only creating goes on
            if not changes or not create & ~0x100:
                raise _fail()
            node = _new_container(kind, create)
            if not path:
                top = node
            else:
                _store(path[-1], node)
        if isinstance(node, dict):
            if kind == 0x10:
                raise _fail()
            slot, child = _map_slot(node, base, value, create and changes)
        elif isinstance(node, list):
            if kind == 0x20:
                raise _fail()
            slot, child = _list_slot(node, base, value)
        else:
            raise _fail()
        if slot is None:
            raise _fail()
        path.append((node, slot))
        node = child
    if node is None:
        if not changes:
            raise _fail()
        if code in _NOOP_WHEN_MISSING:
            return EMPTY
        node = mp.FlaggedMap(_create_flags(code, args))
    elif not isinstance(node, dict):
        raise _fail(p.RC_INCOMPATIBLE_TYPE)
    m = Map.of(node)
    out = handler(m, args, False)
    if changes:
        _store(path[-1], m.to_dict())
        bins[name] = (p.PT_LIST if isinstance(top, list) else p.PT_MAP, mp.pack(top))
    return out


def _new_container(kind: int, create: int) -> Any:
    order = create & 0xC0
    if kind == 0x10:  # a list
        return mp.FlaggedList(1) if order == 0xC0 else []
    flags = {0x80: K_ORDERED, 0xC0: KV_ORDERED}.get(order, 0)
    return mp.FlaggedMap(flags) if flags else {}


def _store(at: tuple[Any, Any], child: Any) -> None:
    container, slot = at
    if isinstance(container, dict):
        if slot not in container:
            # a created key goes in key order (the parent map stays sorted)
            items = sorted([*container.items(), (slot, child)], key=lambda kv: order_key(kv[0]))
            container.clear()
            container.update(items)
        else:
            container[slot] = child
    else:
        container[slot] = child


def _map_slot(node: dict[Any, Any], base: int, value: Any, create: int | bool) -> tuple[Any, Any]:
    m = Map.of(node)
    n = len(m)
    if base == 2:  # by key
        i, found = m.find(value)
        if found:
            return m.keys[i], m.vals[i]
        if create:
            _check_key(value)
            return value, None
        return None, None
    if base == 0:  # by index
        if type(value) is not int or not -n <= value < n:
            return None, None
        i = value + n if value < 0 else value
        return m.keys[i], m.vals[i]
    if base == 1:  # by rank
        if type(value) is not int or not -n <= value < n:
            return None, None
        i = m.rank_order()[value + n if value < 0 else value]
        return m.keys[i], m.vals[i]
    probe = _Probe(value)  # by value: the first entry (in key order) with that value
    for k, v in zip(m.keys, m.vals, strict=True):
        if probe.cmp(v) == 0:
            return k, v
    return None, None


def _list_slot(node: list[Any], base: int, value: Any) -> tuple[Any, Any]:
    n = len(node)
    if base == 0:
        if type(value) is not int or not -n <= value < n:
            return None, None
        i = value + n if value < 0 else value
        return i, node[i]
    if base == 1:
        if type(value) is not int or not -n <= value < n:
            return None, None
        order = sorted(range(n), key=lambda j: order_key(node[j]))
        i = order[value + n if value < 0 else value]
        return i, node[i]
    if base == 3:
        probe = _Probe(value)
        for i, v in enumerate(node):
            if probe.cmp(v) == 0:
                return i, v
    return None, None


def normalize_bin(raw: bytes) -> bytes:
    """A map bin written whole (a put), stored as a real node stores it: keys sorted,
    nested maps too (cdt_untrusted_rewrite). Unchanged bytes when already so."""
    try:
        value = mp.unpack(raw, particles=True, keep_flags=True)
    except mp.MsgpackError:
        raise _fail(p.RC_PARAMETER) from None
    if not isinstance(value, dict):
        raise _fail(p.RC_PARAMETER)
    fixed = normalize(value)
    return raw if _same_layout(fixed, value) else mp.pack(fixed)


def _same_layout(a: Any, b: Any) -> bool:
    """Equal with maps' key order and flags at every depth (``==`` on dicts ignores both)."""
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and len(a) == len(b)
            and mp.map_flags(a) == mp.map_flags(b)
            and all(
                ka == kb and _same_layout(va, vb)
                for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
            )
        )
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(_same_layout(x, y) for x, y in zip(a, b, strict=True))
        )
    return bool(a == b)


def to_particle(value: Any) -> tuple[int, bytes] | None:
    """An op's result as a response bin's particle (None: an empty bin)."""
    if value is EMPTY:
        return None
    if isinstance(value, (list, dict)):  # with their flags (an ordered map result)
        return (p.PT_LIST if isinstance(value, list) else p.PT_MAP), mp.pack(value)
    return _expr.to_particle(value)
