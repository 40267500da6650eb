"""Map operations in ``operate``: the semantics the store relies on, stated outright.

Every op, flag, return type and error code is also held to a real node's answers
by ``test_map_ops_differential.py``.
"""

from __future__ import annotations

from typing import Any

import aerospike
import pytest
from aerospike import exception as ex
from aerospike_helpers.operations import map_operations as mo

from aerospike_cache.server import _msgpack as mp

B = "m"
UNORDERED, K_ORDERED, KV_ORDERED = (
    aerospike.MAP_UNORDERED,
    aerospike.MAP_KEY_ORDERED,
    aerospike.MAP_KEY_VALUE_ORDERED,
)
ORDERS = {"unordered": UNORDERED, "k-ordered": K_ORDERED, "kv-ordered": KV_ORDERED}
CREATE_ONLY = aerospike.MAP_WRITE_FLAGS_CREATE_ONLY
NO_FAIL = aerospike.MAP_WRITE_FLAGS_NO_FAIL
PARTIAL = aerospike.MAP_WRITE_FLAGS_PARTIAL


def _operate(client: Any, key: Any, ops: list[Any]) -> list[Any]:
    return [v for _name, v in client.operate_ordered(key, ops)[2]]


@pytest.mark.parametrize("order", [UNORDERED, K_ORDERED, KV_ORDERED], ids=list(ORDERS))
def test_a_map_comes_back_in_key_order(client: Any, key: Any, order: int) -> None:
    _operate(client, key, [mo.map_put_items(B, {"b": 1, "c": 2, "a": 3}, {"map_order": order})])
    assert _operate(client, key, [mo.map_put(B, "ab", 4), mo.map_size(B)]) == [4, 4]
    assert list(client.get(key)[2][B].items()) == [("a", 3), ("ab", 4), ("b", 1), ("c", 2)]


@pytest.mark.parametrize(
    "value",
    [{"a": {"z": 1, "b": 2}}, {"a": [{"z": 1, "b": 2}]}, {"b": 1, "a": {"d": 1, "c": 2}}],
    ids=["nested-map", "map-in-list", "both-levels"],
)
def test_a_map_written_whole_is_stored_in_key_order_at_every_depth(
    client: Any, key: Any, value: dict[str, Any]
) -> None:
    # the raw bytes, as the node keeps them (cdt_untrusted_rewrite sorts nested maps too)
    client.put(key, {B: value})
    raw = client.get(key, {"deserialize": False})[2][B]
    assert raw == mp.pack(_sorted(value))


@pytest.mark.parametrize("value", [{"a": {"z": 1, "b": 2}}, {"a": [{"z": 1, "b": 2}]}])
def test_a_map_bin_sent_unsorted_below_the_top_is_sorted(value: dict[str, Any]) -> None:
    # the Python client sends nested maps sorted already; other clients need not
    from aerospike_cache.server._mapops import normalize_bin

    assert normalize_bin(mp.pack(value)) == mp.pack(_sorted(value))


def _sorted(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _sorted(v[k]) for k in sorted(v)}
    return [_sorted(x) for x in v] if isinstance(v, list) else v


@pytest.mark.parametrize(
    ("flags", "put_key", "code"),
    [
        (aerospike.MAP_WRITE_FLAGS_CREATE_ONLY, "a", 24),
        (aerospike.MAP_WRITE_FLAGS_UPDATE_ONLY, "zz", 23),
    ],
    ids=["create-only-on-existing", "update-only-on-missing"],
)
def test_write_flags_fail_or_are_ignored_with_no_fail(
    client: Any, key: Any, flags: int, put_key: str, code: int
) -> None:
    _operate(client, key, [mo.map_put_items(B, {"a": 1})])
    with pytest.raises(ex.AerospikeError) as info:
        client.operate(key, [mo.map_put(B, put_key, 2, {"map_write_flags": flags})])
    assert info.value.code == code
    no_fail = {"map_write_flags": flags | aerospike.MAP_WRITE_FLAGS_NO_FAIL}
    assert _operate(client, key, [mo.map_put(B, put_key, 2, no_fail)]) == [1]
    assert client.get(key)[2][B] == {"a": 1}


