"""A process of the cross-process stampede tests: N threads ask for one cold key at once.

    run_processes("django" | "memoize" | "cached", server, set_name, key, log, [13, 13, 12, 12])

The process sets up its framework, prints ``ready``, waits for a line on
stdin (so that every process starts at the same moment), then runs THREADS
threads through Django's ``get_or_set``, a Flask ``@cache.memoize``d
function or a ``@cache.cached`` view, and prints the values they got as
JSON. The computation takes 200 ms and appends a line to LOG each time it runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

VALUE = {"computed": "once", "by": "the lock holder"}


def slow(log: str) -> dict[str, str]:
    """The expensive computation: 200 ms, and a line in ``log`` per run."""
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"{os.getpid()} {threading.get_ident()}\n")
    time.sleep(0.2)
    return VALUE


def django_caller(
    hosts: str, namespace: str, set_name: str, key: str, log: str
) -> Callable[[], Any]:
    import django
    from django.conf import settings

    settings.configure(
        CACHES={
            "default": {
                "BACKEND": "aerospike_cache.django.AerospikeCache",
                "LOCATION": hosts,
                "OPTIONS": {"NAMESPACE": namespace, "SET": set_name},
            }
        }
    )
    django.setup()
    from django.core.cache import cache

    return lambda: cache.get_or_set(key, lambda: slow(log), 60)


def flask_app(hosts: str, namespace: str, set_name: str) -> tuple[Any, Any]:
    """The app and its ``Cache``, in decorator stampede mode."""
    from flask import Flask
    from flask_caching import Cache

    app = Flask("stampede_worker")
    app.config.update(
        CACHE_TYPE="aerospike_cache.flask.AerospikeCache",
        CACHE_AEROSPIKE_HOSTS=hosts,
        CACHE_AEROSPIKE_NAMESPACE=namespace,
        CACHE_AEROSPIKE_SET=set_name,
        CACHE_AEROSPIKE_STAMPEDE={"decorators": True},
    )
    return app, Cache(app)


def memoized(cache: Any, log: str) -> Callable[[str], Any]:
    @cache.memoize(timeout=60)
    def report(name: str) -> dict[str, str]:
        return slow(log)

    return report  # type: ignore[no-any-return]


def memoize_caller(
    hosts: str, namespace: str, set_name: str, key: str, log: str
) -> Callable[[], Any]:
    app, cache = flask_app(hosts, namespace, set_name)
    report = memoized(cache, log)

    def call() -> Any:
        with app.app_context():
            return report(key)

    return call


def cached_caller(
    hosts: str, namespace: str, set_name: str, key: str, log: str
) -> Callable[[], Any]:
    app, cache = flask_app(hosts, namespace, set_name)

    @cache.cached(timeout=60)
    def view() -> dict[str, str]:
        return slow(log)

    def call() -> Any:
        with app.test_request_context(f"/reports/{key}"):
            return view()

    return call


CALLERS = {"django": django_caller, "memoize": memoize_caller, "cached": cached_caller}


def main(argv: list[str]) -> None:
    kind, hosts, namespace, set_name, key, log, threads = argv
    call = CALLERS[kind](hosts, namespace, set_name, key, log)
    print("ready", flush=True)
    sys.stdin.readline()
    with ThreadPoolExecutor(int(threads)) as pool:
        got = list(pool.map(lambda _: call(), range(int(threads))))
    print(json.dumps(got), flush=True)


def run_processes(
    kind: str, server: Any, set_name: str, key: str, log: str, threads: list[int]
) -> list[Any]:
    """Start one process per entry of ``threads``, release them together, return every value."""
    hosts = ",".join(f"{h[0]}:{h[1]}" for h in server.hosts)
    code = "import sys; from tests.stampede_worker import main; main(sys.argv[1:])"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, kind, hosts, server.namespace, set_name, key, log, str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in threads
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        values: list[Any] = []
        for proc in procs:
            out, _ = proc.communicate(timeout=120)
            assert proc.returncode == 0
            values.extend(json.loads(out))
        return values
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
