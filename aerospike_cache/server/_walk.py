"""One partition's share of a scan or query: its live records passing a filter.

A real node walks a partition in digest order from the client's resume point
and stops at ``max_records``; so does this, in Python. On a namespace of many
records every record read is a cache miss and every bytecode counts, so a
filter with a key part (see :class:`~._expr.Filter`) is run over the
partition from C (``map``/``compress``): on the stored keys the partition
index holds when the key part has a bytes form (then only the records whose
key passes are looked up), else on the records (the key part reads nothing
but ``.key``, which a :class:`~._engine.Record` has). Set, liveness and the
rest of the filter run only on the records whose key passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import compress, count, repeat
from operator import is_
from typing import TYPE_CHECKING, cast

from . import _expr

if TYPE_CHECKING:
    from ._engine import Namespace, Record

Found = list[tuple[bytes, "Record"]]


def partition(
    ns: Namespace,
    pid: int,
    set_name: bytes | None,
    after: bytes | None,
    now: int,
    filter_fn: _expr.Fn | None,
    limit: int,
) -> tuple[Found, int]:
    """``(records, filter evaluations)``: see ``Namespace.partition_records``."""
    on_key, rest = _parts(filter_fn)
    key_bytes = filter_fn.key_bytes if isinstance(filter_fn, _expr.Filter) else None
    with ns.lock:
        if key_bytes is not None:
            return _by_stored_key(ns, pid, set_name, after, now, key_bytes, rest, limit)
        ordered = ns.index.ordered(pid, after)
        if not ordered:
            return [], 0
        if set_name is not None:  # unknown: no record's set is this very object
            set_name = ns.set_names.get(set_name, set_name)
        looked_up = list(map(ns.records.get, ordered))
        if None in looked_up:  # removed since the partition was last sorted
            ordered = [d for d, r in zip(ordered, looked_up, strict=True) if r is not None]
            looked_up = [r for r in looked_up if r is not None]
        records = cast("list[Record]", looked_up)
        candidates: Iterator[tuple[int, bytes, Record]] = zip(count(), ordered, records)
        if on_key is not None:
            # the key part over every record from C, lazily: a walk that stops at
            # the limit has tested the keys up to there
            candidates = compress(candidates, map(is_, map(on_key, records), repeat(True)))
        found, stop, rest_runs = _select(candidates, set_name, now, rest, limit)
        if on_key is None:
            return found, rest_runs
        return found, len(records) if stop is None else stop


def _by_stored_key(
    ns: Namespace,
    pid: int,
    set_name: bytes | None,
    after: bytes | None,
    now: int,
    key_bytes: Callable[[bytes | None], bool],
    rest: _expr.Fn | None,
    limit: int,
) -> tuple[Found, int]:
    """The key test on the keys the index holds, from C; only the records whose
    key passes are looked up (a digest's key is its record's: see _pindex)."""
    digests, keys = ns.index.ordered_keys(pid, after)
    if not digests:
        return [], 0
    if set_name is not None:
        set_name = ns.set_names.get(set_name, set_name)
    get = ns.records.get
    passed = compress(zip(count(), digests), map(is_, map(key_bytes, keys), repeat(True)))
    candidates = ((i, d, r) for i, d in passed if (r := get(d)) is not None)
    found, stop, _ = _select(candidates, set_name, now, rest, limit)
    return found, len(digests) if stop is None else stop


def _select(
    candidates: Iterator[tuple[int, bytes, Record]],
    set_name: bytes | None,
    now: int,
    rest: _expr.Fn | None,
    limit: int,
) -> tuple[Found, int | None, int]:
    """``(found, where the limit stopped the walk (None: it did not), rest runs)``."""
    now_s = now // 1000
    unknown = _expr.UNKNOWN
    s = _expr.Subject(b"", {}, None, b"", 0, 0, now)
    found: Found = []
    rest_runs = 0
    for i, d, r in candidates:
        if set_name is not None and r.set_name is not set_name:
            continue
        void_time = r.void_time
        if void_time and void_time < now_s:
            continue
        if rest is not None:
            rest_runs += 1
            s.digest, s.bins, s.key = d, r.bins, r.key
            s.set_name, s.void_time, s.lut = r.set_name, void_time, r.lut
            v = rest(s)
            if v is False or v is unknown:
                continue
        found.append((d, r))
        if len(found) == limit:
            return found, i + 1, rest_runs
    return found, None, rest_runs


def _parts(filter_fn: _expr.Fn | None) -> tuple[_expr.KeyFn | None, _expr.Fn | None]:
    """A filter as a walk reads it: (key part, rest)."""
    if filter_fn is None:
        return None, None
    if isinstance(filter_fn, _expr.Filter):
        return filter_fn.on_key, filter_fn.rest
    return None, lambda s: _expr.verdict(filter_fn(s))
