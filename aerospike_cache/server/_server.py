"""The embedded server: sockets, threads, request dispatch and fault injection."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from . import _expr
from . import _protocol as p
from ._engine import Namespace, NamespaceConfig, Op, Outcome, UnsupportedError
from ._info import InfoHandler
from ._remote import RemoteServer

log = logging.getLogger("aerospike_cache.server")

DEFAULT_NAMESPACES = ("cache", "test")

_MSG_HEADER_unpack_from = p.MSG_HEADER.unpack_from
_FIELD_unpack_from = p.FIELD_HEADER.unpack_from
_OP_unpack_from = p.OP_HEADER.unpack_from
_U64_unpack = p.U64.unpack
_SCAN_FRAME_BYTES = 128 * 1024

NamespacesArg = (
    Iterable[NamespaceConfig | str] | Mapping[str, Mapping[str, Any] | NamespaceConfig] | None
)


class _Drop(Exception):
    """Close the client socket without answering."""


class _ParsedMsg:
    """Fields of one AS_MSG request we care about."""

    __slots__ = (
        "digest",
        "fields",
        "generation",
        "info1",
        "info2",
        "info3",
        "info4",
        "key",
        "namespace",
        "ops",
        "record_ttl",
        "set_name",
    )

    def __init__(self) -> None:
        self.namespace = ""
        self.set_name = b""
        self.key: bytes | None = None
        self.digest: bytes | None = None
        self.fields: dict[int, bytes] = {}
        self.ops: list[Op] = []
        self.info1 = self.info2 = self.info3 = self.info4 = 0
        self.generation = 0
        self.record_ttl = 0


def _parse_fields_ops(
    buf: bytes | bytearray, pos: int, n_fields: int, n_ops: int, msg: _ParsedMsg
) -> int:
    fields = msg.fields
    for _ in range(n_fields):
        size, ftype = _FIELD_unpack_from(buf, pos)
        start = pos + 5
        pos += 4 + size
        data = buf[start:pos]
        if ftype == p.FIELD_DIGEST:
            msg.digest = bytes(data)
        elif ftype == p.FIELD_NAMESPACE:
            msg.namespace = data.decode("utf-8", "replace")
        elif ftype == p.FIELD_SET:
            msg.set_name = bytes(data)
        elif ftype == p.FIELD_KEY:
            msg.key = bytes(data)
        else:
            fields[ftype] = bytes(data)
    ops = msg.ops
    for _ in range(n_ops):
        size, op, ptype, _flags, name_len = _OP_unpack_from(buf, pos)
        name_end = pos + 8 + name_len
        end = pos + 4 + size
        ops.append((op, ptype, bytes(buf[pos + 8 : name_end]), bytes(buf[name_end:end])))
        pos = end
    return pos


def _namespaces_from_arg(arg: NamespacesArg) -> list[NamespaceConfig]:
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


class EmbeddedServer:
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
    ) -> None:
        self.host = host
        self.port = port
        self.cluster_name = cluster_name
        self.node_name = node_name or "BB9" + os.urandom(6).hex().upper()
        self.cluster_key = os.urandom(6).hex().upper()
        self.isolated = isolated
        configs = _namespaces_from_arg(namespaces)
        #: namespace name -> configuration
        self.namespace_configs: dict[str, NamespaceConfig] = {c.name: c for c in configs}
        #: in-process storage (unused when isolated)
        self.storage: dict[str, Namespace] = {c.name: Namespace(c) for c in configs}
        self._unknown_info: list[str] = []
        self._unsupported_reqs: list[str] = []
        self.started_at = time.monotonic()
        self._info = InfoHandler(self)
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._nsup_thread: threading.Thread | None = None
        self._nsup_stop = threading.Event()
        self._clients: dict[socket.socket, threading.Thread] = {}
        self._running = False
        self._remote: RemoteServer | None = None
        # faults
        self._delay = 0.0
        self._delay_info = False
        self._fail_next: list[int] = []  # result codes, one per upcoming data command
        self._drop_next = 0

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> EmbeddedServer:
        """Listen and serve (in background threads). Restarts reuse the same port."""
        if self.isolated:
            if self._remote is None:
                self._remote = RemoteServer(self)
                self.port = self._remote.port
            else:
                self.port = self._remote.call("start")
            self._running = True
            return self
        if self._running:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        self.port = sock.getsockname()[1]
        self._listener = sock
        self._running = True
        self.started_at = time.monotonic()
        self._accept_thread = threading.Thread(
            target=self._accept_loop,
            args=(sock,),
            name=f"aerospike-embedded-accept-{self.port}",
            daemon=True,
        )
        self._accept_thread.start()
        self._nsup_stop = threading.Event()
        self._nsup_thread = threading.Thread(
            target=self._nsup_loop,
            args=(self._nsup_stop,),
            name=f"aerospike-embedded-nsup-{self.port}",
            daemon=True,
        )
        self._nsup_thread.start()
        return self

    def _nsup_loop(self, stop: threading.Event) -> None:
        """Purge expired records every ``nsup_period`` seconds (per namespace)."""
        while not stop.wait(1.0):
            now = time.monotonic()
            for ns in self.storage.values():
                period = ns.config.nsup_period
                if period and now - ns.last_nsup >= period:
                    ns.last_nsup = now
                    ns.purge_expired(p.now_ms() // 1000)

    def stop(self) -> None:
        """Close the listening socket and every client socket; join the threads.

        The data stays: :meth:`start` serves it again on the same port.
        """
        self._running = False
        if self._remote is not None:
            self._remote.call("stop")
            return
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
            self._accept_thread = None
        # after the accept loop ended, so that no new client slips in
        threads = self._close_clients()
        if self._nsup_thread is not None:
            self._nsup_stop.set()
            self._nsup_thread.join(timeout=5)
            self._nsup_thread = None
        current = threading.current_thread()
        for t in threads:
            if t is not current:
                t.join(timeout=5)

    def close(self) -> None:
        """Stop for good (ends the child process of an isolated server)."""
        remote, self._remote = self._remote, None
        self._running = False
        if remote is not None:
            remote.close()
        else:
            self.stop()

    def restart(self, keep_data: bool = True) -> None:
        """Stop, optionally forget every record, and start again on the same port."""
        self.stop()
        if not keep_data:
            self.clear()
        self.start()

    def clear(self) -> None:
        """Forget every record of every namespace."""
        if self._remote is not None:
            self._remote.call("clear")
            return
        for ns in self.storage.values():
            ns.clear()

    @property
    def running(self) -> bool:
        return self._running

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

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
        cfg: dict[str, Any] = {"hosts": self.hosts}
        if self.cluster_name:
            cfg["cluster_name"] = self.cluster_name
        return cfg

    @property
    def advertised_host(self) -> str:
        if self.host in ("0.0.0.0", "", "::"):
            return "127.0.0.1"
        return self.host

    # -- counters ----------------------------------------------------------------

    def count(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self._counters[kind] = self._counters.get(kind, 0) + n

    @property
    def counters(self) -> dict[str, int]:
        """Snapshot of commands served per kind (missing key = 0).

        Keys: ``info`` (info requests), ``read``, ``exists``, ``write``, ``operate``,
        ``touch``, ``remove``, ``batch`` (batch requests), ``batch_rows``, ``scan``,
        ``truncate``, ``commands`` (every AS_MSG data command), ``errors`` (data
        commands answered with a non-zero result), ``dropped``, ``failed``
        (injected faults), ``unsupported``, ``compressed`` (type-4 requests).
        """
        if self._remote is not None:
            result: dict[str, int] = self._remote.call("counters")
            return result
        with self._lock:
            return dict(self._counters)

    def reset_counters(self) -> None:
        if self._remote is not None:
            self._remote.call("reset_counters")
            return
        with self._lock:
            self._counters.clear()

    @property
    def command_count(self) -> int:
        """AS_MSG data commands served (single-record, batch and scan requests)."""
        return self.counters.get("commands", 0)

    @property
    def batch_count(self) -> int:
        return self.counters.get("batch", 0)

    @property
    def connection_count(self) -> int:
        if self._remote is not None:
            count: int = self._remote.call("connection_count")
            return count
        with self._lock:
            return len(self._clients)

    @property
    def unknown_info_commands(self) -> list[str]:
        """Info commands the server did not recognise, in arrival order."""
        if self._remote is not None:
            lines: list[str] = self._remote.call("unknown_info_commands")
            return lines
        with self._lock:
            return list(self._unknown_info)

    @property
    def unsupported_requests(self) -> list[str]:
        """Requests answered with an "unsupported" error, as descriptions."""
        if self._remote is not None:
            lines: list[str] = self._remote.call("unsupported_requests")
            return lines
        with self._lock:
            return list(self._unsupported_reqs)

    # -- faults ------------------------------------------------------------------

    def set_delay(self, ms: float, *, include_info: bool = False) -> None:
        """Delay every data answer by ``ms`` milliseconds (0 turns it off).

        Info answers (cluster tending) are delayed too only with ``include_info``.
        """
        if self._remote is not None:
            self._remote.call("set_delay", ms, include_info)
            return
        self._delay = max(0.0, ms) / 1000.0
        self._delay_info = include_info

    def fail_next(self, n: int, result_code: int) -> None:
        """Answer the next ``n`` data commands (not info) with ``result_code``.

        Header-only answers; batch and scan requests get the code in their LAST message.
        """
        if self._remote is not None:
            self._remote.call("fail_next", n, result_code)
            return
        with self._lock:
            self._fail_next.extend([result_code] * n)

    def drop_next(self, n: int = 1) -> None:
        """Close the socket instead of answering the next ``n`` data commands.

        The command is not executed.
        """
        if self._remote is not None:
            self._remote.call("drop_next", n)
            return
        with self._lock:
            self._drop_next += n

    def clear_faults(self) -> None:
        """Cancel pending fail/drop faults and the delay."""
        if self._remote is not None:
            self._remote.call("clear_faults")
            return
        with self._lock:
            self._fail_next.clear()
            self._drop_next = 0
        self._delay = 0.0
        self._delay_info = False

    def drop_connections(self) -> None:
        """Close every client socket now (the server keeps listening)."""
        if self._remote is not None:
            self._remote.call("drop_connections")
            return
        self._close_clients()

    def _close_clients(self) -> list[threading.Thread]:
        with self._lock:
            items = list(self._clients.items())
        for sock, _t in items:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return [t for _s, t in items]

    # -- diagnostics --------------------------------------------------------------

    def record_unknown_info(self, line: str) -> None:
        with self._lock:
            self._unknown_info.append(line)
        log.warning("unrecognized info command: %r", line)

    def _unsupported(self, what: str) -> None:
        with self._lock:
            self._unsupported_reqs.append(what)
            self._counters["unsupported"] = self._counters.get("unsupported", 0) + 1
        log.warning("embedded server does not support %s; answering an error", what)

    def bin_names(self, ns_name: str) -> list[str]:
        ns = self.storage[ns_name]
        names: set[bytes] = set()
        with ns.lock:
            for r in ns.records.values():
                names.update(r.bins)
        return sorted(n.decode("utf-8", "replace") for n in names)

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
        except (OSError, _Drop):
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
            if mtype == p.TYPE_MSG:
                answer = self._handle_msg(body)
            elif mtype == p.TYPE_INFO:
                self.count("info")
                answer = p.frame(p.TYPE_INFO, self._info.handle(bytes(body), local_host))
                if self._delay and self._delay_info:
                    time.sleep(self._delay)
            elif mtype == p.TYPE_MSG_COMPRESSED:
                self.count("compressed")
                answer = self._handle_msg(self._decompress(body))
            elif mtype == p.TYPE_ADMIN:
                self._unsupported("security/admin commands (no users on the embedded server)")
                answer = self._admin_answer()
            else:
                log.warning("unknown proto type %d; closing the connection", mtype)
                return
            sendall(answer)

    @staticmethod
    def _decompress(body: bytearray) -> bytearray:
        (_usize,) = _U64_unpack(body[:8])
        raw = zlib.decompress(bytes(body[8:]))
        return bytearray(raw[8:])  # strip the inner proto header

    @staticmethod
    def _admin_answer() -> bytes:
        out = bytearray(16)
        out[1] = p.RC_SECURITY_NOT_ENABLED
        return p.frame(p.TYPE_ADMIN, out)

    # -- AS_MSG --------------------------------------------------------------------

    def _handle_msg(self, body: bytearray) -> bytes:
        msg = _ParsedMsg()
        try:
            (
                _hsz,
                info1,
                msg.info2,
                msg.info3,
                msg.info4,
                _rc,
                msg.generation,
                msg.record_ttl,
                _tx_ttl,
                n_fields,
                n_ops,
            ) = _MSG_HEADER_unpack_from(body, 0)
            msg.info1 = info1
            _parse_fields_ops(body, p.MSG_HEADER_SIZE, n_fields, n_ops, msg)
        except (struct.error, IndexError, UnicodeDecodeError) as exc:
            log.warning("malformed AS_MSG (%s): answering parameter error", exc)
            self.count("errors")
            return p.single_response(p.RC_PARAMETER)

        if info1 & p.INFO1_BATCH and p.FIELD_BATCH_INDEX in msg.fields:
            kind = "batch"
        elif msg.digest is None:
            kind = "scan"
        else:
            kind = ""

        if self._fail_next or self._drop_next:
            fault = self._take_fault()
            if fault is not None:
                return self._fault_answer(kind, fault)
        if self._delay:
            time.sleep(self._delay)

        try:
            if kind == "batch":
                return self._handle_batch(msg)
            if kind == "scan":
                return self._handle_scan(msg)
            return self._handle_single(msg)
        except UnsupportedError as exc:
            self._unsupported(str(exc))
            rc = exc.result_code
        except (ValueError, IndexError, KeyError, UnicodeDecodeError, struct.error) as exc:
            log.warning("malformed request (%s): answering parameter error", exc)
            rc = p.RC_PARAMETER
        self.count("errors")
        if kind:
            return p.frame(p.TYPE_MSG, p.last_message(rc))
        return p.single_response(rc)

    def _take_fault(self) -> int | None:
        """-1 = drop the connection, a result code = fail, None = no fault."""
        with self._lock:
            if self._drop_next:
                self._drop_next -= 1
                self._counters["dropped"] = self._counters.get("dropped", 0) + 1
                return -1
            if self._fail_next:
                self._counters["failed"] = self._counters.get("failed", 0) + 1
                return self._fail_next.pop(0)
        return None

    def _fault_answer(self, kind: str, fault: int) -> bytes:
        if fault < 0:
            raise _Drop()
        if self._delay:
            time.sleep(self._delay)
        if kind:
            return p.frame(p.TYPE_MSG, p.last_message(fault))
        return p.single_response(fault)

    def _check_unsupported_fields(self, msg: _ParsedMsg) -> None:
        for ftype in msg.fields:
            what = p.UNSUPPORTED_FIELDS.get(ftype)
            if what is not None:
                raise UnsupportedError(f"{what} (field {ftype})")

    def _execute(
        self, ns: Namespace, msg: _ParsedMsg, now: int, batch_filter: bytes | None = None
    ) -> Outcome:
        """Run one single-record command (also a batch row: its own filter wins)."""
        digest = msg.digest
        assert digest is not None
        info2 = msg.info2
        wire_filter = msg.fields.get(p.FIELD_FILTER, batch_filter)
        filter_fn = _expr.compile_expr(wire_filter) if wire_filter is not None else None
        if info2 & p.INFO2_WRITE:
            if info2 & p.INFO2_DELETE and not msg.ops:
                return ns.delete(digest, msg.key, info2, msg.generation, now, filter_fn)
            return ns.write(
                digest,
                msg.set_name,
                msg.key,
                info2,
                msg.info3,
                msg.generation,
                msg.record_ttl,
                msg.ops,
                now,
                filter_fn,
            )
        if msg.info1 & p.INFO1_READ:
            return ns.read(digest, msg.key, msg.info1, msg.ops, now, msg.record_ttl, filter_fn)
        raise ValueError(f"neither read nor write (info1={msg.info1:#x}, info2={info2:#x})")

    def _handle_single(self, msg: _ParsedMsg) -> bytes:
        ns = self.storage.get(msg.namespace)
        if ns is None:
            self.count("errors")
            return p.single_response(p.RC_NAMESPACE)
        if msg.fields:
            self._check_unsupported_fields(msg)
        if msg.digest is None or len(msg.digest) != 20:
            raise ValueError("bad digest")
        rc, gen, void_time, bins = self._execute(ns, msg, p.now_ms())
        self._count_single(msg, rc)
        return p.single_response(rc, gen, void_time, bins)

    def _count_single(self, msg: _ParsedMsg, rc: int) -> None:
        info2 = msg.info2
        if info2 & p.INFO2_WRITE:
            if info2 & p.INFO2_DELETE and not msg.ops:
                kind = "remove"
            elif len(msg.ops) == 1 and msg.ops[0][0] == p.OP_TOUCH:
                kind = "touch"
            elif all(op[0] == p.OP_WRITE for op in msg.ops):
                kind = "write"
            else:
                kind = "operate"
        elif msg.info1 & p.INFO1_NOBINDATA:
            kind = "exists"
        else:
            kind = "read"
        with self._lock:
            c = self._counters
            c[kind] = c.get(kind, 0) + 1
            c["commands"] = c.get("commands", 0) + 1
            if rc:
                c["errors"] = c.get("errors", 0) + 1

    # -- batch ---------------------------------------------------------------------

    def _handle_batch(self, msg: _ParsedMsg) -> bytes:
        for ftype in msg.fields:
            if ftype not in (p.FIELD_BATCH_INDEX, p.FIELD_FILTER):
                what = p.UNSUPPORTED_FIELDS.get(ftype, f"field {ftype}")
                raise UnsupportedError(f"{what} in a batch request")
        data = msg.fields[p.FIELD_BATCH_INDEX]
        batch_filter = msg.fields.get(p.FIELD_FILTER)
        (n_rows,) = p.U32.unpack_from(data, 0)
        pos = 5  # n_rows + parent flags
        out = bytearray()
        prev: _ParsedMsg | None = None
        now = p.now_ms()
        errors = 0
        u16 = p.U16.unpack_from
        u32 = p.U32.unpack_from
        for _ in range(n_rows):
            (index,) = u32(data, pos)
            digest = bytes(data[pos + 4 : pos + 24])
            rowflags = data[pos + 24]
            pos += 25
            if rowflags & p.BATCH_REPEAT:
                if prev is None:
                    raise ValueError("batch REPEAT row without a previous row")
                row = prev
            else:
                row = _ParsedMsg()
                if rowflags & p.BATCH_INFO:
                    row.info1, row.info2, row.info3 = data[pos], data[pos + 1], data[pos + 2]
                    pos += 3
                else:
                    row.info1 = data[pos]
                    pos += 1
                if rowflags & p.BATCH_INFO4:
                    row.info4 = data[pos]
                    pos += 1
                if rowflags & p.BATCH_GEN:
                    (row.generation,) = u16(data, pos)
                    pos += 2
                if rowflags & p.BATCH_TTL:
                    (row.record_ttl,) = u32(data, pos)
                    pos += 4
                n_fields, n_ops = u16(data, pos)[0], u16(data, pos + 2)[0]
                pos = _parse_fields_ops(data, pos + 4, n_fields, n_ops, row)
                prev = row
            row.digest = digest
            rc, gen, void_time, bins = self._batch_row(row, now, batch_filter)
            if rc:
                errors += 1
            out += p.encode_message(rc, gen, void_time, index, bins)
        out += p.last_message(0)
        with self._lock:
            c = self._counters
            c["batch"] = c.get("batch", 0) + 1
            c["batch_rows"] = c.get("batch_rows", 0) + n_rows
            c["commands"] = c.get("commands", 0) + 1
        return p.frame(p.TYPE_MSG, out)

    def _batch_row(self, row: _ParsedMsg, now: int, batch_filter: bytes | None) -> Outcome:
        ns = self.storage.get(row.namespace)
        if ns is None:
            return p.RC_NAMESPACE, 0, 0, None
        try:
            if row.fields:
                self._check_unsupported_fields(row)
            return self._execute(ns, row, now, batch_filter)
        except UnsupportedError as exc:
            self._unsupported(f"{exc} in a batch row")
            return exc.result_code, 0, 0, None
        except ValueError as exc:  # a malformed row (its expression): 4 for this row
            log.warning("malformed batch row (%s): answering parameter error", exc)
            return p.RC_PARAMETER, 0, 0, None

    # -- scan / query ---------------------------------------------------------------

    def _handle_scan(self, msg: _ParsedMsg) -> bytes:
        fields = msg.fields
        for ftype in fields:
            if ftype not in (
                p.FIELD_TASK_ID,
                p.FIELD_SOCKET_TIMEOUT,
                p.FIELD_RPS,
                p.FIELD_PID_ARRAY,
                p.FIELD_DIGEST_ARRAY,
                p.FIELD_MAX_RECORDS,
                p.FIELD_QUERY_BINS,
            ):
                what = p.UNSUPPORTED_FIELDS.get(ftype, f"field {ftype}")
                raise UnsupportedError(f"{what} in a scan/query")
        if msg.info2 & p.INFO2_WRITE:
            raise UnsupportedError("background scan/query writes")
        for op in msg.ops:
            if op[0] != p.OP_READ:
                raise UnsupportedError(f"op {p.OP_NAMES.get(op[0], op[0])} in a scan/query")
        self.count("scan")
        self.count("commands")
        ns = self.storage.get(msg.namespace)
        if ns is None:
            return p.frame(p.TYPE_MSG, p.last_message(p.RC_NAMESPACE))
        set_name = msg.set_name or None
        # partitions to scan: (pid, resume-after digest)
        work: dict[int, bytes | None] = {}
        pids = fields.get(p.FIELD_PID_ARRAY)
        if pids is not None:
            for i in range(0, len(pids) - 1, 2):
                work[pids[i] | (pids[i + 1] << 8)] = None
        digests = fields.get(p.FIELD_DIGEST_ARRAY)
        if digests is not None:
            for i in range(0, len(digests) - 19, 20):
                d = digests[i : i + 20]
                work[p.partition_id(d)] = d
        if pids is None and digests is None:
            work = dict.fromkeys(range(p.N_PARTITIONS))
        max_records = 0
        if p.FIELD_MAX_RECORDS in fields:
            (max_records,) = p.U64.unpack(fields[p.FIELD_MAX_RECORDS][:8])
        nobins = bool(msg.info1 & p.INFO1_NOBINDATA)
        wanted = [op[2] for op in msg.ops if op[2]]
        ns_field = msg.namespace.encode("utf-8")
        now_s = p.now_ms() // 1000
        frames: list[bytes] = []
        chunk = bytearray()
        sent = 0
        # group records by partition once (cheaper than a pass per partition)
        by_pid: dict[int, list[tuple[bytes, Any]]] = {}
        for d, r in ns.live_records(now_s):
            if set_name is not None and r.set_name != set_name:
                continue
            pid = (d[0] | (d[1] << 8)) & 4095
            if pid in work:
                by_pid.setdefault(pid, []).append((d, r))
        for pid in sorted(by_pid):
            after = work[pid]
            recs = sorted(by_pid[pid], key=lambda item: item[0])
            for d, r in recs:
                if after is not None and d <= after:
                    continue
                if max_records and sent >= max_records:
                    break
                rfields = [(p.FIELD_NAMESPACE, ns_field), (p.FIELD_DIGEST, d)]
                if r.set_name:
                    rfields.append((p.FIELD_SET, r.set_name))
                if r.key is not None:
                    rfields.append((p.FIELD_KEY, r.key))
                if nobins:
                    bins = None
                elif wanted:
                    bins = [(n, r.bins[n][0], r.bins[n][1]) for n in wanted if n in r.bins]
                else:
                    bins = [(n, v[0], v[1]) for n, v in r.bins.items()]
                chunk += p.encode_message(0, r.generation, r.void_time, 0, bins, fields=rfields)
                sent += 1
                if len(chunk) >= _SCAN_FRAME_BYTES:
                    frames.append(p.frame(p.TYPE_MSG, chunk))
                    chunk = bytearray()
            if max_records and sent >= max_records:
                break
        chunk += p.last_message(0)
        frames.append(p.frame(p.TYPE_MSG, chunk))
        return b"".join(frames)
