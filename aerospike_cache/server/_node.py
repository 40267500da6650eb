"""What the request dispatch and the info handler see of one node."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ._engine import Namespace
from ._faults import Faults
from ._partitions import ClusterView, SingleNode

if TYPE_CHECKING:
    from ._dispatch import ParsedMsg

log = logging.getLogger("aerospike_cache.server")


class Counters:
    """Commands served per kind (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def add(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self._counts[kind] = self._counts.get(kind, 0) + n

    def add_many(self, counts: Mapping[str, int]) -> None:
        with self._lock:
            c = self._counts
            for kind, n in counts.items():
                if n:
                    c[kind] = c.get(kind, 0) + n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class Jobs(Protocol):
    """Seam for background scan/query jobs (write ops over matching records)."""

    def start(self, node: Node, msg: ParsedMsg) -> bytes:
        """Start a job for ``msg`` and return the answer frame."""

    def show(self, trid: int) -> str | None:
        """A job's ``query-show`` line; None when this node does not know the job."""

    def show_all(self) -> str:
        """Every job's ``query-show`` line, ``;``-separated (``query-show`` without an id)."""


def _no_connections() -> int:
    return 0


@dataclass(eq=False)
class Node:
    """One node's state: its name, storage, cluster view, counters and faults."""

    name: str
    storage: dict[str, Namespace]
    cluster: ClusterView = field(default_factory=SingleNode)
    cluster_name: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    counters: Counters = field(default_factory=Counters)
    faults: Faults = field(default_factory=Faults)
    started_at: float = field(default_factory=time.monotonic)
    #: number of open client connections (set by the socket server)
    connections: Callable[[], int] = _no_connections
    #: background jobs; None = answered "unsupported"
    jobs: Jobs | None = None
    #: "community" refuses Enterprise features with 25, as a Community node does
    edition: str = "community"
    unknown_info: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def enterprise(self) -> bool:
        return self.edition == "enterprise"

    @property
    def advertised_host(self) -> str:
        if self.host in ("0.0.0.0", "", "::"):
            return "127.0.0.1"
        return self.host

    def record_unknown_info(self, line: str) -> None:
        with self._lock:
            self.unknown_info.append(line)
        log.warning("unrecognized info command: %r", line)

    def record_unsupported(self, what: str) -> None:
        with self._lock:
            self.unsupported.append(what)
        self.counters.add("unsupported")
        log.warning("embedded server does not support %s; answering an error", what)

    def diagnostics(self) -> tuple[list[str], list[str]]:
        """(unknown info commands, unsupported requests), copies."""
        with self._lock:
            return list(self.unknown_info), list(self.unsupported)

    def bin_names(self, ns_name: str) -> list[str]:
        ns = self.storage[ns_name]
        names: set[bytes] = set()
        with ns.lock:
            for r in ns.records.values():
                names.update(r.bins)
        return sorted(n.decode("utf-8", "replace") for n in names)

    def clear(self) -> None:
        for ns in self.storage.values():
            ns.clear()
