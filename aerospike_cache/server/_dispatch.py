"""AS_MSG requests (single record, batch, scan): parse, route, execute, answer.

Every function takes the :class:`~._node.Node` that received the request; the
socket server (:mod:`._server`) only frames bytes in and out.
"""

from __future__ import annotations

import logging
import struct
import time
import zlib
from collections.abc import Iterator
from typing import Any

from . import _expr
from . import _protocol as p
from ._engine import EnterpriseOnlyError, Namespace, Op, Outcome, Record, UnsupportedError
from ._node import Node
from ._partitions import PROXY, SERVE

log = logging.getLogger("aerospike_cache.server")

_MSG_HEADER_unpack_from = p.MSG_HEADER.unpack_from
_FIELD_unpack_from = p.FIELD_HEADER.unpack_from
_OP_unpack_from = p.OP_HEADER.unpack_from
_U64_unpack = p.U64.unpack
_SCAN_FRAME_BYTES = 128 * 1024
_SCAN_FIELDS = (
    p.FIELD_TASK_ID,
    p.FIELD_SOCKET_TIMEOUT,
    p.FIELD_RPS,
    p.FIELD_PID_ARRAY,
    p.FIELD_DIGEST_ARRAY,
    p.FIELD_MAX_RECORDS,
    p.FIELD_QUERY_BINS,
    p.FIELD_FILTER,
)


class Drop(Exception):
    """Close the client socket without answering."""


class ParsedMsg:
    """Fields of one AS_MSG request we care about."""

    __slots__ = (
        "digest",
        "fields",
        "generation",
        "info1",
        "info2",
        "info3",
        "info4",
        "key",
        "namespace",
        "ops",
        "record_ttl",
        "set_name",
        "timeout_ms",
    )

    def __init__(self) -> None:
        self.namespace = ""
        self.set_name = b""
        self.key: bytes | None = None
        self.digest: bytes | None = None
        self.fields: dict[int, bytes] = {}
        self.ops: list[Op] = []
        self.info1 = self.info2 = self.info3 = self.info4 = 0
        self.generation = 0
        self.record_ttl = 0
        self.timeout_ms = 0  # the transaction's server-side timeout (0 = none)


def parse_fields_ops(
    buf: bytes | bytearray, pos: int, n_fields: int, n_ops: int, msg: ParsedMsg
) -> int:
    fields = msg.fields
    for _ in range(n_fields):
        size, ftype = _FIELD_unpack_from(buf, pos)
        start = pos + 5
        pos += 4 + size
        data = buf[start:pos]
        if ftype == p.FIELD_DIGEST:
            msg.digest = bytes(data)
        elif ftype == p.FIELD_NAMESPACE:
            msg.namespace = data.decode("utf-8", "replace")
        elif ftype == p.FIELD_SET:
            msg.set_name = bytes(data)
        elif ftype == p.FIELD_KEY:
            msg.key = bytes(data)
        else:
            fields[ftype] = bytes(data)
    ops = msg.ops
    for _ in range(n_ops):
        size, op, ptype, _flags, name_len = _OP_unpack_from(buf, pos)
        name_end = pos + 8 + name_len
        end = pos + 4 + size
        ops.append((op, ptype, bytes(buf[pos + 8 : name_end]), bytes(buf[name_end:end])))
        pos = end
    return pos


def decompress(body: bytearray) -> bytearray:
    """The inner request of a compressed (type 4) message, without its proto header."""
    (_usize,) = _U64_unpack(body[:8])
    raw = zlib.decompress(bytes(body[8:]))
    return bytearray(raw[8:])


def _parse_msg(body: bytearray) -> ParsedMsg:
    msg = ParsedMsg()
    (
        _hsz,
        msg.info1,
        msg.info2,
        msg.info3,
        msg.info4,
        _rc,
        msg.generation,
        msg.record_ttl,
        msg.timeout_ms,
        n_fields,
        n_ops,
    ) = _MSG_HEADER_unpack_from(body, 0)
    parse_fields_ops(body, p.MSG_HEADER_SIZE, n_fields, n_ops, msg)
    return msg


