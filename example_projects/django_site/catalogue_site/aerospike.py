"""Where the cache lives: a real cluster if AEROSPIKE_HOSTS says so, else an embedded server.

``AEROSPIKE_HOSTS`` ("host:port[,host:port]") and ``AEROSPIKE_NAMESPACE``
(default ``cache``) point the site at an Aerospike cluster. Without them the
site starts the embedded, Aerospike-compatible server of ``aerospike_cache``
in this process (on a free port, or ``AEROSPIKE_EMBEDDED_PORT``) and exports
its address in ``AEROSPIKE_HOSTS``, so that a child process (Django's
autoreloader) uses the same server instead of starting its own.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import Any

_server: Any = None


def location() -> tuple[str, str]:
    """``(LOCATION, NAMESPACE)`` for the cache settings."""
    global _server
    hosts = os.environ.get("AEROSPIKE_HOSTS", "").strip()
    namespace = os.environ.get("AEROSPIKE_NAMESPACE", "").strip() or "cache"
    if hosts:
        return hosts, namespace
    from aerospike_cache.server import EmbeddedServer

    port = int(os.environ.get("AEROSPIKE_EMBEDDED_PORT", "0"))
    _server = EmbeddedServer(host="127.0.0.1", port=port).start()
    atexit.register(_server.stop)
    hosts = f"{_server.host}:{_server.port}"
    os.environ["AEROSPIKE_HOSTS"] = hosts
    os.environ["AEROSPIKE_NAMESPACE"] = namespace
    print(
        f"embedded Aerospike server listening on {hosts} (namespace {namespace})", file=sys.stderr
    )
    return hosts, namespace
