"""aerospike-flask-cache 0.1.1's methods beyond cachelib's, on our backend.

``get_metadata``, ``is_connected`` and ``close_client``, and configuration
errors that are ``RuntimeError``s, so code written against the predecessor
keeps working after the one-line switch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from aerospike_cache.errors import ConfigurationError
from aerospike_cache.flask import AerospikeCache
from tests.clock import FakeClock

from .conftest import UNSET, predecessor_hosts

NEVER = 0xFFFFFFFF  # the client's ttl of a record that never expires


@pytest.mark.parametrize("prefix", [None, "p:"])
def test_get_metadata(make_cache: Callable[..., AerospikeCache], prefix: str | None) -> None:
    cache = make_cache(key_prefix=prefix)
    assert cache.get_metadata("k") is None
    cache.set("k", "v", timeout=60)
    meta = cache.get_metadata("k")
    assert meta is not None and set(meta) == {"ttl", "gen"}
    assert 58 <= meta["ttl"] <= 60
    cache.set("k", "w", timeout=0)
    assert cache.get_metadata("k") == {"ttl": NEVER, "gen": meta["gen"] + 1}
    cache.delete("k")
    assert cache.get_metadata("k") is None


def test_get_metadata_follows_exact_expiry(
    make_cache: Callable[..., AerospikeCache], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = make_cache()
    clock = FakeClock()
    monkeypatch.setattr(cache.store, "clock", clock)  # the store is shared: restored
    cache.set("k", "v", timeout=10)
    clock.advance(8.5)
    assert cache.get_metadata("k") == {"ttl": 2, "gen": 1}  # seconds left, rounded up
    clock.advance(1.5)
    assert cache.get_metadata("k") is None  # past its deadline: absent, as on every path


def test_close_client_then_next_operation_reconnects(
    make_cache: Callable[..., AerospikeCache],
) -> None:
    cache = make_cache()
    other = make_cache()  # same hosts and configuration: the same store and client
    assert cache.is_connected() is True  # connects on first use, as the predecessor's did at init
    cache.set("k", "v")
    assert cache.close_client() is True
    assert cache.is_connected() is False
    assert cache.close_client() is False  # the second time
    assert other.get("k") == "v"  # the shared client was closed: the next operation reconnects
    assert cache.is_connected() is True  # the same store, connected again
    assert cache.get("k") == "v"


def test_user_client_is_never_closed(
    make_cache: Callable[..., AerospikeCache], aerospike_client: Any
) -> None:
    cache = make_cache(client=aerospike_client)
    cache.set("k", "v")
    assert cache.close_client() is False
    assert aerospike_client.is_connected()
    assert cache.is_connected() is True
    assert cache.get("k") == "v"


def test_is_connected_is_false_when_the_cluster_is_unreachable() -> None:
    cache = AerospikeCache(hosts="127.0.0.1:1", connect_timeout_ms=200, timeout_ms=200)
    assert cache.is_connected() is False
    assert cache.close_client() is False


@pytest.mark.parametrize(
    "config",
    [
        {"CACHE_AEROSPIKE_HOSTS": UNSET},  # neither hosts nor a client
        {"CACHE_AEROSPIKE_NAMESPACE": "n" * 32},  # the predecessor's own length check
        {"CACHE_AEROSPIKE_SET": "s" * 64},
    ],
)
def test_configuration_errors_are_runtime_errors(
    make_app: Callable[..., Any], config: dict[str, Any]
) -> None:
    with pytest.raises(RuntimeError) as raised:
        make_app(**config)
    assert isinstance(raised.value, ConfigurationError)


def _config(server: Any, set_name: str) -> dict[str, Any]:
    """The settings Flask-Caching would hand the factory, without an app to read them from."""
    config = {
        "CACHE_AEROSPIKE_HOSTS": predecessor_hosts(server),
        "CACHE_AEROSPIKE_NAMESPACE": server.namespace,
        "CACHE_AEROSPIKE_SET": set_name,
        "CACHE_DEFAULT_TIMEOUT": 300,
        "CACHE_KEY_PREFIX": "noapp:",
    }
    if server.cluster_name:
        config["CACHE_AEROSPIKE_CLIENT_CONFIG"] = {"cluster_name": server.cluster_name}
    return config


def test_factory_builds_without_an_app(aerospike_server: Any, aerospike_set: str) -> None:
    # The predecessor's suite, and code that builds the backend by hand, pass no app:
    # the backend works and no CLI is registered (there is nothing to register it on).
    cache = AerospikeCache.factory(None, _config(aerospike_server, aerospike_set), [], {})
    assert cache.set("k", "v") is True
    assert cache.get("k") == "v"
    assert cache.key_prefix == "noapp:" and cache.default_timeout == 300


def test_factory_with_an_app_registers_the_cli(aerospike_server: Any, aerospike_set: str) -> None:
    app = Flask(__name__)
    assert "aerospike-cache" not in app.cli.commands
    AerospikeCache.factory(app, _config(aerospike_server, aerospike_set), [], {})
    assert "aerospike-cache" in app.cli.commands


def test_direct_construction_needs_no_app(aerospike_server: Any, aerospike_set: str) -> None:
    cache = AerospikeCache(
        predecessor_hosts(aerospike_server),
        aerospike_server.namespace,
        aerospike_set,
        client_config=(
            {"cluster_name": aerospike_server.cluster_name}
            if aerospike_server.cluster_name
            else None
        ),
    )
    assert cache.add("k", 1) is True
    assert cache.get_many("k", "absent") == [1, None]
