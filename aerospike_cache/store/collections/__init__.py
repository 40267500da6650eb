"""Hashes, sets and sorted sets on one record's map bin, changed by server-side map operations.

One cache key is one record, laid out as every entry is (:mod:`.expiry`):
the value bin holds a map, the deadline bin the exact expiry, the tag bin the
tags. A hash maps field -> value (the value through the codec, an exact
int64 native so that ``hincrby`` is one atomic map increment); a set maps
member -> ``1`` (the smallest msgpack value, one byte as ``true`` is, and the
same on every client whatever its ``send_bool_as``); a sorted set maps
member -> score (a double: Aerospike orders ints before doubles, so every
score is a float). Members are map keys: the codec's bytes of the member (an
exact int64 as itself), so equal members are one key. Hashes and sets are
key-ordered maps, sorted sets key-value-ordered (rank and score ranges read
an index, not the whole map).

The modules: :mod:`.base` the record machinery every kind shares (one
atomic ``operate`` per operation; reads and writes under exact expiry,
creation, wrong types, fail-open, the member codec), :mod:`.hashes`,
:mod:`.sets` (with the set algebra across keys) and :mod:`.zsets` (with
Redis's score bounds and rank ranges).
"""

from __future__ import annotations

from .base import KEYED
from .hashes import Hashes
from .sets import SET_MARK, Sets
from .zsets import SCORED, SortedSets


class Collections(Hashes, Sets, SortedSets):
    """The hash, set and sorted-set operations of a store (see the module docstring).

    Keys are the store's keys (made by the frontend); ``ttl`` of a write is
    the store's TTL language and applies only when the write creates the key.
    """


__all__ = ["KEYED", "SCORED", "SET_MARK", "Collections"]
