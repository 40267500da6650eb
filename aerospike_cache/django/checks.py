"""System checks: every Aerospike cache in CACHES is configured right.

``manage.py check`` (and runserver) validates the options without touching
the network; ``manage.py check --deploy`` also connects and checks that the
namespace exists and accepts writes with a TTL (nsup), and warns of what
will make it refuse writes as it fills (W001 eviction off, W002 eviction at
or above stop-writes, W003 data use already past eviction, W004 a default
timeout that never expires).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from ..errors import CacheError
from . import redis_compat
from .cache import AerospikeCache

BACKEND = "aerospike_cache.django.AerospikeCache"
#: the store's capacity warnings -> check ids
WARNING_IDS = {
    "eviction-off": "aerospike_cache.W001",
    "evict-above-stop-writes": "aerospike_cache.W002",
    "data-above-eviction": "aerospike_cache.W003",
    "default-never-expires": "aerospike_cache.W004",
}


def _our_caches() -> list[tuple[str, dict[str, Any]]]:
    configured = getattr(settings, "CACHES", {}) or {}
    return [
        (alias, conf)
        for alias, conf in configured.items()
        if conf.get("BACKEND") in (BACKEND, "aerospike_cache.django.cache.AerospikeCache")
    ]


def _backend(conf: dict[str, Any]) -> AerospikeCache:
    params = {k: v for k, v in conf.items() if k not in ("BACKEND", "LOCATION")}
    return AerospikeCache(conf.get("LOCATION", ""), params)


@checks.register(checks.Tags.caches)
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E001: the OPTIONS or LOCATION of an Aerospike cache are wrong."""
    errors: list[checks.CheckMessage] = []
    for alias, conf in _our_caches():
        try:
            _backend(conf)
        except ImproperlyConfigured as exc:
            errors.append(
                checks.Error(str(exc), obj=f"CACHES[{alias!r}]", id="aerospike_cache.E001")
            )
    return errors


@checks.register(checks.Tags.caches, deploy=True)
def check_cluster(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """E002: the cluster is unreachable, the namespace is missing or refuses TTL writes;
    W001-W004: the namespace will refuse writes as it fills (see the module docstring)."""
    errors: list[checks.CheckMessage] = []
    for alias, conf in _our_caches():
        obj = f"CACHES[{alias!r}]"
        try:
            backend = _backend(conf)
            backend.store.check_ttl_writes()
            warnings = backend.capacity_warnings()
        except (ImproperlyConfigured, CacheError) as exc:
            errors.append(checks.Error(str(exc), obj=obj, id="aerospike_cache.E002"))
            continue
        errors += [checks.Warning(text, obj=obj, id=WARNING_IDS[kind]) for kind, text in warnings]
    return errors


@checks.register(checks.Tags.caches)
def check_django_redis_settings(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """W005: a django-redis setting that means something else for an Aerospike cache
    (W001-W004 are the capacity checks above)."""
    if not _our_caches():
        return []
    return [
        checks.Warning(text, obj="settings", id="aerospike_cache.W005")
        for text in redis_compat.settings_warnings(settings)
    ]
