"""Isolated mode: the embedded server in a child process, driven over stdin/stdout.

The parent (:class:`RemoteControls`) sends one JSON object per line
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
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ._engine import NamespaceConfig
from ._faults import Controls

if TYPE_CHECKING:
    from ._node import Node

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def _namespace_spec(configs: list[NamespaceConfig]) -> list[str]:
    args = []
    for cfg in configs:
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


class RemoteControls:
    """Parent side of an isolated embedded server (the remote :class:`Controls`)."""

    def __init__(self, node: Node, configs: list[NamespaceConfig]) -> None:
        cmd = [
            sys.executable,
            "-m",
            "aerospike_cache.server",
            "--control-stdio",
            "--host",
            node.host,
            "--port",
            str(node.port),
            "--node-name",
            node.name,
            *_namespace_spec(configs),
        ]
        if node.cluster_name:
            cmd += ["--cluster-name", node.cluster_name]
        cmd += ["--edition", node.edition]
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

    # -- Controls ------------------------------------------------------------------

    def start(self) -> int:
        port: int = self.call("start")
        return port

    def stop(self) -> None:
        self.call("stop")

    def clear(self) -> None:
        self.call("clear")

    def counters(self) -> dict[str, int]:
        result: dict[str, int] = self.call("counters")
        return result

    def reset_counters(self) -> None:
        self.call("reset_counters")

    def connection_count(self) -> int:
        count: int = self.call("connection_count")
        return count

    def unknown_info_commands(self) -> list[str]:
        lines: list[str] = self.call("unknown_info_commands")
        return lines

    def unsupported_requests(self) -> list[str]:
        lines: list[str] = self.call("unsupported_requests")
        return lines

    def set_delay(self, ms: float, include_info: bool) -> None:
        self.call("set_delay", ms, include_info)

    def fail_next(self, n: int, result_code: int) -> None:
        self.call("fail_next", n, result_code)

    def drop_next(self, n: int) -> None:
        self.call("drop_next", n)

    def clear_faults(self) -> None:
        self.call("clear_faults")

    def drop_connections(self) -> None:
        self.call("drop_connections")

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


def _handlers(controls: Controls) -> dict[str, Callable[..., Any]]:
    """Control op name -> the local implementation (the child side of each call)."""
    return {
        "start": controls.start,
        "stop": controls.stop,
        "clear": controls.clear,
        "counters": controls.counters,
        "reset_counters": controls.reset_counters,
        "connection_count": controls.connection_count,
        "unknown_info_commands": controls.unknown_info_commands,
        "unsupported_requests": controls.unsupported_requests,
        "set_delay": controls.set_delay,
        "fail_next": controls.fail_next,
        "drop_next": controls.drop_next,
        "clear_faults": controls.clear_faults,
        "drop_connections": controls.drop_connections,
    }


def serve_control(controls: Controls, stdin: IO[str], stdout: IO[str], where: str = "") -> int:
    """Child side: start the node, then obey commands until stdin closes (or ``close``)."""

    def reply(obj: dict[str, Any]) -> None:
        stdout.write(json.dumps(obj) + "\n")
        stdout.flush()

    try:
        port = controls.start()
    except OSError as exc:
        reply({"error": f"cannot listen on {where}: {exc}"})
        return 1
    reply({"ok": port})
    handlers = _handlers(controls)
    try:
        for line in stdin:
            request = json.loads(line)
            op = request.get("op")
            if op == "close":
                break
            handler = handlers.get(op)
            if handler is None:
                reply({"error": f"unknown control op {op!r}"})
                continue
            try:
                result = handler(*request.get("args", []))
            except Exception as exc:
                reply({"error": f"{type(exc).__name__}: {exc}"})
                continue
            reply({"ok": result})
    finally:
        controls.stop()
    return 0
