"""Info protocol (reference sections 2, 3 and 8): the commands clients and tools use."""

from __future__ import annotations

import base64
import logging
import re
import time
from typing import Any

import pytest
from aerospike import exception as ex

from aerospike_cache.server import EmbeddedServer

from . import _wire

CITRUSLEAF_EPOCH = 1262304000


def _value(client: Any, command: str) -> str:
    raw = client.info_random_node(command)
    name, _, value = raw.partition("\t")
    assert name == command
    return value.rstrip("\n")


def test_namespaces_lists_the_test_namespace(client: Any, aerospike_server: Any) -> None:
    assert aerospike_server.namespace in _value(client, "namespaces").split(";")


def _pairs(value: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in value.split(";") if "=" in item)


def test_namespace_info_fields(client: Any, aerospike_server: Any) -> None:
    pairs = _pairs(_value(client, f"namespace/{aerospike_server.namespace}"))
    for name in (
        "objects",
        "ns_cluster_size",
        "replication-factor",
        "current_time",
        "truncate_lut",
        "nsup-period",
        "default-ttl",
        "max-record-size",
        "default-read-touch-ttl-pct",
    ):
        assert int(pairs[name]) >= 0, name
    for name in ("stop_writes", "allow-ttl-without-nsup", "strong-consistency"):
        assert pairs[name] in ("true", "false"), name
    assert int(pairs["ns_cluster_size"]) >= 1
    assert int(pairs["replication-factor"]) >= 1
    # current_time: seconds since 2010-01-01 (the margin covers some clock skew)
    assert abs(int(pairs["current_time"]) - (time.time() - CITRUSLEAF_EPOCH)) < 600


def test_namespace_objects_counts_records(client: Any, ns: str, aerospike_set: str) -> None:
    def objects() -> int:
        answers = client.info_all(f"namespace/{ns}")
        return sum(int(_pairs(v.strip().split("\t")[-1])["objects"]) for _e, v in answers.values())

    client.put((ns, aerospike_set, "o"), {"a": 1})
    assert objects() >= 1


def test_unknown_namespace_info(client: Any) -> None:
    assert _value(client, "namespace/no_such_namespace") == "type=unknown"


def test_build_is_a_modern_version(client: Any) -> None:
    build = _value(client, "build")
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.\d+)?(-.*)?", build)
    assert tuple(int(x) for x in build.split("-")[0].split(".")[:2]) >= (6, 0)


def test_node_and_generations(client: Any) -> None:
    node = _value(client, "node")
    assert node and _value(client, "node") == node
    for command in ("partition-generation", "peers-generation", "rebalance-generation"):
        assert int(_value(client, command)) >= 0


def test_replicas_format(client: Any, aerospike_server: Any) -> None:
    value = _value(client, "replicas")
    assert not value.endswith(";")
    entries = dict(e.split(":", 1) for e in value.split(";"))
    assert set(_value(client, "namespaces").split(";")) <= set(entries)
    regime, n_replicas, *maps = entries[aerospike_server.namespace].split(",")
    assert int(regime) >= 0 and int(n_replicas) >= 1
    assert all(len(m) == 684 and len(base64.b64decode(m)) == 512 for m in maps)


def test_replicas_masters_cover_every_partition(client: Any, ns: str) -> None:
    owned = bytearray(512)
    for _node, (_err, raw) in client.info_all("replicas").items():
        value = raw.strip().split("\t")[-1]
        entry = dict(e.split(":", 1) for e in value.split(";"))[ns]
        master = base64.b64decode(entry.split(",")[2])
        owned = bytearray(a | b for a, b in zip(owned, master, strict=True))
    assert owned == b"\xff" * 512


def test_peers(client: Any) -> None:
    peers = _value(client, "peers-clear-std")
    assert re.fullmatch(r"\d+,\d*,\[.*\]", peers)
    # its generation is the peers-generation
    assert peers.split(",")[0] == _value(client, "peers-generation")
    assert re.fullmatch(r"\d+,\d*,\[.*\]", _value(client, "peers-clear-alt"))


