"""An embedded, in-memory, Aerospike-compatible server (standard library only).

The unmodified official ``aerospike`` client talks to it over a real socket::

    from aerospike_cache.server import EmbeddedServer

    with EmbeddedServer(port=0) as server:
        client = aerospike.client(server.config)

See ``docs/server.md`` for the pytest fixtures and the command line.
"""

from ._engine import NamespaceConfig
from ._server import DEFAULT_NAMESPACES, EmbeddedServer

__all__ = ["DEFAULT_NAMESPACES", "EmbeddedServer", "NamespaceConfig"]
