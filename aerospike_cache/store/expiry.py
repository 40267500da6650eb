"""The store's TTL language and its mapping onto the wire.

The store speaks one TTL language: a number of seconds (fractions allowed),
``None`` for "never expires", or zero or less for "gone" (a write becomes a
delete). The frontends map their framework's timeout rules onto it; this
module maps it onto Aerospike's whole-second record TTL.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

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
