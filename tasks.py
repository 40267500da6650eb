#!/usr/bin/env python3
"""The one entry point of this repository: python3 tasks.py <task> [args].

Standard library only, so that it runs with nothing but Python 3 and pip:

    python3 tasks.py demo [django|flask] [--port 8000]   run an example site on Aerospike
    python3 tasks.py test [pytest args]                  the whole test suite
    python3 tasks.py lint                                ruff check + ruff format --check
    python3 tasks.py types                               mypy --strict on the package
    python3 tasks.py tox [tox args]                      the tox matrix (Django 4.2 to 6.1 on
                                                         Python 3.10 to 3.13, pyenv's found)
    python3 tasks.py bench [args]                        benchmarks/run.py
    python3 tasks.py reliability [args]                  benchmarks/reliability.py
    python3 tasks.py load [--quick] [args]               HTTP load on the example sites under
                                                         gunicorn/uvicorn: ours vs Redis vs none
    python3 tasks.py upstream [--only SUITE]             Django's (5.2 and 6.1), Flask-Caching's
                                                         and cachelib's own tests on our
                                                         backends (upstream/)

Every task first makes sure ``.venv`` exists (``python3 -m venv .venv``) and
has this package installed in editable mode with the extras it needs. The
install is skipped when nothing changed since the last one (a stamp in
``.venv`` records the hash of pyproject.toml and the extras installed).

``demo`` starts the embedded Aerospike-compatible server unless
``AEROSPIKE_HOSTS`` ("host:port,...") points at a real cluster (namespace in
``AEROSPIKE_NAMESPACE``, default ``cache``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".aerospike-cache-install.json"
EXAMPLES = ROOT / "example_projects"

TEST_EXTRAS = ("dev", "django", "flask", "rust-clients", "integrations", "deploy")
LOAD_EXTRAS = ("django", "flask", "deploy", "redis")
DEMO_EXTRAS = ("django", "flask", "msgpack")

MIN_PYTHON = (3, 10)


# -- output -------------------------------------------------------------------


def say(message: str) -> None:
    print(f"[tasks] {message}", flush=True)


def fail(message: str, code: int = 1) -> int:
    print(f"[tasks] error: {message}", file=sys.stderr, flush=True)
    return code


class TaskError(Exception):
    """A failure with a message for the user (no traceback)."""


# -- the virtual environment --------------------------------------------------


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def venv_bin(name: str) -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / f"{name}.exe"
    return VENV / "bin" / name


def run(cmd: Sequence[str | os.PathLike[str]], **kwargs: object) -> int:
    """Run a command in the repository root, return its exit code."""
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, **kwargs)  # type: ignore[arg-type]


def _pyproject_hash() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def _read_stamp() -> dict[str, object]:
    try:
        data = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def create_venv() -> None:
    if sys.version_info < MIN_PYTHON:
        raise TaskError(
            f"Python {'.'.join(map(str, MIN_PYTHON))} or newer is needed, this is "
            f"{sys.version.split()[0]}: run tasks.py with a newer python3"
        )
    say(f"creating {VENV.relative_to(ROOT)} with {sys.executable}")
    code = subprocess.call([sys.executable, "-m", "venv", str(VENV)], cwd=ROOT)
    if code != 0 or not venv_python().exists():
        shutil.rmtree(VENV, ignore_errors=True)
        raise TaskError(
            "could not create the virtual environment (python3 -m venv failed).\n"
            "  On Debian/Ubuntu the venv module and ensurepip come in a separate package:\n"
            "      sudo apt-get install python3-venv\n"
            "  then run this command again."
        )


def ensure_venv(extras: Sequence[str]) -> Path:
    """Make sure .venv exists and has ``-e .[extras]`` installed; return its python."""
    if not venv_python().exists():
        create_venv()
    stamp = _read_stamp()
    wanted = set(extras)
    installed = set(stamp.get("extras", []) or [])  # type: ignore[call-overload]
    up_to_date = (
        stamp.get("pyproject") == _pyproject_hash()
        and stamp.get("python") == str(venv_python())
        and wanted <= installed
    )
    if up_to_date:
        return venv_python()
    if stamp.get("pyproject") == _pyproject_hash():
        wanted |= installed  # keep what is there, add what is missing
    spec = f".[{','.join(sorted(wanted))}]" if wanted else "."
    say(f"installing -e {spec} into .venv (once; skipped while pyproject.toml is unchanged)")
    quiet = [] if os.environ.get("TASKS_VERBOSE") else ["-q"]
    code = run(
        [venv_python(), "-m", "pip", "install", *quiet, "--disable-pip-version-check", "-e", spec]
    )
    if code != 0:
        STAMP.unlink(missing_ok=True)
        raise TaskError(f"pip install -e {spec} failed (exit {code}); see pip's output above")
    STAMP.write_text(
        json.dumps(
            {
                "pyproject": _pyproject_hash(),
                "extras": sorted(wanted),
                "python": str(venv_python()),
            }
        )
    )
    return venv_python()


# -- test, lint, types, tox, bench --------------------------------------------


def task_test(args: Sequence[str]) -> int:
    python = ensure_venv(TEST_EXTRAS)
    # pyproject.toml's testpaths = ["tests"]: the whole suite, examples' smoke tests included.
    cmd = [python, "-m", "pytest", "-q", *args]
    say("running " + " ".join(str(c) for c in cmd[1:]))
    code = run(cmd)
    if code == 5:
        return fail("pytest collected no tests (exit 5): treated as a failure")
    return code


def task_lint(args: Sequence[str]) -> int:
    python = ensure_venv(TEST_EXTRAS)
    say("ruff check .")
    code = run([python, "-m", "ruff", "check", *args, "."])
    say("ruff format --check .")
    code2 = run([python, "-m", "ruff", "format", "--check", "."])
    if code2 != 0:
        say("to fix the formatting: .venv/bin/ruff format .")
    return code or code2


def task_types(args: Sequence[str]) -> int:
    python = ensure_venv(TEST_EXTRAS)
    say("mypy (strict) aerospike_cache")
    return run([python, "-m", "mypy", *args, "-p", "aerospike_cache"])


def _line(name: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", name))


def pyenv_pythons() -> dict[str, Path]:
    """The newest pyenv CPython of each 3.x line: ``{"python3.13": .../3.13.0/bin/python3.13}``."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    newest: dict[str, tuple[int, Path]] = {}
    for home in root.glob("3.*.*"):
        match = re.fullmatch(r"3\.(\d+)\.(\d+)", home.name)  # not 3.13.0t, 3.14-dev...
        if not match:
            continue
        exe, patch = home / "bin" / f"python3.{match[1]}", int(match[2])
        if exe.is_file() and patch > newest.get(exe.name, (-1, exe))[0]:
            newest[exe.name] = (patch, exe)
    return {name: exe for name, (_, exe) in newest.items()}


