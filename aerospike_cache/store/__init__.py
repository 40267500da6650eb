"""The store: Aerospike as a cache, framework-agnostic; the frontends call it.

Modules: :mod:`.facade` (the cache semantics, :class:`AerospikeStore`),
:mod:`.records` (what talks to the client: keys, policies, batch rows),
:mod:`.failures` (the one failure path every client call takes),
:mod:`.expiry` (the TTL language and its wire mapping), :mod:`.aio` (the I/O
pool and the read coalescer). See ``docs/architecture.md``.
"""

from .expiry import DEADLINE_BIN, MAX_TTL, TTL_KEEP, TTL_NEVER, VALUE_BIN, wire_ttl
from .facade import AerospikeStore
from .failures import Observer
from .records import MISSING

__all__ = [
    "DEADLINE_BIN",
    "MAX_TTL",
    "MISSING",
    "TTL_KEEP",
    "TTL_NEVER",
    "VALUE_BIN",
    "AerospikeStore",
    "Observer",
    "wire_ttl",
]
