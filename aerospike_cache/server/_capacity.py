"""A namespace's data use, and what a real node does as it fills (``as/src/base/nsup.c``).

- **Data use** is counted per record as a real node's memory storage counts
  ``data_used_bytes``: the flat record (35-byte header, void time, set name,
  key, bin count, each bin's name and particle) plus the 4-byte end mark,
  rounded up to 16 bytes. Close, not byte-exact.
- **Stop-writes**: at ``data_used_pct >= stop-writes-used-pct`` every write
  is refused with code 8 (reads, removes and truncates go on).
- **Eviction** (an nsup cycle past ``evict-used-pct``): a histogram of the
  evictable records' void times from now to the latest one, in
  ``evict-hist-buckets`` buckets at least 1 s wide; the threshold is the low
  edge of the bucket in which ``evict-tenths-pct`` of those records is
  exceeded, and every record whose void time is below it goes. Whole buckets
  only: a first bucket holding more than the target blocks eviction. Records
  that never expire are never evicted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from . import _protocol as p

FLAT_HEADER: Final = 35  # as_flat_record
END_MARK: Final = 4
RBLOCK: Final = 16
NO_THRESHOLD: Final = 0  # nothing to evict


def _uintvar(n: int) -> int:
    size = 1
    while n >= 0x80:
        n >>= 7
        size += 1
    return size


def _particle(ptype: int, value: bytes) -> int:
    if ptype == p.PT_INTEGER:
        i = int.from_bytes(value, "big") if value else 0
        return 2 + (8 if i >> 32 else 4 if i >> 16 else 2 if i >> 8 else 1)
    if ptype in (p.PT_FLOAT,):
        return 1 + 8
    if ptype == p.PT_BOOL:
        return 2
    return 5 + len(value)  # type, 4-byte size, bytes


def flat_size(
    bins: dict[bytes, tuple[int, bytes]], key: bytes | None, set_name: bytes, void_time: int
) -> int:
    """A record's flat size with its end mark (``as_flat_record_size`` + ``END_MARK_SZ``):
    what a real node holds against ``max-record-size`` (drv_mem.c ``buffer_bins``)."""
    size = FLAT_HEADER
    if void_time:
        size += 4
    if set_name:
        size += 1 + len(set_name)
    if key is not None:
        size += _uintvar(len(key)) + len(key)
    if bins:
        size += _uintvar(len(bins))
    for name, (ptype, value) in bins.items():
        size += 1 + len(name) + _particle(ptype, value)
    return size + END_MARK


def stored(flat: int) -> int:
    """Bytes a record of this :func:`flat_size` takes in a node's storage (whole 16-byte
    blocks): its data use, and the ``record_size`` expression's answer."""
    return -(-flat // RBLOCK) * RBLOCK


def used_pct(used: int, total: int) -> int:
    """``data_used_pct`` as a real node computes it (rounded down)."""
    return used * 100 // total if total else 0


def evict_void_time(void_times: Iterable[int], now_s: int, buckets: int, tenths_pct: int) -> int:
    """The eviction threshold (``find_evict_void_time``): records with a void time
    below it are evicted; :data:`NO_THRESHOLD` when nothing can be.

    ``void_times`` are the non-zero void times of the live records.
    """
    times = list(void_times)
    if not times:
        return NO_THRESHOLD
    ttl_range = max(max(times) - now_s, 0)
    width = max((ttl_range + buckets - 1) // buckets, 1)
    counts: dict[int, int] = {}
    for vt in times:
        bucket = min((vt - now_s) // width, buckets - 1) if vt > now_s else 0
        counts[bucket] = counts.get(bucket, 0) + 1
    target = len(times) * tenths_pct // 1000
    seen = 0
    for bucket in sorted(counts):
        below = seen
        seen += counts[bucket]
        if seen > target:
            # a bucket that holds more than the target: evict what lies below it, if anything
            return now_s + bucket * width if below else NO_THRESHOLD
    return NO_THRESHOLD  # it would evict every eligible record: a real node refuses
