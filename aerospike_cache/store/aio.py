"""Async: the process-wide I/O pool, the read coalescer, the ``a*`` helpers.

The ``aerospike`` client is blocking and releases the GIL on I/O, so async
calls run the store's blocking methods on a shared thread pool (real
concurrency, not one thread for every call), and the ``aget`` calls made in
one event-loop turn are coalesced into one batch read.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from ..connection import forks
from .records import MISSING

T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The process-wide pool async calls run on (a forked child builds its own)."""
    global _pool
    pool = _pool
    if pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(
                    max_workers=min(32, (os.cpu_count() or 1) * 4 + 4),
                    thread_name_prefix="aerospike-cache",
                )
            pool = _pool
    return pool


def _forget_pool() -> None:
    # The parent's worker threads do not exist in the child; its pool is dead.
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


forks.on_fork(_forget_pool)


async def run(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking store method on the shared I/O pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor(), functools.partial(fn, *args))


class Reader(Protocol):
    """What the coalescer needs of a store."""

    def get(self, key: str) -> Any: ...

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]: ...


class Coalescers:
    """One :class:`ReadCoalescer` per event loop for a store."""

    def __init__(self, store: Reader) -> None:
        self.store = store
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ReadCoalescer] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, key: str) -> asyncio.Future[Any]:
        """The value of ``key`` (or ``MISSING``), read with the other keys of this loop turn."""
        loop = asyncio.get_running_loop()
        coalescer = self._by_loop.get(loop)
        if coalescer is None:
            coalescer = self._by_loop[loop] = ReadCoalescer(self.store, loop)
        return coalescer.get(key)

    def reset(self) -> None:
        """Forget the loops (after a fork)."""
        self._by_loop = weakref.WeakKeyDictionary()


class ReadCoalescer:
    """Gathers the ``aget`` calls made in one event-loop turn into one batch read."""

    def __init__(self, store: Reader, loop: asyncio.AbstractEventLoop) -> None:
        self.store = store
        self.loop = loop
        self.pending: dict[str, list[asyncio.Future[Any]]] = {}

    def get(self, key: str) -> asyncio.Future[Any]:
        fut: asyncio.Future[Any] = self.loop.create_future()
        if not self.pending:
            self.loop.call_soon(self._flush)
        self.pending.setdefault(key, []).append(fut)
        return fut

    def _flush(self) -> None:
        pending, self.pending = self.pending, {}
        if len(pending) == 1:
            (key,) = pending
            job = self.loop.run_in_executor(executor(), self.store.get, key)
            job.add_done_callback(lambda f: _settle(pending, f, lambda values, _: values))
        else:
            batch = self.loop.run_in_executor(executor(), self.store.get_many, list(pending))
            batch.add_done_callback(
                lambda f: _settle(pending, f, lambda values, key: values.get(key, MISSING))
            )


def _settle(
    pending: dict[str, list[asyncio.Future[Any]]],
    done: asyncio.Future[Any],
    pick: Callable[[Any, str], Any],
) -> None:
    """Give each waiting future its value (``pick(result, key)``) or the call's exception."""
    exc = done.exception()
    result = None if exc is not None else done.result()
    for key, futs in pending.items():
        for fut in futs:
            if fut.done():
                continue
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(pick(result, key))
