"""``EmbeddedCluster``: several embedded nodes forming one Aerospike cluster.

Each node listens on its own port with its own name and answers the cluster
info commands (peers, generations, ``replicas``) from the shared
:class:`~._membership.Membership`, so the official client discovers every node
from one seed and sends each key to its partition's master.
"""

from __future__ import annotations

from typing import Any

from ._engine import Namespace
from ._faults import Controls
from ._jobs import JobRegistry
from ._membership import Membership, MemberView
from ._node import Node
from ._remote import RemoteControls, RemoteProcess, namespace_args
from ._server import (
    Lifecycle,
    LocalNode,
    NamespacesArg,
    NodeHandle,
    check_edition_name,
    client_config,
    namespaces_from_arg,
    random_node_name,
)

DEFAULT_HEARTBEAT_TIMEOUT = 1.5


class ClusterNode(NodeHandle):
    """One node of an :class:`EmbeddedCluster`: address, name, counters and fault controls."""

    def __init__(self, cluster: EmbeddedCluster, index: int, node: Node) -> None:
        self.cluster = cluster
        self.index = index
        self.node = node
        self.local = LocalNode(node)
        self._controls: Controls = self.local

    @property
    def alive(self) -> bool:
        """False between :meth:`EmbeddedCluster.kill` and :meth:`EmbeddedCluster.restart`."""
        return self.index not in self.cluster.killed

    def kill(self) -> None:
        self.cluster.kill(self)

    def restart(self) -> None:
        self.cluster.restart(self)

    def __repr__(self) -> str:
        state = "up" if self.alive else "killed"
        return f"<ClusterNode {self.index} {self.node_name} {self.host}:{self.port} {state}>"


def _check(nodes: int, replication_factor: int, heartbeat_timeout: float) -> None:
    if nodes < 1:
        raise ValueError(f"nodes must be at least 1, got {nodes}")
    if replication_factor < 1:
        raise ValueError(f"replication_factor must be at least 1, got {replication_factor}")
    if heartbeat_timeout < 0:
        raise ValueError(f"heartbeat_timeout must be >= 0 seconds, got {heartbeat_timeout}")


