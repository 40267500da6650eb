"""Views of the integration flows: a rate-limited view, a throttled API view, a login."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django_ratelimit.decorators import ratelimit
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from tests.django.urls import session_view


@ratelimit(key="ip", rate="2/m", block=False)
def limited(request: HttpRequest) -> HttpResponse:
    return HttpResponse("limited" if getattr(request, "limited", False) else "ok")


class BurstThrottle(AnonRateThrottle):
    scope = "burst"
    rate = "2/min"


class ThrottledView(APIView):
    throttle_classes = [BurstThrottle]

    def get(self, request: Any) -> Response:
        return Response({"ok": True})


def login(request: HttpRequest) -> HttpResponse:
    user = authenticate(
        request, username=request.POST["username"], password=request.POST["password"]
    )
    return HttpResponse("welcome" if user else "no", status=200 if user else 401)


urlpatterns = [
    path("visits/", session_view),
    path("limited/", limited),
    path("api/throttled/", ThrottledView.as_view()),
    path("login/", login),
    path("__debug__/", include("debug_toolbar.urls")),
]
