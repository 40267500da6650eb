"""A namespace's capacity: writes refused when it is full (code 8), and checks before that.

Past ``stop-writes-used-pct`` of its ``data-size`` an Aerospike namespace
answers every write (put, touch, increment, each row of a batch write) with
code 8, ``AEROSPIKE_ERR_SERVER_FULL``, until eviction or a truncate frees
room; reads and removes go on. That is an answer of a healthy cluster, not
an outage: the breaker and node health take it as one. What the user needs
is what to change, so the error (strict) and the log line (fail-open, one
per :data:`~aerospike_cache.log.LOG_INTERVAL` for the whole store) name the
namespace, its data use as the cluster reports it, and the settings, with
their 8.1 names: ``evict-used-pct`` and ``stop-writes-used-pct`` inside the
namespace's ``storage-engine`` block, ``evict-tenths-pct`` and
``nsup-period`` at namespace level, ``data-size``.

:func:`capacity_warnings` is what the deploy checks (Django's ``check
--deploy``, ``flask aerospike-cache check``) say before it happens.

The figures are read over info at most once per :data:`FIGURES_MAX_AGE_S`
(a namespace refusing every write must not cost an info call per write).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Final

from ..errors import NamespaceFullError
from .stats import info_values, parse_pairs

#: Aerospike's AEROSPIKE_ERR_SERVER_FULL
FULL_CODE: Final = 8
FIGURES_MAX_AGE_S: Final = 5.0

EVICT: Final = "storage-engine.evict-used-pct"
STOP: Final = "storage-engine.stop-writes-used-pct"
_FIELDS: Final = (
    "data_used_pct",
    "data_used_bytes",
    "data_total_bytes",
    "stop_writes",
    "evicted_objects",
    "evict_ttl",
    "nsup-period",
    "evict-tenths-pct",
    EVICT,
    STOP,
)


class FullNamespace:
    """The refusals of one store's namespace: described, the figures cached."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._figures: dict[str, str] = {}
        self._read_at = -FIGURES_MAX_AGE_S
        self._lock = threading.Lock()

    def figures(self, client: Any, timeout_ms: int) -> dict[str, str]:
        """The namespace's fill as the fullest node reports it (cached; ``{}`` if unknown)."""
        now = time.monotonic()
        with self._lock:
            if now - self._read_at < FIGURES_MAX_AGE_S:
                return self._figures
            self._read_at = now
        figures: dict[str, str] = {}
        if client is not None:
            try:
                command = f"namespace/{self.namespace}"
                figures = fullest(client.info_all(command, policy={"timeout": timeout_ms}))
            except Exception:  # the figures only enrich the message: never fail for them
                figures = {}
        with self._lock:
            self._figures = figures
        return figures

    def error(self, op: str, detail: str, figures: dict[str, str]) -> NamespaceFullError:
        """The error for a write refused with code 8, saying what to change."""
        return NamespaceFullError(describe(self.namespace, figures, f" [{op}: {detail}]"))


def fullest(answers: Any) -> dict[str, str]:
    """The fields of :data:`_FIELDS` from the node with the highest ``data_used_pct``,
    given ``info_all``'s ``{node: (error, answer)}`` for ``namespace/<ns>``."""
    best: dict[str, str] = {}
    for value in info_values(answers).values():
        pairs = parse_pairs(value)
        if _int(pairs, "data_used_pct") >= _int(best, "data_used_pct"):
            best = {k: pairs[k] for k in _FIELDS if k in pairs}
    return best


def _int(pairs: dict[str, str], name: str) -> int:
    value = pairs.get(name, "")
    return int(value) if value.isdigit() else -1


def _size(text: str) -> str:
    n = int(text)
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.4g} {unit}"
    return f"{n} bytes"


def _where(ns: str) -> str:
    return f"in the 'storage-engine' block of 'namespace {ns}'"


