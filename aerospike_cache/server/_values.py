"""Values of the expression evaluator: the unknown trilean, errors, and value order."""

from __future__ import annotations

from typing import Any

from . import _msgpack as mp


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


#: the "unknown" trilean: what a missing bin or a type mismatch evaluates to
UNKNOWN: Any = _Unknown()


class ExprError(ValueError):
    """A malformed expression: a real node answers 4 (parameter error)."""


#: Aerospike's cross-type order of values (msgpack_cmp)
_TYPE_ORDER = {
    type(None): 1,
    bool: 2,
    int: 3,
    str: 4,
    list: 5,
    dict: 6,
    mp.KeyOrderedMap: 6,
    bytes: 7,
    float: 8,
}
#: the types of a map value (flagged key-ordered or not)
MAPS = (dict, mp.KeyOrderedMap)


def order_key(v: Any) -> tuple[Any, ...]:
    """A sort key in Aerospike's value order: nil, bool, int, str, list, map, blob, float."""
    t = type(v)
    rank = 9 if t is mp.Geo else _TYPE_ORDER.get(t, 10)
    if t is list:
        return (rank, tuple(order_key(x) for x in v))
    if t is dict or t is mp.KeyOrderedMap:
        items = sorted((order_key(k), order_key(x)) for k, x in v.items())
        return (rank, len(v), tuple(items))
    if t is str:
        return (rank, v.encode("utf-8", "surrogateescape"))
    if v is None:
        return (rank, 0)
    return (rank, v)


def compare(a: Any, b: Any) -> Any:
    """-1, 0 or 1 in Aerospike's value order; ``UNKNOWN`` if the walk reaches an unordered map.

    As ``msgpack_cmp`` walks two values (``cf/src/msgpack_in.c``), each
    non-empty map it reaches without the key-ordered flag marks its side as
    holding an unordered map, and ``cmp_msgpack`` (``as/src/base/exp.c``)
    answers such a comparison unknown. A map a client writes from a plain dict
    is unordered: ``Eq(MapBin("m"), {"a": 1})`` filters out on a real node.
    The walk stops at the first difference, so a map past it does not count.
    """
    if _unordered(a) or _unordered(b):
        return UNKNOWN
    ta, tb = type(a), type(b)
    if ta is list and tb is list:
        for x, y in zip(a, b, strict=False):  # the shorter list's length
            c = compare(x, y)
            if c is UNKNOWN or c:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    if ta in MAPS and tb in MAPS:
        if len(a) != len(b):
            return (len(a) > len(b)) - (len(a) < len(b))
        for (ka, va), (kb, vb) in zip(_by_key(a), _by_key(b), strict=True):
            c = compare(ka, kb)
            if c is UNKNOWN or c:
                return c
            c = compare(va, vb)
            if c is UNKNOWN or c:
                return c
        return 0
    x, y = order_key(a), order_key(b)
    return (x > y) - (x < y)


def _unordered(v: Any) -> bool:
    return type(v) is dict and len(v) > 0  # an empty map carries no flags and counts as ordered


def _by_key(m: dict[Any, Any]) -> list[tuple[Any, Any]]:
    """A key-ordered map's entries as stored: in key order."""
    return sorted(m.items(), key=lambda kv: order_key(kv[0]))
