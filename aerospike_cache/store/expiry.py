"""The store's TTL language, its mapping onto the wire, and exact expiry.

The store speaks one TTL language: a number of seconds (fractions allowed),
``None`` for "never expires", or zero or less for "gone" (a write becomes a
delete). The frontends map their framework's timeout rules onto it; this
module maps it onto Aerospike's whole-second record TTL (``ceil(ttl)``, so
the server still evicts) and onto the entry's exact deadline
(:class:`Deadlines`), which every read checks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

_ceil = math.ceil  # a local name: the write path calls it once per write
MAX_TTL = 315_360_000  # the server's ceiling: 10 years
TTL_NEVER = -1  # wire value: never expires
TTL_KEEP = -2  # wire value: keep the record's current TTL
_NEVER_READ = 0xFFFFFFFF  # what meta["ttl"] reads for a record that never expires


def is_gone(ttl: float | None) -> bool:
    """Whether ``ttl`` means the entry is gone at once (a write becomes a delete)."""
    return ttl is not None and ttl <= 0


def wire_ttl(ttl: float | None) -> int:
    """Map the store's TTL onto the wire: ``None`` -> never, seconds rounded up and clamped.

    Callers handle "gone" (``ttl <= 0``) before calling.
    """
    if ttl is None:
        return TTL_NEVER
    seconds = math.ceil(ttl)
    return MAX_TTL if seconds > MAX_TTL else seconds


def meta_ttl(meta: Mapping[str, Any] | None) -> int | None:
    """Seconds left from a record's metadata; ``None`` if it never expires."""
    if not meta:
        return None
    ttl = meta.get("ttl")
    if ttl is None or ttl >= _NEVER_READ or ttl < 0:
        return None
    return int(ttl)


# -- exact expiry ---------------------------------------------------------------

VALUE_BIN = "v"
"""The bin holding an entry's value."""
DEADLINE_BIN = "d"
"""The bin holding an entry's deadline: int milliseconds since the Unix epoch."""


class Deadlines:
    """Exact expiry for one store: the application's clock decides.

    A write with a TTL stores ``deadline = now + ttl`` (ms, this clock) in
    :data:`DEADLINE_BIN`; a read treats a record at or past its deadline as
    absent. The server's whole-second TTL (``ceil(ttl)`` from the server's
    receipt of the write) can only evict later than the deadline, never
    earlier, whatever the clocks say. Records without a deadline (written
    before exact expiry, or never expiring) have the server's TTL only.
    """

    __slots__ = ("clock",)

    def __init__(self) -> None:
        # time.time itself (no wrapper: the get path reads it); tests and fake
        # clocks replace it through AerospikeStore.clock
        self.clock: Callable[[], float] = time.time

    def of(self, ttl: float | None) -> int | None:
        """The deadline of a write with ``ttl`` (``None``: never expires), in whole ms.

        Rounded down: the entry is a miss from ``ttl`` seconds after the write
        on, never later (at most 1 ms earlier).
        """
        if ttl is None:
            return None
        return int((self.clock() + min(ttl, MAX_TTL)) * 1000)

    def entry(self, value: Any, ttl: float | None) -> tuple[dict[str, Any], int]:
        """The bins and wire TTL of an entry written now with ``ttl`` (``> 0``, or ``None``).

        The value bin, the deadline bin (none for an entry that never expires)
        and ``ceil(ttl)`` for the server. Written as a whole record (a replace,
        see ``Records.write_policy``), so no nil bin has to delete older ones.
        """
        if ttl is None:
            return {VALUE_BIN: value}, TTL_NEVER
        if ttl > MAX_TTL:
            ttl = MAX_TTL
        deadline = int((self.clock() + ttl) * 1000)
        return {VALUE_BIN: value, DEADLINE_BIN: deadline}, _ceil(ttl)

    def live(self) -> Any:
        """A filter expression (uncompiled): the record has no deadline, or it is still
        ahead by this clock (an entry past it is absent on every path, the server's too)."""
        from aerospike_helpers import expressions as exp

        now_ms = int(self.clock() * 1000)
        return exp.Or(
            exp.Not(exp.BinExists(DEADLINE_BIN)), exp.GT(exp.IntBin(DEADLINE_BIN), now_ms)
        )

    def expired(self, deadline: Any) -> bool:
        """Whether a record with ``deadline`` (the bin's value, or ``None``) is past it."""
        return deadline is not None and deadline <= self.clock() * 1000

    def whole_seconds_left(self, deadline: Any, meta: Mapping[str, Any] | None) -> int | None:
        """Seconds left rounded up, as Aerospike reports a TTL: ``None`` never expires,
        ``0`` expired (exactly when :meth:`expired` says so), else at least 1."""
        if deadline is None:
            return meta_ttl(meta)
        now_ms = self.clock() * 1000
        if deadline <= now_ms:
            return 0
        # whole ms left first: a deadline written 100 s ahead reads 100, not 101
        return max(1, math.ceil(int(deadline - math.ceil(now_ms)) / 1000))

    def left(self, deadline: Any, meta: Mapping[str, Any] | None) -> float | None:
        """Seconds left (``<= 0``: expired); ``None``: never expires. Without a
        deadline, the server's TTL."""
        if deadline is None:
            return meta_ttl(meta)
        return float(deadline - self.clock() * 1000) / 1000
