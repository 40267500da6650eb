"""What happens around each cache operation of the facade: counts, and the near cache.

:func:`operation` decorates a facade method: it counts what the operation
found (hits, misses) or touched (keys set or deleted) into the store's
:class:`~.stats.Stats`, and after a write, whether it succeeded or not,
drops the keys it wrote from the near cache, so this process never reads its
own stale entry (the near cache's fill tokens make sure a read that started
before the write cannot put the old value back). Latency and errors are not
counted here: the failure path reports every client call to the stats.

:func:`near_get` and :func:`near_get_many` are the facade's reads when a near
cache is configured: memory first (decoded afresh), then the cluster, whose
answer fills the near cache with the entry's deadline.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, Final, Literal, ParamSpec, TypeVar

from aerospike import exception as aex

from .expiry import meta_ttl
from .records import MISSING, VALUE_BIN

if TYPE_CHECKING:
    from .facade import AerospikeStore
    from .near import NearCache

P = ParamSpec("P")
T = TypeVar("T")

Kind = Literal["get", "get_pair", "get_many", "set", "set_many", "update", "delete", "delete_many",
               "clear"]  # fmt: skip
_READS: Final = frozenset({"get", "get_pair", "get_many"})
_MANY: Final = frozenset({"get_many", "set_many", "delete_many"})
_RAISED: Final[Any] = object()  # the operation raised: nothing to count
_ABSENT: Final[Any] = object()


def operation(
    kind: Kind,
) -> Callable[
    [Callable[Concatenate[AerospikeStore, P], T]], Callable[Concatenate[AerospikeStore, P], T]
]:
    """Count what the decorated facade method did and keep the near cache true to it.

    ``kind``, by what the method takes and returns: ``get`` (a key; the value
    or :data:`MISSING`), ``get_pair`` (a key; ``(value, ttl)``), ``get_many``
    (keys; a dict of the found ones), ``set``/``update``/``delete`` (a key
    written, changed or removed), ``set_many`` (a mapping), ``delete_many``
    (keys), ``clear`` (everything).
    """

    def wrap(
        method: Callable[Concatenate[AerospikeStore, P], T],
    ) -> Callable[Concatenate[AerospikeStore, P], T]:
        @functools.wraps(method)
        def run(store: AerospikeStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
            if kind in _MANY and args and not isinstance(args[0], (list, tuple, Mapping)):
                # a generator would be consumed by the operation before we could name its keys
                keys: Any = args[0]
                args = (list(keys), *args[1:])  # type: ignore[assignment]
            result: Any = _RAISED
            try:
                done: T = method(store, *args, **kwargs)
                result = done
                return done
            finally:
                if kind not in _READS and store.near is not None:
                    _forget(store.near, kind, args)
                _count(store, kind, args, result)

        return run

    return wrap


def _forget(near: NearCache, kind: Kind, args: tuple[Any, ...]) -> None:
    if kind == "clear":
        near.drop_all()
    elif kind in ("set", "update", "delete"):
        near.drop(args[:1])
    else:
        near.drop(args[0])


def _count(store: AerospikeStore, kind: Kind, args: tuple[Any, ...], result: Any) -> None:
    count = store.metrics.count
    if kind in _READS:
        if result is _RAISED:
            return  # neither a hit nor a miss: the caller got an error
        if kind == "get_many":
            hits = len(result)
            count(hits=hits, misses=len(set(args[0])) - hits)
        else:
            found = (result[0] if kind == "get_pair" else result) is not MISSING
            count(hits=int(found), misses=int(not found))
    elif kind in ("set", "set_many"):
        count(sets=1 if kind == "set" else len(args[0]))
    elif kind in ("delete", "delete_many"):
        count(deletes=1 if kind == "delete" else len(args[0]))


# -- reads through the near cache ---------------------------------------------------

_ABSENT_ANSWER: Final = ((aex.RecordNotFound, _ABSENT),)


def near_get(store: AerospikeStore, near: NearCache, key: str) -> Any:
    """``get`` with a near cache: memory first, then the cluster (whose answer fills it)."""
    stored = near.get(key)
    if stored is not None:
        found, value = store.codec.decode(key, stored)  # a fresh object every hit
        if found:
            store.metrics.near_hit()
            return value
    token = near.token()
    read = store.failures.call(
        "get", _ABSENT, _read, store.records.key(key), answers=_ABSENT_ANSWER
    )
    if read is _ABSENT:
        return MISSING
    stored, meta = read
    found, value = store.codec.decode(key, stored)
    if not found:
        return MISSING
    near.fill(key, stored, deadline(meta), token)
    return value


def near_get_many(store: AerospikeStore, near: NearCache, keys: list[str]) -> dict[str, Any]:
    """``get_many`` with a near cache: the keys in memory, the rest in one batch read."""
    served: dict[str, Any] = {}
    rest: list[str] = []
    decode = store.codec.decode
    for key in dict.fromkeys(keys):
        stored = near.get(key)
        found, value = (False, None) if stored is None else decode(key, stored)
        if found:
            served[key] = value
            store.metrics.near_hit()
        else:
            rest.append(key)
    token = near.token()

    def fill(key: str, stored: Any, meta: Any) -> None:
        near.fill(key, stored, deadline(meta), token)

    if rest:
        served.update(store.batches.get_many(rest, fill))
    return served


def deadline(meta: Mapping[str, Any] | None) -> float | None:
    """When a record just read expires at the latest, on the wall clock (``None``: never).

    The server's void time is whole seconds, so the record may go a second
    before ``now + ttl``: the near cache stops serving it a second early.
    """
    ttl = meta_ttl(meta)
    return None if ttl is None else time.time() + ttl - 1


def _read(client: Any, key: Any) -> tuple[Any, Any]:
    _, meta, bins = client.get(key)
    return bins.get(VALUE_BIN), meta
