"""The async half of Django's contract, on our backend and LocMem alike."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest


async def test_aset_aget(cache: Any) -> None:
    await cache.aset("k", {"a": 1})
    assert await cache.aget("k") == {"a": 1}
    assert await cache.aget("absent", "dflt") == "dflt"


async def test_aadd_adelete_ahas_key(cache: Any) -> None:
    assert await cache.aadd("k", 1) is True
    assert await cache.aadd("k", 2) is False
    assert await cache.ahas_key("k") is True
    assert await cache.adelete("k") is True
    assert await cache.adelete("k") is False
    assert await cache.ahas_key("k") is False


async def test_aget_many_aset_many_adelete_many(cache: Any) -> None:
    assert await cache.aset_many({"a": 1, "b": None, "c": "x"}) == []
    assert await cache.aget_many(["a", "b", "c", "d"]) == {"a": 1, "b": None, "c": "x"}
    await cache.adelete_many(["a", "b"])
    assert await cache.aget_many(["a", "b", "c"]) == {"c": "x"}


async def test_aincr_adecr(cache: Any) -> None:
    await cache.aset("n", 10)
    assert await cache.aincr("n") == 11
    assert await cache.adecr("n", 5) == 6
    with pytest.raises(ValueError):
        await cache.aincr("absent")


async def test_atouch_aget_or_set_aclear(cache: Any) -> None:
    assert await cache.aget_or_set("g", "first") == "first"
    assert await cache.aget_or_set("g", "second") == "first"
    assert await cache.atouch("g", None) is True
    assert await cache.atouch("absent") is False
    await cache.aclear()
    assert await cache.aget("g") is None


async def test_aincr_version(cache: Any) -> None:
    await cache.aset("k", "v")
    assert await cache.aincr_version("k") == 2
    assert await cache.aget("k", version=2) == "v"
    assert await cache.adecr_version("k", version=2) == 1
    assert await cache.aget("k") == "v"


async def test_concurrent_agets_each_get_their_own_value(cache: Any) -> None:
    await cache.aset_many({f"k{i}": i for i in range(50)})
    results = await asyncio.gather(*(cache.aget(f"k{i % 60}", f"miss{i % 60}") for i in range(120)))
    assert results == [(i % 60) if i % 60 < 50 else f"miss{i % 60}" for i in range(120)]


async def test_aclose(cache: Any) -> None:
    await cache.aclose()
