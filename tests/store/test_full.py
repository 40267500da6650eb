"""The store on a full namespace (code 8, stop-writes): never an outage, says what to change.

A private embedded server with a small ``cache`` namespace is filled by
another client; the store then meets what a real node answers past
``stop-writes-used-pct``: every write refused with code 8, reads and removes
served (see tests/server/test_capacity.py for the server side).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.errors import CacheOperationError, NamespaceFullError
from aerospike_cache.store import MISSING, AerospikeStore
from aerospike_cache.store import stampede as stampede_module
from aerospike_cache.store.capacity import EVICT, STOP, capacity_warnings, describe, fullest
from tests.fullness import SMALL, fill, namespace_figures
from tests.real_answers import NAMESPACE_CACHE_8_1_2, value

REAL_NAMESPACE_ANSWER = value(NAMESPACE_CACHE_8_1_2)


class Full:
    """A private server with a small ``cache`` namespace, and stores on it."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.stores: list[AerospikeStore] = []

    def store(self, **options: Any) -> AerospikeStore:
        options.setdefault("namespace", "cache")
        options.setdefault("set_name", "full")
        options.setdefault("stampede", False)
        store = AerospikeStore(self.server.hosts, **options)
        self.stores.append(store)
        return store

    def fill(self) -> int:
        return fill(self.server.hosts)


@pytest.fixture
def full(make_embedded_server: Callable[..., Any]) -> Full:
    return Full(make_embedded_server({"cache": SMALL}))


