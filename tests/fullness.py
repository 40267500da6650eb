"""A namespace that fills up, for the store's and the frontends' tests.

A real node shared by a test suite cannot be filled: these run on a private
embedded server (``make_embedded_server``) whose ``cache`` namespace is small.
"""

from __future__ import annotations

from typing import Any

import aerospike
from aerospike import exception as ex

#: a small namespace; nsup only when a test runs it (TTLs still allowed)
SMALL: dict[str, Any] = {
    "data-size": "256K",
    "nsup-period": 0,
    "allow-ttl-without-nsup": True,
}
FILLER_SET = "filler"


def fill(hosts: list[tuple[str, int]], namespace: str = "cache") -> int:
    """Write 1 kB records (TTLs 1000 s, 1001 s, ...) until the namespace refuses one
    with code 8, then make a margin: two of them removed, one record of 3 % of the
    data size written (so a test's own removes do not bring it back under
    stop-writes). Returns how many went in."""
    client = aerospike.client({"hosts": hosts}).connect()
    try:
        for n in range(100_000):
            try:
                client.put((namespace, FILLER_SET, n), {"v": b"x" * 1000}, policy={"ttl": 1000 + n})
            except ex.ServerFull:
                break
        else:
            raise AssertionError("the namespace did not fill")
        for i in (n - 1, n - 2):
            client.remove((namespace, FILLER_SET, i))
        size = int(_figures(client, namespace)["data_total_bytes"])
        client.put((namespace, FILLER_SET, "margin"), {"v": b"x" * (size * 3 // 100)})
        return n - 1
    finally:
        client.close()


def _figures(client: Any, namespace: str) -> dict[str, str]:
    value = client.info_random_node(f"namespace/{namespace}").partition("\t")[2].strip()
    return dict(item.split("=", 1) for item in value.split(";") if "=" in item)


def namespace_figures(hosts: list[tuple[str, int]], namespace: str = "cache") -> dict[str, str]:
    """The ``namespace/<ns>`` answer as a dict."""
    client = aerospike.client({"hosts": hosts}).connect()
    try:
        return _figures(client, namespace)
    finally:
        client.close()
