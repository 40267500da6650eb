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

AEROSPIKE_LOCATION, AEROSPIKE_NAMESPACE = aerospike.location()

CACHES = {
    "default": {
        "BACKEND": "aerospike_cache.django.AerospikeCache",
        "LOCATION": AEROSPIKE_LOCATION,
        "TIMEOUT": 300,
        "KEY_PREFIX": "catalogue",
        "OPTIONS": {
            "NAMESPACE": AEROSPIKE_NAMESPACE,
            "SET": os.environ.get("AEROSPIKE_SET") or "django_site",
            "SERIALIZER": "pickle",
            "COMPRESSOR": "zlib",
            # hot entries served from process memory for up to a second
            "NEAR_CACHE": {"max_entries": 10000, "ttl": 1.0},
        },
    }
}

# Cache-backed sessions: the "recently viewed" list lives in Aerospike.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "default"

CACHE_MIDDLEWARE_SECONDS = 60

USE_TZ = True
TIME_ZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"aerospike_cache": {"handlers": ["console"], "level": "WARNING"}},
}
