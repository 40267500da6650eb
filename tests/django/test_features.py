"""The Django backend's near cache, stampede-protected get_or_set, stats and management command."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import override_settings

from aerospike_cache.store.stampede import LOCK_PREFIX

from .conftest import aerospike_caches


@pytest.fixture
def configured(aerospike_server: Any, aerospike_set: str) -> Iterator[Any]:
    """``configured(**OPTIONS)``: the default cache with these options added."""

    def make(**options: Any) -> Any:
        conf = aerospike_caches(aerospike_server, aerospike_set, **options)
        conf["locmem"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        stack.append(override_settings(CACHES=conf))
        stack[-1].enable()
        return caches["default"]

    stack: list[Any] = []
    yield make
    for item in reversed(stack):
        item.disable()


def test_near_cache_option(configured: Any) -> None:
    cache = configured(NEAR_CACHE={"max_entries": 10, "ttl": 5.0})
    cache.set("k", {"a": [1]})
    got = cache.get("k")
    got["a"].append(2)
    assert cache.get("k") == {"a": [1]}
    cache.delete("k")
    assert cache.get("k") is None
    assert cache.stats()["near_hits"] == 1


def test_near_cache_follows_pattern_deletes_and_version_moves(configured: Any) -> None:
    cache = configured(NEAR_CACHE={"ttl": 60.0})
    cache.set_many({"user:1": "a", "user:2": "b", "other": "c"})
    assert cache.get_many(["user:1", "user:2", "other"]) == {
        "user:1": "a",
        "user:2": "b",
        "other": "c",
    }
    assert cache.delete_pattern("user:*") == 2
    assert cache.get_many(["user:1", "user:2", "other"]) == {"other": "c"}
    assert cache.incr_version("other") == 2
    assert cache.get("other") is None
    assert cache.get("other", version=2) == "c"


def test_bad_near_cache_option_fails_naming_it(configured: Any) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"unknown key 'size' in near_cache"):
        configured(NEAR_CACHE={"size": 10})


def test_stats_count_what_the_site_did(configured: Any) -> None:
    cache = configured()
    cache.reset_stats()
    cache.set("a", 1)
    cache.set_many({"b": 2, "c": 3})
    cache.get("a")
    cache.get("nope")
    cache.get_many(["a", "b", "zzz"])
    cache.delete("a")
    cache.delete_many(["b", "c"])
    stats = cache.stats()
    got = {k: stats[k] for k in ("hits", "misses", "sets", "deletes", "near_hits", "errors")}
    assert got == {"hits": 3, "misses": 2, "sets": 3, "deletes": 3, "near_hits": 0, "errors": {}}


async def test_aget_or_set_computes_once(configured: Any) -> None:
    cache = configured()
    runs: list[int] = []

    def compute() -> str:
        runs.append(1)
        time.sleep(0.05)
        return "v"

    got = await asyncio.gather(*(cache.aget_or_set("cold", compute, 60) for _ in range(5)))
    assert got == ["v"] * 5
    assert runs == [1]


@pytest.mark.parametrize("tags", [None, ["async-report"]], ids=["no-tags", "tags"])
@pytest.mark.parametrize("stampede", [True, False], ids=["stampede", "no-stampede"])
async def test_aget_or_set_runs_natively_on_the_event_loop(
    configured: Any, stampede: bool, tags: list[str] | None
) -> None:
    # Django 6.1's BaseCache.aget_or_set sends an overridden get_or_set to its
    # one thread-sensitive executor: every path of ours stays on the loop.
    cache = configured(STAMPEDE=stampede)

    def no_sync_hop(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("aget_or_set went through the sync get_or_set")

    cache.get_or_set = no_sync_hop
    loop_thread = threading.get_ident()
    ran_on: list[int] = []

    def compute() -> str:
        ran_on.append(threading.get_ident())
        return "first"

    assert await cache.aget_or_set("report", compute, 60, tags=tags) == "first"
    assert await cache.aget_or_set("report", lambda: "second", 60, tags=tags) == "first"
    assert await cache.aget_or_set("plain", "a value", tags=tags) == "a value"
    assert ran_on == [loop_thread]
    assert not cache.store.has(LOCK_PREFIX + cache.make_key("report"))
    if tags:
        assert cache.invalidate_tags(*tags) == 2
        assert cache.get_many(["report", "plain"]) == {}
    else:
        assert cache.invalidate_tags("async-report") == 0
        assert cache.get("report") == "first"


async def test_aget_or_set_checks_tags_before_computing(configured: Any) -> None:
    cache = configured(STAMPEDE=False)
    with pytest.raises(ValueError):
        await cache.aget_or_set("k", lambda: pytest.fail("computed"), tags=[""])


def test_stampede_off_is_djangos_own_get_or_set(configured: Any) -> None:
    cache = configured(STAMPEDE=False)
    assert cache.get_or_set("k", lambda: 1) == 1
    assert cache.get_or_set("k", lambda: 2) == 1
    assert not cache.store.has(LOCK_PREFIX + cache.make_key("k"))


def test_early_recompute_option(configured: Any) -> None:
    cache = configured(EARLY_RECOMPUTE=1e9)  # every hit is "about to expire"

    def slow_v1() -> str:
        # XFetch scales by the compute time: a 1 ms compute makes an early
        # recompute all but certain (a miss once in about 10**4 runs, not 1 in 16)
        time.sleep(0.001)
        return "v1"

    assert cache.get_or_set("hot", slow_v1, 60) == "v1"
    assert cache.get_or_set("hot", lambda: "v2", 60) == "v1"  # served, and refreshed
    assert cache.get("hot") == "v2"


@pytest.mark.parametrize("as_json", [False, True])
def test_management_command_stats(configured: Any, as_json: bool) -> None:
    cache = configured()
    cache.set("a", 1)
    cache.get("a")
    out = io.StringIO()
    call_command("aerospike_cache", "stats", *(["--json"] if as_json else []), stdout=out)
    if as_json:
        report = json.loads(out.getvalue())
        assert set(report) == {"default", "prefixed", "v2", "custom_key", "short", "forever"}
        assert report["default"]["process"]["hits"] >= 1
        assert report["default"]["server"]["set_stats"]["objects"] >= 1
    else:
        assert "cache 'default'" in out.getvalue() and "hit ratio" in out.getvalue()


def test_management_command_names_a_cache(configured: Any) -> None:
    configured()
    out = io.StringIO()
    call_command("aerospike_cache", "stats", "--cache", "default", "--no-server", stdout=out)
    assert "cache 'default'" in out.getvalue() and "server" not in out.getvalue()
    with pytest.raises(CommandError, match="'locmem' is not an aerospike_cache cache"):
        call_command("aerospike_cache", "stats", "--cache", "locmem")
    with pytest.raises(CommandError, match="no cache 'nope' in CACHES"):
        call_command("aerospike_cache", "stats", "--cache", "nope")
