"""The near cache in front of the store: fresh objects, own writes, staleness, fork, expiry."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.store import MISSING, AerospikeStore
from tests.clock import FakeClock
from tests.store.conftest import forks_on_purpose, needs_fork

NEAR = {"max_entries": 100, "ttl": 60.0}


@pytest.fixture
def near_store(make_plain: Callable[..., AerospikeStore]) -> AerospikeStore:
    return make_plain(near_cache=NEAR)


def _near_hits(store: AerospikeStore) -> int:
    return int(store.stats()["near_hits"])


def test_a_hit_is_a_fresh_object_every_time(near_store: AerospikeStore) -> None:
    near_store.set("k", {"items": [1, 2]}, 60)
    first = near_store.get("k")
    first["items"].append(3)  # the caller mutates what it got...
    second = near_store.get("k")
    assert second == {"items": [1, 2]}  # ...and the next reader does not see it
    assert second is not first
    assert _near_hits(near_store) == 1


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (lambda s: s.set("k", "new", 60), "new"),
        (lambda s: s.delete("k"), MISSING),
        (lambda s: s.set_many({"k": "many", "other": 1}, 60), "many"),
        (lambda s: s.delete_many(["k", "other"]), MISSING),
        (lambda s: s.touch("k", 0), MISSING),
        (lambda s: s.remove_if_equal("k", "old"), MISSING),
        (lambda s: s.clear(), MISSING),
        (lambda s: s.set("k", "later", -1), MISSING),
    ],
    ids=["set", "delete", "set_many", "delete_many", "touch", "remove_if_equal", "clear", "gone"],
)
def test_own_writes_are_seen_at_once(
    near_store: AerospikeStore, write: Callable[[AerospikeStore], Any], expected: Any
) -> None:
    near_store.set("k", "old", 60)
    assert near_store.get("k") == "old"
    assert near_store.get("k") == "old"
    assert _near_hits(near_store) == 1  # the second read came from memory
    write(near_store)
    assert near_store.get("k") == expected
    assert near_store.get_many(["k"]) == ({} if expected is MISSING else {"k": expected})


def test_own_increments_are_seen_at_once(near_store: AerospikeStore) -> None:
    near_store.set("n", 1, 60)
    assert near_store.get("n") == 1
    assert near_store.incr("n", 5) == 6
    assert near_store.get("n") == 6


def test_get_many_mixes_memory_and_one_batch(near_store: AerospikeStore) -> None:
    near_store.set_many({"a": 1, "b": 2, "c": 3}, 60)
    assert near_store.get("a") == 1  # now in memory
    assert near_store.get_many(["a", "b", "c", "absent"]) == {"a": 1, "b": 2, "c": 3}
    assert _near_hits(near_store) == 1
    assert near_store.get_many(["a", "b", "c"]) == {"a": 1, "b": 2, "c": 3}
    assert _near_hits(near_store) == 4


async def test_aget_is_served_from_memory(near_store: AerospikeStore) -> None:
    near_store.set("k", "v", 60)
    assert await near_store.aget("k") == "v"
    got = await asyncio.gather(*(near_store.aget("k") for _ in range(5)))
    assert got == ["v"] * 5
    assert _near_hits(near_store) == 5


def test_lru_keeps_at_most_max_entries(make_plain: Callable[..., AerospikeStore]) -> None:
    store = make_plain(near_cache={"max_entries": 2, "ttl": 60.0})
    store.set_many({"a": 1, "b": 2, "c": 3}, 60)
    for key in "abc":
        store.get(key)
    assert store.stats()["near_cache"]["entries"] == 2
    store.get("c")
    store.get("b")
    store.get("a")  # evicted by c: read from the cluster again
    assert _near_hits(store) == 2


def _write_from_another_process(server: Any, set_name: str, key: str, value: str) -> None:
    code = (
        "import sys\n"
        "from aerospike_cache.store import AerospikeStore\n"
        "store = AerospikeStore(sys.argv[1], namespace=sys.argv[2], set_name=sys.argv[3])\n"
        "assert store.set(sys.argv[4], sys.argv[5], 60)\n"
    )
    hosts = ",".join(f"{h[0]}:{h[1]}" for h in server.hosts)
    args = [sys.executable, "-c", code, hosts, server.namespace, set_name, key, value]
    subprocess.run(args, check=True, timeout=60)


def test_another_process_write_is_seen_within_ttl(
    make_plain: Callable[..., AerospikeStore], aerospike_server: Any, aerospike_set: str
) -> None:
    """The contract: a write made elsewhere is served stale for at most ``ttl`` seconds."""
    ttl = 1.0
    store = make_plain(near_cache={"ttl": ttl})
    store.set("shared", "before", 60)
    assert store.get("shared") == "before"
    filled = time.monotonic()
    _write_from_another_process(aerospike_server, aerospike_set, "shared", "after")
    if time.monotonic() - filled < ttl * 0.9:  # the other process started quickly enough
        assert store.get("shared") == "before"  # still within the bound: served from memory
    time.sleep(max(0.0, filled + ttl - time.monotonic()))
    assert store.get("shared") == "after"


def test_never_served_past_the_entrys_exact_deadline(
    make_plain: Callable[..., AerospikeStore],
) -> None:
    store = make_plain(near_cache={"ttl": 60.0})
    clock = FakeClock()
    store.clock = clock
    store.set("short", "v", 1.5)
    assert store.get("short") == "v"  # read from the cluster: now in memory
    clock.advance(1.499)
    assert store.get("short") == "v"
    assert _near_hits(store) == 1
    clock.advance(0.001)
    assert store.get("short") is MISSING  # at the deadline, to the millisecond
    assert _near_hits(store) == 1


@needs_fork
@forks_on_purpose
def test_a_forked_child_starts_with_an_empty_near_cache(
    near_store: AerospikeStore, aerospike_client: Any, aerospike_server: Any, aerospike_set: str
) -> None:
    near_store.set("k", "parent's", 60)
    assert near_store.get("k") == "parent's"  # in the parent's near cache now
    # changed behind the near cache's back, as another process would
    aerospike_client.put((aerospike_server.namespace, aerospike_set, "k"), {"v": 7})
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, repr(near_store.get("k")).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        seen = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert seen == "7"  # the child read the cluster, not the parent's memory
    assert near_store.get("k") == "parent's"  # the parent still serves its entry (within ttl)


def test_without_near_cache_nothing_is_kept(plain_store: AerospikeStore) -> None:
    store = plain_store
    store.set("k", "v", 60)
    assert store.get("k") == "v" and store.get("k") == "v"
    assert store.near is None
    assert store.stats()["near_hits"] == 0 and "near_cache" not in store.stats()
