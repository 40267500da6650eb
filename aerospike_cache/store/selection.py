"""Entries selected by the server: a key pattern or tags, as a filter expression.

The synchronous path runs a foreground query of the set with the filter,
keys only, in pages of :data:`PAGE` records (never the whole set in memory),
and removes or touches each page in one batch. The batch carries the same
filter, so an entry rewritten in between (say, without the tag) is left
alone, and anything written after the call returns is never touched.
``wait=False`` starts a background query job on the server instead and
returns its :class:`~aerospike_cache.jobs.Job`. Every client call goes
through the store's one failure path.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Generator, Iterator
from typing import Any, Final

import aerospike
from aerospike import exception as aex

from .. import tags as tagging
from ..errors import ConfigurationError
from ..jobs import Job
from ..patterns import KeyPattern, compile_glob
from .expiry import DEADLINE_BIN, wire_ttl
from .failures import NO_ANSWERS, OUTAGE_CODES, BatchFailure, node_of, silent_nodes
from .records import OP_WRITE, StorePart, stored_key

PAGE: Final = 10_000
#: partition ranges queried one after another (each paged), see Selection.pages:
#: None, as many as the probe's matches call for (at most MAX_RANGES); a number fixes it
RANGES: int | None = None
MAX_RANGES: Final = 64
PROBE: Final = 64  # partitions queried first: their matches estimate the others'
_PARTITIONS: Final = 4096  # every Aerospike namespace has 4096 partitions
_TOUCH: Final = {"op": aerospike.OPERATOR_TOUCH}
_DELETE: Final = [{"op": aerospike.OPERATOR_DELETE}]
Check = Callable[[Any], bool]
Touch = tuple[int, list[dict[str, Any]]]  # (wire TTL, the ops of a touch)
_NONE: Final[tuple[list[Any], bool]] = ([], True)  # a page that failed: nothing, stop


def key_filter(pattern: KeyPattern, *, blob_keys: bool = True) -> Any:
    """Filter expression selecting the records whose stored key may match ``pattern``.

    A string key is matched by the pattern's regex. A key holding a NUL is
    stored as a blob, which no regex reads: with ``blob_keys`` every such
    record is selected too (they are rare) and the caller re-checks.
    """
    from aerospike_helpers import expressions as exp

    # On a string key KeyBlob() is unknown, and on a blob key KeyStr() is:
    # the Or is true exactly when one side is (the server's trilean logic).
    blob = exp.NE(exp.KeyBlob(), b"")
    if pattern.never:
        return blob
    with quiet():
        regex = exp.CmpRegex(aerospike.REGEX_EXTENDED, pattern.regex, exp.KeyStr())
        return exp.Or(regex, blob) if blob_keys else regex


def checked(pattern: KeyPattern) -> Check:
    """The exact re-check (``fnmatchcase``) of a record key the server selected by regex.

    An exact pattern's regex selects exactly the matching string keys (see
    :mod:`aerospike_cache.patterns`): only blob keys are re-checked then.
    """
    exact = pattern.exact

    def check(record_key: Any) -> bool:
        user = record_key[2]
        if exact and type(user) is str:
            return True
        key = stored_key(user)
        return key is not None and pattern.matches(key)

    return check


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Client 19.3 deprecates CmpRegex for RegexCompare, a string expression that
    Aerospike 8.1 does not have (CmpRegex is exp.c's POSIX regex). It warns on
    every call carrying one, and under ``-W error`` the warning becomes a
    ``ClientError``: silence exactly that warning around those calls."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="CmpRegex expression is deprecated", category=DeprecationWarning
        )
        yield


class Selection(StorePart):
    """Queries, batch removes/touches and background jobs over filtered records."""

    def keys(self, pattern: str, prefix: str) -> Iterator[str]:
        """Stored keys matching ``prefix`` + ``pattern`` (server regex, exact re-check)."""
        match = self._pattern(pattern, prefix)
        check = checked(match)
        for page in self.pages("keys", self.compile(key_filter(match))):
            for record_key in page:
                if check(record_key):
                    key = stored_key(record_key[2])
                    assert key is not None  # checked: a str, or a blob key that matched
                    yield key

    def delete_pattern(self, pattern: str, prefix: str, wait: bool) -> int | Job:
        match = self._pattern(pattern, prefix)
        if not wait:
            return self._job("delete_pattern", match, None)
        expression = self.compile(key_filter(match))
        return self.apply("delete_pattern", expression, None, checked(match))

    def touch_pattern(self, pattern: str, ttl: float | None, prefix: str, wait: bool) -> int | Job:
        match = self._pattern(pattern, prefix)
        touch = self._touch_ops(ttl)
        if not wait:
            return self._job("touch_pattern", match, touch)
        expression = self.compile(key_filter(match))
        return self.apply("touch_pattern", expression, touch, checked(match))

    def _touch_ops(self, ttl: float | None) -> tuple[int, list[dict[str, Any]]]:
        """``(wire TTL, ops)`` of a touch: the server's TTL and the exact deadline
        (a ``None`` deadline removes the bin: the entry never expires)."""
        deadline = {"op": OP_WRITE, "bin": DEADLINE_BIN, "val": self.deadlines.of(ttl)}
        return wire_ttl(ttl), [_TOUCH, deadline]

    def invalidate_tags(self, stored_tags: list[str], wait: bool) -> int | Job:
        if not stored_tags:
            return 0 if wait else Job(None, "invalidate_tags()", _no_info)
        expression = self.compile(tagging.any_of(stored_tags))
        if not wait:
            what = f"invalidate_tags({', '.join(map(repr, stored_tags))})"
            return self.start_job("invalidate_tags", what, expression)
        return self.apply("invalidate_tags", expression, None)

    def _pattern(self, pattern: str, prefix: str) -> KeyPattern:
        if not self.records.store_keys:
            raise ConfigurationError(
                "key patterns need stored keys: enable store_keys (entries written "
                "without their key are invisible to keys() and delete_pattern())"
            )
        return compile_glob(pattern, prefix)

    def _job(self, op: str, match: KeyPattern, touch: Touch | None) -> Job:
        what = f"{op}({match.prefix + match.glob!r})"
        if match.never:
            return Job(None, what, _no_info)
        expression = self.compile(key_filter(match, blob_keys=False))
        return self.start_job(op, what, expression, touch)

    def compile(self, expression: Any) -> Any:
        """The filter a query or batch sends: ``expression`` and a live entry, compiled.

        Live: no deadline bin (never expires, or written before exact expiry)
        or a deadline after now, by the store's clock; expired entries the
        server has not evicted yet are neither listed nor counted.
        """
        from aerospike_helpers import expressions as exp

        with quiet():
            return exp.And(expression, self.deadlines.live()).compile()

    def pages(self, op: str, expression: Any) -> Iterator[list[Any]]:
        """The record keys the compiled ``expression`` selects, a page at a time.

        The partitions are queried in ranges, one after another, each in
        pages of at most :data:`PAGE` keys. A page that comes back full makes
        the client ask every partition of its query again, each from its last
        key (or its start, when it gave none), and the node walks them again:
        that cost grows with the partitions a query covers and with its
        pages. So the first :data:`PROBE` partitions are queried alone, and
        their matches, scaled up, set how many ranges the rest is split into:
        twice as many as the expected matches fill pages, so that pages
        rarely fill; one range for a set whose matches fit a page or two.

        The client queries every node for the partitions it masters, each
        partition once (a lost node's partitions on their replicas, if it has
        any). When a node fails, the query fails: strict, that raises (naming
        the node); under fail-open it is logged and ends the pages, the last
        one holding what the other nodes sent before the client gave up (it
        stops them when it sees the failure); the rest is missed.
        """
        if RANGES:
            yield from self._range_pages(op, expression, 0, _PARTITIONS, RANGES)
            return
        sizes: list[int] = []
        if (yield from self._range_pages(op, expression, 0, PROBE, 1, sizes)):
            return  # failed: that ends the pages (see above)
        expected = sum(sizes) * (_PARTITIONS - PROBE) // PROBE
        ranges = max(1, min(MAX_RANGES, -(-2 * expected // PAGE)))
        yield from self._range_pages(op, expression, PROBE, _PARTITIONS - PROBE, ranges)

    def _range_pages(
        self,
        op: str,
        expression: Any,
        first: int,
        partitions: int,
        ranges: int,
        sizes: list[int] | None = None,
    ) -> Generator[list[Any], None, bool]:
        """:meth:`pages` of ``partitions`` partitions from ``first``, in ``ranges`` queries;
        returns whether a query failed. ``sizes`` gets each page's length."""
        step = -(-partitions // ranges)
        for begin in range(first, first + partitions, step):
            count = min(step, first + partitions - begin)
            query = self.failures.call(op, None, NO_ANSWERS, self._query, None)
            if query is None:
                return True
            policy = {
                "expressions": expression,
                "include_bin_data": False,
                "partition_filter": {"begin": begin, "count": count},
            }
            while True:
                job = (query, policy)
                page, failed = self.failures.call(op, _NONE, NO_ANSWERS, self._results, job)
                if sizes is not None:
                    sizes.append(len(page))
                if page:
                    yield page
                if failed:
                    return True
                if not page or query.is_done():
                    break
        return False

    def _results(self, client: Any, job: tuple[Any, dict[str, Any]]) -> tuple[list[Any], bool]:
        """``(record keys, failed)`` of the query's next page.

        ``foreach``, not ``results``: when a node fails mid-page, ``results``
        drops what the other nodes sent, ``foreach`` has handed it over already.
        """
        query, policy = job
        page: list[Any] = []
        try:
            with quiet():
                # with a partition filter, the client hands (partition id, record)
                query.foreach(lambda _pid, record: page.append(record[0]), policy)
        except aex.AerospikeError as exc:
            # under fail-open, the failure path returns what did arrive, as the last page
            code, msg = exc.code or -1, str(exc.msg or exc)
            node = node_of(exc)  # among the sub-errors, one per partition group: not repeated
            timeout_ms = int(self.records.timeout_s * 1000)
            lost = code in OUTAGE_CODES and not node
            nodes = [node] if node else silent_nodes(client, timeout_ms) if lost else []
            first = (msg.splitlines() or [""])[0] if nodes else msg
            raise BatchFailure(code, f"query failed: {first}", (page, True), nodes) from exc
        return page, False

    def _query(self, client: Any, _: None) -> Any:
        query = client.query(self.records.namespace, self.records.set_name)
        query.max_records = PAGE
        query.paginate()
        return query

    def apply(
        self, op: str, expression: Any, touch: Touch | None, check: Check | None = None
    ) -> int:
        """Remove (``touch`` None) or touch the selected records in batches; how many."""
        done = 0
        for page in self.pages(op, expression):
            keys = page if check is None else [k for k in page if check(k)]
            if keys:
                job = (op, keys, expression, touch)
                done += self.failures.call(op, 0, NO_ANSWERS, self._batch, job)
        return done

    def _batch(self, client: Any, job: tuple[str, list[Any], Any, Touch | None]) -> int:
        op, keys, expression, touch = job
        filtered = {"expressions": expression}
        with quiet():
            if touch is None:
                result = client.batch_remove(keys, filtered)
            else:
                wttl, ops = touch
                self.records.check_ttl(wttl)
                result = client.batch_operate(keys, ops, filtered, None, wttl)
        done = 0
        bad: list[tuple[str, int]] = []
        for key, row in zip(keys, result.batch_records, strict=True):
            if row.result == 0:
                done += 1
            elif row.result not in (2, 27):  # gone meanwhile, or no longer selected
                bad.append((stored_key(key[2]) or key[3].hex(), row.result))
        self.failures.check_rows(op, result.result, bad, len(keys), done, client=client)
        return done

    def start_job(self, op: str, what: str, expression: Any, touch: Touch | None = None) -> Job:
        """Start a background query job: delete (``touch`` None) or touch the selected records."""
        job_id = self.failures.call(op, None, NO_ANSWERS, self._start, (expression, touch))

        def info(job: int) -> Any:
            return self.failures.call(f"{op} job_info", None, NO_ANSWERS, _job_info, job)

        return Job(None if job_id is None else int(job_id), what, info)

    def _start(self, client: Any, job: tuple[Any, Touch | None]) -> Any:
        expression, touch = job
        query = client.query(self.records.namespace, self.records.set_name)
        if touch is None:
            query.add_ops(_DELETE)
        else:
            wttl, ops = touch
            self.records.check_ttl(wttl)
            query.add_ops(ops)
            query.ttl = wttl & 0xFFFFFFFF  # unsigned on the wire: -1 (never) is 0xFFFFFFFF
        with quiet():
            return query.execute_background({"expressions": expression})


def _no_info(job_id: int) -> None:
    return None


def _job_info(client: Any, job_id: int) -> Any:
    return client.job_info(job_id, aerospike.JOB_QUERY)
