"""Namespace inspection (``connection.inspect_namespace``) on real nodes' recorded answers."""

from __future__ import annotations

import pytest

from aerospike_cache.connection import ClientEntry, inspect_namespace
from aerospike_cache.errors import ConfigurationError

from .real_node import NODES, SINGLE, Recorded


class Replay:
    """Answers ``info_random_node`` with a recorded answer, with ``edits`` applied to it."""

    def __init__(self, node: Recorded, *edits: tuple[str, str]) -> None:
        self.node = node
        self.edits = edits

    def info_random_node(self, command: str) -> str:
        if command.startswith("namespace/") and command.partition("/")[2] not in (
            self.node.value("namespaces").split(";")
        ):
            command = "namespace/nosuch"
        answer = self.node.answers[command]
        for old, new in self.edits:
            answer = answer.replace(old, new)
        return answer


@pytest.mark.parametrize("node", NODES, ids=lambda n: n.name)
def test_a_namespace_with_nsup_takes_ttls(node: Recorded) -> None:
    entry = ClientEntry({})
    assert inspect_namespace(Replay(node), entry, node.namespace, "h:3000") is False
    info = entry.namespace_info[node.namespace]
    assert info["nsup-period"] == "1"
    assert info["conflict-resolve-writes"] == "false"


NO_NSUP = ("nsup-period=1;", "nsup-period=0;")
ALLOWED = ("allow-ttl-without-nsup=false", "allow-ttl-without-nsup=true")


@pytest.mark.parametrize(
    ("edits", "forbidden"), [((NO_NSUP,), True), ((NO_NSUP, ALLOWED), False)], ids=["no", "allowed"]
)
def test_a_namespace_without_nsup_refuses_ttls(
    edits: tuple[tuple[str, str], ...], forbidden: bool
) -> None:
    replay = Replay(SINGLE, *edits)
    assert inspect_namespace(replay, ClientEntry({}), "cache", "h:3000") is forbidden


@pytest.mark.parametrize("node", NODES, ids=lambda n: n.name)
def test_an_absent_namespace_is_named_with_the_clusters_namespaces(node: Recorded) -> None:
    # a real node answers namespace/<absent> with "type=unknown", not an error
    assert node.value("namespace/nosuch") == "type=unknown"
    names = node.value("namespaces").replace(";", ", ")
    with pytest.raises(ConfigurationError, match=f"its namespaces: {names}"):
        inspect_namespace(Replay(node), ClientEntry({}), "nosuch", "h:3000")
