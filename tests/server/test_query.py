"""Foreground queries with filter expressions (``aerospike-cluster-and-expressions.md``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aerospike
import pytest
from aerospike_helpers import expressions as exp

from .conftest import Key

pytestmark = pytest.mark.filterwarnings("ignore:CmpRegex:DeprecationWarning")

SEND_KEY = {"key": aerospike.POLICY_KEY_SEND}
N = 20


def _fill(client: Any, make_key: Callable[[Any], Key]) -> None:
    for i in range(N):
        tags = ["tag"] if i % 2 else ["other"]
        client.put(
            make_key(f"user:{i}" if i < 10 else f"item:{i}"), {"i": i, "t": tags}, policy=SEND_KEY
        )


def _policy(expression: Any, **extra: Any) -> dict[str, Any]:
    return {"expressions": expression.compile(), **extra}


def test_a_filtered_query_returns_only_matching_records(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    _fill(client, make_key)
    results = client.query(ns, aerospike_set).results(_policy(exp.GE(exp.IntBin("i"), 15)))
    assert sorted(r[2]["i"] for r in results) == [15, 16, 17, 18, 19]


def test_a_query_filtered_on_list_membership(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    _fill(client, make_key)
    member = exp.GT(
        exp.ListGetByValue(None, aerospike.LIST_RETURN_COUNT, "tag", exp.ListBin("t")), 0
    )
    results = client.query(ns, aerospike_set).results(_policy(member))
    assert sorted(r[2]["i"] for r in results) == list(range(1, N, 2))


def test_a_query_filtered_on_the_stored_key(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    _fill(client, make_key)
    client.put(make_key("user:nokey"), {"i": -1})  # digest only: filtered out
    regex = exp.CmpRegex(aerospike.REGEX_NONE, "^user:.*", exp.KeyStr())
    results = client.query(ns, aerospike_set).results(_policy(regex))
    assert sorted(r[0][2] for r in results) == sorted(f"user:{i}" for i in range(10))


_USER = exp.CmpRegex(aerospike.REGEX_NONE, "^user:.*", exp.KeyStr())
_ODD = exp.Eq(exp.IntBin("i") % 2, 1)
_BLOB = exp.NE(exp.KeyBlob(), b"")
_KEY_AND_BINS: dict[str, tuple[Any, list[int]]] = {
    "key only, not an and": (exp.Or(_USER, exp.Eq(exp.KeyStr(), "item:12")), [*range(10), 12]),
    "key test first": (exp.And(_USER, _ODD), [1, 3, 5, 7, 9]),
    "key test last": (exp.And(_ODD, _USER), [1, 3, 5, 7, 9]),
    "key tests around a bin test": (
        exp.And(_USER, _ODD, exp.Not(exp.Eq(exp.KeyStr(), "user:3"))),
        [1, 5, 7, 9],
    ),
    "unknown key part": (exp.And(exp.Eq(exp.KeyInt(), 1), _ODD), []),
    # a test of a string key and one of a blob key: on either key one is unknown
    "or over two key types": (exp.Or(_USER, _BLOB), [*range(10), 100]),
    "not of that or": (exp.Not(exp.Or(_USER, _BLOB)), []),
    "and over two key types": (exp.And(_USER, _BLOB), []),
    "not of that and": (exp.Not(exp.And(_USER, _BLOB)), list(range(10, N))),
}


@pytest.mark.parametrize("case", list(_KEY_AND_BINS))
def test_a_query_filtered_on_the_key_and_bins(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key], case: str
) -> None:
    _fill(client, make_key)
    client.put(make_key(bytearray(b"user:blob")), {"i": 100}, policy=SEND_KEY)  # a blob key
    expression, expected = _KEY_AND_BINS[case]
    results = client.query(ns, aerospike_set).results(_policy(expression))
    assert sorted(r[2]["i"] for r in results) == expected


def test_a_key_filter_sees_a_key_stored_by_a_later_write(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    key = make_key("late:1")
    policy = _policy(exp.CmpRegex(aerospike.REGEX_NONE, "^late:", exp.KeyStr()))

    def listed() -> list[Any]:
        return [r[0][2] for r in client.query(ns, aerospike_set).results(policy)]

    client.put(key, {"i": 1})  # digest only: no key to match
    assert listed() == []
    client.put(key, {"i": 2}, policy=SEND_KEY)  # the write stores the key
    assert listed() == ["late:1"]
    client.remove(key)
    client.put(key, {"i": 3})  # a new record, without its key
    assert listed() == []


def test_a_filtered_query_without_bins(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    _fill(client, make_key)
    results = client.query(ns, aerospike_set).results(
        _policy(exp.LT(exp.IntBin("i"), 3)), options={"nobins": True}
    )
    assert sorted(r[0][2] for r in results) == ["user:0", "user:1", "user:2"]
    assert all(not r[2] for r in results)
    assert all(r[1]["gen"] == 1 for r in results)


def test_a_filtered_query_with_max_records(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    _fill(client, make_key)
    query = client.query(ns, aerospike_set)
    query.max_records = 3
    results = query.results(_policy(exp.GE(exp.IntBin("i"), 10)))
    assert len(results) == 3
    assert all(r[2]["i"] >= 10 for r in results)


def test_a_filtered_query_over_a_partition_range(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    _fill(client, make_key)
    expression = exp.GE(exp.IntBin("i"), 0)
    halves = [
        client.query(ns, aerospike_set).results(
            _policy(expression, partition_filter={"begin": begin, "count": 2048})
        )
        for begin in (0, 2048)
    ]
    found = sorted(r[2]["i"] for half in halves for r in half)
    assert found == list(range(N))


def _pages(
    query: Any, policy: dict[str, Any], counters: Callable[[], int]
) -> list[tuple[int, int]]:
    """(records, filter evaluations) of each page until the query is done."""
    out: list[tuple[int, int]] = []
    while not query.is_done() and len(out) < 50:
        before = counters()
        page = query.results(policy)
        out.append((len(page), counters() - before))
    return out


@pytest.mark.parametrize("selected", [300, 100])
@pytest.mark.parametrize("on", ["bin", "key"])
def test_a_paged_filtered_query_returns_each_match_once(
    client: Any,
    ns: str,
    aerospike_set: str,
    make_key: Callable[[Any], Key],
    selected: int,
    on: str,
) -> None:
    for i in range(300):
        client.put(make_key(i), {"i": i}, policy=SEND_KEY)
    query = client.query(ns, aerospike_set)
    query.max_records = 40
    query.paginate()
    value = exp.IntBin("i") if on == "bin" else exp.KeyInt()
    policy = _policy(exp.And(exp.LT(value, selected), exp.GE(exp.IntBin("i"), 0)))
    seen: list[Any] = []
    while not query.is_done() and len(seen) <= 300:
        seen.extend(r[0][2] for r in query.results(policy))
    assert sorted(seen) == list(range(selected))


@pytest.mark.embedded_only("the server's filter-evaluation counter")
def test_a_page_evaluates_the_filter_only_on_the_records_it_visits(
    aerospike_server: Any,
    client: Any,
    ns: str,
    aerospike_set: str,
    make_key: Callable[[Any], Key],
) -> None:
    """Pages resume each partition after its last record and stop at max_records."""
    total = 300
    for i in range(total):
        client.put(make_key(i), {"i": i}, policy=SEND_KEY)
    server = aerospike_server.embedded
    query = client.query(ns, aerospike_set)
    query.max_records = 40
    query.paginate()
    pages = _pages(
        query,
        _policy(exp.GE(exp.IntBin("i"), 0)),
        lambda: server.counters.get("scan_filter_evals", 0),
    )
    # every record matches: each is evaluated once, on the page that returns it
    assert [evals for _n, evals in pages] == [n for n, _evals in pages]
    assert sum(n for n, _evals in pages) == total