def describe(namespace: str, figures: dict[str, str], detail: str = "") -> str:
    """What a full namespace means and what to change (figures as :func:`fullest` gives)."""
    ns = namespace
    use = ""
    if "data_used_pct" in figures:
        use = f" data use {figures['data_used_pct']}%"
        if figures.get("data_total_bytes", "").isdigit():
            use += f" of data-size {_size(figures['data_total_bytes'])}"
        settings = [f"{name[15:]} {figures[name]}" for name in (STOP, EVICT) if name in figures]
        if settings:
            use += f" ({', '.join(settings)})"
        use += ";"
    evict, stop = _int(figures, EVICT), _int(figures, STOP)
    if evict == 0:
        fix = (
            f"eviction is off: {_where(ns)} set 'evict-used-pct' well below "
            f"'stop-writes-used-pct' (e.g. 60 with 70)"
        )
    elif evict > 0 and stop > 0 and evict >= stop:
        fix = (
            f"writes stop before eviction starts: {_where(ns)} set 'evict-used-pct' well "
            f"below 'stop-writes-used-pct' (e.g. {max(stop - 10, 1)})"
        )
    elif evict > 0:
        fix = (
            "eviction did not keep up (it frees at most 'evict-tenths-pct' of the records "
            "per nsup cycle, soonest expiry first, and nothing while one second of expiries "
            "holds more): raise 'evict-tenths-pct', lower 'evict-used-pct' or spread TTLs"
        )
    else:
        fix = (
            f"{_where(ns)} set 'evict-used-pct' well below 'stop-writes-used-pct' "
            f"(e.g. 60 with 70) so that nsup evicts"
        )
    return (
        f"namespace {ns!r} is full: the cluster refuses writes with Aerospike code 8 "
        f"(AEROSPIKE_ERR_SERVER_FULL, stop-writes) until eviction or a truncate frees room, "
        f"while reads and deletes go on;{use} {fix}; give cached entries a timeout (entries "
        f"that never expire are never evicted), or raise 'data-size'{detail}"
    )


def capacity_warnings(
    namespace: str, figures: dict[str, str], default_never_expires: bool, default_name: str
) -> list[tuple[str, str]]:
    """``(id, text)`` of what makes the namespace fill up and refuse writes; each says
    what to set. ``figures`` as :func:`fullest` gives; ``default_name`` names the
    frontend's default timeout setting (e.g. Django's ``TIMEOUT``)."""
    ns = namespace
    evict, stop = _int(figures, EVICT), _int(figures, STOP)
    used, nsup = _int(figures, "data_used_pct"), _int(figures, "nsup-period")
    out: list[tuple[str, str]] = []
    if evict < 0:  # a server before 7.0 names these differently: nothing to say
        return out
    stop_text = f"stop-writes-used-pct ({stop}%)" if stop > 0 else "stop-writes-used-pct"
    if evict == 0 or nsup == 0:
        why = "evict-used-pct is 0, the default" if evict == 0 else "nsup-period is 0"
        out.append(
            (
                "eviction-off",
                f"namespace {ns!r} never evicts ({why}): once its data use reaches "
                f"{stop_text} every write is refused with code 8 until entries expire or "
                f"the set is truncated. {_where(ns).capitalize()} set 'evict-used-pct' well "
                f"below 'stop-writes-used-pct' (e.g. evict-used-pct 60 with "
                f"stop-writes-used-pct 70), with 'nsup-period' above 0 (e.g. 120); for short "
                f"TTLs also raise 'evict-tenths-pct' (default 5, i.e. 0.5% per nsup cycle)",
            )
        )
    if evict > 0 and stop > 0 and evict >= stop:
        out.append(
            (
                "evict-above-stop-writes",
                f"namespace {ns!r}: evict-used-pct {evict} is at or above "
                f"stop-writes-used-pct {stop}, so writes stop before eviction starts. "
                f"{_where(ns).capitalize()} set 'evict-used-pct' well below "
                f"'stop-writes-used-pct' (e.g. {max(stop - 10, 1)})",
            )
        )
    if evict > 0 and used >= evict:
        out.append(
            (
                "data-above-eviction",
                f"namespace {ns!r}: data use {used}% is already at or above evict-used-pct "
                f"{evict}: nsup is evicting (at most 'evict-tenths-pct' of the records per "
                f"cycle) and writes stop at {stop_text}. Raise 'data-size' {_where(ns)}, or "
                f"'evict-tenths-pct' if eviction falls behind",
            )
        )
    if default_never_expires:
        out.append(
            (
                "default-never-expires",
                f"the cache's default timeout ({default_name}) never expires: entries "
                f"written with it are never evicted nor expired by namespace {ns!r}, and "
                f"fill it until every write is refused with code 8. Set {default_name} to a "
                f"number of seconds",
            )
        )
    return out
