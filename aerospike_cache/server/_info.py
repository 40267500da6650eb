"""The info protocol (proto type 1): text commands, answered in request order."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from . import _figures as fig
from . import _protocol as p
from ._partitions import REGIME, Peer

if TYPE_CHECKING:
    from ._engine import Namespace
    from ._node import Node

log = logging.getLogger("aerospike_cache.server")

BUILD = "8.1.2.0"
EDITION = "Aerospike Community Edition"
_EDITIONS = {False: EDITION, True: "Aerospike Enterprise Edition"}
#: info commands a Community node refuses with ``ERROR:25`` (``ee_only`` in thr_info.c)
_ENTERPRISE_COMMANDS = frozenset(
    (
        "racks",
        "rack-ids",
        "revive",
        "peers-tls-std",
        "peers-tls-alt",
        "alumni-tls-std",
        "alumni-tls-alt",
        "service-tls-std",
        "service-tls-alt",
    )
)
#: what a real 8.1 node announces, less what this server does not do (CDT operations,
#: secondary indexes and their queries, geo, UDFs; the legacy replicas-max flag)
FEATURES = (
    "batch-any;batch-index;blob-bits;cluster-stable;float;peers;pipelining;pscans;"
    "query-show;relaxed-sc;replicas;replicas-all;replicas-master;truncate-namespace"
)
#: answered when the request carries no command at all (like a real server's default list)
_DEFAULT_COMMANDS = ("node", "build", "edition", "version")
#: the histograms ``latencies:`` lists for each namespace (none kept: each is empty)
_HISTOGRAMS = (
    "read",
    "write",
    "udf",
    "batch-sub-read",
    "batch-sub-write",
    "batch-sub-udf",
    "pi-query",
    "si-query",
)
_ERR_PARAMETER, _ERR_CLUSTER_CHANGE, _ERR_NAMESPACE = 4, 7, 20


def _config_pairs(text: str) -> list[tuple[str, str]]:
    return [(k, v) for k, _, v in (item.partition("=") for item in text.split(";"))]


_NAMESPACE_CONFIG = _config_pairs(fig.NAMESPACE_CONFIG)
_SERVICE_CONFIG = _config_pairs(fig.SERVICE_CONFIG)


def _error(code: int, message: str) -> str:
    """A failed info command's answer (``as_info_respond_error``)."""
    return f"ERROR:{code}:{message}"


_CLUSTER_COMMANDS = frozenset(
    (
        "partition-generation",
        "peers-generation",
        "rebalance-generation",
        "peers-clear-std",
        "peers-clear-alt",
        "peers-tls-std",
        "peers-tls-alt",
        "alumni-clear-std",
        "alumni-tls-std",
        "services",
        "services-alumni",
        "services-alternate",
        "replicas",
        "replicas-all",
        "replicas-master",
    )
)


def _address(peer: Peer) -> str:
    host = f"[{peer.host}]" if ":" in peer.host else peer.host
    return f"{host}:{peer.port}"


