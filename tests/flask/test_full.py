"""The Flask backend on a namespace that fills up: code 8, and ``flask aerospike-cache check``.

The fill tests run on a private embedded server with a small ``cache``
namespace (a shared real node cannot be filled); the check command also runs
on the test server.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask_caching import Cache

from aerospike_cache.errors import NamespaceFullError
from tests.fullness import SMALL, fill, namespace_figures

MakeApp = Callable[..., tuple[Flask, Cache]]


def _app(hosts: list[tuple[str, int]], namespace: str = "cache", **config: Any) -> Any:
    app = Flask(__name__)
    app.config.update(
        CACHE_TYPE="aerospike_cache.flask.AerospikeCache",
        CACHE_AEROSPIKE_HOSTS=[(h, p, None) for h, p in hosts],
        CACHE_AEROSPIKE_NAMESPACE=namespace,
        CACHE_AEROSPIKE_SET="flask_full",
        **config,
    )
    return app, Cache(app)


@pytest.mark.parametrize("fail_open", [False, True])
def test_a_full_namespace_refuses_writes_and_serves_reads(
    make_embedded_server: Callable[..., Any], fail_open: bool, caplog: Any
) -> None:
    server = make_embedded_server({"cache": SMALL})
    app, cache = _app(server.hosts, CACHE_AEROSPIKE_FAIL_OPEN=fail_open)
    renders = itertools.count(1)

    @app.route("/")
    @cache.cached(60)
    def index() -> str:
        return f"render {next(renders)}"

    with app.app_context():
        assert cache.set("kept", "old")
        assert cache.set("other", "old")
        fill(server.hosts)
        with caplog.at_level(logging.ERROR, logger="aerospike_cache"):
            if fail_open:
                assert cache.set("kept", "new") is False
                assert cache.set_many({"a": 1, "b": 2}) == []
                assert cache.cache.inc("n") is None
            else:
                with pytest.raises(NamespaceFullError, match="evict-used-pct"):
                    cache.set("kept", "new")
                with pytest.raises(NamespaceFullError):
                    cache.set_many({"a": 1, "b": 2})
        assert cache.get("kept") is None  # the old value is not served
        assert cache.get("other") == "old"  # reads go on
        assert cache.cache.get_or_set("computed", lambda: "fresh") == "fresh"
        assert cache.delete("other")
        logged = [r.getMessage() for r in caplog.records]
        assert len(logged) == (1 if fail_open else 0), logged
        stats = cache.cache.stats()
        assert stats["breaker"]["openings"] == 0 and stats["refused_writes"] >= 2
    # a page still renders (its cache write refused: fail-open, or Flask-Caching logs it)
    client = app.test_client()
    assert client.get("/").text == "render 1"
    assert client.get("/").text == "render 2"  # not cached: computed again


# -- the check command ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "default_timeout", "exit_code", "says"),
    [
        ({}, 300, 0, "warning (eviction-off)"),
        ({"evict-used-pct": 70}, 300, 0, "warning (evict-above-stop-writes)"),
        ({"evict-used-pct": 60}, 0, 0, "Set CACHE_DEFAULT_TIMEOUT to a number of seconds"),
        ({"evict-used-pct": 60}, 300, 0, "cache: ok"),
        ({"nsup-period": 0}, 300, 1, "error: namespace 'cache' refuses writes with a TTL"),
    ],
)
def test_check_command(
    make_embedded_server: Callable[..., Any],
    namespace: dict[str, Any],
    default_timeout: int,
    exit_code: int,
    says: str,
) -> None:
    server = make_embedded_server({"cache": namespace})
    app, _cache = _app(server.hosts, CACHE_DEFAULT_TIMEOUT=default_timeout)
    result = app.test_cli_runner().invoke(args=["aerospike-cache", "check"])
    assert result.exit_code == exit_code, result.output
    assert says in result.output


def test_check_command_can_fail_on_warnings(make_embedded_server: Callable[..., Any]) -> None:
    server = make_embedded_server({"cache": {}})
    app, _cache = _app(server.hosts)
    args = ["aerospike-cache", "check", "--fail-on-warning"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    assert "'evict-used-pct' well below 'stop-writes-used-pct'" in result.output


def test_check_command_on_the_test_server(aerospike_server: Any) -> None:
    """On a real node too: a namespace without eviction is warned about."""
    figures = namespace_figures(aerospike_server.hosts, aerospike_server.namespace)
    evicts = figures.get("storage-engine.evict-used-pct", "0") != "0"
    app, _cache = _app(aerospike_server.hosts, aerospike_server.namespace)
    result = app.test_cli_runner().invoke(args=["aerospike-cache", "check"])
    assert result.exit_code == 0, result.output
    assert ("warning (eviction-off)" in result.output) is not evicts
