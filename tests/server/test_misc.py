"""Compression, concurrency, generation wrap, configuration parsing, the plugin."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex

from aerospike_cache.server import EmbeddedServer, NamespaceConfig, pytest_plugin
from aerospike_cache.server._engine import Namespace
from aerospike_cache.server.pytest_plugin import (
    LEASE_STALE_S,
    SET_POOL_SIZE,
    SET_POOL_SLICES,
    lease_pool_slice,
    parse_hosts,
    pooled_set_name,
    release_pool_slice,
    set_name_unclean,
)

from .conftest import Key


def _check_compressed_requests(client: Any, key: Key, edition: str) -> None:
    """Enterprise serves compressed requests; Community refuses them with 25."""
    value = "x" * 5000
    if edition == "community":
        with pytest.raises(ex.AerospikeError) as info:
            client.put(key, {"v": value}, policy={"compress": True})
        assert info.value.code == 25
        return
    client.put(key, {"v": value}, policy={"compress": True})
    assert client.get(key, policy={"compress": True})[2] == {"v": value}
    rows = client.batch_read([key] * 20, policy={"compress": True}).batch_records
    assert all(r.record[2] == {"v": value} for r in rows)


def test_compressed_requests_as_the_servers_edition_answers(
    client: Any, key: Key, edition: str
) -> None:
    _check_compressed_requests(client, key, edition)


@pytest.mark.embedded_only("a server of each edition, and its counters")
@pytest.mark.parametrize("edition", ["community", "enterprise"])
def test_compressed_requests_by_edition(edition: str) -> None:
    with EmbeddedServer(edition=edition) as server:
        client = aerospike.client(server.config)
        try:
            _check_compressed_requests(client, ("test", "z", 1), edition)
        finally:
            client.close()
        assert server.counters.get("compressed", 0) >= 1


@pytest.mark.embedded_only("a server of each edition")
@pytest.mark.parametrize("edition", ["community", "enterprise"])
def test_durable_delete_by_edition(edition: str) -> None:
    with EmbeddedServer(edition=edition) as server:
        client = aerospike.client(server.config)
        key = ("test", "z", 1)
        try:
            client.put(key, {"v": 1})
            if edition == "community":
                with pytest.raises(ex.AerospikeError) as info:
                    client.remove(key, policy={"durable_delete": True})
                assert info.value.code == 25
                assert client.exists(key)[1] is not None
            else:
                client.remove(key, policy={"durable_delete": True})
                assert client.exists(key)[1] is None
        finally:
            client.close()


def test_an_unknown_edition_is_refused() -> None:
    with pytest.raises(ValueError, match="edition must be one of"):
        EmbeddedServer(edition="gold")


def test_concurrent_increments(client: Any, key: Key) -> None:
    from aerospike_helpers.operations import operations as op

    def work() -> None:
        for _ in range(50):
            client.operate(key, [op.increment("n", 1)])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert client.get(key)[2] == {"n": 400}


@pytest.mark.embedded_only("sets a record's generation directly (65535 writes would take too long)")
def test_generation_wraps_to_one() -> None:
    """16-bit generation: 65535 + 1 -> 1 (65535 real writes would take too long)."""
    with EmbeddedServer() as server:
        client = aerospike.client(server.config)
        try:
            key = ("test", "s", "g")
            client.put(key, {"v": 1})
            digest = bytes(aerospike.calc_digest(*key))
            server.storage["test"].records[digest].generation = 65535
            assert client.get(key)[1]["gen"] == 65535
            client.put(key, {"v": 2})
            assert client.get(key)[1]["gen"] == 1
        finally:
            client.close()


def test_namespace_config_validation() -> None:
    cfg = NamespaceConfig.from_options("n", {"nsup-period": "0", "allow-ttl-without-nsup": "true"})
    assert cfg.nsup_period == 0 and cfg.allow_ttl_without_nsup
    with pytest.raises(ValueError):
        NamespaceConfig.from_options("n", {"nope": 1})
    with pytest.raises(ValueError):
        NamespaceConfig("bad:name")
    with pytest.raises(ValueError):
        EmbeddedServer(namespaces=[])


def test_allow_ttl_without_nsup() -> None:
    namespaces = {"n": {"nsup_period": 0, "allow_ttl_without_nsup": True}}
    with EmbeddedServer(namespaces=namespaces) as server:
        client = aerospike.client(server.config)
        try:
            client.put(("n", "s", 1), {"a": 1}, policy={"ttl": 100})
            assert 90 <= client.exists(("n", "s", 1))[1]["ttl"] <= 100
        finally:
            client.close()


def test_default_ttl_applies_and_is_forbidden_without_nsup() -> None:
    from aerospike import exception as ex

    namespaces = {"d": {"default_ttl": 500}, "x": {"default_ttl": 500, "nsup_period": 0}}
    with EmbeddedServer(namespaces=namespaces) as server:
        client = aerospike.client(server.config)
        try:
            client.put(("d", "s", 1), {"a": 1})
            assert 490 <= client.exists(("d", "s", 1))[1]["ttl"] <= 500
            with pytest.raises(ex.ForbiddenError):
                client.put(("x", "s", 1), {"a": 1})
            # -2 on a create means the default: forbidden too (server write.c converts
            # it to 0 before is_ttl_disallowed)
            with pytest.raises(ex.ForbiddenError):
                client.put(("x", "s", 1), {"a": 1}, policy={"ttl": -2})
            client.put(("x", "s", 1), {"a": 1}, policy={"ttl": -1})
            # on an existing record -2 keeps the void time and passes
            client.put(("x", "s", 1), {"a": 2}, policy={"ttl": -2})
            assert client.exists(("x", "s", 1))[1]["ttl"] == 4294967295
        finally:
            client.close()


def test_custom_max_record_size() -> None:
    from aerospike import exception as ex

    with EmbeddedServer(namespaces={"small": {"max_record_size": 4096}}) as server:
        client = aerospike.client(server.config)
        try:
            client.put(("small", "s", 1), {"v": b"x" * 3000})
            with pytest.raises(ex.RecordTooBig):
                client.put(("small", "s", 2), {"v": b"x" * 4096})
        finally:
            client.close()


def test_parse_hosts() -> None:
    assert parse_hosts("a:1,b:2") == [("a", 1), ("b", 2)]
    assert parse_hosts("a") == [("a", 3000)]
    assert parse_hosts("[::1]:3100") == [("::1", 3100)]
    with pytest.raises(ValueError):
        parse_hosts(" , ")


def test_server_properties() -> None:
    server = EmbeddedServer(port=0)
    with server:
        assert server.port != 0
        assert server.hosts == [("127.0.0.1", server.port)]
        assert server.config == {"hosts": [("127.0.0.1", server.port)]}
        assert server.namespace_names == ["cache", "test"]
        assert server.running
    assert not server.running


PLUGIN_PROBE = """
import pytest

