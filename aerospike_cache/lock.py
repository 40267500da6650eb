"""A distributed lock on the cache, in the spirit of django-redis' ``cache.lock()``.

Acquiring is one create-only write of a random token with a TTL (so a crashed
holder's lock expires); releasing removes the record only if it still holds
our token, checked by generation so a lock that expired and was taken by
someone else is never released by us.
"""

from __future__ import annotations

import threading
import time
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Any

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
        blocking: whether :meth:`acquire` waits by default.
        thread_local: the token belongs to the thread that acquired the lock, so
            another thread cannot release it (as redis-py's); ``False``: any
            thread holding this object can.
    """

    def __init__(
        self,
        store: AerospikeStore,
        key: str,
        timeout: float | None = None,
        sleep: float = 0.1,
        blocking_timeout: float | None = None,
        *,
        blocking: bool = True,
        thread_local: bool = True,
    ) -> None:
        self.store = store
        self.key = key
        self.timeout = timeout
        self.sleep = sleep
        self.blocking_timeout = blocking_timeout
        self.blocking = blocking
        self._local: Any = threading.local() if thread_local else _Shared()
        self._local.token = None

    @property
    def token(self) -> str | None:
        """The token this owner (this thread, with ``thread_local``) holds, or ``None``."""
        return getattr(self._local, "token", None)

    @token.setter
    def token(self, token: str | None) -> None:
        self._local.token = token

    def acquire(
        self,
        blocking: bool | None = None,
        blocking_timeout: float | None = None,
        *,
        sleep: float | None = None,
    ) -> bool:
        """Take the lock; ``False`` if it is held elsewhere and we did not (or could not) wait.

        ``blocking``, ``blocking_timeout`` and ``sleep`` default to the lock's.
        """
        token = uuid.uuid4().hex
        if blocking is None:
            blocking = self.blocking
        pause = self.sleep if sleep is None else sleep
        limit = self.blocking_timeout if blocking_timeout is None else blocking_timeout
        deadline = None if limit is None else time.monotonic() + limit
        while True:
            if self.store.add(self.key, token, self.timeout):
                self.token = token
                return True
            if not blocking or (deadline is not None and time.monotonic() >= deadline):
                return False
            time.sleep(pause)

    def release(self) -> None:
        """Give the lock back; :class:`LockError` if we do not hold it any more."""
        token, self.token = self.token, None
        if token is None or not self.store.remove_if_equal(self.key, token):
            raise LockError(f"cannot release lock {self.key!r}: it is not held by this owner")

    def locked(self) -> bool:
        """Whether anyone holds the lock now."""
        return self.store.has(self.key)

    def owned(self) -> bool:
        """Whether this owner holds the lock now (its token is the record's)."""
        token = self.token
        return token is not None and self.store.get(self.key) == token

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


class _Shared:
    """The token holder of a lock that is not thread-local: one attribute, any thread."""

    token: str | None = None
