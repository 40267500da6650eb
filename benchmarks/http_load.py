"""HTTP load on the example sites as deployed: gunicorn and uvicorn workers, our cache vs Redis.

Run ``python3 tasks.py load`` (which installs ``wrk`` and ``redis-server``
from Debian's packages when missing) or ``python benchmarks/http_load.py``
with ``wrk`` on the PATH. Options: ``--seconds`` per run (default 5),
``--rounds`` over every cache (default 3: the row shows the median round),
``--workers`` (default 4), ``--quick`` (1 round of 1 s runs, 2 workers: a smoke run),
``--markdown PATH`` (write the table between the HTTP markers of PATH). On a
cluster the runs use one set, ``AEROSPIKE_LOAD_SET`` (default ``http_load``),
truncated after each run.

The same site, with the same workers, in the same run, is measured with each
cache behind it: ours on the embedded server (its own process), ours on
``AEROSPIKE_HOSTS`` when set, django-redis / Django's ``RedisCache`` /
Flask-Caching's ``RedisCache`` on a local ``redis-server`` (skipped, with a
line saying why, when there is none), and no cache at all (Django's
``DummyCache``, Flask-Caching's ``NullCache``: every page rendered, the floor a
cache must beat). Everything listens on 127.0.0.1, every run is ``--seconds``
long, and every process started here is stopped here.

``wrk`` drives the load (a real HTTP load generator in C, in Debian's
packages): 2 threads, 16 connections, a Lua script (``wrk_paths.lua``) that
walks the site's pages and counts the ``X-Cache: hit|miss`` headers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "example_projects"
LUA = Path(__file__).resolve().parent / "wrk_paths.lua"
HOST = "127.0.0.1"
NAMESPACE = "cache"
CLUSTER_SET = os.environ.get("AEROSPIKE_LOAD_SET", "http_load")  # the one set used on a cluster

DJANGO_SLUGS = ("espresso-cup", "burr-grinder", "desk-lamp", "notebook", "wool-blanket")
FLASK_SLUGS = ("trail-shoes", "rain-shell", "headlamp", "enamel-mug", "spork")


@dataclass(frozen=True)
class Site:
    """One example site as deployed: its server command and the pages the load walks."""

    name: str
    cwd: Path
    paths: tuple[str, ...]  # every page of the site that the load visits
    backends: tuple[str, ...]  # CACHE_BACKEND values besides aerospike
    server: str  # gunicorn or uvicorn
    # (name, pages) of each wrk run: a cached page alone, and the walk through every page
    walks: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def runs(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return self.walks or (("every page", self.paths),)

    def command(self, port: int, workers: int, preload: bool) -> list[str]:
        if self.server == "uvicorn":
            return [
                sys.executable,
                "-m",
                "uvicorn",
                "catalogue_site.asgi:application",
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ]
        app = "catalogue_site.wsgi" if self.cwd.name == "django_site" else "app:create_app()"
        preloaded = ["--preload"] if preload else []
        return [sys.executable, "-m", "gunicorn", "-c", "../gunicorn.conf.py", *preloaded, app]


def _pages(slugs: Sequence[str]) -> tuple[str, ...]:
    return ("/", *(f"/products/{slug}/" for slug in slugs))


def _walks(
    slugs: Sequence[str], cached: str, detail: str
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    walk = f"/ and {len(slugs)} product pages ({detail})"
    return ((f"cached page / ({cached})", ("/",)), (walk, _pages(slugs)))


SITES = {
    "django-gunicorn": Site(
        "Django, gunicorn",
        EXAMPLES / "django_site",
        _pages(DJANGO_SLUGS),
        ("aerospike-nonear", "django-redis", "redis", "none"),
        "gunicorn",
        _walks(DJANGO_SLUGS, "cache_page", "fragment, get_or_set, incr, a new session each"),
    ),
    "django-uvicorn": Site(
        "Django, uvicorn (ASGI)",
        EXAMPLES / "django_site",
        ("/async/",),
        ("aerospike-nonear", "django-redis", "redis", "none"),
        "uvicorn",
        (("async view /async/ (aget, aget_many, aget_or_set)", ("/async/",)),),
    ),
    "flask-gunicorn": Site(
        "Flask, gunicorn",
        EXAMPLES / "flask_app",
        _pages(FLASK_SLUGS),
        ("redis", "none"),
        "gunicorn",
        _walks(FLASK_SLUGS, "@cache.cached", "{% cache %} fragment, @cache.memoize, inc"),
    ),
}

# "ours" in the ratio column: the real cluster when there is one, else the embedded server
OURS = ("cluster", "aerospike")

BACKEND_NAMES = {
    "aerospike": "aerospike-cache, embedded server",
    "aerospike-nonear": "aerospike-cache, embedded server, near cache off",
    "cluster": "aerospike-cache, AEROSPIKE_HOSTS",
    "django-redis": "django-redis on redis-server",
    "redis": "Redis on redis-server",  # Django's RedisCache or Flask-Caching's RedisCache
    "none": "no cache",
}


# -- processes ----------------------------------------------------------------


def say(line: str) -> None:
    print(f"[load] {line}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Proc:
    """A child process in its own process group, its output in a file; stopped by :meth:`stop`."""

    def __init__(self, name: str, cmd: Sequence[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            "w+", prefix=f"http-load-{name}-", suffix=".log"
        )
        self.proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output())
            if found:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not say {pattern!r}:\n{self.output()[-2000:]}")

    def wait_listening(self, port: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.output()[-3000:]}"
                )
            with contextlib.suppress(OSError):
                socket.create_connection((HOST, port), timeout=1).close()
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not listen on {port} within {timeout:.0f} s")

    def kill9(self) -> None:
        """SIGKILL the process itself (not its group): the fault of the reliability run."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # whatever the group still holds (a worker that outlived its master)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