def handle_msg(node: Node, body: bytearray) -> bytes:
    """Answer one AS_MSG request (raises :class:`Drop` for an injected drop)."""
    try:
        msg = _parse_msg(body)
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        log.warning("malformed AS_MSG (%s): answering parameter error", exc)
        node.counters.add("errors")
        return p.single_response(p.RC_PARAMETER)

    if msg.info1 & p.INFO1_BATCH and p.FIELD_BATCH_INDEX in msg.fields:
        kind = "batch"
    elif msg.digest is None:
        kind = "scan"
    else:
        kind = ""

    faults = node.faults
    if faults.pending:
        fault = faults.take()
        if fault is not None:
            return _fault_answer(node, kind, fault)
    if faults.delay:
        time.sleep(faults.delay)

    try:
        if kind == "batch":
            return handle_batch(node, msg)
        if kind == "scan":
            return handle_scan(node, msg)
        return handle_single(node, msg)
    except UnsupportedError as exc:
        node.record_unsupported(str(exc))
        rc = exc.result_code
    except (ValueError, IndexError, KeyError, UnicodeDecodeError, struct.error) as exc:
        log.warning("malformed request (%s): answering parameter error", exc)
        rc = p.RC_PARAMETER
    node.counters.add("errors")
    if kind:
        return p.frame(p.TYPE_MSG, p.last_message(rc))
    return p.single_response(rc)


def _fault_answer(node: Node, kind: str, fault: int) -> bytes:
    if fault < 0:
        node.counters.add("dropped")
        raise Drop()
    node.counters.add("failed")
    if node.faults.delay:
        time.sleep(node.faults.delay)
    if kind:
        return p.frame(p.TYPE_MSG, p.last_message(fault))
    return p.single_response(fault)


def _check_unsupported_fields(msg: ParsedMsg) -> None:
    for ftype in msg.fields:
        what = p.UNSUPPORTED_FIELDS.get(ftype)
        if what is not None:
            raise UnsupportedError(f"{what} (field {ftype})")


def _route(node: Node, msg: ParsedMsg) -> int:
    """SERVE, or the result code to answer (the partition is not servable here now)."""
    assert msg.digest is not None
    write = bool(msg.info2 & p.INFO2_WRITE)
    rc = node.cluster.route(p.partition_id(msg.digest), write, msg.timeout_ms)
    if rc == PROXY:  # served as the master would: the nodes share one store
        node.counters.add("proxied")
        return SERVE
    return rc


def _filter(wire: bytes | None) -> _expr.Fn | None:
    return None if wire is None else _expr.compile_filter(wire)


def execute(ns: Namespace, msg: ParsedMsg, now: int, batch_filter: bytes | None = None) -> Outcome:
    """Run one single-record command (also a batch row: its own filter wins)."""
    digest = msg.digest
    assert digest is not None
    info2 = msg.info2
    filter_fn = _filter(msg.fields.get(p.FIELD_FILTER, batch_filter))
    if info2 & p.INFO2_WRITE:
        if info2 & p.INFO2_DELETE and not msg.ops:
            return ns.delete(digest, msg.key, info2, msg.generation, now, filter_fn)
        return ns.write(
            digest,
            msg.set_name,
            msg.key,
            info2,
            msg.info3,
            msg.generation,
            msg.record_ttl,
            msg.ops,
            now,
            filter_fn,
        )
    if msg.info1 & p.INFO1_READ:
        respond_all = bool(info2 & p.INFO2_RESPOND_ALL_OPS)
        return ns.read(
            digest, msg.key, msg.info1, msg.ops, now, msg.record_ttl, filter_fn, respond_all
        )
    raise ValueError(f"neither read nor write (info1={msg.info1:#x}, info2={info2:#x})")


def check_edition(node: Node, msg: ParsedMsg) -> None:
    """Durable deletes are an Enterprise feature: a Community node answers 25."""
    if msg.info2 & p.INFO2_DURABLE_DELETE and not node.enterprise:
        raise EnterpriseOnlyError("durable delete")


def handle_single(node: Node, msg: ParsedMsg) -> bytes:
    ns = node.storage.get(msg.namespace)
    if ns is None:
        node.counters.add("errors")
        return p.single_response(p.RC_NAMESPACE)
    if msg.fields:
        _check_unsupported_fields(msg)
    if msg.digest is None or len(msg.digest) != 20:
        raise ValueError("bad digest")
    check_edition(node, msg)
    rc = _route(node, msg)
    if rc == SERVE:
        rc, gen, void_time, bins = execute(ns, msg, p.now_ms())
    else:
        gen, void_time, bins = 0, 0, None
    node.counters.add_many({_single_kind(msg): 1, "commands": 1, "errors": 1 if rc else 0})
    return p.single_response(rc, gen, void_time, bins)


