"""The store under faults: cluster down, slow answers, dropped connections, error codes.

The fault tests need the embedded server's fault controls (the
``embedded_server`` fixture), so they are skipped against a real cluster; the
bad-key tests at the end run against any server.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.errors import (
    CacheOperationError,
    CacheUnavailable,
    NsupError,
)
from aerospike_cache.store import MISSING, AerospikeStore

TIMEOUT_MS = 300


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started


def test_cluster_down_fail_open_then_recovery(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore], caplog: Any
) -> None:
    store = make_faulty(fail_open=True, breaker_cooldown=0.5)
    assert store.set("k", "v", 60)
    embedded_server.stop()
    worst = 0.0
    fast = []
    with caplog.at_level(logging.WARNING, logger="aerospike_cache"):
        for i in range(30):
            result, took = _timed(lambda: store.get("k"))
            assert result is MISSING
            worst = max(worst, took)
            if store.records.entry is not None and store.records.entry.breaker.is_open:
                fast.append(took)
            _, took = _timed(lambda i=i: store.set(f"w{i}", i, 60))
            worst = max(worst, took)
        assert worst < TIMEOUT_MS / 1000 * 3  # bounded by the configured timeout (+ retry)
        assert fast and min(fast) < 0.001  # circuit open: no network wait at all
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1, [r.getMessage() for r in errors]  # once per incident
        embedded_server.start()
        deadline = time.monotonic() + 3.0
        while store.get("k") is MISSING:
            assert time.monotonic() < deadline, "hits not served again within 3 s"
            time.sleep(0.05)
    assert store.get("k") == "v"
    assert "reachable again" in caplog.text


def test_cluster_down_without_fail_open_raises_package_error(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore]
) -> None:
    store = make_faulty()
    store.set("k", "v", 60)
    embedded_server.stop()
    with pytest.raises(CacheUnavailable) as info:
        store.get("k")
    assert info.value.__cause__ is not None  # chained to the client's exception
    embedded_server.start()


def test_slow_server_times_out_within_the_budget(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore], caplog: Any
) -> None:
    store = make_faulty()
    store.set("k", "v", 60)
    embedded_server.set_delay(TIMEOUT_MS * 3)
    try:
        with pytest.raises(CacheUnavailable, match="code 9"):
            _, took = _timed(lambda: store.get("k"))
        open_store = make_faulty(fail_open=True)
        with caplog.at_level(logging.ERROR, logger="aerospike_cache"):
            result, took = _timed(lambda: open_store.get("k"))
        assert result is MISSING
        assert took < TIMEOUT_MS / 1000 * 3
    finally:
        embedded_server.set_delay(0)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (9, CacheUnavailable),
        (14, CacheOperationError),
        (8, CacheOperationError),
        (22, NsupError),
    ],
)
def test_injected_result_codes(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore], code: int, expected: type
) -> None:
    store = make_faulty()
    store.get("warm-up")  # connect and inspect the namespace first
    embedded_server.fail_next(1, code)
    with pytest.raises(expected) as info:
        store.set("k", "v", 60)
    if isinstance(info.value, CacheOperationError):
        assert info.value.code == code
    assert store.set("k", "v", 60) is True  # the next command is answered normally


def test_injected_codes_fail_open_are_logged_with_code(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore], caplog: Any
) -> None:
    store = make_faulty(fail_open=True)
    store.get("warm-up")
    embedded_server.fail_next(1, 14)
    with caplog.at_level(logging.ERROR, logger="aerospike_cache"):
        assert store.set("k", "v", 60) is False
    assert "code 14" in caplog.text
    assert f"{embedded_server.host}:{embedded_server.port}" in caplog.text


def test_connection_dropped_mid_batch(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore]
) -> None:
    store = make_faulty()
    assert store.set_many({f"k{i}": i for i in range(20)}, 60) == []
    embedded_server.drop_next(1)
    # A batch read is idempotent: the client retries it on a fresh connection,
    # or the caller gets a package error; never partial or wrong data.
    try:
        got = store.get_many([f"k{i}" for i in range(20)])
    except CacheUnavailable:
        got = None
    if got is not None:
        assert got == {f"k{i}": i for i in range(20)}
    assert store.get_many([f"k{i}" for i in range(20)]) == {f"k{i}": i for i in range(20)}


def test_eight_threads_incr_exact_total(make_faulty: Callable[..., AerospikeStore]) -> None:
    store = make_faulty(timeout_ms=2000)
    store.set("counter", 0, None)

    def work() -> None:
        for _ in range(1000):
            store.incr("counter", 1)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get("counter") == 8000


def test_eight_threads_racing_add_one_winner(make_faulty: Callable[..., AerospikeStore]) -> None:
    store = make_faulty()
    for round_ in range(10):
        barrier = threading.Barrier(8)
        wins: list[int] = []

        def work(
            n: int, key: str = f"race{round_}", barrier: Any = barrier, wins: list[int] = wins
        ) -> None:
            barrier.wait()
            if store.add(key, n, 60):
                wins.append(n)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1
        assert store.get(f"race{round_}") == wins[0]


def test_injected_forbidden_fail_open_is_logged_with_code_and_node(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore], caplog: Any
) -> None:
    store = make_faulty(fail_open=True)
    store.set("k", "v", 60)
    embedded_server.fail_next(2, 22)
    with caplog.at_level(logging.WARNING, logger="aerospike_cache"):
        assert store.set("k", "new", 60) is False
        assert store.set("k", "new", 60) is False
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors  # the second one falls in the same minute: not repeated
    assert re.search(r"\b22\b", errors[0])
    assert f"{embedded_server.host}:{embedded_server.port}" in errors[0]
    assert store.get("k") == "v"  # refused writes left the old value; the next call works


# These keys reach the server as they are (store level, no frontend in
# between), so they run against a real cluster too.
STRANGE_KEY = "ключ ✓ 漢字 \t\n\r\x01\x1b\x7f " + "x" * 5000


def test_long_key_with_control_characters_round_trips(store: AerospikeStore) -> None:
    assert store.set(STRANGE_KEY, {"v": 1}, 60) is True
    assert store.get(STRANGE_KEY) == {"v": 1}
    assert store.get_many([STRANGE_KEY, "other"]) == {STRANGE_KEY: {"v": 1}}
    assert store.has(STRANGE_KEY)
    assert list(store.keys()) == [STRANGE_KEY]  # the stored user key is exact
    assert store.get(STRANGE_KEY[:-1]) is MISSING  # no prefix collision
    assert store.delete(STRANGE_KEY) is True
    assert store.get(STRANGE_KEY) is MISSING
    assert store.delete(STRANGE_KEY) is False


def test_keys_differing_after_a_nul_do_not_collide(store: AerospikeStore) -> None:
    # the client would cut string keys at the NUL: the store sends such keys as bytes
    assert store.set("nul\x00a", 1, 60) and store.set("nul\x00b", 2, 60)
    assert store.set("nul", 3, 60)
    assert store.get("nul\x00a") == 1
    assert store.get("nul\x00b") == 2
    assert store.get_many(["nul\x00a", "nul\x00b", "nul"]) == {
        "nul\x00a": 1,
        "nul\x00b": 2,
        "nul": 3,
    }
    assert sorted(store.keys("nul*")) == ["nul", "nul\x00a", "nul\x00b"]
    assert store.delete("nul\x00a") is True
    assert store.get("nul\x00b") == 2


def test_unencodable_key_raises_instead_of_crashing(aerospike_server: Any) -> None:
    # In a child process: a crash (the client segfaults on such strings) would
    # take pytest down with it. The store must refuse the key with its own error.
    options: dict[str, Any] = {"namespace": aerospike_server.namespace, "set_name": "strange"}
    if aerospike_server.cluster_name:
        options["client_config"] = {"cluster_name": aerospike_server.cluster_name}
    code = (
        "from aerospike_cache.store import AerospikeStore\n"
        f"store = AerospikeStore({aerospike_server.hosts!r}, **{options!r})\n"
        "from aerospike_cache.errors import InvalidKeyError\n"
        "for call in (lambda: store.get('bad\\ud800'), lambda: store.set('bad\\ud800', 1, 9)):\n"
        "    try:\n"
        "        call()\n"
        "    except InvalidKeyError as exc:\n"
        "        assert 'not valid Unicode' in str(exc), exc\n"
        "    else:\n"
        "        raise SystemExit('no InvalidKeyError')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == 0, (proc.returncode, proc.stderr.decode(errors="replace")[-500:])


def test_a_22_on_a_read_is_not_called_an_nsup_problem(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore]
) -> None:
    store = make_faulty()
    store.get("warm-up")
    embedded_server.fail_next(1, 22)
    with pytest.raises(CacheOperationError) as info:
        store.get("k")
    assert info.value.code == 22 and not isinstance(info.value, NsupError)
    embedded_server.fail_next(1, 22)
    with pytest.raises(NsupError, match="nsup-period"):  # a TTL write: the nsup rule
        store.set("k", "v", 60)
