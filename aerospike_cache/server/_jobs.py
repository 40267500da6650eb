"""Background query jobs: write operations over every matching record, on the server.

``query.add_ops([...]); query.execute_background(policy)`` sends a scan/query
request with the WRITE bit, its ops, the query's TTL, an optional filter
expression and the client's job id (``trid``). The node answers at once (a
LAST message) and a job thread applies the ops to each live record of the
namespace (and set, and requested partitions) as a write command would: the
filter is checked per record (a false one counts as filtered), a record that
vanished meanwhile is skipped. ``job_info`` asks ``query-show:id=<trid>``.

One :class:`JobRegistry` per node (``Node.jobs``): a future multi-node
cluster gives each node its own, as each real node runs its own part of the job.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from . import _expr
from . import _protocol as p
from ._dispatch import check_edition, scan_walk, scan_work
from ._protocol import UnsupportedError

if TYPE_CHECKING:
    from ._dispatch import ParsedMsg
    from ._engine import Namespace, Op
    from ._node import Node

#: finished jobs kept for ``query-show`` (the server's ``query-max-done``)
MAX_DONE = 100
_WRITE_OPS = (
    p.OP_WRITE,
    p.OP_INCR,
    p.OP_APPEND,
    p.OP_PREPEND,
    p.OP_TOUCH,
    p.OP_DELETE,
    p.OP_EXP_MODIFY,
)
_JOB_FIELDS = (
    p.FIELD_TASK_ID,
    p.FIELD_SOCKET_TIMEOUT,
    p.FIELD_RPS,
    p.FIELD_PID_ARRAY,
    p.FIELD_DIGEST_ARRAY,
    p.FIELD_FILTER,
)


class Job:
    """One background job's progress, as ``query-show`` reports it."""

    def __init__(
        self, trid: int, ns: str, set_name: str, total: int, rps: int, pids: int = 0, keyds: int = 0
    ) -> None:
        self.trid = trid
        self.pids = pids  # the partitions the request names (0: none)
        self.keyds = keyds
        self.ns = ns
        self.set_name = set_name
        self.total = total
        self.rps = rps
        self.done_count = 0
        self.succeeded = 0
        self.filtered = 0
        self.failed = 0
        self.start_ns = time.monotonic_ns()
        self.finish_ns = 0

    def show(self) -> str:
        """The job's line of a ``query-show`` answer (fields of ``as_query_job_info``)."""
        now = time.monotonic_ns()
        end = self.finish_ns or now
        pct = 100.0 if not self.total else 100.0 * self.done_count / self.total
        fields = [f"trid={self.trid}", f"ns={self.ns}"]
        if self.set_name:
            fields.append(f"set={self.set_name}")
        if self.pids:
            fields += [f"n-pids-requested={self.pids}", f"n-keyds-requested={self.keyds}"]
        fields += [
            f"rps={self.rps}",
            f"active-threads={0 if self.finish_ns else 1}",
            f"status={'done' if self.finish_ns else 'active'}(ok)",
            f"job-progress={pct:.2f}",
            f"run-time={(end - self.start_ns) // 1_000_000}",
            f"time-since-done={(now - self.finish_ns) // 1_000_000 if self.finish_ns else 0}",
            "recs-throttled=0",
            "recs-filtered-meta=0",
            f"recs-filtered-bins={self.filtered}",
            f"recs-succeeded={self.succeeded}",
            f"recs-failed={self.failed}",
            "from=unknown",  # a real node names the client (host+port): not known here
            "job-type=background-ops",
            "net-io-bytes=30",  # the synchronous answer: one message header
            "socket-timeout=10000",
            f"ops-active={0 if self.finish_ns else 1}",
        ]
        return ":".join(fields)


