"""The near cache on its own: LRU, TTL, max idle, exact deadlines, fills racing writes, fork."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from aerospike_cache.errors import ConfigurationError
from aerospike_cache.store.near import NearCache
from tests.store.conftest import forks_on_purpose, needs_fork


class Clock:
    """A clock the test moves by hand (the application's, or the near cache's timer)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_lru_evicts_the_least_recently_used() -> None:
    near = NearCache(max_entries=3, ttl=60)
    for key in "abc":
        near.put(key, key.encode(), None)
    assert near.get("a") == b"a"  # a is now the most recent
    near.put("d", b"d", None)
    assert near.get("b") is None
    assert [near.get(k) for k in "acd"] == [b"a", b"c", b"d"]
    assert len(near) == 3


def test_ttl_bounds_how_long_an_entry_is_served() -> None:
    timer = Clock()
    near = NearCache(ttl=0.5, timer=timer)
    near.put("k", b"v", None)
    timer.now += 0.499
    assert near.get("k") == b"v"
    timer.now += 0.001
    assert near.get("k") is None
    assert len(near) == 0


def test_max_idle_drops_entries_not_read() -> None:
    timer = Clock()
    near = NearCache(ttl=60, max_idle=0.2, timer=timer)
    near.put("read", b"1", None)
    near.put("idle", b"2", None)
    for _ in range(3):
        timer.now += 0.15
        assert near.get("read") == b"1"  # each read restarts its idle time
    assert near.get("idle") is None


def test_never_served_at_or_past_the_exact_deadline() -> None:
    clock = Clock()
    near = NearCache(ttl=60, clock=clock)
    near.put("k", b"v", clock.now + 1.5)
    clock.now += 1.499
    assert near.get("k") == b"v"
    clock.now += 0.001
    assert near.get("k") is None


def test_a_fill_older_than_an_own_write_is_skipped() -> None:
    near = NearCache(ttl=60)
    token = near.token()  # a read starts...
    near.put("k", b"new", None)  # ...this process writes meanwhile...
    near.fill("k", b"old", None, token)  # ...and the read's older answer arrives
    assert near.get("k") == b"new"
    token = near.token()
    near.drop(["k"])
    near.fill("k", b"old", None, token)
    assert near.get("k") is None
    token = near.token()
    near.put("other", b"x", None)  # a write of another key does not block this fill
    near.fill("k", b"fresh", None, token)
    assert near.get("k") == b"fresh"


def test_drop_all_blocks_every_fill_in_flight() -> None:
    near = NearCache(ttl=60)
    near.put("a", b"1", None)
    token = near.token()
    near.drop_all()
    near.fill("b", b"2", None, token)
    assert (near.get("a"), near.get("b"), len(near)) == (None, None, 0)


def test_threads_share_it_safely() -> None:
    near = NearCache(max_entries=50, ttl=60)

    def work(n: int) -> None:
        for i in range(2000):
            key = f"k{(i * 7 + n) % 80}"
            near.put(key, key.encode(), None)
            assert near.get(key) in (None, key.encode())
            if i % 13 == 0:
                near.drop([key])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))  # re-raises a worker's failure
    assert len(near) <= 50


@needs_fork
@forks_on_purpose
def test_a_forked_child_starts_empty() -> None:
    near = NearCache(ttl=60)
    near.put("k", b"v", None)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what it sees, and that its lock works
        try:
            near.put("mine", b"1", None)
            os.write(write, repr((near.get("k"), near.get("mine"))).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        seen = pipe.read()
    os.waitpid(pid, 0)
    assert seen == repr((None, b"1"))
    assert near.get("k") == b"v"  # the parent keeps its entries


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yes", "must be a dict"),
        ({"size": 10}, "unknown key 'size'"),
        ({"max_entries": 0}, "'max_entries'] must be a whole number >= 1"),
        ({"max_entries": 1.5}, "'max_entries'] must be a whole number >= 1"),
        ({"ttl": 0}, "'ttl'] must be a number of seconds > 0, got 0"),
        ({"ttl": None}, "'ttl'] must be a number of seconds > 0, got None"),
        ({"max_idle": -1}, "'max_idle'] must be a number of seconds > 0 or None"),
        ({"max_idle": True}, "'max_idle'] must be a number of seconds > 0 or None"),
    ],
)
def test_bad_options_say_what_to_change(value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[")):
        NearCache.from_options(value, "NEAR_CACHE")


def test_options_build_it() -> None:
    assert NearCache.from_options(None, "x") is None
    assert NearCache.from_options(False, "x") is None
    near = NearCache.from_options({"max_entries": 5, "max_idle": 2}, "x")
    assert near is not None
    assert (near.max_entries, near.ttl, near.max_idle) == (5, 1.0, 2.0)
    default = NearCache.from_options(True, "x")
    assert default is not None and (default.max_entries, default.ttl) == (10_000, 1.0)
