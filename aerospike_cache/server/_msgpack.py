"""The msgpack subset Aerospike speaks: list/map bins and filter expressions.

Aerospike prefixes every string-family msgpack value with a particle type
byte: ``0x03`` + UTF-8 for a string, ``0x04`` + bytes for a blob (``0x17`` for
GeoJSON). :func:`unpack` with ``particles=True`` turns those into ``str`` and
``bytes``; with ``particles=False`` every string-family value stays raw
``bytes`` (the structure of an expression: bin names, regexes, variable names).
Map flags (a leading key of extension type) are dropped on decoding; a map
flagged key-ordered decodes as a :class:`KeyOrderedMap` (comparisons need to
know: a real node does not compare a structure holding an unordered map).
"""

from __future__ import annotations

import struct
from typing import Any

PARTICLE_STRING = 3
PARTICLE_BLOB = 4
PARTICLE_GEOJSON = 23

_B = struct.Struct(">B")
_H = struct.Struct(">H")
_I = struct.Struct(">I")
_Q = struct.Struct(">Q")
_b = struct.Struct(">b")
_h = struct.Struct(">h")
_i = struct.Struct(">i")
_q = struct.Struct(">q")
_f = struct.Struct(">f")
_d = struct.Struct(">d")


class MsgpackError(ValueError):
    """Malformed msgpack."""


class Ext:
    """A msgpack extension value (Aerospike uses them for map and list flags)."""

    __slots__ = ("data", "type")

    def __init__(self, type_: int, data: bytes) -> None:
        self.type = type_
        self.data = data


#: AS_PACKED_MAP_FLAG_K_ORDERED: the map's entries are stored in key order
MAP_K_ORDERED = 0x01
#: the flags entry of a key-ordered map as a C client packs it: ext8, no data, type 1; nil
_K_ORDERED_FLAGS = b"\xc7\x00\x01\xc0"


class KeyOrderedMap(dict):  # type: ignore[type-arg]
    """A map flagged key-ordered (``aerospike.KeyOrderedDict``, a map policy's order)."""

    __slots__ = ()


class Geo(str):
    """A GeoJSON string inside a list or map (kept apart from plain strings)."""


def unpack(data: bytes, particles: bool = True) -> Any:
    """Decode exactly one msgpack value that fills ``data``."""
    value, pos = unpack_from(data, 0, particles)
    if pos != len(data):
        raise MsgpackError(f"{len(data) - pos} trailing bytes after a msgpack value")
    return value


def unpack_from(data: bytes, pos: int, particles: bool = True) -> tuple[Any, int]:
    """Decode one msgpack value at ``pos``; answer it and the position after it."""
    try:
        return _Reader(data, particles).read(pos)
    except (IndexError, struct.error) as exc:
        raise MsgpackError(f"truncated msgpack: {exc}") from None


class _Reader:
    __slots__ = ("data", "particles")

    def __init__(self, data: bytes, particles: bool) -> None:
        self.data = data
        self.particles = particles

    def read(self, pos: int) -> tuple[Any, int]:
        data = self.data
        b = data[pos]
        pos += 1
        if b <= 0x7F:
            return b, pos
        if b >= 0xE0:
            return b - 0x100, pos
        if 0xA0 <= b <= 0xBF:
            return self._str(pos, b & 0x1F)
        if 0x90 <= b <= 0x9F:
            return self._array(pos, b & 0x0F)
        if 0x80 <= b <= 0x8F:
            return self._map(pos, b & 0x0F)
        return self._typed(b, pos)

    def _typed(self, b: int, pos: int) -> tuple[Any, int]:
        data = self.data
        if b == 0xC0:
            return None, pos
        if b in (0xC2, 0xC3):
            return b == 0xC3, pos
        fixed = _FIXED.get(b)
        if fixed is not None:
            st, size = fixed
            return st.unpack_from(data, pos)[0], pos + size
        if b in (0xD9, 0xC4):
            return self._str(pos + 1, data[pos])
        if b in (0xDA, 0xC5):
            return self._str(pos + 2, _H.unpack_from(data, pos)[0])
        if b in (0xDB, 0xC6):
            return self._str(pos + 4, _I.unpack_from(data, pos)[0])
        if b == 0xDC:
            return self._array(pos + 2, _H.unpack_from(data, pos)[0])
        if b == 0xDD:
            return self._array(pos + 4, _I.unpack_from(data, pos)[0])
        if b == 0xDE:
            return self._map(pos + 2, _H.unpack_from(data, pos)[0])
        if b == 0xDF:
            return self._map(pos + 4, _I.unpack_from(data, pos)[0])
        ext = _EXT_FIXED.get(b)
        if ext is not None:
            return Ext(data[pos], bytes(data[pos + 1 : pos + 1 + ext])), pos + 1 + ext
        if b in (0xC7, 0xC8, 0xC9):
            st = (_B, _H, _I)[b - 0xC7]
            n = st.unpack_from(data, pos)[0]
            pos += st.size
            return Ext(data[pos], bytes(data[pos + 1 : pos + 1 + n])), pos + 1 + n
        raise MsgpackError(f"msgpack type byte {b:#x} is not supported")

    def _str(self, pos: int, n: int) -> tuple[Any, int]:
        end = pos + n
        if end > len(self.data):
            raise MsgpackError("truncated msgpack string")
        raw = bytes(self.data[pos:end])
        if not self.particles:
            return raw, end
        return particle_value(raw), end

    def _array(self, pos: int, n: int) -> tuple[list[Any], int]:
        out = []
        for _ in range(n):
            value, pos = self.read(pos)
            if not isinstance(value, Ext):  # list flags
                out.append(value)
        return out, pos

    def _map(self, pos: int, n: int) -> tuple[dict[Any, Any], int]:
        out: dict[Any, Any] = {}
        for _ in range(n):
            key, pos = self.read(pos)
            value, pos = self.read(pos)
            if isinstance(key, Ext):  # map flags
                if key.type & MAP_K_ORDERED and not out:
                    out = KeyOrderedMap()
                continue
            if isinstance(key, (list, dict)):
                raise MsgpackError("a map key must be a scalar")
            out[key] = value
        return out, pos


