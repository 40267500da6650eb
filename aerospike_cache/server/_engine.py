"""In-memory storage engine: namespaces, records and the server's record semantics.

Everything here is pure Python and independent of sockets; the network layer
(``_server``) parses requests into calls on :class:`Namespace`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from . import _protocol as p

log = logging.getLogger("aerospike_cache.server")

#: one request op: (op code, particle type, bin name, value)
Op = tuple[int, int, bytes, bytes]
#: outcome of a command: (result code, generation, void time, response bins)
Outcome = tuple[int, int, int, list[p.ResponseBin] | None]

_RECORD_OVERHEAD = 40  # flat record header + digest, roughly as a real server stores it
_BIN_OVERHEAD = 8  # name length, flags, particle type, value length


@dataclass
class NamespaceConfig:
    """Configuration of one namespace (names follow ``aerospike.conf``)."""

    name: str
    nsup_period: int = 120
    default_ttl: int = 0
    allow_ttl_without_nsup: bool = False
    max_record_size: int = 1024 * 1024

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 31 or any(c in self.name for c in ":;/\t\n"):
            raise ValueError(f"invalid namespace name {self.name!r}")
        for attr in ("nsup_period", "default_ttl", "max_record_size"):
            if getattr(self, attr) < 0:
                raise ValueError(f"namespace {self.name}: {attr} must be >= 0")
        if self.default_ttl > p.MAX_TTL:
            raise ValueError(f"namespace {self.name}: default_ttl must be <= {p.MAX_TTL}")

    @classmethod
    def from_options(cls, name: str, options: dict[str, Any]) -> NamespaceConfig:
        """Build from a dict whose keys may use dashes or underscores."""
        kwargs: dict[str, Any] = {}
        for key, value in options.items():
            attr = key.replace("-", "_")
            if attr not in (
                "nsup_period",
                "default_ttl",
                "allow_ttl_without_nsup",
                "max_record_size",
            ):
                raise ValueError(f"namespace {name}: unknown option {key!r}")
            if attr == "allow_ttl_without_nsup":
                kwargs[attr] = _to_bool(value)
            else:
                kwargs[attr] = int(value)
        return cls(name, **kwargs)


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
    __slots__ = ("bins", "generation", "key", "lut", "set_name", "void_time")

    def __init__(
        self,
        bins: dict[bytes, tuple[int, bytes]],
        generation: int,
        void_time: int,
        lut: int,
        key: bytes | None,
        set_name: bytes,
    ) -> None:
        self.bins = bins
        self.generation = generation
        self.void_time = void_time
        self.lut = lut
        self.key = key
        self.set_name = set_name


def _record_size(bins: dict[bytes, tuple[int, bytes]], key: bytes | None) -> int:
    size = _RECORD_OVERHEAD
    if key is not None:
        size += len(key) + 2
    for name, (_ptype, value) in bins.items():
        size += _BIN_OVERHEAD + len(name) + len(value)
    return size


def _all_bins(bins: dict[bytes, tuple[int, bytes]]) -> list[p.ResponseBin]:
    return [(name, v[0], v[1]) for name, v in bins.items()]


class UnsupportedError(Exception):
    """A request uses a feature the embedded server does not implement."""

    result_code = p.RC_UNSUPPORTED


class EnterpriseOnlyError(UnsupportedError):
    """An Enterprise Edition feature: a Community Edition server answers 25."""

    result_code = p.RC_ENTERPRISE_ONLY


class Namespace:
    """One namespace: its records, truncate thresholds and a lock."""

    def __init__(self, config: NamespaceConfig) -> None:
        self.config = config
        self.name = config.name
        self.records: dict[bytes, Record] = {}
        self.lock = threading.Lock()
        self.truncate_lut = 0  # ms since 2010, whole namespace
        self.set_truncate_lut: dict[bytes, int] = {}
        self.expired_objects = 0
        self.last_nsup = 0.0  # time.monotonic() of the last nsup cycle

    # -- helpers -------------------------------------------------------------

    def _live(self, digest: bytes, now_s: int) -> Record | None:
        rec = self.records.get(digest)
        if rec is not None and rec.void_time and rec.void_time < now_s:
            del self.records[digest]
            return None
        return rec

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
            if key is not None and rec.key is not None and rec.key != key:
                return p.RC_KEY_MISMATCH, 0, 0, None
            if info1 & p.INFO1_NOBINDATA:
                return p.RC_OK, generation, void_time, None
            out: list[p.ResponseBin] = []
            if info1 & p.INFO1_GET_ALL:
                out = _all_bins(rec.bins)
            for code, _ptype, name, _value in ops:
                if code != p.OP_READ:
                    raise UnsupportedError(f"op {p.OP_NAMES.get(code, code)} in a read")
                if not name:
                    out.extend(_all_bins(rec.bins))
                    continue
                v = rec.bins.get(name)
                if v is not None:
                    out.append((name, v[0], v[1]))
            return p.RC_OK, generation, void_time, out

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
        self, digest: bytes, key: bytes | None, info2: int, generation: int, now: int
    ) -> Outcome:
        if info2 & p.INFO2_DURABLE_DELETE:
            raise EnterpriseOnlyError("durable delete")
        with self.lock:
            rec = self._live(digest, now // 1000)
            if rec is None:
                return p.RC_NOT_FOUND, 0, 0, None
            if info2 & p.INFO2_GENERATION and generation != rec.generation:
                return p.RC_GENERATION, rec.generation, rec.void_time, None
            if info2 & p.INFO2_GENERATION_GT and generation <= rec.generation:
                return p.RC_GENERATION, rec.generation, rec.void_time, None
            if key is not None and rec.key is not None and rec.key != key:
                return p.RC_KEY_MISMATCH, 0, 0, None
            del self.records[digest]
            return p.RC_OK, 0, 0, None

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
    ) -> Outcome:
        now_s = now // 1000
        respond_all = info2 & p.INFO2_RESPOND_ALL_OPS
        for op in ops:
            if len(op[2]) > p.MAX_BIN_NAME:
                return p.RC_BIN_NAME, 0, 0, None
        with self.lock:
            rec = self._live(digest, now_s)
            # 1-2. existence policies
            if rec is None:
                if info3 & (p.INFO3_UPDATE_ONLY | p.INFO3_REPLACE_ONLY):
                    return p.RC_NOT_FOUND, 0, 0, None
                for op in ops:
                    if op[0] == p.OP_TOUCH:
                        return p.RC_NOT_FOUND, 0, 0, None
                cur_gen = 0
            else:
                if info2 & p.INFO2_CREATE_ONLY:
                    return p.RC_EXISTS, rec.generation, rec.void_time, None
                cur_gen = rec.generation
            # 3. generation
            if info2 & p.INFO2_GENERATION and generation != cur_gen:
                return p.RC_GENERATION, cur_gen, rec.void_time if rec else 0, None
            if info2 & p.INFO2_GENERATION_GT and generation <= cur_gen:
                return p.RC_GENERATION, cur_gen, rec.void_time if rec else 0, None
            # key check
            if rec is not None and key is not None and rec.key is not None and rec.key != key:
                return p.RC_KEY_MISMATCH, 0, 0, None
            # 4. TTL
            if ttl == p.TTL_DONT_UPDATE and rec is None:
                ttl = 0
            if ttl > p.MAX_TTL and ttl not in (p.TTL_NEVER, p.TTL_DONT_UPDATE):
                return p.RC_PARAMETER, 0, 0, None
            if self.ttl_forbidden(ttl):
                return p.RC_FORBIDDEN, 0, 0, None
            # 5. ops
            if rec is None or info3 & (p.INFO3_CREATE_OR_REPLACE | p.INFO3_REPLACE_ONLY):
                bins: dict[bytes, tuple[int, bytes]] = {}
            else:
                bins = dict(rec.bins)
            out: list[p.ResponseBin] = []
            for code, ptype, name, value in ops:
                if code == p.OP_WRITE:
                    if ptype == p.PT_NULL:
                        bins.pop(name, None)
                    else:
                        bins[name] = (ptype, value)
                    if respond_all:
                        out.append((name, p.PT_NULL, b""))
                elif code == p.OP_READ:
                    if not name:
                        out.extend(_all_bins(bins))
                    else:
                        v = bins.get(name)
                        if v is not None:
                            out.append((name, v[0], v[1]))
                        elif respond_all:
                            out.append((name, p.PT_NULL, b""))
                elif code == p.OP_INCR:
                    rc = _incr(bins, ptype, name, value)
                    if rc:
                        return rc, 0, 0, None
                    if respond_all:
                        out.append((name, p.PT_NULL, b""))
                elif code == p.OP_APPEND or code == p.OP_PREPEND:
                    if ptype not in (p.PT_STRING, p.PT_BLOB):
                        return p.RC_INCOMPATIBLE_TYPE, 0, 0, None
                    cur = bins.get(name)
                    if cur is None:
                        bins[name] = (ptype, value)
                    elif cur[0] != ptype:
                        return p.RC_INCOMPATIBLE_TYPE, 0, 0, None
                    elif code == p.OP_APPEND:
                        bins[name] = (ptype, cur[1] + value)
                    else:
                        bins[name] = (ptype, value + cur[1])
                    if respond_all:
                        out.append((name, p.PT_NULL, b""))
                elif code == p.OP_TOUCH:
                    if respond_all:
                        out.append((name, p.PT_NULL, b""))
                elif code == p.OP_DELETE:
                    bins = {}
                    if respond_all:
                        out.append((name, p.PT_NULL, b""))
                else:
                    raise UnsupportedError(f"op {p.OP_NAMES.get(code, code)}")
            # 6. nothing left
            if not bins:
                if rec is None:
                    return p.RC_NOT_FOUND, 0, 0, None
                if info2 & p.INFO2_DURABLE_DELETE:
                    raise EnterpriseOnlyError("durable delete")
                del self.records[digest]
                return p.RC_OK, 0, 0, out
            stored_key = key if key is not None else (rec.key if rec is not None else None)
            if _record_size(bins, stored_key) > self.config.max_record_size:
                return p.RC_RECORD_TOO_BIG, 0, 0, None
            # 7. commit
            gen = (cur_gen + 1) & 0xFFFF or 1
            void_time = self._void_time(ttl, rec, now_s)
            self.records[digest] = Record(bins, gen, void_time, now, stored_key, set_name)
            return p.RC_OK, gen, void_time, out

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
            for d in doomed:
                del self.records[d]
            return len(doomed)

    def purge_expired(self, now_s: int) -> int:
        """nsup: delete expired records (they are already invisible to clients)."""
        with self.lock:
            doomed = [d for d, r in self.records.items() if r.void_time and r.void_time < now_s]
            for d in doomed:
                del self.records[d]
            self.expired_objects += len(doomed)
            return len(doomed)

    def clear(self) -> None:
        with self.lock:
            self.records.clear()
            self.truncate_lut = 0
            self.set_truncate_lut.clear()

    # -- scans ---------------------------------------------------------------

    def scan_partition(
        self, pid: int, set_name: bytes | None, after: bytes | None, limit: int, now_s: int
    ) -> list[tuple[bytes, Record]]:
        """Live records of one partition (and set), in digest order, after a digest."""
        with self.lock:
            found = []
            for d, r in self.records.items():
                if (d[0] | (d[1] << 8)) & 4095 != pid:
                    continue
                if set_name is not None and r.set_name != set_name:
                    continue
                if r.void_time and r.void_time < now_s:
                    continue
                if after is not None and d <= after:
                    continue
                found.append((d, r))
        found.sort(key=lambda item: item[0])
        if limit:
            del found[limit:]
        return found

    def live_records(self, now_s: int) -> list[tuple[bytes, Record]]:
        with self.lock:
            return [
                (d, r) for d, r in self.records.items() if not (r.void_time and r.void_time < now_s)
            ]


def _incr(bins: dict[bytes, tuple[int, bytes]], ptype: int, name: bytes, value: bytes) -> int:
    if ptype == p.PT_INTEGER:
        if len(value) != 8:
            return p.RC_PARAMETER
        cur = bins.get(name)
        if cur is None:
            bins[name] = (ptype, value)
            return 0
        if cur[0] != p.PT_INTEGER:
            return p.RC_INCOMPATIBLE_TYPE
        total = p.I64.unpack(cur[1])[0] + p.I64.unpack(value)[0]
        total = (total + (1 << 63)) % (1 << 64) - (1 << 63)  # int64 wrap, like the server
        bins[name] = (ptype, p.I64.pack(total))
        return 0
    if ptype == p.PT_FLOAT:
        if len(value) != 8:
            return p.RC_PARAMETER
        cur = bins.get(name)
        if cur is None:
            bins[name] = (ptype, value)
            return 0
        if cur[0] != p.PT_FLOAT:
            return p.RC_INCOMPATIBLE_TYPE
        bins[name] = (ptype, p.F64.pack(p.F64.unpack(cur[1])[0] + p.F64.unpack(value)[0]))
        return 0
    return p.RC_INCOMPATIBLE_TYPE
