"""Record size limit (13), key mismatch (19), bin name length (21), set names per namespace (4)."""

from __future__ import annotations

from typing import Any

import aerospike
import pytest
from aerospike import exception as ex

from aerospike_cache.server import EmbeddedServer
from aerospike_cache.server._engine import MAX_SETS

from . import _wire
from .conftest import Key


def _max_record_size(client: Any, ns: str) -> int:
    info = client.info_random_node(f"namespace/{ns}")
    for part in info.strip().split("\t")[-1].split(";"):
        if part.startswith("max-record-size="):
            size = int(part.split("=")[1])
            if size:
                return size
    return 1024 * 1024


def test_value_of_max_record_size_is_too_big(client: Any, key: Key, ns: str) -> None:
    limit = _max_record_size(client, ns)
    with pytest.raises(ex.RecordTooBig) as info:
        client.put(key, {"v": b"x" * limit})
    assert info.value.code == 13
    assert client.exists(key)[1] is None


def test_value_a_little_under_the_limit_fits(client: Any, key: Key, ns: str) -> None:
    limit = _max_record_size(client, ns)
    client.put(key, {"v": b"x" * (limit - 1000)})
    assert len(client.get(key)[2]["v"]) == limit - 1000


def test_the_limit_holds_the_flat_record_with_its_end_mark(client: Any, key: Key, ns: str) -> None:
    # drv_mem.c buffer_bins: header 35, set name 1 + len, bin count 1, the bin (name 1 + 1,
    # blob 5 + len), end mark 4; no void time (ttl -1), no stored key
    limit = _max_record_size(client, ns)
    room = limit - (35 + 1 + len(key[1]) + 1 + 2 + 5 + 4)
    never = {"ttl": aerospike.TTL_NEVER_EXPIRE}
    client.put(key, {"v": b"x" * room}, policy=never)  # exactly the limit
    with pytest.raises(ex.RecordTooBig):
        client.put(key, {"v": b"x" * (room + 1)}, policy=never)
    assert len(client.get(key)[2]["v"]) == room


def test_too_big_update_leaves_the_old_record(client: Any, key: Key, ns: str) -> None:
    limit = _max_record_size(client, ns)
    client.put(key, {"v": b"old"})
    with pytest.raises(ex.RecordTooBig):
        client.put(key, {"w": b"x" * limit})
    assert client.get(key)[2] == {"v": b"old"}


def test_key_mismatch(
    raw_target: tuple[str, int], client: Any, ns: str, aerospike_set: str
) -> None:
    # store key "k1", then send the digest of "k1" with KEY field "other"
    key = (ns, aerospike_set, "k1")
    client.put(key, {"a": 1}, policy={"key": aerospike.POLICY_KEY_SEND})
    fields = [
        _wire.field(0, ns.encode()),
        _wire.field(1, aerospike_set.encode()),
        _wire.field(2, b"\x03other"),
        _wire.field(4, _wire.digest(aerospike_set, "k1")),
    ]
    frame = _wire.message(0, 0x01, 0, fields, [_wire.op(2, 1, b"a", (2).to_bytes(8, "big"))])
    _t, rc, _b = _wire.roundtrip(*raw_target, frame)
    assert rc == 19
    assert client.get(key)[2] == {"a": 1}
    # the right key is fine
    fields[2] = _wire.field(2, b"\x03k1")
    frame = _wire.message(0, 0x01, 0, fields, [_wire.op(2, 1, b"a", (2).to_bytes(8, "big"))])
    _t, rc, _b = _wire.roundtrip(*raw_target, frame)
    assert rc == 0
    assert client.get(key)[2] == {"a": 2}


def test_bin_name_over_15_bytes_is_error_21(
    raw_target: tuple[str, int], client: Any, ns: str, aerospike_set: str
) -> None:
    # the client refuses such names itself (BinNameError): raw frames reach the server
    fields = _wire.key_fields(ns, aerospike_set, "bn")
    value = (1).to_bytes(8, "big")
    frame = _wire.message(0, 0x01, 0, fields, [_wire.op(2, 1, b"b" * 16, value)])
    _t, rc, _b = _wire.roundtrip(*raw_target, frame)
    assert rc == 21
    assert client.exists((ns, aerospike_set, "bn"))[1] is None
    frame = _wire.message(0, 0x01, 0, fields, [_wire.op(2, 1, b"b" * 15, value)])
    _t, rc, _b = _wire.roundtrip(*raw_target, frame)
    assert rc == 0
    assert client.get((ns, aerospike_set, "bn"))[2] == {"b" * 15: 1}


def test_a_namespace_holds_4095_set_names(embedded_server: EmbeddedServer) -> None:
    # a private server: a real node never forgets a set name until it restarts
    client = aerospike.client(embedded_server.config).connect()
    try:
        for i in range(MAX_SETS):
            client.put(("test", f"s{i}", 1), {"v": 1})
        with pytest.raises(ex.InvalidRequest):  # "at set names limit, can't add set"
            client.put(("test", "one_more", 1), {"v": 1})
        client.truncate("test", "s0", 0)
        with pytest.raises(ex.InvalidRequest):  # an emptied set keeps its name
            client.put(("test", "one_more", 1), {"v": 1})
        client.put(("test", "s0", 2), {"v": 1})  # known names and no set are fine
        client.put(("test", "", 3), {"v": 1})
        client.put(("cache", "one_more", 1), {"v": 1})  # each namespace has its own names
    finally:
        client.close()
