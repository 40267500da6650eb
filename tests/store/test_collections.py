"""Hashes, sets and sorted sets on map bins (aerospike_cache.store.collections).

The contract runs on every store set-up (plain, observed, near cache, cluster);
expiry, tags, wrong types, fail-open and concurrency on a plain store.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.errors import CacheUnavailable, WrongTypeError
from aerospike_cache.store import MISSING, AerospikeStore
from aerospike_cache.store.collections import Collections
from tests.clock import FakeClock

TTL = 60.0


def coll(store: AerospikeStore) -> Collections:
    return store.collections


# -- hashes ---------------------------------------------------------------------------


def test_hash_round_trip(store: AerospikeStore) -> None:
    h = coll(store)
    assert h.hset("h", {"a": 1, "b": {"x": [1, 2]}, "c": None, "d": b"\x00raw"}, TTL) == 4
    assert h.hset("h", {"a": 2, "e": "new"}, TTL) == 1  # one new field, one updated
    assert h.hget("h", "a") == 2
    assert h.hget("h", "b") == {"x": [1, 2]}
    assert h.hget("h", "c") is None
    assert h.hget("h", "zz") is MISSING
    assert h.hmget("h", ["d", "zz", "e"]) == [b"\x00raw", MISSING, "new"]
    assert h.hgetall("h") == {"a": 2, "b": {"x": [1, 2]}, "c": None, "d": b"\x00raw", "e": "new"}
    assert sorted(h.hkeys("h")) == ["a", "b", "c", "d", "e"]
    assert len(h.hvals("h")) == 5
    assert h.hlen("h") == 5
    assert h.hexists("h", "a") and not h.hexists("h", "zz")
    assert h.hdel("h", ["a", "zz"]) == 1
    assert h.hlen("h") == 4
    assert h.hsetnx("h", "b", "other", TTL) is False
    assert h.hsetnx("h", "f", "first", TTL) is True
    assert h.hget("h", "b") == {"x": [1, 2]} and h.hget("h", "f") == "first"


def test_hincrby_is_native_and_creates(store: AerospikeStore) -> None:
    h = coll(store)
    assert h.hincrby("n", "hits", 5, TTL) == 5  # creates the key and the field
    assert h.hincrby("n", "hits", -2, TTL) == 3
    assert h.hget("n", "hits") == 3
    h.hset("n", {"name": "text"}, TTL)
    with pytest.raises(WrongTypeError):
        h.hincrby("n", "name", 1, TTL)
    assert h.hget("n", "name") == "text"


# -- sets -----------------------------------------------------------------------------


def test_set_round_trip(store: AerospikeStore) -> None:
    s = coll(store)
    assert s.sadd("s", ["a", "b", 3, ("t", 1)], TTL) == 4
    assert s.sadd("s", ["a", "c"], TTL) == 1
    assert s.smembers("s") == {"a", "b", "c", 3, ("t", 1)}
    assert s.scard("s") == 5
    assert s.sismember("s", 3) and s.sismember("s", ("t", 1)) and not s.sismember("s", "z")
    assert s.smismember("s", ["a", "z", 3]) == [True, False, True]
    assert s.srem("s", ["a", "z"]) == 1
    assert s.scard("s") == 4
    picked = s.srandmember("s", 2)
    assert len(picked) == 2 and set(picked) <= s.smembers("s")
    assert len(s.srandmember("s", -7)) == 7
    assert len(s.srandmember("s", 10)) == 4
    popped = s.spop("s", 3)
    assert len(popped) == 3 and not set(popped) & s.smembers("s")
    assert s.scard("s") == 1
    assert len(s.spop("s", 5)) == 1 and s.spop("s", 1) == []


def test_set_algebra_and_store_forms(store: AerospikeStore) -> None:
    s = coll(store)
    s.sadd("x", [1, 2, 3, 4], TTL)
    s.sadd("y", [3, 4, 5], TTL)
    s.sadd("z", [4, 6], TTL)
    assert s.combine_values("sdiff", ["x", "y", "z"]) == {1, 2}
    assert s.combine_values("sinter", ["x", "y", "z"]) == {4}
    assert s.combine_values("sunion", ["x", "y", "absent"]) == {1, 2, 3, 4, 5}
    assert s.combine_values("sinter", ["x", "absent"]) == set()
    store.set("dest", "plain", TTL)  # a *store replaces whatever dest held, as Redis does
    assert s.store_combined("sunion", "dest", ["x", "z"], TTL) == 5
    assert s.smembers("dest") == {1, 2, 3, 4, 6}
    assert s.store_combined("sinter", "dest", ["x", "absent"], TTL) == 0
    assert s.smembers("dest") == set() and not store.has("dest")


def test_smove(store: AerospikeStore) -> None:
    s = coll(store)
    s.sadd("src", ["m", "n"], TTL)
    assert s.smove("src", "dst", "m", TTL) is True
    assert s.smove("src", "dst", "absent", TTL) is False
    assert s.smembers("src") == {"n"} and s.smembers("dst") == {"m"}
    store.set("plain", 1, TTL)
    with pytest.raises(WrongTypeError):
        s.smove("src", "plain", "n", TTL)
    assert s.smembers("src") == {"n"}  # nothing taken


# -- sorted sets ----------------------------------------------------------------------

SCORES = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "e": 5.0}


def test_zadd_flags(store: AerospikeStore) -> None:
    z = coll(store)
    assert z.zadd("z", {"a": 1, "b": 2}, TTL) == 2
    assert z.zadd("z", {"a": 5, "c": 3}, TTL) == 1
    assert z.zadd("z", {"a": 6, "d": 4}, TTL, ch=True) == 2  # one changed, one added
    assert z.zadd("z", {"a": 0, "e": 1}, TTL, nx=True) == 1
    assert z.zscore("z", "a") == 6.0
    assert z.zadd("z", {"a": 7, "f": 1}, TTL, xx=True, ch=True) == 1
    assert z.zscore("z", "f") is None and z.zscore("z", "a") == 7.0
    assert z.zadd("z", {"a": 3, "b": 9, "g": 1}, TTL, gt=True, ch=True) == 2  # b up, g new
    assert (z.zscore("z", "a"), z.zscore("z", "b")) == (7.0, 9.0)
    assert z.zadd("z", {"a": 3, "b": 10}, TTL, lt=True) == 0
    assert (z.zscore("z", "a"), z.zscore("z", "b")) == (3.0, 9.0)
    assert z.zadd("z", {"a": 2}, TTL, incr=True) == 5.0
    assert z.zadd("z", {"a": 2}, TTL, incr=True, nx=True) is None
    assert z.zadd("z", {"new": 2}, TTL, incr=True, xx=True) is None
    assert z.zadd("z", {"a": -1}, TTL, incr=True, gt=True) is None
    assert z.zadd("fresh", {"m": 1}, TTL, gt=True) == 1  # creates the key
    with pytest.raises(ValueError):
        z.zadd("z", {"a": 1}, TTL, nx=True, xx=True)


def test_zset_reads(store: AerospikeStore) -> None:
    z = coll(store)
    z.zadd("z", SCORES, TTL)
    assert z.zcard("z") == 5
    assert z.zcount("z", 2, 4) == 3
    assert z.zcount("z", "(2", "+inf") == 3
    assert z.zcount("z", "-inf", "(2") == 1
    assert z.zincrby("z", 1.5, "a", TTL) == 2.5
    assert z.zincrby("z", 2, "new", TTL) == 2.0
    assert z.zrank("z", "a") == (2, 2.5)  # b 2.0, new 2.0, a 2.5
    assert z.zrank("z", "a", desc=True) == (3, 2.5)
    assert z.zrank("z", "zz") is None
    assert z.zrangebyscore("z", 2, 3) == [("b", 2.0), ("new", 2.0), ("a", 2.5), ("c", 3.0)]
    assert z.zrangebyscore("z", 2, 3, 1, 2) == [("new", 2.0), ("a", 2.5)]
    assert z.zrangebyscore("z", "(2.5", "+inf", desc=True) == [("e", 5.0), ("d", 4.0), ("c", 3.0)]
    assert z.zrem("z", ["new", "zz"]) == 1
    assert z.zremrangebyscore("z", "-inf", "(3") == 2
    assert [m for m, _ in z.zrange("z", 0, -1)] == ["c", "d", "e"]
    assert z.zpop("z", 1, True) == [("e", 5.0)]
    assert z.zpop("z", 5, False) == [("c", 3.0), ("d", 4.0)]
    assert z.zcard("z") == 0


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, -1), (0, 2), (1, 3), (-2, -1), (-10, 1), (2, -2), (-3, 4), (3, 1), (9, 12), (-9, -7)],
)
@pytest.mark.parametrize("desc", [False, True])
def test_zrange_index_rules_as_redis(
    plain_store: AerospikeStore, start: int, end: int, desc: bool
) -> None:
    z = coll(plain_store)
    z.zadd("z", SCORES, TTL)
    ordered = sorted(SCORES.items(), key=lambda kv: kv[1], reverse=desc)
    n = len(ordered)
    first = start if start >= 0 else max(n + start, 0)
    last = min(end if end >= 0 else n + end, n - 1)
    expected = ordered[first : last + 1] if first <= last else []
    assert z.zrange("z", start, end, desc) == expected


# -- every kind: absent, wrong type, expiry, tags, near cache -------------------------

READS: dict[str, Callable[[Collections], Any]] = {
    "hget": lambda c: c.hget("k", "f"),
    "hmget": lambda c: c.hmget("k", ["f"]),
    "hgetall": lambda c: c.hgetall("k"),
    "hlen": lambda c: c.hlen("k"),
    "hkeys": lambda c: c.hkeys("k"),
    "hexists": lambda c: c.hexists("k", "f"),
    "smembers": lambda c: c.smembers("k"),
    "sismember": lambda c: c.sismember("k", "m"),
    "smismember": lambda c: c.smismember("k", ["m"]),
    "scard": lambda c: c.scard("k"),
    "srandmember": lambda c: c.srandmember("k", 2),
    "sunion": lambda c: c.combine_values("sunion", ["k"]),
    "zcard": lambda c: c.zcard("k"),
    "zcount": lambda c: c.zcount("k", "-inf", "+inf"),
    "zscore": lambda c: c.zscore("k", "m"),
    "zrank": lambda c: c.zrank("k", "m"),
    "zrange": lambda c: c.zrange("k", 0, -1),
    "zrangebyscore": lambda c: c.zrangebyscore("k", 0, 10),
}
EMPTY = {
    "hget": MISSING,
    "hmget": [MISSING],
    "hgetall": {},
    "hlen": 0,
    "hkeys": [],
    "hexists": False,
    "smembers": set(),
    "sismember": False,
    "smismember": [False],
    "scard": 0,
    "srandmember": [],
    "sunion": set(),
    "zcard": 0,
    "zcount": 0,
    "zscore": None,
    "zrank": None,
    "zrange": [],
    "zrangebyscore": [],
}
WRITES: dict[str, Callable[[Collections], Any]] = {
    "hset": lambda c: c.hset("k", {"f": 1}, TTL),
    "hincrby": lambda c: c.hincrby("k", "f", 1, TTL),
    "hdel": lambda c: c.hdel("k", ["f"]),
    "sadd": lambda c: c.sadd("k", ["m"], TTL),
    "srem": lambda c: c.srem("k", ["m"]),
    "spop": lambda c: c.spop("k", 1),
    "zadd": lambda c: c.zadd("k", {"m": 1}, TTL),
    "zincrby": lambda c: c.zincrby("k", 1, "m", TTL),
    "zrem": lambda c: c.zrem("k", ["m"]),
    "zpop": lambda c: c.zpop("k", 1, True),
    "zremrangebyscore": lambda c: c.zremrangebyscore("k", 0, 10),
}


@pytest.mark.parametrize("name", sorted(READS))
def test_absent_key_reads_empty(plain_store: AerospikeStore, name: str) -> None:
    assert READS[name](coll(plain_store)) == EMPTY[name]


@pytest.mark.parametrize("name", sorted({**READS, **WRITES}))
def test_plain_value_is_wrong_type_and_kept(plain_store: AerospikeStore, name: str) -> None:
    plain_store.set("k", {"plain": "value"}, TTL)
    if name == "spop":  # reads the size first, which refuses already
        pass
    op = READS.get(name) or WRITES[name]
    with pytest.raises(WrongTypeError, match="WRONGTYPE"):
        op(coll(plain_store))
    assert plain_store.get("k") == {"plain": "value"}


@pytest.mark.parametrize("name", ["hset", "hincrby", "sadd", "zadd", "zincrby"])
def test_write_creates_with_ttl_and_keeps_deadline(plain_store: AerospikeStore, name: str) -> None:
    clock = FakeClock()
    plain_store.clock = clock
    WRITES[name](coll(plain_store))  # creates: the TTL given (60 s)
    assert plain_store.ttl("k") == 60
    clock.advance(30)
    WRITES[name](coll(plain_store))  # an update keeps the deadline
    assert plain_store.ttl("k") == 30
    clock.advance(30)
    assert coll(plain_store).hlen("k") == 0 and coll(plain_store).scard("k") == 0
    assert not plain_store.has("k")
    WRITES[name](coll(plain_store))  # the expired one is not revived: a new collection
    assert plain_store.ttl("k") == 60
    size = coll(plain_store).hlen("k")
    assert size == 1


def test_expired_collection_reads_empty_everywhere(plain_store: AerospikeStore) -> None:
    clock = FakeClock()
    plain_store.clock = clock
    c = coll(plain_store)
    c.sadd("k", ["m"], 5.0)
    c.sadd("other", ["m", "n"], 60.0)
    clock.advance(5)
    for name, read in READS.items():
        assert read(c) == EMPTY[name], name
    assert c.combine_values("sunion", ["k", "other"]) == {"m", "n"}
    assert c.srem("k", ["m"]) == 0


def test_never_expiring_and_gone_timeouts(plain_store: AerospikeStore) -> None:
    c = coll(plain_store)
    c.sadd("forever", ["m"], None)
    assert plain_store.ttl("forever") is None and c.scard("forever") == 1
    assert c.sadd("gone", ["m"], 0.0) == 1  # created and gone at once, as set(timeout=0)
    assert c.scard("gone") == 0


def test_tags_of_a_created_collection(plain_store: AerospikeStore) -> None:
    c = coll(plain_store)
    c.sadd("tagged", ["m"], TTL, tags=["team"])
    c.hset("tagged_hash", {"f": 1}, TTL, tags=["team"])
    c.zadd("other", {"m": 1}, TTL, tags=["else"])
    assert plain_store.invalidate_tags(["team"]) == 2
    assert c.scard("tagged") == 0 and c.hlen("tagged_hash") == 0 and c.zcard("other") == 1


def test_a_write_drops_the_key_from_the_near_cache(
    make_plain: Callable[..., AerospikeStore], aerospike_client: Any
) -> None:
    store = make_plain(near_cache={"ttl": 60.0})
    store.set("k", "plain", TTL)
    assert store.get("k") == "plain"  # now in the near cache
    aerospike_client.remove(store.records.key("k"))  # gone behind its back
    coll(store).sadd("k", ["m"], TTL)
    assert store.get("k") != "plain"
    assert coll(store).smembers("k") == {"m"}


def test_stats_count_collection_calls(plain_store: AerospikeStore) -> None:
    plain_store.failures.sample_every = 1
    coll(plain_store).sadd("k", ["m"], TTL)
    coll(plain_store).smembers("k")
    latency = plain_store.stats()["latency"]
    assert "sadd" in latency and "smembers" in latency


# -- failures -------------------------------------------------------------------------


def test_fail_open_reads_empty_and_writes_nothing(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore]
) -> None:
    store = make_faulty(fail_open=True)
    c = coll(store)
    assert c.sadd("k", ["m"], TTL) == 1
    embedded_server.stop()
    for name, read in READS.items():
        assert read(c) == EMPTY[name], name
    assert c.sadd("k", ["n"], TTL) == 0
    assert c.hset("h", {"f": 1}, TTL) == 0
    assert c.zadd("z", {"m": 1}, TTL) == 0
    assert c.hincrby("h", "f", 1, TTL) is None
    assert c.store_combined("sunion", "d", ["k"], TTL) == 0


def test_strict_raises_unavailable(
    embedded_server: Any, make_faulty: Callable[..., AerospikeStore]
) -> None:
    c = coll(make_faulty())
    embedded_server.stop()
    with pytest.raises(CacheUnavailable):
        c.smembers("k")
    with pytest.raises(CacheUnavailable):
        c.sadd("k", ["m"], TTL)


# -- concurrency: 8 threads x 2 processes lose nothing ----------------------------------

WORKER = textwrap.dedent(
    """
    import json, sys, threading
    from aerospike_cache.store import AerospikeStore
    hosts, namespace, set_name, tag = json.loads(sys.argv[1])
    store = AerospikeStore([tuple(h) for h in hosts], namespace=namespace, set_name=set_name)
    c = store.collections
    def work(t):
        for i in range(25):
            c.hincrby("counts", "n", 1, 60.0)
            c.hincrby("counts", f"t{t}", 1, 60.0)
            c.sadd("members", [f"{tag}-{t}-{i}"], 60.0)
            c.zincrby("scores", 1, "m", 60.0)
    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    print("done")
    """
)


def test_threads_and_processes_lose_nothing(
    aerospike_server: Any, aerospike_set: str, plain_store: AerospikeStore
) -> None:
    hosts = [list(h[:2]) for h in aerospike_server.hosts]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                json.dumps([hosts, aerospike_server.namespace, aerospike_set, p]),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in ("p0", "p1")
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "done" in out
    c = coll(plain_store)
    counts = c.hgetall("counts")
    assert counts["n"] == 2 * 8 * 25
    assert all(counts[f"t{t}"] == 2 * 25 for t in range(8))
    assert c.scard("members") == 2 * 8 * 25
    assert c.zscore("scores", "m") == 2 * 8 * 25.0
