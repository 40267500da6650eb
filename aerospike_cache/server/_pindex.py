"""A namespace's record digests by partition, each partition in digest order.

Scans and queries walk partitions as a real node does: each requested
partition from the client's resume-after digest, stopping at ``max_records``,
so a page costs what it visits, not a pass over the namespace.

The index also holds each digest's stored key (None: written without it). A
digest is the hash of its set and key, so its key never changes, except that
a record written without its key may get it by a later write (``set_key``).
A walk whose filter tests the key runs that test on these keys, in partition
order, and looks up only the records whose key passes.

The write path pays only when a digest is new (a dict entry and a flag); the
sorted order of a partition is rebuilt lazily by the next scan that needs it.
A removed digest leaves its partition at once but may stay in the sorted list
until the partition's next rebuild: walkers look each digest up in the
records and skip what is gone, so removes never force a re-sort.
"""

from __future__ import annotations

from bisect import bisect_right

from . import _protocol as p

Ordered = tuple[list[bytes], list[bytes | None]]  # digests ascending, their keys


class PartitionIndex:
    """Digests (and stored keys) per partition (callers hold the namespace's lock)."""

    __slots__ = ("_members", "_sorted")

    def __init__(self) -> None:
        self._members: list[dict[bytes, bytes | None]] = [{} for _ in range(p.N_PARTITIONS)]
        self._sorted: list[Ordered | None] = [None] * p.N_PARTITIONS

    def add(self, digest: bytes, key: bytes | None = None) -> None:
        """A new record's digest and stored key."""
        pid = (digest[0] | (digest[1] << 8)) & 4095
        self._members[pid][digest] = key
        self._sorted[pid] = None

    def set_key(self, digest: bytes, key: bytes) -> None:
        """A record written without its key got it."""
        pid = (digest[0] | (digest[1] << 8)) & 4095
        self._members[pid][digest] = key
        self._sorted[pid] = None

    def discard(self, digest: bytes) -> None:
        """A removed record's digest (no-op when absent)."""
        self._members[(digest[0] | (digest[1] << 8)) & 4095].pop(digest, None)

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
        return self.ordered_keys(pid, after)[0]

    def ordered_keys(self, pid: int, after: bytes | None) -> Ordered:
        """:meth:`ordered` and the stored key of each of those digests."""
        ordered = self._sorted[pid]
        if ordered is None:
            members = self._members[pid]
            if not members:
                return [], []
            digests = sorted(members)
            ordered = self._sorted[pid] = (digests, list(map(members.__getitem__, digests)))
        if after is None:
            return ordered
        digests, keys = ordered
        start = bisect_right(digests, after)
        return digests[start:], keys[start:]
