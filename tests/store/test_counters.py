"""Counters are Python ints: ``incr`` never wraps at 64 bits.

The server's increment wraps silently, so the store's carries a filter that
refuses a wrap; beyond 64 bits the counter is a blob updated in the client,
generation-checked. Run on every store set-up (``conftest.SETUPS``).
"""

from __future__ import annotations

import threading

import pytest

from aerospike_cache.store import AerospikeStore

MAX = 2**63 - 1
MIN = -(2**63)


@pytest.mark.parametrize(
    ("start", "delta", "want"),
    [
        (MAX, 1, MAX + 1),
        (MAX - 1, 1, MAX),  # the last step that fits stays a server increment
        (MAX, 2, MAX + 2),
        (MIN, -1, MIN - 1),
        (MIN + 1, -1, MIN),
        (MIN, -2, MIN - 2),
        (MAX + 1, -1, MAX),  # back within 64 bits: a server int again
        (MIN - 1, 1, MIN),
        (2**100, 1, 2**100 + 1),
        (0, 2**70, 2**70),  # a delta no server increment can add
        (5, -(2**64), 5 - 2**64),
        (MAX, MIN, -1),
    ],
)
def test_incr_past_64_bits_is_exact(
    store: AerospikeStore, start: int, delta: int, want: int
) -> None:
    assert store.set("n", start, 100)
    assert store.incr("n", delta) == want
    assert store.get("n") == want
    assert type(store.get("n")) is int
    assert 95 <= store.ttl("n") <= 100  # the TTL is kept on either path


def test_a_big_counter_keeps_counting_both_ways(store: AerospikeStore) -> None:
    store.set("n", MAX, None)
    assert [store.incr("n") for _ in range(3)] == [MAX + 1, MAX + 2, MAX + 3]
    assert [store.incr("n", -1) for _ in range(4)] == [MAX + 2, MAX + 1, MAX, MAX - 1]
    assert store.ttl("n") is None
    assert store.get("n") == MAX - 1


def test_big_values_other_than_ints_still_refuse(store: AerospikeStore) -> None:
    for value in ("text", True, 1.5, [1]):
        store.set("x", value, 60)
        with pytest.raises(TypeError):
            store.incr("x", 1)
        assert store.get("x") == value


def test_create_with_a_big_delta(store: AerospikeStore) -> None:
    assert store.incr("c", 2**64, create=True, ttl=60) == 2**64
    assert store.incr("c", 1) == 2**64 + 1
    with pytest.raises(KeyError):
        store.incr("absent", 2**64)


@pytest.mark.parametrize(("start", "step"), [(MAX - 50, 1), (MIN + 50, -1)])
def test_threads_cross_the_boundary_without_losing_a_step(
    store: AerospikeStore, start: int, step: int
) -> None:
    """100 increments from 8 threads across +-2**63: every one counts, none wraps."""
    store.set("n", start, 100)
    seen: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [store.incr("n", step) for _ in range(25)]
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get("n") == start + 100 * step
    assert sorted(seen) == sorted(start + i * step for i in range(1, 101))  # each result once
