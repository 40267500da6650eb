"""A multi-node cluster: discovery, routing, node loss and return (issue 13).

Tests on ``aerospike_cluster`` also run against a real cluster when
``AEROSPIKE_HOSTS`` names one; node loss needs the embedded cluster's
``kill``/``restart`` (``embedded_cluster`` factory, skipped on a real cluster).
"""

from __future__ import annotations

import base64
import contextlib
import re
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex
from aerospike_helpers.operations import operations as op

from aerospike_cache.server import EmbeddedCluster
from aerospike_cache.server.pytest_plugin import pooled_set_name

from . import _wire

NS = "test"  # the namespace of the embedded clusters the node-loss tests start
# fast tending so that the client sees a re-formed cluster soon
FAST = {"tend_interval": 250}  # the client's minimum
READ = {"total_timeout": 2000, "max_retries": 2}


def _client(hosts: list[tuple[str, int]], **policies: Any) -> Any:
    config: dict[str, Any] = {"hosts": hosts, **FAST}
    if policies:
        config["policies"] = policies
    return aerospike.client(config)


def _until(check: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.05)


def _info(client: Any, command: str) -> dict[str, str]:
    """node name -> answer of every node the client knows."""
    out = {}
    for name, (_err, text) in client.info_all(command).items():
        value = text.strip()
        if value.startswith(command + "\t"):
            value = value[len(command) + 1 :]
        out[name] = value
    return out


def _node_info(client: Any, node_name: str, command: str) -> str:
    text: str = client.info_single_node(command, node_name)
    return text.strip().partition("\t")[2] or text.strip()


def _pairs(value: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in value.split(";") if "=" in item)


def _replica_maps(value: str, ns: str) -> list[bytes]:
    for part in value.split(";"):
        name, _, rest = part.partition(":")
        if name == ns:
            fields = rest.split(",")
            count = int(fields[1])
            return [base64.b64decode(m) for m in fields[2 : 2 + count]]
    raise AssertionError(f"namespace {ns} not in replicas answer {value[:80]!r}")


def _holds(bitmap: bytes, pid: int) -> bool:
    return bool(bitmap[pid >> 3] & (0x80 >> (pid & 7)))


def _owners(client: Any, ns: str = NS) -> dict[int, list[str]]:
    """pid -> [master, replica, ...] node names, from every node's ``replicas``."""
    owners: dict[int, dict[int, str]] = {}
    for node, value in _info(client, "replicas").items():
        for index, bitmap in enumerate(_replica_maps(value, ns)):
            for pid in range(4096):
                if _holds(bitmap, pid):
                    assert index not in owners.setdefault(pid, {}), (pid, index)
                    owners[pid][index] = node
    return {pid: [by_index[i] for i in sorted(by_index)] for pid, by_index in owners.items()}


def _pid(key: tuple[str, str, Any]) -> int:
    d = aerospike.calc_digest(*key)
    return (d[0] | (d[1] << 8)) & 4095


def _node_count(client: Any) -> int:
    return len(client.get_node_names())


def _sees(client: Any, nodes: int, what: str) -> None:
    _until(lambda: _node_count(client) == nodes, what=what)


def _announced_size(client: Any, ns: str) -> int:
    answer = client.info_random_node(f"namespace/{ns}").partition("\t")[2]
    return int(_pairs(answer.strip())["ns_cluster_size"])


@contextlib.contextmanager
def _connected(hosts: list[tuple[str, int]], nodes: int | str, **policies: Any) -> Iterator[Any]:
    """A client seeded with the first of ``hosts``, once it knows ``nodes`` nodes
    (a namespace name: as many as the cluster announces for it)."""
    client = _client(hosts[:1], **policies)
    try:
        if isinstance(nodes, str):
            ns = nodes
            _until(lambda: _node_count(client) == _announced_size(client, ns), what="every node")
        else:
            _sees(client, nodes, f"{nodes} nodes")
        yield client
    finally:
        client.close()


# the tests on ``aerospike_cluster`` use its namespace (AEROSPIKE_NAMESPACE on a real one)
@pytest.fixture(scope="module")
def cns(aerospike_cluster: Any) -> str:
    return str(aerospike_cluster.namespace)


