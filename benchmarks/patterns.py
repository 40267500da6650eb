"""Pattern deletion side by side: the server-matched way against the old scan-everything way.

``python benchmarks/patterns.py [--entries N] [--rounds R] [--page P] [--ranges G]
[--markdown PATH]``.
An embedded server runs in a child process unless ``AEROSPIKE_HOSTS`` names
a cluster (``AEROSPIKE_NAMESPACE``, default ``test``). Each round fills the
set with ``N`` entries, 10% of which match the pattern, and deletes the
matches one way; the two ways alternate. Before each measured call the
fill's garbage is collected here and the server is left idle for 0.3 s (an
embedded server runs its full garbage collections when idle), so neither way
pays for the fill. Reported: the median wall time of each way and their
ratio. Nothing here asserts on timings.

- **scan** (the baseline, the store's ``delete_pattern`` before issue 14): a
  query of every key of the set to the client, ``fnmatch`` there, batch
  removes of 1000.
- **server**: ``AerospikeStore.delete_pattern``: a foreground query whose
  filter (a regex on the stored key) returns only the matching keys, in
  pages, and batch removes carrying the same filter.
"""

from __future__ import annotations

import argparse
import fnmatch
import gc
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import server_from_env

from aerospike_cache.store import AerospikeStore, selection

PATTERN = "item:*:hot"
CHUNK = 1000


def fill(store: AerospikeStore, entries: int) -> int:
    """``entries`` entries, every tenth matching :data:`PATTERN`; returns how many match."""
    for start in range(0, entries, CHUNK):
        batch = {
            f"item:{i:07d}:{'hot' if i % 10 == 0 else 'cold'}": i
            for i in range(start, min(start + CHUNK, entries))
        }
        assert store.set_many(batch, 3600) == []
    return (entries + 9) // 10


def scan_everything(store: AerospikeStore, pattern: str) -> int:
    """The old way: every key to the client, matched there, removed in batches."""
    client = store.records.client()
    records = client.query(store.namespace, store.set_name).results({"include_bin_data": False})
    match = re.compile(fnmatch.translate(pattern)).match
    keys = [r[0][2] for r in records if isinstance(r[0][2], str) and match(r[0][2])]
    removed = 0
    for start in range(0, len(keys), CHUNK):
        removed += len(store.delete_many(keys[start : start + CHUNK]))
    return removed


def server_matched(store: AerospikeStore, pattern: str) -> int:
    result = store.delete_pattern(pattern)
    assert isinstance(result, int)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", help="write the report to this file")
    parser.add_argument(
        "--page", type=int, help=f"keys per query page (the store's: {selection.PAGE})"
    )
    parser.add_argument(
        "--ranges",
        type=int,
        help="partition ranges queried (the store's: as many as a 64-partition probe asks)",
    )
    args = parser.parse_args(argv)
    if args.page:
        selection.PAGE = args.page
    if args.ranges:
        selection.RANGES = args.ranges
    ways = {"scan": scan_everything, "server": server_matched}
    times: dict[str, list[float]] = {name: [] for name in ways}
    with server_from_env(None) as server:
        store = AerospikeStore(server.hosts, namespace=server.namespace, set_name="bench_patterns")
        for round_ in range(args.rounds):
            order = list(ways) if round_ % 2 == 0 else list(reversed(ways))
            for name in order:
                store.clear()
                expected = fill(store, args.entries)
                gc.collect()  # as run.py; and idle: the embedded server's collection
                time.sleep(0.3)
                started = time.perf_counter()
                removed = ways[name](store, PATTERN)
                times[name].append(time.perf_counter() - started)
                assert removed == expected, (name, removed, expected)
        store.clear()
        where = "embedded server" if server.embedded else f"cluster {server.location}"
        fixed = selection.RANGES
        ranges = f"{fixed} partition ranges" if fixed else "partition ranges from a probe"
        where += f", {ranges}, query pages of {selection.PAGE} keys"
    report = render(times, args.entries, where)
    print(report)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as out:
            out.write(report + "\n")
    return 0


def render(times: dict[str, list[float]], entries: int, where: str) -> str:
    scan, server = (statistics.median(times[n]) for n in ("scan", "server"))
    return "\n".join(
        [
            f"delete_pattern({PATTERN!r}): {entries:,} entries, 10% matching, "
            f"{where}, median of {len(times['scan'])} rounds",
            "",
            "| way | ms | ratio |",
            "|---|---:|---:|",
            f"| scan every key, match in the client (baseline) | {scan * 1000:.0f} | 1.00 |",
            f"| filtered query + batch removes | {server * 1000:.0f} | "
            f"{scan / server:.2f}x faster |",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
