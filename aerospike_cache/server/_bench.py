"""Round trips per second against the embedded server, with the official client.

``python -m aerospike_cache.server._bench [--seconds 2] [--mode in-process|isolated|both]``

``in-process``: server threads in this process. ``isolated``: the server in a
child process (``EmbeddedServer(isolated=True)``). One client thread does
put + get pairs; each call is one round trip.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from ._server import EmbeddedServer


def measure(server: EmbeddedServer, seconds: float = 2.0) -> float:
    """Round trips per second (put and get alternating) from one client thread."""
    import aerospike

    client: Any = aerospike.client(server.config)
    try:
        key = ("test", "bench", "k")
        client.put(key, {"v": b"x" * 100})
        for _ in range(200):  # warm up the connection pool
            client.get(key)
        n = 0
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < deadline:
            for _ in range(100):
                client.put(key, {"v": b"x" * 100})
                client.get(key)
            n += 200
        return n / (time.perf_counter() - start)
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aerospike_cache.server._bench")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--mode", choices=("in-process", "isolated", "both"), default="both")
    args = parser.parse_args(argv)
    modes = ("in-process", "isolated") if args.mode == "both" else (args.mode,)
    for mode in modes:
        with EmbeddedServer(isolated=mode == "isolated") as server:
            rate = measure(server, args.seconds)
        print(f"{mode:>10}: {rate:,.0f} round trips/s (put+get, one client thread)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
