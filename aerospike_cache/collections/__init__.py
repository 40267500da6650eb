"""django-redis's hashes, sets and sorted sets, for the frontends (a mixin of each backend).

Names, signatures (positional order included) and return values are
django-redis 7's (its ``client=`` argument, a Redis connection, has no
meaning here); hashes also offer ``hget``/``hgetall``/``hmget``/``hincrby``/
``hvals``/``hsetnx`` as redis-py names them. Each method is one store call
(:mod:`aerospike_cache.store.collections`). A frontend supplies three hooks:
how a key is made (Django: ``KEY_PREFIX``, ``version=``, ``KEY_FUNCTION``;
Flask: ``key_prefix``), the TTL of a collection a write creates (the cache's
default timeout: a write to an existing key keeps its expiry; change it
with ``expire``/``persist``/``touch``) and how tags are namespaced. Every
method has an ``a``-prefixed async form on the shared I/O pool.

The hooks live in :mod:`.base`, the methods by kind in :mod:`.hashes`,
:mod:`.sets` and :mod:`.zsets`; :class:`CollectionsMixin` is all three.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from .hashes import HASH_METHODS, HashMethods
from .sets import SET_METHODS, SetMethods
from .zsets import ZSET_METHODS, SortedSetMethods


class CollectionsMixin(HashMethods, SetMethods, SortedSetMethods):
    """Hashes, sets and sorted sets, as django-redis 7 has them (see the module docstring)."""


COLLECTION_METHODS = (*HASH_METHODS, *SET_METHODS, *ZSET_METHODS)
"""Every collection method; each has an ``a``-prefixed async form."""


def _async_form(name: str) -> Callable[..., Awaitable[Any]]:
    async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        method = getattr(self, name)
        return await self._store.run(functools.partial(method, *args, **kwargs))

    run.__name__ = run.__qualname__ = f"a{name}"
    run.__doc__ = f":meth:`{name}` for async code, on the shared I/O pool."
    return run


for _name in COLLECTION_METHODS:
    setattr(CollectionsMixin, f"a{_name}", _async_form(_name))


__all__ = ["COLLECTION_METHODS", "CollectionsMixin"]
