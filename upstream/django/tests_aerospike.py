"""Django's own cache tests (``tests/cache/tests.py``) against our backend.

``upstream/run.py`` copies this module into Django's ``tests/cache/`` next to
``tests.py`` (which stays unmodified) and runs ``runtests.py
cache.tests_aerospike``. The contract (``BaseCacheTests``) runs as Django runs
it for Redis: with ``caches_setting_for_tests(base=<our CACHES entry>)`` and the
culling caches excluded. The backend-agnostic middleware, utils, i18n and
template-response classes run as they are, with every LocMem cache of their
settings swapped for ours (each LocMem ``LOCATION`` is its own set, since it is
its own store in LocMem).
"""

from cache import tests as upstream  # module access only: their classes are not collected here
from django.conf import settings
from django.test import TestCase, override_settings

OURS = settings.CACHES["default"]  # from aerospike_settings.py
# Culling (MAX_ENTRIES / CULL_FREQUENCY) is LocMem/file/database housekeeping; a
# shared cache evicts by TTL and memory instead. Django excludes the same two
# caches for Redis, and the culling tests then skip ("Culling isn't implemented.").
EXCLUDED = {"cull", "zero_cull"}
# Keys of a LocMem entry that mean the same on ours; BACKEND/LOCATION/OPTIONS are ours.
KEPT = ("KEY_PREFIX", "TIMEOUT", "VERSION", "KEY_FUNCTION")


@override_settings(CACHES=upstream.caches_setting_for_tests(base=OURS, exclude=EXCLUDED))
class AerospikeCacheTests(upstream.BaseCacheTests, TestCase):
    """Django's backend contract (``BaseCacheTests``), as ``RedisCacheTests`` runs it."""


def _ours(params: dict) -> dict:
    location = params.get("LOCATION") or ""
    entry = {**OURS, **{k: params[k] for k in KEPT if k in params}}
    suffix = "".join(c for c in location if c.isalnum())
    if suffix:
        entry["OPTIONS"] = {**OURS["OPTIONS"], "SET": f"{OURS['OPTIONS']['SET']}_{suffix}"}
    return entry


def on_aerospike(test_class: type) -> type:
    """``test_class`` with each cache of its class-level ``CACHES`` setting made ours."""
    caches = test_class._overridden_settings["CACHES"]
    ours = {alias: _ours(params) for alias, params in caches.items()}
    subclass = type(f"Aerospike{test_class.__name__}", (test_class,), {"__module__": __name__})
    return override_settings(CACHES=ours)(subclass)


AerospikeCacheUtils = on_aerospike(upstream.CacheUtils)
AerospikePrefixedCacheUtils = on_aerospike(upstream.PrefixedCacheUtils)
AerospikeCacheHEADTest = on_aerospike(upstream.CacheHEADTest)
AerospikeCacheI18nTest = on_aerospike(upstream.CacheI18nTest)
AerospikePrefixedCacheI18nTest = on_aerospike(upstream.PrefixedCacheI18nTest)
AerospikeCacheMiddlewareTest = on_aerospike(upstream.CacheMiddlewareTest)
AerospikeTestWithTemplateResponse = on_aerospike(upstream.TestWithTemplateResponse)
