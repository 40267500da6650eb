"""Optional Django app: add ``"aerospike_cache.django"`` to INSTALLED_APPS for system checks."""

from django.apps import AppConfig


class AerospikeCacheConfig(AppConfig):
    name = "aerospike_cache.django"
    label = "aerospike_cache"
    verbose_name = "Aerospike cache"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
