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


#: Aerospike's cross-type order of values (msgpack_cmp)
_TYPE_ORDER = {type(None): 1, bool: 2, int: 3, str: 4, list: 5, dict: 6, bytes: 7, float: 8}


def order_key(v: Any) -> tuple[Any, ...]:
    """A sort key in Aerospike's value order: nil, bool, int, str, list, map, blob, float."""
    t = type(v)
    rank = 9 if t is mp.Geo else _TYPE_ORDER.get(t, 10)
    if t is list:
        return (rank, tuple(order_key(x) for x in v))
    if t is dict:
        items = sorted((order_key(k), order_key(x)) for k, x in v.items())
        return (rank, len(v), tuple(items))
    if t is str:
        return (rank, v.encode("utf-8", "surrogateescape"))
    if v is None:
        return (rank, 0)
    return (rank, v)