def task_tox(args: Sequence[str]) -> int:
    """tox, with pyenv's interpreters on PATH as ``python3.X`` (and nothing else of theirs).

    pyenv's shims answer ``python3.X`` only for the selected version, so tox
    would miss the others; small launchers of the interpreters themselves,
    first on PATH, let it find every line (tox.ini makes a missing one an
    error). Launchers, not symlinks: an interpreter started through a link
    outside its prefix reports the link as its executable, which virtualenv
    cannot place in its installation.
    """
    python = ensure_venv(TEST_EXTRAS)
    launchers = VENV / "pythons"
    shutil.rmtree(launchers, ignore_errors=True)
    launchers.mkdir()
    found = pyenv_pythons()
    for name, exe in found.items():
        launcher = launchers / name
        launcher.write_text(f'#!/bin/sh\nexec "{exe}" "$@"\n')
        launcher.chmod(0o755)
    if found:
        say("pyenv interpreters for tox: " + ", ".join(sorted(found, key=_line)))
    env = dict(os.environ, PATH=os.pathsep.join([str(launchers), os.environ.get("PATH", "")]))
    return run([python, "-m", "tox", *args], env=env)


def task_bench(args: Sequence[str]) -> int:
    python = ensure_venv(TEST_EXTRAS)
    return run([python, ROOT / "benchmarks" / "run.py", *args])


