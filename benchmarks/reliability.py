"""Reliability figures: the store under faults, measured against the embedded server.

Run ``python benchmarks/reliability.py`` (``--quick`` for a smoke run with fewer
calls, ``--markdown PATH`` to write the tables between the result markers of
PATH). An :class:`~aerospike_cache.server.EmbeddedServer` is started in this
process on a free port (``--isolated``: in a child process) and its fault
controls (``stop``/``start``, ``set_delay``, ``fail_next``, ``drop_next``)
produce each incident.

Each scenario has a defined outcome (no exception leaks with fail-open on, an
exact ``incr`` total, one winner per ``add`` race, ...); the script exits with
status 1 when one is violated, so it doubles as a check. Latency figures are
reported, and only bounded where the test suite bounds them too (a call within
3x ``timeout_ms``, hits served again within 3 s of a restart).
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import platform
import re
import shutil
import statistics
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

import http_faults
import node_loss

from aerospike_cache.connection import registry
from aerospike_cache.errors import (
    CacheError,
    CacheOperationError,
    CacheUnavailable,
    NsupError,
)
from aerospike_cache.server import EmbeddedServer
from aerospike_cache.store import MISSING, AerospikeStore

NAMESPACE = "test"
SET_NAME = "reliability"
TIMEOUT_MS = 300
# The store's defaults, spelled out so that the report can name them.
BREAKER_THRESHOLD = 3
BREAKER_COOLDOWN = 1.0
CALL_BOUND_S = 3 * TIMEOUT_MS / 1000  # the suite's bound: one timeout plus retries
RECOVERY_BOUND_S = 3.0  # issue 7: hits served again within 3 s of a restart
CODES = {9: "timeout", 14: "key busy", 8: "out of space", 22: "forbidden"}


@dataclass
class Sizes:
    """How much work each scenario does (a full run, or ``--quick``)."""

    outage_calls: int = 1000
    outage_seconds: float = 2.5  # long enough for the breaker to probe a few times
    slow_calls: int = 200
    incr_per_thread: int = 1000
    add_rounds: int = 100
    threads: int = 8
    node_loss_seconds: float = 6.0  # after the kill: the take-over, and writes working again
    full_seconds: float = 5.0  # writing past stop-writes: a few nsup cycles
    # (k): seconds of HTTP load before the kill, with the server down, after its return
    http_phases: tuple[float, float, float] = (2.5, 3.0, 7.0)
    http_workers: int = 4

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            node_loss_seconds=3.5,
            full_seconds=2.5,
            http_phases=(2.0, 2.0, 7.0),  # after: see http_faults.run
            http_workers=2,
            outage_calls=200,
            outage_seconds=1.2,
            slow_calls=40,
            incr_per_thread=100,
            add_rounds=20,
        )


@dataclass
class Row:
    """One line of the scenario table."""

    scenario: str
    calls: int = 0
    leaked: int = 0  # exceptions that reached the caller
    worst_ms: float = 0.0
    open_median_us: float | None = None
    recovery_ms: float | None = None
    errors: int | None = None
    warnings: int | None = None
    outcome: str = ""
    problems: list[str] = field(default_factory=list)

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)


@dataclass
class CodeRow:
    """One injected result code: what each kind of caller sees, and the log line."""

    code: int
    set_strict: str = ""
    set_open: str = ""
    get_strict: str = ""
    get_open: str = ""
    logged: int = 0
    warned: int = 0
    log_line: str = ""


class Capture(logging.Handler):
    """Keeps the store's own log records (not the embedded server's)."""

    def __init__(self, echo: bool) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.echo = echo

    def emit(self, record: logging.LogRecord) -> None:
        if self.echo:
            print(f"  log {record.levelname}: {record.getMessage()}", file=sys.stderr)
        if record.name == "aerospike_cache":
            self.records.append(record)

    def mark(self) -> int:
        return len(self.records)

    def since(self, mark: int, level: int) -> list[str]:
        return [r.getMessage() for r in self.records[mark:] if r.levelno == level]


class Timer:
    """Per-call latencies, and the ones taken while the breaker was failing fast."""

    def __init__(self) -> None:
        self.all: list[float] = []
        self.open: list[float] = []

    @contextmanager
    def call(self, store: AerospikeStore | None) -> Iterator[None]:
        # Read the breaker before the call: "open" means the call may not reach
        # the cluster at all (the cooldown has not run out yet).
        entry = None if store is None else store.records.entry
        breaker = entry.breaker if entry is not None else None
        fast = breaker is not None and breaker.is_open and time.monotonic() < breaker.open_until
        started = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - started
            self.all.append(took)
            if fast:
                self.open.append(took)

    def fill(self, row: Row) -> None:
        row.calls = len(self.all)
        row.worst_ms = max(self.all, default=0.0) * 1000
        if self.open:
            row.open_median_us = statistics.median(self.open) * 1e6


def paced(n: int, seconds: float) -> Iterator[int]:
    """0 .. n-1, spread evenly over ``seconds`` as requests would come.

    Spread out, the calls outlive breaker cooldowns, so probes get through.
    """
    interval = seconds / n
    started = time.monotonic()
    for i in range(n):
        pause = started + i * interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        yield i


def request(store: AerospikeStore, i: int) -> Any:
    """A request's cache call: reads and writes alternate."""
    return store.get("k") if i % 2 == 0 else store.set(f"w{i}", i, 60)


