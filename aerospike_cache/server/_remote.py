"""Isolated mode: the embedded server in a child process, driven over stdin/stdout.

The parent (:class:`RemoteServer`) sends one JSON object per line
``{"op": name, "args": [...]}`` and reads one JSON line back:
``{"ok": result}`` or ``{"error": message}``. The child ends when its stdin
closes, so it never outlives the test process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._server import EmbeddedServer

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])

#: operations the child accepts (all public EmbeddedServer controls)
CONTROL_OPS = (
    "start",
    "stop",
    "clear",
    "counters",
    "reset_counters",
    "connection_count",
    "unknown_info_commands",
    "unsupported_requests",
    "set_delay",
    "fail_next",
    "drop_next",
    "clear_faults",
    "drop_connections",
    "close",
)


def _namespace_spec(server: EmbeddedServer) -> list[str]:
    args = []
    for cfg in server.namespace_configs.values():
        args += [
            "--namespace",
            f"{cfg.name}:nsup-period={cfg.nsup_period},default-ttl={cfg.default_ttl},"
            f"allow-ttl-without-nsup={str(cfg.allow_ttl_without_nsup).lower()},"
            f"max-record-size={cfg.max_record_size}",
        ]
    return args


def _kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=5)


class RemoteServer:
    """Parent side of an isolated embedded server."""

    def __init__(self, server: EmbeddedServer) -> None:
        cmd = [
            sys.executable,
            "-m",
            "aerospike_cache.server",
            "--control-stdio",
            "--host",
            server.host,
            "--port",
            str(server.port),
            "--node-name",
            server.node_name,
            *_namespace_spec(server),
        ]
        if server.cluster_name:
            cmd += ["--cluster-name", server.cluster_name]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p
        )
        self._lock = threading.Lock()
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            bufsize=1,
        )
        self._finalizer = weakref.finalize(self, _kill, self._proc)
        hello = self._read()
        self.port: int = int(hello["ok"])

    def _read(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait(timeout=5)
            raise RuntimeError(f"embedded server process exited (code {code})")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"embedded server process: {reply['error']}")
        return reply

    def call(self, op: str, *args: Any) -> Any:
        with self._lock:
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.write(json.dumps({"op": op, "args": list(args)}) + "\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, ValueError) as exc:
                raise RuntimeError("embedded server process is gone") from exc
            return self._read()["ok"]

    def close(self) -> None:
        with self._lock:
            if self._proc.poll() is None:
                try:
                    assert self._proc.stdin is not None
                    self._proc.stdin.write(json.dumps({"op": "close", "args": []}) + "\n")
                    self._proc.stdin.close()
                    self._proc.wait(timeout=10)
                except (OSError, ValueError, subprocess.TimeoutExpired):
                    pass
            self._finalizer()
            if self._proc.stdout is not None:
                self._proc.stdout.close()


def serve_control(server: EmbeddedServer, stdin: IO[str], stdout: IO[str]) -> int:
    """Child side: start ``server``, then obey commands until stdin closes."""

    def reply(obj: dict[str, Any]) -> None:
        stdout.write(json.dumps(obj) + "\n")
        stdout.flush()

    try:
        server.start()
    except OSError as exc:
        reply({"error": f"cannot listen on {server.host}:{server.port}: {exc}"})
        return 1
    reply({"ok": server.port})
    try:
        for line in stdin:
            request = json.loads(line)
            op = request.get("op")
            args = request.get("args", [])
            if op not in CONTROL_OPS:
                reply({"error": f"unknown control op {op!r}"})
                continue
            if op == "close":
                break
            try:
                if op == "start":
                    server.start()
                    result: Any = server.port
                elif op == "set_delay":
                    server.set_delay(args[0], include_info=bool(args[1]))
                    result = None
                else:
                    attr = getattr(server, op)
                    result = attr(*args) if callable(attr) else attr
            except Exception as exc:
                reply({"error": f"{type(exc).__name__}: {exc}"})
                continue
            reply({"ok": result})
    finally:
        server.stop()
    return 0
