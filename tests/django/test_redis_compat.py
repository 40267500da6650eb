"""django-redis 7's cache API on our backend: signatures, return values, options.

Each row of the README's django-redis table that has a meaning on Aerospike.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import checks
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from aerospike_cache.lock import LockError

from .conftest import aerospike_caches

MAX = 2**63 - 1


@pytest.fixture
def configured(aerospike_server: Any, aerospike_set: str) -> Iterator[Any]:
    """``configured(**OPTIONS)``: the default cache with these options added."""
    stack: list[Any] = []

    def make(**options: Any) -> Any:
        stack.append(
            override_settings(CACHES=aerospike_caches(aerospike_server, aerospike_set, **options))
        )
        stack[-1].enable()
        return caches["default"]

    yield make
    for item in reversed(stack):
        item.disable()


@pytest.fixture
def cache(configured: Any) -> Any:
    return configured()


# -- set(nx=, xx=) and what set returns ------------------------------------


def test_set_returns_whether_stored(cache: Any) -> None:
    assert cache.set("k", 1) is True
    assert cache.set("k", 2, nx=True) is False
    assert cache.get("k") == 1
    assert cache.set("n", 3, nx=True) is True
    assert cache.set("x", 1, xx=True) is False
    assert cache.get("x") is None
    assert cache.set("k", 5, 100, xx=True) is True
    assert cache.get("k") == 5
    assert 95 <= cache.ttl("k") <= 100


@pytest.mark.parametrize("timeout", [0, -1])
def test_nx_with_a_timeout_le_0_leaves_an_existing_key(cache: Any, timeout: int) -> None:
    cache.set("k", "old")
    assert cache.set("k", "new", timeout, nx=True) is False
    assert cache.get("k") == "old"
    assert cache.set("absent", "new", timeout, nx=True) is True  # stored and gone at once
    assert cache.get("absent") is None


@pytest.mark.parametrize("timeout", [0, -1])
def test_set_with_a_timeout_le_0_deletes_and_says_if_it_existed(cache: Any, timeout: int) -> None:
    cache.set("k", "old")
    assert cache.set("k", "new", timeout) is True
    assert cache.get("k") is None
    assert cache.set("k", "new", timeout) is False
    assert cache.set("k", "new", timeout, xx=True) is False


def test_xx_does_not_revive_an_entry_past_its_deadline(
    cache: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.set("k", "old", 60)
    now = cache.store.clock()
    monkeypatch.setattr(cache.store, "clock", lambda: now + 61)
    assert cache.set("k", "new", 60, xx=True) is False
    assert cache.get("k") is None


# -- delete, delete_many, incr/decr -----------------------------------------


def test_delete_many_returns_the_count(cache: Any) -> None:
    cache.set_many({"a": 1, "b": 2, "c": 3})
    assert cache.delete_many(["a", "b", "absent"]) == 2
    assert cache.delete_many(key for key in ["a", "b"]) == 0
    assert cache.delete_many([]) is None  # Django's contract for no keys
    assert cache.get("c") == 3


def test_delete_with_another_prefix(cache: Any) -> None:
    other = caches["prefixed"]
    other.set("k", 1)
    assert cache.delete("k", prefix="cacheprefix") is True
    assert other.get("k") is None
    assert cache.delete("k", prefix="cacheprefix") is False


def test_incr_ignore_key_check_creates_the_key(cache: Any) -> None:
    assert cache.incr("n", ignore_key_check=True) == 1
    assert cache.incr("n", 10, ignore_key_check=True) == 11
    assert 295 <= cache.ttl("n") <= 300  # the default timeout
    assert cache.incr("big", MAX, ignore_key_check=True) == MAX
    assert cache.incr("big", 2, ignore_key_check=True) == MAX + 2
    with pytest.raises(ValueError):
        cache.incr("absent")


def test_incr_and_decr_across_64_bits(cache: Any) -> None:
    cache.set("n", MAX)
    assert cache.incr("n") == MAX + 1
    assert cache.get("n") == MAX + 1
    assert cache.decr("n", 2) == MAX - 1
    cache.set("m", MAX + 1)  # stored by set beyond 64 bits
    assert cache.decr("m") == MAX
    assert cache.incr("m", 2) == MAX + 2
    cache.set("low", -(2**63))
    assert cache.decr("low") == -(2**63) - 1


# -- TTL in seconds and milliseconds ----------------------------------------


def test_ttl_and_pttl(cache: Any) -> None:
    cache.set("k", "v", 10)
    assert cache.ttl("k") == 10
    assert 9_000 < cache.pttl("k") <= 10_000
    cache.set("k", "v", 5.5)
    assert 5_000 < cache.pttl("k") <= 5_500
    cache.set("k", "v", None)
    assert cache.ttl("k") is None
    assert cache.pttl("k") is None
    assert cache.pttl("absent") == 0
    assert cache.ttl("absent") == 0


def test_pexpire(cache: Any) -> None:
    cache.set("k", "v", None)
    assert cache.pexpire("k", 20_500) is True
    assert 20_000 < cache.pttl("k") <= 20_500
    assert cache.pexpire("k", DEFAULT_TIMEOUT) is True  # the cache's default timeout
    assert 295_000 < cache.pttl("k") <= 300_000
    assert cache.pexpire("absent", 20_500) is False
    assert cache.pexpire("k", 0) is True  # expire now
    assert cache.get("k") is None


@pytest.mark.parametrize(("method", "unit"), [("expire_at", 1), ("pexpire_at", 1000)])
def test_expire_at(cache: Any, method: str, unit: int) -> None:
    expire_at = getattr(cache, method)
    cache.set("k", "v", None)
    when = datetime.datetime.now() + datetime.timedelta(hours=1)  # naive: local time
    assert expire_at("k", when) is True
    assert 3590 <= cache.ttl("k") <= 3600
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)
    assert expire_at("k", int(later.timestamp() * unit)) is True
    assert 7190 <= cache.ttl("k") <= 7200
    assert expire_at("k", datetime.datetime.now() - datetime.timedelta(hours=2)) is True
    assert cache.get("k") is None
    assert expire_at("absent", when) is False
    with pytest.raises(TypeError):
        expire_at("k", "tomorrow")


def test_expire_and_persist(cache: Any) -> None:
    cache.set("k", "v", None)
    assert cache.expire("k", 20) is True
    assert cache.ttl("k") == 20
    assert cache.persist("k") is True
    assert cache.ttl("k") is None
    assert cache.persist("absent") is False
    assert cache.expire("absent", 20) is False


# -- lock -------------------------------------------------------------------


def test_lock_with_django_redis_positional_order(cache: Any) -> None:
    lock = cache.lock("l", None, 30, 0.01, False)  # key, version, timeout, sleep, blocking
    assert lock.acquire() is True
    assert cache.ttl("l") == 30
    other = cache.lock("l", blocking=False)
    assert other.acquire() is False
    assert other.acquire(blocking=True, blocking_timeout=0.05) is False
    assert lock.owned() and not other.owned()
    lock.release()
    assert not cache.has_key("l")


@pytest.mark.parametrize("thread_local", [True, False])
def test_lock_thread_local(cache: Any, thread_local: bool) -> None:
    lock = cache.lock("l", thread_local=thread_local)
    assert lock.acquire(blocking=False)
    errors: list[BaseException] = []

    def release() -> None:
        try:
            lock.release()
        except LockError as exc:
            errors.append(exc)

    t = threading.Thread(target=release)
    t.start()
    t.join()
    assert cache.has_key("l") is thread_local  # another thread holds no token
    assert len(errors) == int(thread_local)
    if thread_local:
        lock.release()


# -- keys and patterns --------------------------------------------------------


def test_iter_keys_and_delete_pattern_signatures(cache: Any) -> None:
    for key in ("foo1", "foo2", "foo3", "bar"):
        cache.set(key, 1)
    assert sorted(cache.iter_keys("foo*", itersize=2)) == ["foo1", "foo2", "foo3"]
    assert sorted(cache.iter_keys("foo*", 2)) == ["foo1", "foo2", "foo3"]
    assert sorted(cache.iter_keys(pattern="foo*")) == ["foo1", "foo2", "foo3"]
    assert sorted(cache.keys("foo*")) == ["foo1", "foo2", "foo3"]
    assert cache.delete_pattern("foo*", itersize=10) == 3
    assert cache.keys("*") == ["bar"]


def test_delete_pattern_with_another_prefix(cache: Any) -> None:
    other = caches["prefixed"]
    other.set("foo1", 1)
    cache.set("foo1", 1)
    assert cache.delete_pattern("foo*", prefix="cacheprefix") == 1
    assert other.get("foo1") is None
    assert cache.get("foo1") == 1


# -- what has no meaning here -------------------------------------------------


def test_a_redis_client_is_refused_naming_the_store(cache: Any) -> None:
    for call in (
        lambda: cache.get("k", client=object()),
        lambda: cache.set("k", 1, client=object()),
        lambda: cache.delete("k", client=object()),
        lambda: cache.incr("k", client=object()),
    ):
        with pytest.raises(TypeError, match=r"cache\.store"):
            call()
    with pytest.raises(AttributeError, match=r"cache\.store"):
        cache.client  # noqa: B018
    assert cache.get("k", client=None) is None


# -- options and settings -----------------------------------------------------


def test_log_ignored_exceptions(configured: Any) -> None:
    assert configured(LOG_IGNORED_EXCEPTIONS=True, IGNORE_EXCEPTIONS=True).store.fail_open
    with pytest.raises(ImproperlyConfigured, match="'aerospike_cache' logger"):
        configured(LOG_IGNORED_EXCEPTIONS=False)


@pytest.mark.parametrize(
    ("option", "names"),
    [
        ("CLIENT_CLASS", "seed hosts in LOCATION"),
        ("SOCKET_TIMEOUT", "TIMEOUT_MS"),
        ("SENTINELS", "seed hosts in LOCATION"),
        ("CONNECTION_POOL_KWARGS", "CLIENT_CONFIG"),
        ("PASSWORD", "CLIENT_CONFIG"),
    ],
)
def test_django_redis_options_are_refused_naming_ours(
    configured: Any, option: str, names: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=names):
        configured(**{option: "x"})


def test_django_redis_serializer_and_compressor_paths(configured: Any) -> None:
    cache = configured(
        SERIALIZER="django_redis.serializers.json.JSONSerializer",
        COMPRESSOR="django_redis.compressors.zlib.ZlibCompressor",
    )
    codec = cache.store.codec
    assert type(codec.serializer).__module__ == "aerospike_cache.serialization"
    assert type(codec.serializer).__name__ == "JSONSerializer"
    assert type(codec.compressor).__name__.startswith("Zlib")
    cache.set("k", {"a": [1, 2]})
    assert cache.get("k") == {"a": [1, 2]}
    with pytest.raises(ImproperlyConfigured, match="'pickle', 'json', 'msgpack'"):
        configured(SERIALIZER="django_redis.serializers.other.Other")


def test_django_redis_ignore_exceptions_setting(configured: Any) -> None:
    with override_settings(DJANGO_REDIS_IGNORE_EXCEPTIONS=True):
        assert configured().store.fail_open
        assert not configured(IGNORE_EXCEPTIONS=False).store.fail_open


def test_django_redis_logger_settings_warn(configured: Any) -> None:
    configured()
    with override_settings(DJANGO_REDIS_LOGGER="mine", DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS=False):
        found = [m for m in checks.run_checks() if m.id == "aerospike_cache.W005"]
    assert len(found) == 2
    assert all("'aerospike_cache' logger" in m.msg for m in found)
