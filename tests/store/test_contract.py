"""The store contract: every store set-up (see ``conftest.SETUPS``) must pass these.

Behaviour through the real client against the test server (the embedded one,
or a real cluster with ``AEROSPIKE_HOSTS``).
"""

from __future__ import annotations

import datetime
import os
import pickle
import threading
from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.errors import (
    ConfigurationError,
    InvalidKeyError,
    NsupError,
    SerializationError,
)
from aerospike_cache.store import MISSING, AerospikeStore

from .conftest import behind_its_back

MakeStore = Callable[..., AerospikeStore]

ROUND_TRIP = [
    None,
    True,
    b"\x00bytes",
    (1, 2),
    {1, 2},
    datetime.datetime(2024, 5, 6, 7, 8, 9, 123456),
    "unicode ✓ 漢字",
    12345,
    2**70,
    {"nested": [1, (2, 3), {"x": b"y"}]},
]


def test_miss_is_missing_not_none(store: AerospikeStore) -> None:
    assert store.get("absent") is MISSING
    store.set("none", None, 60)
    assert store.get("none") is None


def test_ttl_metadata(store: AerospikeStore) -> None:
    store.set("t", "v", 100)
    left = store.ttl("t")
    assert isinstance(left, int) and 95 <= left <= 100
    store.set("forever", "v", None)
    assert store.ttl("forever") is None
    assert store.ttl("absent") is MISSING


def test_clamped_ttl_is_accepted(store: AerospikeStore) -> None:
    assert store.set("k", "v", 20 * 365 * 24 * 3600) is True
    assert store.ttl("k") > 9 * 365 * 24 * 3600


def test_incr_is_native_and_keeps_ttl(store: AerospikeStore) -> None:
    store.set("n", 5, 100)
    assert store.incr("n", 3) == 8
    assert 95 <= store.ttl("n") <= 100
    with pytest.raises(KeyError):
        store.incr("absent")
    assert store.incr("created", 4, create=True, ttl=50) == 4
    assert 45 <= store.ttl("created") <= 50
    store.set("blob", "text", 60)
    with pytest.raises(TypeError):
        store.incr("blob")


@pytest.mark.parametrize("serializer", ["pickle", "json", "msgpack"])
@pytest.mark.parametrize("compressor", [None, "zlib", "zstd", "lz4"])
def test_serializers_and_compressors_round_trip(
    make_store: MakeStore, serializer: str, compressor: str | None
) -> None:
    store = make_store(serializer=serializer, compressor=compressor, compress_min_size=10)
    values = [*ROUND_TRIP, "x" * 5000]
    for i, value in enumerate(values):
        assert store.set(f"k{i}", value, 60)
    got = store.get_many([f"k{i}" for i in range(len(values))])
    for i, value in enumerate(values):
        assert got[f"k{i}"] == value
        assert type(got[f"k{i}"]) is type(value)


def test_old_entries_stay_readable_after_a_codec_change(make_store: MakeStore) -> None:
    old = make_store(serializer="pickle", compressor="zlib", compress_min_size=1)
    old.set("k", {"a": (1, 2)}, 60)
    new = make_store(serializer="pickle", compressor="lz4")
    assert new.get("k") == {"a": (1, 2)}
    json_store = make_store(serializer="json")
    json_store.set("j", [1, 2], 60)
    assert new.get("j") == [1, 2]


def test_json_store_refuses_foreign_pickles(make_store: MakeStore) -> None:
    make_store(serializer="pickle").set("p", "pickled", 60)
    assert make_store(serializer="json").get("p") is MISSING


def test_signed_entries_reject_tampering(make_store: MakeStore, raw_client: Any) -> None:
    signed = make_store(signing_key="0123456789abcdef-secret")
    signed.set("k", {"safe": True}, 60)
    assert signed.get("k") == {"safe": True}
    other_key = make_store(signing_key="another-key-0123456789")
    assert other_key.get("k") is MISSING
    unsigned = make_store()
    unsigned.set("plain", "x", 60)
    assert signed.get("plain") is MISSING
    # Flip a byte of the stored blob through the raw client.
    key = (signed.namespace, signed.set_name, "k")
    _, _, bins = raw_client.get(key)
    blob = bytearray(bins["v"])
    blob[-1] ^= 0x01
    raw_client.put(key, {"v": bytes(blob)})
    behind_its_back(signed)
    assert signed.get("k") is MISSING
    # A bin of another type planted by someone else is no more trusted than a blob.
    raw_client.put(key, {"v": "planted"})
    behind_its_back(signed)
    assert signed.get("k") is MISSING
    raw_client.put(key, {"v": {"planted": 1}})
    assert signed.get_many(["k"]) == {}


def test_unpicklable_value_writes_nothing(store: AerospikeStore) -> None:
    store.set("k", "old", 60)
    with pytest.raises(SerializationError, match="'k'") as raised:
        store.set("k", threading.Lock(), 60)
    assert isinstance(raised.value, pickle.PickleError)  # Django's contract
    assert store.get("k") == "old"


def test_json_serializer_error_is_not_a_pickle_error(make_store: Any) -> None:
    store = make_store(serializer="json")
    with pytest.raises(SerializationError) as raised:
        store.set("k", threading.Lock(), 60)
    assert not isinstance(raised.value, pickle.PickleError)


def test_oversized_value_removes_stale_entry(store: AerospikeStore) -> None:
    store.set("big", "small", 60)
    assert store.set("big", os.urandom(2 * 1024 * 1024), 60) is False
    assert store.get("big") is MISSING
    store.set("ok", "v", 60)
    store.set("big2", "small", 60)
    failed = store.set_many({"ok": "new", "big2": os.urandom(2 * 1024 * 1024)}, 60)
    assert failed == ["big2"]
    assert store.get("big2") is MISSING
    assert store.get("ok") == "new"


