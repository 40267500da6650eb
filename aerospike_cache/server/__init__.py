"""An embedded, in-memory, Aerospike-compatible server (standard library only).

The unmodified official ``aerospike`` client talks to it over a real socket::

    from aerospike_cache.server import EmbeddedCluster, EmbeddedServer

    with EmbeddedServer(port=0) as server:
        client = aerospike.client(server.config)

    with EmbeddedCluster(nodes=3, replication_factor=2) as cluster:
        client = aerospike.client(cluster.config)
        cluster.kill(1)

See ``docs/server.md`` for the pytest fixtures and the command line.
"""

from ._cluster import ClusterNode, EmbeddedCluster
from ._engine import NamespaceConfig
from ._server import DEFAULT_NAMESPACES, EmbeddedServer

__all__ = [
    "DEFAULT_NAMESPACES",
    "ClusterNode",
    "EmbeddedCluster",
    "EmbeddedServer",
    "NamespaceConfig",
]