@pytest.fixture(autouse=True)
def _quiet_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stampede protection must not wait for a lock that a full namespace refused."""

    async def never(seconds: float) -> None:
        raise AssertionError(f"stampede protection waited {seconds} s on a full namespace")

    monkeypatch.setattr(stampede_module, "_blocking_sleep", never)


# -- strict ------------------------------------------------------------------------


def test_strict_every_write_raises_namespace_full_saying_what_to_change(full: Full) -> None:
    store = full.store()
    assert store.set("before", "old", 600)
    full.fill()
    writes: list[Callable[[], Any]] = [
        lambda: store.set("k", "v", 600),
        lambda: store.add("new", "v", 600),
        lambda: store.incr("counter", 1, create=True, ttl=600),
        lambda: store.touch("before", 900),
        lambda: store.set_many({"a": 1, "b": 2}, 600),
    ]
    for write in writes:
        with pytest.raises(NamespaceFullError) as caught:
            write()
        err = caught.value
        assert isinstance(err, CacheOperationError)  # what code 8 raised before
        assert err.code == 8
        text = str(err)
        assert "namespace 'cache' is full" in text
        assert re.search(
            r"data use 7\d% of data-size 256 KiB \(stop-writes-used-pct 70, "
            r"evict-used-pct 0\)",
            text,
        )
        assert "eviction is off" in text
        assert "'evict-used-pct' well below 'stop-writes-used-pct'" in text
    # reads and removes go on; a clear frees room and writes are accepted again
    assert store.get("before") == "old"
    assert store.delete("before")
    assert store.stats()["refused_writes"] == 6  # set_many: two rows


def test_clear_frees_room(full: Full) -> None:
    store = full.store(set_name="filler")
    full.fill()
    with pytest.raises(NamespaceFullError):
        store.set("k", "v", 600)
    assert store.clear()
    assert store.set("k", "v", 600)
    assert store.get("k") == "v"


def test_a_refusal_is_no_outage(full: Full) -> None:
    store = full.store(breaker_threshold=1)
    assert store.set("k", "v", 600)
    full.fill()
    for i in range(20):
        with pytest.raises(NamespaceFullError):
            store.set(f"w{i}", i, 600)
        assert store.get("k") == "v"
    entry = store.records.entry
    assert entry is not None
    assert entry.breaker.failures == 0 and not entry.breaker.is_open
    assert not entry.nodes.incidents
    stats = store.stats()
    assert stats["breaker"] == {"state": "closed", "openings": 0}
    assert stats["errors"] == {"8": 20}
    assert stats["refused_writes"] == 20


# -- fail-open ---------------------------------------------------------------------


def test_fail_open_logs_one_line_with_the_namespace_its_use_and_the_settings(
    full: Full, caplog: pytest.LogCaptureFixture
) -> None:
    store = full.store(fail_open=True)
    full.fill()
    with caplog.at_level(logging.WARNING, logger="aerospike_cache"):
        assert store.set("k", "v", 600) is False
        assert store.add("a", "v", 600) is False
        assert store.incr("n", 1, create=True, ttl=600) is None
        assert store.set_many({"x": 1, "y": 2}, 600) == ["x", "y"]
        assert store.touch("k", 60) is False
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1, lines
    assert "namespace 'cache' is full" in lines[0]
    assert "data use 7" in lines[0] and "evict-used-pct" in lines[0]
    assert "fail-open" in lines[0]
    stats = store.stats()
    assert stats["refused_writes"] == 5  # set, add, incr, two rows; touch found nothing
    assert stats["errors"]["8"] >= 4


def test_a_refused_set_leaves_no_old_value_behind(full: Full) -> None:
    for fail_open in (True, False):
        store = full.store(fail_open=fail_open, set_name=f"stale{fail_open}")
        assert store.set("k", "old", 600)
        assert store.set_many({"m1": "old", "m2": "old"}, 600) == []
    full.fill()
    for store in full.stores:
        if store.fail_open:
            assert store.set("k", "new", 600) is False
            assert store.set_many({"m1": "new", "m2": "new"}, 600) == ["m1", "m2"]
        else:
            with pytest.raises(NamespaceFullError):
                store.set("k", "new", 600)
            with pytest.raises(NamespaceFullError):
                store.set_many({"m1": "new", "m2": "new"}, 600)
        assert store.get("k") is MISSING
        assert store.get_many(["m1", "m2"]) == {}


def test_near_cache_serves_no_refused_write(full: Full) -> None:
    store = full.store(fail_open=True, near_cache={"ttl": 60})
    assert store.set("k", "old", 600)
    assert store.get("k") == "old"  # held near
    full.fill()
    assert store.set("k", "new", 600) is False
    assert store.get("k") is MISSING


# -- get_or_set --------------------------------------------------------------------


@pytest.mark.parametrize("fail_open", [False, True])
@pytest.mark.parametrize("stampede", [False, True])
def test_get_or_set_returns_the_computed_value_without_waiting(
    full: Full, fail_open: bool, stampede: bool
) -> None:
    store = full.store(fail_open=fail_open, stampede={"wait": 30.0} if stampede else False)
    full.fill()
    computed: list[int] = []

    def compute() -> str:
        computed.append(1)
        return "fresh"

    assert store.get_or_set("k", compute, 600) == "fresh"
    assert store.get_or_set("k", compute, 600) == "fresh"  # not stored: computed again
    assert len(computed) == 2
    assert store.stats()["refused_writes"] >= 2


# -- the message's figures, from a real node's answer ---------------------------------


def test_the_figures_come_from_the_fullest_node() -> None:
    half = REAL_NAMESPACE_ANSWER.replace("data_used_pct=0", "data_used_pct=50")
    answers = {
        "A": (None, f"namespace/cache\t{REAL_NAMESPACE_ANSWER}"),
        "B": (None, f"namespace/cache\t{half}"),
        "C": (RuntimeError("down"), None),
    }
    figures = fullest(answers)
    assert figures["data_used_pct"] == "50"
    assert figures["storage-engine.evict-used-pct"] == "0"
    assert figures["storage-engine.stop-writes-used-pct"] == "70"
    text = describe("cache", figures)
    assert "data use 50% of data-size 1 GiB (stop-writes-used-pct 70, evict-used-pct 0)" in text
    assert "eviction is off" in text


def test_no_figures_still_say_what_to_change() -> None:
    text = describe("cache", {})
    assert "namespace 'cache' is full" in text and "evict-used-pct" in text


def test_embedded_figures_at_stop_writes(full: Full) -> None:
    full.fill()
    figures = namespace_figures(full.server.hosts)
    assert figures["stop_writes"] == "true"
    assert int(figures["data_used_pct"]) >= 70


# -- the deploy checks' reading of a real node's answer -----------------------------


def _warned(answer: str, never: bool = False) -> list[str]:
    figures = fullest({"node": (None, f"namespace/cache\t{answer}\n")})
    return [kind for kind, _text in capacity_warnings("cache", figures, never, "TIMEOUT")]


@pytest.mark.parametrize(
    ("changes", "never", "expected"),
    [
        ({}, False, ["eviction-off"]),  # the recorded node: eviction off, the default
        ({}, True, ["eviction-off", "default-never-expires"]),
        ({"storage-engine.evict-used-pct=0": "storage-engine.evict-used-pct=60"}, False, []),
        (
            {"storage-engine.evict-used-pct=0": "storage-engine.evict-used-pct=75"},
            False,
            ["evict-above-stop-writes"],
        ),
        (
            {
                "storage-engine.evict-used-pct=0": "storage-engine.evict-used-pct=60",
                "data_used_pct=0": "data_used_pct=65",
            },
            False,
            ["data-above-eviction"],
        ),
        (
            {
                "storage-engine.evict-used-pct=0": "storage-engine.evict-used-pct=60",
                "nsup-period=1": "nsup-period=0",
            },
            False,
            ["eviction-off"],
        ),
    ],
)
def test_capacity_warnings_of_a_real_answer(
    changes: dict[str, str], never: bool, expected: list[str]
) -> None:
    answer = REAL_NAMESPACE_ANSWER
    for old, new in changes.items():
        assert old in answer
        answer = answer.replace(old, new)
    assert _warned(answer, never) == expected


def test_a_server_without_the_8_1_names_gets_no_capacity_warning() -> None:
    assert _warned("objects=1;stop_writes=false;high-water-memory-pct=0") == []


@pytest.mark.parametrize(
    ("evict", "says"),
    [
        ("0", "eviction is off"),
        ("80", "writes stop before eviction starts"),
        ("60", "eviction did not keep up"),
    ],
)
def test_the_refusal_says_what_fits_the_settings(evict: str, says: str) -> None:
    figures = {"data_used_pct": "72", EVICT: evict, STOP: "70"}
    assert says in describe("cache", figures)
