"""The Rust-core Python client ``aerospike-py`` (sync and async) against the server.

The same conformance subset runs through ``aerospike_py.client`` and
``aerospike_py.AsyncClient``: connect from one seed, single-record commands,
batches, operate, truncate, info, queries, and filter expressions on
single-record commands and batches. The async client is driven
through :class:`_Blocking`, which runs each coroutine to completion on one
event loop, so that one test body serves both clients. The async SDK
(``aerospike-sdk``) connects and reads and writes through a session.

Like every conformance test these pass against a real node too
(``AEROSPIKE_HOSTS``); the Rust-core clients connect only to the addresses a
node advertises, so a real node must advertise one the tests can reach
(``access-address``).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .conftest import Key


def _require(module: str, package: str) -> Any:
    """Import ``module``; outside CI a missing package skips (CI installs the extra)."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    reason = f"{package} is not installed (pip install -e '.[rust-clients]')"
    return pytest.importorskip(module, reason=reason)


aerospike_py = _require("aerospike_py", "aerospike-py")
ex = aerospike_py.exception
exp = aerospike_py.exp

SEND_KEY = {"key": aerospike_py.POLICY_KEY_SEND}


class _Blocking:
    """An async client (or query) called like the sync one: each call runs to completion."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if inspect.isawaitable(result):
                result = self._loop.run_until_complete(result)
            if isinstance(result, aerospike_py.AsyncQuery):
                return _Blocking(result, self._loop)
            return result

        return call


async def _connect_async(config: dict[str, Any]) -> Any:
    client = aerospike_py.AsyncClient(config)
    await client.connect()
    return client


@pytest.fixture(scope="module", params=["sync", "async"])
def rust_client(request: pytest.FixtureRequest, aerospike_server: Any) -> Iterator[Any]:
    config: dict[str, Any] = {"hosts": list(aerospike_server.hosts)}
    if aerospike_server.cluster_name:
        config["cluster_name"] = aerospike_server.cluster_name
    if request.param == "sync":
        client = aerospike_py.client(config).connect()
        try:
            yield client
        finally:
            client.close()
        return
    loop = asyncio.new_event_loop()
    aclient = loop.run_until_complete(_connect_async(config))
    try:
        yield _Blocking(aclient, loop)
    finally:
        loop.run_until_complete(aclient.close())
        loop.close()


def test_connects_from_one_seed(rust_client: Any, ns: str) -> None:
    assert rust_client.is_connected()
    nodes = rust_client.get_node_names()
    assert nodes and all(nodes)
    answers = rust_client.info_all("namespaces")
    assert sorted(a.node_name for a in answers) == sorted(nodes)
    for answer in answers:
        assert answer.error_code == 0
        assert ns in answer.response.split(";")
    build = rust_client.info_random_node("build")
    assert build.split("\t")[-1].strip().split(".")[0].isdigit()


def test_put_get_exists_remove(rust_client: Any, make_key: Callable[[Any], Key]) -> None:
    key = make_key("k1")
    bins = {
        "i": 7,
        "s": "text",
        "f": 1.5,
        "b": b"\x00\xff",
        "l": [1, "two", 3.0],
        "m": {"a": 1, "b": [2]},
    }
    rust_client.put(key, bins, meta={"ttl": 100}, policy=SEND_KEY)
    record = rust_client.get(key)
    assert record.bins == bins
    assert record.meta.gen == 1
    assert 90 <= record.meta.ttl <= 100
    assert record.key.user_key == "k1"
    assert rust_client.select(key, ["i", "s"]).bins == {"i": 7, "s": "text"}
    assert rust_client.exists(key).meta.gen == 1

    rust_client.remove(key)
    assert rust_client.exists(key).meta is None
    with pytest.raises(ex.RecordNotFound):
        rust_client.get(key)
    with pytest.raises(ex.RecordNotFound):
        rust_client.remove(key)


def test_write_policies(rust_client: Any, make_key: Callable[[Any], Key]) -> None:
    key = make_key("p")
    create_only = {"exists": aerospike_py.POLICY_EXISTS_CREATE_ONLY}
    rust_client.put(key, {"v": 1}, policy=create_only)
    with pytest.raises(ex.RecordExistsError):
        rust_client.put(key, {"v": 2}, policy=create_only)
    with pytest.raises(ex.RecordGenerationError):
        rust_client.put(key, {"v": 3}, meta={"gen": 5}, policy={"gen": aerospike_py.POLICY_GEN_EQ})
    rust_client.put(key, {"v": 4}, meta={"gen": 1}, policy={"gen": aerospike_py.POLICY_GEN_EQ})
    with pytest.raises(ex.RecordNotFound):
        rust_client.put(
            make_key("absent"), {"v": 1}, policy={"exists": aerospike_py.POLICY_EXISTS_UPDATE_ONLY}
        )
    assert rust_client.get(key).bins == {"v": 4}


def test_operate_incr_read_write_touch(rust_client: Any, make_key: Callable[[Any], Key]) -> None:
    key = make_key("op")
    rust_client.put(key, {"n": 1, "s": "a"})
    ops = [
        {"op": aerospike_py.OPERATOR_INCR, "bin": "n", "val": 5},
        {"op": aerospike_py.OPERATOR_READ, "bin": "n", "val": None},
        {"op": aerospike_py.OPERATOR_WRITE, "bin": "w", "val": "new"},
        {"op": aerospike_py.OPERATOR_APPEND, "bin": "s", "val": "b"},
        {"op": aerospike_py.OPERATOR_TOUCH, "val": None},
    ]
    record = rust_client.operate(key, ops, meta={"ttl": 500})
    assert record.bins == {"n": 6}
    assert record.meta.gen == 2
    assert 490 <= record.meta.ttl <= 500
    ordered = rust_client.operate_ordered(
        key,
        [
            {"op": aerospike_py.OPERATOR_INCR, "bin": "n", "val": 1},
            {"op": aerospike_py.OPERATOR_READ, "bin": "n", "val": None},
            {"op": aerospike_py.OPERATOR_READ, "bin": "w", "val": None},
        ],
    )
    # one BinTuple per bin read; aerospike-py 0.14 does not keep the request's order
    assert sorted((b.name, b.value) for b in ordered.ordered_bins) == [("n", 7), ("w", "new")]
    rust_client.increment(key, "n", -2)
    rust_client.prepend(key, "s", ">")
    rust_client.remove_bin(key, ["w"])
    assert rust_client.get(key).bins == {"n": 5, "s": ">ab"}
    with pytest.raises(ex.BinTypeError):
        rust_client.increment(key, "s", 1)


def test_touch_resets_ttl(rust_client: Any, make_key: Callable[[Any], Key]) -> None:
    key = make_key("t")
    rust_client.put(key, {"v": 1}, meta={"ttl": 100})
    rust_client.touch(key, 1000)
    meta = rust_client.exists(key).meta
    assert 990 <= meta.ttl <= 1000
    assert meta.gen == 2
    with pytest.raises(ex.RecordNotFound):
        rust_client.touch(make_key("absent"), 100)


def test_batch_read(rust_client: Any, make_key: Callable[[Any], Key]) -> None:
    keys = [make_key(i) for i in range(4)]
    for i in range(3):
        rust_client.put(keys[i], {"v": i, "x": "y"})
    batch = rust_client.batch_read(keys)
    assert batch.to_list() == [{"v": 0, "x": "y"}, {"v": 1, "x": "y"}, {"v": 2, "x": "y"}, None]
    assert [r.result for r in batch.batch_records] == [0, 0, 0, 2]
    assert batch.found_count() == 3
    assert rust_client.batch_read(keys, bins=["v"]).to_list() == [
        {"v": 0},
        {"v": 1},
        {"v": 2},
        None,
    ]
    # no bins: existence and metadata only
    headers = rust_client.batch_read(keys, bins=[])
    assert headers.to_list() == [{}, {}, {}, None]
    # (the lazy handle's rows hold plain (key, meta, bins) tuples)
    assert [r.record[1]["gen"] for r in headers.batch_records[:3]] == [1, 1, 1]


def test_batch_write_operate_remove(rust_client: Any, make_key: Callable[[Any], Key]) -> None:
    keys = [make_key(i) for i in range(3)]
    written = rust_client.batch_write(
        [(keys[0], {"v": 10}), (keys[1], {"v": 20}, {"ttl": 300})], policy=SEND_KEY
    )
    assert [r.result for r in written.batch_records] == [0, 0]
    assert 290 <= rust_client.exists(keys[1]).meta.ttl <= 300

    operated = rust_client.batch_operate(
        keys[:2],
        [
            {"op": aerospike_py.OPERATOR_INCR, "bin": "v", "val": 1},
            {"op": aerospike_py.OPERATOR_READ, "bin": "v", "val": None},
        ],
    )
    assert [r.result for r in operated.batch_records] == [0, 0]
    assert [r.record.meta.gen for r in operated.batch_records] == [2, 2]
    assert rust_client.batch_read(keys[:2]).to_list() == [{"v": 11}, {"v": 21}]

    removed = rust_client.batch_remove([keys[0], keys[2]])
    assert [r.result for r in removed.batch_records] == [0, 2]
    assert rust_client.batch_read(keys).to_list() == [None, {"v": 21}, None]


def _put_keyed(rust_client: Any, make_key: Callable[[Any], Key], n: int) -> None:
    for i in range(n):
        rust_client.put(make_key(i), {"v": i, "sq": i * i}, policy=SEND_KEY)


def test_query_whole_set(
    rust_client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    _put_keyed(rust_client, make_key, 25)
    rust_client.put(make_key("nokey"), {"v": -1})
    records = rust_client.query(ns, aerospike_set).results()
    assert len(records) == 26
    user_keys = [r.key.user_key for r in records]
    assert sorted(k for k in user_keys if k is not None) == list(range(25))
    assert user_keys.count(None) == 1
    for record in records:
        assert (record.key.namespace, record.key.set_name) == (ns, aerospike_set)
        assert record.meta.gen == 1
        if record.key.user_key is not None:
            assert record.bins == {"v": record.key.user_key, "sq": record.key.user_key**2}
    assert rust_client.query(ns, aerospike_set + "_none").results() == []


def test_query_select_and_max_records(
    rust_client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    _put_keyed(rust_client, make_key, 20)
    query = rust_client.query(ns, aerospike_set)
    query.select("sq")
    selected = query.results()
    assert sorted(r.bins["sq"] for r in selected) == [i * i for i in range(20)]
    assert all(set(r.bins) == {"sq"} for r in selected)

    limited = rust_client.query(ns, aerospike_set).results(policy={"max_records": 7})
    assert 0 < len(limited) <= 7
    # (aerospike-py 0.14 does not send include_bin_data False: bins come back anyway)


def _partition(digest: bytes) -> int:
    return (digest[0] | digest[1] << 8) & 4095


def test_query_partition_filters(
    rust_client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    _put_keyed(rust_client, make_key, 30)
    by_key = {
        r.key.user_key: _partition(r.key.digest)
        for r in rust_client.query(ns, aerospike_set).results()
    }
    pid = by_key[7]
    one = rust_client.query(ns, aerospike_set).results(
        policy={"partition_filter": aerospike_py.partition_filter_by_id(pid)}
    )
    assert sorted(r.key.user_key for r in one) == sorted(k for k, p in by_key.items() if p == pid)
    low = rust_client.query(ns, aerospike_set).results(
        policy={"partition_filter": aerospike_py.partition_filter_by_range(0, 2048)}
    )
    assert sorted(r.key.user_key for r in low) == sorted(k for k, p in by_key.items() if p < 2048)


def test_truncate_set(
    rust_client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    _put_keyed(rust_client, make_key, 10)
    time.sleep(0.005)  # a truncate spares records written in its own millisecond
    rust_client.truncate(ns, aerospike_set)
    assert rust_client.query(ns, aerospike_set).results() == []
    assert rust_client.exists(make_key(3)).meta is None
    time.sleep(0.005)
    rust_client.put(make_key(3), {"v": 3})
    assert rust_client.get(make_key(3)).bins == {"v": 3}


# -- filter expressions (the policy's filter_expression, wire field 43) ---------


def _filter(expression: Any) -> dict[str, Any]:
    return {"filter_expression": expression}


def _v_above(n: int) -> dict[str, Any]:
    return _filter(exp.gt(exp.int_bin("v"), exp.int_val(n)))


def test_filter_false_refuses_every_single_record_command(
    rust_client: Any, make_key: Callable[[Any], Key]
) -> None:
    key = make_key("f")
    rust_client.put(key, {"v": 5, "s": "x"})
    refused = _v_above(10)
    with pytest.raises(ex.FilteredOut):
        rust_client.get(key, policy=refused)
    with pytest.raises(ex.FilteredOut):
        rust_client.exists(key, policy=refused)
    with pytest.raises(ex.FilteredOut):
        rust_client.put(key, {"v": 6}, policy=refused)
    with pytest.raises(ex.FilteredOut):
        rust_client.operate(
            key, [{"op": aerospike_py.OPERATOR_INCR, "bin": "v", "val": 1}], policy=refused
        )
    with pytest.raises(ex.FilteredOut):
        rust_client.touch(key, 100, policy=refused)
    with pytest.raises(ex.FilteredOut):
        rust_client.remove(key, policy=refused)
    with pytest.raises(ex.FilteredOut):
        rust_client.get(key, policy=_filter(exp.gt(exp.int_bin("nobin"), exp.int_val(1))))
    record = rust_client.get(key)
    assert (record.bins, record.meta.gen) == ({"v": 5, "s": "x"}, 1)


def test_filter_true_lets_commands_through(
    rust_client: Any, make_key: Callable[[Any], Key]
) -> None:
    key = make_key("f")
    rust_client.put(key, {"v": 5, "s": "x"})
    passes = _filter(
        exp.and_(
            exp.gt(exp.int_bin("v"), exp.int_val(1)),
            exp.eq(exp.string_bin("s"), exp.string_val("x")),
            exp.not_(exp.bin_exists("nobin")),
        )
    )
    assert rust_client.get(key, policy=passes).bins == {"v": 5, "s": "x"}
    ops = [
        {"op": aerospike_py.OPERATOR_INCR, "bin": "v", "val": 1},
        {"op": aerospike_py.OPERATOR_READ, "bin": "v", "val": None},
    ]
    assert rust_client.operate(key, ops, policy=passes).bins == {"v": 6}
    rust_client.put(key, {"s": "x", "w": 1}, policy=passes)
    rust_client.remove(key, policy=passes)
    assert rust_client.exists(key).meta is None


def test_filter_on_a_missing_record_does_not_apply(
    rust_client: Any, make_key: Callable[[Any], Key]
) -> None:
    key = make_key("absent")
    with pytest.raises(ex.RecordNotFound):
        rust_client.get(key, policy=_v_above(10))
    rust_client.put(key, {"v": 1}, policy=_v_above(10))
    assert rust_client.get(key).bins == {"v": 1}


def test_filter_in_batches(rust_client: Any, make_key: Callable[[Any], Key]) -> None:
    keys = [make_key(i) for i in range(3)]
    rust_client.put(keys[0], {"v": 0})
    rust_client.put(keys[1], {"v": 1})
    policy = _v_above(0)
    read = rust_client.batch_read(keys, policy=policy)
    assert [r.result for r in read.batch_records] == [27, 0, 2]
    assert read.to_list() == [None, {"v": 1}, None]
    incr = [{"op": aerospike_py.OPERATOR_INCR, "bin": "v", "val": 10}]
    operated = rust_client.batch_operate(keys[:2], incr, policy=policy)
    assert [r.result for r in operated.batch_records] == [27, 0]
    removed = rust_client.batch_remove(keys[:2], policy=policy)
    assert [r.result for r in removed.batch_records] == [27, 0]
    assert rust_client.batch_read(keys).to_list() == [{"v": 0}, None, None]


# -- the async SDK (aerospike-sdk, on aerospike-native) ---------------------------


def _sdk() -> Any:
    """``aerospike_sdk``; it needs Python >= 3.11, and the extra leaves it out below."""
    if sys.version_info < (3, 11):
        pytest.skip("aerospike-sdk 1.0.0 requires Python >= 3.11: not installable on this Python")
    return _require("aerospike_sdk", "aerospike-sdk")


async def _sdk_cluster(aerospike_server: Any) -> Any:
    sdk = _sdk()
    host, port = aerospike_server.hosts[0]
    definition = sdk.ClusterDefinition(host, port)
    if aerospike_server.cluster_name:
        definition = definition.cluster_name(aerospike_server.cluster_name)
    return await definition.connect()


async def test_sdk_session_records(aerospike_server: Any, ns: str, aerospike_set: str) -> None:
    sdk = _sdk()
    cluster = await _sdk_cluster(aerospike_server)
    try:
        session = cluster.create_session()
        dataset = sdk.DataSet(ns, aerospike_set)
        await session.put(dataset.id(1), {"v": 1, "s": "x"})
        record = await session.get(dataset.id(1))
        assert (record.bins, record.generation) == ({"v": 1, "s": "x"}, 1)
        with pytest.raises(sdk.RecordNotFoundError):
            await session.get(dataset.id(2))
        both = await session.get_many([dataset.id(1), dataset.id(2)])
        assert both[0].bins == {"v": 1, "s": "x"}
        assert isinstance(both[1], sdk.RecordNotFoundError)
        assert ns in (await session.info("namespaces"))["namespaces"].split(";")
        time.sleep(0.005)  # a truncate spares records written in its own millisecond
        await session.truncate(dataset)
        with pytest.raises(sdk.RecordNotFoundError):
            await session.get(dataset.id(1))
    finally:
        await cluster.close()


def test_filtered_query(
    rust_client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    _put_keyed(rust_client, make_key, 20)
    for name in ("user:1", "user:2", "other:1"):
        rust_client.put(make_key(name), {"v": -1}, policy=SEND_KEY)
    rust_client.put(make_key("user:nokey"), {"v": -1})  # key not stored: filtered out
    query = rust_client.query(ns, aerospike_set)
    matching = query.results(policy=_filter(exp.ge(exp.int_bin("v"), exp.int_val(15))))
    assert sorted(r.key.user_key for r in matching) == [15, 16, 17, 18, 19]
    by_key = rust_client.query(ns, aerospike_set).results(
        policy=_filter(
            exp.regex_compare("^user:.*", aerospike_py.REGEX_NONE, exp.key(exp.EXP_TYPE_STRING))
        )
    )
    assert sorted(r.key.user_key for r in by_key) == ["user:1", "user:2"]


# -- the async SDK's background-job builders ------------------------------------


async def test_sdk_background_update_touch_delete_with_where(
    aerospike_server: Any, aerospike_client: Any, ns: str, aerospike_set: str
) -> None:
    sdk = _sdk()
    from aerospike_sdk.exp import Exp

    keys = [(ns, aerospike_set, i) for i in range(10)]
    for i, key in enumerate(keys):
        aerospike_client.put(key, {"v": i, "t": "odd" if i % 2 else "even"})
    host, port = aerospike_server.hosts[0]
    definition = sdk.ClusterDefinition(host, port)
    if aerospike_server.cluster_name:
        definition = definition.cluster_name(aerospike_server.cluster_name)
    cluster = await definition.connect()
    try:
        jobs = cluster.create_session().background_task()
        dataset = sdk.DataSet(ns, aerospike_set)
        odd = Exp.eq(Exp.string_bin("t"), Exp.string_val("odd"))
        # one after the other: an update job writes the namespace's default TTL
        for builder in (
            jobs.update(dataset).where(Exp.gt(Exp.int_bin("v"), Exp.int_val(5))).bin("v").add(100),
            jobs.touch(dataset).where(odd).expire_record_after_seconds(5000),
            jobs.delete(dataset).where(Exp.not_(odd)),
        ):
            task = await builder.execute()
            assert await task.wait_till_complete(sleep_time=0.05, timeout=30)
    finally:
        await cluster.close()
    rows = aerospike_client.batch_read(keys).batch_records
    found = {row.key[2]: row.record for row in rows if row.result == 0}
    assert sorted(found) == [1, 3, 5, 7, 9]
    assert {i: rec[2]["v"] for i, rec in found.items()} == {1: 1, 3: 3, 5: 5, 7: 107, 9: 109}
    assert all(4990 <= rec[1]["ttl"] <= 5000 for rec in found.values())