@pytest.fixture(scope="module")
def cclient(aerospike_cluster: Any, cns: str) -> Iterator[Any]:
    with _connected(aerospike_cluster.hosts, cns) as client:
        yield client


@pytest.fixture
def cset(cclient: Any, cns: str) -> Iterator[str]:
    name = pooled_set_name("c")
    yield name
    cclient.truncate(cns, name, 0)


# -- discovery and ownership (also on a real cluster) ---------------------------------


def test_one_seed_discovers_every_node(cclient: Any, cns: str) -> None:
    size = {int(_pairs(v)["ns_cluster_size"]) for v in _info(cclient, f"namespace/{cns}").values()}
    assert size == {_node_count(cclient)}
    names = {n["node_name"] for n in cclient.get_node_names()}
    for node, value in _info(cclient, "peers-clear-std").items():
        match = re.fullmatch(r"(\d+),(\d+),\[(.*)\]", value)
        assert match, value
        peers = set(re.findall(r"\[([^,\[\]]+),[^,]*,\[[^\]]+\]\]", match.group(3)))
        assert peers == names - {node}


def test_every_partition_has_one_master_and_its_replicas(cclient: Any, cns: str) -> None:
    answers = {
        _pairs(v)["effective_replication_factor"]
        for v in _info(cclient, f"namespace/{cns}").values()
    }
    (factor,) = answers
    owners = _owners(cclient, cns)
    assert sorted(owners) == list(range(4096))
    assert all(len(set(nodes)) == len(nodes) == int(factor) for nodes in owners.values())
    masters = {nodes[0] for nodes in owners.values()}
    assert masters == {n["node_name"] for n in cclient.get_node_names()}


def test_cluster_info_fields(aerospike_cluster: Any, cclient: Any, cns: str) -> None:
    keys = set(_info(cclient, "cluster-stable").values())
    assert len(keys) == 1 and re.fullmatch(r"[0-9A-Fa-f]+", next(iter(keys)))
    size = _node_count(cclient)
    assert (
        set(_info(cclient, f"cluster-stable:size={size};ignore-migrations=true").values()) == keys
    )
    wrong = _wire.info(*aerospike_cluster.hosts[0], f"cluster-stable:size={size + 1}")
    assert wrong.split("\t")[1].strip() == "ERROR:7:cluster not specified size"
    for value in _info(cclient, f"namespace/{cns}").values():
        pairs = _pairs(value)
        for field in (
            "ns_cluster_size",
            "effective_replication_factor",
            "master_objects",
            "prole_objects",
            "unavailable_partitions",
            "dead_partitions",
        ):
            assert int(pairs[field]) >= 0, field
        assert pairs["unavailable_partitions"] == pairs["dead_partitions"] == "0"
    for gen in ("partition-generation", "peers-generation"):
        assert all(int(v) >= 0 for v in _info(cclient, gen).values())


def test_records_are_counted_by_their_master_and_replicas(
    aerospike_cluster: Any, cclient: Any, cns: str, cset: str
) -> None:
    before = _info(cclient, f"namespace/{cns}")
    for i in range(60):
        cclient.put((cns, cset, i), {"v": i})
    after = _info(cclient, f"namespace/{cns}")
    factor = int(_pairs(next(iter(after.values())))["effective_replication_factor"])
    # sets/<ns>/<set>: "objects=N:tombstones=0:...;", every copy this node holds
    copies = sum(
        int(dict(p.split("=", 1) for p in v.strip(";").split(":"))["objects"])
        for v in _info(cclient, f"sets/{cns}/{cset}").values()
    )
    assert copies == 60 * factor
    if not aerospike_cluster.is_embedded:
        return  # a shared real node: others write to the namespace meanwhile

    def grown(field: str) -> int:
        return sum(int(_pairs(after[n])[field]) - int(_pairs(before[n])[field]) for n in after)

    assert grown("master_objects") == 60
    assert grown("prole_objects") == 60 * (factor - 1)


def test_truncate_reaches_every_node(cclient: Any, cns: str, cset: str) -> None:
    keys = [(cns, cset, i) for i in range(30)]
    for key in keys:
        cclient.put(key, {"v": 1})
    time.sleep(0.01)  # truncate drops what was written strictly before its millisecond
    cclient.truncate(cns, cset, 0)
    _until(lambda: all(cclient.exists(k)[1] is None for k in keys), what="truncate")


