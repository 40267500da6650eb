"""Where the upstream suites' caches live: read from the environment run.py sets.

``AEROSPIKE_HOSTS`` (``host:port[,host:port]``), ``AEROSPIKE_NAMESPACE``
(default ``test``) and ``AEROSPIKE_CLUSTER_NAME`` (optional), as for our own
test suite. One module, imported by the three harnesses.
"""

from __future__ import annotations

import os
from typing import Any


def hosts() -> str:
    value = os.environ.get("AEROSPIKE_HOSTS", "").strip()
    if not value:
        raise RuntimeError(
            "AEROSPIKE_HOSTS is not set: run the upstream suites with `python3 tasks.py upstream`, "
            "which starts the embedded server (or set AEROSPIKE_HOSTS to a cluster)"
        )
    return value


def namespace() -> str:
    return os.environ.get("AEROSPIKE_NAMESPACE", "").strip() or "test"


def client_config() -> dict[str, Any] | None:
    name = os.environ.get("AEROSPIKE_CLUSTER_NAME", "").strip()
    return {"cluster_name": name} if name else None


def flask_cache_kwargs(set_name: str) -> dict[str, Any]:
    """Keyword arguments of ``aerospike_cache.flask.AerospikeCache``."""
    kwargs: dict[str, Any] = {"hosts": hosts(), "namespace": namespace(), "set_name": set_name}
    if client_config():
        kwargs["client_config"] = client_config()
    return kwargs


def flask_config(set_name: str) -> dict[str, Any]:
    """The same as Flask settings (``Cache(app)``)."""
    config: dict[str, Any] = {
        "CACHE_TYPE": "aerospike_cache.flask.AerospikeCache",
        "CACHE_AEROSPIKE_HOSTS": hosts(),
        "CACHE_AEROSPIKE_NAMESPACE": namespace(),
        "CACHE_AEROSPIKE_SET": set_name,
    }
    if client_config():
        config["CACHE_AEROSPIKE_CLIENT_CONFIG"] = client_config()
    return config


def django_cache(set_name: str) -> dict[str, Any]:
    """One entry of Django's ``CACHES``."""
    options: dict[str, Any] = {"NAMESPACE": namespace(), "SET": set_name}
    if client_config():
        options["CLIENT_CONFIG"] = client_config()
    return {
        "BACKEND": "aerospike_cache.django.AerospikeCache",
        "LOCATION": hosts(),
        "OPTIONS": options,
    }
