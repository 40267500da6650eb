"""The one failure path: answers vs failures, observers, the node, one log limiter."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.errors import CacheOperationError, CacheUnavailable
from aerospike_cache.log import LogLimiter
from aerospike_cache.store import MISSING, AerospikeStore
from aerospike_cache.store.failures import node_of

Seen = list[tuple[str, int | None, str | None, float]]


def watch(store: AerospikeStore) -> Seen:
    seen: Seen = []
    store.add_observer(lambda op, code, node, elapsed: seen.append((op, code, node, elapsed)))
    return seen


def test_observers_see_successes_and_answers(plain_store: AerospikeStore) -> None:
    plain_store.set("k", "v", 60)
    seen = watch(plain_store)
    assert plain_store.get("k") == "v"
    assert plain_store.get("absent") is MISSING
    assert plain_store.add("k", "w", 60) is False
    (op, code, node, elapsed), (op2, code2, node2, _), (op3, code3, _, _) = seen[:3]
    assert (op, code, node) == ("get", 0, None) and elapsed >= 0
    assert (op2, code2) == ("get", 2)  # not found is an answer, with the node that gave it
    assert node2 is None or ":" in node2
    assert (op3, code3) == ("add", 5)


@pytest.mark.embedded_only("fault controls")
def test_observers_see_failures_with_their_code_and_node(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore]
) -> None:
    store = make_faulty()
    store.set("k", "v", 60)
    seen = watch(store)
    embedded_server.fail_next(1, 14)
    with pytest.raises(CacheOperationError):
        store.get("k")
    op, code, node, _ = seen[-1]
    assert (op, code) == ("get", 14)
    assert node == f"{embedded_server.host}:{embedded_server.port}"


@pytest.mark.embedded_only("stops the server")
def test_an_open_circuit_fails_without_a_code(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore]
) -> None:
    store = make_faulty(fail_open=True, breaker_threshold=1, breaker_cooldown=30)
    store.set("k", "v", 60)
    embedded_server.stop()
    seen = watch(store)
    assert store.get("k") is MISSING  # the outage opens the circuit
    assert store.get("k") is MISSING  # refused at once
    assert seen[0][1] is not None and seen[1][1] is None
    with pytest.raises(CacheUnavailable):
        store.check_ttl_writes()  # a startup check says so, whatever fail_open says


@pytest.mark.parametrize(
    ("message", "node"),
    [
        ("127.0.0.1:3000 AEROSPIKE_ERR_RECORD_BUSY", "127.0.0.1:3000"),
        ("Socket write error: 111, 10.0.0.5:3100, 56438", "10.0.0.5:3100"),
        ("[::1]:3000 AEROSPIKE_ERR_TIMEOUT", "[::1]:3000"),
        ("node-a.example:3000 AEROSPIKE_ERR", "node-a.example:3000"),
        ("AEROSPIKE_ERR_TIMEOUT", None),
    ],
)
def test_node_of_reads_the_node_from_the_message(message: str, node: str | None) -> None:
    class Err(Exception):
        msg = message

    assert node_of(Err()) == node


def test_one_log_limiter_per_store(
    plain_store: AerospikeStore, aerospike_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert plain_store.codec._limiter is plain_store.failures.limiter
    key = (plain_store.namespace, plain_store.set_name, "bad")
    aerospike_client.put(key, {"v": b"\xff not a format"})
    with caplog.at_level(logging.WARNING, logger="aerospike_cache"):
        for _ in range(5):
            assert plain_store.get("bad") is MISSING
    assert len([r for r in caplog.records if "treating key" in r.getMessage()]) == 1


def test_the_limiter_lets_one_line_per_kind_through() -> None:
    limiter = LogLimiter(interval=60)
    assert limiter.allow(("get", 14)) is True
    assert limiter.allow(("get", 14)) is False
    assert limiter.allow(("get", 13)) is True
    assert LogLimiter(interval=0).allow("x") is True
