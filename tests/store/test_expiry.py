"""The store's TTL language mapped onto the wire, and exact expiry on every path.

Most tests drive the store's clock by hand (``clock`` fixture): no real time
passes, so the server never evicts, and what is tested is the store's own
deadline check. One test sleeps just past a sub-second timeout.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.store import MAX_TTL, MISSING, AerospikeStore, wire_ttl
from aerospike_cache.store.expiry import is_gone, meta_ttl
from tests.clock import FakeClock


@pytest.mark.parametrize(
    ("ttl", "wire"),
    [(None, -1), (1, 1), (0.1, 1), (1.5, 2), (MAX_TTL, MAX_TTL), (MAX_TTL * 3, MAX_TTL)],
)
def test_wire_ttl_rounds_up_and_clamps(ttl: float | None, wire: int) -> None:
    assert wire_ttl(ttl) == wire


@pytest.mark.parametrize(("ttl", "gone"), [(None, False), (0.001, False), (0, True), (-5, True)])
def test_zero_or_less_is_gone(ttl: float | None, gone: bool) -> None:
    assert is_gone(ttl) is gone


@pytest.mark.parametrize(
    ("meta", "left"),
    [(None, None), ({"ttl": 42}, 42), ({"ttl": 0xFFFFFFFF}, None), ({"ttl": -1}, None), ({}, None)],
)
def test_meta_ttl_reads_never_expiring_as_none(meta: Any, left: int | None) -> None:
    assert meta_ttl(meta) == left


# -- exact expiry: every path, to the millisecond ------------------------------------

READS: dict[str, Callable[[AerospikeStore, str], bool]] = {
    "get": lambda s, k: s.get(k) is not MISSING,
    "get_many": lambda s, k: k in s.get_many([k, "other"]),
    "get_with_ttl": lambda s, k: s.get_with_ttl(k)[0] is not MISSING,
    "has": lambda s, k: s.has(k),
    "ttl": lambda s, k: s.ttl(k) is not MISSING,
    "keys": lambda s, k: k in list(s.keys()),
    "aget": lambda s, k: asyncio.run(s.aget(k)) is not MISSING,
    "aget_batched": lambda s, k: asyncio.run(_two_agets(s, k)) is not MISSING,
    "remove_if_equal": lambda s, k: s.remove_if_equal(k, "v"),
}


async def _two_agets(store: AerospikeStore, key: str) -> Any:
    value, _ = await asyncio.gather(store.aget(key), store.aget("other"))  # one batch
    return value


@pytest.mark.parametrize("read", sorted(READS))
@pytest.mark.parametrize("ttl", [1.5, 0.5, 0.001])
def test_every_read_misses_from_the_deadline_on(
    store: AerospikeStore, clock: FakeClock, read: str, ttl: float
) -> None:
    store.set("k", "v", ttl)
    store.set("other", "o", None)
    clock.advance(ttl - 0.001)
    assert READS[read](store, "k") is True
    store.set("k", "v", ttl)
    clock.advance(ttl)
    assert READS[read](store, "k") is False


def test_set_many_entries_carry_their_deadline(store: AerospikeStore, clock: FakeClock) -> None:
    store.set_many({"a": 1, "b": "two"}, 0.25)
    clock.advance(0.249)
    assert store.get_many(["a", "b"]) == {"a": 1, "b": "two"}
    clock.advance(0.001)
    assert store.get_many(["a", "b"]) == {}
    assert store.get("a") is MISSING


def test_the_server_ttl_stays_whole_seconds(store: AerospikeStore, raw_client: Any) -> None:
    store.set("k", "v", 1.5)
    _, meta, bins = raw_client.get((store.namespace, store.set_name, "k"))
    assert meta["ttl"] == 2  # ceil(1.5): the server still evicts, never before the deadline
    assert abs(bins["d"] - (time.time() + 1.5) * 1000) < 1000


def test_an_entry_that_never_expires_loses_the_old_deadline(
    store: AerospikeStore, clock: FakeClock, raw_client: Any
) -> None:
    store.set("k", "short", 1)
    store.set("k", "forever", None)
    store.set_many({"m": "short"}, 1)
    store.set_many({"m": "forever", "n": "x"}, None)
    clock.advance(3600)
    assert store.get("k") == "forever" and store.ttl("k") is None
    assert store.get_many(["m"]) == {"m": "forever"}
    _, _, bins = raw_client.get((store.namespace, store.set_name, "k"))
    assert "d" not in bins


def test_ttl_and_get_with_ttl_read_the_deadline(store: AerospikeStore, clock: FakeClock) -> None:
    store.set("k", "v", 100)
    assert store.ttl("k") == 100
    clock.advance(40.5)
    assert store.ttl("k") == 60  # 59.5 left, rounded up like Aerospike's TTL
    value, left = store.get_with_ttl("k")
    assert value == "v" and left == pytest.approx(59.5, abs=0.002)


def test_move_keeps_the_deadline_to_the_millisecond(
    store: AerospikeStore, clock: FakeClock
) -> None:
    store.set("old", "v", 10)
    clock.advance(4)
    assert store.move("old", "new") is True
    clock.advance(5.998)
    assert store.get("new") == "v"
    clock.advance(0.002)
    assert store.get("new") is MISSING


def test_add_takes_over_an_expired_entry(store: AerospikeStore, clock: FakeClock) -> None:
    store.set("k", "old", 1)
    assert store.add("k", "new", 10) is False  # live
    clock.advance(1)
    assert store.add("k", "new", 10) is True  # expired, not evicted yet: absent for add
    assert store.get("k") == "new" and store.ttl("k") == 10
    assert store.add("k", "newer", 10) is False


def test_one_winner_among_adds_racing_on_an_expired_entry(
    store: AerospikeStore, clock: FakeClock
) -> None:
    store.set("k", "old", 1)
    clock.advance(2)
    results = _race(8, lambda i: store.add("k", f"v{i}", 60))
    assert sorted(results).count(True) == 1
    assert store.get("k") == f"v{results.index(True)}"


def test_incr_never_revives_an_expired_entry(
    store: AerospikeStore, clock: FakeClock, raw_client: Any
) -> None:
    store.set("n", 5, 1)
    key = (store.namespace, store.set_name, "n")
    before = raw_client.get(key)[2]["d"]
    clock.advance(1)
    with pytest.raises(KeyError):
        store.incr("n", 1)
    assert raw_client.get(key)[2]["d"] == before  # the deadline is not extended
    assert store.get("n") is MISSING and store.has("n") is False
    assert store.incr("n", 3, create=True, ttl=10) == 3  # created anew, new deadline
    assert store.ttl("n") == 10


def test_increments_stay_exact_under_threads(store: AerospikeStore, clock: FakeClock) -> None:
    store.set("live", 0, 60)
    _race(8, lambda i: [store.incr("live", 1) for _ in range(25)])
    assert store.get("live") == 200
    store.set("dead", 1000, 1)
    clock.advance(1)  # expired: the first creator replaces it, everyone else adds to theirs
    _race(8, lambda i: [store.incr("dead", 1, create=True, ttl=60) for _ in range(25)])
    assert store.get("dead") == 200


@pytest.mark.parametrize("ttl", [30, None])
def test_touch_is_false_on_an_expired_entry(
    store: AerospikeStore, clock: FakeClock, ttl: float | None
) -> None:
    store.set("k", "v", 1)
    clock.advance(0.5)
    assert store.touch("k", ttl) is True  # live: a new deadline (or none)
    assert store.ttl("k") == ttl
    store.set("gone", "v", 1)
    clock.advance(1)
    assert store.touch("gone", ttl) is False
    assert store.get("gone") is MISSING


def test_persist_removes_the_deadline(store: AerospikeStore, clock: FakeClock) -> None:
    store.set("k", "v", 1)
    assert store.touch("k", None) is True
    clock.advance(3600)
    assert store.get("k") == "v" and store.ttl("k") is None


@pytest.mark.parametrize("skew", [0.75, -0.75])
def test_clock_skew_shifts_expiry_by_the_skew(
    make_store: Callable[..., AerospikeStore], skew: float
) -> None:
    now = time.time()
    writer, reader = make_store(), make_store()
    writer.clock = FakeClock(now + skew)  # an application server whose clock is off by skew
    reader_clock = reader.clock = FakeClock(now)
    writer.set("k", "v", 2)
    reader_clock.advance(2 + skew - 0.001)
    assert reader.get("k") == "v"
    reader_clock.advance(0.001)
    assert reader.get("k") is MISSING  # expires exactly skew later (or earlier)


def test_entries_written_before_exact_expiry_keep_working(
    store: AerospikeStore, clock: FakeClock, raw_client: Any
) -> None:
    key = (store.namespace, store.set_name, "legacy")
    blob = store.codec.encode("legacy", {"old": True})
    raw_client.put(key, {"v": blob}, None, {"ttl": 100, "key": 1})  # no deadline bin
    clock.advance(3600)  # only the server's TTL applies
    assert store.get("legacy") == {"old": True}
    assert store.has("legacy") and 95 <= store.ttl("legacy") <= 100
    assert store.add("legacy", "new", 10) is False
    assert store.touch("legacy", 50) is True and store.ttl("legacy") == 50


def test_a_sub_second_timeout_in_real_time(store: AerospikeStore) -> None:
    store.set("k", "v", 0.3)
    assert store.get("k") == "v"
    time.sleep(0.35)
    assert store.get("k") is MISSING


def _race(n: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
