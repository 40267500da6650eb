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


class OpError(Exception):
    """An op failed: the command answers ``result_code`` and changes nothing."""

    def __init__(self, result_code: int) -> None:
        super().__init__(result_code)
        self.result_code = result_code


class ExprError(ValueError):
    """A malformed expression: a real node answers 4 (parameter error)."""


def order_key(v: Any) -> tuple[Any, ...]:
    """A sort key in Aerospike's value order (msgpack_cmp): nil, false, true, integer,
    string, list, map, blob, float, GeoJSON, then the comparison-only infinity."""
    t = type(v)
    if t is int:
        return (3, v)
    if t is str:
        return (4, v.encode("utf-8", "surrogateescape"))
    if t is bool:
        return (2, v)
    if v is None:
        return (1, 0)
    if t is bytes:
        return (7, v)
    if t is float:
        return (8, v)
    if isinstance(v, list):
        return (5, tuple(order_key(x) for x in v))
    if isinstance(v, dict):  # stored maps are in key order
        items = sorted((order_key(k), order_key(x)) for k, x in v.items())
        return (6, len(v), tuple(items))
    if t is mp.Geo:
        return (9, v.encode("utf-8", "surrogateescape"))
    if t is mp.Ext:
        if v.type == mp.CMP_EXT_TYPE and v.data == b"\x01":
            return (12,)  # infinity: above every value
        return (10, v.type, v.data)
    return (11, repr(v))


def is_wildcard(v: Any) -> bool:
    """The comparison-only wildcard: equal to anything, and ends the comparison."""
    return type(v) is mp.Ext and v.type == mp.CMP_EXT_TYPE and v.data == b"\x00"


def has_wildcard(v: Any) -> bool:
    if is_wildcard(v):
        return True
    if isinstance(v, list):
        return any(has_wildcard(x) for x in v)
    if isinstance(v, dict):
        return any(has_wildcard(x) for x in v.values())
    return False


class UnorderedMapError(Exception):
    """A comparison reached a non-empty map that is not key-ordered."""


class _WildcardMet(Exception):
    pass


def msgpack_cmp(a: Any, b: Any, refuse_unordered: bool = False) -> int:
    """-1, 0 or 1, element by element as a real node compares (msgpack_cmp): a wildcard
    makes the rest equal; with ``refuse_unordered`` (expression compares, cmp_msgpack)
    reaching a non-empty map that is not key-ordered raises :class:`UnorderedMapError`."""
    try:
        return _walk(a, b, refuse_unordered)
    except _WildcardMet:
        return 0


def _walk(a: Any, b: Any, refuse_unordered: bool) -> int:
    if is_wildcard(a) or is_wildcard(b):
        raise _WildcardMet
    if refuse_unordered:
        for v in (a, b):
            if isinstance(v, dict) and v and not mp.map_flags(v) & 1:
                raise UnorderedMapError
    if isinstance(a, list) and isinstance(b, list):
        for x, y in zip(a, b, strict=False):
            c = _walk(x, y, refuse_unordered)
            if c:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return 1 if len(a) > len(b) else -1
        ia = sorted(a.items(), key=lambda kv: order_key(kv[0]))
        ib = sorted(b.items(), key=lambda kv: order_key(kv[0]))
        for (xk, xv), (yk, yv) in zip(ia, ib, strict=True):
            c = _walk(xk, yk, refuse_unordered) or _walk(xv, yv, refuse_unordered)
            if c:
                return c
        return 0
    oa, ob = order_key(a), order_key(b)
    return (oa > ob) - (oa < ob)
