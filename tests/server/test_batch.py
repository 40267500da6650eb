"""Batch read/write/remove/operate: per-row results, order, REPEAT rows (reference section 6).

Every batch here has at least two keys: the client sends a one-key batch as a
single-record command, which would not exercise the batch protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aerospike
from aerospike_helpers.batch import records as br
from aerospike_helpers.operations import operations as op

from .conftest import Key


def test_batch_read_hits_and_misses_in_order(client: Any, make_key: Callable[[Any], Key]) -> None:
    keys = [make_key(i) for i in range(20)]
    for i, k in enumerate(keys):
        if i % 3:
            client.put(k, {"i": i})
    result = client.batch_read(keys)
    assert result.result == 0  # the LAST message's code
    rows = result.batch_records
    assert len(rows) == 20
    for i, row in enumerate(rows):
        assert row.key[2] == i
        if i % 3:
            assert row.result == 0
            assert row.record[2] == {"i": i}
            assert row.record[1]["gen"] == 1
        else:
            assert row.result == 2
            assert row.record is None


def test_batch_read_selected_bins(client: Any, make_key: Callable[[Any], Key]) -> None:
    a, b = make_key("a"), make_key("b")
    client.put(a, {"x": 1, "y": 2})
    client.put(b, {"x": 3})
    rows = client.batch_read([a, b], ["y"]).batch_records
    assert [r.result for r in rows] == [0, 0]
    assert rows[0].record[2] == {"y": 2}
    assert not rows[1].record[2]  # the record exists, without that bin


def test_batch_read_metadata_only(client: Any, make_key: Callable[[Any], Key]) -> None:
    k, missing = make_key("a"), make_key("missing")
    client.put(k, {"x": 1}, policy={"ttl": 1000})
    client.put(k, {"x": 2}, policy={"ttl": 1000})
    rows = client.batch_read([k, missing], []).batch_records
    assert [r.result for r in rows] == [0, 2]
    assert rows[0].record[1]["gen"] == 2
    assert 990 <= rows[0].record[1]["ttl"] <= 1000


def test_batch_read_mixed_namespaces_and_sets(client: Any, ns: str, aerospike_set: str) -> None:
    k1 = (ns, aerospike_set, "a")
    k2 = (ns, aerospike_set + "_2", "a")
    client.put(k1, {"v": 1})
    client.put(k2, {"v": 2})
    try:
        rows = client.batch_read([k1, k2, k1]).batch_records
        assert [r.record[2]["v"] for r in rows] == [1, 2, 1]
    finally:
        client.remove(k2)


def test_batch_write_and_remove(client: Any, make_key: Callable[[Any], Key]) -> None:
    keys = [make_key(i) for i in range(5)]
    batch = br.BatchRecords([br.Write(k, [op.write("v", i)]) for i, k in enumerate(keys)])
    rows = client.batch_write(batch).batch_records
    assert [r.result for r in rows] == [0] * 5
    assert client.get(keys[3])[2] == {"v": 3}
    rows = client.batch_remove([keys[0], make_key("missing")]).batch_records
    assert [r.result for r in rows] == [0, 2]
    assert client.exists(keys[0])[1] is None


def test_batch_write_with_ttl_and_read(client: Any, make_key: Callable[[Any], Key]) -> None:
    keys = [make_key("t1"), make_key("t2")]
    ttl = {"ttl": 500}
    batch = br.BatchRecords(
        [br.Write(k, [op.write("v", i), op.read("v")], policy=ttl) for i, k in enumerate(keys)]
    )
    rows = client.batch_write(batch).batch_records
    assert [r.result for r in rows] == [0, 0]
    assert [r.record[2]["v"] for r in rows] == [0, 1]
    for k in keys:
        assert 490 <= client.exists(k)[1]["ttl"] <= 500


def test_batch_write_generation_check_per_row(client: Any, make_key: Callable[[Any], Key]) -> None:
    a, b = make_key("a"), make_key("b")
    client.put(a, {"v": 0})
    client.put(b, {"v": 0})
    client.put(b, {"v": 0})
    gen_eq = {"gen": aerospike.POLICY_GEN_EQ}
    batch = br.BatchRecords(
        [
            br.Write(a, [op.write("v", 1)], meta={"gen": 1}, policy=gen_eq),
            br.Write(b, [op.write("v", 1)], meta={"gen": 1}, policy=gen_eq),
        ]
    )
    rows = client.batch_write(batch).batch_records
    assert [r.result for r in rows] == [0, 3]
    assert client.get(a)[1]["gen"] == 2
    assert client.get(b)[2] == {"v": 0}


def test_batch_rows_with_different_policies(client: Any, make_key: Callable[[Any], Key]) -> None:
    """Rows that differ are not REPEAT rows: each keeps its own policy."""
    a, b, c = make_key("a"), make_key("b"), make_key("c")
    client.put(a, {"v": 0})
    client.put(b, {"v": 0})
    create = {"exists": aerospike.POLICY_EXISTS_CREATE}
    update = {"exists": aerospike.POLICY_EXISTS_UPDATE}
    batch = br.BatchRecords(
        [
            br.Write(a, [op.write("v", 1)], policy=create),
            br.Write(b, [op.write("v", 1)], policy=update),
            br.Write(c, [op.write("v", 1)], policy=update),
        ]
    )
    rows = client.batch_write(batch).batch_records
    assert [r.result for r in rows] == [5, 0, 2]


def test_batch_write_create_only_per_row_result(
    client: Any, make_key: Callable[[Any], Key]
) -> None:
    existing, fresh = make_key("e"), make_key("f")
    client.put(existing, {"v": 0})
    policy = {"exists": aerospike.POLICY_EXISTS_CREATE}
    batch = br.BatchRecords(
        [br.Write(k, [op.write("v", 1)], policy=policy) for k in (existing, fresh)]
    )
    rows = client.batch_write(batch).batch_records
    assert [r.result for r in rows] == [5, 0]
    assert client.get(existing)[2] == {"v": 0}


def test_batch_operate_increment(client: Any, make_key: Callable[[Any], Key]) -> None:
    keys = [make_key(i) for i in range(3)]
    client.put(keys[0], {"n": 10})
    rows = client.batch_operate(keys, [op.increment("n", 1), op.read("n")]).batch_records
    assert [r.record[2]["n"] for r in rows] == [11, 1, 1]


def test_batch_operate_with_ttl(client: Any, make_key: Callable[[Any], Key]) -> None:
    keys = [make_key(i) for i in range(2)]
    rows = client.batch_operate(keys, [op.write("v", 1)], ttl=500).batch_records
    assert [r.result for r in rows] == [0, 0]
    for k in keys:
        assert 490 <= client.exists(k)[1]["ttl"] <= 500


def test_batch_mixed_rows(client: Any, make_key: Callable[[Any], Key]) -> None:
    a, b, c = make_key("a"), make_key("b"), make_key("c")
    client.put(a, {"v": 1})
    batch = br.BatchRecords(
        [br.Read(a, [op.read("v")]), br.Write(b, [op.write("v", 2)]), br.Remove(c)]
    )
    rows = client.batch_write(batch).batch_records
    assert [r.result for r in rows] == [0, 0, 2]
    assert rows[0].record[2] == {"v": 1}
    assert client.get(b)[2] == {"v": 2}


def test_large_batch(client: Any, make_key: Callable[[Any], Key]) -> None:
    keys = [make_key(i) for i in range(300)]
    client.batch_write(br.BatchRecords([br.Write(k, [op.write("v", 1)]) for k in keys]))
    rows = client.batch_read(keys).batch_records
    assert all(r.result == 0 for r in rows)


def test_batch_with_send_key_stores_keys(
    client: Any, make_key: Callable[[Any], Key], ns: str, aerospike_set: str
) -> None:
    keys = [make_key(f"sk{i}") for i in range(3)]
    policy = {"key": aerospike.POLICY_KEY_SEND}
    client.batch_write(
        br.BatchRecords([br.Write(k, [op.write("v", 1)], policy=policy) for k in keys])
    )
    found = {rec[0][2] for rec in client.query(ns, aerospike_set).results()}
    assert found == {"sk0", "sk1", "sk2"}
