"""The bin operations of one command, applied in order to a record's bins.

Used by :class:`~._engine.Namespace` for reads, writes and ``operate``; each
op sees the bins as the earlier ops of the same command left them.
"""

from __future__ import annotations

import functools
from typing import Any

from . import _expr, _mapops
from . import _msgpack as mp
from . import _protocol as p
from ._protocol import UnsupportedError
from ._values import OpError as OpError

Bins = dict[bytes, tuple[int, bytes]]
#: one request op: (op code, particle type, bin name, value)
Op = tuple[int, int, bytes, bytes]

# expression op flags (as_exp_flags)
_EXP_CREATE_ONLY = 1
_EXP_UPDATE_ONLY = 2
_EXP_ALLOW_DELETE = 4
_EXP_POLICY_NO_FAIL = 8
_EXP_EVAL_NO_FAIL = 16


def all_bins(bins: Bins) -> list[p.ResponseBin]:
    return [(name, v[0], v[1]) for name, v in bins.items()]


def read_ops(ops: list[Op], s: _expr.Subject, respond_all: bool = False) -> list[p.ResponseBin]:
    """Reads (bins, expressions, map reads) of a read command."""
    out: list[p.ResponseBin] = []
    bins = s.bins
    for code, _ptype, name, value in ops:
        if code == p.OP_READ:
            _read_bin(out, bins, name, False)
        elif code == p.OP_EXP_READ:
            out.append(_exp_read(name, value, s))
        elif code == p.OP_CDT_READ:
            _cdt(out, bins, name, value, False, respond_all)
        else:
            raise UnsupportedError(f"op {p.OP_NAMES.get(code, code)} in a read")
    return out


def write_ops(ops: list[Op], s: _expr.Subject, respond_all: bool) -> list[p.ResponseBin]:
    """Apply the ops of a write to ``s.bins`` in place; raise :class:`OpError` on failure."""
    out: list[p.ResponseBin] = []
    bins = s.bins
    for code, ptype, name, value in ops:
        if code == p.OP_READ:
            _read_bin(out, bins, name, respond_all)
            continue
        if code == p.OP_EXP_READ:
            out.append(_exp_read(name, value, s))
            continue
        if code == p.OP_CDT_MODIFY or code == p.OP_CDT_READ:
            _cdt(out, bins, name, value, code == p.OP_CDT_MODIFY, respond_all)
            continue
        if code == p.OP_WRITE:
            if ptype == p.PT_NULL:
                bins.pop(name, None)
            elif ptype == p.PT_MAP:
                bins[name] = (ptype, _mapops.normalize_bin(value))
            else:
                bins[name] = (ptype, value)
        elif code == p.OP_INCR:
            _incr(bins, ptype, name, value)
        elif code == p.OP_APPEND or code == p.OP_PREPEND:
            _append(bins, code, ptype, name, value)
        elif code == p.OP_DELETE:
            bins.clear()
        elif code == p.OP_EXP_MODIFY:
            _exp_modify(name, value, s)
        elif code != p.OP_TOUCH:
            raise UnsupportedError(f"op {p.OP_NAMES.get(code, code)}")
        if respond_all:
            out.append((name, p.PT_NULL, b""))
    return out


def _read_bin(out: list[p.ResponseBin], bins: Bins, name: bytes, respond_all: bool) -> None:
    """A read op: one bin, or every bin when the name is empty."""
    if not name:
        out.extend(all_bins(bins))
        return
    v = bins.get(name)
    if v is not None:
        out.append((name, v[0], v[1]))
    elif respond_all:
        out.append((name, p.PT_NULL, b""))


def _cdt(
    out: list[p.ResponseBin], bins: Bins, name: bytes, data: bytes, modify: bool, respond_all: bool
) -> None:
    """A CDT op: map ops run here (list ops are not supported). Its result joins the
    answer when there is one, or always with respond-all-ops (write_master)."""
    result = _mapops.run(bins, name, data, modify)
    particle = _mapops.to_particle(result)
    if particle is not None:
        out.append((name, particle[0], particle[1]))
    elif respond_all:
        out.append((name, p.PT_NULL, b""))


