"""Settings of Django's test runner (``runtests.py --settings=aerospike_settings``).

Django's own ``test_sqlite`` settings, with our backend as the default cache:
``tests_aerospike.py`` reads it from here, as Django's ``RedisCacheTests``
read ``RedisCache`` params from ``settings.CACHES``.
"""

from aerospike_env import django_cache
from test_sqlite import *  # noqa: F403  (Django's tests/test_sqlite.py)

CACHES = {"default": django_cache("upstream_django")}
