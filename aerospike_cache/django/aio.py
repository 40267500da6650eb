"""Django's async cache contract, natively: real concurrency, reads coalesced into
batches. Mixed into :class:`~aerospike_cache.django.cache.AerospikeCache`; every store
call runs on the store's shared I/O pool (``aget``: its read coalescer).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

from ..errors import NamespaceFullError
from ..store import MISSING
from ..tags import validate as validate_tags

if TYPE_CHECKING:
    from ..store import AerospikeStore
    from ..store.stampede import Tags

_MISS = object()


class DjangoAsync(BaseCache):
    """The ``a``-prefixed methods of Django's contract, without its executor hop."""

    if TYPE_CHECKING:
        _store: AerospikeStore

        @property
        def _tag_prefix(self) -> str: ...
        def _made_keys(self, keys: Iterable[Any], version: int | None) -> dict[str, Any]: ...
        def _incr(self, key: Any, made: str, delta: int, ignore_key_check: bool = ...) -> int: ...
        def _fill(
            self, key: Any, default: Any, timeout: Any, version: int | None, tags: Any
        ) -> tuple[str, Callable[[], Any], float | None, Tags]: ...

    async def aget(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        value = await self._store.aget(self.make_and_validate_key(key, version=version))
        return default if value is MISSING else value

    async def aget_or_set(
        self,
        key: Any,
        default: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> Any:
        """:meth:`get_or_set` for async code: waits sleep on the event loop.

        Written out for every path, never through Django's ``aget_or_set``
        (6.1's runs an overridden ``get_or_set`` in its one thread-sensitive
        executor): ``default()`` runs on the event loop, store calls on the I/O pool.
        """
        if tags:
            validate_tags(tags)  # bad tags fail before anything is computed
        if self._store.stampede is None:
            return await self._aget_or_add(key, default, timeout, version, tags)
        fill = self._fill(key, default, timeout, version, tags)
        return await self._store.stampede.aget_or_set(*fill)

    async def _aget_or_add(
        self, key: Any, default: Any, timeout: Any, version: int | None, tags: Any
    ) -> Any:
        """:meth:`_get_or_add` for async code (Django's own ``aget_or_set`` algorithm)."""
        value = await self.aget(key, _MISS, version=version)
        if value is _MISS:
            if callable(default):
                default = default()
            with contextlib.suppress(NamespaceFullError):
                await self.aadd(key, default, timeout=timeout, version=version, tags=tags)
            return await self.aget(key, default, version=version)
        return value

    async def aget_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        made = self._made_keys(keys, version)
        found = await self._store.run(self._store.get_many, made)
        return {made[k]: v for k, v in found.items()}

    async def aadd(
        self,
        key: Any,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        ttl = self.get_backend_timeout(timeout)
        return await self._store.run(self._store.add, key, value, ttl, tags, self._tag_prefix)

    async def aset(
        self,
        key: Any,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        ttl = self.get_backend_timeout(timeout)
        await self._store.run(self._store.set, key, value, ttl, tags, self._tag_prefix)

    async def atouch(
        self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return await self._store.run(self._store.touch, key, self.get_backend_timeout(timeout))

    async def adelete(self, key: Any, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return await self._store.run(self._store.delete, key)

    async def ahas_key(self, key: Any, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return await self._store.run(self._store.has, key)

    async def aincr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        made = self.make_and_validate_key(key, version=version)  # warns in the caller's context
        return await self._store.run(self._incr, key, made, delta)

    async def aset_many(
        self,
        data: Mapping[Any, Any],
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> list[Any]:
        made = self._made_keys(data, version)
        items = {m: data[k] for m, k in made.items()}
        ttl = self.get_backend_timeout(timeout)
        failed = await self._store.run(self._store.set_many, items, ttl, tags, self._tag_prefix)
        return [made[m] for m in failed]

    async def adelete_many(  # type: ignore[override]
        self, keys: Iterable[Any], version: int | None = None
    ) -> int | None:
        made = list(self._made_keys(keys, version))
        return len(await self._store.run(self._store.delete_many, made)) if made else None

    async def aclear(self) -> None:
        await self._store.run(self._store.clear)

    async def aincr_version(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return await self._store.run(self.incr_version, key, delta, version)

    async def aclose(self, **kwargs: Any) -> None:
        """Nothing to do per request (see :meth:`close`)."""
