"""The near cache: an in-process LRU of serialized entries in front of the store's reads.

Modelled on Hazelcast's near cache (max size, LRU eviction, time to live,
max idle, invalidation). It holds the *stored* form of each entry (the bin
value: a format-tagged blob or a native int), never the object a caller got,
so every hit is decoded afresh and no caller can mutate what another reads.

The contract:

- an entry lives at most ``ttl`` seconds here (monotonic clock): a write made
  by another process is seen at most ``ttl`` seconds later;
- this process's own writes, deletes, increments and clears update or drop
  the entry at once (the store calls :meth:`NearCache.put` / :meth:`drop`);
- an entry is never served at or past its exact deadline (the application's
  wall clock, the ``clock`` given);
- ``max_idle``: an entry not read for that many seconds is dropped;
- thread-safe and async-safe (one lock, nothing awaits inside it);
- fork-safe: a forked child starts with an empty near cache.

A read that fills the near cache takes a :meth:`token` before it asks the
cluster and hands it to :meth:`fill`: if this process wrote or dropped the
key in between, the fill is skipped, so a slow read can never put back a
value older than this process's own write.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Final

from .. import options
from ..connection import forks
from ..errors import ConfigurationError

DEFAULTS: Final[dict[str, Any]] = {"max_entries": 10_000, "ttl": 1.0, "max_idle": None}

# Invalidations remembered for fills in flight; a fill older than the oldest
# remembered one is skipped (it cannot prove its key was not written since).
_HISTORY = 1024

# Entry layout (a list: max_idle updates the last use in place).
_STORED, _EXPIRES, _DEADLINE, _USED = range(4)


class NearCache:
    """A bounded, thread-safe LRU of stored entries with a TTL, max idle and exact deadlines.

    Args:
        max_entries: the most entries kept; the least recently used goes first.
        ttl: seconds an entry may be served from memory (the staleness bound).
        max_idle: seconds after its last read an entry is dropped (``None``: no limit).
        clock: the application's wall clock, against which entry deadlines are checked.
        timer: the monotonic clock of ``ttl`` and ``max_idle`` (``time.monotonic``).
    """

    def __init__(
        self,
        max_entries: int = DEFAULTS["max_entries"],
        ttl: float = DEFAULTS["ttl"],
        max_idle: float | None = DEFAULTS["max_idle"],
        *,
        clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.ttl = float(ttl)
        self.max_idle = None if max_idle is None else float(max_idle)
        self._clock = clock
        self._timer = timer
        self._reset()
        _instances.add(self)

    @classmethod
    def from_options(
        cls, value: Any, where: str, *, clock: Callable[[], float] = time.time
    ) -> NearCache | None:
        """A near cache from an option value (``None``/``False``: none), or a clear error."""
        opts = options.component_options(value, DEFAULTS, where)
        if opts is None:
            return None
        max_entries = opts["max_entries"]
        if type(max_entries) is not int or max_entries < 1:
            raise ConfigurationError(
                f"{where}['max_entries'] must be a whole number >= 1, got {max_entries!r}"
            )
        options.seconds(opts["ttl"], f"{where}['ttl']")
        options.seconds(opts["max_idle"], f"{where}['max_idle']", none=True)
        return cls(max_entries, opts["ttl"], opts["max_idle"], clock=clock)

    def _reset(self) -> None:
        # Also the fork handler: the parent's lock may have been held at fork time.
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, list[Any]] = OrderedDict()
        self._seq = 0
        self._invalidated: OrderedDict[str, int] = OrderedDict()
        self._forgotten = 0  # the seq of the newest invalidation no longer remembered

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"<NearCache {len(self)}/{self.max_entries} entries ttl={self.ttl} "
            f"max_idle={self.max_idle}>"
        )

    # -- reads ----------------------------------------------------------------

    def get(self, key: str) -> Any:
        """The stored form of ``key``, or ``None`` if it is not here (or no longer valid)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            now = self._timer()
            deadline = entry[_DEADLINE]
            idle = self.max_idle
            if (
                now >= entry[_EXPIRES]
                or (deadline is not None and self._clock() >= deadline)
                or (idle is not None and now - entry[_USED] >= idle)
            ):
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            if idle is not None:
                entry[_USED] = now
            return entry[_STORED]

    def token(self) -> int:
        """Take before reading the cluster; pass to :meth:`fill` with what was read."""
        return self._seq

    def fill(self, key: str, stored: Any, deadline: float | None, token: int) -> None:
        """Remember what a read found, unless ``key`` was written or dropped since ``token``."""
        if stored is None:
            return
        with self._lock:
            if token < self._forgotten or self._invalidated.get(key, -1) > token:
                return
            self._insert(key, stored, deadline)

    # -- this process's writes ------------------------------------------------

    def put(self, key: str, stored: Any, deadline: float | None) -> None:
        """This process wrote ``stored`` to ``key``: serve it from now on."""
        with self._lock:
            self._invalidate(key)
            if stored is not None:
                self._insert(key, stored, deadline)

    def drop(self, keys: Iterable[str]) -> None:
        """Forget ``keys`` (deleted, incremented, invalidated by tag or pattern)."""
        with self._lock:
            for key in keys:
                self._invalidate(key)
                self._entries.pop(key, None)

    def drop_all(self) -> None:
        """Forget everything (``clear()``, or an invalidation that cannot name its keys)."""
        with self._lock:
            self._seq += 1
            self._forgotten = self._seq
            self._invalidated.clear()
            self._entries.clear()

    # -- internals (the lock is held) -----------------------------------------

    def _insert(self, key: str, stored: Any, deadline: float | None) -> None:
        now = self._timer()
        entries = self._entries
        entries[key] = [stored, now + self.ttl, deadline, now]
        entries.move_to_end(key)
        if len(entries) > self.max_entries:
            entries.popitem(last=False)

    def _invalidate(self, key: str) -> None:
        self._seq += 1
        history = self._invalidated
        history[key] = self._seq
        history.move_to_end(key)
        if len(history) > _HISTORY:
            _, self._forgotten = history.popitem(last=False)


_instances: weakref.WeakSet[NearCache] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for near in list(_instances):
        near._reset()


forks.on_fork(_after_fork_in_child)
