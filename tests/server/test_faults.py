"""Fault controls of the embedded server (embedded only: ``embedded_server`` fixture)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex
from aerospike_helpers.batch import records as br
from aerospike_helpers.operations import operations as op

from aerospike_cache.server import EmbeddedServer

KEY = ("test", "faults", "k")
NO_RETRY = {"max_retries": 0, "total_timeout": 2000}


@pytest.fixture
def fclient(embedded_server: EmbeddedServer) -> Iterator[Any]:
    client = aerospike.client(embedded_server.config)
    try:
        yield client
    finally:
        client.close()


def _eventually(fn: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except ex.AerospikeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_fail_next_answers_the_code(embedded_server: EmbeddedServer, fclient: Any) -> None:
    fclient.put(KEY, {"a": 1})
    embedded_server.fail_next(2, 14)
    for _ in range(2):
        with pytest.raises(ex.AerospikeError) as info:
            fclient.get(KEY, policy=NO_RETRY)
        assert info.value.code == 14
    assert fclient.get(KEY)[2] == {"a": 1}
    assert embedded_server.counters["failed"] == 2


def test_fail_next_does_not_touch_info(embedded_server: EmbeddedServer, fclient: Any) -> None:
    embedded_server.fail_next(1, 8)
    assert fclient.info_random_node("build")
    with pytest.raises(ex.AerospikeError) as info:
        fclient.put(KEY, {"a": 1}, policy=NO_RETRY)
    assert info.value.code == 8
    assert fclient.exists(KEY)[1] is None


def test_fail_next_on_a_batch(embedded_server: EmbeddedServer, fclient: Any) -> None:
    # the client does not raise for a failed batch: the LAST message's code is the
    # batch's result, and rows without an answer report -15 (no response)
    embedded_server.fail_next(1, 11)
    result = fclient.batch_read([KEY, ("test", "faults", "k2")], policy=NO_RETRY)
    assert result.result == 11
    assert [row.result for row in result.batch_records] == [-15, -15]
    assert embedded_server.counters["failed"] == 1


def test_fail_next_on_a_one_key_batch(embedded_server: EmbeddedServer, fclient: Any) -> None:
    # one key travels as a single-record command: the code lands on its row
    embedded_server.fail_next(1, 11)
    result = fclient.batch_read([KEY], policy=NO_RETRY)
    assert [row.result for row in result.batch_records] == [11]


def test_drop_next_closes_the_connection(embedded_server: EmbeddedServer, fclient: Any) -> None:
    fclient.put(KEY, {"a": 1})
    embedded_server.drop_next(1)
    with pytest.raises(ex.AerospikeError):
        fclient.get(KEY, policy=NO_RETRY)
    assert fclient.get(KEY)[2] == {"a": 1}
    assert embedded_server.counters["dropped"] == 1


def test_drop_mid_batch_write_does_not_apply_it(
    embedded_server: EmbeddedServer, fclient: Any
) -> None:
    embedded_server.drop_next(1)
    batch = br.BatchRecords([br.Write(("test", "faults", i), [op.write("v", i)]) for i in range(5)])
    result = fclient.batch_write(batch, policy_batch=NO_RETRY)
    assert result.result == -10  # connection error
    assert all(row.result == -15 and row.in_doubt for row in result.batch_records)
    rows = fclient.batch_read([("test", "faults", i) for i in range(5)]).batch_records
    assert [r.result for r in rows] == [2] * 5


def test_reads_retry_over_a_dropped_connection(
    embedded_server: EmbeddedServer, fclient: Any
) -> None:
    fclient.put(KEY, {"a": 1})
    embedded_server.drop_next(1)
    assert fclient.get(KEY, policy={"max_retries": 2})[2] == {"a": 1}


def test_delay_causes_timeouts(embedded_server: EmbeddedServer, fclient: Any) -> None:
    fclient.put(KEY, {"a": 1})
    embedded_server.set_delay(300)
    with pytest.raises(ex.TimeoutError):
        fclient.get(KEY, policy={"total_timeout": 100, "socket_timeout": 100, "max_retries": 0})
    embedded_server.set_delay(0)
    assert _eventually(lambda: fclient.get(KEY))[2] == {"a": 1}


def test_drop_connections(embedded_server: EmbeddedServer, fclient: Any) -> None:
    fclient.put(KEY, {"a": 1})
    assert embedded_server.connection_count >= 1
    embedded_server.drop_connections()
    assert _eventually(lambda: fclient.get(KEY))[2] == {"a": 1}


def test_stop_and_start_keeps_data_and_port(embedded_server: EmbeddedServer, fclient: Any) -> None:
    fclient.put(KEY, {"a": 1})
    port = embedded_server.port
    embedded_server.stop()
    with pytest.raises(ex.AerospikeError):
        fclient.get(KEY, policy=NO_RETRY)
    embedded_server.start()
    assert embedded_server.port == port
    assert _eventually(lambda: fclient.get(KEY))[2] == {"a": 1}


def test_restart_without_data(embedded_server: EmbeddedServer, fclient: Any) -> None:
    fclient.put(KEY, {"a": 1})
    embedded_server.restart(keep_data=False)
    assert _eventually(lambda: fclient.exists(KEY))[1] is None


def test_counters(embedded_server: EmbeddedServer, fclient: Any) -> None:
    embedded_server.reset_counters()
    fclient.put(KEY, {"a": 1})
    fclient.get(KEY)
    fclient.exists(KEY)
    fclient.batch_read([KEY, KEY])
    fclient.remove(KEY)
    counters = embedded_server.counters
    assert counters["write"] == 1
    assert counters["read"] == 1
    assert counters["exists"] == 1
    assert counters["batch"] == 1
    assert counters["batch_rows"] == 2
    assert counters["remove"] == 1
    assert embedded_server.command_count == 5
    assert embedded_server.batch_count == 1
    embedded_server.reset_counters()
    assert embedded_server.command_count == 0


def test_in_process_server_controls() -> None:
    with EmbeddedServer() as server:
        client = aerospike.client(server.config)
        try:
            client.put(KEY, {"a": 1})
            server.fail_next(1, 14)
            with pytest.raises(ex.AerospikeError):
                client.get(KEY, policy=NO_RETRY)
            server.stop()
            server.start()
            assert _eventually(lambda: client.get(KEY))[2] == {"a": 1}
            assert server.storage["test"].records
        finally:
            client.close()
