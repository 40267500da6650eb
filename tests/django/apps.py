from django.apps import AppConfig


class CacheTestsConfig(AppConfig):
    name = "tests.django"
    label = "cachetests"
