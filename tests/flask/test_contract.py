"""cachelib's cache contract, row by row, on AerospikeCache.

Modelled on cachelib's own mixins (``CommonTests``, ``HasTests``,
``ClearTests``, ``DeleteManyWithPrefixTests``) and run with and without a key
prefix, with a callable prefix and with custom serializers. cachelib's
``SimpleCache`` runs the shared rows too, as the reference: a row that passes
there and here is cachelib's semantics, not ours.
"""

from __future__ import annotations

import datetime as dt
import decimal
import inspect
import os
import pickle
import time
import uuid
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import pytest
from cachelib import BaseCache as CachelibBaseCache
from cachelib import SimpleCache

from aerospike_cache.errors import SerializationError
from aerospike_cache.flask import AerospikeCache

from .conftest import CACHELIB_017, JSONSerializer


class SillySerializer:
    """A pointless serializer only for testing (cachelib's own test serializer)."""

    def dumps(self, value: Any) -> bytes:
        return repr(value).encode()

    def loads(self, bvalue: bytes) -> Any:
        return eval(bvalue.decode())


class CustomCache(AerospikeCache):
    """cachelib's way of changing the serializer: a class attribute on a subclass."""

    serializer = SillySerializer()


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    def __hash__(self) -> int:
        return hash((self.x, self.y))


VARIANTS = ["plain", "prefix", "callable_prefix", "serializer", "subclass_serializer", "reference"]


@pytest.fixture(params=VARIANTS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def factory(kind: str, make_cache: Callable[..., AerospikeCache]) -> Callable[..., Any]:
    """``factory(**kwargs)`` builds a cache of this variant (cachelib's ``cache_factory``)."""

    def build(**kwargs: Any) -> Any:
        if kind == "reference":
            kwargs.pop("key_prefix", None)
            return SimpleCache(**kwargs)
        if kind == "prefix":
            kwargs.setdefault("key_prefix", "test_prefix:")
        elif kind == "callable_prefix":
            kwargs.setdefault("key_prefix", lambda: "cb:")
        elif kind == "serializer":
            kwargs.setdefault("serializer", SillySerializer())
        elif kind == "subclass_serializer":
            kwargs.setdefault("cls", CustomCache)
        return make_cache(**kwargs)

    return build


@pytest.fixture
def cache(factory: Callable[..., Any]) -> Any:
    return factory()


@pytest.fixture
def aerospike_only() -> None:
    """Marks a row as ours only: the reference variant is not generated (see conftest)."""


@pytest.fixture
def reference_017(kind: str) -> None:
    """Marks a row whose reference is cachelib 0.17's SimpleCache (Python 3.10 gets 0.14)."""
    if kind == "reference" and not CACHELIB_017:
        pytest.skip(f"cachelib {version('cachelib')}'s SimpleCache predates this row (0.17)")


@pytest.fixture
def general_serializer() -> None:
    """Marks a row that needs a serializer for any value: repr/eval variants are not generated."""


SAMPLE_NUMBERS = [0, 10, 1024000, 9, 5000000000000, 99, 738, 2000000]
SAMPLE_PAIRS: dict[str, Any] = {
    "128": False,
    "beef": True,
    "crevettes": {},
    "1024": "spam",
    "bacon": "eggs",
    "sausage": 2048,
    "3072": [],
    "brandy": [{}, "fried eggs"],
    "lobster": ["baked beans", [512]],
    "4096": {"sauce": [], 256: "truffle"},
}
# Values the predecessor could not store (no native Aerospike type), for pickle.
TYPED_VALUES: dict[str, Any] = {
    "none": None,
    "bytes": b"\x00\xff raw",
    "tuple": (1, "two", 3.0),
    "set": {1, 2, 3},
    "frozenset": frozenset({"a"}),
    "datetime": dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone.utc),
    "date": dt.date(2024, 2, 29),
    "decimal": decimal.Decimal("1.10"),
    "uuid": uuid.UUID(int=7),
    "float": 0.1,
    "big_int": 2**70,
    "negative": -(2**63),
    "object": Point(1, 2),
    "nested": {"p": [Point(3, 4)], "t": (None, True)},
}


