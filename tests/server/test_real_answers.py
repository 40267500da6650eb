"""The embedded server's info answers beside a real 8.1.2 node's recorded ones.

For every command of the recordings (``tests/fixtures/real-node``), the
embedded server, set up as the recorded node was (same cluster name,
namespaces, one record in set ``infoset``), must answer with the same error
code, or with an answer of the same shape: the same field names in the same
order, values of the same kind (a count, a flag, a ratio, text). Values
themselves differ (counters, times, keys); what a client or a tool parses
does not.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex
from aerospike_helpers.operations import operations as op

from aerospike_cache.server import EmbeddedCluster, EmbeddedServer, NamespaceConfig

from ..real_node import CLUSTER, SINGLE, Recorded

pytestmark = pytest.mark.embedded_only("compares the embedded server with the recorded answers")
COMPLETED = aerospike.JOB_STATUS_COMPLETED

#: features a real node announces that the embedded server does not (it does not do them)
WITHHELD_FEATURES = {
    "cdt-index": "no secondary indexes",
    "cdt-list": "no list operations outside expressions",
    "cdt-map": "no map operations outside expressions",
    "geo": "no geospatial queries",
    "sindex-exists": "no secondary indexes",
    "pquery": "no partition queries with a filter index",
    "replicas-max": "a legacy flag of the replicas command: not claimed",
    "udf": "no UDFs",
}
#: commands a real node answers that the embedded server refuses with 4 (unrecognized)
NOT_ANSWERED = {
    "partition-info": "per-partition migration state: the embedded cluster has no migrations",
}


def _kind(value: str) -> str:
    if re.fullmatch(r"-?\d+", value):
        return "count"
    if value in ("true", "false"):
        return "flag"
    if re.fullmatch(r"\d+\.\d+", value):
        return "ratio"
    return "text"


def _fields(value: str, sep: str) -> list[tuple[str, str]]:
    """``name=value`` items -> [(name, kind of value)]."""
    items = [item.partition("=") for item in value.strip(sep).split(sep) if item]
    return [(name, _kind(v)) for name, _eq, v in items]


def _entries(value: str) -> list[list[tuple[str, str]]]:
    """``;``-ended entries of ``:``-separated fields (``sets``, ``query-show``)."""
    return [_fields(entry, ":") for entry in value.split(";") if entry]


def _same_pairs(real: str, ours: str) -> None:
    assert _fields(ours, ";") == _fields(real, ";")


def _same_entries(real: str, ours: str) -> None:
    # the recordings keep the first entries of long lists: compare each kind of entry
    real_entries, our_entries = _entries(real), _entries(ours)
    assert bool(real_entries) == bool(our_entries)
    if real_entries:
        assert our_entries[0] == real_entries[0]


#: job fields shown only when the request names partitions (a foreground query's do)
PER_REQUEST = ("n-pids-requested", "n-keyds-requested")


def _same_jobs(real: str, ours: str) -> None:
    # the recorded jobs are foreground queries, ours background ones: the fields every
    # job shows, up to its type (then: fields of its type)
    real_entries, our_entries = _entries(real), _entries(ours)
    assert bool(real_entries) == bool(our_entries)
    if real_entries:
        names = [name for name, _k in real_entries[0] if name not in PER_REQUEST]
        common = names[: names.index("job-type") + 1]
        ours = [name for name, _k in our_entries[0] if name not in PER_REQUEST]
        assert ours[: len(common)] == common


def _same_histograms(real: str, ours: str) -> None:
    # the single node's recording is cut at 400 characters: its last entry may be partial
    real_names = [entry.partition(":")[0] for entry in real.split(";")]
    our_names = [entry.partition(":")[0] for entry in ours.split(";")]
    complete = real_names if ":" in real.rsplit(";", 1)[-1] else real_names[:-1]
    assert our_names[: len(complete)] == complete
    assert all(entry.endswith(":") or ":msec," in entry for entry in ours.split(";"))


def _same_replicas(real: str, ours: str) -> None:
    def shape(value: str) -> list[tuple[str, list[int]]]:
        out = []
        for entry in value.split(";"):
            ns, _, maps = entry.partition(":")
            out.append((ns, [len(part) for part in maps.split(",")]))
        return out

    assert shape(ours) == shape(real)


def _matches(pattern: str) -> Callable[[str, str], None]:
    def check(real: str, ours: str) -> None:
        assert re.fullmatch(pattern, real), real  # the pattern describes the real answer
        assert re.fullmatch(pattern, ours), ours

    return check


def _equal(real: str, ours: str) -> None:
    assert ours == real


def _features(real: str, ours: str) -> None:
    real_set, our_set = set(real.split(";")), set(ours.split(";"))
    assert our_set <= real_set
    assert real_set - our_set == set(WITHHELD_FEATURES)


def _best_practices(real: str, ours: str) -> None:
    assert real.startswith("failed_best_practices=")
    assert ours == "failed_best_practices=none"  # what a node answers when none failed


def _namespaces(real: str, ours: str) -> None:
    assert set(ours.split(";")) == set(real.split(";"))


HEX = r"[0-9A-F]+"
PEERS = r"\d+,\d+,\[.*\]"
#: how an answer of each command compares (by the command's first word)
SHAPES: dict[str, Callable[[str, str], None]] = {
    "namespaces": _namespaces,
    "namespace": _same_pairs,
    "sets": _same_entries,
    "build": _equal,
    "edition": _equal,
    "version": _equal,
    "node": _matches(HEX),
    "service-clear-std": _matches(r"127\.0\.0\.1:\d+"),
    "peers-clear-std": _matches(PEERS),
    "peers-clear-alt": _matches(PEERS),
    "partition-generation": _matches(r"\d+"),
    "cluster-stable": _matches(HEX),
    "cluster-name": _equal,
    "features": _features,
    "query-show": _same_jobs,
    "get-config": _same_pairs,
    "statistics": _same_pairs,
    "best-practices": _best_practices,
    "truncate-namespace": _equal,
    "sindex-list": _equal,
    "udf-list": _equal,
    "health-stats": _equal,
    "latencies": _same_histograms,
    "replicas": _same_replicas,
    "replicas-master": _same_replicas,
}


def _ask(client: Any, command: str) -> tuple[int | None, str]:
    try:
        raw: str = client.info_random_node(command)
    except ex.AerospikeError as exc:
        return int(exc.code), ""
    return None, raw.partition("\t")[2].rstrip("\n")


def _compare(client: Any, node: Recorded, command: str) -> None:
    code, ours = _ask(client, command)
    if command in NOT_ANSWERED:
        assert code == 4, f"{command} is answered now: compare it with the recording"
        return
    assert code == node.error(command), f"{command}: code {code}, real {node.error(command)}"
    if code is None:
        name = re.split(r"[:/]", command, maxsplit=1)[0]
        SHAPES[name](node.value(command), ours)


def _record(client: Any, ns: str) -> None:
    client.put((ns, "infoset", "k"), {"b": 1})
    # a finished background job, so that query-show has one to show
    query = client.query(ns, "infoset")
    query.add_ops([op.write("b", 2)])  # (a touch with a TTL warns: deprecated there)
    job = query.execute_background()
    _until(lambda: client.job_info(job, aerospike.JOB_QUERY)["status"] == COMPLETED)


def _until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def single() -> Iterator[Any]:
    namespaces = [NamespaceConfig("cache", 1), NamespaceConfig("nonsup", 0)]
    with EmbeddedServer(namespaces=namespaces, cluster_name="realas") as server:
        client = aerospike.client({"hosts": server.hosts}).connect()
        _record(client, "cache")
        yield client
        client.close()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with EmbeddedCluster(2, 2, [NamespaceConfig("test", 1)], cluster_name="rf2") as nodes:
        client = aerospike.client({"hosts": nodes.hosts[:1], "tend_interval": 250}).connect()
        _until(lambda: len(client.get_node_names()) == 2)
        client.put(("test", "infoset", "k"), {"b": 1})
        yield client
        client.close()


@pytest.mark.parametrize("command", list(SINGLE.answers))
def test_a_single_node_answers_as_a_real_one(single: Any, command: str) -> None:
    _compare(single, SINGLE, command)


@pytest.mark.parametrize("command", list(CLUSTER.answers))
def test_a_cluster_node_answers_as_a_real_one(cluster: Any, command: str) -> None:
    _compare(cluster, CLUSTER, command)
