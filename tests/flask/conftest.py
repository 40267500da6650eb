"""Flask test setup: caches on the test server (embedded, or AEROSPIKE_HOSTS)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import pytest
from flask import Flask
from flask_caching import Cache

try:
    from cachelib.serializers import JSONSerializer
except ImportError:  # cachelib < 0.17 (0.14 is the newest for Python 3.10): 0.17's class
    import json
    from typing import IO

    from cachelib.serializers import BaseSerializer

    class JSONSerializer(BaseSerializer):  # type: ignore[no-redef]
        """cachelib 0.17's ``JSONSerializer``, for the cachelib releases without it."""

        def dump(self, value: Any, f: IO[bytes], *args: Any, **kwargs: Any) -> None:
            try:
                f.write(json.dumps(value, *args, **kwargs).encode())
            except (TypeError, ValueError) as e:
                self._warn(e)

        def load(self, f: IO[bytes], *args: Any, **kwargs: Any) -> Any:
            try:
                return json.loads(f.read(), *args, **kwargs)
            except (TypeError, ValueError) as e:
                self._warn(e)
                return None

        def dumps(self, value: Any, *args: Any, **kwargs: Any) -> bytes | None:
            try:
                return json.dumps(value, *args, **kwargs).encode()
            except (TypeError, ValueError) as e:
                self._warn(e)
                return None

        def loads(self, bvalue: str | bytes | bytearray, *args: Any, **kwargs: Any) -> Any:
            try:
                return json.loads(bvalue, *args, **kwargs)
            except (TypeError, ValueError) as e:
                self._warn(e)
                return None


from aerospike_cache.flask import AerospikeCache

CACHE_TYPE = "aerospike_cache.flask.AerospikeCache"

# Python 3.10 gets Flask-Caching 2.4 and cachelib 0.14 (their newer releases need 3.11).
FLASK_CACHING_25 = tuple(map(int, version("flask-caching").split(".")[:2])) >= (2, 5)
CACHELIB_017 = tuple(map(int, version("cachelib").split(".")[:2])) >= (0, 17)
needs_flask_caching_25 = pytest.mark.skipif(
    not FLASK_CACHING_25,
    reason=f"Flask-Caching {version('flask-caching')} has no CACHE_SERIALIZER (added in 2.5)",
)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""Pass ``NAME=UNSET`` to ``make_app`` to leave a setting out of the config."""


def predecessor_hosts(server: Any) -> list[tuple[str, int, None]]:
    """The hosts as aerospike-flask-cache users write them: (host, port, tls_name) tuples."""
    return [(h[0], h[1], None) for h in server.hosts]


class CountingClient:
    """A real ``aerospike`` client that counts the commands sent through it.

    Not a mock: every call goes to the server; this only records which client
    methods the store used, i.e. the round trips a cache call cost.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr) or name.startswith("_") or name in ("is_connected",):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls[name] += 1
            return attr(*args, **kwargs)

        return counted

    def commands(self) -> dict[str, int]:
        """Data commands counted since the last reset (info requests left out)."""
        return {k: v for k, v in self.calls.items() if not k.startswith("info")}

    def reset(self) -> None:
        self.calls.clear()


@pytest.fixture
def make_cache(aerospike_server: Any, aerospike_set: str) -> Callable[..., AerospikeCache]:
    """Build AerospikeCache directly on the test server; keywords as its constructor's."""

    def make(cls: type[AerospikeCache] = AerospikeCache, **kwargs: Any) -> AerospikeCache:
        kwargs.setdefault("namespace", aerospike_server.namespace)
        kwargs.setdefault("set_name", aerospike_set)
        if "client" not in kwargs:
            kwargs.setdefault("hosts", predecessor_hosts(aerospike_server))
            if aerospike_server.cluster_name:
                kwargs.setdefault("client_config", {"cluster_name": aerospike_server.cluster_name})
        return cls(**kwargs)

    return make


@pytest.fixture
def counting_client(aerospike_client: Any) -> CountingClient:
    return CountingClient(aerospike_client)


@pytest.fixture
def make_app(aerospike_server: Any, aerospike_set: str) -> Callable[..., tuple[Flask, Cache]]:
    """A Flask app whose cache is built by ``Cache(app)`` from configuration only."""

    def make(**config: Any) -> tuple[Flask, Cache]:
        app = Flask(__name__)
        app.config.update(
            CACHE_TYPE=CACHE_TYPE,
            CACHE_AEROSPIKE_HOSTS=predecessor_hosts(aerospike_server),
            CACHE_AEROSPIKE_NAMESPACE=aerospike_server.namespace,
            CACHE_AEROSPIKE_SET=aerospike_set,
        )
        if aerospike_server.cluster_name:
            app.config["CACHE_AEROSPIKE_CLIENT_CONFIG"] = {
                "cluster_name": aerospike_server.cluster_name
            }
        app.config.update(config)
        for name, value in config.items():
            if value is UNSET:
                del app.config[name]
        return app, Cache(app)

    return make


# Variants a row does not apply to, by the marker fixture the row asks for. Such
# combinations are deselected at collection (not skipped): they are not gaps.
_NOT_FOR = {
    "aerospike_only": {"reference"},  # cachelib's SimpleCache differs or cannot tell
    "general_serializer": {"serializer", "subclass_serializer"},  # repr/eval: literals only
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        kind = callspec.params.get("kind") if callspec else None
        names = getattr(item, "fixturenames", ())
        if kind is not None and any(kind in _NOT_FOR[n] for n in _NOT_FOR if n in names):
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
