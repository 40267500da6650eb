"""Recorded info answers of real Aerospike CE 8.1.2.0 nodes (``tests/fixtures/real-node``).

The parsers of info answers, and the embedded server's own answers, are tested
against these texts rather than against what the embedded server happens to say.
``SINGLE``: one node, namespaces ``cache`` and ``nonsup``, one record in set
``infoset``; ``CLUSTER``: one node of a 2-node cluster, namespace ``test``,
replication factor 2. See the README beside the files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "real-node"


@dataclass(frozen=True)
class Recorded:
    """One node's answers: ``command -> raw text`` (``"command\\tvalue\\n"`` or an exception)."""

    name: str
    namespace: str
    answers: dict[str, str]

    def value(self, command: str) -> str:
        """The value of a successful answer (without the echoed command and newline)."""
        raw = self.answers[command]
        echoed, tab, value = raw.partition("\t")
        assert tab and echoed == command, raw
        return value.rstrip("\n")

    def error(self, command: str) -> int | None:
        """The error code the client raised for ``command`` (``None``: it answered)."""
        match = re.match(r"EXCEPTION \w+ (-?\d+) ", self.answers[command])
        return int(match.group(1)) if match else None


def _load(file: str, name: str, namespace: str) -> Recorded:
    return Recorded(name, namespace, json.loads((FIXTURES / file).read_text()))


SINGLE = _load("info-8.1.2-single-node.json", "single-node", "cache")
CLUSTER = _load("info-8.1.2-rf2-cluster.json", "rf2-cluster", "test")
NODES = (SINGLE, CLUSTER)
