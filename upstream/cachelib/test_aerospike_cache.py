"""cachelib's generic backend tests on our Flask backend (a cachelib ``BaseCache``).

``upstream/run.py`` copies this module into cachelib's ``tests/``; the mixins
(``common.py``, ``clear.py``, ``has.py``, ...; unmodified) are composed with our
backend as ``test_redis_cache.py`` composes them with ``RedisCache``, and the
interface-uniformity check runs on it as ``test_interface_uniformity.py`` runs
it on cachelib's own backends.
"""

import pytest
import test_interface_uniformity
import test_redis_cache
from aerospike_env import flask_cache_kwargs
from clear import ClearTests
from common import CommonTests
from delete_many_with_prefix import DeleteManyWithPrefixTests
from has import HasTests
from serializer import SerializerTests

from aerospike_cache.flask import AerospikeCache

SET = "upstream_cachelib"


class CustomCache(AerospikeCache):
    """A subclass with a non-default serializer, as ``test_redis_cache.CustomCache``."""

    serializer = test_redis_cache.SillySerializer()


@pytest.fixture(autouse=True, params=[AerospikeCache, CustomCache])
def cache_factory(request, key_prefix):
    def _factory(self, *args, **kwargs):
        kwargs.setdefault("key_prefix", key_prefix)
        cache = request.param(*args, **{**flask_cache_kwargs(SET), **kwargs})
        cache.clear()
        return cache

    request.cls.cache_factory = _factory


class TestAerospikeCache(
    CommonTests, ClearTests, HasTests, DeleteManyWithPrefixTests, SerializerTests
):
    pass


class TestAerospikeInterfaceUniformity:
    @pytest.fixture(autouse=True)
    def create_cache_list(self, request):
        request.cls.cache_list = [AerospikeCache(**flask_cache_kwargs(SET))]

    # module access: importing their class here would collect it (with its Redis fixtures) again
    test_types_have_all_base_methods = (
        test_interface_uniformity.TestInterfaceUniformity.test_types_have_all_base_methods
    )