def test_delete_many_reports_existing_keys(store: AerospikeStore) -> None:
    store.set_many({"a": 1, "b": 2}, 60)
    assert sorted(store.delete_many(["a", "b", "c"])) == ["a", "b"]


def test_keys_lists_stored_keys(store: AerospikeStore) -> None:
    store.set_many({"user:1": 1, "user:2": 2, "other": 3}, 60)
    assert sorted(store.keys("user:*")) == ["user:1", "user:2"]
    assert sorted(store.keys()) == ["other", "user:1", "user:2"]


def test_clear_without_set_needs_permission(make_store: MakeStore) -> None:
    store = make_store(set_name=None)
    with pytest.raises(ConfigurationError, match="whole namespace"):
        store.clear()


def test_missing_namespace_is_a_clear_error(make_store: MakeStore) -> None:
    store = make_store(namespace="no_such_ns")
    with pytest.raises(ConfigurationError, match=r"no_such_ns.*does not exist"):
        store.get("k")


def test_nsup_off_namespace_gives_the_fix(aerospike_server: Any, make_store: MakeStore) -> None:
    if aerospike_server.nonsup_namespace is None:
        pytest.skip("set AEROSPIKE_NONSUP_NAMESPACE to a namespace with nsup-period 0")
    store = make_store(namespace=aerospike_server.nonsup_namespace)
    with pytest.raises(NsupError) as info:
        store.set("k", "v", 60)
    message = str(info.value)
    for needle in (aerospike_server.nonsup_namespace, "nsup-period", "allow-ttl-without-nsup"):
        assert needle in message
    # Writes that never expire are allowed.
    assert store.set("k", "v", None) is True
    assert store.get("k") == "v"
    with pytest.raises(NsupError):
        store.set_many({"a": 1}, 60)
    with pytest.raises(NsupError):
        store.touch("k", 60)


@pytest.mark.parametrize("key", [b"bytes", 7, None, ("t",)])
def test_non_string_keys_are_refused_clearly(make_store: MakeStore, key: Any) -> None:
    store = make_store(fail_open=True)  # a bad key is a bug: raised even under fail-open
    with pytest.raises(InvalidKeyError, match="must be str"):
        store.get(key)
    with pytest.raises(InvalidKeyError, match="must be str"):
        store.set(key, "v", 60)


@pytest.mark.parametrize(
    ("call", "ops"),
    [
        (lambda s: s.get("k"), ["get"]),
        (lambda s: s.get_many(["k", "n", "absent"]), ["get_many"]),
        (lambda s: s.set("k", "w", 60), ["set"]),
        (lambda s: s.add("new", "w", 60), ["add"]),
        (lambda s: s.add("k", "w", 60), ["add", "add"]),  # exists: is it past its deadline?
        (lambda s: s.set_many({"a": 1, "b": 2}, 60), ["set_many"]),
        (lambda s: s.has("k"), ["has"]),
        (lambda s: s.ttl("k"), ["ttl"]),
        (lambda s: s.incr("n", 2), ["incr"]),
        (lambda s: s.touch("k", 30), ["touch"]),  # read the deadline, then a checked write
        (lambda s: s.delete("k"), ["delete"]),
        (lambda s: s.delete_many(["k", "n"]), ["delete_many"]),
    ],
)
def test_the_common_path_is_one_round_trip(
    store: AerospikeStore, call: Callable[[AerospikeStore], Any], ops: list[str]
) -> None:
    store.set_many({"k": "v", "n": 1}, 60)
    seen: list[str] = []
    store.add_observer(lambda op, code, node, elapsed: seen.append(op))
    call(store)
    assert seen == ops


def test_replace_stores_only_over_a_live_entry(store: AerospikeStore, clock: Any) -> None:
    assert store.replace("k", "v", 60) is False
    assert store.get("k") is MISSING
    store.set("k", "old", 60, tags=["t"])
    assert store.replace("k", "new", 100) is True
    assert store.get("k") == "new"
    assert store.ttl("k") == 100
    assert store.invalidate_tags(["t"]) == 0  # a whole new entry: the old tags are gone
    clock.advance(101)
    assert store.replace("k", "newer", 60) is False  # past its deadline: absent
    assert store.get("k") is MISSING


def test_replace_with_ttl_le_0_deletes(store: AerospikeStore) -> None:
    store.set("k", "v", 60)
    assert store.replace("k", "x", 0) is True
    assert store.get("k") is MISSING
    assert store.replace("k", "x", -1) is False


def test_pttl_in_milliseconds(store: AerospikeStore, clock: Any) -> None:
    clock.now = float(int(clock.now))  # a whole second: the deadline is exact
    store.set("k", "v", 5.5)
    assert store.pttl("k") == 5500
    clock.advance(5.4995)
    assert store.pttl("k") == 1  # rounded up
    clock.advance(0.001)
    assert store.pttl("k") is MISSING
    store.set("n", "v", None)
    assert store.pttl("n") is None
    assert store.pttl("absent") is MISSING


def test_delete_right_after_clear_reports_absent(store: AerospikeStore) -> None:
    """A node's remove finds a truncated record for about a second; the store's
    filter on its last-update time answers absent, as reads do."""
    store.set_many({f"k{i}": i for i in range(6)}, 60)
    assert store.clear()
    assert [store.delete(f"k{i}") for i in range(3)] == [False] * 3
    assert store.delete_many([f"k{i}" for i in range(3, 6)]) == []
    assert store.remove_many(["k3", "k4"]) == ([], [])
    store.set("k0", "after", 60)  # written after the clear: found and removed
    store.set("k5", "after", 60)
    assert store.delete("k0") is True
    assert store.delete_many(["k5", "k4"]) == ["k5"]
