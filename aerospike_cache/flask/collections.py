"""The collections (:mod:`aerospike_cache.collections`) with Flask-Caching's key and timeout rules.

Reached on the backend: ``cache.cache.hset("h", "f", 1)``, ``cache.cache.sadd("s", 1, 2)``,
``cache.cache.zadd("z", {"m": 1.5})`` (``cache`` the ``flask_caching.Cache``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import tags as tagging
from ..collections import CollectionsMixin


class FlaskCollections(CollectionsMixin):
    """Keys with ``key_prefix``; a created collection lives ``default_timeout``; tags by
    ``key_prefix``. Flask-Caching has no key versions: ``version=`` must stay ``None``."""

    if TYPE_CHECKING:

        def _key(self, key: str) -> str: ...
        def _ttl(self, timeout: Any) -> float | None: ...
        def _prefix(self) -> str: ...

    def _collection_key(self, key: Any, version: int | None) -> str:
        if version is not None:
            raise TypeError("Flask-Caching keys have no versions: leave version=None")
        return self._key(key)

    def _collection_ttl(self) -> float | None:
        return self._ttl(None)

    def _collection_tags(self, tags: Iterable[str] | None) -> list[str] | None:
        return tagging.stored(tags, self._prefix())