def _parse_params(arg: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in arg.split(";"):
        if not part:
            continue
        k, _, v = part.partition("=")
        out[k.strip()] = v.strip()
    return out


class InfoHandler:
    """Answers info requests from a narrow view of one node."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def handle(self, body: bytes, local_host: str | None = None) -> bytes:
        """Answer an info request; ``local_host`` = the address the client connected to."""
        text = body.decode("utf-8", "replace")
        lines = [line for line in text.split("\n") if line]
        if not lines:
            lines = list(_DEFAULT_COMMANDS)
        out = []
        for line in lines:
            value = self.answer(line, local_host)
            out.append(f"{line}\t{value}\n")
        return "".join(out).encode("utf-8")

    # ------------------------------------------------------------------------

    def answer(self, line: str, local_host: str | None = None) -> str:
        srv = self.node
        name, sep, arg = line.partition(":")
        if not sep:
            name, _, arg = line.partition("/")
            if "/" in line:
                return self._slash(name, arg, line)
        if name == "cluster-stable":
            return self._cluster_stable(_parse_params(arg))
        simple = self._simple(name, local_host)
        if simple is not None:
            return simple
        if name == "user-agent-set":
            return "ok"
        if name == "truncate":
            return self._truncate(_parse_params(arg), whole_namespace=False)
        if name == "truncate-namespace":
            return self._truncate(_parse_params(arg), whole_namespace=True)
        if name == "truncate-undo" or name == "truncate-namespace-undo":
            return self._unsupported(line)
        if name == "get-config":
            return self._get_config(_parse_params(arg))
        if name == "query-show":
            return self._job_show(_parse_params(arg))
        if name == "latencies":
            return self._latencies()
        srv.record_unknown_info(line)
        return "ERROR:4:unrecognized command"

    def _job_show(self, params: dict[str, str]) -> str:
        """``query-show:id=N`` (also ``trid``); without an id, every job (``;``-separated)."""
        jobs = self.node.jobs
        raw = params.get("id", params.get("trid"))
        if raw is None:
            return "" if jobs is None else jobs.show_all()
        try:
            trid = int(raw, 0)
        except ValueError:
            trid = 0
        if not trid:
            return _error(_ERR_PARAMETER, "bad id")
        shown = jobs.show(trid) if jobs is not None else None
        return _error(2, "job not found") if shown is None else shown

    def _latencies(self) -> str:
        """``latencies:``: the canonical histograms, each empty (``name:``), as a fresh node's."""
        names = ["batch-index"]
        for ns in self.node.storage:
            names += [f"{{{ns}}}-{hist}" for hist in _HISTOGRAMS]
        return ";".join(f"{name}:" for name in names)

    def _unsupported(self, line: str) -> str:
        self.node.record_unknown_info(line)
        log.warning("info command not supported by the embedded server: %r", line)
        return "ERROR:4:not supported by the embedded server"

    def _simple(self, name: str, local_host: str | None = None) -> str | None:
        srv = self.node
        port = srv.port
        if name == "node":
            return srv.name
        if name == "build":
            return BUILD
        if name == "edition":
            return _EDITIONS[srv.enterprise]
        if name == "version":
            return f"{_EDITIONS[srv.enterprise]} build {BUILD}"
        if name in _ENTERPRISE_COMMANDS and not srv.enterprise:
            return "ERROR:25:enterprise only"
        if name in _CLUSTER_COMMANDS:
            return self._cluster_answer(name)
        if name in ("service-clear-std", "service-clear-alt", "service", "service-tls-std"):
            host = local_host or srv.advertised_host
            if ":" in host:
                host = f"[{host}]"
            return f"{host}:{port}"
        if name == "partitions":
            return "4096"
        if name == "cluster-name":
            return srv.cluster_name or "null"
        if name == "namespaces":
            return ";".join(srv.storage)
        if name == "features":
            return FEATURES
        if name == "status":
            return "ok"
        if name == "best-practices":
            return "failed_best_practices=none"
        if name == "health-stats":
            return ""  # no outliers
        if name == "statistics":
            return self._statistics()
        if name == "sets":
            return self._sets(None)
        if name == "udf-list":
            return ""
        if name == "sindex" or name == "sindex-list":
            return ""
        return None

    def _cluster_answer(self, name: str) -> str:
        """Peers, generations and partition ownership, from the node's cluster view."""
        view = self.node.cluster
        if name in ("partition-generation", "rebalance-generation"):
            return str(view.partition_generation())
        if name == "peers-generation":
            return str(view.peers_generation())
        if name.startswith(("peers-", "alumni-")):
            peers = view.alumni() if name.startswith("alumni-") else view.peers()
            listed = ",".join(f"[{peer.name},,[{_address(peer)}]]" for peer in peers)
            return f"{view.peers_generation()},{self.node.port},[{listed}]"
        if name in ("services", "services-alternate"):
            return ";".join(_address(peer) for peer in view.peers())
        if name == "services-alumni":
            return ";".join(_address(peer) for peer in view.alumni())
        bitmaps = view.bitmaps()
        namespaces = list(self.node.storage)
        if name == "replicas":
            maps = ",".join(bitmaps)
            return ";".join(f"{ns}:{REGIME},{len(bitmaps)},{maps}" for ns in namespaces)
        if name == "replicas-all":
            maps = ",".join(bitmaps)
            return ";".join(f"{ns}:{len(bitmaps)},{maps}" for ns in namespaces)
        return ";".join(f"{ns}:{bitmaps[0]}" for ns in namespaces)  # replicas-master

    def _cluster_stable(self, params: dict[str, str]) -> str:
        """The cluster key, or the real server's error when the cluster is not as asked."""
        node = self.node
        size = params.get("size")
        if size is not None:
            if not size.isdigit():
                return _error(_ERR_PARAMETER, "bad size")
            if int(size) != node.cluster.size():
                return _error(_ERR_CLUSTER_CHANGE, "cluster not specified size")
        namespace = params.get("namespace")
        ignore_migrations = params.get("ignore-migrations") == "true"
        if namespace is not None and not ignore_migrations and namespace not in node.storage:
            return _error(_ERR_NAMESPACE, "namespace not found on node")
        return node.cluster.key  # migrations are instant: never "unstable cluster"

    def _slash(self, name: str, arg: str, line: str) -> str:
        srv = self.node
        if name == "namespace":
            ns = srv.storage.get(arg)
            if ns is None:
                return "type=unknown"
            return self._namespace(arg)
        if name == "sets":
            ns_name, _, set_name = arg.partition("/")
            if ns_name not in srv.storage:
                return ""
            return self._sets(ns_name, set_name or None)
        if name == "bins":
            if arg not in srv.storage:
                return "ERROR:2:namespace not found"
            names = srv.bin_names(arg)
            return f"bin_names={len(names)},bin_names_quota=65535," + ",".join(names)
        if name == "sindex":
            return ""
        srv.record_unknown_info(line)
        return "ERROR:4:unrecognized command"

    def _namespace(self, name: str) -> str:
        """``namespace/<ns>``: a real node's statistics, then the namespace's configuration."""
        srv = self.node
        ns = srv.storage[name]
        now_s = p.now_ms() // 1000
        view = srv.cluster
        objects, master = self._held(ns, now_s)
        cfg = ns.config
        stats: list[tuple[str, object]] = [
            ("ns_cluster_size", view.size()),
            ("effective_replication_factor", view.replication_factor()),
            ("objects", objects),
            ("master_objects", master),
            ("prole_objects", objects - master),
            ("stop_writes", str(ns.stop_writes).lower()),
            ("hwm_breached", str(ns.hwm_breached).lower()),
            ("evicted_objects", ns.evicted_objects),
            ("evict_ttl", ns.evict_ttl),
            ("data_total_bytes", cfg.data_size),
            ("data_used_bytes", ns.data_used_bytes),
            ("data_used_pct", ns.data_used_pct),
            # memory storage here has no wblocks to fragment: what is not used is available
            ("data_avail_pct", 100 - ns.data_used_pct),
            ("current_time", now_s),
            ("expired_objects", ns.expired_objects),
            ("truncate_lut", ns.truncate_lut),
        ]
        return _in_order(stats, self._namespace_config(ns))

    def _namespace_config(self, ns: Namespace) -> list[tuple[str, object]]:
        """The namespace's configuration: a memory namespace's defaults, its own settings."""
        cfg = ns.config
        own: dict[str, object] = {
            "nsup-period": cfg.nsup_period,
            "default-ttl": cfg.default_ttl,
            "allow-ttl-without-nsup": str(cfg.allow_ttl_without_nsup).lower(),
            "max-record-size": cfg.max_record_size,
            "conflict-resolve-writes": str(cfg.conflict_resolve_writes).lower(),
            "replication-factor": self.node.cluster.replication_factor(),
            "evict-tenths-pct": cfg.evict_tenths_pct,
            "evict-hist-buckets": cfg.evict_hist_buckets,
            "storage-engine.data-size": cfg.data_size,
            "storage-engine.evict-used-pct": cfg.evict_used_pct,
            "storage-engine.stop-writes-used-pct": cfg.stop_writes_used_pct,
        }
        return [(k, own.get(k, v)) for k, v in _NAMESPACE_CONFIG]

    def _held(self, ns: Namespace, now_s: int) -> tuple[int, int]:
        """(records this node holds, records it masters) of a namespace."""
        role = self.node.cluster.role
        roles = [role(p.partition_id(d)) for d, _r in ns.live_records(now_s)]
        return sum(1 for r in roles if r >= 0), roles.count(0)

    def _sets(self, ns_name: str | None, only: str | None = None) -> str:
        """``sets``, ``sets/<ns>`` (each set ``ns=...:set=...:`` first) and ``sets/<ns>/<set>``
        (its figures alone); ``:``-separated figures, each set ended by ``;``."""
        srv = self.node
        role = srv.cluster.role
        now_s = p.now_ms() // 1000
        parts = []
        for name, ns in srv.storage.items():
            if ns_name is not None and name != ns_name:
                continue
            counts: dict[bytes, list[int]] = {}
            for d, r in ns.live_records(now_s):
                if role(p.partition_id(d)) >= 0:  # a cluster node counts what it holds
                    held = counts.setdefault(r.set_name, [0, 0])
                    held[0] += 1
                    held[1] += r.size  # as the namespace's data_used_bytes counts it
            for set_name in sorted(set(counts) | set(ns.set_truncate_lut)):
                if not set_name:
                    continue
                sname = set_name.decode("utf-8", "replace")
                if only is not None and sname != only:
                    continue
                objects, used = counts.get(set_name, (0, 0))
                prefix = "" if only is not None else f"ns={name}:set={sname}:"
                parts.append(
                    f"{prefix}objects={objects}:tombstones=0:data_used_bytes={used}:"
                    f"truncate_lut={ns.set_truncate_lut.get(set_name, 0)}:sindexes=0:"
                    "index_populating=false:truncating=false:default-read-touch-ttl-pct=0:"
                    "default-ttl=0:disable-eviction=false:enable-index=false:"
                    "stop-writes-count=0:stop-writes-size=0;"
                )
        return "".join(parts)

    def _statistics(self) -> str:
        srv = self.node
        now_s = p.now_ms() // 1000
        objects = sum(self._held(ns, now_s)[0] for ns in srv.storage.values())
        uptime = int(time.monotonic() - srv.started_at)
        live = {
            "cluster_size": srv.cluster.size(),
            "cluster_key": srv.cluster.key,
            "cluster_principal": srv.name,
            "uptime": uptime,
            "objects": objects,
            "client_connections": srv.connections(),
            "paxos_principal": srv.name,
            "time_since_rebalance": uptime,
        }
        return ";".join(
            f"{k}={live.get(k, fig.STATISTICS_RESTING.get(k, 0))}" for k in fig.STATISTICS
        )

    def _get_config(self, params: dict[str, str]) -> str:
        context = params.get("context", "")
        if context == "namespace":
            ns = self.node.storage.get(params.get("id", params.get("namespace", "")))
            if ns is None:
                return _error(_ERR_NAMESPACE, "namespace not found on node")
            return ";".join(f"{k}={v}" for k, v in self._namespace_config(ns))
        if context == "service" or not context:
            own = {"cluster-name": self.node.cluster_name or "null", "node-id": self.node.name}
            return ";".join(f"{k}={own.get(k, v)}" for k, v in _SERVICE_CONFIG)
        return _error(_ERR_PARAMETER, "invalid context")

    def _truncate(self, params: dict[str, str], whole_namespace: bool) -> str:
        """``truncate`` / ``truncate-namespace``, checked as ``cmd_truncate*`` (thr_info.c) do.

        A real node broadcasts the truncate without looking the namespace up:
        an absent namespace answers ``ok``.
        """
        srv = self.node
        ns_name = params.get("namespace")
        if not ns_name:
            return _error(_ERR_NAMESPACE, "missing 'namespace'")
        set_name = params.get("set")
        if whole_namespace and set_name is not None:
            return _error(_ERR_PARAMETER, "unexpected set name")
        if not whole_namespace and not set_name:
            return _error(_ERR_PARAMETER, "missing 'set'")
        now = p.now_ms()
        threshold = now
        if "lut" in params:
            try:
                lut_ns = int(params["lut"], 0)
            except ValueError:
                lut_ns = 0
            threshold = max(0, lut_ns // 1_000_000 - p.CITRUSLEAF_EPOCH_MS)
            if threshold == 0:
                return _error(_ERR_PARAMETER, "would truncate to 0")
            if threshold > now:
                return _error(_ERR_PARAMETER, "would truncate in the future")
        ns = srv.storage.get(ns_name)
        if ns is None:
            return "ok"
        srv.counters.add("truncate")
        ns.truncate(set_name.encode("utf-8") if set_name else None, threshold)
        return "ok"


def _in_order(live: list[tuple[str, object]], config: list[tuple[str, object]]) -> str:
    """A namespace answer: a real node's statistics in its order, then ``config``.

    ``live`` holds the figures this server keeps; every other statistic shows
    its resting value. A live figure named like a configuration item replaces
    that item; one a real node does not show comes after the statistics.
    """
    values = dict(live)
    config = [(k, values.pop(k, v)) for k, v in config]
    out: list[tuple[str, object]] = []
    for field in fig.NAMESPACE_STATS:
        if field == "storage-engine.stripe[*]":
            out += [
                (f"storage-engine.stripe[{i}].{name}", 0)
                for i in range(fig.STRIPES)
                for name in fig.STRIPE_STATS
            ]
        else:
            out.append((field, values.pop(field, fig.NAMESPACE_RESTING.get(field, 0))))
    out += values.items()
    return ";".join(f"{k}={v}" for k, v in out + config)
