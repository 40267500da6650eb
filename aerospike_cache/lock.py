"""A distributed lock on the cache, in the spirit of django-redis' ``cache.lock()``.

Acquiring is one create-only write of a random token with a TTL (so a crashed
holder's lock expires); releasing removes the record only if it still holds
our token, checked by generation so a lock that expired and was taken by
someone else is never released by us.
"""

from __future__ import annotations

import time
import uuid
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import AerospikeStore


class LockError(RuntimeError):
    """Releasing a lock that is not held (never acquired, expired, or taken over)."""


class Lock:
    """A lock named by a cache key.

    Args:
        store: the store holding the lock record.
        key: the (already made) cache key of the lock.
        timeout: seconds after which the lock expires on its own (``None``: never).
        sleep: seconds between attempts while blocking.
        blocking_timeout: give up blocking after this many seconds (``None``: wait forever).
    """

    def __init__(
        self,
        store: AerospikeStore,
        key: str,
        timeout: float | None = None,
        sleep: float = 0.1,
        blocking_timeout: float | None = None,
    ) -> None:
        self.store = store
        self.key = key
        self.timeout = timeout
        self.sleep = sleep
        self.blocking_timeout = blocking_timeout
        self.token: str | None = None

    def acquire(self, blocking: bool = True, blocking_timeout: float | None = None) -> bool:
        """Take the lock; ``False`` if it is held elsewhere and we did not (or could not) wait."""
        token = uuid.uuid4().hex
        limit = self.blocking_timeout if blocking_timeout is None else blocking_timeout
        deadline = None if limit is None else time.monotonic() + limit
        while True:
            if self.store.add(self.key, token, self.timeout):
                self.token = token
                return True
            if not blocking or (deadline is not None and time.monotonic() >= deadline):
                return False
            time.sleep(self.sleep)

    def release(self) -> None:
        """Give the lock back; :class:`LockError` if we do not hold it any more."""
        token, self.token = self.token, None
        if token is None or not self.store.remove_if_equal(self.key, token):
            raise LockError(f"cannot release lock {self.key!r}: it is not held by this owner")

    def locked(self) -> bool:
        """Whether anyone holds the lock now."""
        return self.store.has(self.key)

    def __enter__(self) -> Lock:
        if not self.acquire():
            raise LockError(f"could not acquire lock {self.key!r}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