def _single_kind(msg: ParsedMsg) -> str:
    info2 = msg.info2
    if info2 & p.INFO2_WRITE:
        if info2 & p.INFO2_DELETE and not msg.ops:
            return "remove"
        if len(msg.ops) == 1 and msg.ops[0][0] == p.OP_TOUCH:
            return "touch"
        if all(op[0] == p.OP_WRITE for op in msg.ops):
            return "write"
        return "operate"
    if msg.info1 & p.INFO1_NOBINDATA:
        return "exists"
    return "read"


# -- batch ---------------------------------------------------------------------


def _parse_batch_row(data: bytes, pos: int, row: ParsedMsg) -> int:
    """Read a (non-repeat) row's header, fields and ops; returns the next position."""
    u16 = p.U16.unpack_from
    rowflags = data[pos - 1]
    if rowflags & p.BATCH_INFO:
        row.info1, row.info2, row.info3 = data[pos], data[pos + 1], data[pos + 2]
        pos += 3
    else:
        row.info1 = data[pos]
        pos += 1
    if rowflags & p.BATCH_INFO4:
        row.info4 = data[pos]
        pos += 1
    if rowflags & p.BATCH_GEN:
        (row.generation,) = u16(data, pos)
        pos += 2
    if rowflags & p.BATCH_TTL:
        (row.record_ttl,) = p.U32.unpack_from(data, pos)
        pos += 4
    n_fields, n_ops = u16(data, pos)[0], u16(data, pos + 2)[0]
    return parse_fields_ops(data, pos + 4, n_fields, n_ops, row)


def handle_batch(node: Node, msg: ParsedMsg) -> bytes:
    for ftype in msg.fields:
        if ftype not in (p.FIELD_BATCH_INDEX, p.FIELD_FILTER):
            what = p.UNSUPPORTED_FIELDS.get(ftype, f"field {ftype}")
            raise UnsupportedError(f"{what} in a batch request")
    data = msg.fields[p.FIELD_BATCH_INDEX]
    batch_filter = msg.fields.get(p.FIELD_FILTER)
    (n_rows,) = p.U32.unpack_from(data, 0)
    pos = 5  # n_rows + parent flags
    out = bytearray()
    prev: ParsedMsg | None = None
    now = p.now_ms()
    u32, repeat, encode = p.U32.unpack_from, p.BATCH_REPEAT, p.encode_message  # per row
    for _ in range(n_rows):
        (index,) = u32(data, pos)
        digest = bytes(data[pos + 4 : pos + 24])
        rowflags = data[pos + 24]
        pos += 25
        if rowflags & repeat:
            if prev is None:
                raise ValueError("batch REPEAT row without a previous row")
            row = prev
        else:
            row = ParsedMsg()
            row.timeout_ms = msg.timeout_ms
            pos = _parse_batch_row(data, pos, row)
            prev = row
        row.digest = digest
        rc, gen, void_time, bins = batch_row(node, row, now, batch_filter)
        out += encode(rc, gen, void_time, index, bins)
    out += p.last_message(0)
    node.counters.add_many({"batch": 1, "batch_rows": n_rows, "commands": 1})
    return p.frame(p.TYPE_MSG, out)


def batch_row(node: Node, row: ParsedMsg, now: int, batch_filter: bytes | None = None) -> Outcome:
    ns = node.storage.get(row.namespace)
    if ns is None:
        return p.RC_NAMESPACE, 0, 0, None
    assert row.digest is not None
    try:
        if row.fields:
            _check_unsupported_fields(row)
        check_edition(node, row)
        rc = _route(node, row)
        if rc != SERVE:
            return rc, 0, 0, None
        return execute(ns, row, now, batch_filter)
    except UnsupportedError as exc:
        node.record_unsupported(f"{exc} in a batch row")
        return exc.result_code, 0, 0, None
    except ValueError as exc:  # a malformed row (its expression): 4 for this row only
        log.warning("malformed batch row (%s): answering parameter error", exc)
        return p.RC_PARAMETER, 0, 0, None


# -- scan / query -----------------------------------------------------------------


