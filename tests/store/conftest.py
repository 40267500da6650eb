from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aerospike_cache.store import AerospikeStore


@pytest.fixture
def make_store(
    aerospike_server: Any, aerospike_set: str
) -> Iterator[Callable[..., AerospikeStore]]:
    """Build stores on the test server; options as AerospikeStore's keywords."""

    def make(**options: Any) -> AerospikeStore:
        options.setdefault("namespace", aerospike_server.namespace)
        options.setdefault("set_name", aerospike_set)
        return AerospikeStore(aerospike_server.hosts, **options)

    yield make


@pytest.fixture
def store(make_store: Callable[..., AerospikeStore]) -> AerospikeStore:
    return make_store()
