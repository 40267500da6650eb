"""Entries selected by the server: a key pattern or tags, as a filter expression.

The synchronous path runs a foreground query of the set with the filter,
keys only, in pages of :data:`PAGE` records (never the whole set in memory),
and removes or touches each page in one batch. The batch carries the same
filter, so an entry rewritten in between (say, without the tag) is left
alone, and anything written after the call returns is never touched.
``wait=False`` starts a background query job on the server instead and
returns its :class:`~aerospike_cache.jobs.Job`.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

from .errors import CacheError
from .jobs import Job
from .patterns import KeyPattern

if TYPE_CHECKING:
    from .store import AerospikeStore

PAGE: Final = 1000
RecordKey = tuple[str, "str | None", Any, Any]


def key_filter(pattern: KeyPattern, *, blob_keys: bool = True) -> Any:
    """Compiled filter selecting the records whose stored key may match ``pattern``.

    A string key is matched by the pattern's regex. A key holding a NUL is
    stored as a blob, which no regex reads: with ``blob_keys`` every such
    record is selected too (they are rare) and the caller re-checks.
    """
    import aerospike
    from aerospike_helpers import expressions as exp

    # On a string key KeyBlob() is unknown, and on a blob key KeyStr() is:
    # the Or is true exactly when one side is (the server's trilean logic).
    blob = exp.NE(exp.KeyBlob(), b"")
    if pattern.never:
        return blob.compile()
    with _quiet():
        regex = exp.CmpRegex(aerospike.REGEX_EXTENDED, pattern.regex, exp.KeyStr())
        return (exp.Or(regex, blob) if blob_keys else regex).compile()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Client 19.3 deprecates CmpRegex for RegexCompare, a string expression that
    Aerospike 8.1 does not have (CmpRegex is exp.c's POSIX regex). It warns on
    every call carrying one, and under ``-W error`` the warning becomes a
    ``ClientError``: silence exactly that warning around those calls."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="CmpRegex expression is deprecated", category=DeprecationWarning
        )
        yield


def user_key(record_key: RecordKey) -> str | None:
    """The cache key a record was stored with (``None`` if it was stored as a digest only)."""
    key = record_key[2]
    if isinstance(key, (bytes, bytearray)):  # a key holding a NUL (see store._user_key)
        return bytes(key).decode("utf-8", "replace")
    return key if isinstance(key, str) else None


def pages(store: AerospikeStore, op: str, expression: Any) -> Iterator[list[RecordKey]]:
    """The keys of the records the compiled ``expression`` selects, a page at a time.

    Under fail-open an error ends the pages early (logged); otherwise it raises.
    """
    aex = store._aex
    try:
        query = store._client().query(store.namespace, store.set_name)
        query.max_records = PAGE
        query.paginate()
    except (aex.AerospikeError, CacheError) as exc:
        store._handle(op, exc, None)
        return
    policy = {"expressions": expression, "include_bin_data": False}
    while True:
        try:
            with _quiet():
                page = query.results(policy)
        except (aex.AerospikeError, CacheError) as exc:
            store._handle(op, exc, None)
            return
        store._recovered()
        if page:
            yield [rec[0] for rec in page]
        if query.is_done() or not page:
            return


def remove(
    store: AerospikeStore,
    op: str,
    expression: Any,
    check: Callable[[RecordKey], bool] | None = None,
) -> int:
    """Remove the selected records in batches (filter re-checked); how many were removed."""
    removed = 0
    for page in pages(store, op, expression):
        keys = page if check is None else [k for k in page if check(k)]
        if keys:
            removed += _batch(store, op, keys, expression, ttl=None)
    return removed


def touch(
    store: AerospikeStore,
    op: str,
    expression: Any,
    ttl: int,
    check: Callable[[RecordKey], bool] | None = None,
) -> int:
    """Give the selected records a new TTL in batches; how many were touched."""
    touched = 0
    for page in pages(store, op, expression):
        keys = page if check is None else [k for k in page if check(k)]
        if keys:
            touched += _batch(store, op, keys, expression, ttl=ttl)
    return touched


def _batch(
    store: AerospikeStore, op: str, keys: list[RecordKey], expression: Any, ttl: int | None
) -> int:
    aex = store._aex
    filtered = {"expressions": expression}
    try:
        client = store._client()
        with _quiet():
            if ttl is None:
                result = client.batch_remove(keys, filtered)
            else:
                ops = [{"op": store._aerospike.OPERATOR_TOUCH}]
                result = client.batch_operate(keys, ops, filtered, None, ttl)
    except (aex.AerospikeError, CacheError) as exc:
        return store._handle(op, exc, 0)
    done = 0
    bad: list[tuple[str, int]] = []
    for key, row in zip(keys, result.batch_records, strict=True):
        if row.result == 0:
            done += 1
        elif row.result not in (2, 27):  # gone meanwhile, or no longer selected
            bad.append((str(user_key(key) or key[3]), row.result))
    store._rows_failed(op, result.result, bad, len(keys))
    return done


def start_job(
    store: AerospikeStore, op: str, what: str, expression: Any, ttl: int | None = None
) -> Job:
    """Start a background query job: delete (``ttl`` None) or touch the selected records."""
    from aerospike_helpers.operations import operations

    aex = store._aex
    try:
        client = store._client()
        query = client.query(store.namespace, store.set_name)
        if ttl is None:
            query.add_ops([operations.delete()])
        else:
            query.add_ops([operations.touch()])
            query.ttl = ttl & 0xFFFFFFFF  # unsigned on the wire: -1 (never) is 0xFFFFFFFF
        with _quiet():
            job_id = query.execute_background({"expressions": expression})
    except (aex.AerospikeError, CacheError) as exc:
        store._handle(op, exc, None)
        return Job(None, what, lambda _id: None)

    def info(job: int) -> Any:
        try:
            answer = store._client().job_info(job, store._aerospike.JOB_QUERY)
        except (aex.AerospikeError, CacheError) as exc:
            return store._handle(f"{op} job_info", exc, None)
        store._recovered()
        return answer

    return Job(int(job_id), what, info)
