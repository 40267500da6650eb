"""A rate limit kept in the cache: at most ``limit`` requests per ``window`` seconds per client.

A fixed window: one counter per client address and window, created with
``add`` (atomic: one creator) and counted with ``incr`` (atomic on the
server, so every worker process counts into the same counter). When the
cache is down (fail-open), the counter cannot be read: the request is let
through rather than refused.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse


def throttle(limit: int, window: int) -> Callable[[Callable[..., HttpResponse]], Any]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def throttled(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            client = request.META.get("REMOTE_ADDR", "?")
            counter = f"throttle:{view.__name__}:{client}:{int(time.time() // window)}"
            cache.add(counter, 0, timeout=window)
            try:
                count = cache.incr(counter)
            except ValueError:  # the cache is down (fail-open): let it through
                count = 0
            if count > limit:
                response = HttpResponse(f"more than {limit} requests in {window} s\n", status=429)
                response["Retry-After"] = str(window - int(time.time()) % window)
                return response
            return view(request, *args, **kwargs)

        return throttled

    return decorate