# -- routing (embedded: per-node counters) ------------------------------------------------


@pytest.mark.embedded_only("per-node counters")
def test_each_node_serves_the_keys_it_masters(
    embedded_cluster: Callable[..., EmbeddedCluster],
) -> None:
    cluster = embedded_cluster(3, 2)
    with _connected(cluster.hosts, 3) as client:
        owners = _owners(client)
        keys = [(NS, "route", i) for i in range(300)]
        for key in keys:
            client.put(key, {"v": 1})
            client.get(key)
        for node in cluster.nodes:
            mine = sum(1 for k in keys if owners[_pid(k)][0] == node.node_name)
            counters = node.counters
            assert (counters.get("write", 0), counters.get("read", 0)) == (mine, mine)
            assert counters.get("proxied", 0) == 0


@pytest.mark.embedded_only("a private cluster of several nodes and its counters")
def test_a_node_asked_for_a_partition_it_does_not_hold_proxies(
    embedded_cluster: Callable[..., EmbeddedCluster],
) -> None:
    # a real node proxies such a command to the master (AP namespaces): same answer
    cluster = embedded_cluster(3, 1)
    with _connected(cluster.hosts, 3) as client:
        stranger = cluster.nodes[0]
        key = _key_where(client, lambda o: stranger.node_name not in o, "proxy")
        value = struct.pack(">q", 7)
        frame = _wire.message(0, 0x01, 0, _wire.key_fields(*key), [_wire.op(2, 1, b"v", value)])
        (msg,) = _wire.request(stranger.host, stranger.port, frame)
        assert msg.result_code == 0
        assert stranger.counters["proxied"] == 1
        assert client.get(key)[2] == {"v": 7}


# -- node loss and return (embedded) ---------------------------------------------------------


def _partition_generation(client: Any, node_name: str) -> int:
    return int(_node_info(client, node_name, "partition-generation"))


def _key_where(
    client: Any, pred: Callable[[list[str]], bool], set_name: str = "loss"
) -> tuple[str, str, str]:
    owners = _owners(client)
    for i in range(10_000):
        key = (NS, set_name, f"k{i}")
        if pred(owners[_pid(key)]):
            return key
    raise AssertionError("no such key")


@pytest.mark.embedded_only("node loss (kill)")
def test_before_take_over_writes_needing_the_lost_node_fail_and_reads_succeed(
    embedded_cluster: Callable[..., EmbeddedCluster],
) -> None:
    cluster = embedded_cluster(3, 2, heartbeat_timeout=30)
    with _connected(cluster.hosts, 3) as client:
        n0, lost, _n2 = (n.node_name for n in cluster.nodes)
        replica_lost = _key_where(client, lambda o: o == [n0, lost])
        master_lost = _key_where(client, lambda o: o[0] == lost)
        untouched = _key_where(client, lambda o: lost not in o)
        for key in (replica_lost, master_lost, untouched):
            client.put(key, {"v": 1})
        generation = _partition_generation(client, n0)
        cluster.kill(1)
        short = {"total_timeout": 300, "max_retries": 0}
        with pytest.raises(ex.TimeoutError):
            client.put(replica_lost, {"v": 2}, policy=short)
        with pytest.raises(ex.AerospikeError):
            client.put(master_lost, {"v": 2}, policy=short)
        assert client.get(master_lost, policy=READ)[2] == {"v": 1}
        assert client.get(replica_lost, policy=READ)[2] == {"v": 1}
        client.put(untouched, {"v": 2}, policy=short)
        assert _partition_generation(client, n0) == generation
        assert lost in _node_info(client, n0, "peers-clear-std")


