"""WSGI entry point: ``gunicorn -c ../gunicorn.conf.py catalogue_site.wsgi`` (docs/deployment.md).

``CACHE_WARM_UP=1`` reads one key at start-up, so that an unreachable cache
fails the start instead of the first request; under ``gunicorn --preload``
that connects the master's client before the workers are forked, and each
worker still gets a client of its own (``aerospike_cache`` is fork-safe).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue_site.settings")

application = get_wsgi_application()

if os.environ.get("CACHE_WARM_UP") == "1":
    from django.core.cache import cache

    cache.get("warm-up")
