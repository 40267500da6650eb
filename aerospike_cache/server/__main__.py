"""Command line: ``python -m aerospike_cache.server --port 3000 --namespace cache``.

``--namespace NAME[:key=value,...]`` with keys ``nsup-period``, ``default-ttl``,
``allow-ttl-without-nsup``, ``max-record-size``, ``conflict-resolve-writes``,
``data-size`` (``64M``), ``stop-writes-used-pct``, ``evict-used-pct``,
``evict-tenths-pct``, ``evict-hist-buckets``. ``--nodes 3
--replication-factor 2`` runs a cluster on ports PORT, PORT+1, PORT+2. Stops
cleanly (exit 0) on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
import threading
import time
from types import FrameType

from ._cluster import DEFAULT_HEARTBEAT_TIMEOUT, EmbeddedCluster
from ._engine import NamespaceConfig
from ._remote import serve_control
from ._server import DEFAULT_NAMESPACES, EDITIONS, EmbeddedServer


def parse_namespace(spec: str) -> NamespaceConfig:
    """``NAME[:key=value,...]`` -> :class:`NamespaceConfig`."""
    name, _, rest = spec.partition(":")
    options: dict[str, str] = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"expected key=value in {spec!r}, got {item!r}")
        options[key.strip()] = value.strip()
    return NamespaceConfig.from_options(name.strip(), options)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aerospike_cache.server",
        description="Run the embedded Aerospike-compatible server (in memory; one node or more).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=3000, help="port (0 = pick a free one)")
    parser.add_argument(
        "--namespace",
        action="append",
        default=None,
        metavar="NAME[:key=value,...]",
        help=(
            "a namespace, repeatable; keys: nsup-period, default-ttl, "
            "allow-ttl-without-nsup, max-record-size, conflict-resolve-writes, "
            "data-size (e.g. 64M), stop-writes-used-pct, evict-used-pct, "
            "evict-tenths-pct, evict-hist-buckets "
            f"(default: {', '.join(DEFAULT_NAMESPACES)})"
        ),
    )
    parser.add_argument("--cluster-name", default=None, help="answer this cluster name")
    parser.add_argument(
        "--edition",
        choices=EDITIONS,
        default="community",
        help="community (default) refuses compression, durable deletes and TLS peers with 25",
    )
    parser.add_argument(
        "--nodes",
        type=_positive,
        default=1,
        help="run a cluster of this many nodes, on ports PORT, PORT+1, ... (default: 1)",
    )
    parser.add_argument(
        "--replication-factor",
        type=_positive,
        default=2,
        help="copies of each partition in a cluster (default: 2)",
    )
    parser.add_argument(
        "--heartbeat-timeout",
        type=float,
        default=DEFAULT_HEARTBEAT_TIMEOUT,
        help="seconds before a cluster takes a killed node's partitions over "
        f"(default: {DEFAULT_HEARTBEAT_TIMEOUT})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    # internal: isolated mode (EmbeddedServer(isolated=True)) drives the server over stdio
    parser.add_argument("--control-stdio", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--node-name", action="append", default=None, help=argparse.SUPPRESS)
    return parser


def _build(args: argparse.Namespace) -> EmbeddedServer | EmbeddedCluster:
    namespaces = [parse_namespace(spec) for spec in args.namespace] if args.namespace else None
    names = args.node_name or None
    if args.nodes == 1:
        return EmbeddedServer(
            args.host,
            args.port,
            namespaces,
            cluster_name=args.cluster_name,
            node_name=names[0] if names else None,
            edition=args.edition,
        )
    return EmbeddedCluster(
        args.nodes,
        args.replication_factor,
        namespaces,
        host=args.host,
        port=args.port,
        heartbeat_timeout=args.heartbeat_timeout,
        cluster_name=args.cluster_name,
        node_names=names,
        edition=args.edition,
    )


def _serve_control(target: EmbeddedServer | EmbeddedCluster, where: str) -> int:
    if isinstance(target, EmbeddedServer):
        return serve_control([(target.node_name, target.controls)], sys.stdin, sys.stdout, where)
    nodes = [(node.node_name, node.controls) for node in target.nodes]
    ops = {"kill": target.kill, "restart": target.restart}
    return serve_control(nodes, sys.stdin, sys.stdout, where, ops)


def _banner(target: EmbeddedServer | EmbeddedCluster) -> str:
    namespaces = ", ".join(target.namespace_names)
    if isinstance(target, EmbeddedServer):
        where = f"{target.host}:{target.port}"
        return f"aerospike-cache embedded server listening on {where} (namespaces: {namespaces})"
    where = ", ".join(f"{host}:{port}" for host, port in target.hosts)
    return (
        f"aerospike-cache embedded cluster of {len(target.nodes)} nodes listening on {where} "
        f"(replication factor {target.replication_factor}, namespaces: {namespaces})"
    )


def full_collections_when_idle(poll: float = 0.1, period: float = 30.0) -> None:
    """In a server's own process: full cyclic-GC passes when the process is idle.

    The process holds the store: many long-lived objects, records that make
    no cycles. Python's automatic full collection walks all of them (tens of
    ms per 100,000 records) in whatever request crosses its threshold. Young
    collections stay automatic (they reclaim short-lived cycles); a full one
    runs from a housekeeping thread once nothing was allocated for ``poll``
    seconds and objects were promoted since the last one, or after ``period``
    seconds of constant work, so old cyclic garbage is still reclaimed.
    """
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, 1 << 30)  # no automatic full collection

    def collect() -> None:
        last, since = gc.get_count(), time.monotonic()
        while True:
            time.sleep(poll)
            count = gc.get_count()
            idle = count == last and count[2] > 0
            if idle or time.monotonic() - since > period:
                gc.collect()
                count, since = gc.get_count(), time.monotonic()
            last = count

    threading.Thread(target=collect, name="aerospike-embedded-gc", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        target = _build(args)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    full_collections_when_idle()
    if args.control_stdio:
        return _serve_control(target, f"{args.host}:{args.port}")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        target.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        target.close()
        return 1
    print(_banner(target), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        target.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
