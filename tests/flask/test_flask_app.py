"""A Flask app whose cache comes from configuration only: ``Cache(app)``.

The decorators (``@cached``, ``@memoize``, ``delete_memoized``), the Jinja
``{% cache %}`` tag, ``CACHE_SERIALIZER``, the settings and their errors, the
predecessor's configuration style, and what each decorator costs in round
trips to the cluster.
"""

from __future__ import annotations

import gc
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask_caching import Cache
from flask_caching.jinja2ext import JINJA_CACHE_ATTR_NAME  # noqa: F401  (the tag is installed)

from aerospike_cache.errors import ConfigurationError
from aerospike_cache.flask import DEFAULT_SET, AerospikeCache

from .conftest import (
    FLASK_CACHING_25,
    UNSET,
    CountingClient,
    JSONSerializer,
    needs_flask_caching_25,
    predecessor_hosts,
)

MakeApp = Callable[..., tuple[Flask, Cache]]


def backend(app: Flask, cache: Cache) -> AerospikeCache:
    with app.app_context():
        found = cache.cache
    assert isinstance(found, AerospikeCache)
    return found


# -- configuration -------------------------------------------------------------------


def test_cache_type_resolves_through_factory(make_app: MakeApp, aerospike_server: Any) -> None:
    app, cache = make_app(CACHE_DEFAULT_TIMEOUT=123)
    be = backend(app, cache)
    assert be.default_timeout == 123
    assert be.key_prefix == "flask_cache_"  # Flask-Caching's default CACHE_KEY_PREFIX
    assert be.store.namespace == aerospike_server.namespace
    assert be.ignore_delete_many_errors is False  # CACHE_IGNORE_ERRORS' default
    with app.app_context():
        assert cache.set("k", "v")
        assert cache.get("k") == "v"
        assert be.store.get("flask_cache_k") == "v"


def test_defaults_when_only_hosts_are_given(make_app: MakeApp) -> None:
    app, cache = make_app(CACHE_AEROSPIKE_NAMESPACE=UNSET, CACHE_AEROSPIKE_SET=UNSET)
    be = backend(app, cache)
    assert be.store.namespace == "cache"
    assert be.store.set_name == DEFAULT_SET == "flask"
    assert be.default_timeout == 300


def test_store_options_from_settings_and_cache_options(make_app: MakeApp) -> None:
    app, cache = make_app(
        CACHE_KEY_PREFIX="app1:",
        CACHE_AEROSPIKE_COMPRESSOR="zlib",
        CACHE_AEROSPIKE_COMPRESS_MIN_SIZE=10,
        CACHE_AEROSPIKE_TIMEOUT_MS=700,
        CACHE_OPTIONS={"fail_open": True, "signing_key": "k" * 16},
        CACHE_IGNORE_ERRORS=True,
    )
    be = backend(app, cache)
    assert be.key_prefix == "app1:"
    assert be.ignore_delete_many_errors is True
    assert be.store.fail_open is True
    assert be.store.codec.compressor is not None
    assert be.store.codec.signing_key == b"k" * 16
    assert be.store.client_config["policies"]["read"]["total_timeout"] == 700
    with app.app_context():
        cache.set("big", "x" * 5000)
        assert cache.get("big") == "x" * 5000


