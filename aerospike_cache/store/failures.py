"""The one failure path every client call of the store takes.

:meth:`FailurePath.call` runs a client call and is the only place that:

- tells an *answer* (not found, exists, generation mismatch: each call says
  which it expects) from a *failure*, and a failure that is an *outage* (the
  cluster could not be reached or did not answer in time) from an error the
  cluster answered;
- feeds the circuit breaker (outages open it, any answer closes it). A
  failure while the cluster answers other calls (one answered since the
  failed call started, or within :data:`ANSWERED_WINDOW_S`) is not an outage
  of the cluster but of one node
  (a lost node of a replicated cluster, before the survivors take over): it
  does not count, and is logged once per node;
- applies fail-open (log, rate limited, and return the call's fallback) or
  raises the package's exception, chained to the client's;
- reports every result to the registered observers,
  ``observer(op, code, node, elapsed)``: ``code`` 0 for success, the
  Aerospike result code of an answer or failure, ``None`` for a failure
  without one (circuit open, bad key, configuration); ``node`` the
  ``"host:port"`` the client named, if any; ``elapsed`` in seconds. A
  cluster-aware policy plugs in here.

The store's built-in :class:`~.stats.Stats` are not an observer: they take
a cheaper route (:attr:`FailurePath.stats`). Their counts are exact (every
error by code, every opening of the breaker), but only one call in
:data:`SAMPLE_EVERY` (at random, so that no call pattern hides an
operation) is timed for the latency percentiles: the common call pays no
clock reads and no observer call. With an observer registered, every call is
timed, and the stats see every latency too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from random import random
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from aerospike import exception as aex

from ..connection import nsup_error
from ..errors import (
    CacheError,
    CacheOperationError,
    CacheUnavailable,
    ConfigurationError,
    InvalidKeyError,
    NsupError,
)
from ..log import LogLimiter, logger
from .capacity import FULL_CODE, FullNamespace

if TYPE_CHECKING:
    from ..connection import ClientEntry
    from .records import Records
    from .stats import Stats

T = TypeVar("T")
A = TypeVar("A")

# Result codes of outages: the cluster could not be reached or did not answer
# in time. These trip the circuit breaker; anything else is an answer.
OUTAGE_CODES: Final = frozenset({-15, -14, -12, -11, -10, -8, -7, -6, 7, 9, 11})

# Operations that write a TTL: a 22 (FAIL_FORBIDDEN) there is the nsup rule.
_TTL_WRITES: Final = frozenset({"set", "add", "set_many", "incr", "touch"})
# What fail-open makes of a failed operation, for the log line.
_FAIL_OPEN_OUTCOME: Final = {
    "get": "a miss",
    "get_many": "misses",
    "has": "absent",
    "ttl": "absent",
}
# Outage codes that mean a node could not be reached at all (connection refused,
# reset, node gone), as opposed to a node too slow to answer.
CONNECTION_CODES: Final = frozenset({-10, -8, -7, -6})
# A node incident is over (logged) at the first answer this long after its last failure.
NODE_QUIET_S: Final = 2.0

# Batch statuses whose rows are the answer: 0, and the client's -16 ("some
# rows failed", each row says how). Any other status is the batch failing.
BATCH_ANSWERED: Final = frozenset({0, -16})

# 19.3 clients put the node in the message: "127.0.0.1:3000 AEROSPIKE_ERR_..."
# or "Socket write error: 111, 127.0.0.1:3000, 56438".
_NODE: Final = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][\w.-]*):\d+")

# One call in this many (on average) is timed for the built-in stats' latencies.
SAMPLE_EVERY: Final = 16

_monotonic = time.monotonic
_perf_counter = time.perf_counter

Answers = Sequence[tuple[type[BaseException], Any]]
NO_ANSWERS: Final[Answers] = ()


class Observer(Protocol):
    """Called with the outcome of every client call (see the module docstring)."""

    def __call__(self, op: str, code: int | None, node: str | None, elapsed: float) -> None: ...


class BatchFailure(Exception):
    """A batch that failed as a whole, or failed rows, shaped like a client exception.

    The client does not raise for these: it returns the batch with a status
    (-10 when a node is down, or the node's result code) and per-row codes.
    ``result`` is what the call returns under fail-open (the rows that did
    answer, the keys that failed).
    """

    def __init__(
        self, code: int, msg: str, result: Any, nodes: Sequence[str] = (), rows: int = 1
    ) -> None:
        if nodes:
            msg = f"{msg}; node{'s' if len(nodes) > 1 else ''} {', '.join(nodes)} did not answer"
        super().__init__(code, msg)
        self.code = code
        self.msg = msg
        self.result = result
        #: ``host:port`` of the nodes that did not answer, if known
        self.nodes = tuple(nodes)
        #: how many rows failed
        self.rows = rows


# What a client call raises that the failure path handles.
FAILURES: Final = (aex.AerospikeError, CacheError, BatchFailure)


def node_of(exc: BaseException) -> str | None:
    """The ``host:port`` of the node a client exception names, if it names one."""
    if isinstance(exc, BatchFailure):  # its message holds keys, which may look like h:p
        return exc.nodes[0] if exc.nodes else None
    msg = getattr(exc, "msg", None)
    found = _NODE.search(msg) if isinstance(msg, str) else None
    return found.group(0) if found else None


class FailurePath:
    """Classify, break, fail open, log and observe, for one store."""

    def __init__(self, records: Records, fail_open: bool) -> None:
        self.records = records
        self._client = records.client
        self.fail_open = fail_open
        self.limiter = LogLimiter()
        self.full = FullNamespace(records.namespace)
        self.observers: list[Observer] = []
        #: the store's built-in stats: exact counts, latency sampled (see the module docstring)
        self.stats: Stats | None = None
        self._countdown = 1  # calls until the next timed one (the first call is timed)
        self.sample_every = SAMPLE_EVERY

    @property
    def sample_every(self) -> int:
        """One call in this many, on average, is timed for :attr:`stats` (1: every call)."""
        return (self._spread + 1) // 2

    @sample_every.setter
    def sample_every(self, every: int) -> None:
        if type(every) is not int or every < 1:
            raise ValueError(f"sample_every must be a whole number >= 1, got {every!r}")
        # the next timed call is 1 .. 2 * every - 1 calls away: every on average
        self._spread = 2 * every - 1
        self._countdown = 1

    def add_observer(self, observer: Observer) -> None:
        """Report every client call's outcome to ``observer`` (a cluster policy, a tracer)."""
        self.observers.append(observer)

    def remove_observer(self, observer: Observer) -> None:
        self.observers.remove(observer)

    def call(self, op: str, fallback: T, answers: Answers, fn: Callable[[Any, A], T], arg: A) -> T:
        """``fn(client, arg)`` through the failure path (several arguments: a tuple).

        An exception listed in ``answers`` returns its paired value (it is an
        answer: the breaker closes); any other failure raises the package's
        error, or under fail-open logs and returns ``fallback`` (a
        :class:`BatchFailure` returns its own ``result``).
        """
        self._countdown -= 1
        if self._countdown <= 0 or self.observers:
            return self._observed(op, fallback, answers, fn, arg, False)
        # the common call, untimed: as flat as it gets (see the module docstring)
        try:
            result = fn(self._client(), arg)
        except FAILURES as exc:
            return self._settle(op, exc, fallback, answers, 0.0, False)
        records = self.records  # answered(op), inlined for the common call
        if records.suspect:
            self.succeeded(op, 0, None, 0.0)
        elif records.entry is not None:
            records.entry.nodes.last_answer = _monotonic()
        return result

    def call_strict(
        self, op: str, fallback: T, answers: Answers, fn: Callable[[Any, A], T], arg: A
    ) -> T:
        """:meth:`call` that raises whatever ``fail_open`` says (startup checks)."""
        return self._observed(op, fallback, answers, fn, arg, True)

    def answered(self, op: str, started: float = 0.0) -> None:
        """A call succeeded: the cluster answers (see :meth:`classify`); a suspect store
        (failures counted, node incidents open) runs the full :meth:`succeeded`."""
        records = self.records
        if records.suspect:
            self.succeeded(op, 0, None, started)
            return
        entry = records.entry
        if entry is not None:
            entry.nodes.last_answer = _monotonic()
        if started:
            self._notify(op, 0, None, started)

    def _observed(
        self,
        op: str,
        fallback: T,
        answers: Answers,
        fn: Callable[[Any, A], T],
        arg: A,
        strict: bool,
    ) -> T:
        self._countdown = 1 + int(random() * self._spread)
        started = _perf_counter()
        try:
            result = fn(self._client(), arg)
        except FAILURES as exc:
            return self._settle(op, exc, fallback, answers, started, strict)
        self.answered(op, started)
        return result

    def _settle(
        self,
        op: str,
        exc: Exception,
        fallback: T,
        answers: Answers,
        started: float,
        strict: bool,
    ) -> T:
        for kind, answer in answers:
            if isinstance(exc, kind):
                # the node of an answer (a miss, on the hot path) is for observers only
                node = node_of(exc) if self.observers else None
                self.succeeded(op, getattr(exc, "code", None), node, started)
                return answer  # type: ignore[no-any-return]
        return self.fail(op, exc, fallback, started, strict)

    def succeeded(self, op: str, code: int | None, node: str | None, started: float) -> None:
        """An answer: close the breaker, end quiet node incidents, tell the observers."""
        entry = self.records.entry
        # node incidents keep the store suspect until they are logged as over
        self.records.suspect = entry is not None and bool(entry.nodes.incidents)
        if entry is not None:
            entry.nodes.last_answer = time.monotonic()
            if entry.nodes.incidents:
                self._end_node_incidents(entry)
        if entry is not None and entry.breaker.failures:
            failures = entry.breaker.failures
            entry.breaker.success()
            logger.warning(
                "aerospike-cache: cluster %s reachable again after %d failed calls",
                self.records.hosts_text(),
                failures,
            )
        self._notify(op, code, node, started)

    def fail(
        self,
        op: str,
        exc: Exception,
        fallback: T,
        started: float = 0.0,
        strict: bool = False,
    ) -> T:
        """Raise the package's error for ``exc``, or (fail-open) log it and return ``fallback``."""
        code = getattr(exc, "code", None)
        node = node_of(exc)
        if code == FULL_CODE and op not in _FAIL_OPEN_OUTCOME:  # a write (a read is never 8)
            return self._refused(op, exc, fallback, node, started, strict)
        err = exc if isinstance(exc, CacheError) else self.classify(exc, op, code, node)
        self._notify(op, code, node, started)
        if (
            strict
            or not self.fail_open
            or isinstance(err, InvalidKeyError)
            or (isinstance(err, ConfigurationError) and not isinstance(err, NsupError))
        ):
            if err is exc:
                raise err
            raise err from exc
        self.log(op, code, err, f"fail-open: {_FAIL_OPEN_OUTCOME.get(op, 'not done')}")
        return exc.result if isinstance(exc, BatchFailure) else fallback

    def _refused(
        self, op: str, exc: Exception, fallback: T, node: str | None, started: float, strict: bool
    ) -> T:
        """A write refused by a full namespace (code 8, see :mod:`.capacity`).

        An answer of a healthy cluster: it closes the breaker like any answer
        and is no node's failure. Strict raises
        :class:`~aerospike_cache.errors.NamespaceFullError`; fail-open logs one
        line per interval for every operation together, and returns ``fallback``.
        """
        self.succeeded(op, FULL_CODE, node, started)
        if self.stats is not None:
            self.stats.refused(getattr(exc, "rows", 1))
        raising = strict or not self.fail_open
        if not raising and not self.limiter.allow(("full", self.records.namespace)):
            return exc.result if isinstance(exc, BatchFailure) else fallback
        entry = self.records.entry
        timeout_ms = int(self.records.timeout_s * 1000)
        figures = self.full.figures(None if entry is None else entry.client, timeout_ms)
        err = self.full.error(op, getattr(exc, "msg", None) or str(exc), figures)
        if raising:
            raise err from exc
        logger.error("aerospike-cache: %s (fail-open: writes are not done, reads go on)", err)
        return exc.result if isinstance(exc, BatchFailure) else fallback

    def is_outage(self, code: int | None, node: str | None) -> bool:
        """Whether a failure means the cluster is unreachable (the breaker counts it).

        The seam for a cluster-aware policy: one lost node of a replicated
        cluster need not count as the cluster being down.
        """
        return code in OUTAGE_CODES

    def classify(
        self,
        exc: BaseException,
        op: str,
        code: int | None,
        node: str | None,
    ) -> CacheError:
        """Map a client exception onto ours, tripping the breaker on outages.

        An outage on a cluster of several nodes that answered another call
        within two command timeouts (a write waiting for a lost replica blocks
        its thread one timeout), unless every node the client knows refused a
        connection since, is one node's, not the cluster's
        (:meth:`~aerospike_cache.connection.NodeHealth.one_node_fails`): it
        does not count for the breaker and is logged once per node incident
        (per client, like the breaker).
        """
        records = self.records
        msg = getattr(exc, "msg", None) or str(exc)
        if node is None:
            # clients before 19.3 do not name the node that answered: name the seeds
            msg = f"{msg} (cluster {records.hosts_text()})"
        if self.is_outage(code, node):
            entry = records.entry
            refused_by = node if code in CONNECTION_CODES else None
            window = 2 * records.timeout_s  # a write waiting for a lost replica: one timeout
            if entry is not None and entry.nodes.one_node_fails(entry.client, refused_by, window):
                self._node_incident(entry, op, code, node, msg)
            elif entry is not None:
                first = entry.breaker.failures == 0
                entry.breaker.failure()
                if first:
                    logger.error(
                        "aerospike-cache: cluster %s unavailable during %s: code %s: %s",
                        records.hosts_text(),
                        op,
                        code,
                        msg,
                    )
            return CacheUnavailable(
                f"Aerospike cluster {records.hosts_text()} unavailable during {op}: "
                f"code {code}: {msg}"
            )
        if code == 22 and op in _TTL_WRITES:
            return nsup_error(records.namespace, f" [{op}: {msg}]")
        if code == 20:
            return ConfigurationError(
                f"namespace {records.namespace!r} is not known to the cluster "
                f"{records.hosts_text()}; set the namespace option to an existing namespace"
            )
        return CacheOperationError(f"Aerospike {op} failed: code {code}: {msg}", code)

    def check_rows(
        self,
        op: str,
        status: int,
        bad: list[tuple[str, int]],
        total: int,
        result: Any,
        *,
        client: Any = None,
        reads: bool = False,
    ) -> None:
        """Raise :class:`BatchFailure` for a failed batch or failed rows (``result`` in it).

        A batch status other than an answer (a node down) fails; so do failed
        rows of a read (a read has no "failed keys" to report), and rows of a
        write that failed with 22 (the nsup rule), 8 (a full namespace) or an
        outage code. Other
        failed rows of a write (key busy, ...) are logged, rate limited: the
        caller reports their keys as failed. ``bad`` holds ``(key, code)``
        of each failed row; with ``client``, the failure names the nodes
        that did not answer (:func:`silent_nodes`).
        """
        serious = (
            bad if reads else [(k, c) for k, c in bad if c in (22, 8) or self.is_outage(c, None)]
        )
        if status not in BATCH_ANSWERED or serious:
            timeout_ms = int(self.records.timeout_s * 1000)
            raise _batch_failure(client, timeout_ms, status, serious or bad, total, result)
        if bad:
            key, code = bad[0]
            what = f"{op}: {len(bad)} of {total} keys failed, first {key!r} with code {code}"
            self.log(op, code, CacheOperationError(what, code), "keys reported failed")

    def _node_incident(
        self, entry: ClientEntry, op: str, code: int | None, node: str | None, msg: str
    ) -> None:
        """Record a failure of one node while the cluster answers; log the first."""
        name = node or ""
        self.records.suspect = True  # the next answers check whether the incident is over
        if entry.nodes.incident(name):
            logger.warning(
                "aerospike-cache: node %s of cluster %s failed during %s (code %s) while "
                "the rest of the cluster answers; not counted as an outage: %s",
                name or "(unnamed)",
                self.records.hosts_text(),
                op,
                code,
                msg,
            )

    def _end_node_incidents(self, entry: ClientEntry) -> None:
        """Log (once) each node incident with no failure for :data:`NODE_QUIET_S`."""
        for name in entry.nodes.quiet(NODE_QUIET_S):
            logger.warning(
                "aerospike-cache: node %s of cluster %s: no failure for %.0f s, calls answered",
                name or "(unnamed)",
                self.records.hosts_text(),
                NODE_QUIET_S,
            )

    def log(self, op: str, code: int | None, err: Exception, outcome: str) -> None:
        """Log a failure, rate limited per operation and code.

        Outages are logged once per incident by :meth:`classify` instead.
        """
        if not isinstance(err, CacheUnavailable) and self.limiter.allow((op, code)):
            logger.error("aerospike-cache: %s failed (%s): %s", op, outcome, err)

    def _notify(self, op: str, code: int | None, node: str | None, started: float) -> None:
        """Tell the stats and the observers; ``started`` 0.0: an untimed call (counts only)."""
        stats = self.stats
        if not started:
            if stats is not None and code != 0:
                stats.count(code)
            return
        elapsed = _perf_counter() - started
        if stats is not None:
            stats.observe(op, code, node, elapsed)
        for observer in self.observers:
            observer(op, code, node, elapsed)


def _batch_failure(
    client: Any, timeout_ms: int, status: int, rows: list[tuple[str, int]], total: int, result: Any
) -> BatchFailure:
    """The failure of a batch: its status (or the first row's code), the failed rows
    and, when a node did not answer, which (:func:`silent_nodes`)."""
    what = f"batch of {total} keys failed (status {status})"
    if rows:
        key, code = rows[0]
        what = f"{what}: {len(rows)} keys failed, first {key!r} with code {code}"
    lost = status in OUTAGE_CODES or any(code in OUTAGE_CODES for _, code in rows)
    nodes = silent_nodes(client, timeout_ms) if client is not None and lost else []
    code = status if status not in BATCH_ANSWERED else rows[0][1]
    return BatchFailure(code, what, result, nodes, sum(1 for _, c in rows if c == code) or 1)


def silent_nodes(client: Any, timeout_ms: int) -> list[str]:
    """``host:port`` of the nodes the client knows that do not answer an info request.

    The client names no node for a failed batch (status -10, rows at -15 with
    no message) nor for a call refused past a node's error rate (-14), and a
    query's error names it only among its sub-errors. Asking each node its
    name finds the lost one: a lost node refuses the connection at once (a
    hung one costs ``timeout_ms``). Only called on a failure, never on a
    call that succeeded.
    """
    try:
        nodes = client.get_node_names()
    except aex.AerospikeError:
        return []
    silent = []
    for node in nodes:
        try:
            client.info_single_node("node", node["node_name"], {"timeout": timeout_ms})
        except aex.AerospikeError:
            address = node["address"]
            silent.append(
                f"[{address}]:{node['port']}" if ":" in address else f"{address}:{node['port']}"
            )
    return silent


def warn_oversized(key: str) -> None:
    """Log a value refused for its size (error 13): not an error of the cluster."""
    logger.warning(
        "aerospike-cache: value for key %r is larger than the namespace's max-record-size "
        "(error 13); it was not cached",
        key,
    )
