"""operate: incr (int/float), read, write, touch, delete, append, prepend."""

from __future__ import annotations

from typing import Any

import pytest
from aerospike import exception as ex
from aerospike_helpers.operations import operations as op

from .conftest import Key

# append/prepend of strings is deprecated for servers >= 8.2 (the operations still work)
pytestmark = pytest.mark.filterwarnings("ignore:aerospike_helpers.operations:DeprecationWarning")


def test_increment_int_and_read(client: Any, key: Key) -> None:
    client.put(key, {"n": 1})
    _k, meta, bins = client.operate(key, [op.increment("n", 2), op.read("n")])
    assert bins == {"n": 3}
    assert type(bins["n"]) is int
    assert meta["gen"] == 2


def test_increment_creates_missing_record_and_bin(client: Any, key: Key) -> None:
    _k, meta, bins = client.operate(key, [op.increment("n", 5), op.read("n")])
    assert bins == {"n": 5}
    assert meta["gen"] == 1


def test_increment_float(client: Any, key: Key) -> None:
    client.put(key, {"f": 1.5})
    _k, _m, bins = client.operate(key, [op.increment("f", 0.25), op.read("f")])
    assert bins == {"f": 1.75}
    assert type(bins["f"]) is float


@pytest.mark.parametrize(
    ("initial", "delta"),
    [({"v": 1}, 0.5), ({"v": 1.5}, 1), ({"v": "text"}, 1)],
    ids=["float-on-int", "int-on-float", "int-on-string"],
)
def test_increment_incompatible_type(client: Any, key: Key, initial: Any, delta: Any) -> None:
    client.put(key, initial)
    with pytest.raises(ex.BinIncompatibleType) as info:
        client.operate(key, [op.increment("v", delta)])
    assert info.value.code == 12
    assert client.get(key)[2] == initial


def test_read_sees_earlier_writes(client: Any, key: Key) -> None:
    client.put(key, {"a": 1})
    _k, _m, bins = client.operate(key, [op.write("a", 10), op.read("a"), op.write("b", 2)])
    assert bins == {"a": 10}
    assert client.get(key)[2] == {"a": 10, "b": 2}


def test_operate_ordered_returns_results_in_order(client: Any, key: Key) -> None:
    client.put(key, {"i": 1})
    _k, _m, results = client.operate_ordered(key, [op.increment("i", 1), op.read("i")])
    assert ("i", 2) in results


def test_append_prepend_strings(client: Any, key: Key) -> None:
    client.put(key, {"s": "b"})
    ops = [op.append("s", "c"), op.prepend("s", "a"), op.read("s")]
    assert client.operate(key, ops)[2] == {"s": "abc"}


def test_append_blob(client: Any, key: Key) -> None:
    client.put(key, {"b": b"x"})
    ops = [op.append("b", b"y"), op.read("b")]
    bins = client.operate(key, ops)[2]
    assert bins == {"b": b"xy"}
    assert type(bins["b"]) is bytes


def test_append_to_int_is_incompatible(client: Any, key: Key) -> None:
    client.put(key, {"i": 1})
    ops = [op.append("i", "x")]
    with pytest.raises(ex.BinIncompatibleType):
        client.operate(key, ops)


def test_touch_op_sets_ttl_and_bumps_generation(client: Any, key: Key) -> None:
    client.put(key, {"a": 1})
    _k, meta, _b = client.operate(key, [op.touch()], policy={"ttl": 500})
    assert meta["gen"] == 2
    assert 490 <= client.exists(key)[1]["ttl"] <= 500


def test_touch_op_on_missing_record(client: Any, key: Key) -> None:
    with pytest.raises(ex.RecordNotFound):
        client.operate(key, [op.touch()], policy={"ttl": 500})


def test_delete_op_removes_the_record(client: Any, key: Key) -> None:
    client.put(key, {"a": 1})
    client.operate(key, [op.delete()])
    assert client.exists(key)[1] is None


def test_delete_then_write_recreates(client: Any, key: Key) -> None:
    client.put(key, {"a": 1, "b": 2})
    client.operate(key, [op.delete(), op.write("c", 3)])
    assert client.get(key)[2] == {"c": 3}


def test_read_only_operate_on_missing_record(client: Any, key: Key) -> None:
    with pytest.raises(ex.RecordNotFound):
        client.operate(key, [op.read("a")])


def test_operate_read_only_does_not_bump_generation(client: Any, key: Key) -> None:
    client.put(key, {"a": 1})
    _k, meta, bins = client.operate(key, [op.read("a")])
    assert bins == {"a": 1}
    assert meta["gen"] == 1
