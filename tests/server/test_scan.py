"""Partitioned set scans/queries: stored keys, bins, paging with max_records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aerospike

from .conftest import Key

SEND_KEY = {"key": aerospike.POLICY_KEY_SEND}


def test_query_returns_stored_user_keys(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    # (the client sends a ``bytes`` user key as a string; bytearray is a blob)
    keys: list[Any] = [f"k{i}" for i in range(30)] + [7, bytearray(b"blob")]
    for k in keys:
        client.put(make_key(k), {"v": 1}, policy=SEND_KEY)
    client.put(make_key("nokey"), {"v": 1})
    results = client.query(ns, aerospike_set).results()
    assert len(results) == len(keys) + 1
    user_keys = [r[0][2] for r in results]
    assert sorted(str(k) for k in user_keys if k is not None) == sorted(str(k) for k in keys)
    assert user_keys.count(None) == 1
    for (rns, rset, _uk, digest), meta, bins in results:
        assert (rns, rset) == (ns, aerospike_set)
        assert len(digest) == 20
        assert meta["gen"] == 1
        assert bins == {"v": 1}


def test_scan_api(client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]) -> None:
    for i in range(5):
        client.put(make_key(i), {"v": i}, policy=SEND_KEY)
    results = client.scan(ns, aerospike_set).results()
    assert sorted(r[0][2] for r in results) == list(range(5))


def test_query_selected_bins(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    client.put(make_key(1), {"a": 1, "b": 2})
    query = client.query(ns, aerospike_set)
    query.select("b")
    assert [r[2] for r in query.results()] == [{"b": 2}]


def test_query_missing_set_is_empty(client: Any, ns: str, aerospike_set: str) -> None:
    assert client.query(ns, aerospike_set + "_none").results() == []


def test_query_paging_with_max_records(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    total = 57
    for i in range(total):
        client.put(make_key(i), {"v": i}, policy=SEND_KEY)
    query = client.query(ns, aerospike_set)
    query.max_records = 10
    query.paginate()
    seen: list[Any] = []
    pages = 0
    while not query.is_done() and pages < 20:
        page = query.results()
        assert len(page) <= 10
        seen.extend(r[0][2] for r in page)
        pages += 1
    assert sorted(seen) == list(range(total))
    assert pages >= 6


def test_query_foreach(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    for i in range(12):
        client.put(make_key(i), {"v": i}, policy=SEND_KEY)
    got: list[int] = []
    client.query(ns, aerospike_set).foreach(lambda rec: got.append(rec[2]["v"]))
    assert sorted(got) == list(range(12))


def test_query_skips_expired_records(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    import time

    client.put(make_key("short"), {"v": 1}, policy={"ttl": 1})
    client.put(make_key("long"), {"v": 2})
    time.sleep(2.1)
    assert [r[2] for r in client.query(ns, aerospike_set).results()] == [{"v": 2}]


def test_query_without_bins(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    for i in range(3):
        client.put(make_key(i), {"v": i}, policy={**SEND_KEY, "ttl": 1000})
    results = client.query(ns, aerospike_set).results(options={"nobins": True})
    assert sorted(r[0][2] for r in results) == [0, 1, 2]
    for _key, meta, bins in results:
        assert not bins
        assert meta["gen"] == 1
        assert 990 <= meta["ttl"] <= 1000  # records carry their void time


def test_query_one_partition(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    """PID_ARRAY: only the asked partition; partition id = (d[0] | d[1] << 8) & 4095."""
    for i in range(40):
        client.put(make_key(i), {"v": i}, policy=SEND_KEY)
    digest = aerospike.calc_digest(ns, aerospike_set, 7)
    pid = (digest[0] | digest[1] << 8) & 4095
    policy = {"partition_filter": {"begin": pid, "count": 1}}
    results = client.query(ns, aerospike_set).results(policy=policy)
    assert 7 in [r[0][2] for r in results]
    for (_ns, _set, _uk, d), _meta, _bins in results:
        assert (d[0] | d[1] << 8) & 4095 == pid


def test_query_max_records_without_paging(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    for i in range(30):
        client.put(make_key(i), {"v": i})
    query = client.query(ns, aerospike_set)
    query.max_records = 10
    assert 1 <= len(query.results()) <= 10


def test_query_of_a_whole_namespace(client: Any, ns: str, aerospike_set: str) -> None:
    other = aerospike_set + "_2"
    client.put((ns, aerospike_set, "a"), {"v": 1}, policy=SEND_KEY)
    client.put((ns, other, "b"), {"v": 2}, policy=SEND_KEY)
    try:
        found = {
            (r[0][1], r[0][2]) for r in client.query(ns, None).results() if r[0][1] is not None
        }
        assert {(aerospike_set, "a"), (other, "b")} <= found
    finally:
        client.remove((ns, other, "b"))
