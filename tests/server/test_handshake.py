"""Connecting and tending (reference section 3): no info command may go unanswered."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex

from aerospike_cache.server import EmbeddedServer


def _record_info_lines(server: EmbeddedServer) -> list[tuple[str, str]]:
    """(line, answer) of every info line the (in-process) server answers, in order."""
    seen: list[tuple[str, str]] = []
    answer = server._info.answer

    def recording(line: str, local_host: str | None = None) -> str:
        value = answer(line, local_host)
        seen.append((line, value))
        return value

    server._info.answer = recording  # type: ignore[method-assign]
    return seen


def _names(seen: list[tuple[str, str]]) -> set[str]:
    return {line.split(":", 1)[0].split("/", 1)[0] for line, _value in seen}


@pytest.mark.parametrize("cluster_name", [None, "aerospike-cache-test"])
def test_client_handshake_uses_only_known_info_commands(cluster_name: str | None) -> None:
    with EmbeddedServer(cluster_name=cluster_name) as server:
        seen = _record_info_lines(server)
        config: dict[str, Any] = {"hosts": server.hosts}
        if cluster_name:
            config["cluster_name"] = cluster_name
        client = aerospike.client(config)
        try:
            assert client.is_connected()
            client.put(("test", "s", "k"), {"a": 1})
            time.sleep(1.2)  # at least one tend round
            assert client.get(("test", "s", "k"))[2] == {"a": 1}
        finally:
            client.close()
        assert server.unknown_info_commands == []
    names = _names(seen)
    # seed check, user agent (build >= 8.1), peers, partition map, tending
    expected = {"node", "partition-generation", "build", "user-agent-set", "peers-clear-std"}
    expected |= {"replicas", "peers-generation"}
    if cluster_name:
        expected.add("cluster-name")
    assert expected <= names, expected - names
    assert [(line, v) for line, v in seen if v.startswith("ERROR")] == []


def _outbound_address() -> str | None:
    """A non-loopback address of this machine, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent
        except OSError:
            return None
        address: str = sock.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


@pytest.fixture
def any_address_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(host="0.0.0.0") as server:
        yield server


def test_non_loopback_seed_asks_service_clear_std(any_address_server: EmbeddedServer) -> None:
    address = _outbound_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    server = any_address_server
    seen = _record_info_lines(server)
    client = aerospike.client({"hosts": [(address, server.port)]})
    try:
        client.put(("test", "s", "k"), {"a": 1})
        time.sleep(1.2)
        assert client.get(("test", "s", "k"))[2] == {"a": 1}
        asked = [v for line, v in seen if line == "service-clear-std"]
        # the answer is the address the client used
        assert asked and set(asked) == {f"{address}:{server.port}"}
    finally:
        client.close()
    assert server.unknown_info_commands == []


def test_node_name_survives_a_restart() -> None:
    with EmbeddedServer() as server:
        client = aerospike.client(server.config)
        try:
            before = client.info_random_node("node")
            server.restart()
            deadline = time.monotonic() + 5
            while True:
                try:
                    after = client.info_random_node("node")
                    break
                except ex.AerospikeError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            assert after == before
        finally:
            client.close()


def test_wrong_cluster_name_fails_to_connect(aerospike_server: Any) -> None:
    config = dict(aerospike_server.config)
    config["cluster_name"] = "definitely-not-this-cluster"
    with pytest.raises(ex.AerospikeError):
        client = aerospike.client(config)
        client.close()


def test_right_cluster_name_connects(aerospike_server: Any, aerospike_client: Any) -> None:
    name = aerospike_client.info_random_node("cluster-name").split("\t")[1].strip()
    config = dict(aerospike_server.config)
    config["cluster_name"] = name
    client = aerospike.client(config)
    try:
        assert client.is_connected()
    finally:
        client.close()


def test_connect_to_nothing_is_a_connection_error() -> None:
    server = EmbeddedServer()
    server.start()
    port = server.port
    server.close()
    with pytest.raises(ex.ConnectionError) as info:
        aerospike.client({"hosts": [("127.0.0.1", port)], "timeout": 500})
    assert info.value.code == -10


def test_many_clients_at_once(aerospike_server: Any) -> None:
    clients = [aerospike.client(aerospike_server.config) for _ in range(5)]
    try:
        for i, c in enumerate(clients):
            c.put((aerospike_server.namespace, "handshake_many", i), {"i": i})
        for i, c in enumerate(clients):
            assert c.get((aerospike_server.namespace, "handshake_many", i))[2] == {"i": i}
            c.remove((aerospike_server.namespace, "handshake_many", i))
    finally:
        for c in clients:
            c.close()
