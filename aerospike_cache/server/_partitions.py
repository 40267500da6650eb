"""Partition ownership and peers as one node sees them.

A node asks its :class:`ClusterView` which role it plays for a partition, who
its peers are and which generations to announce. :class:`SingleNode` is the
view of a node alone (it masters all 4096 partitions); the embedded cluster
(:mod:`._cluster`) gives each of its nodes a view of the shared map.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from . import _protocol as p

#: regime announced in ``replicas`` (0 = AP namespaces; strong consistency is not emulated)
REGIME = 0

#: a command's routing verdict: serve it here
SERVE = 0


def bitmap(pids: Sequence[bool]) -> str:
    """Base64 of a 4096-bit partition bitmap (bit 7 of byte 0 = partition 0)."""
    out = bytearray(p.N_PARTITIONS // 8)
    for pid, owned in enumerate(pids):
        if owned:
            out[pid >> 3] |= 0x80 >> (pid & 7)
    return base64.b64encode(bytes(out)).decode("ascii")


@dataclass(frozen=True)
class Peer:
    """Another node of the cluster, as announced in ``peers-clear-std``."""

    name: str
    host: str
    port: int


class ClusterView(Protocol):
    """One node's view of its cluster (what the info handler and dispatch need)."""

    @property
    def key(self) -> str:
        """The cluster key (``cluster-stable``), hex."""

    def size(self) -> int: ...

    def replication_factor(self) -> int:
        """Effective replication factor (copies of each partition)."""

    def partition_generation(self) -> int: ...

    def peers_generation(self) -> int: ...

    def peers(self) -> list[Peer]:
        """The other live nodes."""

    def alumni(self) -> list[Peer]:
        """Nodes that were ever in the cluster (``services-alumni``), self excluded."""

    def bitmaps(self) -> list[str]:
        """One base64 bitmap per replica index: the partitions this node holds at it."""

    def role(self, pid: int) -> int:
        """0 = master, n = n-th replica, -1 = this node holds no copy."""

    def route(self, pid: int, write: bool, timeout_ms: int) -> int:
        """``SERVE`` or the result code to answer for a command on partition ``pid``.

        May block (a write waiting for a lost replica); ``timeout_ms`` is the
        command's server-side timeout (0 = none).
        """


class SingleNode:
    """A node alone: it masters every partition; no peers; generations stay 1."""

    def __init__(self) -> None:
        self._key = os.urandom(6).hex().upper()
        self._bitmaps = [bitmap([True] * p.N_PARTITIONS)]

    @property
    def key(self) -> str:
        return self._key

    def size(self) -> int:
        return 1

    def replication_factor(self) -> int:
        return 1

    def partition_generation(self) -> int:
        return 1

    def peers_generation(self) -> int:
        return 1

    def peers(self) -> list[Peer]:
        return []

    def alumni(self) -> list[Peer]:
        return []

    def bitmaps(self) -> list[str]:
        return self._bitmaps

    def role(self, pid: int) -> int:
        return 0

    def route(self, pid: int, write: bool, timeout_ms: int) -> int:
        return SERVE
