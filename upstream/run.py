"""Run Django's, Flask-Caching's and cachelib's own test suites against our backends.

Started by ``python3 tasks.py upstream`` with ``.venv``'s python. Steps:

1. download the pinned sdists of ``requirements.txt`` (``pip download
   --require-hashes``) into ``.venv/upstream/sdists`` unless they are there with
   the pinned sha256, and unpack them into ``.venv/upstream/src`` (never into
   the repository);
2. install the same versions (and pytest-xprocess, which their conftests
   import) into ``.venv``;
3. start the embedded server, unless ``AEROSPIKE_HOSTS`` names a cluster;
4. copy our harness modules next to their tests (their files stay as shipped)
   and run the suites; print what cannot apply and why; exit non-zero
   on any failure.

The newest Django (``requirements-newest.txt``: 6.1, which needs Python >=
3.12) runs the same way in a virtual environment of its own,
``.venv/upstream/django61``, made with the newest Python 3.12+ that pyenv
(or PATH) provides; none is an error.

Arguments: ``--only django|django61|flask-caching|cachelib`` (repeatable).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / ".venv" / "upstream"
REQUIREMENTS = HERE / "requirements.txt"
NEWEST = HERE / "requirements-newest.txt"
NEWEST_PYTHON = (3, 12)  # the oldest Python the newest Django supports
NEWEST_VENV = WORK / "django61"
# Their conftests import xprocess (for their Redis/memcached fixtures).
TEST_TOOLS = ("pytest-xprocess==1.0.2",)
_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s]+)\s+--hash=sha256:([0-9a-f]{64})\s*$")


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    sha256: str

    @property
    def sdist(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}.tar.gz"

    @property
    def source(self) -> Path:
        return WORK / "src" / f"{self.name.replace('-', '_')}-{self.version}"


def say(message: str) -> None:
    print(f"[upstream] {message}", flush=True)


def read_pins(requirements: Path = REQUIREMENTS) -> dict[str, Pin]:
    pins = {}
    for line in requirements.read_text().splitlines():
        match = _PIN.match(line)
        if match:
            pins[match.group(1)] = Pin(*match.groups())
    return pins


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(pins: dict[str, Pin], requirements: Path = REQUIREMENTS) -> None:
    """Pinned sdists in WORK/sdists, hash-checked; unpacked once into WORK/src."""
    sdists = WORK / "sdists"
    if not all(
        (sdists / p.sdist).exists() and _sha256(sdists / p.sdist) == p.sha256 for p in pins.values()
    ):
        say(f"downloading the pinned sdists ({', '.join(map(str, pins))}), hash-checked")
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps"]
        # only downloaded here: the newest Django's Python need not be this one
        cmd += ["--no-binary", ":all:", "--require-hashes", "--ignore-requires-python"]
        subprocess.run([*cmd, "-r", str(requirements), "-d", str(sdists)], check=True)
    for pin in pins.values():
        got = _sha256(sdists / pin.sdist)
        if got != pin.sha256:
            raise SystemExit(f"{pin.sdist}: sha256 {got} is not the pinned {pin.sha256}")
        if not pin.source.exists():
            _unpack(sdists / pin.sdist, pin.source)


def _unpack(sdist: Path, dest: Path) -> None:
    """Unpack into a scratch directory first, so an interrupted run leaves no half tree."""
    scratch = dest.with_name(dest.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):  # 3.10.12+/3.11.4+: refuse links out of the tree
            tar.extractall(scratch, filter="data")
        else:  # older patch releases
            tar.extractall(scratch)  # a hash-checked sdist
    (scratch / dest.name).rename(dest)
    scratch.rmdir()


def install(pins: dict[str, Pin]) -> None:
    """The pinned versions in this environment: the code their tests were written for."""
    wanted = [f"{p.name}=={p.version}" for p in pins.values()] + list(TEST_TOOLS)
    missing = []
    for spec in wanted:
        name, version = spec.split("==")
        try:
            if metadata.version(name) != version:
                missing.append(spec)
        except metadata.PackageNotFoundError:
            missing.append(spec)
    if missing:
        say(f"installing {' '.join(missing)} into .venv")
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*cmd, *missing], check=True)


@contextmanager
def aerospike() -> Iterator[dict[str, str]]:
    """The environment that points the harnesses at a cluster (embedded unless given)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if env.get("AEROSPIKE_HOSTS", "").strip():
        env.setdefault("AEROSPIKE_NAMESPACE", "test")
        where = f"{env['AEROSPIKE_HOSTS']} (namespace {env['AEROSPIKE_NAMESPACE']})"
        say(f"using the cluster at {where}")
        yield env
        return
    from aerospike_cache.server import EmbeddedServer
    from aerospike_cache.server._engine import NamespaceConfig

    # isolated: a child process, so the suites' client never waits on our GIL
    server = EmbeddedServer(namespaces=[NamespaceConfig("test")], isolated=True).start()
    try:
        env["AEROSPIKE_HOSTS"] = ",".join(f"{h}:{p}" for h, p in server.hosts)
        env["AEROSPIKE_NAMESPACE"] = "test"
        say(f"embedded server on {env['AEROSPIKE_HOSTS']} (set AEROSPIKE_HOSTS to use a cluster)")
        yield env
    finally:
        server.close()


