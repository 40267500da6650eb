"""In-memory storage engine: namespaces, records and the server's record semantics.

Everything here is pure Python and independent of sockets; the network layer
(``_server``) parses requests into calls on :class:`Namespace`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Final

from . import _capacity, _expr, _ops, _walk
from . import _protocol as p
from ._ops import Op
from ._pindex import PartitionIndex
from ._protocol import EnterpriseOnlyError, UnsupportedError

__all__ = [
    "EnterpriseOnlyError",
    "Namespace",
    "NamespaceConfig",
    "Op",
    "Outcome",
    "Record",
    "UnsupportedError",
]

log = logging.getLogger("aerospike_cache.server")

#: outcome of a command: (result code, generation, void time, response bins)
Outcome = tuple[int, int, int, list[p.ResponseBin] | None]

# ops a replace may carry besides writes of values (a real node's write_master_policies)
_READ_OPS: Final = frozenset(
    {p.OP_READ, p.OP_CDT_READ, p.OP_EXP_READ, p.OP_BITS_READ, p.OP_HLL_READ}
)


#: options that are whole numbers (the rest are booleans)
_INT_OPTIONS: Final = (
    "nsup_period",
    "default_ttl",
    "max_record_size",
    "data_size",
    "stop_writes_used_pct",
    "evict_used_pct",
    "evict_tenths_pct",
    "evict_hist_buckets",
)
_BOOL_OPTIONS: Final = ("allow_ttl_without_nsup", "conflict_resolve_writes")
_UNITS: Final = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


@dataclass
class NamespaceConfig:
    """Configuration of one namespace (names follow ``aerospike.conf``).

    ``data_size`` and the percentages are a real node's ``storage-engine
    memory`` settings (``data-size``, ``stop-writes-used-pct``,
    ``evict-used-pct``) and namespace settings (``evict-tenths-pct``,
    ``evict-hist-buckets``): the namespace refuses writes with code 8 past
    stop-writes and nsup evicts past ``evict_used_pct`` (0: never), as a real
    node does (see :mod:`._capacity`). Unlike a real node (at least 512 MiB),
    any ``data_size`` is accepted, so that a test can fill one.
    """

    name: str
    nsup_period: int = 120
    default_ttl: int = 0
    allow_ttl_without_nsup: bool = False
    max_record_size: int = 1024 * 1024
    #: Enterprise XDR bin convergence: the namespace then refuses record replaces
    conflict_resolve_writes: bool = False
    data_size: int = 1 << 30
    stop_writes_used_pct: int = 70
    evict_used_pct: int = 0
    evict_tenths_pct: int = 5
    evict_hist_buckets: int = 10000

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 31 or any(c in self.name for c in ":;/\t\n"):
            raise ValueError(f"invalid namespace name {self.name!r}")
        for attr in _INT_OPTIONS:
            if getattr(self, attr) < 0:
                raise ValueError(f"namespace {self.name}: {attr} must be >= 0")
        if self.default_ttl > p.MAX_TTL:
            raise ValueError(f"namespace {self.name}: default_ttl must be <= {p.MAX_TTL}")
        if self.data_size < 1:
            raise ValueError(f"namespace {self.name}: data_size must be >= 1")
        for attr in ("stop_writes_used_pct", "evict_used_pct"):
            if getattr(self, attr) > 100:
                raise ValueError(f"namespace {self.name}: {attr} must be <= 100")
        if self.evict_tenths_pct > 1000:
            raise ValueError(f"namespace {self.name}: evict_tenths_pct must be <= 1000")
        if not 100 <= self.evict_hist_buckets <= 10_000_000:
            raise ValueError(f"namespace {self.name}: evict_hist_buckets must be 100..10000000")

    @classmethod
    def from_options(cls, name: str, options: dict[str, Any]) -> NamespaceConfig:
        """Build from a dict whose keys may use dashes or underscores (a real node's
        ``storage-engine.`` prefix is accepted); ``data-size`` may end in K, M, G or T."""
        kwargs: dict[str, Any] = {}
        for key, value in options.items():
            attr = key.removeprefix("storage-engine.").replace("-", "_")
            if attr in _BOOL_OPTIONS:
                kwargs[attr] = _to_bool(value)
            elif attr == "data_size":
                kwargs[attr] = _to_size(value)
            elif attr in _INT_OPTIONS:
                kwargs[attr] = int(value)
            else:
                raise ValueError(f"namespace {name}: unknown option {key!r}")
        return cls(name, **kwargs)

    def options(self) -> dict[str, str]:
        """Every option but the name, as ``from_options`` (and the CLI) take them."""
        out = {}
        for attr in (*_INT_OPTIONS, *_BOOL_OPTIONS):
            value = getattr(self, attr)
            out[attr.replace("_", "-")] = (
                str(value).lower() if isinstance(value, bool) else str(value)
            )
        return out


def _to_size(value: Any) -> int:
    """``512M``, ``1G``, ``4096`` -> bytes (``aerospike.conf`` units)."""
    text = str(value).strip().upper()
    if text[-1:] in _UNITS:
        return int(text[:-1]) * _UNITS[text[-1]]
    return int(text)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


class Record:
    __slots__ = ("bins", "generation", "key", "lut", "set_name", "size", "void_time")

    def __init__(
        self,
        bins: dict[bytes, tuple[int, bytes]],
        generation: int,
        void_time: int,
        lut: int,
        key: bytes | None,
        set_name: bytes,
        size: int,
    ) -> None:
        self.bins = bins
        self.generation = generation
        self.void_time = void_time
        self.lut = lut
        self.key = key
        self.set_name = set_name
        #: bytes of data use (``_capacity.stored``)
        self.size = size


TRUNCATE_LAG_MS = 1000
"""How long a remove still finds a truncated record (a real node's index reduction)."""


#: set names a namespace can hold (AS_SET_MAX_COUNT): a name stays, records or not, until
#: the node restarts; a write that would add one more answers 4
MAX_SETS = 4095


class Namespace:
    """One namespace: its records, truncate thresholds and a lock."""

    def __init__(self, config: NamespaceConfig) -> None:
        self.config = config
        self.name = config.name
        self.records: dict[bytes, Record] = {}
        #: the records' digests by partition (scans walk it); kept with ``records``
        self.index = PartitionIndex()
        #: one bytes object per set name, shared by its records: a walk compares identities
        self.set_names: dict[bytes, bytes] = {}
        self.lock = threading.Lock()
        self.truncate_lut = 0  # ms since 2010, whole namespace
        self.set_truncate_lut: dict[bytes, int] = {}
        #: truncated records a remove still finds: digest -> (record, until ms since 2010)
        self.lagging: dict[bytes, tuple[Record, int]] = {}
        self.expired_objects = 0
        self.last_nsup = 0.0  # time.monotonic() of the last nsup cycle
        #: data use of the stored records (a real node's ``data_used_bytes``)
        self.data_used_bytes = 0
        self.evicted_objects = 0
        self.evict_ttl = 0  # how deep the last eviction cut, in seconds from then
        self.hwm_breached = False

    @property
    def data_used_pct(self) -> int:
        return _capacity.used_pct(self.data_used_bytes, self.config.data_size)

    @property
    def stop_writes(self) -> bool:
        """Past ``stop-writes-used-pct``: every write answers code 8.

        Evaluated at each write (a real node refreshes its flag every 10 s:
        its refusals can start before the ``stop_writes`` statistic says so).
        """
        limit = self.config.stop_writes_used_pct
        return limit != 0 and self.data_used_pct >= limit

    # -- helpers -------------------------------------------------------------

    def _live(self, digest: bytes, now_s: int) -> Record | None:
        rec = self.records.get(digest)
        if rec is not None and rec.void_time and rec.void_time < now_s:
            self.remove(digest)
            return None
        return rec

    def remove(self, digest: bytes) -> None:
        """Drop a stored record (the caller holds the lock)."""
        self.data_used_bytes -= self.records.pop(digest).size
        self.index.discard(digest)

    def ttl_forbidden(self, ttl: int) -> bool:
        """The real server's ``is_ttl_disallowed`` (wire TTL as unsigned)."""
        cfg = self.config
        if cfg.nsup_period != 0 or cfg.allow_ttl_without_nsup:
            return False
        if ttl == 0:
            return cfg.default_ttl != 0
        return ttl not in (p.TTL_NEVER, p.TTL_DONT_UPDATE)

    def _void_time(self, ttl: int, rec: Record | None, now_s: int) -> int:
        if ttl == p.TTL_NEVER:
            return 0
        if ttl == p.TTL_DONT_UPDATE:
            return rec.void_time if rec is not None else 0
        if ttl == 0:
            ttl = self.config.default_ttl
            if ttl == 0:
                return 0
        return now_s + ttl

    # -- reads ---------------------------------------------------------------

    def read(
        self,
        digest: bytes,
        key: bytes | None,
        info1: int,
        ops: list[Op],
        now: int,
        touch_pct: int = 0,
        filter_fn: _expr.Fn | None = None,
        respond_all: bool = False,
    ) -> Outcome:
        """A read; ``touch_pct`` = the request's ``record_ttl`` (read-touch percent)."""
        now_s = now // 1000
        with self.lock:
            rec = self._live(digest, now_s)
            if rec is None:
                return p.RC_NOT_FOUND, 0, 0, None
            # the answer carries the metadata from before a read-touch (a real
            # server touches asynchronously, after answering)
            generation, void_time = rec.generation, rec.void_time
            if not self._read_touch(rec, touch_pct, now):
                return p.RC_PARAMETER, 0, 0, None
            if filter_fn is not None and not self.passes(filter_fn, digest, rec, now):
                return p.RC_FILTERED_OUT, 0, 0, None
            if key is not None and rec.key is not None and rec.key != key:
                return p.RC_KEY_MISMATCH, 0, 0, None
            if info1 & p.INFO1_NOBINDATA:
                return p.RC_OK, generation, void_time, None
            out: list[p.ResponseBin] = []
            if info1 & p.INFO1_GET_ALL:
                out = _ops.all_bins(rec.bins)
            if ops:
                s = _expr.Subject(
                    digest, rec.bins, rec.key, rec.set_name, rec.void_time, rec.lut, now
                )
                try:
                    out.extend(_ops.read_ops(ops, s, respond_all))
                except _ops.OpError as exc:
                    return exc.result_code, 0, 0, None
            return p.RC_OK, generation, void_time, out

    @staticmethod
    def passes(filter_fn: _expr.Fn, digest: bytes, rec: Record, now: int) -> bool:
        """Whether a record passes a filter expression (unknown = no)."""
        if type(filter_fn) is not _expr.Filter:
            s = _expr.Subject(digest, rec.bins, rec.key, rec.set_name, rec.void_time, rec.lut, now)
            return _expr.matches(filter_fn, s)
        # its key part reads the record's key alone; the rest needs a subject
        on_key, rest = filter_fn.on_key, filter_fn.rest
        if on_key is not None and on_key(rec) is not True:
            return False
        if rest is None:
            return True
        s = _expr.Subject(digest, rec.bins, rec.key, rec.set_name, rec.void_time, rec.lut, now)
        v = rest(s)
        return v is not False and v is not _expr.UNKNOWN

    def _read_touch(self, rec: Record, pct: int, now: int) -> bool:
        """Read-touch (server 7.1+, ``as_read_touch_check``); False = bad percent (error 4).

        A read whose percent is 1..100 resets the record's TTL to the one it was
        last written with once less than ``pct`` percent of it is left: the
        generation stays, the last-update time becomes now. 0 = the namespace's
        ``default-read-touch-ttl-pct`` (0 here: off), 0xFFFFFFFF = never.
        """
        if rec.void_time == 0 or pct == p.READ_TOUCH_NEVER or pct == 0:
            return True
        if pct > 100:
            return False
        now_s = now // 1000
        write_ttl = rec.void_time - rec.lut // 1000
        if now_s < rec.void_time - write_ttl * pct // 100:
            return True
        if now_s + write_ttl > rec.void_time:
            rec.void_time = now_s + write_ttl
            rec.lut = now
        return True

    # -- writes --------------------------------------------------------------

    def delete(
        self,
        digest: bytes,
        key: bytes | None,
        info2: int,
        generation: int,
        now: int,
        filter_fn: _expr.Fn | None = None,
    ) -> Outcome:
        with self.lock:
            rec = self._live(digest, now // 1000)
            if rec is None:
                lagging = self.lagging.pop(digest, None) if self.lagging else None
                if lagging is None or now >= lagging[1]:
                    return p.RC_NOT_FOUND, 0, 0, None
                rec = lagging[0]  # truncated, not yet dropped from the index: found
                failed = self._existing_checks(digest, rec, key, info2, generation, now, filter_fn)
                if failed is not None:
                    self.lagging[digest] = lagging
                    return failed
                return p.RC_OK, 0, 0, None
            failed = self._existing_checks(digest, rec, key, info2, generation, now, filter_fn)
            if failed is not None:
                return failed
            self.remove(digest)
            return p.RC_OK, 0, 0, None

    def _existing_checks(
        self,
        digest: bytes,
        rec: Record,
        key: bytes | None,
        info2: int,
        generation: int,
        now: int,
        filter_fn: _expr.Fn | None,
    ) -> Outcome | None:
        """Generation, filter and key checks on an existing record, in the server's order."""
        if info2 & p.INFO2_GENERATION and generation != rec.generation:
            return p.RC_GENERATION, rec.generation, rec.void_time, None
        if info2 & p.INFO2_GENERATION_GT and generation <= rec.generation:
            return p.RC_GENERATION, rec.generation, rec.void_time, None
        if filter_fn is not None and not self.passes(filter_fn, digest, rec, now):
            return p.RC_FILTERED_OUT, rec.generation, rec.void_time, None
        if key is not None and rec.key is not None and rec.key != key:
            return p.RC_KEY_MISMATCH, 0, 0, None
        return None

    def write(
        self,
        digest: bytes,
        set_name: bytes,
        key: bytes | None,
        info2: int,
        info3: int,
        generation: int,
        ttl: int,
        ops: list[Op],
        now: int,
        filter_fn: _expr.Fn | None = None,
    ) -> Outcome:
        """A write or operate: the write semantics in the real server's order.

        A filter applies only to an existing record (a filtered put creates).
        """
        if (
            self.stop_writes
        ):  # a real node refuses before anything else (write_master_preprocessing)
            return p.RC_SERVER_FULL, 0, 0, None
        for op in ops:
            if len(op[2]) > p.MAX_BIN_NAME:
                return p.RC_BIN_NAME, 0, 0, None
        if info3 & (p.INFO3_CREATE_OR_REPLACE | p.INFO3_REPLACE_ONLY) and not self._replace_ok(ops):
            return p.RC_PARAMETER, 0, 0, None
        with self.lock:
            rec = self._live(digest, now // 1000)
            failed = self._existence_checks(rec, info2, info3, generation, ops)
            if failed is not None:
                return failed
            if rec is not None:
                failed = self._existing_checks(digest, rec, key, info2, generation, now, filter_fn)
                if failed is not None:
                    return failed
            if ttl == p.TTL_DONT_UPDATE and rec is None:
                ttl = 0
            if ttl > p.MAX_TTL and ttl not in (p.TTL_NEVER, p.TTL_DONT_UPDATE):
                return p.RC_PARAMETER, 0, 0, None
            if self.ttl_forbidden(ttl):
                return p.RC_FORBIDDEN, 0, 0, None
            return self._apply(digest, set_name, key, rec, info2, info3, ttl, ops, now)

    def _replace_ok(self, ops: list[Op]) -> bool:
        """A real node's rules for a replace (write_master_policies): refused by a
        namespace resolving write conflicts, and only with plain writes of values
        (no bin deletes, touches or modify ops)."""
        if self.config.conflict_resolve_writes:
            return False
        return all(op[0] in _READ_OPS or (op[0] == p.OP_WRITE and op[1] != p.PT_NULL) for op in ops)

    @staticmethod
    def _existence_checks(
        rec: Record | None, info2: int, info3: int, generation: int, ops: list[Op]
    ) -> Outcome | None:
        """Existence policies (and generation checks against a missing record)."""
        if rec is not None:
            if info2 & p.INFO2_CREATE_ONLY:
                return p.RC_EXISTS, rec.generation, rec.void_time, None
            return None
        if info3 & (p.INFO3_UPDATE_ONLY | p.INFO3_REPLACE_ONLY):
            return p.RC_NOT_FOUND, 0, 0, None
        if any(op[0] == p.OP_TOUCH for op in ops):
            return p.RC_NOT_FOUND, 0, 0, None
        # a missing record has generation 0
        if info2 & p.INFO2_GENERATION and generation != 0:
            return p.RC_GENERATION, 0, 0, None
        if info2 & p.INFO2_GENERATION_GT and generation <= 0:
            return p.RC_GENERATION, 0, 0, None
        return None

    def _apply(
        self,
        digest: bytes,
        set_name: bytes,
        key: bytes | None,
        rec: Record | None,
        info2: int,
        info3: int,
        ttl: int,
        ops: list[Op],
        now: int,
    ) -> Outcome:
        """Run the ops on a copy of the bins, then commit (or delete an emptied record)."""
        replace = rec is None or info3 & (p.INFO3_CREATE_OR_REPLACE | p.INFO3_REPLACE_ONLY)
        bins: _ops.Bins = {} if replace or rec is None else dict(rec.bins)
        stored_key = key if key is not None else (rec.key if rec is not None else None)
        if rec is None:
            s = _expr.Subject(digest, bins, stored_key, set_name, 0, 0, now)
        else:
            s = _expr.Subject(digest, bins, stored_key, rec.set_name, rec.void_time, rec.lut, now)
        try:
            out = _ops.write_ops(ops, s, bool(info2 & p.INFO2_RESPOND_ALL_OPS))
        except _ops.OpError as exc:
            return exc.result_code, 0, 0, None
        if not bins:
            if rec is None:
                return p.RC_NOT_FOUND, 0, 0, None
            self.remove(digest)
            return p.RC_OK, 0, 0, out
        if rec is not None and not set_name:  # a background job names no set
            set_name = rec.set_name
        void_time = self._void_time(ttl, rec, now // 1000)
        flat = _capacity.flat_size(bins, stored_key, set_name, void_time)
        if flat > self.config.max_record_size:
            return p.RC_RECORD_TOO_BIG, 0, 0, None
        if set_name and set_name not in self.set_names and self._set_count() >= MAX_SETS:
            return p.RC_PARAMETER, 0, 0, None  # "at set names limit, can't add set"
        gen = ((rec.generation if rec else 0) + 1) & 0xFFFF or 1
        if rec is None:
            self.index.add(digest, stored_key)
            if self.lagging:
                self.lagging.pop(digest, None)  # a new record, not the truncated one
        elif rec.key is None and stored_key is not None:
            self.index.set_key(digest, stored_key)
        set_name = self.set_names.setdefault(set_name, set_name)
        new = Record(bins, gen, void_time, now, stored_key, set_name, _capacity.stored(flat))
        self.data_used_bytes += new.size - (rec.size if rec is not None else 0)
        self.records[digest] = new
        return p.RC_OK, gen, void_time, out

    def _set_count(self) -> int:
        return len(self.set_names) - (b"" in self.set_names)

    # -- truncate ------------------------------------------------------------

    def truncate(self, set_name: bytes | None, threshold: int) -> int:
        """Drop records (of a set, or all) last updated strictly before ``threshold`` ms."""
        with self.lock:
            if set_name is None:
                self.truncate_lut = max(self.truncate_lut, threshold)
                doomed = [d for d, r in self.records.items() if r.lut < threshold]
            else:
                prev = self.set_truncate_lut.get(set_name, 0)
                self.set_truncate_lut[set_name] = max(prev, threshold)
                doomed = [
                    d
                    for d, r in self.records.items()
                    if r.set_name == set_name and r.lut < threshold
                ]
            # A real node drops truncated records from its index in the background:
            # reads miss them at once, but a remove finds one (and answers OK) for
            # about a second (measured on a real 8.1.2 node: issue 24)
            now = p.now_ms()
            until = now + TRUNCATE_LAG_MS
            lagging = {d: e for d, e in self.lagging.items() if e[1] > now}
            for d in doomed:
                lagging[d] = (self.records[d], until)
                self.remove(d)
            self.lagging = lagging
            return len(doomed)

    def purge_expired(self, now_s: int) -> int:
        """nsup: delete expired records (they are already invisible to clients)."""
        with self.lock:
            doomed = [d for d, r in self.records.items() if r.void_time and r.void_time < now_s]
            for d in doomed:
                self.remove(d)
            self.expired_objects += len(doomed)
            return len(doomed)

    def evict(self, now_s: int) -> int:
        """nsup's eviction, when data use is at or past ``evict-used-pct`` (0: off).

        Soonest void time first, by whole buckets, at most ``evict-tenths-pct``
        of the evictable records (see :mod:`._capacity`); returns how many went.
        A real node submits the threshold in one cycle and evicts in the next
        second; here both happen at once.
        """
        cfg = self.config
        with self.lock:
            self.hwm_breached = cfg.evict_used_pct != 0 and self.data_used_pct >= cfg.evict_used_pct
            if not self.hwm_breached:
                return 0
            times = (r.void_time for r in self.records.values() if r.void_time >= now_s)
            threshold = _capacity.evict_void_time(
                times, now_s, cfg.evict_hist_buckets, cfg.evict_tenths_pct
            )
            if threshold <= now_s:
                log.warning(
                    "{%s} no records below eviction void-time (data used-pct %d)",
                    self.name,
                    self.data_used_pct,
                )
                return 0
            doomed = [d for d, r in self.records.items() if 0 < r.void_time < threshold]
            for d in doomed:
                self.remove(d)
            self.evicted_objects += len(doomed)
            self.evict_ttl = threshold - now_s
            return len(doomed)

    def nsup(self, now_s: int) -> tuple[int, int]:
        """One nsup cycle: ``(expired, evicted)``."""
        expired = self.purge_expired(now_s)
        return expired, self.evict(now_s)

    def clear(self) -> None:
        with self.lock:
            self.records.clear()
            self.data_used_bytes = 0
            self.index.clear()
            self.truncate_lut = 0
            self.set_truncate_lut.clear()

    # -- scans ---------------------------------------------------------------

    def partition_records(
        self,
        pid: int,
        set_name: bytes | None,
        after: bytes | None,
        now: int,
        filter_fn: _expr.Fn | None = None,
        limit: int = 0,
    ) -> tuple[list[tuple[bytes, Record]], int]:
        """Live records of one partition (and set) passing a filter, in digest order.

        Starts after the digest ``after``, stops at ``limit`` records (0 = no
        limit); also answers how many records the filter was evaluated on.
        """
        return _walk.partition(self, pid, set_name, after, now, filter_fn, limit)

    def live_records(self, now_s: int) -> list[tuple[bytes, Record]]:
        with self.lock:
            return [
                (d, r) for d, r in self.records.items() if not (r.void_time and r.void_time < now_s)
            ]
