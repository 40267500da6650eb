"""Flask-Caching backend: ``CACHE_TYPE = "aerospike_cache.flask.AerospikeCache"``.

See ``docs/flask.md`` for the configuration keys and the migration from
``aerospike-flask-cache``.
"""

from .cache import DEFAULT_SET, AerospikeCache

__all__ = ["DEFAULT_SET", "AerospikeCache"]
