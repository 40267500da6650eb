"""Batches when the cluster fails: the client returns a status instead of raising.

With a node down, ``batch_read``/``batch_write``/``batch_remove`` return a
batch whose status is -10 and whose rows say -15 (no response); a node that
answers a whole batch with an error gives that code as the status. The store
must treat these as failures (strict: the package's exception; fail-open: a
miss, keys reported failed, the breaker told), never as "absent".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.errors import CacheOperationError, CacheUnavailable
from aerospike_cache.store import AerospikeStore

KEYS = ["a", "b", "c"]


@pytest.fixture
def make_faulty(embedded_server: Any) -> Callable[..., AerospikeStore]:
    def make(**options: Any) -> AerospikeStore:
        options.setdefault("namespace", "test")
        options.setdefault("set_name", "batch_faults")
        options.setdefault("timeout_ms", 300)
        return AerospikeStore([(embedded_server.host, embedded_server.port)], **options)

    return make


def _down(embedded_server: Any, store: AerospikeStore) -> None:
    store.set_many(dict.fromkeys(KEYS, 1), 60)
    embedded_server.stop()


def test_strict_batches_raise_when_the_cluster_is_down(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore]
) -> None:
    store = make_faulty()
    _down(embedded_server, store)
    with pytest.raises(CacheUnavailable):
        store.get_many(KEYS)
    with pytest.raises(CacheUnavailable):
        store.set_many(dict.fromkeys(KEYS, 2), 60)
    with pytest.raises(CacheUnavailable):
        store.remove_many(KEYS)


def test_fail_open_batches_miss_and_report_every_key_failed(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore], caplog: Any
) -> None:
    store = make_faulty(fail_open=True)
    _down(embedded_server, store)
    with caplog.at_level(logging.WARNING, logger="aerospike_cache"):
        assert store.get_many(KEYS) == {}
        assert store.set_many(dict.fromkeys(KEYS, 2), 60) == KEYS
        assert store.remove_many(KEYS) == ([], KEYS)
    assert store._entry is not None and store._entry.breaker.failures > 0
    unavailable = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(unavailable) == 1  # once per incident
    embedded_server.start()
    deadline = time.monotonic() + 3.0  # the breaker probes again within its cooldown
    while (got := store.get_many(KEYS)) == {} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert got == dict.fromkeys(KEYS, 1)  # nothing was lost or changed


@pytest.mark.parametrize("code", [14, 8])
def test_a_batch_answered_with_an_error_code_is_not_read_as_absent(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore], code: int
) -> None:
    store = make_faulty()
    store.set_many(dict.fromkeys(KEYS, 1), 60)
    embedded_server.fail_next(1, code)
    with pytest.raises(CacheOperationError) as info:
        store.get_many(KEYS)
    assert info.value.code == code
    embedded_server.fail_next(1, code)
    with pytest.raises(CacheOperationError):
        store.remove_many(KEYS)
    assert store.get_many(KEYS) == dict.fromkeys(KEYS, 1)