def test_cache_options_key_prefix_and_timeout_win(make_app: MakeApp) -> None:
    app, cache = make_app(CACHE_OPTIONS={"key_prefix": "opt:", "default_timeout": 42})
    be = backend(app, cache)
    assert be.key_prefix == "opt:"
    assert be.default_timeout == 42


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"CACHE_AEROSPIKE_HOSTS": UNSET}, "CACHE_AEROSPIKE_HOSTS"),
        ({"CACHE_AEROSPIKE_HOSTS": [("127.0.0.1", "x", None)]}, "CACHE_AEROSPIKE_HOSTS"),
        ({"CACHE_AEROSPIKE_HOSTS": 3000}, "CACHE_AEROSPIKE_HOSTS"),
        ({"CACHE_AEROSPIKE_NAMESPACE": "n" * 40}, "CACHE_AEROSPIKE_NAMESPACE"),
        ({"CACHE_AEROSPIKE_NAMESPACE": None}, "CACHE_AEROSPIKE_NAMESPACE"),
        ({"CACHE_AEROSPIKE_SET": 7}, "CACHE_AEROSPIKE_SET"),
        ({"CACHE_AEROSPIKE_FAIL_OPEN": "yes"}, "CACHE_AEROSPIKE_FAIL_OPEN"),
        ({"CACHE_AEROSPIKE_TIMEOUT_MS": 0}, "CACHE_AEROSPIKE_TIMEOUT_MS"),
        ({"CACHE_AEROSPIKE_COMPRESSOR": "bogus"}, "CACHE_AEROSPIKE_COMPRESSOR"),
        ({"CACHE_AEROSPIKE_SERIALIZER": "yaml"}, "CACHE_AEROSPIKE_SERIALIZER"),
        ({"CACHE_AEROSPIKE_SIGNING_KEY": "short"}, "CACHE_AEROSPIKE_SIGNING_KEY"),
        ({"CACHE_AEROSPIKE_CLIENT_CONFIG": {"hosts": []}}, "CACHE_AEROSPIKE_CLIENT_CONFIG"),
        ({"CACHE_AEROSPIKE_CLIENT_CONFIG": "user=x"}, "CACHE_AEROSPIKE_CLIENT_CONFIG"),
        ({"CACHE_AEROSPIKE_TIMEOUTMS": 5}, "CACHE_AEROSPIKE_TIMEOUTMS"),
        ({"CACHE_DEFAULT_TIMEOUT": -5}, "CACHE_DEFAULT_TIMEOUT"),
        ({"CACHE_DEFAULT_TIMEOUT": None}, "CACHE_DEFAULT_TIMEOUT"),
        ({"CACHE_KEY_PREFIX": 5}, "CACHE_KEY_PREFIX"),
        ({"CACHE_IGNORE_ERRORS": "no"}, "CACHE_IGNORE_ERRORS"),
        ({"CACHE_OPTIONS": {"nope": 1}}, "'nope'"),
        ({"CACHE_OPTIONS": {"fail_open": 1}}, "'fail_open'"),
        (
            {"CACHE_OPTIONS": {"fail_open": True}, "CACHE_AEROSPIKE_FAIL_OPEN": False},
            "CACHE_AEROSPIKE_FAIL_OPEN and CACHE_OPTIONS['fail_open']",
        ),
        ({"CACHE_ARGS": ["h:3000"]}, "CACHE_ARGS"),
    ],
)
def test_bad_settings_fail_at_startup_naming_the_key(
    make_app: MakeApp, config: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_app(**config)
    assert named in str(info.value)


def test_unknown_setting_lists_the_valid_ones(make_app: MakeApp) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_app(CACHE_AEROSPIKE_NAMESPAC="typo")
    message = str(info.value)
    assert "CACHE_AEROSPIKE_NAMESPAC " in message
    for valid in ("CACHE_AEROSPIKE_NAMESPACE", "CACHE_AEROSPIKE_HOSTS", "CACHE_AEROSPIKE_SET"):
        assert valid in message


def test_nothing_connects_at_startup(aerospike_server: Any) -> None:
    app = Flask(__name__)
    app.config.update(
        CACHE_TYPE="aerospike_cache.flask.AerospikeCache",
        CACHE_AEROSPIKE_HOSTS=[("127.0.0.1", 1, None)],  # nobody listens there
        CACHE_AEROSPIKE_CONNECT_TIMEOUT_MS=200,
    )
    cache = Cache(app)  # no error: the client is built on first use
    with app.app_context(), pytest.raises(Exception, match=r"unavailable|unreachable"):
        cache.get("k")


@needs_flask_caching_25
def test_cache_serializer_setting_is_used(make_app: MakeApp, aerospike_client: Any) -> None:
    app, cache = make_app(CACHE_SERIALIZER=JSONSerializer())
    be = backend(app, cache)
    assert isinstance(be.serializer, JSONSerializer)
    with app.app_context():
        cache.set("doc", {"a": [1, 2]})
        assert cache.get("doc") == {"a": [1, 2]}
    _, _, bins = aerospike_client.get((be.store.namespace, be.store.set_name, "flask_cache_doc"))
    blob = bins["v"]
    assert json.loads(blob[1:]) == {"a": [1, 2]}  # format byte, then the JSON text


def test_serializer_change_keeps_old_entries_readable(make_cache: Any) -> None:
    cache = make_cache(serializer="json")
    cache.set("old", [1, 2])
    cache.serializer = "pickle"
    cache.set("new", (3,))
    assert cache.get("old") == [1, 2]  # written as JSON, still read as JSON
    assert cache.get("new") == (3,)


def test_caches_of_one_configuration_share_one_store(make_cache: Any) -> None:
    a = make_cache()
    b = make_cache()
    assert b.store is a.store
    b.serializer = "json"  # b moves to the store of its new configuration; a keeps its own
    assert b.store is not a.store
    assert (
        a.serializer == "pickle" and type(a.store.codec.serializer).__name__ == "PickleSerializer"
    )
    b.serializer = "pickle"  # back to a's configuration: a's store again
    assert b.store is a.store


def test_a_site_that_leaves_pickle_does_not_unpickle_old_entries(make_cache: Any) -> None:
    cache = make_cache()
    cache.set("old", (1, 2))
    cache.serializer = JSONSerializer()
    assert cache.get("old") is None  # a miss, never unpickled
    cache.set("old", [1, 2])
    assert cache.get("old") == [1, 2]


# -- the predecessor's configuration style -------------------------------------------


def test_predecessor_config_works_unchanged(aerospike_server: Any, aerospike_set: str) -> None:
    """aerospike-flask-cache's README setup, with only CACHE_TYPE changed."""
    config = {
        "DEBUG": True,
        "CACHE_TYPE": "aerospike_cache.flask.AerospikeCache",
        "CACHE_AEROSPIKE_HOSTS": [(h[0], h[1], None) for h in aerospike_server.hosts],
        "CACHE_AEROSPIKE_NAMESPACE": aerospike_server.namespace,
        "CACHE_AEROSPIKE_SET": aerospike_set,
    }
    if aerospike_server.cluster_name:
        config["CACHE_AEROSPIKE_CLIENT_CONFIG"] = {"cluster_name": aerospike_server.cluster_name}
    app = Flask(__name__)
    app.config.from_mapping(config)
    cache = Cache(app)
    with app.app_context():
        assert cache.set("k", {"any": ("type",)}, timeout=0)
        assert cache.get("k") == {"any": ("type",)}
        assert cache.cache.inc("n") == 1


def test_prebuilt_client_is_used_and_never_closed(
    aerospike_server: Any, aerospike_set: str, counting_client: CountingClient
) -> None:
    app = Flask(__name__)
    app.config.update(
        CACHE_TYPE="aerospike_cache.flask.AerospikeCache",
        CACHE_AEROSPIKE_CLIENT=counting_client,
        CACHE_AEROSPIKE_NAMESPACE=aerospike_server.namespace,
        CACHE_AEROSPIKE_SET=aerospike_set,
    )
    cache = Cache(app)
    with app.app_context():
        assert cache.set("k", "v")
        assert cache.get("k") == "v"
        cache.cache.store.shutdown()
    assert counting_client.commands().get("put") == 1
    assert counting_client.commands().get("get") == 1
    del cache, app
    gc.collect()
    assert "close" not in counting_client.calls
    assert counting_client.is_connected()


def test_prebuilt_client_takes_precedence_over_hosts(
    aerospike_server: Any, aerospike_set: str, counting_client: CountingClient
) -> None:
    app = Flask(__name__)
    app.config.update(
        CACHE_TYPE="aerospike_cache.flask.AerospikeCache",
        CACHE_AEROSPIKE_CLIENT=counting_client,
        CACHE_AEROSPIKE_HOSTS=[("127.0.0.1", 1, None)],  # as in the predecessor: ignored
        CACHE_AEROSPIKE_NAMESPACE=aerospike_server.namespace,
        CACHE_AEROSPIKE_SET=aerospike_set,
    )
    cache = Cache(app)
    with app.app_context():
        assert cache.set("k", "v")
    assert counting_client.commands() == {"put": 1}


def test_predecessor_constructor_arguments(
    aerospike_server: Any, aerospike_set: str, aerospike_client: Any
) -> None:
    """``AerospikeCache(client, namespace, set_name, default_timeout)`` as before."""
    cache = AerospikeCache(aerospike_client, aerospike_server.namespace, aerospike_set, 60)
    assert cache.set("k", "v")
    assert 50 <= cache.ttl("k") <= 60
    assert aerospike_client.is_connected()


def test_clear_truncates_only_the_configured_set(
    make_app: MakeApp, aerospike_server: Any, aerospike_client: Any, aerospike_set: str
) -> None:
    app, cache = make_app()
    other = (aerospike_server.namespace, aerospike_set + "_o", "neighbour")
    aerospike_client.put(other, {"v": 1})
    try:
        with app.app_context():
            cache.set("k", "v")
            assert cache.clear() is True
            assert cache.get("k") is None
        _, meta = aerospike_client.exists(other)
        assert meta is not None
    finally:
        aerospike_client.truncate(aerospike_server.namespace, aerospike_set + "_o", 0)


def test_null_set_clear_needs_explicit_permission(make_app: MakeApp) -> None:
    app, cache = make_app(CACHE_AEROSPIKE_SET=None)
    assert backend(app, cache).store.set_name is None
    with app.app_context(), pytest.raises(ConfigurationError, match="whole namespace"):
        cache.clear()


# -- decorators and the Jinja tag ----------------------------------------------------


def test_cached_view(make_app: MakeApp) -> None:
    app, cache = make_app()
    counter = itertools.count(1)

    @app.route("/page")
    @cache.cached(timeout=60)
    def page() -> str:
        return f"render {next(counter)}"

    @app.route("/search")
    @cache.cached(timeout=60, query_string=True)
    def search() -> str:
        return f"search {next(counter)}"

    client = app.test_client()
    assert client.get("/page").text == "render 1"
    assert client.get("/page").text == "render 1"
    assert client.get("/search?q=a&b=2").text == "search 2"
    assert client.get("/search?b=2&q=a").text == "search 2"  # same query, other order
    assert client.get("/search?q=b").text == "search 3"
    with app.test_request_context("/page"):
        assert cache.delete(page.make_cache_key())
    assert client.get("/page").text == "render 4"


def test_cached_function_caches_none_when_asked(make_app: MakeApp) -> None:
    app, cache = make_app()
    calls: list[int] = []

    @cache.cached(key_prefix="nothing", cache_none=True)
    def nothing() -> None:
        calls.append(1)

    with app.test_request_context():
        assert nothing() is None
        assert nothing() is None
    assert calls == [1]


# The decorator stampede mode creates a missing memoize version key itself
# (once, create-only): invalidation must behave the same with it on.
_MODES = pytest.mark.parametrize(
    "stampede", [None, {"decorators": True}], ids=["default", "decorator-mode"]
)


@_MODES
def test_memoize_and_delete_memoized(make_app: MakeApp, stampede: Any) -> None:
    app, cache = make_app(**({"CACHE_AEROSPIKE_STAMPEDE": stampede} if stampede else {}))
    calls: list[tuple[int, int]] = []

    @cache.memoize(timeout=60)
    def add(a: int, b: int) -> int:
        calls.append((a, b))
        return a + b

    with app.app_context():
        assert add(1, 2) == 3
        assert add(1, 2) == 3
        assert add(2, 3) == 5
        assert calls == [(1, 2), (2, 3)]
        cache.delete_memoized(add, 1, 2)  # only these arguments
        assert add(1, 2) == 3
        assert add(2, 3) == 5
        assert calls == [(1, 2), (2, 3), (1, 2)]
        cache.delete_memoized(add)  # every argument
        assert add(1, 2) == 3
        assert add(2, 3) == 5
        assert calls == [(1, 2), (2, 3), (1, 2), (1, 2), (2, 3)]


@_MODES
def test_memoized_method_and_instance_invalidation(make_app: MakeApp, stampede: Any) -> None:
    app, cache = make_app(**({"CACHE_AEROSPIKE_STAMPEDE": stampede} if stampede else {}))

    class Adder:
        def __init__(self, base: int) -> None:
            self.base = base
            self.calls = 0

        def __repr__(self) -> str:
            return f"Adder({self.base})"

        @cache.memoize(60)
        def add(self, n: int) -> int:
            self.calls += 1
            return self.base + n

    one, two = Adder(1), Adder(2)
    with app.app_context():
        assert (one.add(1), one.add(1), two.add(1), two.add(1)) == (2, 2, 3, 3)
        assert (one.calls, two.calls) == (1, 1)
        cache.delete_memoized(one.add)  # this instance only
        assert (one.add(1), two.add(1)) == (2, 3)
        assert (one.calls, two.calls) == (2, 1)


def test_memoize_with_values_of_any_type(make_app: MakeApp) -> None:
    app, cache = make_app()
    calls: list[int] = []

    @cache.memoize()
    def rich(n: int) -> Any:
        calls.append(n)
        return {"set": {n}, "tuple": (n, None), "bytes": bytes([n])}

    with app.app_context():
        first = rich(7)
        assert rich(7) == first == {"set": {7}, "tuple": (7, None), "bytes": b"\x07"}
    assert calls == [7]


def test_jinja_cache_tag(make_app: MakeApp) -> None:
    app, _ = make_app()
    counter = itertools.count(1)
    template = "{% cache 60, 'fragment', who %}[{{ tick() }}]{% endcache %}"
    with app.test_request_context():
        render = lambda who: render_template_string(  # noqa: E731
            template, tick=lambda: next(counter), who=who
        )
        assert render("ann") == "[1]"
        assert render("ann") == "[1]"
        assert render("bob") == "[2]"  # vary_on
        assert render_template_string("{% cache 'del', 'fragment', 'ann' %}x{% endcache %}") == "x"
        assert render("ann") == "[3]"
        assert render("bob") == "[2]"


# -- round trips ------------------------------------------------------------------


@pytest.fixture
def counted_app(
    aerospike_server: Any, aerospike_set: str, counting_client: CountingClient
) -> tuple[Flask, Cache, Callable[[], dict[str, int]]]:
    """An app on a counting client; ``measure()`` returns commands sent since the last call.

    On the embedded server the server's own counters must agree.
    """
    app = Flask(__name__)
    app.config.update(
        CACHE_TYPE="aerospike_cache.flask.AerospikeCache",
        CACHE_AEROSPIKE_CLIENT=counting_client,
        CACHE_AEROSPIKE_NAMESPACE=aerospike_server.namespace,
        CACHE_AEROSPIKE_SET=aerospike_set,
    )
    cache = Cache(app)
    server = aerospike_server.embedded
    with app.app_context():
        cache.get("warm-up")  # the one-off namespace check happens here
    counting_client.reset()
    if server is not None:
        server.reset_counters()

    def measure() -> dict[str, int]:
        seen = counting_client.commands()
        counting_client.reset()
        if server is not None:
            served = server.counters.get("commands", 0)
            server.reset_counters()
            assert served == sum(seen.values()), (served, seen)
        return seen

    return app, cache, measure


def test_round_trips_of_a_memoized_hit(
    counted_app: tuple[Flask, Cache, Callable[[], dict[str, int]]],
) -> None:
    app, cache, measure = counted_app

    @cache.memoize(60)
    def square(n: int) -> int:
        return n * n

    with app.app_context():
        assert square(3) == 9
        first = measure()
        assert square(3) == 9
        hit = measure()
    # Flask-Caching reads the version key(s) (get_many) then the value (get).
    assert hit == {"get": 2}
    # A first call: version read and created, value read (miss) and written,
    # version read and refreshed with the function's timeout: six single-record calls
    # (Flask-Caching 2.4 does not refresh the version: four).
    assert first == ({"get": 3, "put": 3} if FLASK_CACHING_25 else {"get": 2, "put": 2})


def test_round_trips_of_a_memoized_method_hit(
    counted_app: tuple[Flask, Cache, Callable[[], dict[str, int]]],
) -> None:
    app, cache, measure = counted_app

    class Box:
        def __repr__(self) -> str:
            return "Box"

        @cache.memoize(60)
        def value(self) -> int:
            return 42

    box = Box()
    with app.app_context():
        assert box.value() == 42
        measure()
        assert box.value() == 42
        hit = measure()
    # Two version keys (function and instance): one batch read, then the value.
    assert hit == {"batch_read": 1, "get": 1}


def test_round_trips_of_a_cached_view_hit_and_jinja_tag(
    counted_app: tuple[Flask, Cache, Callable[[], dict[str, int]]],
) -> None:
    app, cache, measure = counted_app

    @app.route("/")
    @cache.cached(60)
    def index() -> str:
        return render_template_string("{% cache 60, 'frag' %}body{% endcache %}")

    client = app.test_client()
    assert client.get("/").text == "body"
    miss = measure()
    assert client.get("/").text == "body"
    hit = measure()
    assert hit == {"get": 1}
    assert miss == {"get": 2, "put": 2}  # view miss, fragment miss, both written


def test_round_trips_of_delete_memoized(
    counted_app: tuple[Flask, Cache, Callable[[], dict[str, int]]],
) -> None:
    app, cache, measure = counted_app

    @cache.memoize(60)
    def f(n: int) -> int:
        return n

    with app.app_context():
        f(1)
        measure()
        cache.delete_memoized(f)
        # a new version hash: the version key is read and replaced
        assert measure() == {"get": 1, "put": 1}
        f(1)
        measure()
        cache.delete_memoized(f, 1)
        # the version key is read, then the value key removed
        assert measure() == {"get": 1, "remove": 1}


def test_round_trips_of_the_batch_calls(
    counted_app: tuple[Flask, Cache, Callable[[], dict[str, int]]],
) -> None:
    app, cache, measure = counted_app
    with app.app_context():
        assert cache.set_many({"a": 1, "b": 2, "c": 3}) == ["a", "b", "c"]
        assert measure() == {"batch_write": 1}
        assert cache.get_many("a", "b", "c", "d") == [1, 2, 3, None]
        assert measure() == {"batch_read": 1}
        assert cache.delete_many("a", "b", "c") == ["a", "b", "c"]
        assert measure() == {"batch_remove": 1}
        assert cache.add("a", 1)
        assert cache.has("a")
        assert cache.cache.inc("a") == 2
        assert measure() == {"put": 1, "select": 1, "operate": 1}  # has reads the deadline


def test_round_trips_of_delete_many(
    counted_app: tuple[Flask, Cache, Callable[[], dict[str, int]]],
) -> None:
    app, cache, measure = counted_app
    with app.app_context():
        cache.set_many({"a": 1, "b": 2})
        measure()
        assert cache.delete_many("a", "b") == ["a", "b"]
        assert measure() == {"batch_remove": 1}
        assert cache.delete_many("one") == ["one"]
        assert measure() == {"remove": 1}
        cache.set("a", 1)
        measure()
        # absent keys count as deleted, still in the one batch remove
        assert cache.delete_many("a", "absent") == ["a", "absent"]
        assert measure() == {"batch_remove": 1}


def test_predecessor_hosts_helper_matches_server(aerospike_server: Any) -> None:
    assert [h[:2] for h in predecessor_hosts(aerospike_server)] == aerospike_server.hosts


def test_cache_proxies_reach_the_backend(make_app: MakeApp) -> None:
    app, cache = make_app(CACHE_OPTIONS={"key_prefix": "p:"})
    with app.app_context():
        assert cache.set_many({"a": 1, "b": (2,)}) == ["a", "b"]
        assert cache.get_dict("a", "b", "c") == {"a": 1, "b": (2,), "c": None}
        assert cache.add("c", None)
        assert cache.has("c") and cache.get("c") is None
        assert cache.unlink("a", "b") == ["a", "b"]
        assert cache.delete_many("c", "d") == ["c", "d"]
        assert cache.get_many("a", "b", "c") == [None, None, None]
        assert cache.set("e", 1)
        assert cache.clear() is True
        assert cache.get("e") is None


def test_hosts_in_cache_options(aerospike_server: Any, aerospike_set: str) -> None:
    app = Flask(__name__)
    app.config.update(
        CACHE_TYPE="aerospike_cache.flask.AerospikeCache",
        CACHE_OPTIONS={
            "hosts": ",".join(f"{h}:{p}" for h, p in aerospike_server.hosts),
            "namespace": aerospike_server.namespace,
            "set_name": aerospike_set,
            **(
                {"client_config": {"cluster_name": aerospike_server.cluster_name}}
                if aerospike_server.cluster_name
                else {}
            ),
        },
    )
    cache = Cache(app)
    with app.app_context():
        assert cache.set("k", "v")
        assert cache.get("k") == "v"
