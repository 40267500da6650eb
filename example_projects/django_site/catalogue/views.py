"""The catalogue's views, one caching feature each.

* list: the whole page is cached (``cache_page``);
* detail: a template fragment is cached (``{% cache %}``), an expensive
  computation goes through ``cache.get_or_set``, a view counter uses
  ``cache.incr``, and the "recently viewed" list lives in a cache-backed
  session;
* ``/api/products/<slug>/``: a product as JSON, rate limited per client
  address by a counter in the cache (``throttle``: ``add`` + ``incr``);
* ``/async/``: the list again, as an async view (run it under uvicorn): the
  view counters of every product in one ``aget_many``, the recommendations
  with ``aget_or_set``, the page itself with ``aget``/``aset``.

A cache that is down with fail-open (``AEROSPIKE_FAIL_OPEN=1``) costs these
pages their speed, never their answer: reads miss, writes do nothing, the
counter says "unknown".
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_page

from .data import BY_SLUG, PRODUCTS, Product
from .throttle import throttle

RECENT = "recently_viewed"


def _miss(request: HttpRequest, what: str) -> None:
    request.cache_misses.append(what)  # type: ignore[attr-defined]


@cache_page(60)
def product_list(request: HttpRequest) -> HttpResponse:
    _miss(request, "the product list page (cache_page)")
    categories: dict[str, list[Product]] = {}
    for product in PRODUCTS:
        categories.setdefault(product.category, []).append(product)
    return render(
        request,
        "catalogue/list.html",
        {"categories": sorted(categories.items()), "rendered_at": datetime.now(timezone.utc)},
    )


def _similar(request: HttpRequest, product: Product) -> list[Product]:
    """A deliberately slow "recommendation" computation: worth caching."""
    _miss(request, "the recommendations (get_or_set)")
    time.sleep(0.3)
    same = [p for p in PRODUCTS if p.category == product.category and p != product]
    return sorted(same, key=lambda p: abs(p.price - product.price))[:3]


@throttle(limit=int(os.environ.get("API_RATE_LIMIT", "60")), window=60)
def product_api(request: HttpRequest, slug: str) -> JsonResponse:
    product = BY_SLUG.get(slug)
    if product is None:
        raise Http404("no such product")
    return JsonResponse({"slug": product.slug, "name": product.name, "price": str(product.price)})


def _count_view(slug: str) -> int | None:
    """A counter that survives restarts of the site (incr is atomic); None: cache down."""
    counter = f"views:{slug}"
    cache.add(counter, 0, timeout=None)
    try:
        return cache.incr(counter)
    except ValueError:  # the counter is missing: the cache is down (fail-open) or off
        return None


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = BY_SLUG.get(slug)
    if product is None:
        raise Http404("no such product")

    views = _count_view(slug)

    similar = cache.get_or_set(f"similar:{slug}", lambda: _similar(request, product), 300)

    # Cache-backed session (SESSION_ENGINE = ...backends.cache).
    recent = [s for s in request.session.get(RECENT, []) if s != slug]
    request.session[RECENT] = [slug, *recent][:5]
    recently_viewed = [BY_SLUG[s] for s in recent if s in BY_SLUG]

    return render(
        request,
        "catalogue/detail.html",
        {
            "product": product,
            "views": views,
            "similar": similar,
            "recently_viewed": recently_viewed,
            "rendered_at": datetime.now(timezone.utc),
        },
    )


ASYNC_PAGE = "async:product_list"


async def async_product_list(request: HttpRequest) -> HttpResponse:
    """The product list as an async view: one ``aget``, one ``aget_many``, ``aget_or_set``."""
    page = await cache.aget(ASYNC_PAGE)
    if page is None:
        _miss(request, "the async product list (aget)")
        categories: dict[str, list[Product]] = {}
        for product in PRODUCTS:
            categories.setdefault(product.category, []).append(product)
        page = render(
            request,
            "catalogue/list.html",
            {"categories": sorted(categories.items()), "rendered_at": datetime.now(timezone.utc)},
        ).content
        await cache.aset(ASYNC_PAGE, page, 60)
    counters = await cache.aget_many([f"views:{p.slug}" for p in PRODUCTS])
    featured = await cache.aget_or_set("async:featured", _featured, 300)
    response = HttpResponse(page)
    response["X-Views"] = str(sum(counters.values()))
    response["X-Featured"] = featured
    return response


def _featured() -> str:
    """The cheapest product of each category (the ``aget_or_set`` default)."""
    cheapest: dict[str, Product] = {}
    for product in PRODUCTS:
        if product.category not in cheapest or product.price < cheapest[product.category].price:
            cheapest[product.category] = product
    return ",".join(sorted(p.slug for p in cheapest.values()))
