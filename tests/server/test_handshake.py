"""Connecting and tending: no info command may go unanswered."""

from __future__ import annotations

import time
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex

from aerospike_cache.server import EmbeddedServer


@pytest.mark.parametrize("cluster_name", [None, "aerospike-cache-test"])
def test_client_handshake_uses_only_known_info_commands(cluster_name: str | None) -> None:
    with EmbeddedServer(cluster_name=cluster_name) as server:
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
        assert server.counters["info"] >= 4


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
    with pytest.raises(ex.ClientError) as info:
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
