"""Our backend beyond Django's base contract: extras, options, checks, failure modes."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from aerospike_cache.django import AerospikeCache
from aerospike_cache.django.checks import check_cluster, check_configuration

from .conftest import BACKEND, location


def test_ttl_expire_persist(aerospike_cache: Any) -> None:
    cache = aerospike_cache
    cache.set("k", "v", 100)
    assert 95 <= cache.ttl("k") <= 100
    assert cache.expire("k", 10) is True
    assert 5 <= cache.ttl("k") <= 10
    assert cache.persist("k") is True
    assert cache.ttl("k") is None
    assert cache.ttl("absent") == 0
    assert cache.expire("absent", 10) is False
    assert cache.persist("absent") is False


def test_iter_keys_and_delete_pattern(aerospike_cache: Any) -> None:
    cache = aerospike_cache
    cache.set_many({"user:1": 1, "user:2": 2, "page:1": 3})
    cache.set("user:3", 3, version=2)
    assert sorted(cache.iter_keys("user:*")) == ["user:1", "user:2"]
    assert cache.keys("page:*") == ["page:1"]
    assert cache.delete_pattern("user:*") == 2
    assert cache.get("user:1") is None
    assert cache.get("page:1") == 3
    assert cache.get("user:3", version=2) == 3


def test_backend_instances_share_one_store(aerospike_cache: Any) -> None:
    a = caches["default"]
    b = AerospikeCache(
        location_of(a), {"OPTIONS": {"NAMESPACE": a.store.namespace, "SET": a.store.set_name}}
    )
    assert b.store is a.store


def location_of(cache: Any) -> str:
    return ",".join(f"{h[0]}:{h[1]}" for h in cache.store.records.config["hosts"])


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"NAMESPAC": "cache"}, "unknown option 'NAMESPAC'.*valid options:.*NAMESPACE"),
        ({"TIMEOUT_MS": "fast"}, "TIMEOUT_MS.*must be int"),
        ({"IGNORE_EXCEPTIONS": "yes"}, "IGNORE_EXCEPTIONS.*must be bool"),
        ({"SERIALIZER": "yaml"}, "unknown serializer 'yaml'"),
        ({"COMPRESSOR": "brotli"}, "unknown compressor 'brotli'"),
        ({"SIGNING_KEY": "short"}, "at least 16 bytes"),
    ],
)
def test_bad_options_fail_at_startup(options: dict[str, Any], needle: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=needle):
        AerospikeCache("127.0.0.1:3000", {"OPTIONS": options})


def test_empty_location_is_explained() -> None:
    with pytest.raises(ImproperlyConfigured, match="LOCATION is empty"):
        AerospikeCache("", {})


def _caches_on(server: Any, namespace: str) -> dict[str, Any]:
    options = {"NAMESPACE": namespace}
    return {"default": {"BACKEND": BACKEND, "LOCATION": location(server), "OPTIONS": options}}


def test_system_checks(aerospike_server: Any) -> None:
    bad = {"default": {"BACKEND": BACKEND, "LOCATION": "h:1", "OPTIONS": {"BOGUS": 1}}}
    with override_settings(CACHES=bad):
        errors = check_configuration()
        assert [e.id for e in errors] == ["aerospike_cache.E001"]
        assert "BOGUS" in errors[0].msg
    with override_settings(CACHES=_caches_on(aerospike_server, aerospike_server.namespace)):
        assert check_configuration() == []
        # warnings at most (a namespace without eviction: see test_full.py)
        assert not [m for m in check_cluster() if m.is_serious()]
        call_command("check")


def test_deploy_check_reports_nsup(aerospike_server: Any) -> None:
    if aerospike_server.nonsup_namespace is None:
        pytest.skip("set AEROSPIKE_NONSUP_NAMESPACE to a namespace with nsup-period 0")
    with override_settings(CACHES=_caches_on(aerospike_server, aerospike_server.nonsup_namespace)):
        errors = check_cluster()
    assert [e.id for e in errors] == ["aerospike_cache.E002"]
    assert "nsup-period" in errors[0].msg


def test_fail_open_when_cluster_unreachable() -> None:
    cache = AerospikeCache(
        "127.0.0.1:9",
        {"OPTIONS": {"IGNORE_EXCEPTIONS": True, "CONNECT_TIMEOUT_MS": 200, "NAMESPACE": "x"}},
    )
    started = time.monotonic()
    assert cache.get("k", "dflt") == "dflt"
    cache.set("k", "v")
    assert cache.add("k", "v") is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set_many({"a": 1}) == ["a"]
    assert cache.delete("k") is False
    assert cache.has_key("k") is False
    with pytest.raises(ValueError):
        cache.incr("k")
    assert time.monotonic() - started < 5


def test_lock_excludes_a_second_holder_and_releases(aerospike_cache: Any) -> None:
    from aerospike_cache.lock import LockError

    first = aerospike_cache.lock("job", timeout=30)
    second = aerospike_cache.lock("job", timeout=30)
    assert first.acquire(blocking=False) is True
    assert second.acquire(blocking=False) is False
    assert second.acquire(blocking_timeout=0.2) is False
    assert first.locked() is True
    with pytest.raises(LockError):
        second.release()  # never acquired: must not free first's lock
    assert first.locked() is True
    first.release()
    assert first.locked() is False
    with second:
        assert second.locked() is True
    assert second.locked() is False


def test_lock_that_expired_and_was_retaken_is_not_released_by_its_old_holder(
    aerospike_cache: Any,
) -> None:
    from aerospike_cache.lock import LockError

    old = aerospike_cache.lock("job", timeout=1)
    assert old.acquire(blocking=False)
    time.sleep(1.05)  # exact expiry: the lock is free just past its timeout
    new = aerospike_cache.lock("job", timeout=30)
    assert new.acquire(blocking=False)
    with pytest.raises(LockError):
        old.release()
    assert new.locked() is True
    new.release()


_VALUES: dict[str, Any] = {
    "none": None,
    "bool": True,
    "bytes": b"\x00\xffraw",
    "tuple": (1, "two", (3,)),
    "datetime": datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.timezone.utc),
    "unicode": "unicode ✓ 漢字 " * 200,  # long enough to be compressed
}


@pytest.mark.parametrize("compressor", [None, "zlib", "zstd", "lz4"])
@pytest.mark.parametrize("serializer", ["pickle", "json", "msgpack"])
def test_every_serializer_and_compressor_round_trips_the_value_set(
    aerospike_server: Any, aerospike_set: str, serializer: str, compressor: str | None
) -> None:
    from .conftest import aerospike_caches
    from .models import Poll

    options = {"SERIALIZER": serializer, "COMPRESSOR": compressor, "COMPRESS_MIN_SIZE": 64}
    with override_settings(CACHES=aerospike_caches(aerospike_server, aerospike_set, **options)):
        cache = caches["default"]
        cache.set_many(_VALUES)
        got = cache.get_many(list(_VALUES))
        for name, value in _VALUES.items():
            assert got[name] == value and type(got[name]) is type(value), name
            assert cache.get(name) == value
        poll = Poll(id=7, question="What's up?", votes=3)
        if serializer == "pickle":
            cache.set("poll", poll)
            got_poll = cache.get("poll")
            assert (got_poll.pk, got_poll.question, got_poll.votes) == (7, "What's up?", 3)
        else:
            # json/msgpack cannot say a model: a clear error and nothing written
            with pytest.raises(TypeError, match="Poll"):
                cache.set("poll", poll)
            assert cache.get("poll") is None
