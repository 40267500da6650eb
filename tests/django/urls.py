from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.cache import cache_page

CALLS = {"page": 0}


@cache_page(60)
def cached_page(request: HttpRequest) -> HttpResponse:
    CALLS["page"] += 1
    return HttpResponse(f"page rendered {CALLS['page']} times")


def fragment(request: HttpRequest) -> HttpResponse:
    CALLS["fragment"] = CALLS.get("fragment", 0) + 1
    template = engines["django"].from_string(
        "{% load cache %}{% cache 60 frag %}fragment {{ n }}{% endcache %}"
    )
    return HttpResponse(template.render({"n": CALLS["fragment"]}))


def session_view(request: HttpRequest) -> HttpResponse:
    request.session["count"] = request.session.get("count", 0) + 1
    return HttpResponse(str(request.session["count"]))


urlpatterns = [
    path("cached/", cached_page),
    path("fragment/", fragment),
    path("session/", session_view),
]
