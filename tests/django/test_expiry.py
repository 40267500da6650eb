"""Exact expiry through Django's contract: timeouts to the millisecond, fractions honoured.

The store's clock is moved by hand (``clock``); one test sleeps in real time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.clock import FakeClock


@pytest.fixture
def clock(aerospike_cache: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    fake = FakeClock()
    monkeypatch.setattr(aerospike_cache.store, "clock", fake)  # the store is shared: restored
    yield fake


READS = {
    "get": lambda c, k: c.get(k, "miss") != "miss",
    "get_many": lambda c, k: k in c.get_many([k]),
    "has_key": lambda c, k: c.has_key(k),
    "ttl": lambda c, k: c.ttl(k) != 0,
    "iter_keys": lambda c, k: k in c.keys("*"),
    "aget": lambda c, k: asyncio.run(c.aget(k, "miss")) != "miss",
    "aget_many": lambda c, k: k in asyncio.run(c.aget_many([k])),
    "ahas_key": lambda c, k: asyncio.run(c.ahas_key(k)),
}


@pytest.mark.parametrize("read", sorted(READS))
def test_a_fractional_timeout_expires_to_the_millisecond(
    aerospike_cache: Any, clock: FakeClock, read: str
) -> None:
    aerospike_cache.set("k", "v", timeout=0.5)
    clock.advance(0.499)
    assert READS[read](aerospike_cache, "k") is True
    clock.advance(0.001)
    assert READS[read](aerospike_cache, "k") is False


def test_writes_see_an_expired_entry_as_absent(aerospike_cache: Any, clock: FakeClock) -> None:
    cache = aerospike_cache
    cache.set_many({"n": 1, "t": "v", "p": "v", "a": "old", "g": "old"}, timeout=1)
    clock.advance(1)
    with pytest.raises(ValueError):
        cache.incr("n")  # an increment never revives an expired entry
    with pytest.raises(ValueError):
        asyncio.run(cache.aincr("n"))
    assert cache.touch("t", 60) is False
    assert cache.expire("t", 60) is False
    assert cache.persist("p") is False
    assert asyncio.run(cache.atouch("p", 60)) is False
    assert cache.add("a", "new", 60) is True
    assert cache.get("a") == "new"
    assert cache.get_or_set("g", "computed", 60) == "computed"
    assert cache.delete_pattern("*") == 2  # a and g; the expired ones are not listed


def test_a_sub_second_timeout_in_real_time(aerospike_cache: Any) -> None:
    aerospike_cache.set("k", "v", timeout=0.3)
    assert aerospike_cache.get("k") == "v"
    time.sleep(0.35)
    assert aerospike_cache.get("k") is None
