"""Stampede protection over a real store: once across threads, lock holder death, bounds.

The cross-process cases (50 threads in 4 processes through Django's
``get_or_set`` and a Flask ``@cache.memoize``) are in the frontends' tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from aerospike_cache.errors import ConfigurationError
from aerospike_cache.store import MISSING, AerospikeStore
from aerospike_cache.store.stampede import LOCK_PREFIX, Stampede


@pytest.fixture
def store(aerospike_server: Any, aerospike_set: str) -> AerospikeStore:
    return AerospikeStore(
        aerospike_server.hosts, namespace=aerospike_server.namespace, set_name=aerospike_set
    )


class Computation:
    """A slow computation that counts how often it ran."""

    def __init__(self, value: Any = "computed", seconds: float = 0.2) -> None:
        self.value = value
        self.seconds = seconds
        self.runs = 0
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            self.runs += 1
        time.sleep(self.seconds)
        return self.value


def test_twenty_threads_on_a_cold_key_compute_once(store: AerospikeStore) -> None:
    stampede = Stampede(store, MISSING)
    compute = Computation()
    with ThreadPoolExecutor(20) as pool:
        got = list(pool.map(lambda _: stampede.get_or_set("cold", compute, 60), range(20)))
    assert got == ["computed"] * 20
    assert compute.runs == 1
    assert store.get("cold") == "computed"
    assert not store.has(LOCK_PREFIX + "cold")  # released


async def test_async_callers_compute_once(store: AerospikeStore) -> None:
    stampede = Stampede(store, MISSING)
    compute = Computation(seconds=0.0)
    got = await asyncio.gather(*(stampede.aget_or_set("acold", compute, 60) for _ in range(10)))
    assert got == ["computed"] * 10
    assert compute.runs == 1


def test_a_hit_never_computes(store: AerospikeStore) -> None:
    store.set("warm", "stored", 60)
    compute = Computation()
    assert Stampede(store, MISSING).get_or_set("warm", compute, 60) == "stored"
    assert compute.runs == 0


def test_a_crashed_holder_is_taken_over_after_its_lock_expires(
    aerospike_server: Any, aerospike_set: str, store: AerospikeStore
) -> None:
    """A process takes the lock and dies mid-computation; the next caller computes."""
    holder = (
        "import os, sys\n"
        "from aerospike_cache.store import AerospikeStore, MISSING\n"
        "from aerospike_cache.store.stampede import Stampede\n"
        "store = AerospikeStore(sys.argv[1], namespace=sys.argv[2], set_name=sys.argv[3])\n"
        "Stampede(store, MISSING, lock_ttl=1).get_or_set('crash', lambda: os._exit(3), 60)\n"
    )
    hosts = ",".join(f"{h[0]}:{h[1]}" for h in aerospike_server.hosts)
    args = [sys.executable, "-c", holder, hosts, aerospike_server.namespace, aerospike_set]
    assert subprocess.run(args, timeout=60).returncode == 3
    assert store.has(LOCK_PREFIX + "crash")  # the dead holder's lock is still there
    compute = Computation("taken over", 0.0)
    waiter = Stampede(store, MISSING, lock_ttl=1, wait=30)
    assert waiter.get_or_set("crash", compute, 60) == "taken over"
    assert compute.runs == 1
    assert store.get("crash") == "taken over"


def test_the_wait_is_bounded(store: AerospikeStore) -> None:
    """A holder that takes longer than ``wait``: the waiter computes for itself."""
    assert store.add(LOCK_PREFIX + "slow", "someone else", 60)
    compute = Computation("mine", 0.0)
    assert Stampede(store, MISSING, wait=0.2).get_or_set("slow", compute, 60) == "mine"
    assert compute.runs == 1
    assert store.get(LOCK_PREFIX + "slow") == "someone else"  # not ours to release


def test_a_failing_computation_releases_the_lock(store: AerospikeStore) -> None:
    stampede = Stampede(store, MISSING)

    def boom() -> Any:
        raise RuntimeError("no value")

    with pytest.raises(RuntimeError, match="no value"):
        stampede.get_or_set("fails", boom, 60)
    assert not store.has(LOCK_PREFIX + "fails")
    assert stampede.get_or_set("fails", lambda: "second try", 60) == "second try"


def test_early_recomputation_refreshes_a_hit_once(store: AerospikeStore) -> None:
    # beta so large that any hit with a finite TTL is "about to expire"
    stampede = Stampede(store, MISSING, early_recompute=1e9)
    first = Computation("v1", 0.001)
    assert stampede.get_or_set("hot", first, 60) == "v1"
    second = Computation("v2", 0.001)
    assert stampede.get_or_set("hot", second, 60) == "v1"  # served the current value...
    assert second.runs == 1
    assert store.get("hot") == "v2"  # ...and refreshed it
    never = Computation("v3", 0.001)
    assert Stampede(store, MISSING).get_or_set("hot", never, 60) == "v2"  # beta 0: off
    assert never.runs == 0


def test_early_recomputation_skips_when_another_caller_holds_the_lock(
    store: AerospikeStore,
) -> None:
    stampede = Stampede(store, MISSING, early_recompute=1e9)
    stampede.get_or_set("busy", Computation("v1", 0.001), 60)
    assert store.add(LOCK_PREFIX + "busy", "someone else", 60)
    second = Computation("v2", 0.0)
    assert stampede.get_or_set("busy", second, 60) == "v1"
    assert second.runs == 0


def test_claim_waits_for_the_filler(store: AerospikeStore) -> None:
    """The decorator mode: the first miss claims the key, the next waits for its ``set``."""
    stampede = Stampede(store, MISSING, decorators=True)
    assert stampede.claim("view") is MISSING  # the caller computes
    assert store.has(LOCK_PREFIX + "view")
    with ThreadPoolExecutor(1) as pool:
        waiter = pool.submit(stampede.claim, "view")
        time.sleep(0.05)
        assert not waiter.done()
        store.set("view", "page", 60)
        stampede.filled("view")
        assert waiter.result(timeout=5) == "page"
    assert not store.has(LOCK_PREFIX + "view")


@pytest.mark.embedded_only("stops the server")
def test_fail_open_with_the_cluster_down_every_caller_computes(
    embedded_server: Any, aerospike_set: str
) -> None:
    store = AerospikeStore(
        embedded_server.hosts,
        namespace="test",
        set_name="stampede",
        fail_open=True,
        timeout_ms=200,
        connect_timeout_ms=200,
    )
    store.set("warmup", 1, 60)
    embedded_server.stop()
    compute = Computation("local", 0.0)
    stampede = Stampede(store, MISSING, wait=30)
    assert [stampede.get_or_set("down", compute, 60) for _ in range(3)] == ["local"] * 3
    assert compute.runs == 3  # nothing could be cached or locked
    # and no caller waited: the lock can be neither taken nor seen, so no pause
    steps = stampede._acquire("down")
    kinds = []
    result = None
    with contextlib.suppress(StopIteration):
        while True:
            step = steps.send(result)
            kinds.append(step[0])
            result = step[1](*step[2]) if step[0] == "call" else None
    assert "sleep" not in kinds


@pytest.mark.parametrize(
    ("value", "early", "message"),
    [
        ("on", 0, "must be a dict"),
        ({"ttl": 1}, 0, "unknown key 'ttl'"),
        ({"lock_ttl": 0}, 0, r"\['lock_ttl'\] must be a number of seconds > 0"),
        ({"wait": -1}, 0, r"\['wait'\] must be a number of seconds > 0"),
        ({"decorators": 1}, 0, r"\['decorators'\] must be True or False"),
        (True, -1, "early_recompute must be a number of seconds >= 0"),
    ],
)
def test_bad_options_say_what_to_change(
    store: AerospikeStore, value: Any, early: Any, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Stampede.from_options(store, MISSING, value, early, "STAMPEDE")


def test_options_build_it(store: AerospikeStore) -> None:
    assert Stampede.from_options(store, MISSING, False, 0, "x") is None
    built: Callable[..., Any] = Stampede.from_options
    stampede = built(store, MISSING, {"wait": 2}, 0.5, "x")
    assert (stampede.lock_ttl, stampede.wait, stampede.early_recompute) == (5.0, 2.0, 0.5)