# -- cachelib's CommonTests ----------------------------------------------------


def test_set_get(cache: Any) -> None:
    for k, v in SAMPLE_PAIRS.items():
        assert cache.set(k, v) is True
        got = cache.get(k)
        assert got == v and type(got) is type(v)


def test_get_miss_is_none(cache: Any) -> None:
    assert cache.get("never-set") is None


def test_set_overwrites(cache: Any) -> None:
    assert cache.set("k", "one")
    assert cache.set("k", "two")
    assert cache.get("k") == "two"


def test_set_get_many(cache: Any) -> None:
    result = cache.set_many(SAMPLE_PAIRS)
    assert result == list(SAMPLE_PAIRS.keys())
    values = cache.get_many(*SAMPLE_PAIRS)
    assert values == list(SAMPLE_PAIRS.values())


def test_get_many_in_order_with_misses_and_repeats(cache: Any) -> None:
    cache.set_many({"a": 1, "c": "three"})
    assert cache.get_many("c", "missing", "a", "c") == ["three", None, 1, "three"]
    assert cache.get_many("only") == [None]
    assert cache.get_many() == []


def test_get_dict(cache: Any) -> None:
    cache.set_many(SAMPLE_PAIRS)
    d = cache.get_dict(*SAMPLE_PAIRS)
    assert d == SAMPLE_PAIRS
    assert cache.get_dict("bacon", "nope") == {"bacon": "eggs", "nope": None}


def test_delete(cache: Any) -> None:
    for k, v in SAMPLE_PAIRS.items():
        cache.set(k, v)
        assert cache.delete(k) is True
        assert not cache.get(k)
        assert cache.delete(k) is False  # it no longer existed


def test_delete_many(cache: Any) -> None:
    cache.set_many(SAMPLE_PAIRS)
    result = cache.delete_many(*SAMPLE_PAIRS)
    assert result == list(SAMPLE_PAIRS.keys())
    assert not any(cache.get_many(*SAMPLE_PAIRS))


def test_delete_many_counts_absent_keys_as_deleted(cache: Any, reference_017: None) -> None:
    cache.set("bacon", "spam")
    assert cache.delete_many("eggs", "bacon") == ["eggs", "bacon"]
    assert cache.get("bacon") is None
    assert cache.delete_many() == []


def test_delete_many_with_prefix(factory: Callable[..., Any]) -> None:
    cache = factory(key_prefix="test_prefix:")
    cache.set_many({"foo": 1, "bar": 2, "baz": 3})
    result = cache.delete_many("foo", "bar", "baz")
    assert result == ["foo", "bar", "baz"]
    assert not any(cache.get_many("foo", "bar", "baz"))


def test_add(cache: Any) -> None:
    cache.set_many(SAMPLE_PAIRS)
    for k in SAMPLE_PAIRS:
        assert cache.add(k, "updated") is False
    assert cache.get_many(*SAMPLE_PAIRS) == list(SAMPLE_PAIRS.values())
    for k, v in SAMPLE_PAIRS.items():
        assert cache.add(f"{k}-new", v) is True
        assert cache.get(f"{k}-new") == v


class Unpicklable:
    def __getstate__(self) -> Any:
        raise pickle.PickleError("no pickling")


@pytest.mark.usefixtures("aerospike_only", "general_serializer")
@pytest.mark.parametrize("op", ["set", "add"])
def test_unpicklable_value_raises_pickle_error_and_writes_nothing(cache: Any, op: str) -> None:
    # cachelib's SimpleCache logs and stores nothing; RedisCache and Django raise.
    cache.set("old", "kept")
    for key in ("old", "new"):
        with pytest.raises(pickle.PickleError) as raised:
            getattr(cache, op)(key, Unpicklable())
        assert isinstance(raised.value, SerializationError)
    assert cache.get("old") == "kept"
    assert cache.has("new") is False


def test_inc_dec(cache: Any) -> None:
    for n in SAMPLE_NUMBERS:
        assert not cache.get(f"{n}-key-inc")
        assert cache.inc(f"{n}-key-inc", n) == n
        assert cache.get(f"{n}-key-inc") == n
        assert cache.dec(f"{n}-key-dec", n) == -n
        assert cache.get(f"{n}-key-dec") == -n
        assert cache.dec(f"{n}-key-inc", 5) == n - 5


