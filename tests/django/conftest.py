"""Django test setup: caches pointed at the test server (embedded, or AEROSPIKE_HOSTS)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.test import override_settings

BACKEND = "aerospike_cache.django.AerospikeCache"


def location(server: Any) -> str:
    return ",".join(f"{h[0]}:{h[1]}" for h in server.hosts)


def aerospike_caches(server: Any, set_name: str, **options: Any) -> dict[str, Any]:
    opts = {"NAMESPACE": server.namespace, "SET": set_name, **options}
    return {
        "default": {"BACKEND": BACKEND, "LOCATION": location(server), "OPTIONS": opts},
        "prefixed": {
            "BACKEND": BACKEND,
            "LOCATION": location(server),
            "KEY_PREFIX": "cacheprefix",
            "OPTIONS": opts,
        },
        "v2": {
            "BACKEND": BACKEND,
            "LOCATION": location(server),
            "VERSION": 2,
            "OPTIONS": opts,
        },
        "custom_key": {
            "BACKEND": BACKEND,
            "LOCATION": location(server),
            "KEY_FUNCTION": "tests.django.conftest.custom_key_func",
            "OPTIONS": opts,
        },
        "short": {
            "BACKEND": BACKEND,
            "LOCATION": location(server),
            "TIMEOUT": 1,
            "OPTIONS": opts,
        },
        "forever": {
            "BACKEND": BACKEND,
            "LOCATION": location(server),
            "TIMEOUT": None,
            "OPTIONS": opts,
        },
    }


def locmem_caches() -> dict[str, Any]:
    loc = "django.core.cache.backends.locmem.LocMemCache"
    return {
        "default": {"BACKEND": loc, "LOCATION": "d"},
        "prefixed": {"BACKEND": loc, "LOCATION": "d", "KEY_PREFIX": "cacheprefix"},
        "v2": {"BACKEND": loc, "LOCATION": "d", "VERSION": 2},
        "custom_key": {
            "BACKEND": loc,
            "LOCATION": "d",
            "KEY_FUNCTION": "tests.django.conftest.custom_key_func",
        },
        "short": {"BACKEND": loc, "LOCATION": "d", "TIMEOUT": 1},
        "forever": {"BACKEND": loc, "LOCATION": "d", "TIMEOUT": None},
    }


def custom_key_func(key: str, key_prefix: str, version: int) -> str:
    return "CUSTOM-" + "-".join([key_prefix, str(version), key])


@pytest.fixture(params=["aerospike", "locmem"])
def backend_kind(request: pytest.FixtureRequest) -> str:
    """The contract suite runs on our backend and, as the reference, on Django's LocMem."""
    return str(request.param)


@pytest.fixture
def django_caches(backend_kind: str, aerospike_server: Any, aerospike_set: str) -> Iterator[Any]:
    conf = (
        aerospike_caches(aerospike_server, aerospike_set)
        if backend_kind == "aerospike"
        else locmem_caches()
    )
    with override_settings(CACHES=conf):
        yield caches
        if backend_kind == "locmem":
            caches["default"].clear()


@pytest.fixture
def cache(django_caches: Any) -> Any:
    return django_caches["default"]


@pytest.fixture
def aerospike_cache(aerospike_server: Any, aerospike_set: str) -> Iterator[Any]:
    """Our backend only (for extras and Aerospike-specific behaviour)."""
    with override_settings(CACHES=aerospike_caches(aerospike_server, aerospike_set)):
        yield caches["default"]