def worker_pids(master: int) -> set[int]:
    """The processes whose parent is ``master`` (gunicorn's or uvicorn's workers)."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.add(int(stat.parent.name))
    return pids


def start_aerospike(port: int = 0, node_name: str | None = None) -> tuple[Proc, int]:
    """The embedded server in a process of its own (``port`` 0: a free one; ``node_name``:
    a fixed node id, as a real node keeps its own across restarts)."""
    cmd = [sys.executable, "-m", "aerospike_cache.server", "--host", HOST, "--port", str(port)]
    cmd += ["--namespace", NAMESPACE]
    cmd += ["--node-name", node_name] if node_name else []
    server = Proc("aerospike", cmd, dict(os.environ), ROOT)
    found = server.wait_for(r"listening on \[?[0-9A-Za-z_.:-]+?\]?:(\d+)", timeout=30)
    return server, int(found.group(1))


def start_redis() -> tuple[Proc | None, int, str]:
    """A private redis-server on a free port, no persistence: (proc, port, reason if none)."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None, 0, "redis-server is not installed (python3 tasks.py load installs it)"
    port = free_port()
    cmd = [binary, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
    redis = Proc("redis", cmd, dict(os.environ), ROOT)
    try:
        redis.wait_listening(port, timeout=15)
    except RuntimeError as exc:
        redis.stop()
        return None, 0, f"redis-server did not start: {exc}"
    return redis, port, ""


def redis_flushall(port: int) -> None:
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(b"FLUSHALL\r\n")
        sock.recv(64)


def site_env(
    backend: str, aerospike_hosts: str, redis_port: int, set_name: str, **extra: str
) -> dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", DJANGO_DEBUG="0", **extra)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["CACHE_BACKEND"] = "aerospike" if backend.startswith(("cluster", "aerospike")) else backend
    if backend == "aerospike-nonear":
        env["AEROSPIKE_NEAR_CACHE_TTL"] = "0"
    env["AEROSPIKE_HOSTS"] = aerospike_hosts
    env.setdefault("AEROSPIKE_NAMESPACE", NAMESPACE)
    env["AEROSPIKE_SET"] = set_name
    env["REDIS_URL"] = f"redis://{HOST}:{redis_port}/0"
    return env


@contextlib.contextmanager
def running_site(
    site: Site, env: dict[str, str], workers: int, preload: bool
) -> Iterator[tuple[Proc, str]]:
    """The site under its server on a free port: ``(process, base URL)``, stopped on exit."""
    port = free_port()
    env = dict(env, GUNICORN_BIND=f"{HOST}:{port}", GUNICORN_WORKERS=str(workers))
    proc = Proc(site.server, site.command(port, workers, preload), env, site.cwd)
    try:
        proc.wait_listening(port)
        # the master listens before its workers are all up: wait for them (Linux's /proc)
        deadline = time.monotonic() + 60
        while Path("/proc").exists() and len(worker_pids(proc.pid)) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{site.server}: {worker_pids(proc.pid)} of {workers} workers")
            time.sleep(0.1)
        yield proc, f"http://{HOST}:{port}"
    finally:
        proc.stop(timeout=10)


def warm(site: Proc, base: str, paths: Sequence[str], rounds: int = 2) -> None:
    """Fetch every page a few times (fills the cache; a failure here fails the run)."""
    for _ in range(rounds):
        for path in paths:
            try:
                with urllib.request.urlopen(base + path, timeout=30) as response:
                    response.read()
            except urllib.error.HTTPError as exc:
                log = site.output()[-3000:]
                raise RuntimeError(
                    f"{path}: {exc} while warming up; the site said:\n{log}"
                ) from exc


# -- wrk ----------------------------------------------------------------------


@dataclass
class Result:
    """One wrk run."""

    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    non2xx: int = 0
    socket_errors: int = 0
    hits: int = 0
    misses: int = 0
    # wall-clock second -> (answers, non-2xx, hits, misses)
    seconds: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)

    @property
    def hit_ratio(self) -> float | None:
        seen = self.hits + self.misses
        return self.hits / seen if seen else None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not found:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def parse_wrk(output: str) -> Result:
    result = Result()
    found = re.search(r"(\d+) requests in", output)
    result.requests = int(found.group(1)) if found else 0
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result.rps = float(found.group(1)) if found else 0.0
    for label, attr in (("50%", "p50_ms"), ("99%", "p99_ms")):
        found = re.search(rf"^\s+{label}\s+(\S+)", output, re.M)
        if found:
            setattr(result, attr, _ms(found.group(1)))
    found = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", output, re.M)
    if found:
        result.max_ms = _ms(found.group(1))
    found = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result.non2xx = int(found.group(1)) if found else 0
    found = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    result.socket_errors = sum(int(n) for n in found.groups()) if found else 0
    found = re.search(r"x-cache hits (\d+) misses (\d+)", output)
    if found:
        result.hits, result.misses = int(found.group(1)), int(found.group(2))
    pattern = r"second (\d+) answers (\d+) non2xx (\d+) hits (\d+) misses (\d+)"
    for second, *counts in re.findall(pattern, output):
        result.seconds[int(second)] = tuple(int(n) for n in counts)  # type: ignore[assignment]
    return result


