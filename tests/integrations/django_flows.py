"""One representative flow per package of the README's "Works with", on our backend.

Run under ``tests/integrations/settings.py`` in a process of its own, by
``test_django_packages.py`` (this module's name keeps the suite's own run
from collecting it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.core.checks import WARNING, run_checks
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from tests.django.models import Poll


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield


def test_system_checks_pass_with_the_documented_silences() -> None:
    call_command("check", fail_level="WARNING")  # raises on any warning not silenced


def test_the_silenced_warnings_are_the_two_backend_lists() -> None:
    with override_settings(SILENCED_SYSTEM_CHECKS=[]):
        warned = sorted({m.id for m in run_checks() if m.level >= WARNING})
    assert warned == ["cachalot.W001", "django_ratelimit.W001"]


@pytest.mark.django_db(transaction=True)  # cachalot keeps reads in a transaction to itself
def test_cachalot_caches_a_query_and_a_write_invalidates_it(
    django_assert_num_queries: Any,
) -> None:
    Poll.objects.create(question="first")
    questions = Poll.objects.order_by("id").values_list("question", flat=True)
    with django_assert_num_queries(1):
        assert list(questions.all()) == ["first"]
    assert cache.keys("*")  # the result and the table's generation are in Aerospike
    with django_assert_num_queries(0):
        assert list(questions.all()) == ["first"]
    Poll.objects.create(question="second")  # invalidates the table
    with django_assert_num_queries(1):
        assert list(questions.all()) == ["first", "second"]


def test_ratelimit_limits_the_third_request() -> None:
    client = Client()
    assert [client.get("/limited/").content for _ in range(3)] == [b"ok", b"ok", b"limited"]


def test_drf_throttle_answers_429_past_the_rate() -> None:
    client = Client()
    assert [client.get("/api/throttled/").status_code for _ in range(3)] == [200, 200, 429]
    assert len(cache.get("throttle_burst_127.0.0.1")) == 2  # the request history DRF keeps


def test_debug_toolbar_cache_panel_records_our_calls() -> None:
    from debug_toolbar.toolbar import DebugToolbar

    request = RequestFactory().get("/")
    toolbar = DebugToolbar(request, lambda request: HttpResponse())
    panel = toolbar.get_panel_by_id("CachePanel")
    cache.get("warm")  # the connection exists before the panel instruments it
    panel.enable_instrumentation()
    try:
        cache.set("toolbar", 1)
        cache.get("toolbar")
        cache.get("absent")
    finally:
        panel.disable_instrumentation()
    panel.generate_stats(request, HttpResponse())
    stats = panel.get_stats()
    assert [call["name"] for call in stats["calls"]] == ["set", "get", "get"]
    assert (stats["hits"], stats["misses"]) == (1, 1)
    assert {call["backend"] for call in stats["calls"]} == {"default (AerospikeCache)"}


@pytest.mark.django_db
def test_axes_locks_out_after_the_failures_it_counted_in_the_cache(
    django_user_model: Any,
) -> None:
    django_user_model.objects.create_user("ann", password="right-password")
    client = Client()
    first = client.post("/login/", {"username": "ann", "password": "wrong"})
    assert first.status_code == 401
    assert any(key.startswith("axes") for key in cache.keys("*"))
    client.post("/login/", {"username": "ann", "password": "wrong"})  # the limit: 2
    locked = client.post("/login/", {"username": "ann", "password": "right-password"})
    assert locked.status_code == 429
    cache.clear()  # the count lives in the cache: gone, and ann may log in again
    assert client.post("/login/", {"username": "ann", "password": "right-password"}).content == (
        b"welcome"
    )


def test_cache_sessions_round_trip() -> None:
    client = Client()
    assert [client.get("/visits/").content for _ in range(3)] == [b"1", b"2", b"3"]
    assert Client().get("/visits/").content == b"1"  # another browser, another session
