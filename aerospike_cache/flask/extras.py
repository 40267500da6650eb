"""The Flask backend's extras: TTLs, ``aerospike-flask-cache``'s client calls, patterns
and tags matched by the server. Mixed into :class:`~aerospike_cache.flask.cache.AerospikeCache`
(reached from Flask-Caching as ``cache.cache.ttl("k")``); cachelib's key and timeout rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..jobs import Job
from ..store import MISSING, introspection

if TYPE_CHECKING:
    from ..store import AerospikeStore


class FlaskExtras:
    """``ttl``, ``get_metadata``/``is_connected``/``close_client``, ``invalidate_tags``,
    ``iter_keys``, ``delete_pattern``/``touch_pattern``."""

    if TYPE_CHECKING:
        _store: AerospikeStore

        def _key(self, key: str) -> str: ...
        def _prefix(self) -> str: ...
        def _ttl(self, timeout: int | dt.timedelta | None) -> float | None: ...

    # -- extras -------------------------------------------------------------

    def ttl(self, key: str) -> int | None:
        """Seconds until ``key`` expires; ``None`` if it never does; ``0`` if it is absent."""
        left = self._store.ttl(self._key(key))
        return 0 if left is MISSING else left

    # -- aerospike-flask-cache's extras --------------------------------------

    _client_closed = False  # set by close_client() until this cache connects again

    def get_metadata(self, key: str) -> dict[str, int] | None:
        """``{"ttl": ..., "gen": ...}`` of the entry's record, or ``None`` if absent.

        As in ``aerospike-flask-cache``: ``ttl`` in seconds as the client reports
        it (``4294967295``: never expires), ``gen`` the record's generation.
        One metadata-only read.
        """
        return introspection.record_metadata(self._store, self._key(key))

    def is_connected(self) -> bool:
        """Whether this cache has a connected client.

        Connects first if it has not yet (clients are built on first use; the
        predecessor connected in its constructor), unless :meth:`close_client`
        closed it since: then ``False`` until an operation reconnects it.
        ``False`` also when the cluster cannot be reached. Never raises.
        """
        connect = not self._client_closed
        connected = introspection.current_client(self._store, connect) is not None
        if connected:
            self._client_closed = False
        return connected

    def close_client(self) -> bool:
        """Close the client this cache built; ``True`` if it closed one, ``False`` the second time.

        The next operation reconnects. The client is shared by every cache of
        the process with the same hosts and client configuration (they reconnect
        too). A client you passed in (``CACHE_AEROSPIKE_CLIENT``) is never
        closed: ``False``.
        """
        closed = introspection.close_client(self._store)
        if closed:
            self._client_closed = True
        return closed

    # -- tags and patterns, matched by the server ---------------------------

    def invalidate_tags(self, *tags: str, wait: bool = True) -> int | Job:
        """Delete every entry carrying any of ``tags`` (namespaced by ``key_prefix``).

        Returns how many were deleted, or with ``wait=False`` the server-side
        :class:`~aerospike_cache.jobs.Job`. From Flask-Caching: ``cache.cache.invalidate_tags``.
        """
        return self._store.invalidate_tags(tags, self._prefix(), wait=wait)

    def iter_keys(self, pattern: str = "*") -> Iterator[str]:
        """Keys (without ``key_prefix``) matching a glob, streamed.

        While a cluster node is lost: see :meth:`AerospikeStore.keys
        <aerospike_cache.store.AerospikeStore.keys>` (what is missed, what raises).
        """
        prefix = self._prefix()
        for made in self._store.keys(pattern, prefix):
            yield made[len(prefix) :]

    def delete_pattern(self, pattern: str, *, wait: bool = True) -> int | Job:
        """Delete every key matching a glob; how many were deleted (or the Job)."""
        return self._store.delete_pattern(pattern, self._prefix(), wait=wait)

    def touch_pattern(
        self, pattern: str, timeout: int | dt.timedelta | None = None, *, wait: bool = True
    ) -> int | Job:
        """Give every key matching a glob a new timeout (cachelib rules); how many (or the Job)."""
        return self._store.touch_pattern(pattern, self._ttl(timeout), self._prefix(), wait=wait)
