"""Say whether a page came from the cache: an ``X-Cache`` header and a footer line.

Whatever has to be computed because it was not in the cache records itself in
``request.cache_misses`` (the views, the ``get_or_set`` callback, the
``{% cache_miss %}`` tag inside each ``{% cache %}`` fragment). A page for
which nothing had to be computed was served from Aerospike: ``X-Cache: hit``.

This middleware sits outside ``cache_page``, so the header and the footer
line are added after the page cache and never stored in it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

PLACEHOLDER = b"<!--cache-status-->"


class CacheStatusMiddleware:
    # Both kinds: under ASGI the async views run without a hop to a thread.
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self._acall(request)
        misses: list[str] = []
        request.cache_misses = misses  # type: ignore[attr-defined]
        return self._mark(self.get_response(request), misses)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        misses: list[str] = []
        request.cache_misses = misses  # type: ignore[attr-defined]
        get_response: Callable[[HttpRequest], Awaitable[HttpResponse]] = self.get_response
        return self._mark(await get_response(request), misses)

    @staticmethod
    def _mark(response: HttpResponse, misses: list[str]) -> HttpResponse:
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


# stats() costs about two cache reads (it summarizes latency histograms): the footer
# recomputes it at most once a second, so that it does not weigh on every page.
_footer: tuple[float, str] = (0.0, "")


def hit_ratio() -> str:
    """This process's hit ratio, from the backend's stats (near-cache hits included)."""
    global _footer
    if not hasattr(cache, "stats"):  # another backend (the load task's comparisons)
        return ""
    if time.monotonic() < _footer[0]:
        return _footer[1]
    stats = cache.stats()
    if stats["hit_ratio"] is None:
        return ""
    text = (
        f" · hit ratio {stats['hit_ratio']:.0%} ({stats['hits']} hits, "
        f"{stats['near_hits']} from process memory, {stats['misses']} misses)"
    )
    _footer = (time.monotonic() + 1.0, text)
    return text
