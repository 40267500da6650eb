"""The Flask backend when the cluster misbehaves (embedded server fault controls).

Skipped against a real cluster (the ``embedded_server`` fixture), except the
``delete_many`` race, which any server can show.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest
from aerospike_helpers.batch.records import BatchRecord
from flask import Flask
from flask_caching import Cache

from aerospike_cache.errors import CacheOperationError, CacheUnavailable
from aerospike_cache.flask import AerospikeCache

from .conftest import CountingClient

TIMEOUT_MS = 300


@pytest.fixture
def make_faulty_app(embedded_server: Any) -> Callable[..., tuple[Flask, Cache]]:
    def make(**config: Any) -> tuple[Flask, Cache]:
        app = Flask(__name__)
        app.config.update(
            CACHE_TYPE="aerospike_cache.flask.AerospikeCache",
            CACHE_AEROSPIKE_HOSTS=[(embedded_server.host, embedded_server.port, None)],
            CACHE_AEROSPIKE_NAMESPACE="test",
            CACHE_AEROSPIKE_SET="faults",
            CACHE_AEROSPIKE_TIMEOUT_MS=TIMEOUT_MS,
            CACHE_AEROSPIKE_CONNECT_TIMEOUT_MS=TIMEOUT_MS,
            CACHE_AEROSPIKE_BREAKER_COOLDOWN=0.2,
        )
        app.config.update(config)
        return app, Cache(app)

    return make


def test_fail_open_turns_an_outage_into_misses(
    embedded_server: Any, make_faulty_app: Callable[..., tuple[Flask, Cache]]
) -> None:
    app, cache = make_faulty_app(CACHE_AEROSPIKE_FAIL_OPEN=True)
    counter = itertools.count(1)

    @app.route("/")
    @cache.cached(60)
    def index() -> str:
        return f"render {next(counter)}"

    client = app.test_client()
    assert client.get("/").text == "render 1"
    assert client.get("/").text == "render 1"
    embedded_server.stop()
    with app.app_context():
        assert cache.get("k") is None
        assert cache.set("k", "v") is False
        assert cache.add("k", "v") is False
        assert cache.get_many("a", "b") == [None, None]
        assert cache.cache.inc("n") is None
        assert cache.has("k") is False
    assert client.get("/").text == "render 2"  # served, uncached
    assert client.get("/").text == "render 3"
    embedded_server.start()
    with app.app_context():
        for _ in range(100):  # the breaker lets a probe through after its cooldown
            if cache.set("k", "v"):
                break
            time.sleep(0.05)
        assert cache.get("k") == "v"


def test_clear_reports_a_truncate_that_did_not_happen(
    embedded_server: Any, make_faulty_app: Callable[..., tuple[Flask, Cache]]
) -> None:
    app, cache = make_faulty_app(CACHE_AEROSPIKE_FAIL_OPEN=True)
    with app.app_context():
        cache.set("k", "v")
        assert cache.clear() is True
        embedded_server.stop()
        assert cache.clear() is False  # fail-open swallowed the outage: nothing truncated
    app, cache = make_faulty_app()
    with app.app_context(), pytest.raises(CacheUnavailable):
        cache.clear()


def test_without_fail_open_errors_surface_and_views_still_render(
    embedded_server: Any, make_faulty_app: Callable[..., tuple[Flask, Cache]]
) -> None:
    app, cache = make_faulty_app()
    counter = itertools.count(1)

    @app.route("/")
    @cache.cached(60)
    def index() -> str:
        return f"render {next(counter)}"

    client = app.test_client()
    assert client.get("/").text == "render 1"
    embedded_server.stop()
    with app.app_context(), pytest.raises(CacheUnavailable):
        cache.get("k")
    # Flask-Caching logs backend errors and calls the view (outside debug mode).
    assert client.get("/").text == "render 2"
    app.debug = True
    with pytest.raises(CacheUnavailable):
        client.get("/")


def test_server_error_codes_become_package_errors(
    embedded_server: Any, make_faulty_app: Callable[..., tuple[Flask, Cache]]
) -> None:
    app, cache = make_faulty_app()
    with app.app_context():
        cache.set("k", "v")
        embedded_server.fail_next(1, 14)  # key busy
        with pytest.raises(CacheOperationError) as info:
            cache.set("k", "w")
        assert info.value.code == 14
        assert cache.get("k") == "v"


def test_delete_many_during_an_outage_reports_nothing_deleted(
    embedded_server: Any, aerospike_set: str
) -> None:
    hosts = [(embedded_server.host, embedded_server.port, None)]
    open_cache = AerospikeCache(
        hosts=hosts, namespace="test", set_name=aerospike_set, fail_open=True, timeout_ms=300
    )
    strict = AerospikeCache(hosts=hosts, namespace="test", set_name=aerospike_set, timeout_ms=300)
    open_cache.set_many({"a": 1, "b": 2})
    embedded_server.stop()
    try:
        assert open_cache.delete_many("a", "b") == []  # fail-open: no exception, nothing claimed
        with pytest.raises(CacheUnavailable):
            strict.delete_many("a", "b")
    finally:
        embedded_server.start()
    assert open_cache.get_many("a", "b") == [1, 2]


class BusyRowClient(CountingClient):
    """A real client whose batch removes fail on ``key``'s row (14, key busy): it stays."""

    def __init__(self, client: Any, key: tuple[str, str, str]) -> None:
        super().__init__(client)
        self._busy = key

    def batch_remove(self, keys: list[Any], *args: Any, **kwargs: Any) -> Any:
        result = self._client.batch_remove([k for k in keys if k != self._busy], *args, **kwargs)
        rows = iter(result.batch_records)
        busy = BatchRecord(self._busy)
        busy.result = 14
        result.batch_records = [busy if k == self._busy else next(rows) for k in keys]
        return result


@pytest.mark.parametrize("ignore", [False, True])
def test_delete_many_does_not_report_a_key_whose_row_failed(
    aerospike_server: Any, aerospike_set: str, aerospike_client: Any, ignore: bool
) -> None:
    """A failed row is not "absent": one batch remove cannot be read as the whole answer."""
    ns = aerospike_server.namespace
    client = BusyRowClient(aerospike_client, (ns, aerospike_set, "busy"))
    cache = AerospikeCache(
        client=client, namespace=ns, set_name=aerospike_set, ignore_delete_many_errors=ignore
    )
    cache.set_many({"a": 1, "busy": 2})
    if ignore:
        assert cache.delete_many("a", "busy", "absent") == ["a", "absent"]
    else:
        with pytest.raises(RuntimeError, match="busy"):
            cache.delete_many("a", "busy", "absent")
    assert cache.get("busy") == 2
    assert cache.get("a") is None
