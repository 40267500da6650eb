"""``/_probe/``: which worker answered, with which Aerospike client and sockets.

For the deployment tests and the load task (not a page for visitors): under
gunicorn every worker is a process of its own, and each must have its own
client and connections even when it was forked from a master that had
already connected (``--preload``). The answer names the worker (``pid``), its
client (``client``: the object's id in this process) and the inodes of the
TCP sockets this process holds to the Aerospike port(s) (``sockets``; Linux
only, else empty). A forked worker still holds its parent's sockets (never
closed in the child: that would disturb the parent), so the test compares
them with the master's.

``?key=K`` reads K from the cache (``value``); with ``&set=V`` it writes V
first (``timeout`` seconds, default 60); ``?hold=S`` keeps the worker busy S
seconds, so that concurrent probes reach different workers.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse


def probe(request: HttpRequest) -> JsonResponse:
    key = request.GET.get("key")
    answer: dict[str, object] = {"pid": os.getpid(), "backend": settings.CACHE_BACKEND}
    if key is not None:
        if "set" in request.GET:
            cache.set(key, request.GET["set"], float(request.GET.get("timeout", "60")))
        answer["value"] = cache.get(key)
    hold = float(request.GET.get("hold", "0"))
    if hold > 0:
        time.sleep(min(hold, 5.0))
    store = getattr(cache, "store", None)
    if store is not None:
        from aerospike_cache.store.introspection import current_client

        client = current_client(store, connect=True)
        answer["client"] = None if client is None else id(client)
        answer["sockets"] = sorted(aerospike_sockets(os.getpid(), _ports()))
    return JsonResponse(answer)


def _ports() -> set[int]:
    hosts = str(settings.CACHES["default"].get("LOCATION", ""))
    return {int(h.rsplit(":", 1)[1]) for h in hosts.split(",") if ":" in h}


def aerospike_sockets(pid: int, ports: set[int]) -> set[int]:
    """Inodes of the TCP sockets process ``pid`` holds to any of ``ports``."""
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd) if fd.is_symlink() else ""
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:  # not Linux, or the process is gone
        return set()
    found = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            inode = int(fields[9])
            if remote_port in ports and inode in inodes:
                found.add(inode)
    return found
