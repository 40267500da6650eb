"""aerospike-flask-cache 0.1.1's methods beyond cachelib's, on our backend.

``get_metadata``, ``is_connected`` and ``close_client``, and configuration
errors that are ``RuntimeError``s, so code written against the predecessor
keeps working after the one-line switch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.errors import ConfigurationError
from aerospike_cache.flask import AerospikeCache
from tests.clock import FakeClock

from .conftest import UNSET

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
