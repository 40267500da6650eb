"""The catalogue's views, one caching feature each.

* list: the whole page is cached (``cache_page``);
* detail: a template fragment is cached (``{% cache %}``), an expensive
  computation goes through ``cache.get_or_set``, a view counter uses
  ``cache.incr``, and the "recently viewed" list lives in a cache-backed
  session.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_page

from .data import BY_SLUG, PRODUCTS, Product

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


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = BY_SLUG.get(slug)
    if product is None:
        raise Http404("no such product")

    # Low-level API: a counter that survives restarts of the site (incr is atomic).
    counter = f"views:{slug}"
    cache.add(counter, 0, timeout=None)
    views = cache.incr(counter)

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
