"""A record's metadata and a store's client state: what ``aerospike-flask-cache`` exposed.

The predecessor's ``get_metadata``, ``is_connected`` and ``close_client`` read
the record header and the client directly. These functions do the same on an
:class:`~aerospike_cache.store.AerospikeStore`: the metadata read goes through
the store's one failure path (fail-open, breaker, key checks), and closing
never touches a user-supplied client.
"""

from __future__ import annotations

from typing import Any

from aerospike import exception as aex

from ..errors import CacheError
from .expiry import _NEVER_READ, DEADLINE_BIN, Deadlines
from .facade import _ABSENT_IS_MISSING, AerospikeStore
from .records import MISSING


def record_metadata(store: AerospikeStore, key: str) -> dict[str, int] | None:
    """``{"ttl": seconds left, "gen": generation}`` of ``key``'s entry, or ``None`` if absent.

    One read of the record's header and deadline (not its value). An entry
    past its deadline is absent, as on every other path. ``ttl`` is whole
    seconds left, rounded up, as Aerospike reports it: ``4294967295`` for an
    entry that never expires.
    """
    deadlines = Deadlines()
    deadlines.clock = store.clock
    found = store.failures.call(
        "get_metadata",
        MISSING,
        _ABSENT_IS_MISSING,
        _metadata,
        (store.records.key(key), deadlines),
    )
    return None if found is MISSING else found


def _metadata(client: Any, arg: tuple[Any, Deadlines]) -> Any:
    key, deadlines = arg
    _, meta, bins = client.select(key, [DEADLINE_BIN])
    left = deadlines.whole_seconds_left(bins.get(DEADLINE_BIN), meta)
    if left == 0:
        return MISSING
    return {"ttl": _NEVER_READ if left is None else left, "gen": int(meta["gen"])}


def current_client(store: AerospikeStore, connect: bool) -> Any:
    """The store's client if it has a connected one; with ``connect``, connect first.

    ``None`` when there is none (and, with ``connect``, when the cluster cannot
    be reached: this is a question, not an operation, so it never raises).
    """
    entry = store.records.entry
    client = None if entry is None else entry.client
    if client is None and connect:
        try:
            client = store.records.client()
        except (aex.AerospikeError, CacheError):
            return None
    if client is None:
        return None
    try:
        return client if client.is_connected() else None
    except Exception:  # a client in a broken state is not connected
        return None


def close_client(store: AerospikeStore) -> bool:
    """Close the client the store built (never a user-supplied one); ``True`` if it closed one.

    The client is shared by every store with the same hosts and client
    configuration in the process: they all reconnect on their next operation.
    """
    entry = store.records.entry
    if store.records.user_client is not None or entry is None or entry.client is None:
        return False
    store.shutdown()
    return True
