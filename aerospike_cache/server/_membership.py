"""Membership of an embedded cluster: who is up, the partition map, generations.

Like a real cluster, a lost node changes nothing for ``heartbeat_timeout``
seconds; then the survivors re-form: a new partition map over the live nodes,
new generations and cluster key. A node that comes back re-forms at once.
The nodes share one in-process store, so "migration" is instant; what a real
cluster loses (every partition whose holders are all down) is deleted.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Sequence

from . import _protocol as p
from ._engine import Namespace
from ._node import Node
from ._partitions import PROXY, RC_PARTITION_UNAVAILABLE, SERVE, PartitionMap, Peer

#: how long a write waits for a lost copy when the command carries no timeout
_UNBOUNDED_WAIT_S = 30.0


def _new_key() -> str:
    return os.urandom(6).hex().upper()


def drop_partitions(storage: Iterable[Namespace], pids: set[int]) -> int:
    """Delete every record of the partitions ``pids``; returns how many went."""
    dropped = 0
    for ns in storage:
        with ns.lock:
            gone = [d for d in ns.records if p.partition_id(d) in pids]
            for d in gone:
                ns.data_used_bytes -= ns.records.pop(d).size
            ns.index.discard_partitions(pids)
            dropped += len(gone)
    return dropped


class Membership:
    """Shared state of the cluster's nodes (thread-safe)."""

    def __init__(
        self,
        order: Sequence[str],
        replication_factor: int,
        heartbeat_timeout: float,
    ) -> None:
        self.order = tuple(order)
        #: name -> the node (for its current address); filled by the cluster
        self.nodes: dict[str, Node] = {}
        self.configured_replication_factor = replication_factor
        self.heartbeat_timeout = heartbeat_timeout
        self._cond = threading.Condition()
        self._down_since: dict[str, float] = {}  # killed nodes: since when
        self._lost: set[str] = set()  # killed nodes the survivors have noticed
        self.map = PartitionMap.assign(self.order, self.order, replication_factor)
        self.partition_generation = 1
        self.peers_generation = 1
        self.key = _new_key()
        self.alumni: set[str] = set(self.order)

    def is_up(self, name: str) -> bool:
        return name not in self._down_since

    def node_down(self, name: str, storage: Iterable[Namespace]) -> None:
        """``name`` is lost: partitions it held alone lose their records now.

        The survivors notice after ``heartbeat_timeout`` seconds and re-form.
        """
        with self._cond:
            if name in self._down_since:
                return
            since = self._down_since[name] = time.monotonic()
            lost = {
                pid
                for pid, owners in enumerate(self.map.owners)
                if owners and all(o in self._down_since for o in owners)
            }
        drop_partitions(storage, lost)
        timer = threading.Timer(self.heartbeat_timeout, self._detected, (name, since))
        timer.daemon = True
        timer.start()

    def _detected(self, name: str, since: float) -> None:
        with self._cond:
            if self._down_since.get(name) != since:
                return  # back (or lost again) in the meantime
            self._lost.add(name)
            self._reform()

    def node_up(self, name: str) -> None:
        """``name`` is back (empty): it rejoins, its partitions migrate back.

        Always a new cluster (new generations), even when the node came back
        before the others noticed it was gone: it is a new, empty node.
        """
        with self._cond:
            self._down_since.pop(name, None)
            self._lost.discard(name)
            self._reform(force=True)

    def _reform(self, force: bool = False) -> None:
        """Re-form over every node not detected as lost (call with the lock held)."""
        members = [name for name in self.order if name not in self._lost]
        if tuple(members) == self.map.members and not force:
            return
        self.map = PartitionMap.assign(self.order, members, self.configured_replication_factor)
        self.alumni.update(members)
        self.partition_generation += 1
        self.peers_generation += 1
        self.key = _new_key()
        self._cond.notify_all()

    def route(self, name: str, pid: int, write: bool, timeout_ms: int) -> int:
        """SERVE, PROXY, or a result code, for a command on ``pid`` received by ``name``.

        Reads are served by any holder (a replica has everything), otherwise
        proxied to a live master. A write needs its master and every replica:
        while one is lost (before the re-form) it waits, and answers a timeout
        when the command's time is up.
        """
        wait = timeout_ms / 1000 if timeout_ms else _UNBOUNDED_WAIT_S
        deadline = time.monotonic() + wait
        with self._cond:
            while True:
                if name in self._down_since:
                    return p.RC_TIMEOUT  # killed meanwhile: nothing applies, nobody hears
                owners = self.map.owners[pid]
                if not owners:
                    return RC_PARTITION_UNAVAILABLE
                verdict = SERVE if (owners[0] == name if write else name in owners) else PROXY
                needed = owners if write else (name,) if verdict == SERVE else owners[:1]
                if not any(o in self._down_since for o in needed):
                    return verdict
                left = deadline - time.monotonic()
                if left <= 0:
                    return p.RC_TIMEOUT
                self._cond.wait(left)

    def peers(self, name: str) -> list[Peer]:
        return [self._peer(n) for n in self.map.members if n != name]

    def alumni_of(self, name: str) -> list[Peer]:
        return [self._peer(n) for n in self.order if n != name and n in self.alumni]

    def _peer(self, name: str) -> Peer:
        node = self.nodes[name]
        return Peer(name, node.advertised_host, node.port)


class MemberView:
    """One node's :class:`~._partitions.ClusterView` of a :class:`Membership`."""

    def __init__(self, membership: Membership, name: str) -> None:
        self._m = membership
        self._name = name

    @property
    def key(self) -> str:
        return self._m.key

    def size(self) -> int:
        return len(self._m.map.members)

    def replication_factor(self) -> int:
        return self._m.map.replication_factor

    def partition_generation(self) -> int:
        return self._m.partition_generation

    def peers_generation(self) -> int:
        return self._m.peers_generation

    def peers(self) -> list[Peer]:
        return self._m.peers(self._name)

    def alumni(self) -> list[Peer]:
        return self._m.alumni_of(self._name)

    def bitmaps(self) -> list[str]:
        return self._m.map.bitmaps(self._name)

    def role(self, pid: int) -> int:
        return self._m.map.role(self._name, pid)

    def route(self, pid: int, write: bool, timeout_ms: int) -> int:
        return self._m.route(self._name, pid, write, timeout_ms)
