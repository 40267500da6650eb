"""Shared helpers of the server conformance suite.

Every test drives the official ``aerospike`` client (or raw protocol frames)
against ``aerospike_server``: the embedded server by default, a real cluster
when ``AEROSPIKE_HOSTS`` is set. Nothing here may assume our own server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Key = tuple[str, str, Any]


@pytest.fixture
def ns(aerospike_server: Any) -> str:
    return str(aerospike_server.namespace)


@pytest.fixture(scope="session")
def edition(aerospike_client: Any) -> str:
    """``community`` or ``enterprise``: what the server says it is (info ``edition``)."""
    answer = aerospike_client.info_random_node("edition")
    return "enterprise" if "Enterprise" in answer else "community"


@pytest.fixture
def client(aerospike_client: Any) -> Any:
    return aerospike_client


@pytest.fixture
def make_key(ns: str, aerospike_set: str) -> Callable[[Any], Key]:
    def make(user_key: Any) -> Key:
        return (ns, aerospike_set, user_key)

    return make


@pytest.fixture
def key(make_key: Callable[[Any], Key]) -> Key:
    return make_key("k1")


@pytest.fixture
def raw_target(aerospike_server: Any, client: Any) -> tuple[str, int]:
    """Where raw AS_MSG frames go: the seed node, which must hold every partition.

    A raw socket skips the client's partition routing (and login), so the test
    runs on the embedded server or a single-node real cluster only.
    """
    if not aerospike_server.is_embedded and len(client.get_node_names()) > 1:
        pytest.skip("raw AS_MSG frames reach the seed node only: needs a single-node target")
    return aerospike_server.host, aerospike_server.port
