"""django-redis 7's hashes, sets and sorted sets on the Django backend: every method,
sync and async, its key rules (prefix, version), timeouts, tags, wrong types, fail-open."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import CacheKeyWarning, caches
from django.test import override_settings

from aerospike_cache.collections import COLLECTION_METHODS, CollectionsMixin
from aerospike_cache.errors import WrongTypeError

from .conftest import aerospike_caches

# Every method and its django-redis 7 signature (without its ``client=``): a drop-in
# keeps the positional order.
DJANGO_REDIS_7 = {
    "hset": "(key, field=None, value=None, mapping=None, version=None)",
    "hdel": "(key, field, version=None)",
    "hlen": "(key, version=None)",
    "hkeys": "(key, version=None)",
    "hexists": "(key, field, version=None)",
    "sadd": "(key, *values, version=None)",
    "scard": "(key, version=None)",
    "sdiff": "(*keys, version=None)",
    "sdiffstore": "(dest, *keys, version_dest=None, version_keys=None)",
    "sinter": "(*keys, version=None)",
    "sinterstore": "(dest, *keys, version=None)",
    "smismember": "(key, *members, version=None)",
    "sismember": "(key, member, version=None)",
    "smembers": "(key, version=None)",
    "smove": "(source, destination, member, version=None)",
    "spop": "(key, count=None, version=None)",
    "srandmember": "(key, count=None, version=None)",
    "srem": "(key, *members, version=None)",
    "sscan": "(key, match=None, count=10, version=None)",
    "sscan_iter": "(key, match=None, count=10, version=None)",
    "sunion": "(*keys, version=None)",
    "sunionstore": "(destination, *keys, version=None)",
    "zadd": "(key, mapping, nx=False, xx=False, ch=False, incr=False, gt=False, lt=False, "
    "version=None)",
    "zcard": "(key, version=None)",
    "zcount": "(key, min, max, version=None)",
    "zincrby": "(key, amount, value, version=None)",
    "zpopmax": "(key, count=None, version=None)",
    "zpopmin": "(key, count=None, version=None)",
    "zrange": "(key, start, end, desc=False, withscores=False, score_cast_func=float, "
    "version=None)",
    "zrangebyscore": "(key, min, max, start=None, num=None, withscores=False, "
    "score_cast_func=float, version=None)",
    "zrank": "(key, value, withscore=False, version=None)",
    "zrem": "(key, *values, version=None)",
    "zremrangebyscore": "(key, min, max, version=None)",
    "zrevrange": "(key, start, end, withscores=False, score_cast_func=float, version=None)",
    "zrevrangebyscore": "(key, max, min, start=None, num=None, withscores=False, "
    "score_cast_func=float, version=None)",
    "zscore": "(key, value, version=None)",
}


def _positional(sig: inspect.Signature) -> str:
    """The signature without our keyword-only extras (``tags=``)."""
    params = [
        p
        for p in sig.parameters.values()
        if p.name != "self" and not (p.kind is p.KEYWORD_ONLY and p.name == "tags")
    ]
    text = str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))
    return text


@pytest.mark.parametrize("name", sorted(DJANGO_REDIS_7))
def test_signatures_are_django_redis_7s(name: str) -> None:
    sig = inspect.signature(getattr(CollectionsMixin, name))
    plain = sig.replace(
        parameters=[p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    )
    assert _positional(plain).replace("<class 'float'>", "float") == DJANGO_REDIS_7[name]


def test_every_method_has_an_async_form() -> None:
    for name in DJANGO_REDIS_7:
        if name != "sscan_iter":
            assert inspect.iscoroutinefunction(getattr(CollectionsMixin, f"a{name}")), name


# -- hashes ---------------------------------------------------------------------------


def test_hashes(aerospike_cache: Any) -> None:
    c = aerospike_cache
    assert c.hset("h", "a", 1) == 1
    assert c.hset("h", mapping={"b": [2], "c": None}) == 2
    assert c.hset("h", "a", 10, mapping={"d": "x"}) == 1
    assert c.hlen("h") == 4
    assert sorted(c.hkeys("h")) == ["a", "b", "c", "d"]
    assert c.hexists("h", "b") and not c.hexists("h", "zz")
    assert c.hget("h", "a") == 10 and c.hget("h", "zz") is None
    assert c.hmget("h", "b", "zz") == [[2], None]
    assert c.hgetall("h") == {"a": 10, "b": [2], "c": None, "d": "x"}
    assert c.hincrby("h", "a", 5) == 15
    assert c.hsetnx("h", "a", 0) is False
    assert c.hdel("h", "a") == 1 and c.hdel("h", "a") == 0
    assert sorted(map(str, c.hvals("h"))) == ["None", "[2]", "x"]
    with pytest.raises(ValueError):
        c.hset("h")


def test_keys_follow_prefix_and_version(aerospike_server: Any, aerospike_set: str) -> None:
    with override_settings(CACHES=aerospike_caches(aerospike_server, aerospike_set)):
        plain, prefixed, v2 = caches["default"], caches["prefixed"], caches["v2"]
        plain.sadd("s", 1)
        prefixed.sadd("s", 2)
        v2.sadd("s", 3)
        plain.sadd("s", 4, version=2)
        assert plain.smembers("s") == {1}
        assert prefixed.smembers("s") == {2}
        assert v2.smembers("s") == {3, 4}
        assert plain.smembers("s", version=2) == {3, 4}
        assert plain.sdiffstore("d", "s", version_dest=3, version_keys=2) == 2
        assert plain.smembers("d", version=3) == {3, 4}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plain.sadd("bad key", 1)
        assert any(issubclass(w.category, CacheKeyWarning) for w in caught)


# -- sets -----------------------------------------------------------------------------


def test_sets(aerospike_cache: Any) -> None:
    c = aerospike_cache
    assert c.sadd("s", "a", "b", "c") == 3
    assert c.sadd("s", "a") == 0
    assert c.scard("s") == 3
    assert c.smembers("s") == {"a", "b", "c"}
    assert c.sismember("s", "a") is True and c.sismember("s", "z") is False
    assert c.smismember("s", "a", "z") == [True, False]
    assert c.srem("s", "a", "z") == 1
    assert c.srandmember("s") in {"b", "c"}
    assert sorted(c.srandmember("s", 5)) == ["b", "c"]
    assert c.srandmember("absent") is None and c.srandmember("absent", 2) == []
    assert c.sscan("s") == {"b", "c"} and c.sscan("s", match="b*") == {"b"}
    assert set(c.sscan_iter("s", match="c")) == {"c"}
    assert c.spop("s") in {"b", "c"}
    assert len(c.spop("s", 5)) == 1 and c.spop("s") is None and c.spop("s", 2) == set()
    c.sadd("x", 1, 2, 3)
    c.sadd("y", 2, 3, 4)
    assert c.sdiff("x", "y") == {1}
    assert c.sinter("x", "y") == {2, 3}
    assert c.sunion("x", "y") == {1, 2, 3, 4}
    assert c.sinterstore("i", "x", "y") == 2 and c.smembers("i") == {2, 3}
    assert c.sunionstore("u", "x", "y") == 4 and c.scard("u") == 4
    assert c.smove("x", "y", 1) is True and c.smove("x", "y", 1) is False
    assert c.smembers("y") == {1, 2, 3, 4}


# -- sorted sets ----------------------------------------------------------------------


def test_sorted_sets(aerospike_cache: Any) -> None:
    c = aerospike_cache
    assert c.zadd("z", {"a": 1, "b": 2, "c": 3}) == 3
    assert c.zadd("z", {"a": 5}, xx=True, ch=True) == 1
    assert c.zadd("z", {"a": 1}, incr=True) == 6.0
    assert c.zcard("z") == 3 and c.zcount("z", 2, "+inf") == 3 and c.zcount("z", "(2", 3) == 1
    assert c.zscore("z", "a") == 6.0 and c.zscore("z", "nope") is None
    assert c.zincrby("z", 0.5, "b") == 2.5
    assert c.zrange("z", 0, -1) == ["b", "c", "a"]
    assert c.zrange("z", 0, 0, withscores=True) == [("b", 2.5)]
    assert c.zrange("z", 0, 0, desc=True, withscores=True, score_cast_func=int) == [("a", 6)]
    assert c.zrevrange("z", 0, 1) == ["a", "c"]
    assert c.zrangebyscore("z", 2, 5) == ["b", "c"]
    assert c.zrangebyscore("z", "-inf", "+inf", start=1, num=1, withscores=True) == [("c", 3.0)]
    assert c.zrevrangebyscore("z", "+inf", 3) == ["a", "c"]
    assert c.zrank("z", "c") == 1 and c.zrank("z", "c", withscore=True) == [1, 3.0]
    assert c.zrank("z", "nope") is None
    assert c.zpopmax("z") == ("a", 6.0)
    assert c.zpopmin("z", 1) == [("b", 2.5)]
    assert c.zrem("z", "c", "nope") == 1
    assert c.zpopmin("z") is None and c.zpopmax("z", 2) == []
    c.zadd("r", {"x": 1, "y": 2, "w": 3})
    assert c.zremrangebyscore("r", 1, "(3") == 2 and c.zrange("r", 0, -1) == ["w"]


# -- timeouts, tags, wrong type, async, fail-open --------------------------------------


def test_a_created_collection_lives_the_default_timeout(
    aerospike_server: Any, aerospike_set: str
) -> None:
    with override_settings(CACHES=aerospike_caches(aerospike_server, aerospike_set)):
        forever, default = caches["forever"], caches["default"]
        forever.sadd("never", 1)
        assert forever.ttl("never") is None
        default.hset("h", "f", 1)
        assert 295 <= default.ttl("h") <= 300
        assert default.expire("h", 10) and default.ttl("h") == 10
        default.hset("h", "g", 2)  # a write keeps the entry's expiry
        assert default.ttl("h") == 10
        assert default.persist("h") and default.ttl("h") is None


def test_tags_and_delete(aerospike_cache: Any) -> None:
    c = aerospike_cache
    c.sadd("s", 1, tags=["group"])
    c.zadd("z", {"m": 1}, tags=["group"])
    c.hset("h", "f", 1, tags=["other"])
    assert c.invalidate_tags("group") == 2
    assert c.scard("s") == 0 and c.zcard("z") == 0 and c.hlen("h") == 1
    assert c.delete("h") is True and c.hlen("h") == 0


def test_a_plain_value_is_a_wrong_type_never_overwritten(aerospike_cache: Any) -> None:
    c = aerospike_cache
    c.set("k", "plain")
    for call in (
        lambda: c.sadd("k", 1),
        lambda: c.hset("k", "f", 1),
        lambda: c.zadd("k", {"m": 1}),
        lambda: c.smembers("k"),
        lambda: c.zrange("k", 0, -1),
        lambda: c.sunion("k", "other"),
    ):
        with pytest.raises(WrongTypeError):
            call()
    assert c.get("k") == "plain"


async def test_async_forms(aerospike_cache: Any) -> None:
    c = aerospike_cache
    assert await c.asadd("s", 1, 2) == 2
    assert await c.asmembers("s") == {1, 2}
    assert await c.ahset("h", "f", "v") == 1
    assert await c.ahget("h", "f") == "v"
    assert await c.ahincrby("h", "n", 3) == 3
    assert await c.azadd("z", {"m": 2.0}) == 1
    assert await c.azrange("z", 0, -1, withscores=True) == [("m", 2.0)]
    assert await c.asunionstore("u", "s", version=None) == 2
    await c.aset("plain", 1)
    with pytest.raises(WrongTypeError):
        await c.ahset("plain", "f", 1)


@pytest.fixture
def unreachable() -> Iterator[Any]:
    """The default cache on a port nothing listens on, failing open."""
    conf = {
        "default": {
            "BACKEND": "aerospike_cache.django.AerospikeCache",
            "LOCATION": "127.0.0.1:1",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "TIMEOUT_MS": 200, "CONNECT_TIMEOUT_MS": 200},
        }
    }
    with override_settings(CACHES=conf):
        yield caches["default"]


def test_fail_open_reads_empty_writes_nothing(unreachable: Any) -> None:
    c = unreachable
    assert c.smembers("s") == set() and c.scard("s") == 0 and c.sadd("s", 1) == 0
    assert c.hgetall("h") == {} and c.hget("h", "f") is None and c.hset("h", "f", 1) == 0
    assert c.zrange("z", 0, -1) == [] and c.zadd("z", {"m": 1}) == 0 and c.zscore("z", "m") is None
    assert c.sunion("a", "b") == set() and c.spop("s") is None and c.zpopmax("z") is None


# Every method, in an order that gives each something to work on: its sync form on
# keys "s:*", its async form on keys "a:*", the same answers (random ones: their size).
SCENARIO: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("hset", ("h", "f", 1), {"mapping": {"g": "x"}}),
    ("hsetnx", ("h", "n", 2), {}),
    ("hget", ("h", "g"), {}),
    ("hmget", ("h", "f", "zz"), {}),
    ("hgetall", ("h",), {}),
    ("hincrby", ("h", "f", 4), {}),
    ("hexists", ("h", "f"), {}),
    ("hkeys", ("h",), {}),
    ("hvals", ("h",), {}),
    ("hdel", ("h", "f"), {}),
    ("hlen", ("h",), {}),
    ("sadd", ("s", 1, 2, 3), {}),
    ("sadd", ("t", 3, 4), {}),
    ("scard", ("s",), {}),
    ("sismember", ("s", 1), {}),
    ("smismember", ("s", 1, 9), {}),
    ("smembers", ("s",), {}),
    ("sscan", ("s",), {}),
    ("sdiff", ("s", "t"), {}),
    ("sinter", ("s", "t"), {}),
    ("sunion", ("s", "t"), {}),
    ("sdiffstore", ("d", "s", "t"), {}),
    ("sinterstore", ("i", "s", "t"), {}),
    ("sunionstore", ("u", "s", "t"), {}),
    ("smove", ("s", "t", 1), {}),
    ("srem", ("s", 2), {}),
    ("srandmember", ("u", 2), {}),
    ("spop", ("u", 2), {}),
    ("zadd", ("z", {"a": 1, "b": 2, "c": 3, "d": 4}), {"ch": True}),
    ("zcard", ("z",), {}),
    ("zcount", ("z", 2, "+inf"), {}),
    ("zincrby", ("z", 2.5, "a"), {}),
    ("zscore", ("z", "a"), {}),
    ("zrank", ("z", "a"), {"withscore": True}),
    ("zrange", ("z", 0, -1), {"withscores": True}),
    ("zrevrange", ("z", 0, 1), {}),
    ("zrangebyscore", ("z", 2, 4), {}),
    ("zrevrangebyscore", ("z", "+inf", "(2"), {"start": 0, "num": 2}),
    ("zrem", ("z", "b"), {}),
    ("zremrangebyscore", ("z", "-inf", 3), {}),
    ("zpopmax", ("z",), {}),
    ("zpopmin", ("z", 5), {}),
]
KEY_ARGS = {"sdiff", "sinter", "sunion", "sdiffstore", "sinterstore", "sunionstore", "smove"}


def _keyed(name: str, args: tuple[Any, ...], prefix: str) -> tuple[Any, ...]:
    """``args`` with their keys under ``prefix`` (every leading string key)."""
    if name in KEY_ARGS:
        keys = 2 if name == "smove" else len(args)
        return tuple(f"{prefix}{a}" if i < keys else a for i, a in enumerate(args))
    return (f"{prefix}{args[0]}", *args[1:])


def test_every_method_sync_and_async_alike(aerospike_cache: Any) -> None:
    import asyncio

    c = aerospike_cache
    covered = {name for name, _, _ in SCENARIO}
    assert covered == set(COLLECTION_METHODS)

    async def run_async() -> list[Any]:
        out = []
        for name, args, kwargs in SCENARIO:
            out.append(await getattr(c, f"a{name}")(*_keyed(name, args, "a:"), **kwargs))
        return out

    sync = [
        getattr(c, name)(*_keyed(name, args, "s:"), **kwargs) for name, args, kwargs in SCENARIO
    ]
    asynced = asyncio.run(run_async())
    for (name, _, _), got_sync, got_async in zip(SCENARIO, sync, asynced, strict=True):
        if name in ("srandmember", "spop"):
            assert len(got_sync) == len(got_async) == 2, name
        else:
            assert got_sync == got_async, name
    assert sync[:3] == [2, True, "x"] and sync[5] == 5  # and they are the answers expected
    assert sync[-2:] == [("d", 4.0), [("a", 3.5)]]
