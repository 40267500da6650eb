"""The store's records layer: the shared client, fork safety, user clients, options it owns."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.connection import registry
from aerospike_cache.errors import CacheUnavailable, ConfigurationError
from aerospike_cache.store import MISSING, AerospikeStore, aio
from tests.store.conftest import forks_on_purpose, needs_fork

MakeStore = Callable[..., AerospikeStore]


def test_one_client_shared_by_threads_and_stores(make_plain: MakeStore) -> None:
    registry.close_all()
    created_before = registry.clients_created
    stores = [make_plain() for _ in range(4)]
    errors: list[BaseException] = []

    def work(s: AerospikeStore, n: int) -> None:
        try:
            for i in range(20):
                s.set(f"t{n}-{i}", i, 60)
                assert s.get(f"t{n}-{i}") == i
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(stores[i % 4], i)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert registry.clients_created == created_before + 1


@needs_fork
@forks_on_purpose
def test_forked_child_gets_its_own_client(plain_store: AerospikeStore) -> None:
    store = plain_store
    store.set("before", "parent", 60)
    parent_client = store.records.client()
    parent_pool = aio.executor()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            ok = store.get("before") == "parent" and store.records.client() is not parent_client
            ok = ok and aio.executor() is not parent_pool  # the parent's threads are not ours
            store.set("child", "wrote", 60)
            code = 0 if ok else 2
        finally:
            os.write(write, bytes([code]))
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"\x00"
    assert store.records.client() is parent_client
    assert store.get("child") == "wrote"


# A child forked after its parent connected, exiting the way a gunicorn worker does:
# through the interpreter's own shutdown, not os._exit (which would hide a crash there).
_FORK_AND_EXIT = """
import os, sys
from aerospike_cache.store import AerospikeStore
host, port, namespace, set_name, use = sys.argv[1:]
store = AerospikeStore(f"{host}:{port}", namespace=namespace, set_name=set_name)
store.set("k", "parent", 60)
pid = os.fork()
if pid == 0:
    if use == "use":
        assert store.get("k") == "parent"
        store.set("k", "child", 60)
    sys.exit(0)
