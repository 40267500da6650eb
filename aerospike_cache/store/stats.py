"""Per-process cache statistics: counts, errors by result code, breaker, latency percentiles.

One :class:`Stats` per store, fed by its failure path
(:attr:`~.failures.FailurePath.stats`). Counts are exact; latencies are
sampled: one client call in :data:`~.failures.SAMPLE_EVERY` (16, chosen at
random) is timed, so that the common call reads no clock (a latency
``count`` is the number of timed calls). Latencies go into a fixed
histogram per operation: one bucket per microsecond below 2.048 ms
(recording a call is an index and an increment), logarithmic buckets
2^(1/8) apart above it, up to about two minutes. Memory is bounded. A
percentile is reported as its bucket's upper bound: at most 1 µs
above the true value below 2 ms, at most 9 % above it beyond.

:func:`server_figures` reads what the cluster knows about the namespace and
set (objects, memory or device use, evictions, nsup settings) over info.
"""

from __future__ import annotations

import os
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Mapping
from typing import Any, Final

# Latencies below this many µs are counted per µs; above, in buckets whose
# upper bounds (seconds) are 1 µs * 2^(i/8).
_LINEAR: Final = 2048
_BOUNDS: Final[tuple[float, ...]] = tuple(1e-6 * 2 ** (i / 8) for i in range(217))

COUNTERS: Final = ("hits", "misses", "near_hits", "sets", "deletes")

# Result codes that are answers, not errors: success, not found, generation
# mismatch, exists (a lock held, an add that lost).
ANSWERS: Final = frozenset({0, 2, 3, 5})


class Histogram(list[int]):
    """Latency counts: 1 µs buckets below :data:`_LINEAR` µs (the list itself, so that
    recording a call is one index and one increment), logarithmic buckets above
    (:attr:`slow`, 2^(1/8) apart; the last takes everything beyond)."""

    def __init__(self) -> None:
        super().__init__([0] * _LINEAR)
        self.slow = [0] * (len(_BOUNDS) + 1)

    def add(self, seconds: float) -> None:
        micros = int(seconds * 1e6)
        if micros < _LINEAR:
            self[micros] += 1
        else:
            self.slow[bisect_left(_BOUNDS, seconds)] += 1

    @property
    def total(self) -> int:
        return sum(self) + sum(self.slow)

    def percentiles(self, *fractions: float) -> tuple[int, list[float | None]]:
        """``(count, [upper bound of the bucket holding each quantile])``, walking the buckets
        only as far as the highest quantile (``None``: no data). ``fractions`` ascending."""
        linear = sum(self)
        total = linear + sum(self.slow)
        if not total:
            return 0, [None] * len(fractions)
        ranks = [max(1, round(f * total)) for f in fractions]
        low = [r for r in ranks if r <= linear]  # in the 1 µs buckets; the others beyond
        out: list[float | None] = []
        if low:
            out += _walk(self, low, 0, lambda micros: (micros + 1) / 1e6)
        if len(low) < len(ranks):
            last = len(_BOUNDS) - 1
            out += _walk(self.slow, ranks[len(low) :], linear, lambda i: _BOUNDS[min(i, last)])
        return total, out

    def percentile(self, fraction: float) -> float | None:
        """The upper bound of the bucket holding the ``fraction`` quantile (``None``: no data)."""
        return self.percentiles(fraction)[1][0]


def _walk(
    counts: list[int], ranks: list[int], seen: int, bound: Callable[[int], float]
) -> list[float]:
    """``bound(index)`` of the bucket where the running count (from ``seen``) first
    reaches each rank; stops at the last one."""
    out: list[float] = []
    for index, count in enumerate(counts):
        seen += count
        while seen >= ranks[len(out)]:
            out.append(bound(index))
            if len(out) == len(ranks):
                return out
    return out


