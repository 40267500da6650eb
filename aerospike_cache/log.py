"""The package's logger and its one rate limiter.

Repeated failures (a cache full of tampered entries, a busy key hammered by
every request) must not turn each call into a log line: every rate-limited
message of the package goes through :class:`LogLimiter`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable

logger = logging.getLogger("aerospike_cache")

LOG_INTERVAL = 60.0
"""Seconds between two log lines of the same kind."""


class LogLimiter:
    """Lets one log line per kind (any hashable mark) through per interval."""

    def __init__(self, interval: float = LOG_INTERVAL) -> None:
        self.interval = interval
        self._last: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def allow(self, mark: Hashable) -> bool:
        """Whether a line of kind ``mark`` may be logged now (and remember that it was)."""
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(mark, -1e18) < self.interval:
                return False
            if len(self._last) >= 1024:  # marks are few; never let them grow without bound
                self._last.clear()
            self._last[mark] = now
            return True
