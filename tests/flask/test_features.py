"""The Flask backend's near cache, get_or_set, decorator stampede mode, stats and CLI."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask_caching import Cache

from aerospike_cache.errors import ConfigurationError
from aerospike_cache.store.stampede import LOCK_PREFIX

MakeApp = Callable[..., tuple[Flask, Cache]]


def test_near_cache_setting(make_app: MakeApp) -> None:
    app, cache = make_app(CACHE_AEROSPIKE_NEAR_CACHE={"max_entries": 5, "ttl": 2})
    with app.app_context():
        cache.set("k", [1])
        first = cache.get("k")
        first.append(2)
        assert cache.get("k") == [1]  # a fresh object, from memory
        assert cache.cache.stats()["near_hits"] == 1
        cache.set("k", [3])  # own write: seen at once
        assert cache.get("k") == [3]


def test_bad_near_cache_setting_fails_at_startup(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError, match=r"near_cache\['ttl'\] must be a number"):
        make_app(CACHE_AEROSPIKE_NEAR_CACHE={"ttl": "1s"})


def test_get_or_set_computes_once_under_threads(make_app: MakeApp) -> None:
    app, cache = make_app()
    runs: list[int] = []
    lock = threading.Lock()

    def compute() -> str:
        with lock:
            runs.append(1)
        time.sleep(0.2)
        return "value"

    with ThreadPoolExecutor(10) as pool:
        got = list(pool.map(lambda _: cache.cache.get_or_set("cold", compute, 60), range(10)))
    assert got == ["value"] * 10
    assert len(runs) == 1
    with app.app_context():
        assert cache.get("cold") == "value"


def test_get_or_set_without_stampede_protection(make_app: MakeApp) -> None:
    _, cache = make_app(CACHE_AEROSPIKE_STAMPEDE=False)
    assert cache.cache.get_or_set("k", lambda: 1, 60) == 1
    assert cache.cache.get_or_set("k", lambda: 2, 60) == 1
    assert not cache.cache.store.has(LOCK_PREFIX + "k")


def test_decorator_mode_memoize_computes_once_in_threads(make_app: MakeApp) -> None:
    app, cache = make_app(CACHE_AEROSPIKE_STAMPEDE={"decorators": True})
    runs: list[str] = []

    @cache.memoize(timeout=60)
    def slow(name: str) -> str:
        runs.append(name)
        time.sleep(0.2)
        return name.upper()

    def call(_: int) -> str:
        with app.app_context():
            return str(slow("x"))

    with app.app_context():
        slow.make_cache_key(slow.uncached, "x")  # type: ignore[attr-defined]  # version key
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(call, range(8))) == ["X"] * 8
    assert runs == ["x"]


def test_decorator_mode_cached_view_renders_once_for_concurrent_requests(
    make_app: MakeApp,
) -> None:
    app, cache = make_app(CACHE_AEROSPIKE_STAMPEDE={"decorators": True})
    renders: list[int] = []

    @app.route("/report")
    @cache.cached(timeout=60)
    def report() -> str:
        renders.append(1)
        time.sleep(0.2)
        return "the report"

    def fetch(_: int) -> str:
        return app.test_client().get("/report").get_data(as_text=True)

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(fetch, range(6))) == ["the report"] * 6
    assert renders == [1]


def test_decorator_mode_never_makes_plain_gets_wait(make_app: MakeApp) -> None:
    app, cache = make_app(CACHE_AEROSPIKE_STAMPEDE={"decorators": True, "wait": 30})
    with app.app_context():
        for _ in range(3):
            assert cache.get("nobody-fills-this") is None
        made = cache.cache._key("nobody-fills-this")
        # a plain get claims nothing, so no get ever finds a claim to wait for
        assert not cache.cache.store.has(LOCK_PREFIX + made)


def test_stats_count_what_the_app_did(make_app: MakeApp) -> None:
    app, cache = make_app()
    with app.app_context():
        cache.cache.reset_stats()
        cache.set("a", 1)
        cache.set_many({"b": 2, "c": 3})
        cache.get("a")
        cache.get("zzz")
        cache.get_many("a", "b", "nope")
        cache.delete("a")
        stats = cache.cache.stats()
    got = {k: stats[k] for k in ("hits", "misses", "sets", "deletes", "near_hits")}
    assert got == {"hits": 3, "misses": 2, "sets": 3, "deletes": 1, "near_hits": 0}


@pytest.mark.parametrize("as_json", [False, True])
def test_cli_stats(make_app: MakeApp, as_json: bool) -> None:
    app, cache = make_app()
    with app.app_context():
        cache.set("a", 1)
        cache.get("a")
    args = ["aerospike-cache", "stats", *(["--json"] if as_json else [])]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    if as_json:
        report = json.loads(result.output)["cache"]
        assert report["process"]["hits"] >= 1
        assert report["server"]["set_stats"]["objects"] >= 1
    else:
        assert "hit ratio" in result.output and "latency ms" in result.output
        assert f"set          {app.config['CACHE_AEROSPIKE_SET']!r}" in result.output


def test_cli_without_an_aerospike_cache() -> None:
    app = Flask(__name__)
    app.config["CACHE_TYPE"] = "SimpleCache"
    Cache(app)
    from aerospike_cache.flask.cli import register

    register(app)
    result = app.test_cli_runner().invoke(args=["aerospike-cache", "stats"])
    assert result.exit_code != 0
    assert "no aerospike_cache.flask.AerospikeCache is configured" in result.output
