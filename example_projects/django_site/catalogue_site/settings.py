"""Settings of the catalogue example: every cache of the site is Aerospike."""

from __future__ import annotations

import os
from pathlib import Path

from . import aerospike

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "aerospike_cache.django",  # optional: system checks of the cache settings
    "catalogue",
]

MIDDLEWARE = [
    "catalogue.middleware.CacheStatusMiddleware",  # X-Cache header + footer line
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "catalogue_site.urls"
WSGI_APPLICATION = "catalogue_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

# No database: the products live in code (catalogue/data.py), sessions in the cache.
DATABASES: dict[str, dict[str, str]] = {}

# CACHE_BACKEND picks the site's cache (the load task runs the same site on each):
# "aerospike" (the default), "django-redis", "redis" (Django's own RedisCache) or
# "none" (DummyCache: every page rendered, the floor a cache must beat).
CACHE_BACKEND = os.environ.get("CACHE_BACKEND", "aerospike")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# AEROSPIKE_FAIL_OPEN=1: an outage turns into misses and no-op writes (pages still served)
FAIL_OPEN = os.environ.get("AEROSPIKE_FAIL_OPEN", "0") == "1"

if CACHE_BACKEND == "aerospike":
    AEROSPIKE_LOCATION, AEROSPIKE_NAMESPACE = aerospike.location()
    NEAR_CACHE_TTL = float(os.environ.get("AEROSPIKE_NEAR_CACHE_TTL", "1.0"))
    DEFAULT_CACHE = {
        "BACKEND": "aerospike_cache.django.AerospikeCache",
        "LOCATION": AEROSPIKE_LOCATION,
        "OPTIONS": {
            "NAMESPACE": AEROSPIKE_NAMESPACE,
            "SET": os.environ.get("AEROSPIKE_SET") or "django_site",
            "SERIALIZER": "pickle",
            "COMPRESSOR": "zlib",
            "IGNORE_EXCEPTIONS": FAIL_OPEN,
            # get_or_set computes once across workers; the lock outlives the 0.3 s
            # computation a few times over, no more: a holder whose write and release
            # were lost (the cache failing under it) keeps the others waiting until then
            "STAMPEDE": {"lock_ttl": 1.0, "wait": 2.0},
            # hot entries served from process memory for up to NEAR_CACHE_TTL seconds
            # (AEROSPIKE_NEAR_CACHE_TTL=0 turns the near cache off)
            **(
                {"NEAR_CACHE": {"max_entries": 10000, "ttl": NEAR_CACHE_TTL}}
                if NEAR_CACHE_TTL > 0
                else {}
            ),
        },
    }
elif CACHE_BACKEND == "django-redis":
    DEFAULT_CACHE = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"IGNORE_EXCEPTIONS": FAIL_OPEN},
    }
elif CACHE_BACKEND == "redis":
    DEFAULT_CACHE = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
elif CACHE_BACKEND == "none":
    DEFAULT_CACHE = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
else:
    raise ValueError(f"CACHE_BACKEND={CACHE_BACKEND!r}: aerospike, django-redis, redis or none")

CACHES = {"default": {**DEFAULT_CACHE, "TIMEOUT": 300, "KEY_PREFIX": "catalogue"}}

# Cache-backed sessions: the "recently viewed" list lives in the cache. This
# engine is Django's, except that a session that cannot be created (the cache
# is down and fail-open) leaves the page without one instead of failing it.
SESSION_ENGINE = "catalogue.sessions"
SESSION_CACHE_ALIAS = "default"

CACHE_MIDDLEWARE_SECONDS = 60

USE_TZ = True
TIME_ZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "aerospike_cache": {"handlers": ["console"], "level": "WARNING"},
        # a failed page's traceback, with DEBUG off too (under gunicorn: its error log)
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
