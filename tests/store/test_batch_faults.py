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
from aerospike_helpers.batch.records import BatchRecord

from aerospike_cache.errors import CacheOperationError, CacheUnavailable
from aerospike_cache.store import AerospikeStore

KEYS = ["a", "b", "c"]


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
    assert store.records.entry is not None and store.records.entry.breaker.failures > 0
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


class OneNodeDown:
    """A real client whose batches lose the rows of ``lost`` as when its node is down.

    The client then reports the batch status -10 and leaves those rows at -15
    (no response); the other rows are real answers.
    """

    def __init__(self, client: Any, lost: str) -> None:
        self._client = client
        self._lost = lost

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _partial(self, keys: list[Any], call: Callable[[list[Any]], Any]) -> Any:
        kept = [k for k in keys if k[2] != self._lost]
        result = call(kept)
        rows = iter(result.batch_records)
        lost = BatchRecord(next(k for k in keys if k[2] == self._lost))
        lost.result = -15
        result.batch_records = [lost if k[2] == self._lost else next(rows) for k in keys]
        result.result = -10
        return result

    def batch_read(self, keys: list[Any], *args: Any, **kwargs: Any) -> Any:
        return self._partial(keys, lambda ks: self._client.batch_read(ks, *args, **kwargs))

    def batch_remove(self, keys: list[Any], *args: Any, **kwargs: Any) -> Any:
        return self._partial(keys, lambda ks: self._client.batch_remove(ks, *args, **kwargs))

    def batch_write(self, records: Any, *args: Any, **kwargs: Any) -> Any:
        lost = [r for r in records.batch_records if r.key[2] == self._lost]
        records.batch_records = [r for r in records.batch_records if r.key[2] != self._lost]
        result = self._client.batch_write(records, *args, **kwargs)
        for r in lost:
            r.result = -15
        result.result = -10
        return result


def test_fail_open_keeps_the_rows_of_the_nodes_that_answered(
    aerospike_server: Any, aerospike_set: str, aerospike_client: Any
) -> None:
    ns = aerospike_server.namespace
    seeded = AerospikeStore(client=aerospike_client, namespace=ns, set_name=aerospike_set)
    seeded.set_many(dict.fromkeys(KEYS, 1), 60)
    partial = OneNodeDown(aerospike_client, "b")
    store = AerospikeStore(client=partial, namespace=ns, set_name=aerospike_set, fail_open=True)
    assert store.get_many(KEYS) == {"a": 1, "c": 1}  # b is a miss, a and c are real hits
    assert store.set_many(dict.fromkeys(KEYS, 2), 60) == ["b"]
    assert seeded.get_many(KEYS) == {"a": 2, "b": 1, "c": 2}
    assert store.remove_many(KEYS) == (["a", "c"], ["b"])
    assert seeded.get_many(KEYS) == {"b": 1}
    strict = AerospikeStore(client=partial, namespace=ns, set_name=aerospike_set)
    with pytest.raises(CacheUnavailable):
        strict.get_many(KEYS)
