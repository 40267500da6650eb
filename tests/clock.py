"""A clock a test moves by hand, for the store's ``clock`` attribute."""

from __future__ import annotations

import time


class FakeClock:
    """Seconds since the Unix epoch, like ``time.time``, advanced only by :meth:`advance`."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