def test_server(aerospike_server):
    assert aerospike_server.embedded is None
    assert aerospike_server.nonsup_namespace is None
    assert aerospike_server.hosts == [("127.0.0.1", PORT)]

def test_client(aerospike_client, aerospike_set):
    aerospike_client.put(("test", aerospike_set, 1), {"a": 1})

def test_embedded(embedded_server):
    pass

@pytest.mark.embedded_only
def test_marker():
    pass
"""


@pytest.mark.embedded_only("runs the plugin in a child pytest")
def test_plugin_against_a_real_cluster_address(tmp_path: Path) -> None:
    """With AEROSPIKE_HOSTS set the plugin starts nothing and skips embedded-only tests."""
    with EmbeddedServer() as server:
        probe = tmp_path / "test_probe.py"
        probe.write_text(textwrap.dedent(PLUGIN_PROBE).replace("PORT", str(server.port)))
        env = dict(os.environ, AEROSPIKE_HOSTS=f"127.0.0.1:{server.port}")
        env.pop("AEROSPIKE_NONSUP_NAMESPACE", None)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(probe)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert "2 passed, 2 skipped" in result.stdout, result.stdout + result.stderr
    assert "needs the embedded server's fault controls" in result.stdout


def test_nsup_purges_expired_records() -> None:
    ns = Namespace(NamespaceConfig("t"))
    now_s = 1000
    ns.write(b"a" * 20, b"s", None, 0x01, 0, 0, 5, [(2, 1, b"v", bytes(8))], now_s * 1000)
    ns.write(b"b" * 20, b"s", None, 0x01, 0, 0, 0, [(2, 1, b"v", bytes(8))], now_s * 1000)
    assert ns.purge_expired(now_s + 3) == 0
    assert ns.purge_expired(now_s + 10) == 1
    assert set(ns.records) == {b"b" * 20}
    assert ns.expired_objects == 1


def test_malformed_message_is_a_parameter_error(raw_target: tuple[str, int]) -> None:
    import struct

    from . import _wire

    # header claims 3 fields but carries none
    body = _wire.HEADER.pack(22, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0)
    frame = struct.pack(">Q", (2 << 56) | (3 << 48) | len(body)) + body
    _t, rc, _b = _wire.roundtrip(*raw_target, frame)
    assert rc == 4
    assert _wire.info(*raw_target, "build").startswith("build\t")


def test_set_names_come_from_a_bounded_pool_on_a_real_cluster_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AEROSPIKE_HOSTS", raising=False)
    assert pooled_set_name("p") != pooled_set_name("p")  # embedded: fresh every time
    monkeypatch.setenv("AEROSPIKE_HOSTS", "127.0.0.1:1")
    monkeypatch.setattr(pytest_plugin, "_lease", (os.getpid(), 3))  # leased slice 3
    drawn = [pooled_set_name("p") for _ in range(2 * SET_POOL_SIZE)]
    assert len(set(drawn)) == SET_POOL_SIZE and all(n.startswith("p_3_") for n in drawn)
    assert drawn[:SET_POOL_SIZE] == drawn[SET_POOL_SIZE:]  # each again after all others
    set_name_unclean(drawn[0])
    again = [pooled_set_name("p") for _ in range(SET_POOL_SIZE - 1)]
    assert drawn[0] not in again and set(again) == set(drawn[1:SET_POOL_SIZE])


def test_concurrent_sessions_lease_different_slices_of_the_set_pool(
    aerospike_client: Any, aerospike_server: Any, aerospike_set: str
) -> None:
    # the leases in this test's own set (truncated after it): not the running session's
    ns, now = aerospike_server.namespace, time.time()

    def lease(owner: str, at: float = now) -> int | None:
        return lease_pool_slice(aerospike_client, ns, owner, at, aerospike_set)

    held = [lease(f"session-{i}") for i in range(SET_POOL_SLICES)]
    assert sorted(held) == list(range(SET_POOL_SLICES))  # each its own slice
    assert lease("late") is None  # all held
    release_pool_slice(aerospike_client, ns, held[0], "not-the-owner", aerospike_set)
    assert lease("late") is None  # still held: only its owner gives it back
    release_pool_slice(aerospike_client, ns, held[0], "session-0", aerospike_set)
    assert lease("late") == held[0]
    # a session that died without giving its slice back: taken over once stale
    assert lease("after", now + LEASE_STALE_S + 1) is not None


def test_only_the_leasing_process_gives_its_slice_back_at_exit(
    aerospike_client: Any, aerospike_server: Any
) -> None:
    ns = aerospike_server.namespace
    number = lease_pool_slice(aerospike_client, ns, "a-parent", time.time())
    assert number is not None
    try:
        # a forked child runs the parent's atexit handlers: it must leave the lease alone
        pytest_plugin._release_at_exit(os.getpid() + 1, aerospike_client, ns, number, "a-parent")
        key = (ns, pytest_plugin.LEASE_SET, f"slice-{number}")
        assert aerospike_client.get(key)[2]["owner"] == "a-parent"
    finally:
        release_pool_slice(aerospike_client, ns, number, "a-parent")


@pytest.mark.embedded_only("starts private servers on a port of its choosing")
def test_a_private_server_stopped_by_the_plugin_leaves_no_client_for_its_port() -> None:
    from aerospike_cache.errors import CacheUnavailable
    from aerospike_cache.store import AerospikeStore

    options: dict[str, Any] = {"namespace": "cache", "client_config": {"tend_interval": 250}}
    first = EmbeddedServer(namespaces=["cache"], isolated=True).start()
    AerospikeStore(first.hosts, **options).set("k", 1, 60)
    pytest_plugin._stop(first)
    # the next test's server on the same port is another node (another node id): a client
    # left tending the first one drops "its" node and answers -8 until it finds the new one
    second = EmbeddedServer(port=first.port, namespaces=["cache"], isolated=True).start()
    try:
        store = AerospikeStore(second.hosts, **options)
        failed = 0
        deadline = time.monotonic() + 1.2  # a few tends
        while time.monotonic() < deadline:
            try:
                store.get("k")
            except CacheUnavailable:
                failed += 1
            time.sleep(0.005)
        assert failed == 0
    finally:
        pytest_plugin._stop(second)


def test_the_sets_a_test_derived_from_its_set_are_found_for_cleaning(
    aerospike_client: Any, aerospike_server: Any, aerospike_set: str
) -> None:
    ns = aerospike_server.namespace
    for suffix in ("_django", "_2"):
        aerospike_client.put((ns, aerospike_set + suffix, "k"), {"a": 1})
    aerospike_client.put((ns, aerospike_set, "k"), {"a": 1})

    def derived(name: str) -> bool:
        return name.startswith(aerospike_set + "_")

    found = pytest_plugin.sets_holding_records(aerospike_client, ns, derived)
    assert found == sorted([aerospike_set + "_2", aerospike_set + "_django"])
    for name in found:
        aerospike_client.truncate(ns, name, 0)


@pytest.mark.embedded_only("writes into the set-name pool's own names")
def test_a_leased_slice_is_cleaned_of_what_an_interrupted_session_left(
    aerospike_client: Any, aerospike_server: Any
) -> None:
    ns = aerospike_server.namespace
    left = ["t_5_3", "t_5_3_django", "t_5_60_2"]
    for name in [*left, "t_6_3", "t_5_x", "orders_5_3"]:
        aerospike_client.put((ns, name, "k"), {"a": 1})
    time.sleep(0.002)  # a truncate spares records written in its own millisecond
    assert pytest_plugin.clean_slice(aerospike_client, ns, 5) == sorted(left)
    assert pytest_plugin.clean_slice(aerospike_client, ns, 5) == []  # gone
    for name in ["t_6_3", "t_5_x", "orders_5_3"]:  # other slices' and other names: kept
        assert aerospike_client.get((ns, name, "k"))[2] == {"a": 1}
        aerospike_client.truncate(ns, name, 0)