class EmbeddedCluster(Lifecycle):
    """An in-memory Aerospike cluster of ``nodes`` embedded nodes (tests and demos).

    ``EmbeddedCluster(nodes=3, replication_factor=2, namespaces=None, *,
    host="127.0.0.1", port=0, heartbeat_timeout=1.5, cluster_name=None,
    isolated=False, edition="community")``. With ``port`` > 0, node ``i`` listens on ``port + i``;
    with 0, each on a free port. Partition ``p`` is mastered by node
    ``p mod N`` (replicas: the next nodes); :meth:`kill` a node and after
    ``heartbeat_timeout`` seconds the survivors take its partitions over;
    :meth:`restart` it and it rejoins (empty) and gets its partitions back.
    ``isolated=True`` runs the cluster in a child process (needed when the
    tests call ``client.truncate()``, as for :class:`EmbeddedServer`).
    """

    def __init__(
        self,
        nodes: int = 3,
        replication_factor: int = 2,
        namespaces: NamespacesArg = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        heartbeat_timeout: float = DEFAULT_HEARTBEAT_TIMEOUT,
        cluster_name: str | None = None,
        node_names: list[str] | None = None,
        isolated: bool = False,
        edition: str = "community",
    ) -> None:
        _check(nodes, replication_factor, heartbeat_timeout)
        check_edition_name(edition)
        self.edition = edition
        configs = namespaces_from_arg(namespaces)
        self.namespace_configs = {c.name: c for c in configs}
        self.replication_factor = replication_factor
        self.heartbeat_timeout = heartbeat_timeout
        self.isolated = isolated
        #: the records, shared by every node (in-process only)
        self.storage: dict[str, Namespace] = {c.name: Namespace(c) for c in configs}
        names = node_names or [random_node_name() for _ in range(nodes)]
        if len(names) != nodes or len(set(names)) != nodes:
            raise ValueError(f"node_names must be {nodes} distinct names, got {names}")
        ports = [port + i if port else 0 for i in range(nodes)]
        self.membership = Membership(names, replication_factor, heartbeat_timeout)
        #: index numbers of the killed nodes
        self.killed: set[int] = set()
        self.nodes = [
            ClusterNode(self, i, self._node(name, host, ports[i], cluster_name))
            for i, name in enumerate(names)
        ]
        self._process: RemoteProcess | None = None

    def _node(self, name: str, host: str, port: int, cluster_name: str | None) -> Node:
        view = MemberView(self.membership, name)
        node = Node(
            name,
            self.storage,
            view,
            cluster_name=cluster_name,
            host=host,
            port=port,
            jobs=JobRegistry(),
            edition=self.edition,
        )
        self.membership.nodes[name] = node
        return node

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> EmbeddedCluster:
        """Start every node (in background threads, or in one child process)."""
        if self.isolated:
            if self._process is None:
                self._process = RemoteProcess(self._child_args())
                for node, port in zip(self.nodes, self._process.ports, strict=True):
                    node.node.port = port
                    node._controls = RemoteControls(self._process, node.index)
            return self
        for node in self.nodes:
            if node.alive:
                node.local.start()
        return self

    def _child_args(self) -> list[str]:
        first = self.nodes[0].node
        args = ["--host", first.host, "--port", str(first.port), "--nodes", str(len(self.nodes))]
        args += ["--replication-factor", str(self.replication_factor)]
        args += ["--heartbeat-timeout", str(self.heartbeat_timeout)]
        args += ["--edition", self.edition]
        for node in self.nodes:
            args += ["--node-name", node.node_name]
        if first.cluster_name:
            args += ["--cluster-name", first.cluster_name]
        return args + namespace_args(list(self.namespace_configs.values()))

    def close(self) -> None:
        """Stop every node for good."""
        process, self._process = self._process, None
        if process is not None:
            process.close()
            for node in self.nodes:
                node._controls = node.local
            return
        for node in self.nodes:
            node.local.stop()

    # -- node loss and return ------------------------------------------------------

    def node(self, which: int | str | ClusterNode) -> ClusterNode:
        """A node by index, name or itself."""
        if isinstance(which, ClusterNode):
            return which
        for node in self.nodes:
            if which in (node.index, node.node_name):
                return node
        raise ValueError(f"no node {which!r} in this cluster (0..{len(self.nodes) - 1})")

    def kill(self, which: int | str | ClusterNode) -> None:
        """Lose a node: its connections close, new ones are refused.

        For ``heartbeat_timeout`` seconds nothing else changes (writes needing
        it wait); then the survivors take its partitions over. Partitions it
        held alone (replication factor 1) lose their records.
        """
        node = self.node(which)
        self.killed.add(node.index)
        if self._process is not None:
            self._process.call("kill", node=node.index)
            return
        node.local.kill()
        self.membership.node_down(node.node_name, self.storage.values())

    def restart(self, which: int | str | ClusterNode) -> None:
        """Bring a killed node back on its port: it rejoins and its partitions return.

        A node that is up is killed first (it comes back empty all the same).
        """
        node = self.node(which)
        if node.alive:
            self.kill(node)
        self.killed.discard(node.index)
        if self._process is not None:
            self._process.call("restart", node=node.index)
            return
        node.local.start()
        self.membership.node_up(node.node_name)

    # -- addresses ---------------------------------------------------------------

    @property
    def hosts(self) -> list[tuple[str, int]]:
        """Every node's (host, port); any one of them is enough as a seed."""
        return [(node.host, node.port) for node in self.nodes]

    @property
    def config(self) -> dict[str, Any]:
        """A configuration for ``aerospike.client(...)``."""
        return client_config(self.hosts, self.nodes[0].node.cluster_name)

    @property
    def namespace_names(self) -> list[str]:
        return list(self.namespace_configs)

    def __repr__(self) -> str:
        mode = " isolated" if self.isolated else ""
        return (
            f"<EmbeddedCluster nodes={len(self.nodes)} "
            f"replication_factor={self.replication_factor}{mode} hosts={self.hosts}>"
        )