class Stats:
    """Counters and latency histograms of one store, in this process.

    The failure path reports the timed client calls to :meth:`observe`
    (latency per operation, errors by result code, and a circuit that
    opened) and the errors of the others to :meth:`count`; the
    facade adds what each cache operation found or touched to the counters
    :attr:`hits`, :attr:`misses`, :attr:`near_hits`, :attr:`sets` and
    :attr:`deletes` directly: a get costs no lock and no extra call. Those
    are plain integer increments, exact under the GIL (no thread switch falls
    inside one); errors and openings, rare, are counted under a lock.

    Args:
        breaker: returns the store's circuit breaker (or ``None``), to tell
            when an outage opened it.
    """

    __slots__ = (
        "_breaker", "_errors", "_latency", "_lock", "_openings", "_refused", "_since",
        "deletes", "hits", "misses", "near_hits", "sets",
    )  # fmt: skip

    def __init__(self, breaker: Callable[[], Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._breaker = breaker
        self.reset()

    def reset(self) -> None:
        """Start counting again from zero."""
        with self._lock:
            self.hits = self.misses = self.near_hits = self.sets = self.deletes = 0
            self._errors: dict[str, int] = {}
            self._latency: dict[str, Histogram] = {}
            self._openings = 0
            self._refused = 0
            self._since = time.time()

    def observe(self, op: str, code: int | None, node: str | None, elapsed: float) -> None:
        """A client call's outcome, from the failure path: its latency, and its error if any."""
        try:  # Histogram.add inlined: the hot path of every call
            self._latency[op][int(elapsed * 1e6)] += 1
        except (KeyError, IndexError):  # a new operation, or a call slower than _LINEAR µs
            self._observe_slow(op, elapsed)
        if code != 0 and code not in ANSWERS:
            self._error(code)

    def count(self, code: int | None) -> None:
        """An untimed call's outcome (not a success): its error, if it is one."""
        if code not in ANSWERS:
            self._error(code)

    def refused(self, writes: int) -> None:
        """Writes a full namespace refused (code 8; a batch: its refused rows)."""
        with self._lock:
            self._refused += writes

    def _observe_slow(self, op: str, elapsed: float) -> None:
        hist = self._latency.get(op)
        if hist is None:
            with self._lock:
                hist = self._latency.setdefault(op, Histogram())
        hist.add(elapsed)

    def _error(self, code: int | None) -> None:
        name = "none" if code is None else str(code)
        breaker = None if self._breaker is None else self._breaker()
        with self._lock:
            self._errors[name] = self._errors.get(name, 0) + 1
            # the outage that brought the failures to the threshold opened the circuit
            if code is not None and breaker is not None and breaker.failures == breaker.threshold:
                self._openings += 1

    def snapshot(self, breaker_state: str = "closed") -> dict[str, Any]:
        """Everything counted so far, as plain data (JSON-ready). Latencies in milliseconds."""
        with self._lock:
            counts = {name: getattr(self, name) for name in COUNTERS}
            errors = dict(sorted(self._errors.items()))
            latency = {op: _summary(hist) for op, hist in sorted(self._latency.items())}
            openings, since, refused = self._openings, self._since, self._refused
        reads = counts["hits"] + counts["misses"]
        return {
            "since": since,
            **counts,
            "hit_ratio": round(counts["hits"] / reads, 4) if reads else None,
            "errors": errors,
            "refused_writes": refused,
            "breaker": {"state": breaker_state, "openings": openings},
            "latency": latency,
        }


def _summary(hist: Histogram) -> dict[str, Any]:
    count, (p50, p99) = hist.percentiles(0.50, 0.99)
    return {"count": count, "p50_ms": _ms(p50), "p99_ms": _ms(p99)}


def stats_of(store: Any) -> dict[str, Any]:
    """A store's :meth:`~.facade.AerospikeStore.stats`: its counts, its breaker, its near cache."""
    entry = store.records.entry
    breaker = None if entry is None else entry.breaker
    state = "closed"
    if breaker is not None and breaker.is_open:
        state = "open" if time.monotonic() < breaker.open_until else "half-open"
    out: dict[str, Any] = store.metrics.snapshot(state)
    out["pid"] = os.getpid()
    near = store.near
    if near is not None:
        out["near_cache"] = {
            "entries": len(near),
            "max_entries": near.max_entries,
            "ttl": near.ttl,
            "max_idle": near.max_idle,
        }
    return out


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 4)


# -- what the cluster says ------------------------------------------------------

# Fields worth showing, as Aerospike 7/8 name them (older names after them).
NAMESPACE_FIELDS: Final = (
    "objects",
    "master_objects",
    "evicted_objects",
    "expired_objects",
    "data_used_bytes",
    "data_total_bytes",
    "memory_used_bytes",
    "device_used_bytes",
    "data_used_pct",
    "stop_writes",
    "evict_ttl",
    "nsup-period",
    "default-ttl",
    "allow-ttl-without-nsup",
    "storage-engine.data-size",
    "storage-engine.evict-used-pct",
    "storage-engine.stop-writes-used-pct",
    "evict-tenths-pct",
    "evict-used-pct",
)
# Statistics of a node's own state, not counts: the cluster's figure is the highest.
_HIGHEST: Final = frozenset({"data_used_pct", "evict_ttl", "stop_writes", "hwm_breached"})
SET_FIELDS: Final = ("objects", "data_used_bytes", "memory_data_bytes", "device_data_bytes")


def parse_pairs(text: str, sep: str = ";") -> dict[str, str]:
    """``k=v<sep>k=v`` -> dict (the value part of an info answer)."""
    out: dict[str, str] = {}
    for item in text.strip().strip(";").strip(sep).split(sep):
        name, eq, value = item.partition("=")
        if eq:
            out[name.strip()] = value.strip()
    return out


def merge_nodes(
    answers: Mapping[str, str], fields: tuple[str, ...], sep: str = ";"
) -> dict[str, Any]:
    """One figure per field from every node's answer: counts summed, settings as one node says.

    ``answers`` maps a node name to the value of its info answer (already
    stripped of the command name); ``sep`` separates its pairs: ``;`` in
    ``namespace/<ns>``, ``:`` in ``sets/<ns>/<set>`` (a real node answers that
    one as ``objects=5:tombstones=0:...;``, without an ``ns=``/``set=`` prefix).
    """
    out: dict[str, Any] = {}
    for answer in answers.values():
        pairs = parse_pairs(answer, sep)
        for field in fields:
            if field not in pairs:
                continue
            value = pairs[field]
            if field in _HIGHEST:  # "true" > "false": any node past stop-writes
                value_of = int if value.lstrip("-").isdigit() else str
                out[field] = max(out.get(field, value_of(value)), value_of(value))
                continue
            # statistics are named with underscores and add up across nodes;
            # configuration (hyphenated names) is the same on every node
            if "-" not in field and value.lstrip("-").isdigit():
                out[field] = out.get(field, 0) + int(value)
            else:
                out.setdefault(field, value)
    return out


def server_figures(client: Any, namespace: str, set_name: str | None) -> dict[str, Any]:
    """The namespace's and set's figures from every node (``info_all``), merged.

    ``objects`` counts every copy (master and replicas) on every node;
    ``master_objects`` counts each record once.
    """
    figures: dict[str, Any] = {
        "namespace": namespace,
        "nodes": 0,
        "namespace_stats": {},
        "set": set_name,
        "set_stats": {},
    }
    answers = info_values(client.info_all(f"namespace/{namespace}"))
    figures["nodes"] = len(answers)
    figures["namespace_stats"] = merge_nodes(answers, NAMESPACE_FIELDS)
    if set_name:
        sets = info_values(client.info_all(f"sets/{namespace}/{set_name}"))
        figures["set_stats"] = merge_nodes(sets, SET_FIELDS, ":")
    return figures


def info_values(raw: Mapping[str, Any]) -> dict[str, str]:
    """``info_all``'s ``{node: (error, answer)}`` -> ``{node: value}``, failed nodes left out."""
    out: dict[str, str] = {}
    for node, answer in raw.items():
        if not isinstance(answer, tuple) or len(answer) != 2:
            continue
        error, text = answer
        if error is None and isinstance(text, str):
            # "name\tvalue\n", or the value alone (client 19 strips the name)
            name, tab, value = text.partition("\t")
            out[node] = (value if tab else name).strip()
    return out


# -- reports (the management command and the Flask CLI) ----------------------------


def report(store: Any, *, server: bool = True) -> dict[str, Any]:
    """``store.stats()`` and, with ``server``, ``store.server_stats()`` (or why it failed)."""
    out: dict[str, Any] = {"process": store.stats()}
    if server:
        try:
            out["server"] = store.server_stats()
        except Exception as exc:  # the figures of this process are still worth printing
            out["server"] = {"error": f"{type(exc).__name__}: {exc}"}
    return out


def render(name: str, data: Mapping[str, Any]) -> str:
    """A report as a plain-text table for a terminal."""
    proc = data["process"]
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(proc["since"]))
    ratio = proc["hit_ratio"]
    rows = [
        (f"cache {name!r}", f"this process (pid {proc.get('pid', '?')}), since {since}"),
        ("hits", proc["hits"]),
        ("misses", proc["misses"]),
        ("hit ratio", "-" if ratio is None else f"{ratio:.1%}"),
        ("near hits", proc["near_hits"]),
        ("sets", proc["sets"]),
        ("deletes", proc["deletes"]),
        ("errors", ", ".join(f"{c}: {n}" for c, n in proc["errors"].items()) or "none"),
        ("refused", f"{proc.get('refused_writes', 0)} writes (namespace full, code 8)"),
        ("breaker", f"{proc['breaker']['state']}, {proc['breaker']['openings']} openings"),
    ]
    near = proc.get("near_cache")
    if near:
        idle = near["max_idle"]
        rows.append(
            (
                "near cache",
                f"{near['entries']}/{near['max_entries']} entries, ttl {near['ttl']} s, "
                f"max idle {'-' if idle is None else f'{idle} s'}",
            )
        )
    lines = [f"{label:<12} {value}" for label, value in rows]
    if proc["latency"]:
        lines.append(f"{'latency ms':<12} {'count':>8} {'p50':>10} {'p99':>10}")
        for op, lat in proc["latency"].items():
            lines.append(f"  {op:<10} {lat['count']:>8} {lat['p50_ms']:>10} {lat['p99_ms']:>10}")
    lines.extend(_render_server(data.get("server")))
    return "\n".join(lines)


def _render_server(server: Mapping[str, Any] | None) -> list[str]:
    if server is None:
        return []
    if "error" in server:
        return [f"{'server':<12} unavailable: {server['error']}"]
    lines = [f"{'server':<12} namespace {server['namespace']!r}, {server['nodes']} node(s)"]
    lines += [f"  {k:<30} {v}" for k, v in server["namespace_stats"].items()]
    if server["set"]:
        lines.append(f"{'set':<12} {server['set']!r}")
        lines += [f"  {k:<30} {v}" for k, v in server["set_stats"].items()]
    return lines
