"""Collections: our Django backend's hash and set calls vs the raw client and vs django-redis.

``python benchmarks/collection_ops.py [--rounds R] [--n N]``. Same set-up as
``run.py`` (an embedded server in a child process, client and server pinned to
one CPU, or ``AEROSPIKE_HOSTS``), interleaved rounds, medians. Each row is one
call, three ways:

- **raw**: the ``aerospike`` client sending the very ``operate`` our store
  sends (the same map operations, the deadline read, the live-entry filter
  on writes, pickled values), with no store code;
- **ours**: the Django backend (``cache.hset(...)``: key making, the store,
  the failure path);
- **django-redis**: django-redis 7's same call on a local ``redis-server``
  (started here when the binary and the ``django-redis`` package are
  available; otherwise the column is left out). django-redis 7 has no
  ``hget``: that row uses its redis client's ``hget`` and its decoder.

``smembers(100)`` reads a set of 100 members. Nothing asserts on timings.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aerospike
from aerospike_helpers import expressions as exp
from aerospike_helpers.operations import map_operations as mo
from run import _wait_port, pin_one_cpu, server_from_env

ROWS = ("hset", "hget", "sadd", "sismember", "smembers(100)")
VALUE = {"user": 42, "name": "some value"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server(cpu: int | None) -> Iterator[str | None]:
    """``redis://...`` of a throwaway local redis-server, or ``None`` if unavailable."""
    binary = shutil.which("redis-server")
    try:
        import django_redis  # noqa: F401
    except ImportError:
        binary = None
    if binary is None:
        yield None
        return
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        preexec_fn=None if cpu is None else lambda: os.sched_setaffinity(0, {cpu}),
    )
    try:
        _wait_port("127.0.0.1", port, 10)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def django_caches(server: Any, redis_url: str | None) -> Any:
    import django
    from django.conf import settings

    caches = {
        "default": {
            "BACKEND": "aerospike_cache.django.AerospikeCache",
            "LOCATION": ",".join(f"{h}:{p}" for h, p in server.hosts),
            "OPTIONS": {"NAMESPACE": server.namespace, "SET": "bench_coll"},
        }
    }
    if redis_url:
        caches["redis"] = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url}
    settings.configure(CACHES=caches)
    django.setup()
    from django.core.cache import caches as made

    return made


def raw_ways(client: Any, ns: str, set_name: str) -> dict[str, Callable[[], Any]]:
    """The operate our store sends for each row, straight from the client."""
    ordered = {"map_order": aerospike.MAP_KEY_ORDERED}
    dumps, loads, clock = pickle.dumps, pickle.loads, time.time
    head = b"\x05"  # stands for the format byte: the same bytes on the wire
    read_d = {"op": aerospike.OPERATOR_READ, "bin": "d"}
    keep = {"key": aerospike.POLICY_KEY_SEND, "ttl": -2, "exists": aerospike.POLICY_EXISTS_UPDATE}
    h, s, big = (ns, set_name, "raw:h"), (ns, set_name, "raw:s"), (ns, set_name, "raw:s100")
    members = [head + dumps(f"member-{i}", 5) for i in range(100)]

    def live() -> Any:
        now = int(clock() * 1000)
        return exp.Or(exp.Not(exp.BinExists("d")), exp.GT(exp.IntBin("d"), now)).compile()

    def deadline_ok(rows: list[tuple[str, Any]]) -> list[Any]:
        out, d = [], None
        for name, value in rows:
            if name == "d":
                d = value
            else:
                out.append(value)
        return [] if d is not None and d <= clock() * 1000 else out

    def hset() -> int:
        put = mo.map_put_items("v", {"f": head + dumps(VALUE, 5)}, ordered)
        rows = client.operate_ordered(
            h, [mo.map_size("v"), put], None, {**keep, "expressions": live()}
        )[2]
        return int(rows[1][1]) - int(rows[0][1])

    def hget() -> Any:
        rows = client.operate_ordered(
            h, [mo.map_get_by_key("v", "f", aerospike.MAP_RETURN_VALUE), read_d]
        )[2]
        got = deadline_ok(rows)
        return loads(got[0][1:]) if got and got[0] is not None else None

    def sadd() -> int:
        put = mo.map_put_items("v", {members[0]: 1}, ordered)
        rows = client.operate_ordered(
            s, [mo.map_size("v"), put], None, {**keep, "expressions": live()}
        )[2]
        return int(rows[1][1]) - int(rows[0][1])

    def sismember() -> bool:
        op = mo.map_get_by_key("v", members[0], aerospike.MAP_RETURN_EXISTS)
        got = deadline_ok(client.operate_ordered(s, [op, read_d])[2])
        return bool(got and got[0])

    def smembers() -> set[Any]:
        read_v = {"op": aerospike.OPERATOR_READ, "bin": "v"}
        got = deadline_ok(client.operate_ordered(big, [read_v, read_d])[2])
        return {loads(m[1:]) for m in (got[0] if got else {})}

    client.operate(
        h, [mo.map_put_items("v", {"f": head + dumps(VALUE, 5)}, ordered)], None, {"ttl": 3600}
    )
    client.operate(s, [mo.map_put_items("v", {members[0]: 1}, ordered)], None, {"ttl": 3600})
    client.operate(
        big, [mo.map_put_items("v", dict.fromkeys(members, 1), ordered)], None, {"ttl": 3600}
    )
    return dict(zip(ROWS, (hset, hget, sadd, sismember, smembers), strict=True))


