"""``{% cache_miss "what" %}``: put it inside a ``{% cache %}`` block.

The block's content is only rendered when the fragment is not in the cache,
so the tag runs exactly on a miss and records it for the X-Cache header.
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def cache_miss(context: Any, what: str) -> str:
    request = context.get("request")
    if request is not None and hasattr(request, "cache_misses"):
        request.cache_misses.append(what)
    return ""
