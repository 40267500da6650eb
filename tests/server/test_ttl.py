"""TTL, void time, expiry, and the nsup rule (reference section 7)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aerospike import exception as ex
from aerospike_helpers.batch import records as br
from aerospike_helpers.operations import operations as op

from .conftest import Key

NEVER = 4294967295  # how the client reports void time 0


def test_ttl_metadata(client: Any, key: Key) -> None:
    client.put(key, {"a": 1}, policy={"ttl": 3600})
    ttl = client.exists(key)[1]["ttl"]
    assert 3590 <= ttl <= 3600


def test_ttl_never_expire(client: Any, key: Key) -> None:
    client.put(key, {"a": 1}, policy={"ttl": -1})
    assert client.exists(key)[1]["ttl"] == NEVER


def test_ttl_zero_uses_namespace_default(client: Any, key: Key, aerospike_server: Any) -> None:
    info = client.info_random_node(f"namespace/{aerospike_server.namespace}")
    default_ttl = int(info.split("default-ttl=")[1].split(";")[0])
    client.put(key, {"a": 1}, policy={"ttl": 0})
    ttl = client.exists(key)[1]["ttl"]
    if default_ttl == 0:
        assert ttl == NEVER
    else:
        assert default_ttl - 10 <= ttl <= default_ttl


def test_ttl_dont_update_keeps_void_time(client: Any, key: Key) -> None:
    client.put(key, {"a": 1}, policy={"ttl": 1000})
    client.put(key, {"a": 2}, policy={"ttl": -2})
    assert 990 <= client.exists(key)[1]["ttl"] <= 1000


def test_ttl_dont_update_on_create_is_the_namespace_default(
    client: Any, key: Key, aerospike_server: Any
) -> None:
    info = client.info_random_node(f"namespace/{aerospike_server.namespace}")
    default_ttl = int(info.split("default-ttl=")[1].split(";")[0])
    client.put(key, {"a": 1}, policy={"ttl": -2})
    ttl = client.exists(key)[1]["ttl"]
    if default_ttl == 0:
        assert ttl == NEVER
    else:
        assert default_ttl - 10 <= ttl <= default_ttl


def test_increment_without_ttl_resets_to_default(client: Any, key: Key) -> None:
    # TTL 0 on the wire = namespace default; -2 keeps the TTL.
    client.put(key, {"n": 1}, policy={"ttl": 1000})
    client.operate(key, [op.increment("n", 1)], policy={"ttl": -2})
    assert 990 <= client.exists(key)[1]["ttl"] <= 1000


def test_ttl_too_large_is_a_parameter_error(client: Any, key: Key) -> None:
    with pytest.raises(ex.InvalidRequest) as info:
        client.put(key, {"a": 1}, policy={"ttl": 315360001})
    assert info.value.code == 4


def test_record_expires(client: Any, key: Key) -> None:
    client.put(key, {"a": 1}, policy={"ttl": 1})
    assert client.exists(key)[1]["ttl"] == 1  # the client reports at least 1
    time.sleep(2.1)
    assert client.exists(key)[1] is None
    with pytest.raises(ex.RecordNotFound):
        client.get(key)
    # an expired record is absent for update-only writes and touches
    with pytest.raises(ex.RecordNotFound):
        client.put(key, {"a": 2}, policy={"exists": 2})  # POLICY_EXISTS_UPDATE
    with pytest.raises(ex.RecordNotFound):
        client.touch(key, 100)
    # an expired record counts as absent for create-only
    client.put(key, {"a": 2}, policy={"exists": 1})  # POLICY_EXISTS_CREATE
    _k, meta, bins = client.get(key)
    assert bins == {"a": 2}
    assert meta["gen"] == 1


def _nonsup(aerospike_server: Any) -> str:
    if aerospike_server.nonsup_namespace is None:
        pytest.skip("set AEROSPIKE_NONSUP_NAMESPACE to a namespace with nsup-period 0")
    return str(aerospike_server.nonsup_namespace)


@pytest.mark.parametrize("ttl", [1, 100, 315360000])
def test_nsup_off_rejects_ttl_writes(
    client: Any, aerospike_server: Any, aerospike_set: str, ttl: int
) -> None:
    k = (_nonsup(aerospike_server), aerospike_set, "n")
    with pytest.raises(ex.ForbiddenError) as info:
        client.put(k, {"a": 1}, policy={"ttl": ttl})
    assert info.value.code == 22
    assert isinstance(info.value, ex.ServerError)
    assert client.exists(k)[1] is None


@pytest.mark.parametrize("ttl", [-1, -2, 0])
def test_nsup_off_accepts_never_keep_and_default(
    client: Any, aerospike_server: Any, aerospike_set: str, ttl: int
) -> None:
    ns = _nonsup(aerospike_server)
    info = client.info_random_node(f"namespace/{ns}")
    if ttl == 0 and "default-ttl=0" not in info:
        pytest.skip("the nonsup namespace has a default-ttl")
    k = (ns, aerospike_set, "n")
    try:
        client.put(k, {"a": 1}, policy={"ttl": ttl})
        assert client.exists(k)[1]["ttl"] == NEVER
    finally:
        client.remove(k)


def test_nsup_off_rejects_touch_operate_and_batch(
    client: Any, aerospike_server: Any, aerospike_set: str
) -> None:
    k = (_nonsup(aerospike_server), aerospike_set, "n")
    client.put(k, {"a": 1})
    try:
        with pytest.raises(ex.ForbiddenError):
            client.touch(k, 100)
        with pytest.raises(ex.ForbiddenError):
            client.operate(k, [op.increment("a", 1)], policy={"ttl": 100})
        # two rows: a one-key batch travels as a single-record command
        k2 = (k[0], k[1], "n2")
        batch = br.BatchRecords(
            [br.Write(x, [op.write("a", 2)], policy={"ttl": 100}) for x in (k, k2)]
        )
        rows = client.batch_write(batch).batch_records
        assert [r.result for r in rows] == [22, 22]
        assert client.get(k)[2] == {"a": 1}
        assert client.exists(k2)[1] is None
    finally:
        client.remove(k)


def test_namespace_info_reports_nsup(client: Any, aerospike_server: Any) -> None:
    ns = _nonsup(aerospike_server)
    info = client.info_random_node(f"namespace/{ns}")
    assert "nsup-period=0" in info


def _default_read_touch_pct(client: Any, ns: str) -> int:
    info = client.info_random_node(f"namespace/{ns}")
    for part in info.strip().split("\t")[-1].split(";"):
        if part.startswith("default-read-touch-ttl-pct="):
            return int(part.split("=")[1])
    return 0


def test_read_touch(client: Any, make_key: Any, ns: str) -> None:
    """A read with read_touch_ttl_percent resets the TTL once less than that percent is left."""
    touched, kept = make_key("touched"), make_key("kept")
    for k in (touched, kept):
        client.put(k, {"a": 1}, policy={"ttl": 100})
    time.sleep(2.1)
    # 1 % of 100 s is not reached yet; -1 never touches; 0 = namespace default
    pcts = [1, -1] + ([0] if _default_read_touch_pct(client, ns) == 0 else [])
    for pct in pcts:
        client.get(kept, policy={"read_touch_ttl_percent": pct})
    _k, meta, _b = client.get(touched, policy={"read_touch_ttl_percent": 100})
    assert meta["ttl"] <= 98  # the answer shows the metadata from before the touch
    deadline = time.monotonic() + 2  # a real server touches asynchronously
    while client.exists(touched)[1]["ttl"] < 99 and time.monotonic() < deadline:
        time.sleep(0.05)
    meta = client.exists(touched)[1]
    assert meta["ttl"] >= 99
    assert meta["gen"] == 1  # a touch by a read does not count as a write
    assert client.exists(kept)[1]["ttl"] <= 98


def test_read_touch_on_batch_reads(client: Any, make_key: Any) -> None:
    """A batch read's read_touch_ttl_percent follows the same rule, row by row."""
    touched = [make_key("bt0"), make_key("bt1")]
    kept = [make_key("bk0"), make_key("bk1")]
    for k in touched + kept:
        client.put(k, {"a": 1}, policy={"ttl": 100})
    time.sleep(2.1)
    client.batch_read(kept, policy={"read_touch_ttl_percent": 1})
    rows = client.batch_read(touched, policy={"read_touch_ttl_percent": 100}).batch_records
    assert all(r.result == 0 and r.record[1]["ttl"] <= 98 for r in rows)
    deadline = time.monotonic() + 2  # a real server touches asynchronously
    while min(client.exists(k)[1]["ttl"] for k in touched) < 99 and time.monotonic() < deadline:
        time.sleep(0.05)
    for k in touched:
        meta = client.exists(k)[1]
        assert meta["ttl"] >= 99
        assert meta["gen"] == 1
    assert all(client.exists(k)[1]["ttl"] <= 98 for k in kept)


def test_read_touch_percent_over_100_is_a_parameter_error(client: Any, key: Key) -> None:
    client.put(key, {"a": 1}, policy={"ttl": 100})
    with pytest.raises(ex.InvalidRequest) as info:
        client.get(key, policy={"read_touch_ttl_percent": 101})
    assert info.value.code == 4