def test_partial_put_items_writes_what_it_may(client: Any, key: Any) -> None:
    _operate(client, key, [mo.map_put_items(B, {"a": 1})])
    flags = CREATE_ONLY | NO_FAIL | PARTIAL
    ops = [mo.map_put_items(B, {"a": 9, "b": 2}, {"map_write_flags": flags})]
    assert _operate(client, key, ops) == [2]
    assert client.get(key)[2][B] == {"a": 1, "b": 2}


def test_increment_keeps_the_value_type_and_refuses_a_non_number(client: Any, key: Any) -> None:
    _operate(client, key, [mo.map_put_items(B, {"i": 1, "f": 1.5, "s": "x"})])
    ops = [mo.map_increment(B, "i", 2), mo.map_increment(B, "f", 1), mo.map_decrement(B, "n", 3)]
    assert _operate(client, key, ops) == [3, 2.5, -3]
    with pytest.raises(ex.AerospikeError) as info:
        client.operate(key, [mo.map_increment(B, "s", 1)])
    assert info.value.code == 4


def test_a_map_op_on_another_type_is_12_and_on_a_missing_bin_answers_nothing(
    client: Any, key: Any
) -> None:
    client.put(key, {"s": "text"})
    with pytest.raises(ex.BinIncompatibleType):
        client.operate(key, [mo.map_put("s", "a", 1)])
    _k, _m, bins = client.operate(key, [mo.map_size(B), mo.map_get_by_key(B, "a", 7)])
    assert bins == {B: None}  # respond-all-ops: an empty result per op
    assert client.get(key)[2] == {"s": "text"}


def test_ops_see_the_earlier_ops_and_a_failure_undoes_them(client: Any, key: Any) -> None:
    _operate(client, key, [mo.map_put_items(B, {"a": 1, "b": 2})])
    ops = [
        mo.map_put(B, "c", 3),
        mo.map_get_by_key_range(B, "b", aerospike.CDTInfinite(), aerospike.MAP_RETURN_KEY),
        mo.map_remove_by_key_list(B, ["a", "zz"], aerospike.MAP_RETURN_VALUE),
        mo.map_size(B),
    ]
    assert _operate(client, key, ops) == [3, ["b", "c"], [1], 2]
    with pytest.raises(ex.AerospikeError) as info:
        client.operate(key, [mo.map_clear(B), mo.map_get_by_index(B, 5, 7)])
    assert info.value.code == 26
    assert client.get(key)[2][B] == {"b": 2, "c": 3}


def test_exists_return_type(client: Any, key: Any) -> None:
    _operate(client, key, [mo.map_put_items(B, {"a": 1})])
    exists = aerospike.MAP_RETURN_EXISTS
    ops = [mo.map_get_by_key(B, "a", exists), mo.map_get_by_key_list(B, ["x", "y"], exists)]
    assert _operate(client, key, ops) == [True, False]


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        -1,
        200,
        -200,
        70000,
        2**40,
        -(2**40),
        1.5,
        "s",
        "x" * 40,
        "y" * 300,
        "z" * 70000,
        b"\x00" * 300,
        list(range(20)),
        {f"k{i}": [i, {"n": None}] for i in range(20)},
        mp.FlaggedMap(1, {"a": 1}),
        mp.Ext(0xFF, b"\x01"),
    ],
    ids=lambda v: f"{type(v).__name__}-{len(mp.pack(v)) if type(v) is not mp.Ext else 2}",
)
def test_a_stored_value_is_skipped_whole(value: Any) -> None:
    """The embedded server splits map bins without decoding values: every encoding's
    length must be read right."""
    raw = mp.pack(value) if type(value) is not mp.Ext else bytes((0xD4, value.type)) + value.data
    assert mp.skip(raw + b"\xc0", 0) == len(raw)
    stored = mp.map_header(2, 1) + mp.pack(5) + b"\x01" + mp.pack("a") + raw
    flags, keys, _k, vraw, _o = mp.split_map(stored)
    assert (flags, keys, vraw) == (1, [5, "a"], [b"\x01", raw])