def wrk(base: str, paths: Sequence[str], seconds: int, connections: int = 16) -> Result:
    """One wrk run of ``seconds`` over ``paths`` (walked in turn by each connection)."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    cmd += ["-s", str(LUA), base, "--", *paths]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


# -- one round trip -----------------------------------------------------------


def aerospike_round_trip_us(hosts: str, n: int = 2000) -> float:
    """Median µs of one ``get`` of a present key over the raw client (the server's share)."""
    import aerospike

    seeds = [(h.rsplit(":", 1)[0], int(h.rsplit(":", 1)[1])) for h in hosts.split(",")]
    client = aerospike.client({"hosts": seeds}).connect()
    try:
        key = (os.environ.get("AEROSPIKE_NAMESPACE", NAMESPACE), CLUSTER_SET, "rtt")
        client.put(key, {"v": b"x" * 100})
        return _median_us(lambda: client.get(key), n)
    finally:
        client.remove(key)
        client.close()


def truncate_set(hosts: str, set_name: str) -> None:
    """Remove what a run left in a set of the cluster (that set only, never the namespace)."""
    import aerospike

    seeds = [(h.rsplit(":", 1)[0], int(h.rsplit(":", 1)[1])) for h in hosts.split(",")]
    client = aerospike.client({"hosts": seeds}).connect()
    try:
        client.truncate(os.environ.get("AEROSPIKE_NAMESPACE", NAMESPACE), set_name, 0)
    finally:
        client.close()


def redis_round_trip_us(port: int, n: int = 2000) -> float:
    """Median µs of one ``GET`` of a present key over redis-py."""
    import redis

    client = redis.Redis(host=HOST, port=port)
    try:
        client.set("load_rtt", b"x" * 100)
        return _median_us(lambda: client.get("load_rtt"), n)
    finally:
        client.close()


def _median_us(call: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


# -- the table ----------------------------------------------------------------


@dataclass
class Row:
    site: str
    walk: str
    backend: str
    results: list[Result] = field(default_factory=list)  # one per round
    skipped: str = ""
    floor_rps: float | None = None
    ours_rps: float | None = None

    @property
    def result(self) -> Result | None:
        """The round with the median requests/s (its latencies with it)."""
        if not self.results:
            return None
        return sorted(self.results, key=lambda r: r.rps)[(len(self.results) - 1) // 2]

    def spread(self) -> str:
        if len(self.results) < 2:
            return ""
        rates = [r.rps for r in self.results]
        return f" ({min(rates):,.0f}-{max(rates):,.0f})"


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def render(report: Report, env_line: str) -> str:
    lines = [
        "| site | pages | cache | req/s (rounds' range) | x no cache | ours ÷ this | p50 (ms) "
        "| p99 (ms) | non-2xx | socket errors | X-Cache hit ratio |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report.rows:
        r = row.result
        if r is None:
            lines.append(
                f"| {row.site} | {row.walk} | {BACKEND_NAMES[row.backend]} "
                f"| skipped: {row.skipped} | | | | | | | |"
            )
            continue
        ratio = "-" if r.hit_ratio is None else f"{r.hit_ratio:.0%}"
        ours = "-" if row.backend in OURS else _ratio(row.ours_rps, r.rps)
        non2xx = sum(x.non2xx for x in row.results)  # every round's, not the median's only
        errors = sum(x.socket_errors for x in row.results)
        lines.append(
            f"| {row.site} | {row.walk} | {BACKEND_NAMES[row.backend]} "
            f"| {r.rps:,.0f}{row.spread()} | {_ratio(r.rps, row.floor_rps)} | {ours} "
            f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} | {non2xx} | {errors} | {ratio} |"
        )
    lines += ["", *report.notes, "", env_line]
    return "\n".join(lines)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _tool_version(cmd: Sequence[str]) -> str:
    try:
        done = subprocess.run(list(cmd), capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "not installed"
    found = re.search(r"v=(\S+)|wrk (\S+)", done.stdout + done.stderr)
    return next((g for g in found.groups() if g), "?") if found else "?"


def _cpu() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def environment(args: argparse.Namespace) -> str:
    return (
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.platform()}, "
        f"{os.cpu_count()} CPUs ({_cpu()}), everything on loopback on this one machine; "
        f"Python {platform.python_version()}; aerospike client {_version('aerospike')}; "
        f"Django {_version('django')}; Flask {_version('flask')}; "
        f"Flask-Caching {_version('flask-caching')}; gunicorn {_version('gunicorn')}; "
        f"uvicorn {_version('uvicorn')}; django-redis {_version('django-redis')}; "
        f"redis-py {_version('redis')}; redis-server {_tool_version(['redis-server', '-v'])}; "
        f"wrk {_tool_version(['wrk', '-v'])}; {args.workers} workers"
        f"{', --preload' if args.preload else ''}; wrk -t2 -c16, {args.seconds} s per run, "
        f"{args.rounds} rounds (the median round shown)"
        f"{'; --quick run' if args.quick else ''}."
    )


def measure(args: argparse.Namespace) -> Report:
    report = Report()
    cluster = os.environ.get("AEROSPIKE_HOSTS", "").strip()
    server, port = start_aerospike()
    redis, redis_port, no_redis = start_redis()
    if redis is None:
        say(f"skipping the Redis rows: {no_redis}")
        report.notes.append(f"Redis rows skipped: {no_redis}.")
    run_id = f"{os.getpid()}_{int(time.time())}"
    try:
        trips = [f"embedded server {aerospike_round_trip_us(f'{HOST}:{port}'):.0f} µs"]
        if cluster:
            trips.append(f"AEROSPIKE_HOSTS {aerospike_round_trip_us(cluster):.0f} µs")
        if redis is not None:
            trips.append(f"redis-server {redis_round_trip_us(redis_port):.0f} µs")
        report.notes.append(
            "One round trip (the median of 2,000 gets of a present 100-byte value from one "
            f"client, in the same run): {', '.join(trips)}. The embedded server is pure Python, "
            "a test double; the comparison with redis-server that production would see is the "
            "AEROSPIKE_HOSTS row (a real Aerospike node), when there is one."
        )
        rows: dict[tuple[str, str, str], Row] = {}
        for key in args.sites:
            site = SITES[key]
            for backend in ["aerospike", *(["cluster"] if cluster else []), *site.backends]:
                for walk, _ in site.runs():
                    rows[key, walk, backend] = Row(site.name, walk, backend)
        # Rounds interleave the caches: a drift of the shared machine's load hits them all.
        for n in range(args.rounds):
            for key in args.sites:
                site = SITES[key]
                for backend in dict.fromkeys(b for k, _, b in rows if k == key):
                    rows_of = {walk: rows[key, walk, backend] for walk, _ in site.runs()}
                    if backend in {"redis", "django-redis"} and redis is None:
                        for row in rows_of.values():
                            row.skipped = no_redis
                        continue
                    if redis is not None:
                        redis_flushall(redis_port)
                    hosts = cluster if backend == "cluster" else f"{HOST}:{port}"
                    # one set on a cluster, emptied after each run: a namespace holds a
                    # bounded number of set names (4095 on Aerospike 8), never freed
                    set_name = CLUSTER_SET if backend == "cluster" else f"load_{run_id}_{key}_{n}"
                    env = site_env(backend, hosts, redis_port, set_name)
                    say(f"round {n + 1}/{args.rounds}: {site.name}, {BACKEND_NAMES[backend]}")
                    try:
                        with running_site(site, env, args.workers, args.preload) as (proc, base):
                            warm(proc, base, site.paths)
                            for walk, paths in site.runs():
                                rows_of[walk].results.append(wrk(base, paths, args.seconds))
                    finally:
                        if backend == "cluster":
                            truncate_set(cluster, env["AEROSPIKE_SET"])
        for key in args.sites:
            for walk, _ in SITES[key].runs():
                group = [row for (k, w, _), row in rows.items() if (k, w) == (key, walk)]
                done = {r.backend: r.result.rps for r in group if r.result}
                ours = done.get(OURS[0]) or done.get(OURS[1])
                for row in group:
                    row.floor_rps, row.ours_rps = done.get("none"), ours
                report.rows.extend(group)
    finally:
        server.stop()
        if redis is not None:
            redis.stop()
    return report


BEGIN, END = "<!-- http: begin -->", "<!-- http: end -->"


def write_markdown(path: str, text: str) -> None:
    """Replace what is between the HTTP markers of ``path`` with ``text``."""
    content = Path(path).read_text(encoding="utf-8")
    start, end = content.find(BEGIN), content.find(END)
    if not 0 <= start < end:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} markers")
    content = content[: start + len(BEGIN)] + "\n" + text + "\n" + content[end:]
    Path(path).write_text(content, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds over every cache (the median is shown)"
    )
    parser.add_argument("--workers", type=int, default=4, help="worker processes per site")
    parser.add_argument("--preload", action="store_true", help="gunicorn --preload")
    parser.add_argument(
        "--sites", nargs="+", choices=sorted(SITES), default=list(SITES), help="sites to load"
    )
    parser.add_argument("--quick", action="store_true", help="1 s runs, 2 workers (smoke run)")
    parser.add_argument("--markdown", metavar="PATH", help="write the table into PATH")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.workers, args.rounds = 1, 2, 1
    if shutil.which("wrk") is None:
        say("wrk is not installed: python3 tasks.py load installs it (apt-get install wrk)")
        return 1
    report = measure(args)
    text = render(report, environment(args))
    print(text)
    if args.markdown:
        write_markdown(args.markdown, text)
    # Socket errors are reported, not failed on: a loaded, shared machine makes a few.
    bad = [r for r in report.rows if any(x.non2xx for x in r.results)]
    for row in bad:
        say(f"{row.site}, {row.walk}, {BACKEND_NAMES[row.backend]}: non-2xx answers")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
