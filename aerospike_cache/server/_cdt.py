"""List and map reads inside expressions (``ListGetByValue``, ``MapSize``, ...).

An expression ``call`` node carries one CDT op, ``[op code, return type,
args...]`` (``aerospike-server`` ``as/include/base/proto.h``), whose arguments
are themselves expressions. Every read op here selects positions of the list
(or of the map, in key order) and answers them as the return type asks:
index, rank, count, keys, values, a map, or existence; the ``INVERTED`` flag
selects the complement. Contexts (``ctx``) first reach into nested lists and
maps. Modify ops answer 16.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _msgpack as mp
from . import _protocol as p
from ._protocol import UnsupportedError
from ._values import UNKNOWN, ExprError, order_key

if TYPE_CHECKING:
    from ._expr import Fn, Subject

#: a compiled CDT read: (container, subject) -> value or UNKNOWN
CdtOp = Callable[[Any, "Subject"], Any]

_RT_MAPS = (p.RT_KEY_VALUE, p.RT_UNORDERED_MAP, p.RT_ORDERED_MAP)

_LIST_SIZE, _MAP_SIZE = 16, 96
#: op code -> (is a map op, is multi, selector name)
_READS = {
    19: (False, False, "index"),
    21: (False, False, "rank"),
    22: (False, True, "value"),
    23: (False, True, "value_list"),
    24: (False, True, "index_range"),
    25: (False, True, "value_interval"),
    26: (False, True, "rank_range"),
    97: (True, False, "key"),
    98: (True, False, "index"),
    99: (True, True, "value"),
    100: (True, False, "rank"),
    102: (True, True, "value"),
    103: (True, True, "key_interval"),
    104: (True, True, "index_range"),
    105: (True, True, "value_interval"),
    106: (True, True, "rank_range"),
    107: (True, True, "key_list"),
    108: (True, True, "value_list"),
    27: (False, True, "value_rel_rank"),
    109: (True, True, "key_rel_index"),
    110: (True, True, "value_rel_rank"),
}
_CTX = 0xFF
#: context types (as_cdt_ctx_type, without the create flags)
_CTX_LIST_INDEX, _CTX_LIST_RANK, _CTX_LIST_VALUE = 0x10, 0x11, 0x13
_CTX_MAP_INDEX, _CTX_MAP_RANK, _CTX_MAP_KEY, _CTX_MAP_VALUE = 0x20, 0x21, 0x22, 0x23


def compile_cdt(
    node: Any, compile_node: Callable[[Any], Fn], literal: Callable[[Any], Any]
) -> CdtOp:
    """Compile one CDT op of an expression call (``[0xff, ctx, op]`` with a context)."""
    if not isinstance(node, list) or not node or type(node[0]) is not int:
        raise ExprError("a CDT call needs an op array")
    if node[0] == _CTX:
        if len(node) != 3 or not isinstance(node[1], list) or len(node[1]) % 2:
            raise ExprError("a CDT context is [0xff, [type, value, ...], op]")
        path = [(t, literal(v)) for t, v in zip(node[1][0::2], node[1][1::2], strict=True)]
        inner = compile_cdt(node[2], compile_node, literal)
        return lambda c, s: inner(_descend(c, path), s)
    code = node[0]
    if code in (_LIST_SIZE, _MAP_SIZE):
        want = dict if code == _MAP_SIZE else list
        return lambda c, _s: len(c) if isinstance(c, want) else UNKNOWN
    spec = _READS.get(code)
    if spec is None:
        raise UnsupportedError(f"CDT op {code} in an expression")
    is_map, multi, selector = spec
    if len(node) < 3 or type(node[1]) is not int:
        raise ExprError(f"CDT op {code} needs a return type and an argument")
    rtype = node[1]
    args = [compile_node(a) for a in node[2:]]
    select = _SELECTORS[selector]
    want = dict if is_map else list

    def run(container: Any, s: Subject) -> Any:
        if not isinstance(container, want):
            return UNKNOWN
        values = [a(s) for a in args]
        if any(v is UNKNOWN for v in values):
            return UNKNOWN
        entries = _entries(container)
        picked = select(entries, values)
        if picked is None:
            return UNKNOWN
        return _result(entries, picked, rtype, multi, is_map)

    return run


def _descend(container: Any, path: list[tuple[Any, Any]]) -> Any:
    """The nested list or map a context names (unknown when it is not there)."""
    for ctx_type, value in path:
        if type(ctx_type) is not int:
            return UNKNOWN
        kind = ctx_type & 0x3F  # without the create flags
        want = list if kind < _CTX_MAP_INDEX else dict
        if not isinstance(container, want):
            return UNKNOWN
        entries = _entries(container)
        if kind in (_CTX_LIST_INDEX, _CTX_MAP_INDEX):
            picked = _sel_index(entries, [value])
        elif kind in (_CTX_LIST_RANK, _CTX_MAP_RANK):
            picked = _sel_rank(entries, [value])
        elif kind in (_CTX_LIST_VALUE, _CTX_MAP_VALUE):
            picked = _matching(entries, [value], False)[:1]
        elif kind == _CTX_MAP_KEY:
            picked = _matching(entries, [value], True)
        else:
            raise ExprError(f"unknown CDT context type {ctx_type}")
        if not picked:
            return UNKNOWN
        container = entries[picked[0]][1]
    return container


def call_cdt(op: CdtOp, container: Any, s: Subject) -> Any:
    """Run a compiled CDT read on a bin's value (unknown stays unknown)."""
    if container is UNKNOWN:
        return UNKNOWN
    return op(container, s)


