"""What every collection method of the frontends stands on: the frontend's hooks
(key rules, the TTL of a created collection, tag namespacing) and the store's
:class:`~aerospike_cache.store.collections.Collections`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store import AerospikeStore
    from ..store.collections import Collections


class CollectionHooks:
    """The three hooks a frontend supplies, and the shorthands the methods use."""

    if TYPE_CHECKING:
        _store: AerospikeStore

    def _collection_key(self, key: Any, version: int | None) -> str:
        """The store key of ``key`` (the frontend's key rules)."""
        raise NotImplementedError

    def _collection_ttl(self) -> float | None:
        """The TTL of a collection a write creates: the cache's default timeout."""
        raise NotImplementedError

    def _collection_tags(self, tags: Iterable[str] | None) -> list[str] | None:
        """The stored form of ``tags`` (namespaced as the frontend's other tags)."""
        raise NotImplementedError

    @property
    def _coll(self) -> Collections:
        return self._store.collections

    def _k(self, key: Any, version: int | None) -> str:
        return self._collection_key(key, version)

    def _new_ttl(self) -> float | None:
        return self._collection_ttl()

    def _tags(self, tags: Iterable[str] | None) -> list[str] | None:
        return self._collection_tags(tags) if tags else None
