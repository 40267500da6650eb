"""The example sites as deployed: gunicorn's pre-forked workers (``--preload``) and uvicorn.

Each site runs under the real server (``python -m gunicorn -c
../gunicorn.conf.py``, ``python -m uvicorn``) on the test server (or the
cluster of ``AEROSPIKE_HOSTS``), in a set of its own, and is driven over real
HTTP. ``/_probe/`` (example_projects/django_site/catalogue/probe.py) says
which worker answered, with which client and sockets.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("gunicorn", reason="the deploy extra: pip install -e .[deploy]")

EXAMPLES = Path(__file__).resolve().parents[2] / "example_projects"
WORKERS = 3
NEAR_TTL = 1.0  # the Django example's near cache (AEROSPIKE_NEAR_CACHE_TTL)
HOLD = 0.4  # seconds each fan-out probe keeps its worker busy

_spec = importlib.util.spec_from_file_location(
    "example_probe", EXAMPLES / "django_site" / "catalogue" / "probe.py"
)
assert _spec is not None and _spec.loader is not None
probe_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(probe_module)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Deployed:
    """A site under gunicorn or uvicorn: its master process and base URL."""

    def __init__(self, proc: subprocess.Popen[str], base: str, ports: set[int]) -> None:
        self.proc = proc
        self.base = base
        self.ports = ports  # the Aerospike ports of its LOCATION

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        with urllib.request.urlopen(self.base + path, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()

    def probe(self, query: str = "") -> dict[str, Any]:
        _, _, body = self.get("/_probe/?" + query)
        answer: dict[str, Any] = json.loads(body)
        return answer

    def workers(self) -> set[int]:
        pids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.add(int(stat.parent.name))
        return pids

    def fan_out(self, query: str) -> dict[int, dict[str, Any]]:
        """One probe answered by each worker: concurrent probes that hold their worker."""
        wanted = self.workers()
        assert len(wanted) == WORKERS, f"gunicorn has {len(wanted)} workers"
        seen: dict[int, dict[str, Any]] = {}
        for _ in range(6):  # a worker may take two probes in a round: go again
            with ThreadPoolExecutor(WORKERS) as pool:
                answers = list(pool.map(self.probe, [f"{query}&hold={HOLD}"] * WORKERS))
            for answer in answers:
                seen.setdefault(answer["pid"], answer)
            if set(seen) >= wanted:
                return seen
        pytest.fail(f"probes reached workers {sorted(seen)} of {sorted(wanted)}")


@pytest.fixture
def deploy(aerospike_server: Any, aerospike_set: str) -> Iterator[Callable[..., Deployed]]:
    """Start a site under gunicorn or uvicorn; every one started is stopped at the end."""
    started: list[subprocess.Popen[str]] = []
    hosts = ",".join(f"{h[0]}:{h[1]}" for h in aerospike_server.hosts)

    def start(site: str, server: str = "gunicorn", preload: bool = True, **extra: str) -> Deployed:
        port = _free_port()
        env = dict(
            os.environ,
            **extra,
            AEROSPIKE_HOSTS=hosts,
            AEROSPIKE_NAMESPACE=aerospike_server.namespace,
            AEROSPIKE_SET=aerospike_set,  # one site per test
            CACHE_WARM_UP="1",  # the master connects before forking (--preload)
            DJANGO_DEBUG="0",
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS=str(WORKERS),
            PYTHONUNBUFFERED="1",
        )
        env.pop("DJANGO_SETTINGS_MODULE", None)
        cwd = EXAMPLES / ("django_site" if site == "django" else "flask_app")
        if server == "uvicorn":
            cmd = [sys.executable, "-m", "uvicorn", "catalogue_site.asgi:application"]
            cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        else:
            app = "catalogue_site.wsgi" if site == "django" else "app:create_app()"
            cmd = [sys.executable, "-m", "gunicorn", "-c", "../gunicorn.conf.py", app]
            cmd += ["--preload"] if preload else []
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        started.append(proc)
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"{server} exited with {proc.returncode}:\n{out}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{server} did not listen on {port} within 60 s")
                time.sleep(0.2)
        ports = {h[1] for h in aerospike_server.hosts}
        deployed = Deployed(proc, f"http://127.0.0.1:{port}", ports)
        # gunicorn listens before its workers are all forked: wait for them
        while server == "gunicorn" and len(deployed.workers()) < WORKERS:
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn has {len(deployed.workers())} of {WORKERS} workers")
            time.sleep(0.1)
        return deployed

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            try:
                # workers forked from a connected master stop cleanly too (they once hung)
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
                pytest.fail("the site did not stop within 10 s of SIGTERM")
        if proc.stdout:
            proc.stdout.close()


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads sockets from /proc")
def test_preloaded_workers_each_have_their_own_client_and_sockets(
    deploy: Callable[..., Deployed],
) -> None:
    site = deploy("django", preload=True)
    master = probe_module.aerospike_sockets(site.proc.pid, site.ports)
    assert master, "the master did not connect before forking: the test would prove nothing"
    answers = site.fan_out("key=shared&set=seen")
    own: dict[int, set[int]] = {}
    for pid, answer in answers.items():
        assert answer["value"] == "seen"  # each worker's client works
        assert answer["client"] is not None
        # A forked worker still holds the master's sockets (never closed in a child); what
        # it talks over are the ones it opened itself.
        own[pid] = set(answer["sockets"]) - master
        assert own[pid], f"worker {pid} has no connection of its own"
    pids = sorted(own)
    for i, a in enumerate(pids):
        for b in pids[i + 1 :]:
            assert not own[a] & own[b], f"workers {a} and {b} share sockets {own[a] & own[b]}"


def test_a_write_through_one_worker_is_seen_by_every_worker_within_the_near_ttl(
    deploy: Callable[..., Deployed],
) -> None:
    site = deploy("django", preload=True)
    site.probe("key=price&set=old")
    # every worker reads "old": its near cache now holds it for up to NEAR_TTL
    assert {a["value"] for a in site.fan_out("key=price").values()} == {"old"}
    writer = site.probe("key=price&set=new")
    written = time.monotonic()
    assert writer["value"] == "new"  # own writes apply at once
    soon = site.fan_out("key=price")
    assert soon[writer["pid"]]["value"] == "new"
    time.sleep(max(0.0, written + NEAR_TTL - time.monotonic()))
    later = site.fan_out("key=price")
    stale = {pid: a["value"] for pid, a in later.items() if a["value"] != "new"}
    assert not stale, f"still stale {NEAR_TTL} s after the write: {stale}"


@pytest.mark.parametrize(
    ("preload", "threads"),
    [(True, 1), (False, 1), (True, 4)],
    ids=["preload", "no-preload", "preload-gthread"],
)
@pytest.mark.parametrize("site_name", ["django", "flask"])
def test_pages_under_gunicorn_are_cached_across_workers(
    deploy: Callable[..., Deployed], site_name: str, preload: bool, threads: int
) -> None:
    site = deploy(site_name, preload=preload, GUNICORN_THREADS=str(threads))
    detail = "/products/burr-grinder/" if site_name == "django" else "/products/headlamp/"
    for path in ("/", detail):
        statuses = [site.get(path)[1].get("X-Cache") for _ in range(2 * WORKERS)]
        # the first answer computed the page; every later one, from any worker, is a hit
        assert statuses[0] == "miss"
        assert set(statuses[1:]) == {"hit"}, statuses


def test_async_view_under_uvicorn(deploy: Callable[..., Deployed]) -> None:
    pytest.importorskip("uvicorn")
    site = deploy("django", server="uvicorn")
    first = site.get("/async/")
    second = site.get("/async/")
    assert (first[0], second[0]) == (200, 200)
    assert (first[1]["X-Cache"], second[1]["X-Cache"]) == ("miss", "hit")
    # aget_or_set computed the featured products once; aget_many read the counters
    assert first[1]["X-Featured"] == second[1]["X-Featured"] != ""
    assert "Products" in second[2]


def test_the_rate_limit_counts_across_workers(deploy: Callable[..., Deployed]) -> None:
    limit = 2 * WORKERS
    site = deploy("django", API_RATE_LIMIT=str(limit))
    for _ in range(2):  # a second go if the 60 s window turned during the first
        window = int(time.time() // 60)
        codes = []
        for _ in range(limit + 2):
            try:
                codes.append(site.get("/api/products/notebook/")[0])
            except urllib.error.HTTPError as exc:
                codes.append(exc.code)
        if int(time.time() // 60) == window:
            break
    assert codes == [200] * limit + [429, 429]
