"""Single-record commands: get/select/exists/put/remove/touch, types, generation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex

from .conftest import Key


def test_put_get_roundtrip_types(client: Any, key: Key) -> None:
    bins = {
        "s": "text é",
        "i": -(2**63),
        "j": 2**63 - 1,
        "f": 1.25,
        "b": b"\x00\xff",
        "t": True,
        "l": [1, "a", b"b"],
        "m": {"x": 1},
    }
    client.put(key, bins)
    _key, meta, got = client.get(key)
    assert got == bins
    assert type(got["b"]) is bytes
    assert type(got["t"]) is bool
    assert type(got["i"]) is int and type(got["f"]) is float
    assert meta["gen"] == 1


def test_geojson_round_trip(client: Any, key: Key) -> None:
    point = aerospike.GeoJSON({"type": "Point", "coordinates": [-122.5, 37.25]})
    client.put(key, {"g": point})
    got = client.get(key)[2]["g"]
    assert isinstance(got, aerospike.GeoJSON)
    assert got.unwrap() == point.unwrap()


def test_bytearray_comes_back_as_bytes(client: Any, key: Key) -> None:
    client.put(key, {"b": bytearray(b"xy")})
    assert client.get(key)[2] == {"b": b"xy"}


def test_get_missing_raises_record_not_found(client: Any, key: Key) -> None:
    with pytest.raises(ex.RecordNotFound) as info:
        client.get(key)
    assert info.value.code == 2


def test_exists(client: Any, key: Key) -> None:
    _k, meta = client.exists(key)
    assert meta is None
    client.put(key, {"a": 1})
    _k, meta = client.exists(key)
    assert meta is not None and meta["gen"] == 1


def test_select_returns_only_requested_bins(client: Any, key: Key) -> None:
    client.put(key, {"a": 1, "b": 2, "c": 3})
    _k, _m, got = client.select(key, ["a", "c"])
    assert got == {"a": 1, "c": 3}


def test_generation_counts_writes(client: Any, key: Key) -> None:
    for expected in (1, 2, 3):
        client.put(key, {"a": expected})
        assert client.exists(key)[1]["gen"] == expected


def test_put_merges_bins_and_none_deletes_a_bin(client: Any, key: Key) -> None:
    client.put(key, {"a": 1, "b": 2})
    client.put(key, {"b": None, "c": 3})
    assert client.get(key)[2] == {"a": 1, "c": 3}


def test_deleting_the_last_bin_deletes_the_record(client: Any, key: Key) -> None:
    client.put(key, {"a": 1})
    client.put(key, {"a": None})
    with pytest.raises(ex.RecordNotFound):
        client.get(key)


def test_writing_only_nulls_to_a_missing_record_is_not_found(client: Any, key: Key) -> None:
    with pytest.raises(ex.RecordNotFound):
        client.put(key, {"a": None})


def test_remove(client: Any, key: Key) -> None:
    client.put(key, {"a": 1})
    client.remove(key)
    with pytest.raises(ex.RecordNotFound):
        client.get(key)


def test_remove_missing_raises_record_not_found(client: Any, key: Key) -> None:
    with pytest.raises(ex.RecordNotFound) as info:
        client.remove(key)
    assert info.value.code == 2


def test_remove_with_generation_check(client: Any, key: Key) -> None:
    client.put(key, {"a": 1})
    client.put(key, {"a": 2})
    with pytest.raises(ex.RecordGenerationError) as info:
        client.remove(key, policy={"gen": aerospike.POLICY_GEN_EQ, "generation": 1})
    assert info.value.code == 3
    client.remove(key, policy={"gen": aerospike.POLICY_GEN_EQ, "generation": 2})
    assert client.exists(key)[1] is None


def test_user_key_types(client: Any, make_key: Callable[[Any], Key]) -> None:
    for user_key in ("s", 7, -1, b"blob"):
        k = make_key(user_key)
        client.put(k, {"v": repr(user_key)}, policy={"key": aerospike.POLICY_KEY_SEND})
        _rk, _m, bins = client.get(k)
        assert bins == {"v": repr(user_key)}


def test_stored_key_is_returned_by_get(client: Any, key: Key) -> None:
    client.put(key, {"a": 1}, policy={"key": aerospike.POLICY_KEY_SEND})
    (rns, rset, _rkey, digest), _m, _b = client.get(key)
    assert (rns, rset) == key[:2]
    assert bytes(digest) == bytes(aerospike.calc_digest(*key))


def test_digest_only_key(client: Any, key: Key) -> None:
    client.put(key, {"a": 1})
    digest = aerospike.calc_digest(*key)
    assert client.get((key[0], key[1], None, digest))[2] == {"a": 1}


def test_unknown_namespace(client: Any, aerospike_set: str) -> None:
    with pytest.raises(ex.NamespaceNotFound) as info:
        client.put(("no_such_ns", aerospike_set, "k"), {"a": 1})
    assert info.value.code == 20


def test_touch_bumps_generation_and_ttl(client: Any, key: Key) -> None:
    client.put(key, {"a": 1}, policy={"ttl": 100})
    client.touch(key, 1000)
    _k, meta = client.exists(key)
    assert meta["gen"] == 2
    assert 990 <= meta["ttl"] <= 1000


def test_touch_missing_raises_record_not_found(client: Any, key: Key) -> None:
    with pytest.raises(ex.RecordNotFound):
        client.touch(key, 100)


def test_empty_set_name(client: Any, ns: str) -> None:
    k = (ns, "", "empty-set-key")
    try:
        client.put(k, {"a": 1})
        assert client.get(k)[2] == {"a": 1}
    finally:
        client.remove(k)


def test_large_bin_count(client: Any, key: Key) -> None:
    bins = {f"b{i}": i for i in range(200)}
    client.put(key, bins)
    assert client.get(key)[2] == bins


def test_durable_delete_is_enterprise_only(client: Any, key: Key) -> None:
    edition = client.info_random_node("edition").split("\t")[-1]
    if "Enterprise" in edition:
        pytest.skip("durable delete works on an Enterprise Edition server")
    client.put(key, {"a": 1})
    with pytest.raises(ex.AerospikeError) as info:
        client.remove(key, policy={"durable_delete": True})
    assert info.value.code == 25  # AEROSPIKE_ERR_ENTERPRISE_ONLY, as on a Community server
    assert client.exists(key)[1] is not None