class Bench:
    def __init__(self, server: EmbeddedServer, sizes: Sizes, capture: Capture) -> None:
        self.server = server
        self.sizes = sizes
        self.capture = capture
        self.node = f"{server.host}:{server.port}"

    def store(self, **options: Any) -> AerospikeStore:
        options.setdefault("timeout_ms", TIMEOUT_MS)
        options.setdefault("connect_timeout_ms", TIMEOUT_MS)
        options.setdefault("breaker_threshold", BREAKER_THRESHOLD)
        options.setdefault("breaker_cooldown", BREAKER_COOLDOWN)
        return AerospikeStore(
            [(self.server.host, self.server.port)],
            namespace=NAMESPACE,
            set_name=SET_NAME,
            **options,
        )

    @staticmethod
    def fresh() -> None:
        # Stores with the same configuration share one client and one breaker:
        # start each scenario from a new client, with a closed circuit.
        registry.close_all()

    # -- (a), (b): cluster down ---------------------------------------------

    def cluster_down(self, fail_open: bool) -> Row:
        row = Row("(a) cluster down, fail_open=True" if fail_open else "(b) cluster down, strict")
        self.fresh()
        store = self.store(fail_open=fail_open)
        store.set("k", "v", None)
        row.check(store.get("k") == "v", "the value was not readable before the outage")
        mark = self.capture.mark()
        self.server.stop()
        timer = Timer()
        served = raised = 0
        causes: dict[str, int] = {}
        n = self.sizes.outage_calls
        for i in paced(n, self.sizes.outage_seconds):
            try:
                with timer.call(store):
                    result = request(store, i)
            except CacheUnavailable as exc:
                raised += 1
                cause = exc.__cause__
                what = f"code {getattr(cause, 'code', '?')}" if cause else "circuit open"
                causes[what] = causes.get(what, 0) + 1
                continue
            except Exception as exc:
                row.leaked += 1
                row.problems.append(f"{type(exc).__name__} leaked: {exc}")
                continue
            if result not in (MISSING, False):
                served += 1
        row.leaked += raised
        timer.fill(row)
        row.recovery_ms = self._recover(store, row, restart=True)
        row.errors = len(self.capture.since(mark, logging.ERROR))
        row.warnings = len(self.capture.since(mark, logging.WARNING))
        if fail_open:
            row.check(row.leaked == 0, f"{row.leaked} exceptions reached the caller")
            row.outcome = "every get a miss, every set `False`"
        else:
            row.check(raised == n, f"only {raised} of {n} calls raised CacheUnavailable")
            spread = ", ".join(f"{count} {what}" for what, count in sorted(causes.items()))
            row.outcome = f"`CacheUnavailable` x {raised} ({spread})"
        row.check(served == 0, f"{served} calls did not report the outage")
        row.check(row.worst_ms / 1000 < CALL_BOUND_S, f"a call took {row.worst_ms:.0f} ms")
        row.check(row.errors == 1, f"{row.errors} ERROR records for one incident")
        row.check(row.warnings == 1, f"{row.warnings} WARNING records for one incident")
        return row

    def _recover(self, store: AerospikeStore, row: Row, restart: bool) -> float | None:
        """Bring the server back; ms until ``get("k")`` is a hit again (polling every 10 ms)."""
        if restart:
            self.server.start()
        else:
            self.server.set_delay(0)
        back = time.monotonic()
        while True:
            try:
                if store.get("k") == "v":
                    break
            except CacheUnavailable as exc:
                # strict: the caller sees the outage until the circuit closes
                if store.fail_open:
                    row.check(False, f"CacheUnavailable leaked while recovering: {exc}")
            except Exception as exc:
                row.check(False, f"{type(exc).__name__} leaked while recovering: {exc}")
            if time.monotonic() - back > 15:
                row.problems.append("hits not served again within 15 s")
                return None
            time.sleep(0.01)
        took = time.monotonic() - back
        row.check(took < RECOVERY_BOUND_S, f"hits served again only after {took * 1000:.0f} ms")
        return took * 1000

    # -- (c): slow server ------------------------------------------------------

    def slow_server(self) -> Row:
        delay = TIMEOUT_MS * 3
        row = Row(f"(c) slow server ({delay} ms answers), fail_open=True")
        self.fresh()
        store = self.store(fail_open=True)
        store.set("k", "v", None)
        mark = self.capture.mark()
        self.server.set_delay(delay)
        timer = Timer()
        served = 0
        try:
            for i in paced(self.sizes.slow_calls, self.sizes.outage_seconds):
                try:
                    with timer.call(store):
                        result = request(store, i)
                except Exception as exc:
                    row.leaked += 1
                    row.problems.append(f"{type(exc).__name__} leaked: {exc}")
                    continue
                if result not in (MISSING, False):
                    served += 1
        finally:
            timer.fill(row)
            row.recovery_ms = self._recover(store, row, restart=False)
        row.errors = len(self.capture.since(mark, logging.ERROR))
        row.warnings = len(self.capture.since(mark, logging.WARNING))
        timed_out = sum(1 for t in timer.all if t >= TIMEOUT_MS / 1000 * 0.9)
        row.outcome = (
            f"misses and `False`; {timed_out} calls waited out the timeout, "
            "the rest failed fast; recovery timed from `set_delay(0)`"
        )
        row.check(row.leaked == 0, f"{row.leaked} exceptions reached the caller")
        row.check(served == 0, f"{served} calls were answered although every answer was late")
        row.check(row.worst_ms / 1000 < CALL_BOUND_S, f"a call took {row.worst_ms:.0f} ms")
        row.check(row.errors == 1, f"{row.errors} ERROR records for one incident")
        return row

    # -- (d): injected result codes -----------------------------------------------

    def injected_codes(self) -> tuple[Row, list[CodeRow]]:
        row = Row("(d) injected codes 9, 14, 8, 22 (2 failures each, fail-open)")
        self.fresh()
        strict = self.store()
        opened = self.store(fail_open=True)
        strict.set("k", "v", None)
        opened.get("k")  # connect and inspect the namespace before the faults
        timer = Timer()
        expected: dict[int, type[CacheError]] = {
            9: CacheUnavailable,
            14: CacheOperationError,
            8: CacheOperationError,
            22: NsupError,
        }
        rows = []
        records: list[tuple[int, int]] = []
        for code in CODES:
            out = CodeRow(code)
            out.set_strict = self._inject(strict, code, "set", timer, row, expected[code])
            out.get_strict = self._inject(strict, code, "get", timer, row, None)
            # Two failures in a row: the second falls within the same incident
            # (breaker already counting, or the once-a-minute limit) and is not logged.
            mark = self.capture.mark()
            out.set_open = self._inject(opened, code, "set", timer, row, None, times=2)
            logged = self.capture.since(mark, logging.ERROR)
            out.logged = len(logged)
            # an outage code also logs "reachable again" when the next call succeeds
            out.warned = len(self.capture.since(mark, logging.WARNING))
            records.append((out.logged, out.warned))
            out.log_line = logged[0] if logged else ""
            out.get_open = self._inject(opened, code, "get", timer, row, None)
            row.check(out.set_open == "`False`", f"code {code}: fail-open set gave {out.set_open}")
            row.check(out.logged == 1, f"code {code}: {out.logged} ERROR records for 2 failures")
            named = f"code {code}" in out.log_line or f"error {code}" in out.log_line
            row.check(named, f"code {code}: the log line does not give the code")
            row.check(
                self.node in out.log_line, f"code {code}: the log line does not name the node"
            )
            rows.append(out)
        timer.fill(row)
        row.errors = max(e for e, _ in records)
        row.warnings = max(w for _, w in records)
        row.outcome = "see the table of codes"
        return row, rows

    def _inject(
        self,
        store: AerospikeStore,
        code: int,
        op: str,
        timer: Timer,
        row: Row,
        expect: type[CacheError] | None,
        times: int = 1,
    ) -> str:
        outcomes = []
        store.set("k", "v", None)  # a refused set (8, 13) removes the old entry: put it back
        for _ in range(times):
            self.server.fail_next(1, code)
            try:
                with timer.call(store):
                    result = store.set("k", "v", None) if op == "set" else store.get("k")
            except CacheError as exc:
                if store.fail_open:
                    row.leaked += 1
                    row.problems.append(f"code {code}: {type(exc).__name__} leaked with fail-open")
                if expect is not None and not isinstance(exc, expect):
                    row.problems.append(f"code {code}: {type(exc).__name__}, not {expect.__name__}")
                if isinstance(exc, CacheOperationError) and exc.code != code:
                    row.problems.append(f"code {code}: the error carries code {exc.code}")
                outcomes.append(f"`{type(exc).__name__}`")
                continue
            if expect is not None:
                row.problems.append(f"code {code}: {op} returned {result!r}, not {expect.__name__}")
            outcomes.append(_describe(result))
        self.server.clear_faults()
        # The next commands must be answered normally again (a set refused with
        # code 8 removed the old entry: the get is a miss then).
        try:
            gone = op == "set" and code == 8
            row.check((store.get("k") == "v") is not gone, f"code {code}: the next get was wrong")
            row.check(store.set("k", "v", None), f"code {code}: the next set failed")
        except CacheError as exc:
            row.problems.append(f"code {code}: the next get raised {type(exc).__name__}")
        return " / ".join(dict.fromkeys(outcomes))

    # -- (e): connection dropped mid-batch -------------------------------------------

    def dropped_batch(self) -> list[Row]:
        rows = []
        keys = [f"b{i}" for i in range(20)]
        for fail_open in (False, True):
            name = "fail_open=True" if fail_open else "strict"
            row = Row(f"(e) connection dropped mid-batch, {name}")
            self.fresh()
            store = self.store(fail_open=fail_open)
            store.set_many({k: i for i, k in enumerate(keys)}, None)
            mark = self.capture.mark()
            timer = Timer()
            self.server.drop_next(1)
            read = self._batch(store, row, timer, functools.partial(store.get_many, keys))
            if isinstance(read, dict):
                wrong = [k for k, v in read.items() if v != keys.index(k)]
                row.check(not wrong, f"get_many returned wrong values for {wrong}")
                if not fail_open:
                    row.check(len(read) == len(keys), f"get_many returned {len(read)} of 20")
                read_text = f"{len(read)} of 20 values"
            else:
                read_text = str(read)
            self.server.drop_next(1)
            new = {k: 100 + i for i, k in enumerate(keys)}
            wrote = self._batch(store, row, timer, functools.partial(store.set_many, new, None))
            now = store.get_many(keys)
            applied = sum(1 for k in keys if now.get(k) == new[k])
            if isinstance(wrote, list):
                lost = [k for k in keys if k not in wrote and now.get(k) != new[k]]
                row.check(not lost, f"set_many reported {lost} stored, but they are not")
                wrote_text = f"{len(wrote)} of 20 keys reported failed"
            else:
                wrote_text = str(wrote)
            timer.fill(row)
            row.errors = len(self.capture.since(mark, logging.ERROR))
            row.warnings = len(self.capture.since(mark, logging.WARNING))
            row.outcome = (
                f"get_many: {read_text}; set_many: {wrote_text}, {applied} of 20 written; "
                "then both work"
            )
            row.check(store.get_many(keys) == now, "the next get_many failed")
            rows.append(row)
        return rows

    @staticmethod
    def _batch(store: AerospikeStore, row: Row, timer: Timer, call: Callable[[], Any]) -> Any:
        try:
            with timer.call(store):
                return call()
        except CacheError as exc:
            row.leaked += 1
            if store.fail_open:
                row.problems.append(f"{type(exc).__name__} leaked with fail-open")
            return f"`{type(exc).__name__}`"

    # -- (f): concurrency --------------------------------------------------------------

    def concurrent_incr(self) -> Row:
        threads, per = self.sizes.threads, self.sizes.incr_per_thread
        row = Row(f"(f) {threads} threads x {per} incr")
        self.fresh()
        # Eight client threads share two cores with an in-process server: a
        # wider budget keeps scheduling stalls from passing for timeouts.
        store = self.store(timeout_ms=2000)
        store.set("counter", 0, None)
        timers = [Timer() for _ in range(threads)]
        errors: list[BaseException] = []

        def work(timer: Timer) -> None:
            for _ in range(per):
                try:
                    with timer.call(store):
                        store.incr("counter", 1)
                except Exception as exc:
                    errors.append(exc)

        self._run_threads([functools.partial(work, t) for t in timers])
        merged = Timer()
        for t in timers:
            merged.all.extend(t.all)
        merged.fill(row)
        total = store.get("counter")
        row.leaked = len(errors)
        row.outcome = f"final total {total}, expected {threads * per}"
        row.check(not errors, f"{len(errors)} incr calls raised, e.g. {errors[:1]}")
        row.check(total == threads * per, f"the total is {total}, not {threads * per}")
        return row

    def racing_add(self) -> Row:
        threads, rounds = self.sizes.threads, self.sizes.add_rounds
        row = Row(f"(f) {threads} threads racing add x {rounds} rounds")
        self.fresh()
        store = self.store(timeout_ms=2000)
        timer = Timer()
        lock = threading.Lock()
        errors: list[BaseException] = []
        single = 0
        for round_ in range(rounds):
            key = f"race{round_}"
            barrier = threading.Barrier(threads)
            wins: list[int] = []

            def work(
                n: int, key: str = key, barrier: Any = barrier, wins: list[int] = wins
            ) -> None:
                barrier.wait()
                started = time.perf_counter()
                try:
                    won = store.add(key, n, 60)
                except Exception as exc:
                    errors.append(exc)
                    return
                took = time.perf_counter() - started
                with lock:
                    timer.all.append(took)
                    if won:
                        wins.append(n)

            self._run_threads([functools.partial(work, n) for n in range(threads)])
            if len(wins) == 1 and store.get(key) == wins[0]:
                single += 1
        timer.fill(row)
        row.calls = threads * rounds
        row.leaked = len(errors)
        row.outcome = f"{single} of {rounds} rounds with exactly one winner, holding its value"
        row.check(not errors, f"{len(errors)} add calls raised, e.g. {errors[:1]}")
        row.check(single == rounds, f"only {single} of {rounds} rounds had exactly one winner")
        return row

    @staticmethod
    def _run_threads(targets: list[Callable[[], None]]) -> None:
        threads = [threading.Thread(target=t) for t in targets]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    # -- (g): fork ------------------------------------------------------------------------

    def fork(self) -> Row:
        row = Row("(g) fork after first use")
        if not hasattr(os, "fork"):
            row.outcome = "skipped: no os.fork on this platform"
            return row
        self.fresh()
        store = self.store()
        timer = Timer()
        with timer.call(store):
            store.set("before", "parent", None)
        parent_client = store.records.client()
        read, write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        with warnings.catch_warnings():
            # 3.12+ warns on fork with threads running (the client's tend thread,
            # an in-process server); the child only uses the store, which is
            # built for this: it drops the parent's client and builds its own.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: report through the pipe, never return
            status = 1
            try:
                ok = store.get("before") == "parent"
                own = store.records.client() is not parent_client
                wrote = store.set("child", "wrote", None) and store.get("child") == "wrote"
                # The child closing its own client must not disturb the parent's.
                registry.close_all()
                status = 0 if ok and own and wrote else 2
            finally:
                os.write(write, bytes([status]))
                os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        child = os.read(read, 1)
        os.close(read)
        same = store.records.client() is parent_client
        with timer.call(store):
            sees = store.get("child") == "wrote"
        with timer.call(store):
            writes = store.set("after", "parent", None)
        with timer.call(store):
            reads = store.get_many(["before", "after"]) == {"before": "parent", "after": "parent"}
        timer.fill(row)
        row.calls += 4  # the child's set and gets
        child_ok = child == b"\x00"
        row.outcome = (
            f"child: {'read, own client, wrote' if child_ok else 'FAILED'}; "
            f"parent: same client object {same}, reads the child's write {sees}, "
            f"writes {bool(writes)}, batch reads {reads}"
        )
        row.check(child_ok, f"the child failed (status {child!r})")
        row.check(same, "the parent's client object changed")
        row.check(sees and bool(writes) and reads, "the parent's store stopped working")
        return row