def scan_work(node: Node, fields: dict[int, bytes]) -> dict[int, bytes | None]:
    """Partitions to scan: pid -> resume-after digest (None = from the start).

    A request naming no partitions (a background job: the client sends it to
    every node) covers the partitions this node masters, as on a real node,
    so that each record is visited once across the cluster.
    """
    work: dict[int, bytes | None] = {}
    pids = fields.get(p.FIELD_PID_ARRAY)
    if pids is not None:
        for i in range(0, len(pids) - 1, 2):
            work[pids[i] | (pids[i + 1] << 8)] = None
    digests = fields.get(p.FIELD_DIGEST_ARRAY)
    if digests is not None:
        for i in range(0, len(digests) - 19, 20):
            d = digests[i : i + 20]
            work[p.partition_id(d)] = d
    if pids is None and digests is None:
        work = dict.fromkeys(pid for pid in range(p.N_PARTITIONS) if node.cluster.role(pid) == 0)
    return work


def _check_scan(node: Node, msg: ParsedMsg) -> None:
    for ftype in msg.fields:
        if ftype not in _SCAN_FIELDS:
            what = p.UNSUPPORTED_FIELDS.get(ftype, f"field {ftype}")
            raise UnsupportedError(f"{what} in a scan/query")
    for op in msg.ops:
        if op[0] != p.OP_READ:
            raise UnsupportedError(f"op {p.OP_NAMES.get(op[0], op[0])} in a scan/query")


def handle_scan(node: Node, msg: ParsedMsg) -> bytes:
    if msg.info2 & p.INFO2_WRITE:
        if node.jobs is None:
            raise UnsupportedError("background scan/query writes")
        return node.jobs.start(node, msg)
    _check_scan(node, msg)
    node.counters.add_many({"scan": 1, "commands": 1})
    ns = node.storage.get(msg.namespace)
    if ns is None:
        return p.frame(p.TYPE_MSG, p.last_message(p.RC_NAMESPACE))
    work = scan_work(node, msg.fields)
    max_records = 0
    if p.FIELD_MAX_RECORDS in msg.fields:
        (max_records,) = p.U64.unpack(msg.fields[p.FIELD_MAX_RECORDS][:8])
    filter_fn = _filter(msg.fields.get(p.FIELD_FILTER))
    wanted = [op[2] for op in msg.ops if op[2]]
    frames: list[bytes] = []
    chunk = bytearray()
    for d, r in scan_walk(node, ns, msg.set_name or None, work, filter_fn, max_records):
        chunk += _scan_record(msg, d, r, wanted)
        if len(chunk) >= _SCAN_FRAME_BYTES:
            frames.append(p.frame(p.TYPE_MSG, chunk))
            chunk = bytearray()
    chunk += p.last_message(0)
    frames.append(p.frame(p.TYPE_MSG, chunk))
    return b"".join(frames)


def scan_walk(
    node: Node,
    ns: Namespace,
    set_name: bytes | None,
    work: dict[int, bytes | None],
    filter_fn: _expr.Fn | None,
    max_records: int = 0,
) -> Iterator[tuple[bytes, Record]]:
    """The records a scan/query answers, as a real node walks them.

    Partition by partition in ascending order, each in digest order from its
    resume-after digest; set, liveness and the filter are checked only on the
    records visited, and the walk stops after ``max_records`` (0 = all).
    """
    now = p.now_ms()
    left = max_records
    evaluated = 0
    try:
        for pid in sorted(work):
            found, n = ns.partition_records(pid, set_name, work[pid], now, filter_fn, left)
            evaluated += n
            yield from found
            if max_records:
                left -= len(found)
                if not left:
                    return
    finally:
        if evaluated:  # one count per walk: tests check what a page costs
            node.counters.add("scan_filter_evals", evaluated)


def _scan_record(msg: ParsedMsg, d: bytes, r: Any, wanted: list[bytes]) -> bytearray:
    rfields = [(p.FIELD_NAMESPACE, msg.namespace.encode("utf-8")), (p.FIELD_DIGEST, d)]
    if r.set_name:
        rfields.append((p.FIELD_SET, r.set_name))
    if r.key is not None:
        rfields.append((p.FIELD_KEY, r.key))
    if msg.info1 & p.INFO1_NOBINDATA:
        bins = None
    elif wanted:
        bins = [(n, r.bins[n][0], r.bins[n][1]) for n in wanted if n in r.bins]
    else:
        bins = [(n, v[0], v[1]) for n, v in r.bins.items()]
    return p.encode_message(0, r.generation, r.void_time, 0, bins, fields=rfields)