def cache_ways(cache: Any, redis: bool) -> dict[str, Callable[[], Any]]:
    """The rows on a Django cache (ours, or django-redis's)."""
    cache.hset("h", "f", VALUE)
    cache.sadd("s", "member-0")
    cache.sadd("s100", *(f"member-{i}" for i in range(100)))
    if redis:
        conn, made = cache.client.get_client(), cache.make_key("h")

        def hget() -> Any:  # django-redis 7 has no hget: its client's, decoded as it would
            raw = conn.hget(made, "f")
            return None if raw is None else cache.client.decode(raw)
    else:

        def hget() -> Any:
            return cache.hget("h", "f")

    return {
        "hset": lambda: cache.hset("h", "f", VALUE),
        "hget": hget,
        "sadd": lambda: cache.sadd("s", "member-0"),
        "sismember": lambda: cache.sismember("s", "member-0"),
        "smembers(100)": lambda: cache.smembers("s100"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--n", type=int, default=500, help="calls per way per round")
    args = parser.parse_args(argv)
    cpu = pin_one_cpu()  # client and server(s) on one CPU, as run.py
    with server_from_env(cpu) as server, redis_server(cpu) as redis_url:
        from aerospike_cache.connection import build_client_config

        client = aerospike.client(build_client_config(server.hosts)).connect()
        caches = django_caches(server, redis_url)
        ways = {"raw": raw_ways(client, server.namespace, "bench_coll")}
        ways["ours"] = cache_ways(caches["default"], False)
        if redis_url:
            ways["django-redis"] = cache_ways(caches["redis"], True)
        times: dict[tuple[str, str], list[float]] = {}
        pairs = [(way, row) for row in ROWS for way in ways]
        for round_ in range(args.rounds):
            shift = round_ % len(pairs)
            for way, row in pairs[shift:] + pairs[:shift]:
                fn = ways[way][row]
                started = time.perf_counter()
                for _ in range(args.n):
                    fn()
                took = (time.perf_counter() - started) / args.n * 1e6
                times.setdefault((way, row), []).append(took)
        caches["default"].clear()
        client.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    where = os.environ.get("AEROSPIKE_HOSTS") or "embedded server"
    print(f"median of {args.rounds} rounds of {args.n} calls, µs per call ({where})")
    head = f"{'call':15s} {'raw':>8s} {'ours':>8s} {'ours/raw':>9s}"
    if "django-redis" in ways:
        head += f" {'django-redis':>13s} {'ours/d-r':>9s}"
    print(head)
    for row in ROWS:
        raw, ours = med[("raw", row)], med[("ours", row)]
        line = f"{row:15s} {raw:8.1f} {ours:8.1f} {ours / raw:8.2f}x"
        if "django-redis" in ways:
            dr = med[("django-redis", row)]
            line += f" {dr:13.1f} {ours / dr:8.2f}x"
        print(line)
    if "django-redis" not in ways:
        print("(django-redis column skipped: no redis-server binary or django-redis package)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
