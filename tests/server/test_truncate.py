"""truncate of a set and of a namespace, with and without lut (reference section 7).

A truncate spares records written in its own millisecond (real server rule), so
the tests wait a few milliseconds between the last write and the truncate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from aerospike import exception as ex

from aerospike_cache.server import EmbeddedServer

from . import _wire
from .conftest import Key

CITRUSLEAF_EPOCH_MS = 1262304000 * 1000


def _count(client: Any, ns: str, set_name: str) -> int:
    return len(client.query(ns, set_name).results())


def test_truncate_set_removes_its_records_only(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    other = (ns, aerospike_set + "_o", "x")
    for i in range(10):
        client.put(make_key(i), {"i": i})
    client.put(other, {"i": 0})
    time.sleep(0.005)
    try:
        client.truncate(ns, aerospike_set, 0)
        assert _count(client, ns, aerospike_set) == 0
        with pytest.raises(ex.RecordNotFound):
            client.get(make_key(3))
        assert client.get(other)[2] == {"i": 0}
    finally:
        client.remove(other)


def test_writes_after_truncate_survive(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    client.put(make_key(1), {"i": 1})
    time.sleep(0.005)
    client.truncate(ns, aerospike_set, 0)
    time.sleep(0.005)  # past the truncate's millisecond
    client.put(make_key(2), {"i": 2})
    assert client.get(make_key(2))[2] == {"i": 2}
    assert client.exists(make_key(1))[1] is None


def test_truncate_with_lut_keeps_later_records(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    # the lut is read from this machine's clock: margins cover a little clock skew
    client.put(make_key("old"), {"v": 1})
    time.sleep(0.2)
    threshold = time.time_ns()
    time.sleep(0.2)
    client.put(make_key("new"), {"v": 2})
    client.truncate(ns, aerospike_set, threshold)
    assert client.exists(make_key("old"))[1] is None
    assert client.get(make_key("new"))[2] == {"v": 2}


def test_truncate_with_future_lut_is_rejected(client: Any, ns: str, aerospike_set: str) -> None:
    with pytest.raises(ex.InvalidRequest) as info:  # the server's ERROR:4
        client.truncate(ns, aerospike_set, time.time_ns() + 3600 * 10**9)
    assert info.value.code == 4


def test_truncate_info_command_answers_ok(
    aerospike_server: Any, client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    client.put(make_key(1), {"v": 1})
    time.sleep(0.005)
    command = f"truncate:namespace={ns};set={aerospike_set}"
    answer = _wire.info(aerospike_server.host, aerospike_server.port, command)
    assert answer == f"{command}\tok\n"
    assert client.exists(make_key(1))[1] is None


def test_set_truncate_lut_is_in_ms_since_2010(client: Any, ns: str, aerospike_set: str) -> None:
    set_name = aerospike_set + "_lut"  # never truncated before: a set's truncate_lut only grows
    client.put((ns, set_name, "x"), {"v": 1})
    lut_ns = time.time_ns() - 10**9
    client.truncate(ns, set_name, lut_ns)
    value = client.info_random_node(f"sets/{ns}/{set_name}").split("\t")[-1]
    fields = dict(f.split("=", 1) for f in value.strip().rstrip(";").split(":") if "=" in f)
    assert int(fields["truncate_lut"]) == lut_ns // 10**6 - CITRUSLEAF_EPOCH_MS
    time.sleep(0.002)
    client.truncate(ns, set_name, 0)


def test_truncate_unknown_set_is_ok(client: Any, ns: str, aerospike_set: str) -> None:
    client.truncate(ns, aerospike_set + "_never_written", 0)


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        # the truncate is broadcast without looking the namespace up
        ("truncate:namespace=no_such_ns;set=s", "ok"),
        ("truncate-namespace:namespace=no_such_ns", "ok"),
        ("truncate:namespace=no_such_ns", "ERROR:4:missing 'set'"),
        ("truncate-namespace:namespace=no_such_ns;set=s", "ERROR:4:unexpected set name"),
        ("truncate:set=s", "ERROR:20:missing 'namespace'"),
    ],
)
def test_truncate_commands_are_checked_as_a_real_node_checks_them(
    aerospike_server: Any, command: str, answer: str
) -> None:
    assert _wire.info(aerospike_server.host, aerospike_server.port, command) == (
        f"{command}\t{answer}\n"
    )


def test_truncate_namespace(embedded_server: EmbeddedServer) -> None:
    import aerospike

    client = aerospike.client(embedded_server.config)
    try:
        client.put(("test", "a", 1), {"v": 1})
        client.put(("test", "b", 1), {"v": 1})
        client.put(("cache", "a", 1), {"v": 1})
        time.sleep(0.005)
        client.truncate("test", None, 0)
        assert client.exists(("test", "a", 1))[1] is None
        assert client.exists(("test", "b", 1))[1] is None
        assert client.exists(("cache", "a", 1))[1] is not None
        assert embedded_server.counters.get("truncate") == 1
        info = client.info_random_node("namespace/test")
        assert int(info.split("truncate_lut=")[1].split(";")[0]) > 0
    finally:
        client.close()


def test_truncate_spares_records_of_its_own_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real server's rule, measured on 8.1: strictly-before-the-ms is truncated.

    The server's clock is frozen (in-process server), so the truncate is sent as a
    raw info command: the client would hold the GIL during ``truncate()``.
    """
    import aerospike

    from aerospike_cache.server import _protocol

    clock = [_protocol.now_ms()]
    monkeypatch.setattr(_protocol, "now_ms", lambda: clock[0])
    with EmbeddedServer() as server:
        client = aerospike.client(server.config)
        try:
            client.put(("test", "s", "before"), {"v": 1})
            clock[0] += 1
            client.put(("test", "s", "same"), {"v": 1})
            command = "truncate:namespace=test;set=s"
            assert _wire.info(server.host, server.port, command) == f"{command}\tok\n"
            assert client.exists(("test", "s", "before"))[1] is None
            assert client.exists(("test", "s", "same"))[1] is not None
            clock[0] += 1
            assert _wire.info(server.host, server.port, command) == f"{command}\tok\n"
            assert client.exists(("test", "s", "same"))[1] is None
        finally:
            client.close()