def task_reliability(args: Sequence[str]) -> int:
    """The fault scenarios with their figures (exits non-zero if an outcome is violated)."""
    python = ensure_venv(TEST_EXTRAS)
    ensure_debian_tools({"wrk": "wrk"})  # the kill-under-HTTP-load scenario
    return run([python, ROOT / "benchmarks" / "reliability.py", *args])


def ensure_debian_tools(tools: dict[str, str]) -> list[str]:
    """Install the missing ``{command: Debian package}`` with apt-get; return what is still missing.

    As root, or through ``sudo -n`` (never a password prompt); otherwise, and
    on a system without apt-get, one line says what to install by hand.
    """
    missing = {cmd: pkg for cmd, pkg in tools.items() if shutil.which(cmd) is None}
    if not missing:
        return []
    packages = sorted(set(missing.values()))
    apt = shutil.which("apt-get")
    prefix: list[str] | None = None
    if apt is not None and hasattr(os, "geteuid") and os.geteuid() == 0:
        prefix = []
    elif (
        apt is not None
        and shutil.which("sudo") is not None
        and subprocess.call(["sudo", "-n", "true"], stderr=subprocess.DEVNULL) == 0
    ):
        prefix = ["sudo", "-n"]
    if prefix is None:
        say(
            f"{', '.join(packages)} not installed and cannot be installed here (needs apt-get "
            f"as root or password-less sudo): install {' '.join(packages)} by hand"
        )
        return sorted(missing)
    say(f"installing {' '.join(packages)} from Debian's packages (apt-get, once)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    quiet = subprocess.DEVNULL if not os.environ.get("TASKS_VERBOSE") else None
    install = [*prefix, apt, "install", "-y", "-q", "--no-install-recommends", *packages]
    if subprocess.call(install, env=env, stdout=quiet) != 0:
        # a fresh machine's package lists may be empty or stale: update once, then retry
        subprocess.call([*prefix, apt, "update", "-q"], env=env, stdout=quiet)
        subprocess.call(install, env=env, stdout=quiet)
    still = sorted(cmd for cmd in missing if shutil.which(cmd) is None)
    if still:
        say(f"apt-get could not install {' '.join(missing[c] for c in still)}")
    return still


def task_load(args: Sequence[str]) -> int:
    """HTTP load on the example sites (benchmarks/http_load.py): wrk, gunicorn/uvicorn, Redis."""
    python = ensure_venv(LOAD_EXTRAS)
    missing = ensure_debian_tools({"wrk": "wrk", "redis-server": "redis-server"})
    if "wrk" in missing:
        return fail("wrk is needed to drive the load (Debian package wrk)")
    if "redis-server" in missing:
        say("redis-server missing: the Redis rows are skipped")
    return run([python, ROOT / "benchmarks" / "http_load.py", *args])


def task_upstream(args: Sequence[str]) -> int:
    """The frameworks' own test suites against our backends (see upstream/README.md)."""
    python = ensure_venv(TEST_EXTRAS)
    return run([python, ROOT / "upstream" / "run.py", *args])


# -- demo ---------------------------------------------------------------------

_LISTENING = re.compile(r"listening on \[?([0-9A-Za-z_.:-]+?)\]?:(\d+)")


class Child:
    """A child process whose output is echoed with a prefix, stopped gently."""

    def __init__(
        self, name: str, cmd: Sequence[str | os.PathLike[str]], env: dict[str, str]
    ) -> None:
        self.name = name
        self.lines: list[str] = []
        self.event = threading.Event()
        self.proc = subprocess.Popen(
            [str(c) for c in cmd],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            # Own process group: Ctrl-C reaches tasks.py only, which stops
            # the children in order (site first, then the server).
            start_new_session=True,
        )
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            self.event.set()
            print(f"  {self.name} | {line.rstrip()}", flush=True)
        self.event.set()

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            while seen < len(self.lines):
                match = pattern.search(self.lines[seen])
                seen += 1
                if match:
                    return match
            if self.proc.poll() is not None and seen >= len(self.lines):
                self.thread.join(1)
                if seen >= len(self.lines):
                    raise TaskError(f"{self.name} exited with code {self.proc.returncode}")
                continue
            self.event.wait(0.2)
            self.event.clear()
        raise TaskError(f"{self.name} did not start within {timeout:.0f}s")

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError, AttributeError):
            self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            say(f"{self.name} did not stop within {timeout:.0f}s: killing it")
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, AttributeError):
                self.proc.kill()
            self.proc.wait()
        self.thread.join(2)


