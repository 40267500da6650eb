"""What happens around each cache operation of the facade: counts, and the near cache.

:func:`operation` decorates a facade write: it counts the keys it set or
deleted into the store's :class:`~.stats.Stats`, and after the write,
whether it succeeded or not, drops those keys from the near cache, so this
process never reads its own stale entry (the near cache's fill tokens make
sure a read that started before the write cannot put the old value back).
The hot writes (``set``, ``add``, ``set_many``, ``delete``, ``incr``) do the
same inline, in a ``finally`` of their own (a wrapper frame and its
``*args`` cost more than the bookkeeping): the same two steps, the near
cache dropping the key only when there is one. Reads count their hits and
misses inline (a get pays for no extra call); latency and errors are
reported to the stats by the failure path.

:func:`near_get` and :func:`near_get_many` are the facade's reads when a near
cache is configured: memory first (decoded afresh), then the cluster, whose
answer fills the near cache with the entry's deadline.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, Final, Literal, ParamSpec, TypeVar

from aerospike import exception as aex

from .expiry import DEADLINE_BIN, VALUE_BIN, meta_ttl
from .records import MISSING

if TYPE_CHECKING:
    from .facade import AerospikeStore
    from .near import NearCache

P = ParamSpec("P")
T = TypeVar("T")

Kind = Literal["set", "set_many", "update", "delete", "delete_many", "clear", "invalidate"]
_MANY: Final = frozenset({"set_many", "delete_many"})
_ABSENT: Final[Any] = object()


def operation(
    kind: Kind,
) -> Callable[
    [Callable[Concatenate[AerospikeStore, P], T]], Callable[Concatenate[AerospikeStore, P], T]
]:
    """Count the keys the decorated write touched and drop them from the near cache.

    ``kind``, by what the method takes: ``set``/``update``/``delete`` (a key
    written, changed or removed), ``set_many`` (a mapping), ``delete_many``
    (keys), ``clear`` (everything), ``invalidate`` (a server-side selection of
    unknown keys: tags, patterns; every near entry is dropped, as by ``clear``).
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
            try:
                return method(store, *args, **kwargs)
            finally:
                if store.near is not None:
                    _forget(store.near, kind, args)
                _count(store, kind, args)

        return run

    return wrap


def _forget(near: NearCache, kind: Kind, args: tuple[Any, ...]) -> None:
    if kind in ("clear", "invalidate"):
        near.drop_all()
    elif kind in ("set", "update", "delete"):
        near.drop(args[:1])
    else:
        near.drop(args[0])


def _count(store: AerospikeStore, kind: Kind, args: tuple[Any, ...]) -> None:
    metrics = store.metrics
    if kind == "set":
        metrics.sets += 1
    elif kind == "set_many":
        metrics.sets += len(args[0])
    elif kind == "delete":
        metrics.deletes += 1
    elif kind == "delete_many":
        metrics.deletes += len(args[0])


def count_read(store: AerospikeStore, found: int, asked: int) -> None:
    """A read found ``found`` of the ``asked`` keys (the facade's batch reads call this)."""
    metrics = store.metrics
    metrics.hits += found
    metrics.misses += asked - found


# -- reads through the near cache ---------------------------------------------------

_ABSENT_ANSWER: Final = ((aex.RecordNotFound, _ABSENT),)


def near_get(store: AerospikeStore, near: NearCache, key: str) -> Any:
    """``get`` with a near cache: memory first, then the cluster (whose answer fills it)."""
    metrics = store.metrics
    stored = near.get(key)
    if stored is not None:
        found, value = store.codec.decode(key, stored)  # a fresh object every hit
        if found:
            metrics.near_hits += 1
            metrics.hits += 1
            return value
    token = near.token()
    record_key = store.records.key(key)
    read: Any = store.failures.call("get", _ABSENT, _ABSENT_ANSWER, _read, record_key)
    if read is _ABSENT:
        metrics.misses += 1
        return MISSING
    stored, deadline_ms, meta = read
    until = deadline(deadline_ms, meta, store.clock)
    expired = until is not None and until <= store.clock()
    found, value = (False, None) if expired else store.codec.decode(key, stored)
    if not found:
        metrics.misses += 1
        return MISSING
    metrics.hits += 1
    near.fill(key, stored, until, token)
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
        else:
            rest.append(key)
    store.metrics.near_hits += len(served)
    token = near.token()

    def fill(key: str, stored: Any, deadline_ms: Any, meta: Any) -> None:
        near.fill(key, stored, deadline(deadline_ms, meta, store.clock), token)

    if rest:
        served.update(store.batches.get_many(rest, fill))
    return served


def deadline(
    deadline_ms: Any, meta: Mapping[str, Any] | None, clock: Callable[[], float]
) -> float | None:
    """An entry's deadline in seconds on the store's clock (``None``: never expires).

    From its deadline bin (exact expiry); for a record without one but with a
    server TTL (written before exact expiry), a second before ``now + ttl``:
    the server's void time is whole seconds, so the record may go that early.
    """
    if deadline_ms is not None:
        return float(deadline_ms) / 1000
    ttl = meta_ttl(meta)
    return None if ttl is None else clock() + ttl - 1


def _read(client: Any, key: Any) -> tuple[Any, Any, Any]:
    _, meta, bins = client.get(key)
    return bins.get(VALUE_BIN), bins.get(DEADLINE_BIN), meta
