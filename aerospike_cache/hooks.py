"""What happens around each store operation: stats, and own writes leaving the near cache.

:func:`operation` decorates a store method: it times the call into the
store's :class:`~aerospike_cache.stats.Stats` (with the hits and misses a
read found, the keys a write touched), and after a write, whether it
succeeded or not, drops the keys it wrote from the near cache, so this
process never reads its own stale entry (the near cache's fill tokens make
sure a read that started before the write cannot put the old value back).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, Final, Literal, ParamSpec, TypeVar

if TYPE_CHECKING:
    from .store import AerospikeStore

P = ParamSpec("P")
T = TypeVar("T")

Kind = Literal[
    "get",
    "get_pair",
    "get_many",
    "meta",
    "set",
    "set_many",
    "update",
    "delete",
    "delete_many",
    "clear",
]
_READS: Final = frozenset({"get", "get_pair", "get_many", "meta"})
_MANY: Final = frozenset({"get_many", "set_many", "delete_many"})

_perf: Final = time.perf_counter
_RAISED: Final = object()  # the operation raised: no result to count


def operation(
    op: str, kind: Kind
) -> Callable[
    [Callable[Concatenate[AerospikeStore, P], T]], Callable[Concatenate[AerospikeStore, P], T]
]:
    """Time ``op`` into the store's stats and keep the near cache true to this process's writes.

    ``kind``, by what the method takes and returns: ``get`` (a key; the value
    or :data:`MISSING`), ``get_pair`` (a key; ``(value, ttl)``), ``get_many``
    (keys; a dict of the found ones), ``meta`` (a key; not a read of the
    value: timed only), ``set``/``update``/``delete`` (a key written, changed
    or removed), ``set_many`` (a mapping), ``delete_many`` (keys), ``clear``.
    """

    def wrap(
        method: Callable[Concatenate[AerospikeStore, P], T],
    ) -> Callable[Concatenate[AerospikeStore, P], T]:
        @functools.wraps(method)
        def run(store: AerospikeStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
            if kind in _MANY and args:
                args = (_materialized(args[0]), *args[1:])  # type: ignore[assignment]
            started = _perf()
            result: Any = _RAISED
            try:
                done: T = method(store, *args, **kwargs)
                result = done
                return done
            finally:
                if kind not in _READS and store.near is not None:
                    _forget(store, kind, args)
                _count(store, op, kind, _perf() - started, args, result)

        return run

    return wrap


def _materialized(keys: Any) -> Any:
    # a generator would be consumed by the operation before we could name its keys
    return keys if isinstance(keys, (list, tuple, dict, Mapping)) else list(keys)


def _forget(store: AerospikeStore, kind: Kind, args: tuple[Any, ...]) -> None:
    near = store.near
    assert near is not None
    if kind == "clear":
        near.drop_all()
    elif kind in ("set", "update", "delete"):
        near.drop(args[:1])
    else:
        near.drop(args[0])


def _count(
    store: AerospikeStore, op: str, kind: Kind, seconds: float, args: tuple[Any, ...], result: Any
) -> None:
    from .store import MISSING

    record = store.metrics.record
    if result is _RAISED and kind in _READS:
        record(op, seconds)  # neither a hit nor a miss: the caller got an error
    elif kind in ("get", "get_pair"):
        found = (result[0] if kind == "get_pair" else result) is not MISSING
        record(op, seconds, hits=int(found), misses=int(not found))
    elif kind == "get_many":
        asked = len(set(_keys(args)))
        record(op, seconds, hits=len(result), misses=asked - len(result))
    elif kind in ("set", "set_many"):
        record(op, seconds, sets=1 if kind == "set" else len(_keys(args)))
    elif kind in ("delete", "delete_many"):
        record(op, seconds, deletes=1 if kind == "delete" else len(_keys(args)))
    else:
        record(op, seconds)


def _keys(args: tuple[Any, ...]) -> list[Any]:
    return list(args[0]) if args else []
