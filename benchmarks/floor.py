"""The record's floor: what any store with this record format pays over a 1-bin raw call.

``python benchmarks/floor.py [--rounds R] [--n N]``. Same set-up as
``run.py`` (embedded server in a child process, both pinned to one CPU, or
``AEROSPIKE_HOSTS``), interleaved rounds, medians. Each row is one way of
writing or reading the same value, with its ratio to the raw 1-bin call:

- **raw**: ``run.py``'s raw side, one bin ``v`` holding ``pickle.dumps(value)``;
- **record**: a raw call moving exactly the store's record (the format byte,
  the deadline bin ``d`` of exact expiry, a create-or-replace write; a read
  of both bins with the byte sliced off and the deadline compared), with no
  store code at all: the floor of any implementation of this format;
- **least**: the least a cache could do on top of the record (value and TTL
  as arguments, the wire TTL, a policy looked up, an error caught, a
  counter): no failure policy, no checks, a lower bound and not a usable
  store;
- **store**: ``AerospikeStore.set``/``get``.

So ``record`` is what the format costs, ``least`` what any store of this
format costs at the very least, and ``store - record`` what our store's
Python costs, on this machine. Nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import time
from collections.abc import Callable
from math import ceil
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aerospike
from aerospike import exception as aex
from run import TTL, VALUE, pin_one_cpu, server_from_env

from aerospike_cache.connection import build_client_config
from aerospike_cache.store import AerospikeStore


def ways(
    client: Any, store: AerospikeStore, ns: str, set_name: str
) -> dict[str, Callable[[str], Any]]:
    dumps, loads, clock = pickle.dumps, pickle.loads, time.time
    send = aerospike.POLICY_KEY_SEND
    replace = {"key": send, "ttl": TTL, "exists": aerospike.POLICY_EXISTS_CREATE_OR_REPLACE}
    head = store.codec.plain_head or b""

    def raw_set(key: str) -> None:
        client.put((ns, set_name, key), {"v": dumps(VALUE, 5)}, None, {"key": send, "ttl": TTL})

    def record_set(key: str) -> None:
        bins = {"v": head + dumps(VALUE, 5), "d": int((clock() + TTL) * 1000)}
        client.put((ns, set_name, key), bins, None, replace)

    def raw_get(key: str) -> Any:
        return loads(client.get((ns, set_name, key))[2]["v"])

    def record_get(key: str) -> Any:
        bins = client.get((ns, set_name, key))[2]
        if bins.get("d", 0) <= clock() * 1000:
            return None
        return loads(bins["v"][1:])

    policies = {TTL: replace}
    counts = [0, 0]
    not_found, failure = aex.RecordNotFound, aex.AerospikeError

    # The least a cache's set/get can do on top of the record: value and TTL as
    # arguments, the wire TTL, a policy looked up, an error caught, a counter.
    # No failure policy, no checks: a lower bound, not a usable store.
    def least_set(key: str, value: Any = VALUE, ttl: float = TTL) -> bool:
        bins = {"v": head + dumps(value, 5), "d": int((clock() + ttl) * 1000)}
        try:
            client.put((ns, set_name, key), bins, None, policies[ceil(ttl)])
        except failure:
            return False
        counts[0] += 1
        return True

    def least_get(key: str) -> Any:
        try:
            bins = client.get((ns, set_name, key))[2]
        except not_found:
            return None
        deadline = bins.get("d")
        if deadline is not None and deadline <= clock() * 1000:
            return None
        counts[1] += 1
        return loads(bins["v"][1:])

    return {
        "set: raw": raw_set,
        "set: record": record_set,
        "set: least": least_set,
        "set: store": lambda key: store.set(key, VALUE, TTL),
        "get: raw": raw_get,
        "get: record": record_get,
        "get: least": least_get,
        "get: store": store.get,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--n", type=int, default=2000, help="calls per way per round")
    args = parser.parse_args(argv)
    cpu = pin_one_cpu()  # client and server(s) on one CPU, as run.py
    with server_from_env(cpu) as server:
        set_name = "bench_floor"
        client = aerospike.client(build_client_config(server.hosts)).connect()
        store = AerospikeStore(server.hosts, namespace=server.namespace, set_name=set_name)
        # the raw ways on keys of their own: their records have no format byte
        keys = {kind: [f"{kind}:{i}" for i in range(args.n)] for kind in ("raw", "store")}
        table = ways(client, store, server.namespace, set_name)
        for name, fn in table.items():
            if name.startswith("set"):
                for key in keys["raw" if name.endswith("raw") else "store"]:
                    fn(key)
        times: dict[str, list[float]] = {name: [] for name in table}
        names = list(table)
        for round_ in range(args.rounds):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                fn, own = table[name], keys["raw" if name.endswith("raw") else "store"]
                started = time.perf_counter()
                for key in own:
                    fn(key)
                times[name].append((time.perf_counter() - started) / args.n * 1e6)
        store.clear()
        client.close()
    print(f"median of {args.rounds} rounds of {args.n} calls, µs per call (ratio to raw)")
    for name in names:
        base = statistics.median(times[name.split(":")[0] + ": raw"])
        med = statistics.median(times[name])
        print(f"{name:14s} {med:7.1f}  {med / base:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