#: (key, value): list items have their index as key; maps are in key order
Entries = list[tuple[Any, Any]]


def _entries(container: Any) -> Entries:
    if isinstance(container, dict):
        return sorted(container.items(), key=lambda kv: order_key(kv[0]))
    return list(enumerate(container))


def _ranks(entries: Entries) -> list[int]:
    """Positions of the entries in value order (ties by position)."""
    return sorted(range(len(entries)), key=lambda i: (order_key(entries[i][1]), i))


def _norm_index(i: Any, n: int) -> int | None:
    if type(i) is not int:
        return None
    i = i + n if i < 0 else i
    return i if 0 <= i < n else None


def _range(start: Any, count: Any, n: int) -> range | None:
    if type(start) is not int or (count is not None and type(count) is not int):
        return None
    begin = max(0, start + n if start < 0 else start)
    end = n if count is None else min(n, begin + max(0, count))
    return range(begin, max(begin, end))


def _sel_index(entries: Entries, args: list[Any]) -> list[int] | None:
    i = _norm_index(args[0], len(entries))
    return None if i is None else [i]


def _sel_rank(entries: Entries, args: list[Any]) -> list[int] | None:
    r = _norm_index(args[0], len(entries))
    return None if r is None else [_ranks(entries)[r]]


def _sel_index_range(entries: Entries, args: list[Any]) -> list[int] | None:
    rng = _range(args[0], args[1] if len(args) > 1 else None, len(entries))
    return None if rng is None else list(rng)


def _sel_rank_range(entries: Entries, args: list[Any]) -> list[int] | None:
    rng = _range(args[0], args[1] if len(args) > 1 else None, len(entries))
    if rng is None:
        return None
    ranks = _ranks(entries)
    return sorted(ranks[r] for r in rng)


def _matching(entries: Entries, wanted: list[Any], by_key: bool) -> list[int]:
    keys = {order_key(w) for w in wanted}
    return [i for i, kv in enumerate(entries) if order_key(kv[0 if by_key else 1]) in keys]


def _interval(entries: Entries, args: list[Any], by_key: bool) -> list[int]:
    low = order_key(args[0])
    high = order_key(args[1]) if len(args) > 1 and args[1] is not None else None
    out = []
    for i, kv in enumerate(entries):
        k = order_key(kv[0 if by_key else 1])
        if k >= low and (high is None or k < high):
            out.append(i)
    return out


