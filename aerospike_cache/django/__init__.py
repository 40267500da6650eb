"""Django cache backend: ``"BACKEND": "aerospike_cache.django.AerospikeCache"``.

Add ``"aerospike_cache.django"`` to ``INSTALLED_APPS`` as well to get system
checks of the cache configuration at startup.
"""

from .cache import AerospikeCache

__all__ = ["AerospikeCache"]
