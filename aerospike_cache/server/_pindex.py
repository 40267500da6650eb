"""A namespace's record digests by partition, each partition in digest order.

Scans and queries walk partitions as a real node does: each requested
partition from the client's resume-after digest, stopping at ``max_records``,
so a page costs what it visits, not a pass over the namespace.

The write path pays only when a digest is new (a set add and a flag); the
sorted order of a partition is rebuilt lazily by the next scan that needs it.
A removed digest leaves its set at once but may stay in the sorted list until
the partition's next rebuild: walkers look each digest up in the records and
skip what is gone, so removes never force a re-sort.
"""

from __future__ import annotations

from bisect import bisect_right

from . import _protocol as p


class PartitionIndex:
    """Digests per partition (callers hold the namespace's lock)."""

    __slots__ = ("_members", "_sorted")

    def __init__(self) -> None:
        self._members: list[set[bytes]] = [set() for _ in range(p.N_PARTITIONS)]
        self._sorted: list[list[bytes] | None] = [None] * p.N_PARTITIONS

    def add(self, digest: bytes) -> None:
        """A new record's digest."""
        pid = (digest[0] | (digest[1] << 8)) & 4095
        self._members[pid].add(digest)
        self._sorted[pid] = None

    def discard(self, digest: bytes) -> None:
        """A removed record's digest (no-op when absent)."""
        self._members[(digest[0] | (digest[1] << 8)) & 4095].discard(digest)

    def discard_partitions(self, pids: set[int]) -> None:
        """Forget whole partitions (their records were dropped)."""
        for pid in pids:
            self._members[pid].clear()
            self._sorted[pid] = None

    def clear(self) -> None:
        for members in self._members:
            members.clear()
        self._sorted = [None] * p.N_PARTITIONS

    def ordered(self, pid: int, after: bytes | None) -> list[bytes]:
        """Digests of partition ``pid`` greater than ``after``, ascending.

        May hold digests removed since the last rebuild: look each one up.
        """
        ordered = self._sorted[pid]
        if ordered is None:
            members = self._members[pid]
            if not members:
                return []
            ordered = self._sorted[pid] = sorted(members)
        if after is None:
            return ordered
        return ordered[bisect_right(ordered, after) :]