def _describe(result: Any) -> str:
    if result is MISSING:
        return "miss"
    if result is False:
        return "`False`"
    if result is True:
        return "`True`"
    return f"value `{result!r}`"


# -- report ------------------------------------------------------------------------------


def _problems(row: Row) -> str:
    counts = Counter(row.problems)
    return "; ".join(f"{p} (x{n})" if n > 1 else p for p, n in counts.items())


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _us(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _logs(row: Row) -> str:
    if row.errors is None:
        return "-"
    if row.warnings is None:
        return f"{row.errors} / -"
    return f"{row.errors} / {row.warnings}"


def _short(line: str, limit: int = 150) -> str:
    line = re.sub(r"\s+", " ", line).replace("|", "\\|")
    if len(line) <= limit:
        return line
    # keep the start (what failed) and the end (the node and the server's words), whole words
    head = line[: limit // 2].rsplit(" ", 1)[0]
    tail = line[-limit // 2 :].split(" ", 1)[-1]
    return f"{head} … {tail}"


def environment(server: EmbeddedServer, quick: bool) -> str:
    try:
        client = metadata.version("aerospike")
    except metadata.PackageNotFoundError:  # pragma: no cover - the store needs it
        client = "?"
    where = "a child process" if server.isolated else "this process"
    return (
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.platform()}, "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}; aerospike client {client}; "
        f"embedded server in {where}; timeout_ms={TIMEOUT_MS}, "
        f"breaker_threshold={BREAKER_THRESHOLD}, breaker_cooldown={BREAKER_COOLDOWN}"
        f"{'; --quick run' if quick else ''}."
    )


def render(rows: list[Row], codes: list[CodeRow], env: str) -> str:
    lines = [
        "| scenario | calls | exceptions reaching the caller | worst call (ms) "
        "| median while breaker open (µs) | recovery (ms) | ERROR / WARNING logs per incident "
        "| outcome | check |",
        "| --- | ---: | ---: | ---: | ---: | ---: | :---: | --- | --- |",
    ]
    for r in rows:
        check = "ok" if not r.problems else "FAILED: " + _problems(r)
        lines.append(
            f"| {r.scenario} | {r.calls} | {r.leaked} | {r.worst_ms:.1f} "
            f"| {_us(r.open_median_us)} | {_ms(r.recovery_ms)} | {_logs(r)} "
            f"| {r.outcome} | {check} |"
        )
    lines += [
        "",
        "| code | set, strict | get, strict | set, fail-open | get, fail-open "
        "| ERROR / WARNING records for 2 failures | the log line (fail-open set) |",
        "| --- | --- | --- | --- | --- | :---: | --- |",
    ]
    for c in codes:
        lines.append(
            f"| {c.code} ({CODES[c.code]}) | {c.set_strict} | {c.get_strict} | {c.set_open} "
            f"| {c.get_open} | {c.logged} / {c.warned} | {_short(c.log_line)} |"
        )
    lines += ["", env]
    return "\n".join(lines)


BEGIN, END = "<!-- results: begin -->", "<!-- results: end -->"


def write_markdown(path: str, report: str) -> None:
    """Replace the text between the result markers of ``path`` with ``report``."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    start, end = text.find(BEGIN), text.find(END)
    if not 0 <= start < end:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} markers")
    text = text[: start + len(BEGIN)] + "\n" + report + "\n" + text[end:]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls (CI smoke run)")
    parser.add_argument("--markdown", metavar="PATH", help="write the tables into PATH")
    parser.add_argument(
        "--isolated", action="store_true", help="run the embedded server in a child process"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="echo log records")
    args = parser.parse_args(argv)
    sizes = Sizes.quick() if args.quick else Sizes()

    capture = Capture(args.verbose)
    log = logging.getLogger("aerospike_cache")
    log.addHandler(capture)
    log.setLevel(logging.DEBUG)
    log.propagate = False  # counted here, not printed by whatever the root logger does

    server = EmbeddedServer(namespaces=[NAMESPACE], isolated=args.isolated).start()
    bench = Bench(server, sizes, capture)
    rows: list[Row] = []
    codes: list[CodeRow] = []
    timelines: list[str] = []
    started = time.monotonic()
    try:
        steps: list[tuple[str, Callable[[], list[Row]]]] = [
            ("(a) cluster down, fail_open=True", lambda: [bench.cluster_down(fail_open=True)]),
            ("(b) cluster down, strict", lambda: [bench.cluster_down(fail_open=False)]),
            ("(c) slow server", lambda: [bench.slow_server()]),
            ("(d) injected codes", lambda: _codes(bench, codes)),
            ("(e) connection dropped mid-batch", bench.dropped_batch),
            ("(f) concurrent incr", lambda: [bench.concurrent_incr()]),
            ("(f) racing add", lambda: [bench.racing_add()]),
            ("(g) fork after first use", lambda: [bench.fork()]),
            ("(h) node lost", lambda: [node_lost(sizes, w) for w in (0.1, 0.5)]),
            ("(j) namespace full", lambda: [namespace_full(sizes, f) for f in FRONTENDS]),
            ("(k) killed under HTTP load", lambda: killed_under_http_load(sizes, timelines)),
        ]
        for name, step in steps:
            try:
                done = step()
            except Exception as exc:  # a scenario that crashes is a violated one
                done = [Row(name, problems=[f"crashed: {type(exc).__name__}: {exc}"])]
                server.clear_faults()
                if not server.running:
                    server.start()
            rows.extend(done)
            state = "ok" if not any(r.problems for r in done) else "FAILED"
            print(f"{name}: {state} ({time.monotonic() - started:.1f} s)", file=sys.stderr)
    finally:
        registry.close_all()
        server.clear_faults()
        server.close()
        log.removeHandler(capture)
        log.propagate = True

    report = render(rows, codes, environment(server, args.quick))
    if timelines:
        report += "\n\n" + "\n\n".join(timelines)
    print(report)
    if args.markdown:
        write_markdown(args.markdown, report)
    failed = [r for r in rows if r.problems]
    for r in failed:
        print(f"VIOLATED {r.scenario}: {_problems(r)}", file=sys.stderr)
    return 1 if failed else 0


def node_lost(sizes: Sizes, writes: float) -> Row:
    """(h): one node of a 2-node, replication factor 2 cluster killed under load."""
    registry.close_all()
    row = Row(f"(h) 1 of 2 nodes lost, {writes:.0%} writes, 8 threads, strict")
    out = node_loss.run(
        writes,
        sizes.node_loss_seconds,
        sizes.threads,
        timeout_ms=TIMEOUT_MS,
        connect_timeout_ms=TIMEOUT_MS,
        breaker_threshold=BREAKER_THRESHOLD,
        breaker_cooldown=BREAKER_COOLDOWN,
    )
    row.calls = out.gets + out.writes
    row.leaked = out.gets_failed + out.writes_failed
    row.worst_ms = out.worst_s * 1000
    row.recovery_ms = out.last_write_failure * 1000
    share = 100 * (out.gets - out.gets_failed) / max(out.gets, 1)
    row.outcome = (
        f"gets: {share:.1f}% of {out.gets} succeeded; writes: {out.writes_failed} of "
        f"{out.writes} failed, the last {out.last_write_failure:.1f} s after the kill "
        f"(recovery column); {out.lost} acknowledged writes lost"
    )
    row.check(share >= 99.0, f"only {share:.1f}% of gets succeeded")
    row.check(out.lost == 0, f"{out.lost} acknowledged writes lost")
    row.check(row.worst_ms / 1000 < CALL_BOUND_S, f"a call took {row.worst_ms:.0f} ms")
    row.check(
        out.last_write_failure < sizes.node_loss_seconds - 0.5,
        "writes still failed at the end: the cluster did not re-form",
    )
    return row


# -- (j): a namespace that fills up -----------------------------------------------------

#: the namespace of (j): small, evicting at 60 %, stopping writes at 70 % (the default),
#: 10 % of the records per nsup cycle, a cycle a second
FULL_NAMESPACE = {
    "data-size": "1M",
    "evict-used-pct": 60,
    "evict-tenths-pct": 100,
    "nsup-period": 1,
}
FRONTENDS = ("django", "flask")


class Frontend:
    """The cache calls of (j), through a frontend: ``set``, ``get``, ``clear``, ``stats``."""

    def __init__(self, kind: str, server: EmbeddedServer) -> None:
        self.kind = kind
        location = ",".join(f"{h}:{p}" for h, p in server.hosts)
        options = {"NAMESPACE": "cache", "SET": SET_NAME, "TIMEOUT_MS": TIMEOUT_MS}
        if kind == "django":
            from django.conf import settings

            if not settings.configured:
                settings.configure()
            from aerospike_cache.django import AerospikeCache

            cache = AerospikeCache(location, {"OPTIONS": {**options, "IGNORE_EXCEPTIONS": True}})
            self.set, self.get, self.clear = cache.set, cache.get, cache.clear
            self.never: Any = None  # Django: never expires
            self.stats = cache.stats
        else:
            from flask import Flask
            from flask_caching import Cache

            app = Flask("reliability")
            app.config.update(
                CACHE_TYPE="aerospike_cache.flask.AerospikeCache",
                CACHE_AEROSPIKE_HOSTS=location,
                CACHE_AEROSPIKE_NAMESPACE="cache",
                CACHE_AEROSPIKE_SET=SET_NAME,
                CACHE_AEROSPIKE_TIMEOUT_MS=TIMEOUT_MS,
                CACHE_AEROSPIKE_FAIL_OPEN=True,
            )
            self.context = app.app_context()
            self.context.push()
            flask_cache = Cache(app)
            self.set, self.get, self.clear = flask_cache.set, flask_cache.get, flask_cache.clear
            self.never = 0  # Flask-Caching: never expires
            self.stats = flask_cache.cache.stats

    def close(self) -> None:
        if self.kind == "flask":
            self.context.pop()


def namespace_full(sizes: Sizes, kind: str) -> Row:
    """(j): writes past stop-writes through a frontend, fail-open, on a small namespace
    that evicts: reads served throughout, writes refused (code 8) and accepted again
    once nsup evicts, no breaker opening, one log line; then a clear."""
    registry.close_all()
    name = "Django, IGNORE_EXCEPTIONS" if kind == "django" else "Flask, fail-open"
    row = Row(f"(j) namespace full (evict 60 %, stop 70 %), {name}")
    # isolated: the client holds the GIL during truncate (clear)
    server = EmbeddedServer(namespaces={"cache": FULL_NAMESPACE}, isolated=True).start()
    log = logging.getLogger("aerospike_cache")
    capture = next(h for h in log.handlers if isinstance(h, Capture))
    mark = capture.mark()
    front = Frontend(kind, server)
    timer = Timer()
    try:
        front.set("hot", "v", front.never)  # never expires: never evicted
        value = "x" * 2000
        hits = reads = refused = accepted_again = 0
        started = time.monotonic()
        i = 0
        while time.monotonic() - started < sizes.full_seconds:
            i += 1
            try:
                with timer.call(None):
                    front.set(f"k{i}", value, 600 + i)  # spread TTLs: eviction can work
                with timer.call(None):
                    stored = front.get(f"k{i}") == value
                with timer.call(None):
                    hits += front.get("hot") == "v"
                reads += 1
            except Exception as exc:
                row.leaked += 1
                row.problems.append(f"{type(exc).__name__} leaked: {exc}")
                continue
            if not stored:
                refused += 1
            elif refused:
                accepted_again += 1  # accepted after the refusals began
        figures = _namespace(server)
        stats = front.stats()
        front.clear()
        front.set("after-clear", "v", 60)
        cleared = front.get("after-clear") == "v"
    finally:
        front.close()
        registry.close_all()
        server.close()
    timer.fill(row)
    row.errors = len(capture.since(mark, logging.ERROR))
    row.warnings = len(capture.since(mark, logging.WARNING))
    row.check(
        stats["refused_writes"] == refused,
        f"stats() counted {stats['refused_writes']} refused writes, not {refused}",
    )
    row.outcome = (
        f"{refused} writes refused (code 8), {accepted_again} accepted again after nsup "
        f"evicted ({figures.get('evicted_objects')} evicted); reads: {hits} of {reads} hits; "
        f"breaker openings {stats['breaker']['openings']}; after `clear()` writes "
        f"{'accepted' if cleared else 'REFUSED'}"
    )
    row.check(row.leaked == 0, f"{row.leaked} exceptions reached the caller")
    row.check(hits == reads, f"only {hits} of {reads} reads were hits")
    row.check(refused > 0, "no write was refused: the namespace did not fill")
    row.check(accepted_again > 0, "no write was accepted again: eviction freed no room")
    row.check(stats["breaker"]["openings"] == 0, "the breaker opened")
    row.check(row.errors == 1, f"{row.errors} ERROR records for one full namespace")
    row.check(cleared, "a write after clear() was refused")
    row.check(row.worst_ms / 1000 < CALL_BOUND_S, f"a call took {row.worst_ms:.0f} ms")
    return row


def _namespace(server: EmbeddedServer) -> dict[str, str]:
    import aerospike

    client = aerospike.client({"hosts": server.hosts}).connect()
    try:
        value = client.info_random_node("namespace/cache").partition("\t")[2].strip()
    finally:
        client.close()
    return dict(item.split("=", 1) for item in value.split(";") if "=" in item)


def killed_under_http_load(sizes: Sizes, timelines: list[str]) -> list[Row]:
    """(k): the embedded server killed, or a node of a cluster lost, under wrk's HTTP load."""
    registry.close_all()
    rows = []
    for node in (False, True):
        for fail_open in (True, False):
            mode = "fail-open" if fail_open else "strict"
            lost = "1 of 3 nodes (replication factor 2) lost" if node else "server killed"
            row = Row(
                f"(k) {lost} under HTTP load, gunicorn {sizes.http_workers} workers "
                f"--preload, {mode}"
            )
            if shutil.which("wrk") is None:
                row.check(False, "wrk is not installed (python3 tasks.py reliability installs it)")
                rows.append(row)
                continue
            before, down, after = sizes.http_phases
            out = http_faults.run(fail_open, before, down, after, sizes.http_workers, node)
            row.calls = out.result.requests
            row.leaked = out.failed
            row.worst_ms = out.result.max_ms
            row.recovery_ms = None if out.recovery_s is None else out.recovery_s * 1000
            row.outcome = http_faults.summary(out)
            row.problems.extend(out.problems)
            rows.append(row)
            timelines.append(http_faults.timeline(out))
    return rows


def _codes(bench: Bench, codes: list[CodeRow]) -> list[Row]:
    row, per_code = bench.injected_codes()
    codes.extend(per_code)
    return [row]


if __name__ == "__main__":
    sys.exit(main())
