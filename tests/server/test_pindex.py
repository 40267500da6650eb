"""The partition index scans walk: kept with the records through every way they go."""

from __future__ import annotations

import os

from aerospike_cache.server._engine import Namespace, NamespaceConfig
from aerospike_cache.server._membership import drop_partitions

NOW_S = 1000
PUT = [(2, 1, b"v", bytes(8))]


def _digest(pid: int) -> bytes:
    return bytes([pid & 0xFF, pid >> 8]) + os.urandom(18)


def _put(ns: Namespace, digest: bytes, ttl: int = 0, set_name: bytes = b"s") -> None:
    assert ns.write(digest, set_name, None, 0x01, 0, 0, ttl, PUT, NOW_S * 1000)[0] == 0


def _walk(ns: Namespace, pid: int, after: bytes | None = None, now_s: int = NOW_S) -> list[bytes]:
    return [d for d, _r in ns.partition_records(pid, None, after, now_s * 1000)[0]]


def test_a_partition_is_walked_in_digest_order_from_a_resume_digest() -> None:
    ns = Namespace(NamespaceConfig("t"))
    digests = sorted(_digest(7) for _ in range(20))
    for d in reversed(digests):
        _put(ns, d)
    _put(ns, _digest(8))
    assert _walk(ns, 7) == digests
    assert _walk(ns, 7, digests[4]) == digests[5:]
    assert _walk(ns, 7, digests[-1]) == []
    assert ns.partition_records(7, b"other", None, NOW_S * 1000) == ([], 0)


def test_deletes_and_rewrites_keep_the_index_exact() -> None:
    ns = Namespace(NamespaceConfig("t"))
    digests = sorted(_digest(3) for _ in range(10))
    for d in digests:
        _put(ns, d)
    assert _walk(ns, 3) == digests  # sorted once
    for d in digests[::2]:
        assert ns.delete(d, None, 0, 0, NOW_S * 1000)[0] == 0
    assert _walk(ns, 3) == digests[1::2]
    _put(ns, digests[0])
    assert _walk(ns, 3) == [digests[0], *digests[1::2]]


def test_expiry_truncate_clear_and_lost_partitions_leave_the_index() -> None:
    ns = Namespace(NamespaceConfig("t"))
    short, kept, other_set, lost = _digest(1), _digest(1), _digest(1), _digest(2)
    _put(ns, short, ttl=5)
    _put(ns, kept)
    _put(ns, other_set, set_name=b"o")
    _put(ns, lost)
    assert _walk(ns, 1, now_s=NOW_S + 10) == sorted([kept, other_set])  # expired: not listed
    assert ns.purge_expired(NOW_S + 10) == 1
    assert _walk(ns, 1) == sorted([kept, other_set])
    assert ns.truncate(b"o", (NOW_S + 1) * 1000) == 1
    assert _walk(ns, 1) == [kept]
    assert drop_partitions([ns], {2}) == 1
    assert _walk(ns, 2) == []
    _put(ns, lost)
    assert _walk(ns, 2) == [lost]
    ns.clear()
    assert _walk(ns, 1) == [] and _walk(ns, 2) == []
    _put(ns, kept)
    assert _walk(ns, 1) == [kept]
