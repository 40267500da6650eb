"""One store per configuration, shared by every frontend instance that uses it.

Django builds a backend per thread (and per async context) and Flask-Caching
a backend per ``Cache``; a store holds per-configuration state (its codec,
its failure path and observers, and later a near cache and stats), so every
frontend instance with the same configuration gets the same store.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..options import DEFAULTS
from .facade import AerospikeStore

_stores: dict[str, AerospikeStore] = {}
_lock = threading.Lock()


def shared_store(hosts: Any, kwargs: Mapping[str, Any]) -> AerospikeStore:
    """The store for ``AerospikeStore(hosts, **kwargs)``, built once per process.

    The configuration is identified by its ``repr`` (objects such as a
    pre-built client or a serializer instance by identity).
    """
    full = {**DEFAULTS, **kwargs}  # an option given at its default is the same configuration
    ident = repr((hosts, sorted(full.items(), key=lambda kv: kv[0])))
    store = _stores.get(ident)
    if store is None:
        with _lock:
            store = _stores.get(ident)
            if store is None:
                store = _stores[ident] = AerospikeStore(hosts, **full)
    return store