def _truncate_one(client: Any, ns: str, set_name: str, key: Key) -> None:
    """Write ``key``, truncate its set."""
    client.put(key, {"v": 1})
    time.sleep(0.003)  # past the write's millisecond
    client.truncate(ns, set_name, 0)


def _set_threshold_ns(client: Any, ns: str, set_name: str) -> int:
    """The set's truncate threshold in ns since the Unix epoch."""
    value = client.info_random_node(f"sets/{ns}/{set_name}").split("\t")[-1]
    fields = dict(f.split("=", 1) for f in value.strip().rstrip(";").split(":") if "=" in f)
    return (int(fields["truncate_lut"]) + CITRUSLEAF_EPOCH_MS) * 10**6


def test_a_remove_right_after_truncate_still_finds_the_record(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    """Reads miss a truncated record at once; a remove right after the truncate finds
    it until the node drops it from its index (a real 8.1.2 node: 3 tries in 5)."""
    found = 0
    for i in range(10):
        key = make_key(f"r{i}")
        _truncate_one(client, ns, aerospike_set, key)
        try:
            client.remove(key)
            found += 1
        except ex.RecordNotFound:
            pass
        assert client.exists(key)[1] is None
        with pytest.raises(ex.RecordNotFound):
            client.remove(key)  # once removed, gone
    assert found >= 1


def test_a_filter_on_last_update_tells_a_truncated_record(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    from aerospike_helpers import expressions as exp

    key = make_key("f")
    _truncate_one(client, ns, aerospike_set, key)
    threshold = _set_threshold_ns(client, ns, aerospike_set)
    alive = {"expressions": exp.GE(exp.LastUpdateTime(), threshold).compile()}
    with pytest.raises((ex.FilteredOut, ex.RecordNotFound)):
        client.remove(key, policy=alive)
    client.put(key, {"v": 2})  # written after the truncate: passes
    client.remove(key, policy=alive)
    assert client.exists(key)[1] is None