def _wait_listening(host: str, port: int, child: Child, timeout: float) -> None:
    """Wait until the site accepts connections (no HTTP request: it would fill the cache)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            raise TaskError(f"{child.name} exited with code {child.proc.returncode}")
        try:
            socket.create_connection((host, port), timeout=2).close()
            return
        except OSError:
            time.sleep(0.3)
    raise TaskError(f"{child.name} did not listen on {host}:{port} within {timeout:.0f}s")


def _site_command(python: Path, site: str, host: str, port: int) -> list[str | Path]:
    if site == "django":
        manage = EXAMPLES / "django_site" / "manage.py"
        return [python, manage, "runserver", f"{host}:{port}", "--noreload"]
    return [python, EXAMPLES / "flask_app" / "app.py", "--host", host, "--port", str(port)]


def task_demo(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 tasks.py demo", description="Run an example site on Aerospike."
    )
    parser.add_argument("site", nargs="?", default="django", choices=["django", "flask"])
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    parser.add_argument(
        "--aerospike-port",
        type=int,
        default=0,
        help="port of the embedded Aerospike server (default: a free one)",
    )
    opts = parser.parse_args(argv)
    python = ensure_venv(DEMO_EXTRAS)

    env = dict(os.environ, PYTHONUNBUFFERED="1")
    children: list[Child] = []

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        if env.get("AEROSPIKE_HOSTS"):
            env.setdefault("AEROSPIKE_NAMESPACE", "cache")
            say(
                f"using the Aerospike cluster at {env['AEROSPIKE_HOSTS']} "
                f"(namespace {env['AEROSPIKE_NAMESPACE']})"
            )
        else:
            say("starting the embedded Aerospike server (set AEROSPIKE_HOSTS to use a cluster)")
            server = Child(
                "aerospike",
                [
                    python,
                    "-m",
                    "aerospike_cache.server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(opts.aerospike_port),
                    "--namespace",
                    "cache",
                ],
                env,
            )
            children.append(server)
            match = server.wait_for(_LISTENING, timeout=30)
            env["AEROSPIKE_HOSTS"] = f"{match.group(1)}:{match.group(2)}"
            env["AEROSPIKE_NAMESPACE"] = "cache"

        url = f"http://{opts.host}:{opts.port}/"
        say(f"starting the {opts.site} example site on {url}")
        site = Child(opts.site, _site_command(python, opts.site, opts.host, opts.port), env)
        children.append(site)
        _wait_listening(opts.host, opts.port, site, timeout=60)
        print(
            "\n"
            f"  The {opts.site} example is running at {url}\n"
            "\n"
            "  Open it, then reload: the footer of each page and the X-Cache response\n"
            "  header say whether it was served from Aerospike (hit) or rendered (miss).\n"
            "      curl -sI " + url + " | grep -i x-cache\n"
            "  Product pages show a fragment cache, a get_or_set computation, a view\n"
            "  counter (incr) and a cache-backed session ('recently viewed').\n"
            "\n"
            "  Press Ctrl-C to stop.\n",
            flush=True,
        )
        while all(child.proc.poll() is None for child in children):
            time.sleep(0.5)
        dead = next(child for child in children if child.proc.poll() is not None)
        return fail(f"{dead.name} exited unexpectedly with code {dead.proc.returncode}")
    except KeyboardInterrupt:
        print(flush=True)
        say("stopping")
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for child in reversed(children):
            child.stop()
        if children:
            say("stopped")


# -- main ---------------------------------------------------------------------

TASKS = {
    "demo": task_demo,
    "test": task_test,
    "lint": task_lint,
    "types": task_types,
    "tox": task_tox,
    "bench": task_bench,
    "reliability": task_reliability,
    "load": task_load,
    "upstream": task_upstream,
}


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    task = TASKS.get(argv[0])
    if task is None:
        return fail(f"unknown task {argv[0]!r}; tasks: {', '.join(TASKS)}", 2)
    try:
        return task(list(argv[1:]))
    except TaskError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted", 130)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
