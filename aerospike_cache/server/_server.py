"""The embedded server: sockets, threads and lifecycle of a node, and its facade."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

from . import _protocol as p
from ._dispatch import Drop, decompress, handle_msg
from ._engine import Namespace, NamespaceConfig
from ._faults import Controls
from ._info import InfoHandler
from ._jobs import JobRegistry
from ._node import Node
from ._remote import RemoteControls, RemoteProcess, namespace_args

log = logging.getLogger("aerospike_cache.server")

DEFAULT_NAMESPACES = ("cache", "test")

_U64_unpack = p.U64.unpack

NamespacesArg = (
    Iterable[NamespaceConfig | str] | Mapping[str, Mapping[str, Any] | NamespaceConfig] | None
)


def namespaces_from_arg(arg: NamespacesArg) -> list[NamespaceConfig]:
    if arg is None:
        return [NamespaceConfig(name) for name in DEFAULT_NAMESPACES]
    out: list[NamespaceConfig] = []
    if isinstance(arg, Mapping):
        for name, options in arg.items():
            if isinstance(options, NamespaceConfig):
                out.append(options)
            else:
                out.append(NamespaceConfig.from_options(name, dict(options or {})))
    else:
        for item in arg:
            out.append(NamespaceConfig(item) if isinstance(item, str) else item)
    if not out:
        raise ValueError("at least one namespace is required")
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate namespace names: {names}")
    return out


def random_node_name() -> str:
    return "BB9" + os.urandom(6).hex().upper()


class LocalNode:
    """Serves one :class:`Node` in this process (the local :class:`Controls`)."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.info = InfoHandler(node)
        node.connections = self.connection_count
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._nsup_thread: threading.Thread | None = None
        self._nsup_stop = threading.Event()
        self._clients: dict[socket.socket, threading.Thread] = {}
        self._running = False

    @property
    def port(self) -> int:
        return self.node.port

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> int:
        """Listen and serve (in background threads); returns the port."""
        if self._running:
            return self.node.port
        node = self.node
        family = socket.AF_INET6 if ":" in node.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((node.host, node.port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        node.port = sock.getsockname()[1]
        self._listener = sock
        self._running = True
        node.started_at = time.monotonic()
        self._accept_thread = self._thread("accept", self._accept_loop, sock)
        self._nsup_stop = threading.Event()
        self._nsup_thread = self._thread("nsup", self._nsup_loop, self._nsup_stop)
        return node.port

    def _thread(self, what: str, target: Any, arg: Any) -> threading.Thread:
        t = threading.Thread(
            target=target, args=(arg,), name=f"aerospike-embedded-{what}-{self.port}", daemon=True
        )
        t.start()
        return t

    def _nsup_loop(self, stop: threading.Event) -> None:
        """Purge expired records every ``nsup_period`` seconds (per namespace)."""
        while not stop.wait(1.0):
            now = time.monotonic()
            for ns in self.node.storage.values():
                period = ns.config.nsup_period
                if period and now - ns.last_nsup >= period:
                    ns.last_nsup = now
                    ns.nsup(p.now_ms() // 1000)

    def stop(self) -> None:
        """Close the listening socket and every client socket; join the threads."""
        accept_thread, self._accept_thread = self._accept_thread, None
        nsup_thread, self._nsup_thread = self._nsup_thread, None
        self.kill()
        if accept_thread is not None:
            accept_thread.join(timeout=5)
        # again after the accept loop ended, so that no new client slips in
        threads = self._close_clients()
        if nsup_thread is not None:
            nsup_thread.join(timeout=5)
        current = threading.current_thread()
        for t in threads:
            if t is not current:
                t.join(timeout=5)

    def close(self) -> None:
        self.stop()

    def kill(self) -> None:
        """Stop at once, like a killed process: close every socket, wait for nobody."""
        self._running = False
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self._close_clients()
        self._nsup_stop.set()

    @property
    def running(self) -> bool:
        return self._running

    # -- controls ----------------------------------------------------------------

    def clear(self) -> None:
        self.node.clear()

    def counters(self) -> dict[str, int]:
        return self.node.counters.snapshot()

    def reset_counters(self) -> None:
        self.node.counters.reset()

    def connection_count(self) -> int:
        with self._lock:
            return len(self._clients)

    def unknown_info_commands(self) -> list[str]:
        return self.node.diagnostics()[0]

    def unsupported_requests(self) -> list[str]:
        return self.node.diagnostics()[1]

    def set_delay(self, ms: float, include_info: bool) -> None:
        self.node.faults.set_delay(ms, include_info)

    def fail_next(self, n: int, result_code: int) -> None:
        self.node.faults.fail(n, result_code)

    def drop_next(self, n: int) -> None:
        self.node.faults.drop(n)

    def clear_faults(self) -> None:
        self.node.faults.clear()

    def drop_connections(self) -> None:
        self._close_clients()

    def run_nsup(self) -> dict[str, list[int]]:
        now_s = p.now_ms() // 1000
        return {name: list(ns.nsup(now_s)) for name, ns in self.node.storage.items()}

    def _close_clients(self) -> list[threading.Thread]:
        with self._lock:
            items = list(self._clients.items())
        for sock, _t in items:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return [t for _s, t in items]

    # -- network -----------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._running:
            try:
                sock, _addr = listener.accept()
            except OSError:
                break
            if not self._running:
                sock.close()
                break
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t = threading.Thread(
                target=self._serve_client,
                args=(sock,),
                name=f"aerospike-embedded-conn-{self.port}",
                daemon=True,
            )
            with self._lock:
                self._clients[sock] = t
            t.start()

    def _serve_client(self, sock: socket.socket) -> None:
        try:
            self._client_loop(sock)
        except (OSError, Drop):
            pass
        except Exception:  # pragma: no cover - a bug: log it, drop the connection
            log.exception("embedded server: unexpected error; closing the connection")
        finally:
            with self._lock:
                self._clients.pop(sock, None)
            with contextlib.suppress(OSError):
                sock.close()

    def _client_loop(self, sock: socket.socket) -> None:
        header = bytearray(8)
        hview = memoryview(header)
        local_host: str = sock.getsockname()[0]
        recv_into = sock.recv_into
        sendall = sock.sendall
        while True:
            # proto header
            got = 0
            while got < 8:
                n = recv_into(hview[got:], 8 - got)
                if n == 0:
                    return
                got += n
            (word,) = _U64_unpack(header)
            version = word >> 56
            mtype = (word >> 48) & 0xFF
            size = word & 0xFFFFFFFFFFFF
            if version != p.PROTO_VERSION or size > p.MAX_PROTO_SIZE:
                log.warning("bad proto header version=%d type=%d size=%d", version, mtype, size)
                return
            body = bytearray(size)
            bview = memoryview(body)
            got = 0
            while got < size:
                n = recv_into(bview[got:], size - got)
                if n == 0:
                    return
                got += n
            answer = self._answer(mtype, body, local_host)
            if answer is None:
                return
            sendall(answer)

    def _answer(self, mtype: int, body: bytearray, local_host: str) -> bytes | None:
        """The answer frame to one request; None = close the connection."""
        node = self.node
        if mtype == p.TYPE_MSG:
            return handle_msg(node, body)
        if mtype == p.TYPE_INFO:
            node.counters.add("info")
            answer = p.frame(p.TYPE_INFO, self.info.handle(bytes(body), local_host))
            if node.faults.delay and node.faults.delay_info:
                time.sleep(node.faults.delay)
            return answer
        if mtype == p.TYPE_MSG_COMPRESSED:
            node.counters.add("compressed")
            if not node.enterprise:  # compression is an Enterprise feature
                node.record_unsupported("compressed requests (Enterprise Edition only)")
                return p.single_response(p.RC_ENTERPRISE_ONLY)
            return handle_msg(node, decompress(body))
        if mtype == p.TYPE_ADMIN:
            node.record_unsupported("security/admin commands (no users on the embedded server)")
            return self._admin_answer()
        log.warning("unknown proto type %d; closing the connection", mtype)
        return None

    @staticmethod
    def _admin_answer() -> bytes:
        out = bytearray(16)
        out[1] = p.RC_SECURITY_NOT_ENABLED
        return p.frame(p.TYPE_ADMIN, out)


#: editions a server can answer as (``edition=``; default "community")
EDITIONS = ("community", "enterprise")


def check_edition_name(edition: str) -> None:
    """Refuse an edition the embedded server cannot answer as."""
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {', '.join(EDITIONS)}, not {edition!r}")


def client_config(hosts: list[tuple[str, int]], cluster_name: str | None) -> dict[str, Any]:
    """A configuration for ``aerospike.client(...)``."""
    cfg: dict[str, Any] = {"hosts": list(hosts)}
    if cluster_name:
        cfg["cluster_name"] = cluster_name
    return cfg


_T = TypeVar("_T", bound="Lifecycle")


class Lifecycle:
    """``with`` support: :meth:`start` on entry, :meth:`close` on exit."""

    def start(self: _T) -> _T:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: _T) -> _T:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class NodeHandle:
    """Counters, diagnostics and fault controls of one node, through its :class:`Controls`."""

    node: Node
    _controls: Controls

    @property
    def host(self) -> str:
        return self.node.host

    @property
    def port(self) -> int:
        return self.node.port

    @property
    def node_name(self) -> str:
        return self.node.name

    @property
    def controls(self) -> Controls:
        """The node's :class:`Controls` (in this process, or the child's when isolated)."""
        return self._controls

    # -- counters ----------------------------------------------------------------

    @property
    def counters(self) -> dict[str, int]:
        """Snapshot of commands served per kind (missing key = 0).

        Keys: ``info`` (info requests), ``read``, ``exists``, ``write``, ``operate``,
        ``touch``, ``remove``, ``batch`` (batch requests), ``batch_rows``, ``scan``,
        ``truncate``, ``commands`` (every AS_MSG data command), ``errors`` (data
        commands answered with a non-zero result), ``dropped``, ``failed``
        (injected faults), ``unsupported``, ``compressed`` (type-4 requests).
        """
        return self._controls.counters()

    def reset_counters(self) -> None:
        self._controls.reset_counters()

    @property
    def command_count(self) -> int:
        """AS_MSG data commands served (single-record, batch and scan requests)."""
        return self.counters.get("commands", 0)

    @property
    def batch_count(self) -> int:
        return self.counters.get("batch", 0)

    @property
    def connection_count(self) -> int:
        return self._controls.connection_count()

    @property
    def unknown_info_commands(self) -> list[str]:
        """Info commands the server did not recognise, in arrival order."""
        return self._controls.unknown_info_commands()

    @property
    def unsupported_requests(self) -> list[str]:
        """Requests answered with an "unsupported" error, as descriptions."""
        return self._controls.unsupported_requests()

    # -- faults ------------------------------------------------------------------

    def set_delay(self, ms: float, *, include_info: bool = False) -> None:
        """Delay every data answer by ``ms`` milliseconds (0 turns it off).

        Info answers (cluster tending) are delayed too only with ``include_info``.
        """
        self._controls.set_delay(ms, include_info)

    def fail_next(self, n: int, result_code: int) -> None:
        """Answer the next ``n`` data commands (not info) with ``result_code``.

        Header-only answers; batch and scan requests get the code in their LAST message.
        """
        self._controls.fail_next(n, result_code)

    def drop_next(self, n: int = 1) -> None:
        """Close the socket instead of answering the next ``n`` data commands.

        The command is not executed.
        """
        self._controls.drop_next(n)

    def clear_faults(self) -> None:
        """Cancel pending fail/drop faults and the delay."""
        self._controls.clear_faults()

    def drop_connections(self) -> None:
        """Close every client socket now (the server keeps listening)."""
        self._controls.drop_connections()

    def run_nsup(self) -> dict[str, tuple[int, int]]:
        """Run one nsup cycle on every namespace now: ``{namespace: (expired, evicted)}``.

        The nsup thread runs one every ``nsup-period`` seconds; a test that
        needs a cycle at a known moment calls this instead of sleeping.
        """
        return {name: (done[0], done[1]) for name, done in self._controls.run_nsup().items()}


class EmbeddedServer(NodeHandle, Lifecycle):
    """A single-node, in-memory, Aerospike-compatible server for tests and demos.

    ``EmbeddedServer(host="127.0.0.1", port=0, namespaces=None)``; ``namespaces``
    is a list of :class:`NamespaceConfig` (or names), or a dict
    ``{name: {"nsup_period": 0, ...}}``. Defaults: ``cache`` and ``test``, nsup on.
    Use as a context manager or call :meth:`start` / :meth:`stop`.

    ``isolated=True`` runs the server in a child process (same API, same
    controls). Use it when the tests call ``client.truncate()``: the official
    Python client holds the GIL during ``truncate`` (unlike every data call), so
    an in-process server cannot answer it and the call times out.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        namespaces: NamespacesArg = None,
        *,
        cluster_name: str | None = None,
        node_name: str | None = None,
        isolated: bool = False,
        edition: str = "community",
    ) -> None:
        check_edition_name(edition)
        configs = namespaces_from_arg(namespaces)
        #: namespace name -> configuration
        self.namespace_configs: dict[str, NamespaceConfig] = {c.name: c for c in configs}
        self.isolated = isolated
        #: the node's state (storage unused when isolated)
        self.node = Node(
            name=node_name or random_node_name(),
            storage={c.name: Namespace(c) for c in configs},
            cluster_name=cluster_name,
            host=host,
            port=port,
            jobs=JobRegistry(),
            edition=edition,
        )
        self._local = LocalNode(self.node)
        self._controls: Controls = self._local
        self._running = False

    # -- identity ----------------------------------------------------------------

    @property
    def cluster_name(self) -> str | None:
        return self.node.cluster_name

    @property
    def edition(self) -> str:
        """``community`` (the default) or ``enterprise``."""
        return self.node.edition

    @property
    def cluster_key(self) -> str:
        return self.node.cluster.key

    @property
    def storage(self) -> dict[str, Namespace]:
        """In-process storage (unused when isolated)."""
        return self.node.storage

    @property
    def _info(self) -> InfoHandler:
        return self._local.info

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> EmbeddedServer:
        """Listen and serve (in background threads). Restarts reuse the same port."""
        if self.isolated and self._controls is self._local:
            process = RemoteProcess(self._child_args())
            self._controls = RemoteControls(process)
            self.node.port = process.ports[0]
        else:
            self.node.port = self._controls.start()
        self._running = True
        return self

    def _child_args(self) -> list[str]:
        node = self.node
        args = ["--host", node.host, "--port", str(node.port), "--node-name", node.name]
        args += namespace_args(list(self.namespace_configs.values()))
        if node.cluster_name:
            args += ["--cluster-name", node.cluster_name]
        return [*args, "--edition", node.edition]

    def stop(self) -> None:
        """Close the listening socket and every client socket; join the threads.

        The data stays: :meth:`start` serves it again on the same port.
        """
        self._running = False
        self._controls.stop()

    def close(self) -> None:
        """Stop for good (ends the child process of an isolated server)."""
        self._running = False
        controls, self._controls = self._controls, self._local
        controls.close()

    def restart(self, keep_data: bool = True) -> None:
        """Stop, optionally forget every record, and start again on the same port."""
        self.stop()
        if not keep_data:
            self.clear()
        self.start()

    def clear(self) -> None:
        """Forget every record of every namespace."""
        self._controls.clear()

    @property
    def running(self) -> bool:
        return self._running

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        mode = " isolated" if self.isolated else ""
        return (
            f"<EmbeddedServer {self.host}:{self.port} {state}{mode} "
            f"namespaces={self.namespace_names}>"
        )

    # -- addresses ---------------------------------------------------------------

    @property
    def namespace_names(self) -> list[str]:
        return list(self.namespace_configs)

    @property
    def hosts(self) -> list[tuple[str, int]]:
        return [(self.host, self.port)]

    @property
    def config(self) -> dict[str, Any]:
        """A configuration for ``aerospike.client(...)``."""
        return client_config(self.hosts, self.cluster_name)

    @property
    def advertised_host(self) -> str:
        return self.node.advertised_host
