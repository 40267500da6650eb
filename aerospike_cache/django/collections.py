"""The collections (:mod:`aerospike_cache.collections`) with Django's key and timeout rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import tags as tagging
from ..collections import CollectionsMixin


class DjangoCollections(CollectionsMixin):
    """Keys made as every Django key (``KEY_PREFIX``, ``version=``, ``KEY_FUNCTION``, key
    warnings); a created collection lives the cache's ``TIMEOUT``; tags by ``KEY_PREFIX``."""

    if TYPE_CHECKING:

        def make_and_validate_key(self, key: Any, version: int | None = None) -> str: ...
        def get_backend_timeout(self, timeout: Any = ...) -> float | None: ...
        @property
        def _tag_prefix(self) -> str: ...

    def _collection_key(self, key: Any, version: int | None) -> str:
        return self.make_and_validate_key(key, version=version)

    def _collection_ttl(self) -> float | None:
        return self.get_backend_timeout()

    def _collection_tags(self, tags: Iterable[str] | None) -> list[str] | None:
        return tagging.stored(tags, self._tag_prefix)
