"""A Django project's settings with the packages that sit on its cache, on our backend.

What the README's "Works with" section tells users to write, nothing more:
``django_flows.py`` runs under these settings in a process of its own
(``test_django_packages.py`` starts it), so that cachalot's ORM patching and
the apps' system checks touch no other test. The cluster comes from the
environment the parent test sets (``AEROSPIKE_HOSTS``, ``AEROSPIKE_NAMESPACE``,
``AEROSPIKE_CLUSTER_NAME``, and the set in ``INTEGRATIONS_SET``).
"""

import os

SECRET_KEY = "aerospike-cache-integrations"
DEBUG = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "tests.integrations.urls"

_options = {
    "NAMESPACE": os.environ.get("AEROSPIKE_NAMESPACE") or "test",
    "SET": os.environ.get("INTEGRATIONS_SET") or "integrations",
}
if os.environ.get("AEROSPIKE_CLUSTER_NAME"):
    _options["CLIENT_CONFIG"] = {"cluster_name": os.environ["AEROSPIKE_CLUSTER_NAME"]}
CACHES = {
    "default": {
        "BACKEND": "aerospike_cache.django.AerospikeCache",
        "LOCATION": os.environ.get("AEROSPIKE_HOSTS", "127.0.0.1:3000"),
        "OPTIONS": _options,
    }
}

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "aerospike_cache.django",
    "tests.django.apps.CacheTestsConfig",  # a model for cachalot to cache
    "cachalot",
    "django_ratelimit",
    "rest_framework",
    "debug_toolbar",
    "axes",
]
MIDDLEWARE = [
    "debug_toolbar.middleware.DebugToolbarMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
STATIC_URL = "static/"

# Sessions in the cache (or "cached_db" to keep a database copy).
SESSION_ENGINE = "django.contrib.sessions.backends.cache"

# django-axes: failures counted in the cache (AxesCacheHandler uses AXES_CACHE, "default").
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = 2

# The two packages warn about any backend not on their lists; both only need
# add/get/set/incr/delete with Django's semantics, which Django's own cache
# tests check on ours (python3 tasks.py upstream).
SILENCED_SYSTEM_CHECKS = ["cachalot.W001", "django_ratelimit.W001"]

# django-debug-toolbar: shown for the tests' requests.
INTERNAL_IPS = ["127.0.0.1"]
DEBUG_TOOLBAR_CONFIG = {
    "SHOW_TOOLBAR_CALLBACK": lambda request: True,
    "IS_RUNNING_TESTS": False,  # it refuses to run under tests unless told
}