@pytest.mark.parametrize("command", ["peers-tls-std", "peers-tls-alt"])
def test_tls_peers_by_edition(client: Any, edition: str, command: str) -> None:
    """Community refuses the TLS peer lists (``ee_only``); Enterprise lists them."""
    if edition == "community":
        with pytest.raises(ex.AerospikeError) as info:
            client.info_random_node(command)
        assert info.value.code == 25
    else:
        assert re.fullmatch(r"\d+,\d*,\[.*\]", _value(client, command))


@pytest.mark.embedded_only("an Enterprise edition server")
def test_an_enterprise_server_lists_tls_peers() -> None:
    with EmbeddedServer(edition="enterprise") as server:
        answer = _wire.info(server.host, server.port, "peers-tls-std", "edition")
    assert re.search(r"peers-tls-std\t\d+,\d*,\[.*\]", answer)
    assert "Enterprise" in answer


@pytest.mark.embedded_only("it answers the address the client used; a real node its access-address")
def test_service_is_the_address_the_client_used(client: Any, aerospike_server: Any) -> None:
    assert _value(client, "service-clear-std") == (
        f"{aerospike_server.host}:{aerospike_server.port}"
    )


def test_statistics_sets_version(client: Any, ns: str, aerospike_set: str) -> None:
    client.put((ns, aerospike_set, "k"), {"a": 1})
    assert "cluster_size=" in _value(client, "statistics")
    assert f"set={aerospike_set}:" in _value(client, "sets")
    assert f"set={aerospike_set}:" in _value(client, f"sets/{ns}")
    assert _value(client, "version")
    assert _value(client, "cluster-name")


def test_info_all(client: Any) -> None:
    answers = client.info_all("build")
    assert answers
    for _node, (error, value) in answers.items():
        assert error is None
        assert re.match(r"\d+\.\d+", value.strip())


def test_unknown_command_is_an_error_not_silence(aerospike_server: Any) -> None:
    answer = _wire.info(aerospike_server.host, aerospike_server.port, "no-such-command-xyz")
    assert answer.startswith("no-such-command-xyz\tERROR")
    assert answer.endswith("\n")


@pytest.mark.embedded_only("the embedded server's log")
def test_unknown_command_is_logged(caplog: Any) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="aerospike_cache.server"),
        EmbeddedServer() as server,
    ):
        answer = _wire.info(server.host, server.port, "no-such-command-xyz")
        assert server.unknown_info_commands == ["no-such-command-xyz"]
    assert answer == "no-such-command-xyz\tERROR:4:unrecognized command\n"
    assert "no-such-command-xyz" in caplog.text


def test_parameter_lines_are_echoed_exactly(aerospike_server: Any, ns: str) -> None:
    commands = [f"namespace/{ns}", f"sets/{ns}", "namespace/no_such_namespace"]
    answer = _wire.info(aerospike_server.host, aerospike_server.port, *commands)
    lines = answer.rstrip("\n").split("\n")
    assert [line.split("\t", 1)[0] for line in lines] == commands


def test_answers_in_request_order(aerospike_server: Any) -> None:
    commands = ["node", "cluster-name", "build", "partition-generation", "replicas", "namespaces"]
    answer = _wire.info(aerospike_server.host, aerospike_server.port, *commands)
    lines = answer.rstrip("\n").split("\n")
    assert [line.split("\t", 1)[0] for line in lines] == commands


def test_user_agent_set(aerospike_server: Any, client: Any) -> None:
    build = _value(client, "build")
    if tuple(int(x) for x in build.split("-")[0].split(".")[:2]) < (8, 1):
        pytest.skip("user-agent-set exists from server 8.1")
    cmd = "user-agent-set:value=" + base64.b64encode(b"1,python-test,x").decode()
    answer = _wire.info(aerospike_server.host, aerospike_server.port, cmd)
    assert answer == f"{cmd}\tok\n"
