"""The store's TTL language mapped onto the wire."""

from __future__ import annotations

from typing import Any

import pytest

from aerospike_cache.store import MAX_TTL, wire_ttl
from aerospike_cache.store.expiry import is_gone, meta_ttl


@pytest.mark.parametrize(
    ("ttl", "wire"),
    [(None, -1), (1, 1), (0.1, 1), (1.5, 2), (MAX_TTL, MAX_TTL), (MAX_TTL * 3, MAX_TTL)],
)
def test_wire_ttl_rounds_up_and_clamps(ttl: float | None, wire: int) -> None:
    assert wire_ttl(ttl) == wire


@pytest.mark.parametrize(("ttl", "gone"), [(None, False), (0.001, False), (0, True), (-5, True)])
def test_zero_or_less_is_gone(ttl: float | None, gone: bool) -> None:
    assert is_gone(ttl) is gone


@pytest.mark.parametrize(
    ("meta", "left"),
    [(None, None), ({"ttl": 42}, 42), ({"ttl": 0xFFFFFFFF}, None), ({"ttl": -1}, None), ({}, None)],
)
def test_meta_ttl_reads_never_expiring_as_none(meta: Any, left: int | None) -> None:
    assert meta_ttl(meta) == left
