"""A clock a test moves by hand, for the store's ``clock`` attribute."""

from __future__ import annotations

import math
import time


class FakeClock:
    """Seconds since the Unix epoch, like ``time.time``, advanced only by :meth:`advance`."""

    def __init__(self, start: float | None = None) -> None:
        # By default now, moved to the middle of its millisecond: deadlines are whole
        # milliseconds, and a start a float's rounding away from a millisecond's edge
        # made a 1 ms entry read as expired at once, about once in 2000 tests.
        self.now = (math.floor(time.time() * 1000) + 0.5) / 1000 if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
