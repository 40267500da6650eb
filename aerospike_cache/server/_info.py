"""The info protocol (proto type 1): text commands, answered in request order."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from . import _protocol as p
from ._partitions import REGIME, Peer

if TYPE_CHECKING:
    from ._engine import Namespace
    from ._node import Node

log = logging.getLogger("aerospike_cache.server")

BUILD = "8.1.0.0"
EDITION = "Aerospike Community Edition"
_EDITIONS = {False: EDITION, True: "Aerospike Enterprise Edition"}
#: info commands a Community node refuses with ``ERROR:25`` (``ee_only`` in thr_info.c)
_ENTERPRISE_COMMANDS = frozenset(
    (
        "peers-tls-std",
        "peers-tls-alt",
        "alumni-tls-std",
        "alumni-tls-alt",
        "service-tls-std",
        "service-tls-alt",
    )
)
FEATURES = (
    "batch-any;batch-index;blob-bits;float;peers;pipelining;pscans;"
    "query-show;relaxed-sc;replicas;truncate-namespace"
)
#: answered when the request carries no command at all (like a real server's default list)
_DEFAULT_COMMANDS = ("node", "build", "edition", "version")


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
        if name in ("query-show", "scan-show", "jobs"):
            return self._job_show(_parse_params(arg))
        srv.record_unknown_info(line)
        return "ERROR:4:unrecognized command"

    def _job_show(self, params: dict[str, str]) -> str:
        """``query-show:id=N`` (also ``trid``, and the old ``jobs:...;trid=N``)."""
        raw = params.get("id", params.get("trid", ""))
        try:
            trid = int(raw, 0)
        except ValueError:
            return "ERROR:4:bad id"
        jobs = self.node.jobs
        shown = jobs.show(trid) if jobs is not None and trid else None
        return "ERROR:2:job not found" if shown is None else shown

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
                return "ERROR::bad-size"
            if int(size) != node.cluster.size():
                return "ERROR::cluster-not-specified-size"
        namespace = params.get("namespace")
        if namespace is not None and namespace not in node.storage:
            return "ERROR::unknown-namespace"
        return node.cluster.key  # migrations are instant: never "unstable-cluster"

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
        srv = self.node
        ns = srv.storage[name]
        cfg = ns.config
        now_s = p.now_ms() // 1000
        view = srv.cluster
        objects, master = self._held(ns, now_s)
        stats = [
            ("ns_cluster_size", view.size()),
            ("effective_replication_factor", view.replication_factor()),
            ("objects", objects),
            ("tombstones", 0),
            ("expired_objects", ns.expired_objects),
            ("master_objects", master),
            ("prole_objects", objects - master),
            ("unavailable_partitions", 0),
            ("dead_partitions", 0),
            ("stop_writes", str(ns.stop_writes).lower()),
            ("hwm_breached", str(ns.hwm_breached).lower()),
            ("evicted_objects", ns.evicted_objects),
            ("evict_ttl", ns.evict_ttl),
            ("data_total_bytes", cfg.data_size),
            ("data_used_bytes", ns.data_used_bytes),
            ("data_used_pct", ns.data_used_pct),
            ("current_time", now_s),
            ("truncate_lut", ns.truncate_lut),
            ("nsup-period", cfg.nsup_period),
            ("default-ttl", cfg.default_ttl),
            ("allow-ttl-without-nsup", str(cfg.allow_ttl_without_nsup).lower()),
            ("max-record-size", cfg.max_record_size),
            ("conflict-resolve-writes", str(cfg.conflict_resolve_writes).lower()),
            ("default-read-touch-ttl-pct", 0),
            ("replication-factor", view.replication_factor()),
            ("strong-consistency", "false"),
            ("storage-engine", "memory"),
            ("evict-tenths-pct", cfg.evict_tenths_pct),
            ("evict-hist-buckets", cfg.evict_hist_buckets),
            ("storage-engine.data-size", cfg.data_size),
            ("storage-engine.evict-used-pct", cfg.evict_used_pct),
            ("storage-engine.stop-writes-used-pct", cfg.stop_writes_used_pct),
            ("max-ttl", p.MAX_TTL),
            ("disallow-null-setname", "false"),
        ]
        return ";".join(f"{k}={v}" for k, v in stats)

    def _held(self, ns: Namespace, now_s: int) -> tuple[int, int]:
        """(records this node holds, records it masters) of a namespace."""
        role = self.node.cluster.role
        roles = [role(p.partition_id(d)) for d, _r in ns.live_records(now_s)]
        return sum(1 for r in roles if r >= 0), roles.count(0)

    def _sets(self, ns_name: str | None, only: str | None = None) -> str:
        srv = self.node
        role = srv.cluster.role
        now_s = p.now_ms() // 1000
        parts = []
        for name, ns in srv.storage.items():
            if ns_name is not None and name != ns_name:
                continue
            counts: dict[bytes, int] = {}
            for d, r in ns.live_records(now_s):
                if role(p.partition_id(d)) >= 0:  # a cluster node counts what it holds
                    counts[r.set_name] = counts.get(r.set_name, 0) + 1
            for set_name in sorted(set(counts) | set(ns.set_truncate_lut)):
                if not set_name:
                    continue
                sname = set_name.decode("utf-8", "replace")
                if only is not None and sname != only:
                    continue
                parts.append(
                    f"ns={name}:set={sname}:objects={counts.get(set_name, 0)}:tombstones=0:"
                    f"truncate_lut={ns.set_truncate_lut.get(set_name, 0)}:sindexes=0:"
                    "index_populating=false:truncating=false:default-ttl=0:"
                    "disable-eviction=false:enable-index=false:stop-writes-count=0:"
                    "stop-writes-size=0;"
                )
        return "".join(parts)

    def _statistics(self) -> str:
        srv = self.node
        now_s = p.now_ms() // 1000
        objects = sum(self._held(ns, now_s)[0] for ns in srv.storage.values())
        stats = [
            ("cluster_size", srv.cluster.size()),
            ("cluster_key", srv.cluster.key),
            ("cluster_integrity", "true"),
            ("cluster_is_member", "true"),
            ("uptime", int(time.monotonic() - srv.started_at)),
            ("objects", objects),
            ("client_connections", srv.connections()),
            ("reaped_fds", 0),
        ]
        return ";".join(f"{k}={v}" for k, v in stats)

    def _get_config(self, params: dict[str, str]) -> str:
        context = params.get("context", "")
        if context == "namespace":
            ns = self.node.storage.get(params.get("id", params.get("namespace", "")))
            if ns is None:
                return "ERROR:2:namespace not found"
            cfg = ns.config
            return (
                f"nsup-period={cfg.nsup_period};default-ttl={cfg.default_ttl};"
                f"allow-ttl-without-nsup={str(cfg.allow_ttl_without_nsup).lower()};"
                f"max-record-size={cfg.max_record_size};"
                f"replication-factor={self.node.cluster.replication_factor()};"
                "strong-consistency=false;default-read-touch-ttl-pct=0;"
                f"evict-tenths-pct={cfg.evict_tenths_pct};"
                f"evict-hist-buckets={cfg.evict_hist_buckets};storage-engine=memory;"
                f"storage-engine.data-size={cfg.data_size};"
                f"storage-engine.evict-used-pct={cfg.evict_used_pct};"
                f"storage-engine.stop-writes-used-pct={cfg.stop_writes_used_pct}"
            )
        if context == "service" or not context:
            return f"cluster-name={self.node.cluster_name or 'null'};proto-fd-max=15000"
        return "ERROR:4:unknown context"

    def _truncate(self, params: dict[str, str], whole_namespace: bool) -> str:
        srv = self.node
        ns_name = params.get("namespace")
        if not ns_name:
            return "ERROR:4:namespace required"
        ns = srv.storage.get(ns_name)
        if ns is None:
            return "ERROR:4:namespace not found"
        set_name = None if whole_namespace else params.get("set")
        if not whole_namespace and not set_name:
            return "ERROR:4:set required"
        now = p.now_ms()
        threshold = now
        if "lut" in params:
            try:
                lut_ns = int(params["lut"])
            except ValueError:
                return "ERROR:4:bad lut"
            threshold = lut_ns // 1_000_000 - p.CITRUSLEAF_EPOCH_MS
            if threshold > now:
                return "ERROR:4:lut is in the future"
            if threshold < 0:
                return "ERROR:4:bad lut"
        srv.counters.add("truncate")
        ns.truncate(set_name.encode("utf-8") if set_name is not None else None, threshold)
        return "ok"
