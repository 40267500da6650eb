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
from .facade import _ABSENT_IS_MISSING, AerospikeStore, _meta  # the same read as ttl()
from .records import MISSING


def record_metadata(store: AerospikeStore, key: str) -> dict[str, int] | None:
    """``{"ttl": seconds left, "gen": generation}`` of ``key``'s record, or ``None`` if absent.

    One metadata-only read (the value is not sent). ``ttl`` is as the client
    reports it: ``4294967295`` for a record that never expires.
    """
    meta = store.failures.call(
        "get_metadata", MISSING, _meta, store.records.key(key), answers=_ABSENT_IS_MISSING
    )
    if meta is MISSING or meta is None:
        return None
    return {"ttl": int(meta["ttl"]), "gen": int(meta["gen"])}


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
