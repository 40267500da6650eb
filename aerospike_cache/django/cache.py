"""Django's cache contract onto :class:`~aerospike_cache.store.AerospikeStore`.

Each method below is one row of a table: Django semantics in (key making and
validation, timeouts, defaults, exceptions), one store call out. The rest of the
backend is mixed in: the async contract (``aio.py``), django-redis's extras
(``extras.py``) and collections (``collections.py``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import (
    DEFAULT_TIMEOUT,
    MEMCACHE_MAX_KEY_LENGTH,
    BaseCache,
    default_key_func,
)
from django.core.exceptions import ImproperlyConfigured

from .. import options
from ..errors import ConfigurationError, NamespaceFullError
from ..store import MISSING, AerospikeStore
from ..store.shared import shared_store
from ..store.stampede import Tags
from ..tags import validate as validate_tags
from . import redis_compat
from .aio import DjangoAsync
from .collections import DjangoCollections
from .extras import DjangoExtras
from .redis_compat import no_client

DEFAULT_SET = "django"
_MISS = object()

# The characters Django warns about in keys (memcached refuses them), compiled
# eagerly: Django's own pattern is a lazy proxy that costs a microsecond a key.
_MEMCACHE_BAD_CHARS = re.compile(r"[\x00-\x20\x7f]").search

_SPELLING = {"set_name": "SET", "fail_open": "IGNORE_EXCEPTIONS"}


def option_name(store_name: str) -> str:
    """The Django OPTIONS spelling of a store option (``set_name`` -> ``SET``)."""
    return _SPELLING.get(store_name, store_name.upper())


def _store_for(location: Any, opts: Mapping[str, Any]) -> AerospikeStore:
    """The store of this configuration, shared by every backend instance (one per thread)."""
    where = f"the OPTIONS of the cache with LOCATION {location!r}"
    try:
        opts = redis_compat.translate(opts)
        redis_compat.settings_defaults(settings, opts)
        kwargs = options.validate(opts, option_name, where)
        kwargs.setdefault("set_name", DEFAULT_SET)
        if kwargs.get("client") is None and not location:
            raise ConfigurationError(
                "the cache's LOCATION is empty: give the Aerospike seed hosts, "
                "e.g. '127.0.0.1:3000' or ['h1:3000', 'h2:3000']"
            )
        return shared_store(location or None, kwargs)
    except ConfigurationError as exc:
        raise ImproperlyConfigured(f"aerospike_cache: {exc}") from exc


class AerospikeCache(DjangoExtras, DjangoAsync, DjangoCollections, BaseCache):
    """Django cache backend on Aerospike.

    ``LOCATION``: seed hosts, ``"host:port[,host:port]"`` or a list.
    ``OPTIONS``: see the README's table (``NAMESPACE``, ``SET``, ``CLIENT_CONFIG``,
    ``SERIALIZER``, ``COMPRESSOR``, ``IGNORE_EXCEPTIONS``, ``TIMEOUT_MS``, ...).
    """

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(params)
        self._store = _store_for(server, params.get("OPTIONS") or {})
        cls = type(self)
        # Key making in one frame, unless a subclass makes or checks keys its own way.
        self._inline_keys = (
            cls.make_key is BaseCache.make_key and cls.validate_key is AerospikeCache.validate_key
        )

    @property
    def store(self) -> AerospikeStore:
        """The underlying store (shared by every backend instance of this configuration)."""
        return self._store

    def get_backend_timeout(self, timeout: Any = DEFAULT_TIMEOUT) -> float | None:
        """Django timeout -> store TTL: ``None`` never expires, ``<= 0`` is gone at once."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None:
            return None
        return float(timeout) if float(timeout) > 0 else 0.0

    def validate_key(self, key: Any) -> None:
        """Django's check (``CacheKeyWarning`` on keys memcached would refuse), fast when clean."""
        if len(key) > MEMCACHE_MAX_KEY_LENGTH or _MEMCACHE_BAD_CHARS(key):
            super().validate_key(key)

    def make_and_validate_key(self, key: Any, version: int | None = None) -> str:
        """Django's ``make_key`` then ``validate_key``; inlined for the default key function."""
        if self.key_func is not default_key_func or not self._inline_keys:
            return super().make_and_validate_key(key, version=version)
        # default_key_func to the letter: %-formatting (str()), not format().
        made = "%s:%s:%s" % (self.key_prefix, self.version if version is None else version, key)  # noqa: UP031
        if len(made) > MEMCACHE_MAX_KEY_LENGTH or _MEMCACHE_BAD_CHARS(made):
            BaseCache.validate_key(self, made)
        return made

    def _prefixed_key(self, key: Any, version: int | None, prefix: str | None) -> str:
        """django-redis's ``make_key(key, version, prefix)``: another KEY_PREFIX for one call."""
        if prefix is None:
            return self.make_and_validate_key(key, version=version)
        made = self.key_func(key, prefix, self.version if version is None else version)
        self.validate_key(made)
        return str(made)

    @property
    def client(self) -> Any:
        """django-redis's client object has no equivalent here (see the README's table)."""
        raise AttributeError(
            "aerospike_cache has no django-redis client object (no client classes, sharding "
            "or raw connection): cache.store is the AerospikeStore every call goes through"
        )

    def _made_keys(self, keys: Iterable[Any], version: int | None) -> dict[str, Any]:
        """``{made key: key}`` for many keys; the default key function in one loop."""
        if self.key_func is not default_key_func or not self._inline_keys:
            return {self.make_and_validate_key(k, version=version): k for k in keys}
        head = "%s:%s:" % (self.key_prefix, self.version if version is None else version)  # noqa: UP031
        made = {head + k if type(k) is str else "%s%s" % (head, k): k for k in keys}  # noqa: UP031
        # validate_key's check, once for the batch: a bad character in any key is one in
        # the keys joined, and only the longest key can be too long
        if made and (
            _MEMCACHE_BAD_CHARS("".join(made)) or max(map(len, made)) > MEMCACHE_MAX_KEY_LENGTH
        ):
            for m in made:
                self.validate_key(m)
        return made

    @property
    def _tag_prefix(self) -> str:
        """Tags are namespaced by KEY_PREFIX (not by version): ``"<prefix>:<tag>"``."""
        return f"{self.key_prefix}:" if self.key_prefix else ""

    # -- the contract -------------------------------------------------------

    def add(
        self,
        key: Any,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        client: None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> bool:
        no_client(client)
        key = self.make_and_validate_key(key, version=version)
        ttl = self.get_backend_timeout(timeout)
        return self._store.add(key, value, ttl, tags, self._tag_prefix)

    def get(
        self, key: Any, default: Any = None, version: int | None = None, client: None = None
    ) -> Any:
        if client is not None:
            no_client(client)
        value = self._store.get(self.make_and_validate_key(key, version=version))
        return default if value is MISSING else value

    # django-redis returns what Django's signatures call None: set, delete_many
    def set(  # type: ignore[override]
        self,
        key: Any,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        client: None = None,
        nx: bool = False,
        xx: bool = False,
        *,
        tags: Iterable[str] | None = None,
    ) -> bool:
        """Django's ``set``; returns whether it was stored (django-redis). ``nx``: only if
        absent (as ``add``), ``xx``: only if present. A timeout <= 0 deletes the key
        (returns whether it existed), except with ``nx``: an existing key is left alone."""
        key = self.make_and_validate_key(key, version=version)
        ttl = self.get_backend_timeout(timeout)
        if nx or xx or client is not None:
            if client is not None:
                no_client(client)
            if nx:  # a timeout <= 0: stored only if absent, and gone at once (django-redis)
                return self._store.add(key, value, ttl, tags, self._tag_prefix)
            return self._store.replace(key, value, ttl, tags, self._tag_prefix)
        return self._store.set(key, value, ttl, tags, self._tag_prefix)

    def touch(
        self,
        key: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        client: None = None,
    ) -> bool:
        no_client(client)
        key = self.make_and_validate_key(key, version=version)
        return self._store.touch(key, self.get_backend_timeout(timeout))

    def delete(
        self,
        key: Any,
        version: int | None = None,
        prefix: str | None = None,
        client: None = None,
    ) -> bool:
        """Remove ``key``; whether it existed. ``prefix``: another KEY_PREFIX (django-redis)."""
        if prefix is not None or client is not None:
            no_client(client)
            return self._store.delete(self._prefixed_key(key, version, prefix))
        return self._store.delete(self.make_and_validate_key(key, version=version))

    def get_many(
        self, keys: Iterable[Any], version: int | None = None, client: None = None
    ) -> dict[Any, Any]:
        if client is not None:
            no_client(client)
        made = self._made_keys(keys, version)
        found = self._store.get_many(made)
        return {made[k]: v for k, v in found.items()}

    def has_key(self, key: Any, version: int | None = None, client: None = None) -> bool:
        no_client(client)
        return self._store.has(self.make_and_validate_key(key, version=version))

    def incr(
        self,
        key: Any,
        delta: int = 1,
        version: int | None = None,
        client: None = None,
        ignore_key_check: bool = False,
    ) -> int:
        """Django's ``incr``: atomic, exact beyond 64 bits. ``ignore_key_check``: a missing
        key is created with ``delta`` and the default timeout (django-redis)."""
        no_client(client)
        return self._incr(
            key, self.make_and_validate_key(key, version=version), delta, ignore_key_check
        )

    def _incr(self, key: Any, made: str, delta: int, ignore_key_check: bool = False) -> int:
        try:
            if ignore_key_check:
                ttl = self.get_backend_timeout()
                value = self._store.incr(made, delta, create=True, ttl=ttl)
            else:
                value = self._store.incr(made, delta)
        except KeyError:
            raise ValueError(f"Key '{key}' not found") from None
        if value is None:  # fail-open outage: the key cannot be found
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return value

    def decr(
        self, key: Any, delta: int = 1, version: int | None = None, client: None = None
    ) -> int:
        return self.incr(key, -delta, version, client)

    def set_many(
        self,
        data: Mapping[Any, Any],
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        client: None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> list[Any]:
        if client is not None:
            no_client(client)
        made = self._made_keys(data, version)
        items = {m: data[k] for m, k in made.items()}
        ttl = self.get_backend_timeout(timeout)
        failed = self._store.set_many(items, ttl, tags, self._tag_prefix)
        return [made[m] for m in failed]

    def delete_many(  # type: ignore[override]
        self, keys: Iterable[Any], version: int | None = None, client: None = None
    ) -> int | None:
        """Remove the keys in one batch; how many existed (django-redis), ``None`` for
        no keys (Django's own contract for that case)."""
        no_client(client)
        made = list(self._made_keys(keys, version))
        return len(self._store.delete_many(made)) if made else None

    def clear(self) -> None:
        self._store.clear()

    def close(self, **kwargs: Any) -> None:
        """Called after every request: the client is shared by the process, so nothing to do."""

    def incr_version(
        self, key: Any, delta: int = 1, version: int | None = None, client: None = None
    ) -> int:
        """Move the value to ``version + delta``, keeping its TTL."""
        no_client(client)
        if version is None:
            version = self.version
        old = self.make_and_validate_key(key, version=version)
        new = self.make_and_validate_key(key, version=version + delta)
        if not self._store.move(old, new):
            raise ValueError(f"Key '{key}' not found")
        return version + delta

    def get_or_set(
        self,
        key: Any,
        default: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> Any:
        """Django's ``get_or_set``; a missing value is computed once across processes.

        With ``STAMPEDE`` on (the default), the first caller to miss computes
        ``default()`` under a short lock record while the others wait for its
        value (bounded); see the README's stampede section. A value it stores
        carries ``tags``.
        """
        if tags:
            validate_tags(tags)  # bad tags fail before anything is computed
        if self._store.stampede is None:
            return self._get_or_add(key, default, timeout, version, tags)
        return self._store.stampede.get_or_set(*self._fill(key, default, timeout, version, tags))

    def _get_or_add(
        self, key: Any, default: Any, timeout: Any, version: int | None, tags: Any
    ) -> Any:
        """Django's own ``get_or_set`` algorithm, its ``add`` carrying ``tags``; a full
        namespace refusing the ``add`` still returns the computed value."""
        value = self.get(key, _MISS, version=version)
        if value is _MISS:
            if callable(default):
                default = default()
            with contextlib.suppress(NamespaceFullError):
                self.add(key, default, timeout=timeout, version=version, tags=tags)
            # Fetch again: a racing add may have won.
            return self.get(key, default, version=version)
        return value

    def _fill(
        self, key: Any, default: Any, timeout: Any, version: int | None, tags: Any
    ) -> tuple[str, Callable[[], Any], float | None, Tags]:
        """What stampede protection's ``get_or_set`` takes: key, computation, TTL, tags."""
        made = self.make_and_validate_key(key, version=version)
        compute = default if callable(default) else (lambda: default)
        return made, compute, self.get_backend_timeout(timeout), (tags, self._tag_prefix)

    def stats(self) -> dict[str, Any]:
        """This process's figures for the cache: hits, misses, near hits, errors, latency."""
        return self._store.stats()

    def capacity_warnings(self) -> list[tuple[str, str]]:
        """What will make the namespace refuse writes as it fills (``check --deploy``)."""
        return self._store.capacity_warnings(self.default_timeout is None, "TIMEOUT")

    def reset_stats(self) -> None:
        """Start :meth:`stats` from zero."""
        self._store.reset_stats()