_FIXED = {
    0xCA: (_f, 4),
    0xCB: (_d, 8),
    0xCC: (_B, 1),
    0xCD: (_H, 2),
    0xCE: (_I, 4),
    0xCF: (_Q, 8),
    0xD0: (_b, 1),
    0xD1: (_h, 2),
    0xD2: (_i, 4),
    0xD3: (_q, 8),
}
_EXT_FIXED = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}


def particle_value(raw: bytes) -> Any:
    """A string-family msgpack value by its leading particle type byte."""
    if not raw:
        return b""
    kind = raw[0]
    if kind == PARTICLE_STRING:
        return raw[1:].decode("utf-8", "surrogateescape")
    if kind == PARTICLE_GEOJSON:
        return Geo(raw[1:].decode("utf-8", "surrogateescape"))
    return raw[1:]  # a blob (or a language-specific blob type)


def pack(value: Any) -> bytes:
    """Encode a value the way Aerospike stores it in a list or map bin."""
    out = bytearray()
    _pack_into(out, value)
    return bytes(out)


def _pack_into(out: bytearray, value: Any) -> None:
    if value is None:
        out.append(0xC0)
    elif value is True or value is False:
        out.append(0xC3 if value else 0xC2)
    elif isinstance(value, int):
        _pack_int(out, value)
    elif isinstance(value, float):
        out.append(0xCB)
        out += _d.pack(value)
    elif isinstance(value, str):
        kind = PARTICLE_GEOJSON if isinstance(value, Geo) else PARTICLE_STRING
        _pack_str(out, bytes([kind]) + value.encode("utf-8", "surrogateescape"))
    elif isinstance(value, (bytes, bytearray)):
        _pack_str(out, bytes([PARTICLE_BLOB]) + bytes(value))
    elif isinstance(value, list):
        _pack_len(out, len(value), 0x90, 0xDC, 0xDD)
        for item in value:
            _pack_into(out, item)
    elif isinstance(value, dict):
        if type(value) is KeyOrderedMap:
            _pack_len(out, len(value) + 1, 0x80, 0xDE, 0xDF)
            out += _K_ORDERED_FLAGS  # entries as decoded: in key order already
        else:
            _pack_len(out, len(value), 0x80, 0xDE, 0xDF)
        for k, v in value.items():
            _pack_into(out, k)
            _pack_into(out, v)
    else:
        raise TypeError(f"cannot msgpack a {type(value).__name__}")


def _pack_int(out: bytearray, value: int) -> None:
    if 0 <= value <= 0x7F or -32 <= value < 0:
        out += _b.pack(value) if value < 0 else _B.pack(value)
    elif value >= 0:
        out.append(0xCF)
        out += _Q.pack(value)
    else:
        out.append(0xD3)
        out += _q.pack(value)


def _pack_str(out: bytearray, raw: bytes) -> None:
    n = len(raw)
    if n < 32:
        out.append(0xA0 | n)
    elif n < 0x100:
        out += bytes((0xD9, n))
    elif n < 0x10000:
        out.append(0xDA)
        out += _H.pack(n)
    else:
        out.append(0xDB)
        out += _I.pack(n)
    out += raw


def _pack_len(out: bytearray, n: int, fix: int, b16: int, b32: int) -> None:
    if n < 16:
        out.append(fix | n)
    elif n < 0x10000:
        out.append(b16)
        out += _H.pack(n)
    else:
        out.append(b32)
        out += _I.pack(n)
