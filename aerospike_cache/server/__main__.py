"""Command line: ``python -m aerospike_cache.server --port 3000 --namespace cache``.

``--namespace NAME[:key=value,...]`` with keys ``nsup-period``, ``default-ttl``,
``allow-ttl-without-nsup``, ``max-record-size``. Stops cleanly (exit 0) on
Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aerospike_cache.server",
        description="Run the embedded Aerospike-compatible server (in memory, single node).",
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
            "allow-ttl-without-nsup, max-record-size "
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
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    # internal: isolated mode (EmbeddedServer(isolated=True)) drives the server over stdio
    parser.add_argument("--control-stdio", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--node-name", default=None, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        namespaces = [parse_namespace(spec) for spec in args.namespace] if args.namespace else None
        server = EmbeddedServer(
            args.host,
            args.port,
            namespaces,
            cluster_name=args.cluster_name,
            node_name=args.node_name,
            edition=args.edition,
        )
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.control_stdio:
        return serve_control(server.controls, sys.stdin, sys.stdout, f"{args.host}:{args.port}")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(
        f"aerospike-cache embedded server listening on {server.host}:{server.port} "
        f"(namespaces: {', '.join(server.namespace_names)})",
        flush=True,
    )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
