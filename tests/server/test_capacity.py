"""A namespace that fills up: stop-writes (code 8) and nsup eviction, as a real node does.

The facts reproduced are those measured on a real 8.1.2 node
(``/work/shared/reference/real-node/namespace-full.md`` in the project's
notes): past ``stop-writes-used-pct`` every write answers 8 (every row of a
batch write, the batch -16) while reads, removes and truncates work; eviction
removes whole 1-second void-time buckets, soonest first, at most
``evict-tenths-pct`` of the records per cycle, a bigger first bucket blocks
it, and records that never expire are never evicted. A real node cannot be
filled by a shared test suite: the fill tests run on a private embedded server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex
from aerospike_helpers.batch.records import BatchRecords, Write
from aerospike_helpers.operations import operations as op

from aerospike_cache.server import EmbeddedServer, NamespaceConfig
from aerospike_cache.server import _capacity as capacity
from aerospike_cache.server.__main__ import parse_namespace

VALUE = b"x" * 1000
# nsup only when the test runs it (run_nsup), TTLs still allowed
MANUAL = {"allow-ttl-without-nsup": True}
NOW = 500_000_000


def _pairs(client: Any, ns: str) -> dict[str, str]:
    value = client.info_random_node(f"namespace/{ns}").partition("\t")[2].strip()
    return dict(item.split("=", 1) for item in value.split(";") if "=" in item)


def _fill(client: Any, ttl: Callable[[int], int], limit: int = 10_000) -> int:
    """Put 1 kB records until the namespace refuses one; how many went in."""
    for n in range(limit):
        try:
            client.put(("cache", "s", n), {"v": VALUE}, policy={"ttl": ttl(n)})
        except ex.ServerFull:
            return n
    raise AssertionError(f"{limit} records did not fill the namespace")


@pytest.fixture
def small(make_embedded_server: Callable[..., EmbeddedServer]) -> Callable[..., Any]:
    """``small(**options)`` -> (server, client) with a 1 MiB ``cache`` namespace."""

    def make(**options: Any) -> tuple[EmbeddedServer, Any]:
        server = make_embedded_server({"cache": {"data-size": "1M", **options}})
        client = aerospike.client({"hosts": server.hosts}).connect()
        return server, client

    return make


# -- the data use of a record ------------------------------------------------------


def test_stored_size_counts_like_a_flat_record() -> None:
    def stored(*args: Any) -> int:
        return capacity.stored(capacity.flat_size(*args))

    bins = {b"v": (4, VALUE)}
    # header 35 + void time 4 + set "s" 2 + 1 bin 1 + bin (name 2, blob 5 + 1000) + end mark 4
    assert capacity.flat_size(bins, None, b"s", NOW) == 1053  # held against max-record-size
    assert stored(bins, None, b"s", NOW) == 1056  # 1053 rounded up to 16
    assert stored(bins, None, b"s", 0) == 1056  # 1049: the same 16-byte blocks
    assert stored({b"v": (4, b"x" * 1008)}, None, b"s", NOW) == 1072
    assert stored({b"i": (1, (7).to_bytes(8, "big"))}, None, b"", 0) % 16 == 0
    assert stored(bins, b"\x03user-key", b"s", NOW) >= stored(bins, None, b"s", NOW) + 9


# -- the eviction threshold (find_evict_void_time) -----------------------------------


def test_one_full_bucket_blocks_eviction() -> None:
    # the real node's log: "threshold bucket 3592, width 1 sec, count 1216 > target 19"
    times = [NOW + 3592] * 1216 + [NOW + 3600] * 2690
    assert capacity.evict_void_time(times, NOW, 10000, 5) == capacity.NO_THRESHOLD


def test_spread_ttls_evict_at_most_the_target_soonest_first() -> None:
    times = [NOW + 300 + i for i in range(3300)]  # one record per second
    threshold = capacity.evict_void_time(times, NOW, 10000, 5)
    below = [t for t in times if t < threshold]
    assert len(below) == 3300 * 5 // 1000  # 16: whole buckets up to the target
    assert below == times[: len(below)]


def test_eviction_that_would_take_everything_is_refused() -> None:
    assert capacity.evict_void_time([NOW + 10] * 5, NOW, 10000, 1000) == capacity.NO_THRESHOLD
    assert capacity.evict_void_time([], NOW, 10000, 5) == capacity.NO_THRESHOLD


def test_few_records_evict_nothing_at_half_a_percent() -> None:
    # 0.5 % of fewer than 200 records is 0: the first bucket always exceeds it
    assert capacity.evict_void_time([NOW + i for i in range(1, 150)], NOW, 10000, 5) == 0


# -- configuration -----------------------------------------------------------------


def test_cli_takes_the_size_and_eviction_settings() -> None:
    cfg = parse_namespace(
        "cache:data-size=64M,stop-writes-used-pct=80,storage-engine.evict-used-pct=60,"
        "evict-tenths-pct=50,evict-hist-buckets=1000"
    )
    assert (cfg.data_size, cfg.stop_writes_used_pct, cfg.evict_used_pct) == (64 << 20, 80, 60)
    assert (cfg.evict_tenths_pct, cfg.evict_hist_buckets) == (50, 1000)
    assert NamespaceConfig.from_options("cache", cfg.options()) == cfg  # what a child gets


@pytest.mark.parametrize(
    "options",
    [
        {"data-size": "0"},
        {"evict-used-pct": "101"},
        {"stop-writes-used-pct": "-1"},
        {"evict-tenths-pct": "1001"},
        {"evict-hist-buckets": "10"},
    ],
)
def test_bad_settings_are_refused(options: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="cache"):
        NamespaceConfig.from_options("cache", options)


def test_defaults_are_a_real_nodes() -> None:
    cfg = NamespaceConfig("cache")
    assert (cfg.stop_writes_used_pct, cfg.evict_used_pct, cfg.evict_tenths_pct) == (70, 0, 5)
    assert cfg.evict_hist_buckets == 10000


# -- stop-writes -------------------------------------------------------------------


def test_past_stop_writes_every_write_answers_8(small: Callable[..., Any]) -> None:
    server, client = small()
    n = _fill(client, lambda n: 3600)
    pairs = _pairs(client, "cache")
    assert pairs["stop_writes"] == "true"
    assert int(pairs["data_used_pct"]) >= 70
    assert int(pairs["data_used_bytes"]) >= 0.7 * (1 << 20)
    assert pairs["data_total_bytes"] == str(1 << 20)
    key = ("cache", "s", 0)
    writes: list[Callable[[], Any]] = [
        lambda: client.put(("cache", "s", "new"), {"v": 1}),
        lambda: client.put(key, {"v": 1}),  # an overwrite with a smaller value
        lambda: client.touch(key, 100),
        lambda: client.increment(("cache", "s", "counter"), "n", 1),
        lambda: client.operate(key, [op.write("w", 1)]),
    ]
    for write in writes:
        with pytest.raises(ex.ServerFull) as caught:
            write()
        assert caught.value.code == 8
    batch = client.batch_write(
        BatchRecords([Write(("cache", "s", f"b{i}"), [op.write("v", i)]) for i in range(3)])
    )
    assert batch.result == -16
    assert [row.result for row in batch.batch_records] == [8, 8, 8]
    # reads and removes work
    assert client.get(key)[2] == {"v": VALUE}
    client.remove(("cache", "s", 1))
    assert server.counters.get("errors", 0) >= len(writes)
    assert n > 600


def test_a_truncate_lets_writes_in_again(small: Callable[..., Any]) -> None:
    _server, client = small()
    _fill(client, lambda n: 3600)
    client.truncate("cache", "s", 0)
    assert _pairs(client, "cache")["stop_writes"] == "false"
    client.put(("cache", "s", "after"), {"v": 1})


def test_stop_writes_at_zero_is_off(small: Callable[..., Any]) -> None:
    _server, client = small(**{"stop-writes-used-pct": 0, "data-size": 20_000})
    for n in range(40):  # twice the data size: a real node would run out of space; we don't
        client.put(("cache", "s", n), {"v": VALUE})
    assert int(_pairs(client, "cache")["data_used_pct"]) > 100


# -- eviction ----------------------------------------------------------------------


def test_nsup_evicts_soonest_void_times_first_within_the_cycle_limit(
    small: Callable[..., Any],
) -> None:
    server, client = small(
        **{"evict-used-pct": 60, "evict-tenths-pct": 100, "nsup-period": 0, **MANUAL}
    )
    n = _fill(client, lambda n: 1000 + n)  # one void time per second
    expired, evicted = server.run_nsup()["cache"]
    assert expired == 0
    assert 0 < evicted <= n * 100 // 1000
    gone = [i for i in range(n) if not client.exists(("cache", "s", i))[1]]
    assert gone == list(range(evicted))  # the soonest to expire, and only those
    pairs = _pairs(client, "cache")
    assert int(pairs["evicted_objects"]) == evicted
    assert 1000 + evicted - 2 <= int(pairs["evict_ttl"]) <= 1000 + evicted + 2
    assert pairs["hwm_breached"] == "true"


def test_eviction_below_stop_writes_lets_writes_in_again(small: Callable[..., Any]) -> None:
    server, client = small(
        **{"evict-used-pct": 50, "evict-tenths-pct": 100, "nsup-period": 0, **MANUAL}
    )
    _fill(client, lambda n: 1000 + n)
    server.run_nsup()  # 10 % of the records: from 70 % down to about 63 %
    assert _pairs(client, "cache")["stop_writes"] == "false"
    client.put(("cache", "s", "after"), {"v": VALUE}, policy={"ttl": 60})


def test_a_burst_with_one_ttl_blocks_eviction(small: Callable[..., Any]) -> None:
    server, client = small(**{"evict-used-pct": 50, "nsup-period": 0, **MANUAL})
    n = _fill(client, lambda n: 3600)
    assert server.run_nsup()["cache"] == (0, 0)
    assert int(_pairs(client, "cache")["objects"]) == n
    with pytest.raises(ex.ServerFull):
        client.put(("cache", "s", "more"), {"v": 1})


def test_records_that_never_expire_are_never_evicted(small: Callable[..., Any]) -> None:
    server, client = small(
        **{"evict-used-pct": 50, "evict-tenths-pct": 500, "nsup-period": 0, **MANUAL}
    )
    n = _fill(client, lambda n: aerospike.TTL_NEVER_EXPIRE if n % 2 else 1000 + n)
    for _ in range(5):
        server.run_nsup()
    assert all(client.exists(("cache", "s", i))[1] for i in range(1, n, 2))
    assert int(_pairs(client, "cache")["evicted_objects"]) > 0


def test_eviction_off_evicts_nothing(small: Callable[..., Any]) -> None:
    server, client = small(**{"nsup-period": 0, **MANUAL})
    n = _fill(client, lambda n: 1000 + n)
    assert server.run_nsup()["cache"] == (0, 0)
    pairs = _pairs(client, "cache")
    assert (pairs["evicted_objects"], pairs["objects"]) == ("0", str(n))
    assert pairs["storage-engine.evict-used-pct"] == "0"


def test_the_nsup_thread_evicts_every_nsup_period(small: Callable[..., Any]) -> None:
    import time

    _server, client = small(**{"evict-used-pct": 50, "evict-tenths-pct": 100, "nsup-period": 1})
    _fill(client, lambda n: 1000 + n)
    deadline = time.monotonic() + 10
    while _pairs(client, "cache")["evicted_objects"] == "0":
        assert time.monotonic() < deadline, "no nsup cycle evicted within 10 s"
        time.sleep(0.1)
    client.put(("cache", "s", "after"), {"v": 1}, policy={"ttl": 60})


# -- the figures, on any server ------------------------------------------------------


def test_namespace_answer_has_the_capacity_figures(client: Any, ns: str) -> None:
    pairs = _pairs(client, ns)
    for name in ("evicted_objects", "evict_ttl", "data_used_bytes", "data_used_pct"):
        assert int(pairs[name]) >= 0, name
    assert int(pairs["data_total_bytes"]) > 0
    assert pairs["stop_writes"] in ("true", "false")
    for name in (
        "storage-engine.evict-used-pct",
        "storage-engine.stop-writes-used-pct",
        "evict-tenths-pct",
    ):
        assert 0 <= int(pairs[name]) <= 1000, name


# -- data use per record, as a real node counts it -------------------------------------


@pytest.mark.embedded_only  # a shared real node's data use moves with other writers
@pytest.mark.parametrize(
    ("value", "store_keys", "per_record"),
    # measured on a real 8.1.2 node (memory storage): 500 store entries each, a
    # 10-character set name (it is stored with each record)
    [("x" * 1000, False, 1104), (7, False, 80), ("y" * 100, True, 208)],
)
def test_store_entries_use_what_a_real_node_counts(
    aerospike_server: Any, aerospike_client: Any, value: Any, store_keys: bool, per_record: int
) -> None:
    from aerospike_cache.store import AerospikeStore

    store = AerospikeStore(
        aerospike_server.hosts, namespace="cache", set_name="data_use10", store_keys=store_keys
    )
    keys = [f"k{i}" for i in range(500)]
    before = int(_pairs(aerospike_client, "cache")["data_used_bytes"])
    assert store.set_many(dict.fromkeys(keys, value), 600) == []
    after = int(_pairs(aerospike_client, "cache")["data_used_bytes"])
    store.delete_many(keys)
    assert (after - before) / 500 == per_record
