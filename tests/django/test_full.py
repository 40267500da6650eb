"""The Django backend on a namespace that fills up: code 8, and ``check --deploy``'s warnings.

The fill tests run on a private embedded server with a small ``cache``
namespace (a shared real node cannot be filled); the deploy check also runs
on the test server (a real node's ``cache`` namespace with eviction off is
warned about).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings

from aerospike_cache.django import AerospikeCache
from aerospike_cache.django.checks import check_cluster
from aerospike_cache.errors import NamespaceFullError
from tests.django.conftest import BACKEND, location
from tests.fullness import SMALL, fill, namespace_figures


def _caches(server: Any, namespace: str = "cache", **settings: Any) -> dict[str, Any]:
    options = {"NAMESPACE": namespace, "SET": "django_full", **settings.pop("OPTIONS", {})}
    conf = {"BACKEND": BACKEND, "LOCATION": location(server), "OPTIONS": options, **settings}
    return {"default": conf}


def _backend(server: Any, **options: Any) -> AerospikeCache:
    conf = _caches(server, OPTIONS=options)["default"]
    return AerospikeCache(conf["LOCATION"], {"OPTIONS": conf["OPTIONS"]})


@pytest.mark.parametrize("ignore_exceptions", [False, True])
def test_a_full_namespace_refuses_writes_and_serves_reads(
    make_embedded_server: Callable[..., Any], ignore_exceptions: bool, caplog: Any
) -> None:
    server = make_embedded_server({"cache": SMALL})
    cache = _backend(server, IGNORE_EXCEPTIONS=ignore_exceptions, STAMPEDE=False)
    cache.set("kept", "old")
    cache.set("other", "old")
    fill(server.hosts)
    with caplog.at_level(logging.ERROR, logger="aerospike_cache"):
        if ignore_exceptions:
            cache.set("kept", "new")  # not done: the old value is gone, not served
            assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
            assert cache.add("c", 1) is False
        else:
            with pytest.raises(NamespaceFullError, match="namespace 'cache' is full"):
                cache.set("kept", "new")
            with pytest.raises(NamespaceFullError):
                cache.set_many({"a": 1, "b": 2})
    assert cache.get("kept") is None
    assert cache.get("other") == "old"  # reads go on
    assert cache.get_or_set("computed", lambda: "fresh") == "fresh"
    assert cache.delete("other") is True
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == (1 if ignore_exceptions else 0), logged
    stats = cache.stats()
    assert stats["breaker"]["openings"] == 0
    assert stats["refused_writes"] >= 2


def test_get_or_set_with_stampede_protection_returns_the_value(
    make_embedded_server: Callable[..., Any],
) -> None:
    server = make_embedded_server({"cache": SMALL})
    cache = _backend(server, STAMPEDE={"wait": 0.5})
    fill(server.hosts)
    assert cache.get_or_set("k", lambda: "fresh", 60) == "fresh"


# -- check --deploy ------------------------------------------------------------------

ENOUGH = {"evict-used-pct": 60}


@pytest.mark.parametrize(
    ("namespace", "timeout", "expected"),
    [
        ({}, 300, ["aerospike_cache.W001"]),
        ({"nsup-period": 0, "allow-ttl-without-nsup": True, **ENOUGH}, 300, ["W001"]),
        ({"evict-used-pct": 70}, 300, ["aerospike_cache.W002"]),
        ({"evict-used-pct": 80, "stop-writes-used-pct": 75}, 300, ["aerospike_cache.W002"]),
        (ENOUGH, None, ["aerospike_cache.W004"]),
        (ENOUGH, 300, []),
        ({}, None, ["aerospike_cache.W001", "aerospike_cache.W004"]),
    ],
)
def test_deploy_check_warns_before_the_namespace_fills(
    make_embedded_server: Callable[..., Any],
    namespace: dict[str, Any],
    timeout: int | None,
    expected: list[str],
) -> None:
    server = make_embedded_server({"cache": namespace})
    with override_settings(CACHES=_caches(server, TIMEOUT=timeout)):
        found = check_cluster()
    assert [m.id for m in found] == [e if "." in e else f"aerospike_cache.{e}" for e in expected]
    for message in found:
        assert message.level == logging.WARNING
        assert message.obj == "CACHES['default']"
    texts = " ".join(m.msg for m in found)
    if "aerospike_cache.W001" in expected:
        assert "'storage-engine' block of 'namespace cache'" in texts
        assert "evict-used-pct 60 with stop-writes-used-pct 70" in texts
    if "aerospike_cache.W004" in expected:
        assert "Set TIMEOUT to a number of seconds" in texts


def test_deploy_check_warns_when_data_use_is_past_eviction(
    make_embedded_server: Callable[..., Any],
) -> None:
    server = make_embedded_server({"cache": {**SMALL, **ENOUGH}})
    fill(server.hosts)  # past 70 %: nsup does not run here (nsup-period 0)
    with override_settings(CACHES=_caches(server)):
        found = check_cluster()
    assert [m.id for m in found] == ["aerospike_cache.W001", "aerospike_cache.W003"]
    assert re.search(r"data use 7\d% is already at or above evict-used-pct 60", found[1].msg)


def test_deploy_check_on_the_test_server(aerospike_server: Any) -> None:
    """On a real node too: its ``cache``-like namespace either evicts or is warned about."""
    figures = namespace_figures(aerospike_server.hosts, aerospike_server.namespace)
    evicts = figures.get("storage-engine.evict-used-pct", "0") != "0"
    with override_settings(CACHES=_caches(aerospike_server, aerospike_server.namespace)):
        found = check_cluster()
    assert all(m.level == logging.WARNING for m in found), [m.msg for m in found]
    assert ("aerospike_cache.W001" in [m.id for m in found]) is not evicts


@pytest.mark.parametrize("stampede", [False, True])
def test_aget_or_set_returns_the_value_when_its_write_is_refused(
    make_embedded_server: Callable[..., Any], stampede: bool
) -> None:
    import asyncio

    server = make_embedded_server({"cache": SMALL})
    cache = _backend(server, STAMPEDE={"wait": 0.5} if stampede else False)
    fill(server.hosts)
    assert asyncio.run(cache.aget_or_set("k", lambda: "fresh", 60)) == "fresh"
    assert asyncio.run(cache.aget_or_set("t", "fresh", 60, tags=["a"])) == "fresh"
