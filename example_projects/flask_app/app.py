"""A small Flask shop whose cache is Aerospike (Flask-Caching backend of aerospike_cache).

    python app.py [--host 127.0.0.1] [--port 8000]
    gunicorn -c ../gunicorn.conf.py 'app:create_app()'     (see docs/deployment.md)

Without ``AEROSPIKE_HOSTS`` it starts the embedded, Aerospike-compatible
server in-process; with ``AEROSPIKE_HOSTS=host:port[,host:port]`` (and
``AEROSPIKE_NAMESPACE``, default ``cache``) it uses that cluster.

Caching features, one each:

* ``/``: the whole view is cached with ``@cache.cached``;
* ``/products/<slug>/``: a Jinja ``{% cache %}`` block, a ``@cache.memoize``
  function, and a view counter on the backend's atomic ``inc``.

Every page says whether it came from the cache: an ``X-Cache: hit|miss``
response header and a footer line.

``CACHE_BACKEND`` picks the cache for the load task's comparisons:
``aerospike`` (the default), ``redis`` (Flask-Caching's ``RedisCache`` on
``REDIS_URL``) or ``none`` (``NullCache``: every page rendered).
``AEROSPIKE_FAIL_OPEN=1`` turns an outage into misses and no-op writes;
``CACHE_WARM_UP=1`` reads one key at start-up (under ``gunicorn --preload``
the master connects before forking its workers).
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from flask import Flask, Response, abort, g, render_template
from flask_caching import Cache

PLACEHOLDER = b"<!--cache-status-->"


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    category: str
    price: Decimal
    description: str


PRODUCTS: tuple[Product, ...] = (
    Product(
        "trail-shoes",
        "Trail shoes",
        "outdoor",
        Decimal("119.00"),
        "Grippy soles, a rock plate, and laces that stay tied.",
    ),
    Product(
        "rain-shell",
        "Rain shell",
        "outdoor",
        Decimal("149.00"),
        "Three-layer waterproof jacket that packs into its own pocket.",
    ),
    Product(
        "headlamp",
        "Headlamp",
        "outdoor",
        Decimal("39.00"),
        "400 lumens, red mode, USB-C charging.",
    ),
    Product(
        "enamel-mug",
        "Enamel mug",
        "camp kitchen",
        Decimal("12.00"),
        "Light, unbreakable, and it goes straight on the stove.",
    ),
    Product(
        "camp-stove",
        "Camp stove",
        "camp kitchen",
        Decimal("65.00"),
        "Boils a litre in three minutes on a standard gas canister.",
    ),
    Product(
        "spork",
        "Titanium spork",
        "camp kitchen",
        Decimal("9.00"),
        "Eighteen grams of cutlery.",
    ),
)
BY_SLUG = {product.slug: product for product in PRODUCTS}

cache = Cache()
_server: Any = None


def aerospike_location() -> tuple[str, str]:
    """AEROSPIKE_HOSTS/AEROSPIKE_NAMESPACE, or an embedded server started here."""
    global _server
    hosts = os.environ.get("AEROSPIKE_HOSTS", "").strip()
    namespace = os.environ.get("AEROSPIKE_NAMESPACE", "").strip() or "cache"
    if hosts:
        return hosts, namespace
    from aerospike_cache.server import EmbeddedServer

    port = int(os.environ.get("AEROSPIKE_EMBEDDED_PORT", "0"))
    _server = EmbeddedServer(host="127.0.0.1", port=port).start()
    atexit.register(_server.stop)
    hosts = f"{_server.host}:{_server.port}"
    os.environ["AEROSPIKE_HOSTS"] = hosts  # a reloader's child uses the same server
    os.environ["AEROSPIKE_NAMESPACE"] = namespace
    print(
        f"embedded Aerospike server listening on {hosts} (namespace {namespace})", file=sys.stderr
    )
    return hosts, namespace


def miss(what: str) -> str:
    """Record that ``what`` had to be computed (it was not in the cache)."""
    g.cache_misses.append(what)
    return ""


@cache.memoize(timeout=300)
def similar_products(slug: str) -> list[str]:
    """A deliberately slow "recommendation" computation, memoized in Aerospike."""
    miss("the recommendations (@cache.memoize)")
    time.sleep(0.3)
    product = BY_SLUG[slug]
    same = [p for p in PRODUCTS if p.category == product.category and p is not product]
    return [p.slug for p in sorted(same, key=lambda p: abs(p.price - product.price))[:3]]


# stats() costs about two cache reads (it summarizes latency histograms): the footer
# recomputes it at most once a second, so that it does not weigh on every page.
_footer: tuple[float, str] = (0.0, "")


def hit_ratio() -> str:
    """This process's hit ratio, from the backend's stats."""
    global _footer
    if not hasattr(cache.cache, "stats"):  # another backend (the load task's comparisons)
        return ""
    if time.monotonic() < _footer[0]:
        return _footer[1]
    stats = cache.cache.stats()
    if stats["hit_ratio"] is None:
        return ""
    text = f" · hit ratio {stats['hit_ratio']:.0%} ({stats['hits']} hits, {stats['misses']} misses)"
    _footer = (time.monotonic() + 1.0, text)
    return text


def cache_config() -> dict[str, Any]:
    """The cache settings for ``CACHE_BACKEND`` (aerospike, redis or none)."""
    backend = os.environ.get("CACHE_BACKEND", "aerospike")
    common = {"CACHE_DEFAULT_TIMEOUT": 300, "CACHE_KEY_PREFIX": "shop:"}
    if backend == "redis":
        redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        return {**common, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url}
    if backend == "none":
        return {**common, "CACHE_TYPE": "NullCache"}
    if backend != "aerospike":
        raise ValueError(f"CACHE_BACKEND={backend!r}: aerospike, redis or none")
    hosts, namespace = aerospike_location()
    return {
        **common,
        "CACHE_TYPE": "aerospike_cache.flask.AerospikeCache",
        # "host:port[,host:port]", or [("10.0.0.5", 3000, None), ...] as in aerospike-flask-cache
        "CACHE_AEROSPIKE_HOSTS": hosts,
        "CACHE_AEROSPIKE_NAMESPACE": namespace,
        "CACHE_AEROSPIKE_SET": os.environ.get("AEROSPIKE_SET") or "flask_app",
        "CACHE_AEROSPIKE_FAIL_OPEN": os.environ.get("AEROSPIKE_FAIL_OPEN", "0") == "1",
        # a @cache.memoize miss waits for the request already computing it
        "CACHE_AEROSPIKE_STAMPEDE": {"decorators": True},
    }


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(cache_config())
    app.config.update(config or {})
    cache.init_app(app)
    if os.environ.get("CACHE_WARM_UP") == "1":
        cache.get("warm-up")  # connect now: fail at start-up if the cache is unreachable
    app.jinja_env.globals["cache_miss"] = miss

    @app.before_request
    def start_tracking() -> None:
        g.cache_misses = []

    @app.after_request
    def cache_status(response: Response) -> Response:
        misses = g.get("cache_misses", [])
        status = "miss" if misses else "hit"
        response.headers["X-Cache"] = status
        if response.mimetype == "text/html" and not response.direct_passthrough:
            body = response.get_data()
            if PLACEHOLDER in body:
                if misses:
                    line = (
                        "Cache MISS: rendered " + ", ".join(misses) + " (now stored in Aerospike)"
                    )
                else:
                    line = "Cache HIT: served from Aerospike, nothing was recomputed"
                span = f'<span class="cache-{status}">{line}</span>' + hit_ratio()
                response.set_data(body.replace(PLACEHOLDER, span.encode()))
        return response

    @app.route("/")
    @cache.cached(timeout=60)
    def product_list() -> str:
        miss("the product list page (@cache.cached)")
        categories: dict[str, list[Product]] = {}
        for product in PRODUCTS:
            categories.setdefault(product.category, []).append(product)
        return render_template(
            "list.html",
            categories=sorted(categories.items()),
            rendered_at=datetime.now(timezone.utc),
        )

    @app.route("/products/<slug>/")
    def product_detail(slug: str) -> str:
        product = BY_SLUG.get(slug)
        if product is None:
            abort(404)
        # The backend's atomic increment (creates the counter on first use).
        views = cache.cache.inc(f"views:{slug}")
        similar = [BY_SLUG[s] for s in similar_products(slug)]
        return render_template(
            "detail.html",
            product=product,
            views=views,
            similar=similar,
            rendered_at=datetime.now(timezone.utc),
        )

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--debug", action="store_true", help="Flask debug mode (no reloader)")
    args = parser.parse_args()
    app = create_app()
    app.run(host=args.host, port=args.port, debug=args.debug, use_reloader=False, threaded=True)


if __name__ == "__main__":
    main()