@pytest.mark.embedded_only("node loss (kill)")
def test_node_loss_under_load_keeps_reads_and_acknowledged_writes(
    embedded_cluster: Callable[..., EmbeddedCluster],
) -> None:
    cluster = embedded_cluster(3, 2)
    n_threads, per_thread = 4, 25
    acked = {(t, i): 0 for t in range(n_threads) for i in range(per_thread)}
    gets = {"ok": 0, "failed": 0}
    stop = threading.Event()

    def work(client: Any, t: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            i = n % per_thread
            key = (NS, "load", f"{t}:{i}")
            try:
                client.get(key)
                gets["ok"] += 1
            except ex.AerospikeError:
                gets["failed"] += 1
            try:
                client.put(key, {"v": n})
                acked[(t, i)] = n
            except ex.AerospikeError:
                pass

    with _connected(cluster.hosts, 3, read=READ, write={"total_timeout": 500}) as client:
        for t, i in acked:
            client.put((NS, "load", f"{t}:{i}"), {"v": 0})
        survivor = cluster.nodes[0].node_name
        generation = _partition_generation(client, survivor)
        threads = [threading.Thread(target=work, args=(client, t)) for t in range(n_threads)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.2)
            cluster.kill(1)
            _until(lambda: _partition_generation(client, survivor) > generation, what="take-over")
            _sees(client, 2, "the client to drop the lost node")
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert gets["failed"] == 0 and gets["ok"] > 0
        for (t, i), n in acked.items():
            key = (NS, "load", f"{t}:{i}")
            assert client.get(key)[2]["v"] >= n  # a later, unacknowledged write may have landed
            client.put(key, {"v": -1})  # writes work again after the take-over


@pytest.mark.embedded_only("node loss and return (kill, restart)")
def test_without_replicas_a_lost_nodes_records_become_misses(
    embedded_cluster: Callable[..., EmbeddedCluster],
) -> None:
    cluster = embedded_cluster(2, 1)
    with _connected(cluster.hosts, 2, read=READ) as client:
        owners = _owners(client)
        lost = cluster.nodes[1].node_name
        keys = [(NS, "r1", i) for i in range(60)]
        for key in keys:
            client.put(key, {"v": 1})
        cluster.kill(1)
        _sees(client, 1, "take-over")

        def reads() -> dict[Any, Any]:
            return {k: client.get(k)[2] if client.exists(k)[1] else None for k in keys}

        found = _until(lambda: _settled(reads), what="reads to settle")
        for key in keys:
            expected = None if owners[_pid(key)][0] == lost else {"v": 1}
            assert found[key] == expected, key
        cluster.restart(1)
        _sees(client, 2, "the node back")
        # the returning node is empty: its old records do not come back as stale data
        assert _until(lambda: _settled(reads), what="reads after return") == found


def _settled(read: Callable[[], dict[Any, Any]]) -> dict[Any, Any] | None:
    try:
        return read()
    except ex.AerospikeError:
        return None


@pytest.mark.embedded_only("node loss and return (kill, restart)")
def test_a_returning_node_gets_its_partitions_and_records_back(
    embedded_cluster: Callable[..., EmbeddedCluster],
) -> None:
    cluster = embedded_cluster(3, 2)
    with _connected(cluster.hosts, 3, read=READ) as client:
        back = cluster.nodes[1]
        before = _owners(client)
        cluster.kill(back)
        _sees(client, 2, "take-over")
        keys = [(NS, "back", i) for i in range(90)]
        for key in keys:
            client.put(key, {"v": 2})
        generation = _partition_generation(client, cluster.nodes[0].node_name)
        cluster.restart(back)
        _sees(client, 3, "the node back")
        assert _partition_generation(client, cluster.nodes[0].node_name) > generation
        assert _owners(client) == before
        mine = [k for k in keys if before[_pid(k)][0] == back.node_name]
        pairs = _pairs(_node_info(client, back.node_name, f"namespace/{NS}"))
        assert int(pairs["master_objects"]) == len(mine)

        def routed() -> bool:
            back.reset_counters()
            values = [client.get(k, policy=READ)[2] for k in keys]
            assert values == [{"v": 2}] * len(keys)
            return back.counters.get("read", 0) == len(mine)

        _until(routed, what="the client to route to the returned node")


@pytest.mark.embedded_only("the whole cluster down and back (kill, restart)")
def test_whole_cluster_down_and_back(embedded_cluster: Callable[..., EmbeddedCluster]) -> None:
    cluster = embedded_cluster(3, 2)
    key = (NS, "down", 1)
    with _connected(cluster.hosts, 3) as client:
        client.put(key, {"v": 1})
        for node in cluster.nodes:
            cluster.kill(node)
        with pytest.raises(ex.AerospikeError):
            client.get(key, policy={"total_timeout": 300, "max_retries": 0})
        for node in cluster.nodes:
            cluster.restart(node)
        # memory storage: the records are gone; the cluster serves again
        assert _until(lambda: _settled(lambda: {"m": client.exists(key)[1]}), what="back") == {
            "m": None
        }
        client.put(key, {"v": 2})
        assert client.get(key)[2] == {"v": 2}


@pytest.mark.embedded_only("fault controls")
def test_fault_controls_act_on_one_node(embedded_cluster: Callable[..., EmbeddedCluster]) -> None:
    cluster = embedded_cluster(3, 2)
    with _connected(cluster.hosts, 3) as client:
        target = cluster.nodes[2]
        on_target = _key_where(client, lambda o: o[0] == target.node_name, "faults")
        elsewhere = _key_where(client, lambda o: o[0] != target.node_name, "faults")
        target.fail_next(1, 14)
        client.put(elsewhere, {"v": 1}, policy={"max_retries": 0})
        with pytest.raises(ex.AerospikeError) as info:
            client.put(on_target, {"v": 1}, policy={"max_retries": 0})
        assert info.value.code == 14
        assert target.counters["failed"] == 1


@pytest.mark.embedded_only("the embedded cluster itself (isolated mode)")
def test_isolated_cluster_kill_and_restart() -> None:
    cluster = EmbeddedCluster(2, 2, heartbeat_timeout=0.3, isolated=True)
    with cluster, _connected(cluster.hosts[1:], 2) as client:
        client.put((NS, "iso", 1), {"v": 1})
        cluster.kill(0)
        _sees(client, 1, "take-over")
        assert client.get((NS, "iso", 1))[2] == {"v": 1}
        cluster.restart(0)
        _sees(client, 2, "the node back")
        client.truncate(NS, "iso", 0)
        _until(lambda: client.exists((NS, "iso", 1))[1] is None, what="truncate")
        assert sum(n.counters.get("write", 0) for n in cluster.nodes) == 1


# -- batches and scans span the nodes (also on a real cluster) -----------------------------


def test_a_batch_spanning_every_node_answers_every_row(cclient: Any, cns: str, cset: str) -> None:
    keys = [(cns, cset, i) for i in range(50)]
    for key in keys[::2]:
        cclient.put(key, {"v": key[2]})
    rows = cclient.batch_read(keys).batch_records
    assert [r.result for r in rows] == [0 if i % 2 == 0 else 2 for i in range(50)]
    assert [r.record[2] for r in rows[::2]] == [{"v": i} for i in range(0, 50, 2)]


def test_a_scan_returns_each_record_once(cclient: Any, cns: str, cset: str) -> None:
    for i in range(80):
        cclient.put((cns, cset, i), {"v": i}, policy={"key": aerospike.POLICY_KEY_SEND})
    found = [key[2] for key, _meta, _bins in cclient.scan(cns, cset).results()]
    assert sorted(found) == list(range(80))


def test_a_background_job_visits_each_record_once(cclient: Any, cns: str, cset: str) -> None:
    # the client sends the job to every node; each runs it on the partitions it masters
    for i in range(60):
        cclient.put((cns, cset, i), {"v": i})
    query = cclient.query(cns, cset)
    query.add_ops([op.increment("v", 1000)])
    job = query.execute_background()
    _until(
        lambda: (
            cclient.job_info(job, aerospike.JOB_QUERY)["status"] == aerospike.JOB_STATUS_COMPLETED
        ),
        what="the background job to complete",
    )
    values = [cclient.get((cns, cset, i))[2]["v"] for i in range(60)]
    assert values == [i + 1000 for i in range(60)]


@pytest.mark.embedded_only("the embedded cluster's own options")
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"nodes": 0}, "nodes must be at least 1"),
        ({"replication_factor": 0}, "replication_factor must be at least 1"),
        ({"heartbeat_timeout": -1}, "heartbeat_timeout must be >= 0"),
        ({"nodes": 2, "node_names": ["a"]}, "node_names must be 2 distinct names"),
    ],
)
def test_bad_cluster_options_are_refused_clearly(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EmbeddedCluster(**options)


@pytest.mark.embedded_only("the embedded cluster's own controls")
def test_unknown_node_is_refused_clearly(embedded_cluster: Callable[..., EmbeddedCluster]) -> None:
    cluster = embedded_cluster(2, 1)
    with pytest.raises(ValueError, match=r"no node 5 in this cluster \(0\.\.1\)"):
        cluster.kill(5)