_, status = os.waitpid(pid, 0)
print("signal" if os.WIFSIGNALED(status) else "exit", os.waitstatus_to_exitcode(status))
"""


@needs_fork
@pytest.mark.parametrize("use", ["use", "idle"])
def test_forked_child_exits_cleanly(aerospike_server: Any, aerospike_set: str, use: str) -> None:
    """The parent's client, kept alive in the child, is not freed by its exit either
    (that crashed the child with SIGSEGV, or hung it joining a thread it does not have)."""
    import subprocess
    import sys

    args = [aerospike_server.host, str(aerospike_server.port), aerospike_server.namespace]
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore::DeprecationWarning",
            "-c",
            _FORK_AND_EXIT,
            *args,
            aerospike_set,
            use,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["exit", "0"]


def test_user_client_is_never_closed(
    aerospike_server: Any, aerospike_client: Any, aerospike_set: str
) -> None:
    store = AerospikeStore(
        namespace=aerospike_server.namespace, set_name=aerospike_set, client=aerospike_client
    )
    store.set("k", "v", 60)
    store.close()
    store.shutdown()
    assert aerospike_client.is_connected()
    assert store.get("k") == "v"


def test_secrets_never_in_repr_or_logs(
    make_plain: MakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    store = make_plain(
        client_config={"user": "admin", "password": "hunter2-secret"}, fail_open=True
    )
    assert "hunter2-secret" not in repr(store)
    assert "hunter2-secret" not in repr(store.client_config)
    store.get("warm-up")  # the shared registry entry exists from here on
    assert "hunter2-secret" not in repr(store.records.entry)
    assert store.client_config["password"] == "***"
    with caplog.at_level(logging.DEBUG, logger="aerospike_cache"):
        store.get("k")  # the server refuses or ignores security; whatever happens is logged
        store.shutdown()
        store.get("k")  # connects again: nothing of the config may leak on the way
    assert "hunter2-secret" not in caplog.text


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"namespace": ""}, "namespace must be"),
        ({"namespace": "x" * 32}, "namespace must be"),
        ({"set_name": "s" * 64}, "set must be"),
        ({"connect_timeout_ms": 0}, "connect_timeout_ms"),
        ({"breaker_threshold": 0}, "breaker_threshold"),
        ({"breaker_cooldown": -1}, "breaker_cooldown"),
        ({"client": object(), "client_config": {"user": "u"}}, "pre-built client"),
    ],
)
def test_the_records_validate_the_options_they_own(
    aerospike_server: Any, options: dict[str, Any], needle: str
) -> None:
    with pytest.raises(ConfigurationError, match=needle):
        AerospikeStore(aerospike_server.hosts, **options)


def test_bad_options_say_what_to_change(aerospike_server: Any) -> None:
    with pytest.raises(ConfigurationError, match="timeout_ms"):
        AerospikeStore(aerospike_server.hosts, namespace="test", timeout_ms=-1)
    with pytest.raises(ConfigurationError, match="serializer"):
        AerospikeStore(aerospike_server.hosts, namespace="test", serializer="yaml")
    with pytest.raises(ConfigurationError, match="port"):
        AerospikeStore("localhost:notaport", namespace="test")
    with pytest.raises(ConfigurationError, match="hosts"):
        AerospikeStore("", namespace="test")


def test_unreachable_at_first_use_not_at_construction() -> None:
    store = AerospikeStore("127.0.0.1:9", namespace="test", connect_timeout_ms=200)

    with pytest.raises(CacheUnavailable, match=r"127\.0\.0\.1:9"):
        store.get("k")
    store_open = AerospikeStore(
        "127.0.0.1:9", namespace="test", connect_timeout_ms=200, fail_open=True
    )
    started = time.monotonic()
    assert store_open.get("k") is MISSING
    assert store_open.set("k", "v", 60) is False
    assert time.monotonic() - started < 5


# -- how an entry is written: a whole-record replace, or a merge where replaces are refused


@pytest.fixture(scope="module")
def merging_server() -> Any:
    """A namespace resolving write conflicts (Enterprise XDR bin convergence): it
    refuses record replaces, so the store writes merges with nil bins."""
    from aerospike_cache.server import EmbeddedServer

    with EmbeddedServer(namespaces={"merging": {"conflict_resolve_writes": True}}) as server:
        yield server
    registry.discard_hosts(server.hosts)  # its port may serve another server next


@pytest.fixture(
    params=[
        "replace",
        pytest.param(
            "merge", marks=pytest.mark.embedded_only("conflict-resolve-writes is Enterprise (XDR)")
        ),
    ]
)
def written(request: pytest.FixtureRequest, make_plain: Callable[..., AerospikeStore]) -> Any:
    """A store of each write mode, and its clock (moved by hand)."""
    from tests.clock import FakeClock

    if request.param == "replace":
        store = make_plain()
    else:  # a set per test: the module's server is thrown away after (no truncate)
        server = request.getfixturevalue("merging_server")
        set_name = f"w{abs(hash(request.node.name)) % 10**6}"
        store = AerospikeStore(server.hosts, namespace="merging", set_name=set_name)
    clock = FakeClock()
    store.clock = clock
    store.set("probe", 1, 60)  # inspects the namespace
    assert store.records.replace_refused is (request.param == "merge")
    return store, clock


def test_a_write_drops_the_older_entrys_tags_and_deadline(written: Any) -> None:
    store, clock = written
    store.set("k", "tagged", 1, tags=["t"])
    store.set("k", "untagged, never expires", None)
    assert store._entry("k")[1:] == (None, [])
    clock.advance(5)  # past the first write's deadline
    assert store.get("k") == "untagged, never expires"
    assert store.invalidate_tags(["t"]) == 0
    store.set_many({"k": "tagged again"}, 30, tags=["t"])
    store.set_many({"k": "plain"}, None)
    assert store._entry("k")[1:] == (None, [])


def test_expired_entries_are_taken_over(written: Any) -> None:
    store, clock = written
    store.set("a", "old", 1, tags=["old"])
    store.set("n", 5, 1)
    clock.advance(2)  # expired by the deadline; the server has not evicted them
    assert store.add("a", "new", 30)
    assert store._entry("a")[0::2] == ("new", [])
    assert store.incr("n", 2, create=True, ttl=30) == 2
    assert store.get("n") == 2