class JobRegistry:
    """A node's background jobs: started by a request, shown by ``query-show``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[int, Job] = OrderedDict()
        self._ids = itertools.count(1)

    def start(self, node: Node, msg: ParsedMsg) -> bytes:
        """Check the request, start its job thread, answer at once."""
        ops = _check(msg)
        check_edition(node, msg)
        ns = node.storage.get(msg.namespace)
        if ns is None:
            return p.frame(p.TYPE_MSG, p.last_message(p.RC_NAMESPACE))
        wire_filter = msg.fields.get(p.FIELD_FILTER)
        filter_fn = _expr.compile_filter(wire_filter) if wire_filter is not None else None
        digests = _matching_digests(node, ns, msg)
        trid = _trid(msg) or next(self._ids)
        rps = p.U32.unpack(msg.fields[p.FIELD_RPS][:4])[0] if p.FIELD_RPS in msg.fields else 0
        set_name = msg.set_name.decode("utf-8", "replace")
        pids = len(msg.fields.get(p.FIELD_PID_ARRAY, b"")) // 2
        keyds = len(msg.fields.get(p.FIELD_DIGEST_ARRAY, b"")) // 20
        job = Job(trid, ns.name, set_name, len(digests), rps, pids, keyds)
        with self._lock:
            self._jobs[trid] = job
            self._jobs.move_to_end(trid)
            while len(self._jobs) > MAX_DONE:
                self._jobs.popitem(last=False)
        node.counters.add_many({"scan": 1, "commands": 1, "jobs": 1})
        thread = threading.Thread(
            target=_run,
            args=(job, ns, digests, msg, ops, filter_fn),
            name=f"aerospike-embedded-job-{trid}",
            daemon=True,
        )
        thread.start()
        return p.frame(p.TYPE_MSG, p.last_message(0))

    def show(self, trid: int) -> str | None:
        """The ``query-show`` line of a job, or None when the node does not know it."""
        with self._lock:
            job = self._jobs.get(trid)
        return None if job is None else job.show()

    def show_all(self) -> str:
        """Every job's line, newest first, ``;``-separated (``query-show`` without an id)."""
        with self._lock:
            jobs = list(self._jobs.values())
        return ";".join(job.show() for job in reversed(jobs))


def _check(msg: ParsedMsg) -> list[Op]:
    for ftype in msg.fields:
        if ftype not in _JOB_FIELDS:
            what = p.UNSUPPORTED_FIELDS.get(ftype, f"field {ftype}")
            raise UnsupportedError(f"{what} in a background query")
    if not msg.ops:
        raise ValueError("a background query without ops")
    for op in msg.ops:
        if op[0] not in _WRITE_OPS:
            raise UnsupportedError(f"op {p.OP_NAMES.get(op[0], op[0])} in a background query")
    return msg.ops


def _trid(msg: ParsedMsg) -> int:
    data = msg.fields.get(p.FIELD_TASK_ID)
    return p.U64.unpack(data[:8])[0] if data and len(data) >= 8 else 0


def _matching_digests(node: Node, ns: Namespace, msg: ParsedMsg) -> list[bytes]:
    """Digests of the live records the job covers (set and partitions), in digest order."""
    work = scan_work(node, msg.fields)
    return [d for d, _r in scan_walk(node, ns, msg.set_name or None, work, None)]


def _run(
    job: Job,
    ns: Namespace,
    digests: list[bytes],
    msg: ParsedMsg,
    ops: list[Op],
    filter_fn: _expr.Fn | None,
) -> None:
    """The job thread: one write per record, paced by the request's records per second."""
    pace = 1.0 / job.rps if job.rps else 0.0
    next_at = time.monotonic()
    try:
        for digest in digests:
            if pace:
                next_at += pace
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            rc = ns.write(
                digest,
                msg.set_name,
                None,
                msg.info2,
                msg.info3,
                0,
                msg.record_ttl,
                ops,
                p.now_ms(),
                filter_fn,
            )[0]
            if rc == p.RC_OK:
                job.succeeded += 1
            elif rc == p.RC_FILTERED_OUT:
                job.filtered += 1
            elif rc != p.RC_NOT_FOUND:
                job.failed += 1
            job.done_count += 1
    except Exception:  # pragma: no cover - a bug: the job ends, counted as failed
        job.failed += 1
        raise
    finally:
        job.finish_ns = time.monotonic_ns()
