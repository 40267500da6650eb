"""Isolated mode: embedded nodes in a child process, driven over stdin/stdout.

The parent (:class:`RemoteProcess`) sends one JSON object per line
``{"op": name, "args": [...], "node": index}`` and reads one JSON line back:
``{"ok": result}`` or ``{"error": message}``. The child first answers
``{"ok": {"ports": [...], "names": [...]}}`` once its nodes listen. It ends
when its stdin closes, so it never outlives the test process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from ._engine import NamespaceConfig
from ._faults import Controls

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def namespace_args(configs: Sequence[NamespaceConfig]) -> list[str]:
    """``--namespace`` options that rebuild ``configs`` in the child."""
    args = []
    for cfg in configs:
        options = ",".join(f"{k}={v}" for k, v in cfg.options().items())
        args += ["--namespace", f"{cfg.name}:{options}"]
    return args


def _kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=5)


class RemoteProcess:
    """Parent side: the child process running one node or a cluster."""

    def __init__(self, args: list[str]) -> None:
        cmd = [sys.executable, "-m", "aerospike_cache.server", "--control-stdio", *args]
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
        hello = self._read()["ok"]
        self.ports: list[int] = [int(port) for port in hello["ports"]]
        self.names: list[str] = list(hello["names"])

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

    def call(self, op: str, *args: Any, node: int = 0) -> Any:
        request = json.dumps({"op": op, "args": list(args), "node": node})
        with self._lock:
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.write(request + "\n")
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


class RemoteControls:
    """The :class:`Controls` of node ``index`` of a :class:`RemoteProcess`."""

    def __init__(self, process: RemoteProcess, index: int = 0) -> None:
        self.process = process
        self.index = index

    def _call(self, op: str, *args: Any) -> Any:
        return self.process.call(op, *args, node=self.index)

    def start(self) -> int:
        port: int = self._call("start")
        return port

    def stop(self) -> None:
        self._call("stop")

    def close(self) -> None:
        self.process.close()

    def clear(self) -> None:
        self._call("clear")

    def counters(self) -> dict[str, int]:
        result: dict[str, int] = self._call("counters")
        return result

    def reset_counters(self) -> None:
        self._call("reset_counters")

    def connection_count(self) -> int:
        count: int = self._call("connection_count")
        return count

    def unknown_info_commands(self) -> list[str]:
        lines: list[str] = self._call("unknown_info_commands")
        return lines

    def unsupported_requests(self) -> list[str]:
        lines: list[str] = self._call("unsupported_requests")
        return lines

    def set_delay(self, ms: float, include_info: bool) -> None:
        self._call("set_delay", ms, include_info)

    def fail_next(self, n: int, result_code: int) -> None:
        self._call("fail_next", n, result_code)

    def drop_next(self, n: int) -> None:
        self._call("drop_next", n)

    def clear_faults(self) -> None:
        self._call("clear_faults")

    def drop_connections(self) -> None:
        self._call("drop_connections")

    def run_nsup(self) -> dict[str, list[int]]:
        done: dict[str, list[int]] = self._call("run_nsup")
        return done


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
        "run_nsup": controls.run_nsup,
    }


def serve_control(
    nodes: Sequence[tuple[str, Controls]],
    stdin: IO[str],
    stdout: IO[str],
    where: str = "",
    node_ops: Mapping[str, Callable[[int], Any]] | None = None,
) -> int:
    """Child side: start the nodes, then obey commands until stdin closes (or ``close``).

    ``nodes`` = (name, controls) per node; ``node_ops`` = extra operations that
    take the node's index (a cluster's ``kill`` and ``restart``).
    """

    def reply(obj: dict[str, Any]) -> None:
        stdout.write(json.dumps(obj) + "\n")
        stdout.flush()

    try:
        ports = [controls.start() for _name, controls in nodes]
    except OSError as exc:
        reply({"error": f"cannot listen on {where}: {exc}"})
        return 1
    reply({"ok": {"ports": ports, "names": [name for name, _c in nodes]}})
    handlers = [_handlers(controls) for _name, controls in nodes]
    try:
        for line in stdin:
            request = json.loads(line)
            op = request.get("op")
            if op == "close":
                break
            reply(_obey(handlers, node_ops or {}, op, request))
    finally:
        for _name, controls in nodes:
            controls.stop()
    return 0


def _obey(
    handlers: list[dict[str, Callable[..., Any]]],
    node_ops: Mapping[str, Callable[[int], Any]],
    op: str,
    request: dict[str, Any],
) -> dict[str, Any]:
    index = int(request.get("node", 0))
    if not 0 <= index < len(handlers):
        return {"error": f"no node {index}"}
    if op in node_ops:
        return {"ok": node_ops[op](index)}
    handler = handlers[index].get(op)
    if handler is None:
        return {"error": f"unknown control op {op!r}"}
    try:
        return {"ok": handler(*request.get("args", []))}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
