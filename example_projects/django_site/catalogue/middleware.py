"""Say whether a page came from the cache: an ``X-Cache`` header and a footer line.

Whatever has to be computed because it was not in the cache records itself in
``request.cache_misses`` (the views, the ``get_or_set`` callback, the
``{% cache_miss %}`` tag inside each ``{% cache %}`` fragment). A page for
which nothing had to be computed was served from Aerospike: ``X-Cache: hit``.

This middleware sits outside ``cache_page``, so the header and the footer
line are added after the page cache and never stored in it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

PLACEHOLDER = b"<!--cache-status-->"


class CacheStatusMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        misses: list[str] = []
        request.cache_misses = misses  # type: ignore[attr-defined]
        response = self.get_response(request)
        status = "miss" if misses else "hit"
        response["X-Cache"] = status
        if not response.streaming and PLACEHOLDER in response.content:
            if misses:
                line = "Cache MISS: rendered " + ", ".join(misses) + " (now stored in Aerospike)"
            else:
                line = "Cache HIT: served from Aerospike, nothing was recomputed"
            line = f'<span class="cache-{status}">{line}</span>' + hit_ratio()
            response.content = response.content.replace(PLACEHOLDER, line.encode())
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


def hit_ratio() -> str:
    """This process's hit ratio, from the backend's stats (near-cache hits included)."""
    stats = cache.stats()  # type: ignore[attr-defined]
    if stats["hit_ratio"] is None:
        return ""
    return (
        f" · hit ratio {stats['hit_ratio']:.0%} ({stats['hits']} hits, "
        f"{stats['near_hits']} from process memory, {stats['misses']} misses)"
    )
