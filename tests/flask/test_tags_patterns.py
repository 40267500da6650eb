"""Tags and key patterns through Flask-Caching (``Cache.set(..., tags=...)`` passes through)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.flask import AerospikeCache
from aerospike_cache.jobs import Job


def test_tags_pass_through_flask_caching(make_app: Callable[..., Any]) -> None:
    _app, cache = make_app(CACHE_KEY_PREFIX="app_")
    cache.set("p7", "seven", tags=["product:7"])
    cache.add("p8", "eight", tags=["product:8", "catalogue"])
    cache.set_many({"l1": 1, "l2": 2}, tags=["catalogue"])
    cache.set("plain", 1)
    backend: AerospikeCache = cache.cache
    assert backend.invalidate_tags("product:7") == 1
    assert cache.get("p7") is None and cache.get("p8") == "eight"
    assert backend.invalidate_tags("catalogue") == 3
    assert cache.get("plain") == 1


def test_key_prefix_namespaces_tags_and_patterns(make_cache: Callable[..., Any]) -> None:
    a, b = make_cache(key_prefix="a_"), make_cache(key_prefix="b_")
    a.set("k1", 1, tags=["t"])
    a.set("k2", 2)
    b.set("k1", 1, tags=["t"])
    assert sorted(a.iter_keys("k*")) == ["k1", "k2"]
    assert a.invalidate_tags("t") == 1
    assert b.get("k1") == 1
    assert a.delete_pattern("k?") == 1
    assert b.get("k1") == 1 and a.get("k2") is None
    assert b.touch_pattern("k*", 0) == 1  # cachelib: 0 never expires
    assert b.ttl("k1") is None
    job = b.delete_pattern("k*", wait=False)
    assert isinstance(job, Job) and job.wait(30)
    assert b.get("k1") is None


@pytest.mark.parametrize("bad", [[""], ["x" * 129], "t"])
def test_bad_tags_refused_before_anything_is_written(
    make_cache: Callable[..., Any], bad: Any
) -> None:
    cache = make_cache()
    for write in (
        lambda: cache.set("k", 1, tags=bad),
        lambda: cache.add("k", 1, tags=bad),
        lambda: cache.set_many({"k": 1}, tags=bad),
        lambda: cache.set_many({"k": 1, "k2": 2}, tags=bad),
    ):
        with pytest.raises((TypeError, ValueError)):
            write()
    assert cache.get_many("k", "k2") == [None, None]


@pytest.mark.parametrize("no_wait", [False, True])
def test_cli_invalidate(make_app: Callable[..., Any], no_wait: bool) -> None:
    app, cache = make_app(CACHE_KEY_PREFIX="cli_")
    cache.set_many({"a1": 1, "a2": 2, "b1": 3}, tags=["t"])
    cache.set("c1", 4)
    runner = app.test_cli_runner()
    extra = ["--no-wait"] if no_wait else []
    first = runner.invoke(args=["aerospike-cache", "invalidate", "--pattern", "a*", *extra])
    second = runner.invoke(args=["aerospike-cache", "invalidate", "--tag", "t", *extra])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert cache.get_many("a1", "a2", "b1", "c1") == [None, None, None, 4]
    if not no_wait:
        assert "2 entries matching 'a*' removed" in first.output
        assert "1 entry tagged 't' removed" in second.output
    usage = runner.invoke(args=["aerospike-cache", "invalidate"])
    assert usage.exit_code != 0 and "--tag or --pattern" in usage.output


def test_fail_open_during_an_outage(embedded_server: Any) -> None:
    cache = AerospikeCache(
        hosts=[(embedded_server.host, embedded_server.port, None)],
        namespace="test",
        set_name="tags_outage",
        fail_open=True,
        timeout_ms=300,
    )
    cache.set("k", 1, tags=["t"])
    embedded_server.stop()
    assert cache.invalidate_tags("t") == 0
    assert cache.delete_pattern("*") == 0 and list(cache.iter_keys()) == []
    job = cache.invalidate_tags("t", wait=False)
    assert isinstance(job, Job) and not job.started and job.done()
    assert cache.set("k2", 2, tags=["t"]) is False