def test_inc_default_delta_and_existing_value(cache: Any) -> None:
    assert cache.inc("counter") == 1
    assert cache.inc("counter") == 2
    cache.set("counter", 40)
    assert cache.inc("counter", 2) == 42
    assert cache.dec("counter") == 41


@pytest.mark.parametrize(
    ("start", "delta", "want"),
    [(2**63 - 1, 1, 2**63), (-(2**63), -1, -(2**63) - 1), (2**63, -1, 2**63 - 1)],
)
def test_inc_dec_never_wrap(cache: Any, start: int, delta: int, want: int) -> None:
    """Python ints, as SimpleCache counts: no wrap at 64 bits."""
    cache.set("counter", start)
    assert cache.inc("counter", delta) == want
    assert cache.get("counter") == want
    assert cache.dec("counter", delta) == start
    assert cache.inc("fresh", 2**64) == 2**64  # created with a delta beyond 64 bits


def test_has(cache: Any) -> None:
    assert cache.set_many(SAMPLE_PAIRS)
    for k in SAMPLE_PAIRS:
        assert cache.has(k)
    assert not cache.has("unknown")


def test_has_sees_a_cached_none(cache: Any) -> None:
    cache.set("nothing", None)
    assert cache.get("nothing") is None
    assert cache.has("nothing")


def test_clear(cache: Any) -> None:
    assert cache.set_many(SAMPLE_PAIRS)
    assert cache.clear() is True
    assert not any(cache.get_many(*SAMPLE_PAIRS))
    assert not any(cache.has(k) for k in SAMPLE_PAIRS)


def test_expiration_timeout_zero_never_expires(
    factory: Callable[..., Any], reference_017: None
) -> None:
    """cachelib's test_expiration, with one short sleep for every timeout form at once."""
    cache = factory()
    short_default = factory(default_timeout=1)
    for k, v in SAMPLE_PAIRS.items():
        cache.set(f"{k}-t0", v, timeout=0)
        cache.set(f"{k}-t1", v, timeout=1)
    cache.set("td", "x", timeout=dt.timedelta(milliseconds=200))  # rounded up to 1 s
    cache.add("added", "x", timeout=1)
    cache.set_many({"m1": 1, "m2": "two"}, timeout=1)
    short_default.set("default", "x")  # timeout None: the (short) default
    short_default.set("default-zero", "x", timeout=0)
    time.sleep(1.1)  # exact expiry: just past the 1 s timeouts
    for k, v in SAMPLE_PAIRS.items():
        assert cache.get(f"{k}-t0") == v
        assert not cache.get(f"{k}-t1")
    assert cache.get_many("td", "added", "m1", "m2") == [None, None, None, None]
    assert short_default.get("default") is None
    assert short_default.get("default-zero") == "x"


def test_negative_timeout_is_gone_at_once(cache: Any) -> None:
    cache.set("k", "old")
    assert cache.set("k", "new", timeout=-1)
    assert cache.get("k") is None
    assert not cache.has("k")


def test_unlink_is_delete_many(cache: Any, aerospike_only: None) -> None:
    cache.set_many({"a": 1, "b": 2})
    assert cache.unlink("a", "b", "c") == ["a", "b", "c"]
    assert cache.get_many("a", "b") == [None, None]


# -- Aerospike-specific rows ---------------------------------------------------------


def test_values_of_any_type_round_trip(cache: Any, general_serializer: None) -> None:
    for k, v in TYPED_VALUES.items():
        assert cache.set(k, v)
    got = cache.get_dict(*TYPED_VALUES)
    for k, v in TYPED_VALUES.items():
        assert got[k] == v and type(got[k]) is type(v), k
        assert cache.get(k) == v, k


def test_inc_on_a_non_integer_returns_none(cache: Any, aerospike_only: None) -> None:
    cache.set("text", "abc")
    assert cache.inc("text") is None
    assert cache.dec("text") is None
    assert cache.get("text") == "abc"
    cache.set("flag", True)  # a bool is not a counter
    assert cache.inc("flag") is None
    assert cache.get("flag") is True


