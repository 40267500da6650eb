"""put with every exists policy and generation policy."""

from __future__ import annotations

import time
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex

from .conftest import Key

CREATE = {"exists": aerospike.POLICY_EXISTS_CREATE}
UPDATE = {"exists": aerospike.POLICY_EXISTS_UPDATE}
REPLACE = {"exists": aerospike.POLICY_EXISTS_REPLACE}
CREATE_OR_REPLACE = {"exists": aerospike.POLICY_EXISTS_CREATE_OR_REPLACE}


def test_create_only_on_missing_then_existing(client: Any, key: Key) -> None:
    client.put(key, {"a": 1}, policy=CREATE)
    with pytest.raises(ex.RecordExistsError) as info:
        client.put(key, {"a": 2}, policy=CREATE)
    assert info.value.code == 5
    assert client.get(key)[2] == {"a": 1}


def test_update_only_needs_a_record(client: Any, key: Key) -> None:
    with pytest.raises(ex.RecordNotFound):
        client.put(key, {"a": 1}, policy=UPDATE)
    client.put(key, {"a": 1, "b": 1})
    client.put(key, {"a": 2}, policy=UPDATE)
    assert client.get(key)[2] == {"a": 2, "b": 1}


def test_replace_only_needs_a_record_and_drops_other_bins(client: Any, key: Key) -> None:
    with pytest.raises(ex.RecordNotFound):
        client.put(key, {"a": 1}, policy=REPLACE)
    client.put(key, {"a": 1, "b": 1})
    client.put(key, {"a": 2}, policy=REPLACE)
    assert client.get(key)[2] == {"a": 2}


def test_create_or_replace(client: Any, key: Key) -> None:
    client.put(key, {"a": 1, "b": 1}, policy=CREATE_OR_REPLACE)
    client.put(key, {"a": 2}, policy=CREATE_OR_REPLACE)
    _k, meta, bins = client.get(key)
    assert bins == {"a": 2}
    assert meta["gen"] == 2


@pytest.mark.parametrize("policy", [REPLACE, CREATE_OR_REPLACE])
def test_a_replace_carries_no_bin_deletes(client: Any, key: Key, policy: dict[str, Any]) -> None:
    # a real node's write_master_policies: "bin delete can't have record-level replace flag"
    client.put(key, {"a": 1, "b": 1})
    with pytest.raises(ex.InvalidRequest):
        client.put(key, {"a": 2, "b": None}, policy=policy)
    assert client.get(key)[2] == {"a": 1, "b": 1}


@pytest.mark.embedded_only("conflict-resolve-writes is an Enterprise (XDR) namespace option")
def test_a_namespace_resolving_write_conflicts_refuses_replaces() -> None:
    from aerospike_cache.server import EmbeddedServer

    with EmbeddedServer(namespaces={"x": {"conflict-resolve-writes": "true"}}) as server:
        client = aerospike.client(server.config).connect()
        try:
            assert "conflict-resolve-writes=true" in client.info_random_node("namespace/x")
            with pytest.raises(ex.InvalidRequest):
                client.put(("x", "s", 1), {"a": 1}, policy=CREATE_OR_REPLACE)
            client.put(("x", "s", 1), {"a": 1, "b": None})  # a merge is fine
            assert client.get(("x", "s", 1))[2] == {"a": 1}
        finally:
            client.close()


def test_generation_equal(client: Any, key: Key) -> None:
    client.put(key, {"a": 1})
    gen_eq = {"gen": aerospike.POLICY_GEN_EQ}
    with pytest.raises(ex.RecordGenerationError) as info:
        client.put(key, {"a": 2}, meta={"gen": 5}, policy=gen_eq)
    assert info.value.code == 3
    client.put(key, {"a": 2}, meta={"gen": 1}, policy=gen_eq)
    assert client.get(key)[1]["gen"] == 2


def test_generation_greater(client: Any, key: Key) -> None:
    client.put(key, {"a": 1})
    client.put(key, {"a": 1})
    gen_gt = {"gen": aerospike.POLICY_GEN_GT}
    with pytest.raises(ex.RecordGenerationError):
        client.put(key, {"a": 2}, meta={"gen": 2}, policy=gen_gt)
    client.put(key, {"a": 2}, meta={"gen": 3}, policy=gen_gt)
    assert client.get(key)[2] == {"a": 2}


def test_generation_equal_on_missing_record_counts_as_zero(client: Any, key: Key) -> None:
    gen_eq = {"gen": aerospike.POLICY_GEN_EQ}
    with pytest.raises(ex.RecordGenerationError):
        client.put(key, {"a": 1}, meta={"gen": 3}, policy=gen_eq)
    client.put(key, {"a": 1}, meta={"gen": 0}, policy=gen_eq)
    assert client.get(key)[1]["gen"] == 1


def test_generation_greater_on_missing_record_counts_as_zero(client: Any, key: Key) -> None:
    gen_gt = {"gen": aerospike.POLICY_GEN_GT}
    with pytest.raises(ex.RecordGenerationError):
        client.put(key, {"a": 1}, meta={"gen": 0}, policy=gen_gt)
    client.put(key, {"a": 1}, meta={"gen": 1}, policy=gen_gt)
    assert client.get(key)[1]["gen"] == 1


def test_truncated_record_counts_as_absent(client: Any, key: Key) -> None:
    client.put(key, {"a": 1})
    client.put(key, {"a": 2})
    time.sleep(0.005)  # a truncate spares records of its own millisecond
    client.truncate(key[0], key[1], 0)
    with pytest.raises(ex.RecordNotFound):
        client.put(key, {"a": 3}, policy=UPDATE)
    client.put(key, {"a": 3}, policy=CREATE)
    _k, meta, bins = client.get(key)
    assert bins == {"a": 3}
    assert meta["gen"] == 1
