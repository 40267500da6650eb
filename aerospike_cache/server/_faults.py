"""Fault injection state of one node, and the controls interface of a server.

:class:`Faults` is what the request dispatch consults (delay, fail, drop).
:class:`Controls` is the one interface behind which a node runs: in this process
(:class:`~._server.LocalNode`) or in a child process (:class:`~._remote.RemoteControls`).
"""

from __future__ import annotations

import threading
from typing import Protocol


class Faults:
    """Pending faults of one node: a delay, result codes to answer, drops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.delay = 0.0  # seconds before every data answer
        self.delay_info = False  # delay info answers too
        self._fail_next: list[int] = []  # result codes, one per upcoming data command
        self._drop_next = 0

    @property
    def pending(self) -> bool:
        """True when a fail or drop is queued (cheap check before :meth:`take`)."""
        return bool(self._fail_next or self._drop_next)

    def set_delay(self, ms: float, include_info: bool = False) -> None:
        self.delay = max(0.0, ms) / 1000.0
        self.delay_info = include_info

    def fail(self, n: int, result_code: int) -> None:
        with self._lock:
            self._fail_next.extend([result_code] * n)

    def drop(self, n: int) -> None:
        with self._lock:
            self._drop_next += n

    def take(self) -> int | None:
        """-1 = drop the connection, a result code = fail, None = no fault."""
        with self._lock:
            if self._drop_next:
                self._drop_next -= 1
                return -1
            if self._fail_next:
                return self._fail_next.pop(0)
        return None

    def clear(self) -> None:
        with self._lock:
            self._fail_next.clear()
            self._drop_next = 0
        self.delay = 0.0
        self.delay_info = False


class Controls(Protocol):
    """What a test can do to one running node (local or in a child process)."""

    def start(self) -> int:
        """Listen (again) and return the port."""

    def stop(self) -> None: ...

    def close(self) -> None: ...

    def clear(self) -> None: ...

    def counters(self) -> dict[str, int]: ...

    def reset_counters(self) -> None: ...

    def connection_count(self) -> int: ...

    def unknown_info_commands(self) -> list[str]: ...

    def unsupported_requests(self) -> list[str]: ...

    def set_delay(self, ms: float, include_info: bool) -> None: ...

    def fail_next(self, n: int, result_code: int) -> None: ...

    def drop_next(self, n: int) -> None: ...

    def clear_faults(self) -> None: ...

    def drop_connections(self) -> None: ...

    def run_nsup(self) -> dict[str, list[int]]: ...