def test_inc_rejects_a_non_integer_delta(cache: Any, aerospike_only: None) -> None:
    with pytest.raises(TypeError):
        cache.inc("k", 1.5)
    assert not cache.has("k")


def test_inc_creates_with_the_default_timeout_and_keeps_an_existing_ttl(
    factory: Callable[..., Any], aerospike_only: None
) -> None:
    cache = factory(default_timeout=1000)
    assert cache.inc("fresh", 3) == 3
    assert 990 <= cache.ttl("fresh") <= 1000
    cache.set("long", 5, timeout=5000)
    assert cache.inc("long", 1) == 6
    assert 4990 <= cache.ttl("long") <= 5000
    cache.set("forever", 1, timeout=0)
    assert cache.inc("forever") == 2
    assert cache.ttl("forever") is None
    never = factory(default_timeout=0)
    assert never.inc("fresh-forever") == 1
    assert never.ttl("fresh-forever") is None


def test_timeouts_reach_the_server(cache: Any, aerospike_only: None) -> None:
    cache.set("hour", "x", timeout=dt.timedelta(hours=1))
    cache.set("default", "x")
    cache.set("never", "x", timeout=0)
    cache.add("added", "x", timeout=600)
    cache.set_many({"many": 1}, timeout=700)
    assert 3590 <= cache.ttl("hour") <= 3600
    assert 290 <= cache.ttl("default") <= 300
    assert cache.ttl("never") is None
    assert 590 <= cache.ttl("added") <= 600
    assert 690 <= cache.ttl("many") <= 700
    assert cache.ttl("absent") == 0


def test_add_does_not_touch_an_existing_entry(cache: Any, aerospike_only: None) -> None:
    cache.set("k", "v", timeout=0)
    assert cache.add("k", "other", timeout=100) is False
    assert cache.get("k") == "v"
    assert cache.ttl("k") is None


def test_set_of_an_oversized_value_returns_false_and_drops_the_old_one(
    cache: Any, aerospike_only: None
) -> None:
    cache.set("big", "old")
    assert cache.set("big", os.urandom(9 * 1024 * 1024)) is False
    assert cache.get("big") is None
    assert cache.set_many({"ok": 1, "big": os.urandom(9 * 1024 * 1024)}) == ["ok"]
    assert cache.get_many("ok", "big") == [1, None]


def test_prefix_separates_caches(factory: Callable[..., Any], aerospike_only: None) -> None:
    one = factory(key_prefix="one:")
    two = factory(key_prefix="two:")
    one.set("k", "from one")
    assert two.get("k") is None
    assert not two.has("k")
    assert two.add("k", "from two")
    assert one.get("k") == "from one"
    assert two.delete_many("k") == ["k"]
    assert one.get("k") == "from one"


def test_key_prefix_is_applied_on_the_server(
    kind: str, cache: Any, aerospike_client: Any, aerospike_only: None
) -> None:
    cache.set("k", "v")
    prefix = {"prefix": "test_prefix:", "callable_prefix": "cb:"}.get(kind, "")
    ns, set_name = cache.store.namespace, cache.store.set_name
    _, meta = aerospike_client.exists((ns, set_name, prefix + "k"))
    assert meta is not None
    if prefix:
        _, meta = aerospike_client.exists((ns, set_name, "k"))
        assert meta is None


def test_json_serializer_instance(make_cache: Callable[..., AerospikeCache]) -> None:
    cache = make_cache(serializer=JSONSerializer())
    cache.set("k", {"a": [1, 2]})
    assert cache.get("k") == {"a": [1, 2]}
    with pytest.raises(TypeError):  # JSON cannot hold bytes: nothing is written
        cache.set("bytes", b"raw")
    assert not cache.has("bytes")


def test_every_cachelib_method_is_implemented_here() -> None:
    """No public BaseCache method falls back on cachelib's generic (non-batch) version."""
    public = [
        name
        for name, _ in inspect.getmembers(CachelibBaseCache, predicate=inspect.isfunction)
        if not name.startswith("_")
    ]
    assert public  # cachelib still has them
    inherited = [name for name in public if name not in AerospikeCache.__dict__]
    assert inherited == []
