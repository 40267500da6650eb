"""Stampede protection: a missing value is computed once across threads and processes.

The first caller to miss takes a short lock record (one create-only write
with a small TTL) and computes; the others poll for the value with backoff,
for at most ``wait`` seconds. A waiter computes for itself when

- the lock record is gone but no value came (the holder failed, or the
  cluster is unreachable under fail-open: then every caller computes, and
  nothing is cached), or
- ``wait`` seconds passed.

A full namespace (code 8) refuses the lock and the value alike: the caller
then computes without waiting and gets its value, stored or not (fail-open,
the refused lock reads as absent and the caller computes after one more look).

If the holder's process dies, its lock expires after ``lock_ttl`` seconds and
one waiter takes over (``wait`` should therefore exceed ``lock_ttl``).

Optional early recomputation (XFetch, Vattani et al., VLDB 2015): with
``early_recompute`` (beta) > 0, a hit whose remaining TTL is short, relative
to how long the value took to compute, is recomputed early with probability
growing as expiry nears, by one caller only (the one that takes the lock);
everyone else keeps being served the current value. How long a value took to
compute is what this process measured (bounded memory); a process that never
computed a key does not recompute it early.

The algorithm is written once, as a generator of steps (store calls and
sleeps), and driven by a blocking and by an ``asyncio`` loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Generator, Iterable
from typing import Any, Final, Protocol

from .. import options
from ..errors import ConfigurationError, NamespaceFullError

DEFAULTS: Final[dict[str, Any]] = {"lock_ttl": 5.0, "wait": 10.0, "decorators": False}
LOCK_PREFIX: Final = "stampede-lock|"
_FIRST_PAUSE: Final = 0.005
_MAX_PAUSE: Final = 0.1
_MEASURED: Final = 1024  # compute times remembered for early recomputation
_HELD: Final = 4096  # claims remembered until their set


#: ``(tags, tag_prefix)`` for the store's ``set``, or nothing
Tags = tuple[()] | tuple[Iterable[str] | None, str]
_NO_TAGS: Final[tuple[()]] = ()


class StampedeStore(Protocol):
    """What stampede protection needs of a store (``MISSING`` is the store's miss)."""

    def get(self, key: str) -> Any: ...
    def get_with_ttl(self, key: str) -> tuple[Any, Any]: ...
    def set(
        self,
        key: str,
        value: Any,
        ttl: float | None,
        tags: Iterable[str] | None = None,
        tag_prefix: str = "",
    ) -> bool: ...
    def add(self, key: str, value: Any, ttl: float | None) -> bool: ...
    def has(self, key: str) -> bool: ...
    def remove_if_equal(self, key: str, value: Any) -> bool: ...
    async def run(self, fn: Callable[..., Any], *args: Any) -> Any: ...


# A step: ("call", fn, args) runs a store call and sends its result back in;
# ("sleep", seconds) pauses.
Step = tuple[Any, ...]
Steps = Generator[Step, Any, Any]


class Stampede:
    """Computes missing values once across processes, on top of a store.

    Args:
        store: the store holding values and lock records.
        missing: the store's miss marker.
        lock_ttl: seconds a lock record lives (a dead holder's lock frees itself then).
        wait: the most seconds a caller waits for another's value before computing.
        early_recompute: XFetch's beta (0: off; 1 is the paper's default).
        decorators: make :meth:`claim` wait (Flask-Caching's decorators, see the Flask backend).
    """

    def __init__(
        self,
        store: StampedeStore,
        missing: Any,
        lock_ttl: float = DEFAULTS["lock_ttl"],
        wait: float = DEFAULTS["wait"],
        early_recompute: float = 0.0,
        decorators: bool = DEFAULTS["decorators"],
    ) -> None:
        self.store = store
        self.missing = missing
        self.lock_ttl = float(lock_ttl)
        self.wait = float(wait)
        self.early_recompute = float(early_recompute)
        self.decorators = decorators
        self._held: dict[str, str] = {}  # key -> token of a lock a claim() took
        self._took: OrderedDict[str, float] = OrderedDict()  # key -> seconds to compute
        self._lock = threading.Lock()

    @classmethod
    def from_options(
        cls, store: StampedeStore, missing: Any, value: Any, early: Any, where: str
    ) -> Stampede | None:
        """Build from the ``stampede`` and ``early_recompute`` options (``False``: none)."""
        options.seconds(early, "early_recompute", zero=True)
        opts = options.component_options(value if value is not None else True, DEFAULTS, where)
        if opts is None:
            return None
        options.seconds(opts["lock_ttl"], f"{where}['lock_ttl']")
        options.seconds(opts["wait"], f"{where}['wait']")
        if not isinstance(opts["decorators"], bool):
            raise ConfigurationError(
                f"{where}['decorators'] must be True or False, got {opts['decorators']!r}"
            )
        return cls(store, missing, opts["lock_ttl"], opts["wait"], early, opts["decorators"])

    # -- the two entry points -------------------------------------------------

    def get_or_set(
        self, key: str, compute: Callable[[], Any], ttl: float | None, tags: Tags = _NO_TAGS
    ) -> Any:
        """The value of ``key``; if missing, ``compute()`` it once across processes and store it
        (with ``tags``: ``(tags, tag_prefix)`` as the store's ``set`` takes them)."""
        return _run(self._get_or_set(key, compute, ttl, tags))

    async def aget_or_set(
        self, key: str, compute: Callable[[], Any], ttl: float | None, tags: Tags = _NO_TAGS
    ) -> Any:
        """:meth:`get_or_set` for ``asyncio``: store calls on the I/O pool, waits as ``sleep``."""
        return await _arun(self._get_or_set(key, compute, ttl, tags), self.store)

    def claim(self, key: str) -> Any:
        """After a miss of ``key`` the caller will fill with ``set``: the value, or ``missing``.

        ``missing`` means the caller computes (it holds the lock until its
        :meth:`filled`, or the lock's TTL); a value means another caller
        filled the key while this one waited.
        """
        value, token = _run(self._acquire(key))
        if token is not None:
            with self._lock:
                held = self._held
                held[key] = token
                if len(held) > _HELD:  # claims never filled: their locks expire anyway
                    del held[next(iter(held))]
        return value

    def filled(self, key: str) -> None:
        """``key`` was just written: release the lock a :meth:`claim` took for it, if any."""
        if self._held:
            with self._lock:
                token = self._held.pop(key, None)
            if token is not None:
                self.store.remove_if_equal(LOCK_PREFIX + key, token)

    # -- the algorithm, once --------------------------------------------------

    def _get_or_set(
        self, key: str, compute: Callable[[], Any], ttl: float | None, tags: Tags
    ) -> Steps:
        store = self.store
        if self.early_recompute > 0:
            value, left = yield ("call", store.get_with_ttl, (key,))
            if value is not self.missing:
                if self._should_recompute(key, left):
                    yield from self._refresh(key, compute, ttl, tags)
                return value
        value, token = yield from self._acquire(key)
        if value is not self.missing:
            return value
        return (yield from self._fill(key, compute, ttl, token, tags))

    def _fill(
        self,
        key: str,
        compute: Callable[[], Any],
        ttl: float | None,
        token: Any,
        tags: Tags = _NO_TAGS,
    ) -> Steps:
        """Compute, store, release the lock (``token``: ours, or ``None``)."""
        store, lock = self.store, LOCK_PREFIX + key
        try:
            value = self._compute(key, compute)
            # a full namespace (strict): the value is still good, the lock goes below
            with contextlib.suppress(NamespaceFullError):
                yield ("call", store.set, (key, value, ttl, *tags))
        except BaseException:
            if token is not None:
                # a plain call, so that the error goes on at once; a failure to
                # release leaves the lock to its TTL, and the caller sees the first error
                with contextlib.suppress(Exception):
                    store.remove_if_equal(lock, token)
            raise
        if token is not None:
            yield ("call", store.remove_if_equal, (lock, token))
        return value

    def _acquire(self, key: str) -> Steps:
        """``(value, None)`` if the key is there; ``(missing, token)`` with the lock held;
        ``(missing, None)``: compute without the lock (bound passed, or the store fails)."""
        store, missing, lock = self.store, self.missing, LOCK_PREFIX + key
        value = yield ("call", store.get, (key,))
        if value is not missing:
            return value, None
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.wait
        pause = _FIRST_PAUSE
        vanished = 0
        while True:
            try:
                took = yield ("call", store.add, (lock, token, self.lock_ttl))
            except NamespaceFullError:
                return missing, None  # no lock can be written: compute, wait for nobody
            if took:
                # The value may have landed between our miss and the lock.
                value = yield ("call", store.get, (key,))
                if value is not missing:
                    yield ("call", store.remove_if_equal, (lock, token))
                    return value, None
                return missing, token
            if not (yield ("call", store.has, (lock,))):
                value = yield ("call", store.get, (key,))
                if value is not missing:
                    return value, None
                vanished += 1
                if vanished > 1:  # no lock, no value, and we cannot take it: the store fails
                    return missing, None
                continue
            if time.monotonic() >= deadline:
                return missing, None
            yield ("sleep", pause * (0.5 + random.random()))
            pause = min(pause * 2, _MAX_PAUSE)
            value = yield ("call", store.get, (key,))
            if value is not missing:
                return value, None

    def _refresh(
        self, key: str, compute: Callable[[], Any], ttl: float | None, tags: Tags
    ) -> Steps:
        """Recompute early if no one else is: the lock is taken without waiting."""
        lock, token = LOCK_PREFIX + key, uuid.uuid4().hex
        if (yield ("call", self.store.add, (lock, token, self.lock_ttl))):
            yield from self._fill(key, compute, ttl, token, tags)

    def _compute(self, key: str, compute: Callable[[], Any]) -> Any:
        started = time.monotonic()
        value = compute()
        if self.early_recompute > 0:
            with self._lock:
                self._took[key] = time.monotonic() - started
                self._took.move_to_end(key)
                if len(self._took) > _MEASURED:
                    self._took.popitem(last=False)
        return value

    def _should_recompute(self, key: str, left: Any) -> bool:
        """XFetch: ``-delta * beta * ln(U) >= time left``, U uniform in (0, 1]."""
        took = self._took.get(key)
        if took is None or left is None:
            return False
        return bool(-took * self.early_recompute * math.log(1.0 - random.random()) >= left)


def _run(steps: Steps) -> Any:
    """Drive the steps blocking: the one driver below, with calls that never suspend."""
    drive = _drive(steps, _blocking_sleep, _blocking_call)
    try:
        drive.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("a blocking stampede step suspended")  # pragma: no cover


async def _arun(steps: Steps, store: StampedeStore) -> Any:
    """Drive the steps on an event loop: store calls on the store's I/O pool."""
    return await _drive(steps, asyncio.sleep, store.run)


async def _blocking_sleep(seconds: float) -> None:
    time.sleep(seconds)


async def _blocking_call(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


async def _drive(
    steps: Steps,
    sleep: Callable[[float], Awaitable[None]],
    call: Callable[..., Awaitable[Any]],
) -> Any:
    """Run the steps; a failed store call is raised inside the generator (its ``finally`` runs)."""
    send: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = steps.send(send) if error is None else steps.throw(error)
        except StopIteration as done:
            return done.value
        send, error = None, None
        try:
            if step[0] == "sleep":
                await sleep(step[1])
            else:
                send = await call(step[1], *step[2])
        except Exception as exc:
            error = exc