@dataclass
class Outcome:
    suite: str
    code: int
    seconds: float
    failed: list[str] = field(default_factory=list)


# pytest's -rfE summary lines; Django's unittest FAIL/ERROR headers ("FAIL: name (id)")
PYTEST_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)")
DJANGO_FAILED = re.compile(r"^(?:FAIL|ERROR): \w+ \(([\w.]+)\)")


def _run(
    suite: str, cmd: Sequence[str], cwd: Path, env: dict[str, str], failure: re.Pattern[str]
) -> Outcome:
    say(f"{suite}: {' '.join(cmd[1:])}")
    start = time.monotonic()
    failed: list[str] = []
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        print(f"  {suite} | {line.rstrip()}", flush=True)
        match = failure.match(line)
        if match:
            failed.append(match[1])
    code = proc.wait()
    return Outcome(suite, code, time.monotonic() - start, sorted(set(failed)))


def _python_path(env: dict[str, str], *dirs: Path) -> dict[str, str]:
    parts = [str(d) for d in dirs] + [p for p in [env.get("PYTHONPATH", "")] if p]
    return dict(env, PYTHONPATH=os.pathsep.join(parts))


def run_django(pin: Pin, env: dict[str, str], python: str = sys.executable) -> Outcome:
    tests = pin.source / "tests"
    shutil.copy(HERE / "django" / "tests_aerospike.py", tests / "cache" / "tests_aerospike.py")
    env = _python_path(env, HERE, HERE / "django")
    cmd = [python, str(tests / "runtests.py"), "cache.tests_aerospike"]
    cmd += ["--settings=aerospike_settings", "--parallel=1", "--noinput", "-v", "2"]
    return _run(f"django {pin.version}", cmd, tests, env, DJANGO_FAILED)


def newest_python() -> str:
    """The newest Python >= NEWEST_PYTHON that pyenv (as tasks.py finds them) or PATH has."""
    sys.path.insert(0, str(ROOT))
    from tasks import pyenv_pythons

    found = {name: str(exe) for name, exe in pyenv_pythons().items()}
    for minor in range(20, NEWEST_PYTHON[1] - 1, -1):
        name = f"python3.{minor}"
        for candidate in (found.get(name), shutil.which(name)):
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            if candidate and subprocess.run([candidate, "-c", ""], **quiet).returncode == 0:
                return candidate
    raise SystemExit(
        f"[upstream] the newest Django needs Python >= {'.'.join(map(str, NEWEST_PYTHON))}: "
        "install one with pyenv (pyenv install 3.13) or put python3.12+ on PATH"
    )


