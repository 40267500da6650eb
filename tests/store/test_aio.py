"""Async: aget calls coalesced into batches, blocking calls on the shared pool."""

from __future__ import annotations

import asyncio
from typing import Any

from aerospike_cache.errors import InvalidKeyError
from aerospike_cache.store import MISSING, AerospikeStore


async def test_a_bad_key_fails_its_own_aget_only(store: AerospikeStore) -> None:
    store.set("good", 1, 60)
    results = await asyncio.gather(
        store.aget("good"), store.aget(7), store.aget("good"), return_exceptions=True
    )
    assert results[0] == 1 and results[2] == 1
    assert isinstance(results[1], InvalidKeyError)


async def test_agets_of_one_loop_turn_are_one_batch(store: AerospikeStore) -> None:
    store.set_many({"a": 1, "b": 2}, 60)
    calls: list[str] = []
    store.add_observer(lambda op, code, node, elapsed: calls.append(op))
    got = await asyncio.gather(store.aget("a"), store.aget("b"), store.aget("a"), store.aget("c"))
    assert got == [1, 2, 1, MISSING]
    assert calls == ["get_many"]
    calls.clear()
    assert await store.aget("b") == 2  # alone in its turn: a plain get
    assert calls == ["get"]


async def test_run_uses_the_shared_pool(store: AerospikeStore) -> None:
    threads: list[Any] = []

    def where() -> str:
        import threading

        threads.append(threading.current_thread().name)
        return "done"

    assert await store.run(where) == "done"
    assert threads[0].startswith("aerospike-cache")
