"""Info protocol: the commands clients and tools use, answered in request order."""

from __future__ import annotations

import base64
import re
from typing import Any

from . import _wire


def _value(client: Any, command: str) -> str:
    raw = client.info_random_node(command)
    name, _, value = raw.partition("\t")
    assert name == command
    return value.rstrip("\n")


def test_namespaces_lists_the_test_namespace(client: Any, aerospike_server: Any) -> None:
    assert aerospike_server.namespace in _value(client, "namespaces").split(";")


def test_namespace_info_fields(client: Any, aerospike_server: Any) -> None:
    value = _value(client, f"namespace/{aerospike_server.namespace}")
    pairs = dict(item.split("=", 1) for item in value.split(";") if "=" in item)
    for name in ("objects", "nsup-period", "default-ttl", "allow-ttl-without-nsup"):
        assert name in pairs, name
    assert int(pairs["nsup-period"]) >= 0


def test_unknown_namespace_info(client: Any) -> None:
    assert _value(client, "namespace/no_such_namespace") == "type=unknown"


def test_build_is_a_modern_version(client: Any) -> None:
    build = _value(client, "build")
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.\d+)?(-.*)?", build)
    assert tuple(int(x) for x in build.split("-")[0].split(".")[:2]) >= (6, 0)


def test_node_and_generations(client: Any) -> None:
    assert _value(client, "node")
    for command in ("partition-generation", "peers-generation"):
        assert int(_value(client, command)) >= 0


def test_replicas_format(client: Any, aerospike_server: Any) -> None:
    entries = dict(e.split(":", 1) for e in _value(client, "replicas").split(";"))
    assert aerospike_server.namespace in entries
    regime, n_replicas, *maps = entries[aerospike_server.namespace].split(",")
    assert int(regime) >= 0 and int(n_replicas) >= 1
    assert all(len(m) == 684 and len(base64.b64decode(m)) == 512 for m in maps)


def test_peers_and_service(client: Any, aerospike_server: Any) -> None:
    peers = _value(client, "peers-clear-std")
    assert re.fullmatch(r"\d+,\d*,\[.*\]", peers)
    if aerospike_server.embedded is not None:
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
    assert answer.startswith("no-such-command-xyz\t")
    assert "ERROR" in answer or answer.strip().endswith("\t")


def test_answers_in_request_order(aerospike_server: Any) -> None:
    commands = ["node", "cluster-name", "build", "partition-generation", "replicas", "namespaces"]
    answer = _wire.info(aerospike_server.host, aerospike_server.port, *commands)
    lines = answer.rstrip("\n").split("\n")
    assert [line.split("\t", 1)[0] for line in lines] == commands


def test_user_agent_set(aerospike_server: Any) -> None:
    cmd = "user-agent-set:value=" + base64.b64encode(b"1,python-test,x").decode()
    answer = _wire.info(aerospike_server.host, aerospike_server.port, cmd)
    assert answer == f"{cmd}\tok\n"
