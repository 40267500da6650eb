"""The collections on the Flask backend (``cache.cache``): key_prefix, default_timeout, tags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.errors import CacheUnavailable, WrongTypeError
from aerospike_cache.flask import AerospikeCache


def test_reachable_on_the_flask_cache(make_app: Callable[..., Any]) -> None:
    _app, cache = make_app(CACHE_KEY_PREFIX="app:")
    backend = cache.cache
    assert backend.hset("h", "f", {"v": 1}) == 1
    assert backend.hgetall("h") == {"f": {"v": 1}}
    assert backend.sadd("s", 1, 2) == 2 and backend.smembers("s") == {1, 2}
    assert backend.zadd("z", {"m": 1.5}) == 1 and backend.zrange("z", 0, -1, withscores=True) == [
        ("m", 1.5)
    ]
    assert backend.store.has("app:s")  # key_prefix applied
    assert cache.has("s")


def test_prefix_timeout_tags_and_wrong_type(make_cache: Callable[..., AerospikeCache]) -> None:
    c = make_cache(key_prefix="p:", default_timeout=120)
    other = make_cache(key_prefix="q:")
    c.sadd("s", "a", tags=["t"])
    other.sadd("s", "b")
    assert c.smembers("s") == {"a"} and other.smembers("s") == {"b"}
    assert 115 <= c.ttl("s") <= 120  # created with default_timeout
    forever = make_cache(key_prefix="f:", default_timeout=0)
    forever.hset("h", "f", 1)
    assert forever.ttl("h") is None
    assert c.invalidate_tags("t") == 1 and c.scard("s") == 0
    c.set("plain", 1)
    with pytest.raises(WrongTypeError):
        c.hincrby("plain", "f")
    assert c.get("plain") == 1
    with pytest.raises(TypeError, match="no versions"):
        c.smembers("s", version=2)


async def test_async_forms(make_cache: Callable[..., AerospikeCache]) -> None:
    c = make_cache()
    assert await c.asadd("s", 1) == 1
    assert await c.ascard("s") == 1


@pytest.mark.parametrize("fail_open", [True, False])
def test_outage_fail_open_or_strict(fail_open: bool) -> None:
    c = AerospikeCache(
        hosts="127.0.0.1:1", fail_open=fail_open, timeout_ms=200, connect_timeout_ms=200
    )
    if fail_open:
        assert c.smembers("s") == set() and c.sadd("s", 1) == 0
        assert c.hgetall("h") == {} and c.zrange("z", 0, -1) == []
    else:
        with pytest.raises(CacheUnavailable):
            c.sadd("s", 1)
