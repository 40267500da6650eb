"""Upstream tests that cannot apply to any shared cache, with the reason for each.

``run.py`` prints this list; the Flask-Caching plugin deselects its entries;
Django's culling tests skip themselves once the culling caches are excluded
(as Django does for Redis). ``README.md`` here says the same.
"""

from __future__ import annotations

DJANGO: dict[str, str] = {
    "test_cull, test_zero_cull, test_cull_delete_when_store_empty": (
        "culling (MAX_ENTRIES / CULL_FREQUENCY) is the housekeeping of LocMem, file and "
        "database caches; a shared cache evicts by TTL and memory. Django excludes the "
        "'cull' caches for Redis too, and these tests then skip themselves"
    ),
    "LocMemCacheTests, DefaultNonExpiringCacheKeyTests": (
        "LocMem internals (_cache, _expire_info, LRU order, per-LOCATION isolation)"
    ),
    "DBCacheTests, FileBasedCacheTests, *MemcachedTests, RedisCacheTests, DummyCacheTests": (
        "other backends' own tests (their SQL, files, clients); the contract they share "
        "(BaseCacheTests) runs on ours"
    ),
    "CacheClosingTests, CustomCacheKeyValidationTests, CacheHandlerTest, "
    "TestMakeTemplateFragmentKey": "test Django's fixture backends or no backend at all",
}

FLASK_CACHING: dict[str, str] = {
    "tests/test_serializer.py::test_default_keeps_the_cachelib_serializer": (
        "SimpleCache's default serializer class (cachelib's SimpleSerializer); RedisCache "
        "fails it too (RedisSerializer). Ours is named 'pickle' and stored per entry"
    ),
    "tests/test_cachelib.py::test_backend_uses_cachelib_serializer": (
        "the same SimpleSerializer isinstance check as above"
    ),
    "tests/test_serializer.py::test_values_are_stored_in_the_configured_format": (
        "reads SimpleCache's internal dict (cache._cache)"
    ),
}
# Flask-Caching tests of other backends (Redis, memcached: servers and client
# packages that are not part of this run) are deselected by name.
FLASK_CACHING_OTHER_BACKENDS = ("redis", "memcache", "sasl")

CACHELIB: dict[str, str] = {}
