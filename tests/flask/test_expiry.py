"""Exact expiry through the cachelib contract and Flask-Caching's decorators.

The store's clock is moved by hand (``clock``); one test sleeps in real time.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask_caching import Cache

from aerospike_cache.flask import AerospikeCache
from tests.clock import FakeClock


def on_fake_clock(cache: AerospikeCache, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(cache.store, "clock", fake)  # the store is shared: restored
    return fake


def test_every_path_misses_from_the_timeout_on(
    make_cache: Callable[..., AerospikeCache], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = make_cache()
    clock = on_fake_clock(cache, monkeypatch)
    cache.set("k", "v", timeout=2)
    cache.set_many({"m": 1}, timeout=2)
    clock.advance(1.999)
    assert cache.get("k") == "v" and cache.has("k") and cache.ttl("k") == 1
    assert cache.get_many("k", "m") == ["v", 1]
    clock.advance(0.001)
    assert cache.get("k") is None and not cache.has("k") and cache.ttl("k") == 0
    assert cache.get_dict("k", "m") == {"k": None, "m": None}
    assert cache.add("k", "new") is True


def test_inc_on_an_expired_entry_starts_again(
    make_cache: Callable[..., AerospikeCache], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = make_cache(default_timeout=60)
    clock = on_fake_clock(cache, monkeypatch)
    cache.set("n", 41, timeout=1)
    assert cache.inc("n") == 42
    clock.advance(1)
    assert cache.inc("n", 5) == 5  # created anew with delta and the default timeout
    assert cache.dec("n") == 4
    assert cache.ttl("n") == 60


def test_cached_view_is_rendered_again_at_its_timeout(
    make_app: Callable[..., tuple[Flask, Cache]], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, cache = make_app()
    with app.app_context():
        clock = on_fake_clock(cache.cache, monkeypatch)
    counter = itertools.count(1)

    @app.route("/page")
    @cache.cached(timeout=5)
    def page() -> str:
        return f"render {next(counter)}"

    client = app.test_client()
    assert client.get("/page").text == "render 1"
    clock.advance(4.999)
    assert client.get("/page").text == "render 1"
    clock.advance(0.001)
    assert client.get("/page").text == "render 2"


def test_memoized_in_real_time(make_app: Callable[..., tuple[Flask, Cache]]) -> None:
    app, cache = make_app()
    calls: list[Any] = []

    @cache.memoize(timeout=1)
    def double(x: int) -> int:
        calls.append(x)
        return 2 * x

    with app.app_context():
        assert double(2) == 4 and double(2) == 4
        time.sleep(1.05)  # just past the timeout: a 1 s entry no longer lives up to 2 s
        assert double(2) == 4
    assert calls == [2, 2]
