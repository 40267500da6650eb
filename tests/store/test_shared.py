"""One store per configuration, shared by the frontends' instances."""

from __future__ import annotations

from typing import Any

from aerospike_cache.store.shared import shared_store


def test_one_store_per_configuration(aerospike_server: Any, aerospike_set: str) -> None:
    ns = aerospike_server.namespace
    a = shared_store(aerospike_server.hosts, {"namespace": ns, "set_name": aerospike_set})
    b = shared_store(aerospike_server.hosts, {"set_name": aerospike_set, "namespace": ns})
    assert a is b
    c = shared_store(
        aerospike_server.hosts, {"namespace": ns, "set_name": aerospike_set, "fail_open": True}
    )
    assert c is not a


def test_an_option_at_its_default_is_the_same_configuration(aerospike_server: Any) -> None:
    a = shared_store(aerospike_server.hosts, {"set_name": "shared_default"})
    b = shared_store(aerospike_server.hosts, {"set_name": "shared_default", "namespace": "cache"})
    assert a is b
