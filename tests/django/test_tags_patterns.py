"""Tags and key patterns through the Django backend: prefixes, versions, key functions."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from aerospike_cache.django import AerospikeCache
from aerospike_cache.jobs import Job
from tests.django.conftest import aerospike_caches


def test_tags_on_every_write_and_invalidation_across_versions(aerospike_cache: Any) -> None:
    cache = aerospike_cache
    cache.set("p7", "seven", tags=["product:7", "catalogue"])
    cache.set("p7", "seven v2", version=2, tags=["product:7"])
    cache.add("p8", "eight", tags=["catalogue"])
    cache.set_many({"l1": 1, "l2": 2}, tags=["catalogue"])
    assert cache.get_or_set("p9", lambda: "nine", tags=["catalogue"]) == "nine"
    cache.set("plain", 1)
    # A tag is not a key: it spans versions.
    assert cache.invalidate_tags("product:7") == 2
    assert cache.get("p7") is None and cache.get("p7", version=2) is None
    assert cache.invalidate_tags("catalogue") == 4
    assert cache.get_many(["p8", "l1", "l2", "p9"]) == {}
    assert cache.get("plain") == 1


def test_key_prefix_namespaces_tags_and_patterns(aerospike_cache: Any) -> None:
    plain, prefixed = caches["default"], caches["prefixed"]
    plain.set("k", "plain", tags=["t"])
    prefixed.set("k", "prefixed", tags=["t"])
    assert prefixed.keys("*") == ["k"]
    assert prefixed.invalidate_tags("t") == 1
    assert plain.get("k") == "plain" and prefixed.get("k") is None
    assert plain.delete_pattern("k") == 1


def test_patterns_do_not_cross_versions(aerospike_cache: Any) -> None:
    v1, v2 = caches["default"], caches["v2"]
    v1.set_many({"user:1": 1, "user:10": 10, "user:x": 0})
    v2.set("user:1", 2)
    assert sorted(v1.iter_keys("user:?")) == ["user:1", "user:x"]
    assert v2.keys("user:*") == ["user:1"]
    assert v1.delete_pattern("user:1*") == 2
    assert v2.get("user:1") == 2 and v1.get("user:x") == 0


def test_custom_key_function(aerospike_cache: Any) -> None:
    custom = caches["custom_key"]
    custom.set("a1", 1)
    custom.set("b1", 2)
    assert custom.delete_pattern("a*") == 1
    assert custom.get("a1") is None and custom.get("b1") == 2


def test_bad_tags_are_refused_before_anything_is_written(aerospike_cache: Any) -> None:
    cache = aerospike_cache
    calls = []
    with pytest.raises(ValueError, match="non-empty"):
        cache.get_or_set("g", lambda: calls.append(1), tags=[""])
    with pytest.raises(TypeError, match="single str"):
        cache.set("s", 1, tags="product:7")
    with pytest.raises(ValueError, match="at most 32 tags"):
        cache.set_many({"m": 1}, tags=[str(i) for i in range(33)])
    assert calls == [] and cache.get_many(["g", "s", "m"]) == {}
    cache.set("kept", 1)
    sets = cache.store.stats()["sets"]
    with pytest.raises(ValueError, match="non-empty"):  # a timeout of 0 deletes: checked alike
        cache.set("kept", 2, 0, tags=[""])
    assert cache.get("kept") == 1 and cache.store.stats()["sets"] == sets + 1


def test_touch_pattern_and_background_jobs(aerospike_cache: Any) -> None:
    cache = aerospike_cache
    cache.set_many({f"job:{i}": i for i in range(20)}, timeout=100, tags=["job"])
    assert cache.touch_pattern("job:1?", None) == 10
    assert cache.ttl("job:10") is None and cache.ttl("job:1") is not None
    job = cache.invalidate_tags("job", wait=False)
    assert isinstance(job, Job) and job.wait(30) and job.progress().percent == 100
    assert cache.keys("job:*") == []


@pytest.mark.parametrize("no_wait", [False, True])
def test_management_command_invalidate(aerospike_cache: Any, no_wait: bool) -> None:
    cache = aerospike_cache
    cache.set_many({"a1": 1, "a2": 2, "b1": 3}, tags=["t"])
    cache.set("c1", 4)
    out = io.StringIO()
    extra = ["--no-wait"] if no_wait else []
    call_command(
        "aerospike_cache", "invalidate", "--pattern", "a*", "--cache", "default", *extra, stdout=out
    )
    call_command(
        "aerospike_cache", "invalidate", "--tag", "t", "--cache", "default", *extra, stdout=out
    )
    assert cache.get_many(["a1", "a2", "b1", "c1"]) == {"c1": 4}
    text = out.getvalue()
    if no_wait:
        assert "job done: 2 entries matching 'a*' removed" in text
        assert "job done: 1 entry tagged 't' removed" in text
    else:
        assert "2 entries matching 'a*' removed" in text
        assert "1 entry tagged 't' removed" in text


def test_management_command_needs_a_tag_or_a_pattern(aerospike_cache: Any) -> None:
    with pytest.raises(CommandError):
        call_command("aerospike_cache", "invalidate", "--cache", "default")


def test_fail_open_during_an_outage(embedded_server: Any) -> None:
    location = f"{embedded_server.host}:{embedded_server.port}"
    options = {"NAMESPACE": "test", "SET": "tags_outage", "IGNORE_EXCEPTIONS": True}
    cache = AerospikeCache(location, {"OPTIONS": {**options, "TIMEOUT_MS": 300}})
    cache.set("k", 1, tags=["t"])
    embedded_server.stop()
    assert cache.invalidate_tags("t") == 0
    assert cache.delete_pattern("*") == 0 and cache.keys("*") == []
    job = cache.delete_pattern("*", wait=False)
    assert isinstance(job, Job) and not job.started and job.done()
    cache.set("k2", 2, tags=["t"])  # a no-op write, not an error


async def test_async_tags_and_patterns(aerospike_cache: Any) -> None:
    cache = aerospike_cache
    await cache.aset("a1", 1, tags=["t"])
    await cache.aadd("a2", 2, tags=["t"])
    assert await cache.aset_many({"a3": 3, "b1": 4}, tags=["u"]) == []
    assert await cache.ainvalidate_tags("t") == 2
    assert await cache.adelete_pattern("a*") == 1
    assert await cache.aget_many(["a1", "a2", "a3", "b1"]) == {"b1": 4}
    job = await cache.ainvalidate_tags("u", wait=False)
    assert isinstance(job, Job) and job.wait(30)
    assert await cache.aget("b1") is None


@pytest.mark.parametrize("stampede", [True, False], ids=["stampede", "no-stampede"])
async def test_aget_or_set_stores_tags(
    aerospike_server: Any, aerospike_set: str, stampede: bool
) -> None:
    settings = aerospike_caches(aerospike_server, aerospike_set, STAMPEDE=stampede)
    with override_settings(CACHES=settings):
        cache = caches["default"]
        assert await cache.aget_or_set("a9", lambda: "nine", tags=["async-tag"]) == "nine"
        assert await cache.aget_or_set("a9", lambda: "other", tags=["async-tag"]) == "nine"
        assert cache.get_or_set("s9", lambda: "sync", tags=["async-tag"]) == "sync"
        assert cache.invalidate_tags("async-tag") == 2
        assert cache.get("a9") is None and cache.get("s9") is None
