"""cachelib's cache contract, as Flask-Caching uses it, onto the ``AerospikeStore``.

Each method below is one row of a table: cachelib semantics in (key prefix,
``timeout`` ``None`` = the default and ``0`` = never expires, a miss is
``None``), one store call out.

============================  ==================================================
cachelib                      store
============================  ==================================================
``get(k)``                    ``get`` (``MISSING`` -> ``None``)
``get_many(*ks)``             ``get_many``: one batch read (one key: ``get``)
``get_dict(*ks)``             ``get_many``
``set(k, v, t)``              ``set`` -> ``True`` / ``False`` (refused)
``add(k, v, t)``              ``add``: one create-only write
``set_many(m, t)``            ``set_many``: one batch write (one key: ``set``)
``has(k)``                    ``has``: metadata only
``delete(k)``                 ``delete`` -> whether it existed
``delete_many(*ks)``          ``delete_many``: one batch remove (one key: ``delete``)
``inc``/``dec(k, d)``         ``incr(create=True, ttl=default)``: atomic, TTL kept
``clear()``                   ``clear``: truncates the configured set (``False``: it did not)
``unlink(*ks)``               ``delete_many``
``set``/``add``/``set_many``  ``tags=[...]``: namespaced by ``key_prefix``
``invalidate_tags(*tags)``    ``invalidate_tags``: a filtered query + batch removes
``delete_pattern(glob)``      ``delete_pattern``: a regex on the stored key
============================  ==================================================

Timeouts: ``None`` -> ``default_timeout``; ``0`` -> never expires; a
``timedelta`` is rounded up to whole seconds; a negative timeout means the
entry is gone at once (a write deletes it), as in cachelib's SimpleCache.

The extras (``ttl``, the client calls, tags and patterns) are mixed in from
``extras.py``, the collections from ``collections.py``.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cachelib import BaseCache as CachelibBaseCache
from flask import Flask
from flask_caching.backends.base import BaseCache

from .. import options
from ..errors import ConfigurationError
from ..store import MISSING, AerospikeStore
from ..store.shared import shared_store
from ..tags import validate as validate_tags
from . import cli
from .collections import FlaskCollections
from .config import backend_kwargs, blame
from .decorators import called_by_decorator, memoize_versioning
from .extras import FlaskExtras

DEFAULT_SET = "flask"
"""The set the cache lives in unless ``CACHE_AEROSPIKE_SET`` says otherwise."""


# cachelib's own conversion (a timedelta rounded up, a deprecated float too);
# cachelib < 0.17, the newest for Python 3.10, has none
_CACHELIB_TO_SECONDS = getattr(CachelibBaseCache, "_to_seconds", None)


def _to_seconds(timeout: int | float | dt.timedelta) -> int:
    """A timeout in whole seconds, as cachelib converts it."""
    if _CACHELIB_TO_SECONDS is not None:
        return _CACHELIB_TO_SECONDS(timeout)  # type: ignore[no-any-return]
    if isinstance(timeout, dt.timedelta):
        return math.ceil(timeout.total_seconds())
    if isinstance(timeout, float):
        return math.ceil(timeout)
    if isinstance(timeout, int):
        return timeout
    raise TypeError(f"timeout must be an int or datetime.timedelta, got {type(timeout).__name__!r}")


def _looks_like_client(obj: Any) -> bool:
    """A pre-built ``aerospike`` client passed where hosts go (the predecessor's first argument)."""
    return (
        obj is not None
        and not isinstance(obj, (str, bytes, list, tuple))
        and callable(getattr(obj, "get", None))
        and callable(getattr(obj, "put", None))
    )


class AerospikeCache(FlaskExtras, FlaskCollections, BaseCache):
    """Flask-Caching backend on Aerospike.

    Configure it with ``CACHE_TYPE = "aerospike_cache.flask.AerospikeCache"``
    (see :meth:`factory` for the settings), or build it directly::

        AerospikeCache(hosts=[("127.0.0.1", 3000, None)], namespace="cache", set_name="flask")
        AerospikeCache(client=my_client, namespace="cache")  # a client we never close

    Args:
        hosts: seed hosts: ``[(host, port, tls_name), ...]`` (``tls_name`` may be
            ``None``), ``"host:port,host:port"`` or a list of such strings. A
            pre-built client given here is taken as ``client`` (the
            ``aerospike-flask-cache`` argument order).
        namespace: the Aerospike namespace (default ``"cache"``).
        set_name: the set (default ``"flask"``; ``None``: the namespace's null set).
        default_timeout: seconds (or a ``timedelta``) used when a call gives no
            timeout; ``0``: never expires.
        key_prefix: a string, or a callable returning one, put before every key.
        ignore_delete_many_errors: if false, :meth:`delete_many` raises
            ``RuntimeError`` when a key is still there after the attempt.
        client: a pre-built ``aerospike`` client, used as is and never closed.
        **store_options: any other :class:`~aerospike_cache.store.AerospikeStore`
            option (``client_config``, ``timeout_ms``, ``serializer``,
            ``compressor``, ``fail_open``, ...).
    """

    def __init__(
        self,
        hosts: Any = None,
        namespace: str = options.BY_NAME["namespace"].default,
        set_name: str | None = DEFAULT_SET,
        default_timeout: int | dt.timedelta = 300,
        key_prefix: str | Callable[[], str] | None = None,
        ignore_delete_many_errors: bool = False,
        *,
        client: Any = None,
        **store_options: Any,
    ) -> None:
        if client is None and _looks_like_client(hosts):
            client, hosts = hosts, None
        if isinstance(default_timeout, bool) or not isinstance(
            default_timeout, (int, float, dt.timedelta)
        ):
            raise ConfigurationError(
                "default_timeout must be a whole number of seconds or a timedelta "
                f"(0: never expires), got {default_timeout!r}"
            )
        # Only default_timeout: Flask-Caching 2.4 (the newest for Python 3.10) takes no more.
        super().__init__(default_timeout=_to_seconds(default_timeout))
        self.ignore_delete_many_errors = ignore_delete_many_errors
        if self.default_timeout < 0:
            raise ConfigurationError(
                f"default_timeout must be >= 0 (0: never expires), got {default_timeout!r}"
            )
        if not isinstance(ignore_delete_many_errors, bool):
            raise ConfigurationError(
                "ignore_delete_many_errors must be True or False, "
                f"got {ignore_delete_many_errors!r}"
            )
        if key_prefix is not None and not (isinstance(key_prefix, str) or callable(key_prefix)):
            raise ConfigurationError(
                f"key_prefix must be a string or a callable returning one, got {key_prefix!r}"
            )
        self.key_prefix: str | Callable[[], str] = key_prefix or ""
        given = {"namespace": namespace, "set_name": set_name, "client": client, **store_options}
        kwargs = options.validate(given, str, "AerospikeCache()")
        # cachelib style: a subclass may set ``serializer = MySerializer()`` on the class.
        declared = inspect.getattr_static(type(self), "serializer")
        if not isinstance(declared, property) and "serializer" not in kwargs:
            kwargs["serializer"] = declared
        if kwargs["client"] is None and hosts is None:
            raise ConfigurationError(
                "no Aerospike cluster configured: give the seed hosts "
                "(CACHE_AEROSPIKE_HOSTS = [('127.0.0.1', 3000, None)]) or a pre-built client "
                "(CACHE_AEROSPIKE_CLIENT)"
            )
        self._hosts = hosts
        self._store_kwargs = kwargs
        self._store = shared_store(hosts, kwargs)

    @classmethod
    def factory(
        cls,
        app: Flask | None,
        config: dict[str, Any],
        args: list[Any],
        kwargs: dict[str, Any],
    ) -> AerospikeCache:
        """Build the cache from Flask-Caching's configuration (``Cache(app)``).

        The settings read and how they merge: :mod:`aerospike_cache.flask.config`.
        A bad, conflicting or unknown setting raises
        :class:`~aerospike_cache.errors.ConfigurationError` naming it.
        ``app`` may be ``None`` (a backend built without an app, as
        ``aerospike-flask-cache``'s users did): then no CLI is registered.
        """
        merged, origin = backend_kwargs(config, args, kwargs)
        try:
            backend = cls(**merged)
        except ConfigurationError as exc:
            raise blame(exc, origin) from exc
        if app is not None:
            cli.register(app)  # flask aerospike-cache stats | invalidate
        return backend

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._store!r} key_prefix={self.key_prefix!r}>"

    # -- configuration ------------------------------------------------------

    @property
    def store(self) -> AerospikeStore:
        """The underlying store (for Aerospike-specific calls: ``ttl``, ``touch``, ``keys``...)."""
        return self._store

    @property
    def serializer(self) -> Any:
        """The serializer of new entries: ``"pickle"`` (default), ``"json"``, ``"msgpack"``,
        or an object with ``dumps``/``loads`` (a cachelib serializer).

        Flask-Caching assigns ``CACHE_SERIALIZER`` here after building the cache.
        Entries carry the format they were written with: older entries written
        by a built-in serializer stay readable after a change, except pickles
        once pickle is no longer the serializer (they read as misses, never
        unpickled).
        """
        return self._store_kwargs.get("serializer", options.BY_NAME["serializer"].default)

    @serializer.setter
    def serializer(self, value: Any) -> None:
        # The serializer is part of a store's configuration: the cache moves to
        # the (shared) store of the new configuration; the old store, and
        # whatever it holds (observers, a near cache), stays with the caches
        # still configured that way. See docs/flask.md.
        kwargs = {**self._store_kwargs, "serializer": value}
        self._store = shared_store(self._hosts, kwargs)
        self._store_kwargs = kwargs

    # -- keys and timeouts --------------------------------------------------

    def _prefix(self) -> str:
        return self.key_prefix if isinstance(self.key_prefix, str) else self.key_prefix()

    def _key(self, key: str) -> str:
        prefix = self._prefix()
        if not prefix and type(key) is str:
            return key
        return f"{prefix}{key}"

    def _keys(self, keys: Iterable[str]) -> list[str]:
        """:meth:`_key` of each key, the prefix made once (a batch of 100 saves 200 calls)."""
        prefix = self._prefix()
        return [prefix + k if type(k) is str else f"{prefix}{k}" for k in keys]

    def _ttl(self, timeout: int | dt.timedelta | None) -> float | None:
        """cachelib timeout -> store TTL: ``None`` the default, ``0`` never, ``< 0`` gone."""
        seconds = self.default_timeout if timeout is None else _to_seconds(timeout)
        if seconds == 0:
            return None
        return float(seconds) if seconds > 0 else 0.0

    # -- the contract -------------------------------------------------------

    def get(self, key: str) -> Any:
        made = self._key(key)
        value = self._store.get(made)
        if value is MISSING:
            stampede = self._store.stampede
            if stampede is not None and stampede.decorators and called_by_decorator():
                value = stampede.claim(made)  # wait for the caller already computing it
        return None if value is MISSING else value

    def get_many(self, *keys: str) -> list[Any]:
        if len(keys) <= 1:
            values = [self.get(k) for k in keys]
        else:
            made = self._keys(keys)
            found = self._store.get_many(made)
            values = [found.get(m) for m in made]
        stampede = self._store.stampede
        # not `None in values`: values may define __eq__
        if stampede is not None and stampede.decorators and any(v is None for v in values):
            versioning = memoize_versioning()
            if versioning is not None:
                return self._create_versions(keys, values, *versioning)
        return values

    def _create_versions(
        self,
        keys: tuple[str, ...],
        values: list[Any],
        make_version: Callable[[], str],
        timeout: int | None,
    ) -> list[Any]:
        """``@memoize``'s missing version keys, each created once: the winner's value.

        Flask-Caching makes a missing version itself and writes it with
        ``set_many``: concurrent first callers would each make their own and
        cache the function under different keys. A create-only write decides
        instead, and every caller reads the version that won.
        """
        ttl = self._ttl(timeout)
        for i, (key, value) in enumerate(zip(keys, values, strict=True)):
            if value is None:
                made = self._key(key)
                version = make_version()
                won = self._store.add(made, version, ttl)
                values[i] = version if won else self._store.get(made)
                if values[i] is MISSING:  # gone again at once: Flask-Caching makes one
                    values[i] = None
        return values

    def get_dict(self, *keys: str) -> dict[str, Any]:
        return dict(zip(keys, self.get_many(*keys), strict=True))

    def has(self, key: str) -> bool:
        return self._store.has(self._key(key))

    def set(
        self,
        key: str,
        value: Any,
        timeout: int | dt.timedelta | None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> bool:
        made = self._key(key)
        # the tags' prefix is made only when there are tags (key_prefix may be a callable)
        prefix = self._prefix() if tags else ""
        ttl = self._ttl(timeout)
        # a timeout < 0 removes the entry: cachelib's set() still answers True
        stored = self._store.set(made, value, ttl, tags, prefix) or ttl == 0.0
        stampede = self._store.stampede
        if stampede is not None and stampede.decorators:
            stampede.filled(made)  # release a claim a decorator's get took (only they claim)
        return stored

    def add(
        self,
        key: str,
        value: Any,
        timeout: int | dt.timedelta | None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> bool:
        prefix = self._prefix() if tags else ""
        return self._store.add(self._key(key), value, self._ttl(timeout), tags, prefix)

    def set_many(
        self,
        mapping: Mapping[str, Any],
        timeout: int | dt.timedelta | None = None,
        *,
        tags: Iterable[str] | None = None,
    ) -> list[Any]:
        if len(mapping) <= 1:  # one put is cheaper on the server than a batch of one
            validate_tags(tags)  # refused alike for any number of keys
            return [k for k, v in mapping.items() if self.set(k, v, timeout, tags=tags)]
        made = dict(zip(self._keys(mapping), mapping, strict=True))  # made -> key
        items = {m: mapping[k] for m, k in made.items()}
        failed = self._store.set_many(items, self._ttl(timeout), tags, self._prefix())
        if not failed:
            return list(mapping)
        refused = set(failed)
        return [k for m, k in made.items() if m not in refused]

    def delete(self, key: str) -> bool:
        return self._store.delete(self._key(key))

    def delete_many(self, *keys: str) -> list[Any]:
        """Delete in one batch; returns the keys deleted (absent ones count).

        A key whose row failed (e.g. key busy, or the cluster is down under
        fail-open) is not reported; without ``ignore_delete_many_errors`` (and
        without fail-open, which never raises) it raises ``RuntimeError``
        naming the keys, as cachelib's backends do.
        """
        if len(set(keys)) <= 1:
            # One remove: "not found" means absent, and anything else raises.
            for key in set(keys):
                self.delete(key)
            return list(keys)
        made = self._keys(keys)
        failed = set(self._store.remove_many(made)[1])
        if failed and not (self.ignore_delete_many_errors or self._store.fail_open):
            bad = [k for k, m in zip(keys, made, strict=True) if m in failed]
            raise RuntimeError(f"Failed to delete keys: {bad}")
        return [k for k, m in zip(keys, made, strict=True) if m not in failed]

    def unlink(self, *keys: str) -> list[Any]:
        """Same as :meth:`delete_many` (Aerospike removes records at once)."""
        return self.delete_many(*keys)

    def clear(self) -> bool:
        """Truncate the configured set (the null set only if namespace truncation is allowed).

        ``False`` if the truncate did not happen (fail-open swallowed the error).
        """
        return self._store.clear()

    def inc(self, key: str, delta: int = 1) -> int | None:
        """Add ``delta`` atomically on the server; ``None`` if the value is not an integer.

        A missing key is created with ``delta`` and the default timeout; an
        existing one keeps its TTL.
        """
        if not isinstance(delta, int):
            raise TypeError(f"delta must be an int, got {type(delta).__name__}")
        try:
            return self._store.incr(self._key(key), delta, create=True, ttl=self._ttl(None))
        except TypeError:  # the stored value is not an integer
            return None

    def dec(self, key: str, delta: int = 1) -> int | None:
        """``inc(key, -delta)``: a missing key is created with ``-delta``."""
        if not isinstance(delta, int):
            raise TypeError(f"delta must be an int, got {type(delta).__name__}")
        return self.inc(key, -delta)

    def get_or_set(
        self, key: str, fn: Callable[[], Any], timeout: int | dt.timedelta | None = None
    ) -> Any:
        """The value of ``key``; if missing, ``fn()`` is computed once across processes and stored.

        With ``stampede`` on (the default) the first caller to miss computes
        under a short lock record while the others wait for its value
        (bounded); see the README's stampede section.
        """
        return self._store.get_or_set(self._key(key), fn, self._ttl(timeout))

    def stats(self) -> dict[str, Any]:
        """This process's figures for the cache: hits, misses, near hits, errors, latency."""
        return self._store.stats()

    def capacity_warnings(self) -> list[tuple[str, str]]:
        """What will make the namespace refuse writes as it fills (``flask aerospike-cache
        check``)."""
        return self._store.capacity_warnings(self.default_timeout == 0, "CACHE_DEFAULT_TIMEOUT")

    def reset_stats(self) -> None:
        """Start :meth:`stats` from zero."""
        self._store.reset_stats()