def _list_arg(args: list[Any]) -> list[Any] | None:
    return args[0] if args and isinstance(args[0], list) else None


def _sel_value_list(entries: Entries, args: list[Any]) -> list[int] | None:
    wanted = _list_arg(args)
    return None if wanted is None else _matching(entries, wanted, False)


def _sel_key_list(entries: Entries, args: list[Any]) -> list[int] | None:
    wanted = _list_arg(args)
    return None if wanted is None else _matching(entries, wanted, True)


def _sel_value_rel_rank(entries: Entries, args: list[Any]) -> list[int] | None:
    """Ranks relative to a value: the rank it would have, plus ``rank``, ``count`` of them."""
    if len(args) < 2:
        return None
    ranks = _ranks(entries)
    anchor = order_key(args[0])
    start = sum(1 for i in ranks if order_key(entries[i][1]) < anchor)
    rng = _relative(start, args[1], args[2] if len(args) > 2 else None, len(entries))
    return None if rng is None else sorted(ranks[r] for r in rng)


def _sel_key_rel_index(entries: Entries, args: list[Any]) -> list[int] | None:
    """Map indexes relative to a key's position (where it is or would be)."""
    if len(args) < 2:
        return None
    anchor = order_key(args[0])
    start = sum(1 for k, _v in entries if order_key(k) < anchor)
    rng = _relative(start, args[1], args[2] if len(args) > 2 else None, len(entries))
    return None if rng is None else list(rng)


def _relative(start: int, offset: Any, count: Any, n: int) -> range | None:
    if type(offset) is not int or (count is not None and type(count) is not int):
        return None
    begin = start + offset
    end = n if count is None else begin + max(0, count)
    return range(max(0, begin), max(0, min(n, end)))


_SELECTORS: dict[str, Callable[[Entries, list[Any]], list[int] | None]] = {
    "index": _sel_index,
    "rank": _sel_rank,
    "index_range": _sel_index_range,
    "rank_range": _sel_rank_range,
    "value": lambda e, a: _matching(e, a[:1], False),
    "key": lambda e, a: _matching(e, a[:1], True),
    "value_list": _sel_value_list,
    "key_list": _sel_key_list,
    "value_interval": lambda e, a: _interval(e, a, False),
    "key_interval": lambda e, a: _interval(e, a, True),
    "value_rel_rank": _sel_value_rel_rank,
    "key_rel_index": _sel_key_rel_index,
}


def _result(entries: Entries, picked: list[int], rtype: int, multi: bool, is_map: bool) -> Any:
    n = len(entries)
    if rtype & p.INVERTED:
        chosen = set(picked)
        picked = [i for i in range(n) if i not in chosen]
        multi = True
    kind = rtype & 0xFFFF
    if kind == p.RT_NONE:
        return None
    if kind == p.RT_COUNT:
        return len(picked)
    if kind == p.RT_EXISTS:
        return bool(picked)
    if kind in _RT_MAPS and is_map:
        out_map = {entries[i][0]: entries[i][1] for i in picked}
        return mp.FlaggedMap(1, out_map) if kind == p.RT_ORDERED_MAP else out_map
    if kind == p.RT_KEY and is_map:
        out = [entries[i][0] for i in picked]
    elif kind == p.RT_VALUE:
        out = [entries[i][1] for i in picked]
    elif kind in (p.RT_INDEX, p.RT_REVINDEX):
        out = [i if kind == p.RT_INDEX else n - 1 - i for i in picked]
    elif kind in (p.RT_RANK, p.RT_REVRANK):
        rank_of = {pos: r for r, pos in enumerate(_ranks(entries))}
        out = [rank_of[i] if kind == p.RT_RANK else n - 1 - rank_of[i] for i in picked]
    else:
        return UNKNOWN
    if multi:
        return out
    return out[0] if out else None
