"""Flask-Caching's generic backend tests on our backend.

``upstream/run.py`` copies this module into Flask-Caching's ``tests/``;
``GenericCacheTests`` (``tests/test_backend_cache.py``, unmodified) is composed
with our backend as they compose it with Redis in ``TestRedisCache``.
"""

import pytest
from aerospike_env import flask_cache_kwargs
from test_backend_cache import GenericCacheTests

from aerospike_cache.flask import AerospikeCache


class TestAerospikeCache(GenericCacheTests):
    # the store's clock decides expiry, and their fake clock drives it (aerospike_plugin.py)
    _can_use_fast_sleep = True

    @pytest.fixture(params=[None, "werkzeug-test-case:"], ids=["no_prefix", "prefix"])
    def make_cache(self, request):
        c = AerospikeCache(key_prefix=request.param, **flask_cache_kwargs("upstream_flask"))
        yield lambda: c
        c.clear()