def newest_venv(pin: Pin) -> str:
    """``.venv/upstream/django61``: this package (editable) and the pinned Django, once."""
    python = NEWEST_VENV / "bin" / "python"
    stamp = NEWEST_VENV / ".installed"
    want = f"{pin.name}=={pin.version} {_sha256(ROOT / 'pyproject.toml')}"
    if python.exists() and stamp.exists() and stamp.read_text() == want:
        return str(python)
    base = newest_python()
    say(f"making {NEWEST_VENV.relative_to(ROOT)} with {base} for Django {pin.version}")
    shutil.rmtree(NEWEST_VENV, ignore_errors=True)
    subprocess.run([base, "-m", "venv", str(NEWEST_VENV)], check=True)
    cmd = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*cmd, "-e", str(ROOT), f"{pin.name}=={pin.version}"], check=True)
    stamp.write_text(want)
    return str(python)


def run_django_newest(pin: Pin, env: dict[str, str]) -> Outcome:
    return run_django(pin, env, newest_venv(pin))


def _pytest(pin: Pin, *args: str) -> list[str]:
    # their own pyproject.toml configures pytest (rootdir: the unpacked sdist)
    return [sys.executable, "-m", "pytest", "-q", "-rfEs", "-p", "no:cacheprovider", *args]


def run_flask_caching(pin: Pin, env: dict[str, str]) -> Outcome:
    shutil.copy(HERE / "flask_caching" / "test_aerospike_backend.py", pin.source / "tests")
    env = _python_path(env, HERE, HERE / "flask_caching")
    # pytest-asyncio (theirs too) warns when this is unset, and their config makes warnings errors
    cmd = _pytest(
        pin, "-p", "aerospike_plugin", "-o", "asyncio_default_fixture_loop_scope=function"
    )
    return _run("flask-caching", [*cmd, "tests"], pin.source, env, PYTEST_FAILED)


def run_cachelib(pin: Pin, env: dict[str, str]) -> Outcome:
    shutil.copy(HERE / "cachelib" / "test_aerospike_cache.py", pin.source / "tests")
    env = _python_path(env, HERE)
    cmd = _pytest(pin, "-p", "no:asyncio")  # not theirs: its config warning would be an error
    tests = "tests/test_aerospike_cache.py"
    return _run("cachelib", [*cmd, tests], pin.source, env, PYTEST_FAILED)


SUITES = {
    "django": ("django", run_django),
    "django61": ("django", run_django_newest),
    "flask-caching": ("flask-caching", run_flask_caching),
    "cachelib": ("cachelib", run_cachelib),
}


def report(outcomes: list[Outcome]) -> int:
    sys.path.insert(0, str(HERE))
    from not_applicable import CACHELIB, DJANGO, FLASK_CACHING

    print("\n[upstream] not run on our backend, because they cannot apply to a shared cache:")
    for suite, table in (
        ("django", DJANGO),
        ("flask-caching", FLASK_CACHING),
        ("cachelib", CACHELIB),
    ):
        for test, reason in table.items():
            print(f"  {suite}: {test}\n      {reason}")
    print(
        "  flask-caching: tests of the Redis and memcached backends (deselected: other backends),\n"
        "      and test_py314_annotations.py (skips itself below Python 3.14)"
    )
    print("\n[upstream] results:")
    for out in outcomes:
        status = "ok" if out.code == 0 else f"FAILED (exit {out.code})"
        print(f"  {out.suite:<14} {status}  {out.seconds:.0f}s")
        for test in out.failed:
            print(f"      failed: {test}")
    return 0 if all(out.code == 0 for out in outcomes) else 1


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python3 tasks.py upstream", description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(SUITES), default=[])
    opts = parser.parse_args(argv)
    pins, newest = read_pins(), read_pins(NEWEST)
    fetch(pins)
    fetch(newest, NEWEST)
    install(pins)
    outcomes = []
    with aerospike() as env:
        for name in opts.only or list(SUITES):
            package, runner = SUITES[name]
            outcomes.append(runner((newest if runner is run_django_newest else pins)[package], env))
    return report(outcomes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
