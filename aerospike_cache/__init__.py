"""Aerospike as the cache of Django and Flask applications.

The framework-agnostic :class:`~aerospike_cache.store.AerospikeStore` does all
the Aerospike work; ``aerospike_cache.django`` and ``aerospike_cache.flask``
are thin frontends over it, and ``aerospike_cache.server`` is an embedded,
Aerospike-compatible server for tests and demos.
"""

__version__ = "0.1.0"
