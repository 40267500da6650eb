"""django-redis's extras on the Django backend: TTLs, patterns and tags matched by the
server, locks. Mixed into :class:`~aerospike_cache.django.cache.AerospikeCache`; each
method is one row of the same table as there: Django key rules in, one store call out.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache, default_key_func

from ..jobs import Job
from ..lock import Lock
from ..store import MISSING
from . import redis_compat
from .redis_compat import no_client

if TYPE_CHECKING:
    from ..store import AerospikeStore


class DjangoExtras(BaseCache):
    """``ttl``/``expire``/``persist`` and their variants, ``iter_keys``/``keys``,
    ``delete_pattern``/``touch_pattern``, ``invalidate_tags``, ``lock``."""

    if TYPE_CHECKING:
        _store: AerospikeStore

        def touch(
            self,
            key: Any,
            timeout: Any = DEFAULT_TIMEOUT,
            version: int | None = None,
            client: None = None,
        ) -> bool: ...
        @property
        def _tag_prefix(self) -> str: ...

    # -- extras in the spirit of django-redis -------------------------------

    def ttl(self, key: Any, version: int | None = None, client: None = None) -> int | None:
        """Seconds until ``key`` expires; ``None`` if it never does; ``0`` if it is absent."""
        no_client(client)
        left = self._store.ttl(self.make_and_validate_key(key, version=version))
        return 0 if left is MISSING else left

    def pttl(self, key: Any, version: int | None = None, client: None = None) -> int | None:
        """Milliseconds until ``key`` expires; ``None`` if it never does; ``0`` if absent."""
        no_client(client)
        left = self._store.pttl(self.make_and_validate_key(key, version=version))
        return 0 if left is MISSING else left

    def expire(
        self, key: Any, timeout: Any, version: int | None = None, client: None = None
    ) -> bool:
        """Set a new timeout on ``key`` (same rules as ``set``); ``False`` if absent."""
        return self.touch(key, timeout, version, client)

    def pexpire(
        self, key: Any, timeout: Any, version: int | None = None, client: None = None
    ) -> bool:
        """:meth:`expire` in milliseconds (``DEFAULT_TIMEOUT``: the cache's default timeout)."""
        if timeout is not DEFAULT_TIMEOUT and timeout is not None:
            timeout = timeout / 1000
        return self.touch(key, timeout, version, client)

    def expire_at(
        self,
        key: Any,
        when: datetime.datetime | float,
        version: int | None = None,
        client: None = None,
    ) -> bool:
        """Expire ``key`` at ``when`` (a datetime, naive = local time, or Unix seconds);
        a time past deletes it. ``False`` if absent."""
        return self._expire_at(key, redis_compat.unix_seconds(when, 1), version, client)

    def pexpire_at(
        self,
        key: Any,
        when: datetime.datetime | float,
        version: int | None = None,
        client: None = None,
    ) -> bool:
        """:meth:`expire_at` with a Unix time in milliseconds (or a datetime)."""
        return self._expire_at(key, redis_compat.unix_seconds(when, 1000), version, client)

    def _expire_at(self, key: Any, when: float, version: int | None, client: None) -> bool:
        no_client(client)
        made = self.make_and_validate_key(key, version=version)
        return self._store.touch(made, max(0.0, when - self._store.clock()))

    def persist(self, key: Any, version: int | None = None, client: None = None) -> bool:
        """Make ``key`` never expire; ``False`` if absent."""
        return self.touch(key, None, version, client)

    # -- tags and patterns, matched by the server ----------------------------

    def _pattern_args(
        self, pattern: str, version: int | None, prefix: str | None = None
    ) -> tuple[str, str]:
        """``(glob, literal prefix)`` of a pattern over this cache's keys."""
        key_prefix = self.key_prefix if prefix is None else prefix
        made_version = self.version if version is None else version
        if self.key_func is default_key_func:
            return pattern, str(self.key_func("", key_prefix, made_version))
        # A KEY_FUNCTION of its own: its output for the pattern is the glob.
        return str(self.key_func(pattern, key_prefix, made_version)), ""

    def iter_keys(
        self,
        search: str = "*",
        itersize: int | None = None,
        client: None = None,
        version: int | None = None,
        *,
        pattern: str | None = None,
    ) -> Iterator[str]:
        """Cache keys (as given to ``set``) matching a glob, streamed (default KEY_FUNCTION).

        django-redis's signature; ``itersize`` is accepted and unused (the
        server streams the matches; there is no SCAN page size). ``pattern=``
        is the older keyword of ``search``. While a cluster node is lost: see
        :meth:`AerospikeStore.keys <aerospike_cache.store.AerospikeStore.keys>`
        (what is missed, what raises).
        """
        no_client(client)
        glob, literal = self._pattern_args(search if pattern is None else pattern, version)
        prefix = self.make_key("", version=version)
        for made in self._store.keys(glob, literal):
            if made.startswith(prefix):
                yield made[len(prefix) :]

    def keys(
        self,
        search: str = "*",
        version: int | None = None,
        client: None = None,
        *,
        pattern: str | None = None,
    ) -> list[str]:
        """:meth:`iter_keys` as a list."""
        return list(self.iter_keys(search, None, client, version, pattern=pattern))

    def delete_pattern(
        self,
        pattern: str,
        version: int | None = None,
        prefix: str | None = None,
        client: None = None,
        itersize: int | None = None,
        *,
        wait: bool = True,
    ) -> int | Job:
        """Delete every key matching a glob; returns how many were deleted.

        ``prefix``: another KEY_PREFIX than the cache's; ``itersize`` is
        accepted and unused (django-redis). ``wait=False``: a background job
        on the server; returns its :class:`~aerospike_cache.jobs.Job`.
        """
        no_client(client)
        glob, literal = self._pattern_args(pattern, version, prefix)
        return self._store.delete_pattern(glob, literal, wait=wait)

    def touch_pattern(
        self,
        pattern: str,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        *,
        wait: bool = True,
    ) -> int | Job:
        """Give every key matching a glob a new timeout; how many were touched (or a Job)."""
        glob, literal = self._pattern_args(pattern, version)
        ttl = self.get_backend_timeout(timeout)
        return self._store.touch_pattern(glob, ttl, literal, wait=wait)

    def invalidate_tags(self, *tags: str, wait: bool = True) -> int | Job:
        """Delete every entry (any version) carrying any of ``tags``; returns how many."""
        return self._store.invalidate_tags(tags, self._tag_prefix, wait=wait)

    def lock(
        self,
        key: Any,
        version: int | None = None,
        timeout: float | None = None,
        sleep: float = 0.1,
        blocking: bool = True,
        blocking_timeout: float | None = None,
        client: None = None,
        thread_local: bool = True,
    ) -> Lock:
        """A lock named ``key`` (context manager; ``acquire()``/``release()``), with
        django-redis's signature.

        ``timeout``: seconds after which a lock whose holder died expires (``None``:
        never); ``blocking``/``blocking_timeout``: ``acquire()``'s defaults;
        ``thread_local``: the token is the acquiring thread's (``False``: any
        thread may release it).
        """
        no_client(client)
        made = self.make_and_validate_key(key, version=version)
        return Lock(
            self._store,
            made,
            timeout,
            sleep,
            blocking_timeout,
            blocking=blocking,
            thread_local=thread_local,
        )

    async def ainvalidate_tags(self, *tags: str, wait: bool = True) -> int | Job:
        """:meth:`invalidate_tags` on the shared I/O pool."""
        return await self._store.run(functools.partial(self.invalidate_tags, wait=wait), *tags)

    async def adelete_pattern(
        self, pattern: str, version: int | None = None, *, wait: bool = True
    ) -> int | Job:
        """:meth:`delete_pattern` on the shared I/O pool."""
        return await self._store.run(
            functools.partial(self.delete_pattern, wait=wait), pattern, version
        )