def _append(bins: Bins, code: int, ptype: int, name: bytes, value: bytes) -> None:
    if ptype not in (p.PT_STRING, p.PT_BLOB):
        raise OpError(p.RC_INCOMPATIBLE_TYPE)
    cur = bins.get(name)
    if cur is None:
        bins[name] = (ptype, value)
    elif cur[0] != ptype:
        raise OpError(p.RC_INCOMPATIBLE_TYPE)
    elif code == p.OP_APPEND:
        bins[name] = (ptype, cur[1] + value)
    else:
        bins[name] = (ptype, value + cur[1])


def _incr(bins: Bins, ptype: int, name: bytes, value: bytes) -> None:
    if ptype not in (p.PT_INTEGER, p.PT_FLOAT):
        raise OpError(p.RC_INCOMPATIBLE_TYPE)
    if len(value) != 8:
        raise OpError(p.RC_PARAMETER)
    cur = bins.get(name)
    if cur is None:
        bins[name] = (ptype, value)
        return
    if cur[0] != ptype:
        raise OpError(p.RC_INCOMPATIBLE_TYPE)
    if ptype == p.PT_INTEGER:
        total = p.I64.unpack(cur[1])[0] + p.I64.unpack(value)[0]
        total = (total + (1 << 63)) % (1 << 64) - (1 << 63)  # int64 wrap, like the server
        bins[name] = (ptype, p.I64.pack(total))
    else:
        bins[name] = (ptype, p.F64.pack(p.F64.unpack(cur[1])[0] + p.F64.unpack(value)[0]))


# -- expression operations ------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _compile_op(data: bytes, modify: bool) -> tuple[_expr.Fn, int]:
    """An expression op's value: ``[expression, flags]`` (as_exp_op_parse)."""
    try:
        parts = mp.unpack(data, particles=False, keep_flags=True)
    except mp.MsgpackError as exc:
        raise _expr.ExprError(f"malformed expression op: {exc}") from None
    if not isinstance(parts, list) or not 1 <= len(parts) <= 2:
        raise _expr.ExprError("an expression op is [expression, flags]")
    flags = parts[1] if len(parts) == 2 else 0
    allowed = 0x1F if modify else _EXP_EVAL_NO_FAIL
    if type(flags) is not int or flags & ~allowed:
        raise _expr.ExprError(f"invalid expression op flags {flags!r}")
    return _expr.compile_node(parts[0]), flags


def _exp_read(name: bytes, data: bytes, s: _expr.Subject) -> p.ResponseBin:
    fn, flags = _compile_op(data, False)
    value = fn(s)
    if value is _expr.UNKNOWN:
        if not flags & _EXP_EVAL_NO_FAIL:
            raise OpError(p.RC_OP_NOT_APPLICABLE)
        value = None
    particle = _expr.to_particle(value)
    if particle is None:
        return name, p.PT_NULL, b""
    return name, particle[0], particle[1]


def _exp_modify(name: bytes, data: bytes, s: _expr.Subject) -> None:
    """as_exp_modify_tr: the bin policy flags, then the value (nil deletes)."""
    fn, flags = _compile_op(data, True)
    bins = s.bins
    live = name in bins
    if live and flags & _EXP_CREATE_ONLY:
        _policy_fail(flags, p.RC_BIN_EXISTS)
        return
    if not live and flags & _EXP_UPDATE_ONLY:
        _policy_fail(flags, p.RC_BIN_NOT_FOUND)
        return
    value: Any = fn(s)
    if value is _expr.UNKNOWN:
        if flags & _EXP_EVAL_NO_FAIL:
            return
        raise OpError(p.RC_OP_NOT_APPLICABLE)
    particle = _expr.to_particle(value)
    if particle is not None:
        bins[name] = particle
    elif live:
        # the real server tests ``flags && POLICY_NO_FAIL``: any flag keeps the bin quietly
        if not flags & _EXP_ALLOW_DELETE:
            if not flags:
                raise OpError(p.RC_OP_NOT_APPLICABLE)
            return
        del bins[name]


def _policy_fail(flags: int, rc: int) -> None:
    if not flags & _EXP_POLICY_NO_FAIL:
        raise OpError(rc)
