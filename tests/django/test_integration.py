"""Django features on top of the cache: sessions, cache_page, template fragments."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from . import urls


@pytest.fixture
def cached_site(aerospike_cache: Any) -> Any:
    urls.CALLS.clear()
    urls.CALLS["page"] = 0
    with override_settings(
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
    ):
        yield aerospike_cache


def test_cache_page_serves_second_request_from_cache(cached_site: Any) -> None:
    client = Client()
    first = client.get("/cached/")
    second = client.get("/cached/")
    assert first.content == second.content == b"page rendered 1 times"
    assert urls.CALLS["page"] == 1


def test_template_fragment_cache(cached_site: Any) -> None:
    client = Client()
    assert client.get("/fragment/").content == b"fragment 1"
    assert client.get("/fragment/").content == b"fragment 1"
    assert urls.CALLS["fragment"] == 2  # the view ran, the fragment came from the cache


def test_cache_backed_sessions(cached_site: Any) -> None:
    client = Client()
    assert client.get("/session/").content == b"1"
    assert client.get("/session/").content == b"2"
    assert Client().get("/session/").content == b"1"  # a new client is a new session
