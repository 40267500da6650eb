"""Tags and key patterns, matched by the server (filtered queries, background jobs)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.errors import CacheUnavailable, ConfigurationError
from aerospike_cache.jobs import Job
from aerospike_cache.store import MISSING, AerospikeStore, selection

MakeStore = Callable[..., AerospikeStore]

KEYS = [
    "app:1:user:1",
    "app:1:user:2",
    "app:1:user:10",
    "app:1:users",
    "app:2:user:1",  # another version
    "app:10:user:1",
    "other:1:user:1",  # another prefix
    "app:1:a.b",
    "app:1:aXb",
    "app:1:[x]*(y)",
    "app:1:é€𝄞",
    "app:1:éé",
    "app:1:line\nbreak",
]


@pytest.fixture
def filled(store: AerospikeStore) -> AerospikeStore:
    assert store.set_many(dict.fromkeys(KEYS, 1), 60) == []
    return store


@pytest.mark.parametrize(
    ("glob", "expected"),
    [
        ("user:*", ["user:1", "user:10", "user:2"]),
        ("user:?", ["user:1", "user:2"]),
        ("user:[!1]", ["user:2"]),
        ("a.b", ["a.b"]),  # "." is not a wildcard
        ("[[]x]\\*(y)", []),  # fnmatch has no escapes: "\\" is literal
        ("[[]x][*](y)", ["[x]*(y)"]),
        ("é?𝄞", ["é€𝄞"]),  # "?" is one character, of any width
        ("??", ["éé"]),
        ("line?break", ["line\nbreak"]),
        ("*", sorted(k[len("app:1:") :] for k in KEYS if k.startswith("app:1:"))),
    ],
)
def test_keys_match_exactly_under_a_literal_prefix(
    filled: AerospikeStore, glob: str, expected: list[str]
) -> None:
    found = sorted(k[len("app:1:") :] for k in filled.keys(glob, "app:1:"))
    assert found == sorted(expected)


def test_prefix_is_literal_and_versions_do_not_mix(filled: AerospikeStore) -> None:
    assert sorted(filled.keys("user:1", "app:1:")) == ["app:1:user:1"]
    assert sorted(filled.keys("*:user:1")) == [
        "app:10:user:1",
        "app:1:user:1",
        "app:2:user:1",
        "other:1:user:1",
    ]
    assert list(filled.keys("*", "app:?:")) == []  # the prefix is not a glob


def test_delete_pattern_removes_only_matches(filled: AerospikeStore) -> None:
    assert filled.delete_pattern("user:*", "app:1:") == 3
    assert filled.get("app:1:user:1") is MISSING
    assert filled.get("app:1:users") == 1
    assert filled.get("app:2:user:1") == 1
    assert filled.delete_pattern("user:*", "app:1:") == 0


def test_touch_pattern(filled: AerospikeStore) -> None:
    assert filled.touch_pattern("user:?", None, "app:1:") == 2
    assert filled.ttl("app:1:user:1") is None
    assert filled.ttl("app:1:user:10") not in (None, MISSING)


def test_many_pages(store: AerospikeStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selection, "PAGE", 1000)  # 2500 matches: three pages
    keys = {f"p:{i}": i for i in range(2500)} | {f"q:{i}": i for i in range(100)}
    assert store.set_many(keys, 60) == []
    ops: list[str] = []
    store.add_observer(lambda op, code, node, elapsed: ops.append(op))
    assert sum(1 for _ in store.keys("p:*")) == 2500
    assert ops.count("keys") >= 1 + 3  # the query, then a call per page
    assert store.delete_pattern("p:*") == 2500
    assert sorted(store.keys()) == sorted(f"q:{i}" for i in range(100))


def test_tags_invalidate_any_of_them(store: AerospikeStore) -> None:
    store.set("p7", "product 7", 60, tags=["product:7", "catalogue"])
    store.set("p8", "product 8", 60, tags=["product:8", "catalogue"])
    store.add("p9", "product 9", 60, tags=["product:9"])
    store.set_many({"list1": 1, "list2": 2}, 60, tags=["catalogue"])
    store.set("plain", 1, 60)
    assert store.invalidate_tags(["product:7"]) == 1
    assert store.get("p7") is MISSING and store.get("p8") == "product 8"
    assert store.invalidate_tags(["catalogue", "product:9"]) == 4
    assert [store.get(k) for k in ("p8", "p9", "list1", "list2")] == [MISSING] * 4
    assert store.get("plain") == 1
    assert store.invalidate_tags(["catalogue"]) == 0


def test_next_write_replaces_tags_incr_and_move_keep_them(store: AerospikeStore) -> None:
    store.set("a", 1, 60, tags=["t"])
    store.set("a", 2, 60)  # untagged now
    store.set("n", 1, 60, tags=["t"])
    assert store.incr("n", 5) == 6
    store.set("m", "v", 60, tags=["t"])
    assert store.move("m", "m2")
    store.set_many({"b": 1, "c": 2}, 60, tags=["t"])
    store.set_many({"b": 3}, 60)  # a batch write replaces too
    assert store.invalidate_tags(["t"]) == 3  # n, m2, c
    assert store.get("a") == 2 and store.get("b") == 3
    assert store.get("n") is MISSING and store.get("m2") is MISSING


def test_tag_prefixes_keep_caches_apart(store: AerospikeStore) -> None:
    store.set("a:k", 1, 60, tags=["t"], tag_prefix="a:")
    store.set("b:k", 1, 60, tags=["t"], tag_prefix="b:")
    assert store.invalidate_tags(["t"], "a:") == 1
    assert store.get("b:k") == 1


@pytest.mark.parametrize("bad", [[""], ["x" * 129], [f"t{i}" for i in range(33)], "t", [7]])
def test_bad_tags_rejected_before_anything_is_written(store: AerospikeStore, bad: Any) -> None:
    store.set("old", "kept", 60)
    with pytest.raises((TypeError, ValueError)):
        store.set("old", "new", 60, tags=bad)
    with pytest.raises((TypeError, ValueError)):
        store.add("new", 1, 60, tags=bad)
    with pytest.raises((TypeError, ValueError)):
        store.set_many({"m1": 1, "m2": 2}, 60, tags=bad)
    with pytest.raises((TypeError, ValueError)):
        store.invalidate_tags(bad if not isinstance(bad, str) else [bad, ""])
    assert store.get("old") == "kept"
    assert store.get_many(["new", "m1", "m2"]) == {}


def test_entries_without_stored_keys(make_store: MakeStore) -> None:
    store = make_store(store_keys=False)
    store.set("k1", 1, 60, tags=["t"])
    store.set("k2", 2, 60)
    # Tags need no key: the records are removed by digest.
    assert store.invalidate_tags(["t"]) == 1
    assert store.get("k1") is MISSING and store.get("k2") == 2
    # Patterns read the stored key: without it they cannot work, and say so.
    with pytest.raises(ConfigurationError, match="store_keys"):
        list(store.keys("k*"))
    with pytest.raises(ConfigurationError, match="store_keys"):
        store.delete_pattern("k*")


def test_invalidation_racing_with_writes(store: AerospikeStore) -> None:
    for i in range(300):
        store.set(f"r{i}", i, 60, tags=["race"])
    removed = store.invalidate_tags(["race"])
    store.set("r0", "after", 60, tags=["race"])  # written after invalidate_tags returned
    assert removed == 300
    assert store.get("r0") == "after"
    assert store.get("r1") is MISSING


def test_expired_entries_are_never_listed(store: AerospikeStore) -> None:
    store.set("gone", 1, 0.2, tags=["t"])
    store.set("live", 1, 60, tags=["t"])
    time.sleep(0.3)  # past the exact deadline; the server evicts a second or two later
    assert list(store.keys("*")) == ["live"]
    assert store.delete_pattern("*") == 1  # expired entries are not counted either
    store.set("gone2", 1, 0.2, tags=["t"])
    time.sleep(0.3)
    assert store.invalidate_tags(["t"]) == 0


def test_touch_pattern_moves_the_exact_deadline(store: AerospikeStore) -> None:
    store.set_many({"s1": 1, "s2": 2}, 60)
    store.set("other", 3, 60)
    assert store.touch_pattern("s*", 0.2) == 2
    time.sleep(0.3)
    assert store.get_many(["s1", "s2", "other"]) == {"other": 3}
    store.set("p", 1, 0.5)
    assert store.touch_pattern("p", None) == 1  # never expires: the deadline goes
    time.sleep(0.6)
    assert store.get("p") == 1 and store.ttl("p") is None


@pytest.mark.parametrize("op", ["delete_pattern", "invalidate_tags", "touch_pattern"])
def test_background_job_progress_reaches_100(store: AerospikeStore, op: str) -> None:
    store.set_many({f"j{i}": i for i in range(50)}, 60, tags=["job"])
    store.set_many({f"x{i}": i for i in range(10)}, 60)
    if op == "delete_pattern":
        job = store.delete_pattern("j*", wait=False)
    elif op == "invalidate_tags":
        job = store.invalidate_tags(["job"], wait=False)
    else:
        job = store.touch_pattern("j*", None, wait=False)
    assert isinstance(job, Job) and job.started
    assert job.wait(timeout=30)
    progress = job.progress()
    assert progress.percent == 100 and progress.done
    assert progress.records_read == 50  # recs-succeeded: the records the job changed
    if op == "touch_pattern":
        assert store.ttl("j0") is None and store.ttl("x0") is not None
        time.sleep(0.01)
        assert store.get("j0") == 0  # no deadline left behind
    else:
        assert store.get_many([f"j{i}" for i in range(50)]) == {}
    assert len(store.get_many([f"x{i}" for i in range(10)])) == 10


def test_fail_open_during_an_outage(embedded_server: Any) -> None:
    def make(**options: Any) -> AerospikeStore:
        hosts = [(embedded_server.host, embedded_server.port)]
        return AerospikeStore(hosts, namespace="test", set_name="tags", timeout_ms=300, **options)

    open_store, strict = make(fail_open=True), make()
    open_store.set("k", 1, 60, tags=["t"])
    embedded_server.stop()
    assert list(open_store.keys("*")) == []
    assert open_store.delete_pattern("*") == 0
    assert open_store.invalidate_tags(["t"]) == 0
    job = open_store.invalidate_tags(["t"], wait=False)
    assert isinstance(job, Job) and not job.started and job.done()
    assert open_store.set("k2", 1, 60, tags=["t"]) is False
    with pytest.raises(CacheUnavailable):
        strict.invalidate_tags(["t"])
    with pytest.raises(CacheUnavailable):
        list(strict.keys("*"))


def test_sets_keep_caches_apart(make_store: MakeStore, aerospike_set: str) -> None:
    mine, other = make_store(), make_store(set_name=aerospike_set + "_other")
    for store in (mine, other):
        store.set("k1", 1, 60, tags=["t"])
        store.set("k2", 2, 60)
    assert mine.invalidate_tags(["t"]) == 1
    assert mine.delete_pattern("k*") == 1
    assert list(mine.keys()) == []
    assert sorted(other.keys()) == ["k1", "k2"] and other.get("k1") == 1
    other.clear()


def test_signed_entries(make_store: MakeStore) -> None:
    store = make_store(signing_key="a secret of 16 bytes or more")
    store.set("s1", {"v": 1}, 60, tags=["t"])
    store.set_many({"s2": 2, "s3": 3}, 60, tags=["t"])
    assert store.get("s1") == {"v": 1}  # the tag bin does not disturb the signed value
    assert sorted(store.keys("s*")) == ["s1", "s2", "s3"]
    assert store.invalidate_tags(["t"]) == 3


def test_touch_job_writes_the_exact_deadline(store: AerospikeStore) -> None:
    store.set_many({"t1": 1, "t2": 2}, 60)
    job = store.touch_pattern("t*", 0.5, wait=False)
    assert isinstance(job, Job) and job.wait(timeout=30)
    assert store.get("t1") == 1
    time.sleep(0.6)
    assert store.get_many(["t1", "t2"]) == {}


def test_entry_rewritten_without_the_tag_during_invalidation_is_kept(
    store: AerospikeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.set_many({"w1": 1, "w2": 2}, 60, tags=["t"])
    pages = selection.Selection.pages

    def rewrite_between_query_and_removes(self: Any, op: str, expression: Any) -> Any:
        for page in pages(self, op, expression):
            store.set("w1", "rewritten, untagged", 60)  # after the query saw it tagged
            yield page

    monkeypatch.setattr(selection.Selection, "pages", rewrite_between_query_and_removes)
    assert store.invalidate_tags(["t"]) == 1  # the batch carries the filter: w1 is spared
    assert store.get("w1") == "rewritten, untagged" and store.get("w2") is MISSING
