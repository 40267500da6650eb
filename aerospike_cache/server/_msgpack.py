"""The msgpack subset Aerospike speaks: list/map bins and filter expressions.

Aerospike prefixes every string-family msgpack value with a particle type
byte: ``0x03`` + UTF-8 for a string, ``0x04`` + bytes for a blob (``0x17`` for
GeoJSON). :func:`unpack` with ``particles=True`` turns those into ``str`` and
``bytes``; with ``particles=False`` every string-family value stays raw
``bytes`` (the structure of an expression: bin names, regexes, variable names).
Map and list flags (a leading element of extension type) are dropped on
decoding, unless ``keep_flags`` asks for :class:`FlaggedMap`/:class:`FlaggedList`
(what a bin's stored order is made of, see :mod:`._mapops`).
"""

from __future__ import annotations

import struct
from typing import Any

PARTICLE_STRING = 3
PARTICLE_BLOB = 4
PARTICLE_GEOJSON = 23
#: the extension type of the comparison-only values (wildcard 0, infinity 1)
CMP_EXT_TYPE = 0xFF

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


class Geo(str):
    """A GeoJSON string inside a list or map (kept apart from plain strings)."""


class FlaggedMap(dict[Any, Any]):
    """A map with its Aerospike flags (1 key-ordered, 3 key-value-ordered, 8 preserve order)."""

    __slots__ = ("flags",)

    def __init__(self, flags: int, *args: Any) -> None:
        super().__init__(*args)
        self.flags = flags


def map_flags(value: Any) -> int:
    """A map's Aerospike flags: a :class:`FlaggedMap`'s own, 0 for a plain dict."""
    return value.flags if type(value) is FlaggedMap else 0


class FlaggedList(list[Any]):
    """A list with its Aerospike flags (1 ordered)."""

    __slots__ = ("flags",)

    def __init__(self, flags: int, *args: Any) -> None:
        super().__init__(*args)
        self.flags = flags


def unpack(data: bytes, particles: bool = True, keep_flags: bool = False) -> Any:
    """Decode exactly one msgpack value that fills ``data``."""
    value, pos = unpack_from(data, 0, particles, keep_flags)
    if pos != len(data):
        raise MsgpackError(f"{len(data) - pos} trailing bytes after a msgpack value")
    return value


def unpack_from(
    data: bytes, pos: int, particles: bool = True, keep_flags: bool = False
) -> tuple[Any, int]:
    """Decode one msgpack value at ``pos``; answer it and the position after it."""
    try:
        return _Reader(data, particles, keep_flags).read(pos)
    except (IndexError, struct.error) as exc:
        raise MsgpackError(f"truncated msgpack: {exc}") from None


class _Reader:
    __slots__ = ("data", "keep_flags", "particles")

    def __init__(self, data: bytes, particles: bool, keep_flags: bool = False) -> None:
        self.data = data
        self.particles = particles
        self.keep_flags = keep_flags

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
        out: list[Any] = []
        for i in range(n):
            value, pos = self.read(pos)
            if i == 0 and isinstance(value, Ext) and value.type != CMP_EXT_TYPE:  # list flags
                if self.keep_flags and value.type:
                    out = FlaggedList(value.type)
                continue
            out.append(value)
        return out, pos

    def _map(self, pos: int, n: int) -> tuple[dict[Any, Any], int]:
        out: dict[Any, Any] = {}
        for i in range(n):
            key, pos = self.read(pos)
            value, pos = self.read(pos)
            if i == 0 and isinstance(key, Ext):  # map flags (ordered map)
                if self.keep_flags and key.type:
                    out = FlaggedMap(key.type)
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


_SKIP_FIXED = {
    0xC0: 0, 0xC2: 0, 0xC3: 0, 0xCA: 4, 0xCB: 8, 0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8,
    0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8, 0xD4: 2, 0xD5: 3, 0xD6: 5, 0xD7: 9, 0xD8: 17,
}  # fmt: skip


def skip(data: bytes, pos: int) -> int:
    """The position after the msgpack value at ``pos``, without decoding it."""
    count = 1
    try:
        while count:
            b = data[pos]
            pos += 1
            count -= 1
            if b <= 0x7F or b >= 0xE0:
                continue
            if b >= 0xA0 and b <= 0xBF:
                pos += b & 0x1F
            elif b >= 0x90 and b <= 0x9F:
                count += b & 0x0F
            elif b <= 0x8F:
                count += 2 * (b & 0x0F)
            elif b in _SKIP_FIXED:
                pos += _SKIP_FIXED[b]
            elif b in (0xC4, 0xD9):
                pos += 1 + data[pos]
            elif b in (0xC5, 0xDA):
                pos += 2 + _H.unpack_from(data, pos)[0]
            elif b in (0xC6, 0xDB):
                pos += 4 + _I.unpack_from(data, pos)[0]
            elif b == 0xDC or b == 0xDE:
                count += _H.unpack_from(data, pos)[0] * (2 if b == 0xDE else 1)
                pos += 2
            elif b == 0xDD or b == 0xDF:
                count += _I.unpack_from(data, pos)[0] * (2 if b == 0xDF else 1)
                pos += 4
            elif b == 0xC7:
                pos += 2 + data[pos]
            elif b == 0xC8:
                pos += 3 + _H.unpack_from(data, pos)[0]
            elif b == 0xC9:
                pos += 5 + _I.unpack_from(data, pos)[0]
            else:
                raise MsgpackError(f"msgpack type byte {b:#x} is not supported")
    except (IndexError, struct.error) as exc:
        raise MsgpackError(f"truncated msgpack: {exc}") from None
    if pos > len(data):
        raise MsgpackError("truncated msgpack")
    return pos


def split_map(
    data: bytes,
) -> tuple[int, list[Any], list[bytes | None], list[bytes | None], list[tuple[Any, ...]]]:
    """A map's flags, decoded keys, each key's and value's msgpack bytes, and each key's
    place in the value order (what ``_values.order_key`` answers, read off the bytes)."""
    reader = _Reader(data, True, True)
    b = data[0]
    if 0x80 <= b <= 0x8F:
        n, pos = b & 0x0F, 1
    elif b == 0xDE:
        n, pos = _H.unpack_from(data, 1)[0], 3
    elif b == 0xDF:
        n, pos = _I.unpack_from(data, 1)[0], 5
    else:
        raise MsgpackError("not a map")
    flags = 0
    keys: list[Any] = []
    kraw: list[bytes | None] = []
    vraw: list[bytes | None] = []
    order: list[tuple[Any, ...]] = []
    for i in range(n):
        start = pos
        b = data[pos]
        if 0xA1 <= b <= 0xBF and data[pos + 1] == PARTICLE_STRING:  # the common key
            pos += 1 + (b & 0x1F)
            utf8 = data[start + 2 : pos]
            key: Any = utf8.decode("utf-8", "surrogateescape")
            rank: tuple[Any, ...] = (4, utf8)
        else:
            key, pos = reader.read(pos)
            rank = ()
        mid = pos
        b = data[pos]
        pos = pos + 1 if b <= 0x7F or b >= 0xE0 or b in (0xC0, 0xC2, 0xC3) else skip(data, pos)
        if i == 0 and isinstance(key, Ext):
            flags = key.type
            continue
        keys.append(key)
        kraw.append(data[start:mid])
        vraw.append(data[mid:pos])
        order.append(rank)
    if pos != len(data):
        raise MsgpackError(f"{len(data) - pos} trailing bytes after a map")
    return flags, keys, kraw, vraw, order


def map_header(n: int, flags: int) -> bytes:
    """A map's header for ``n`` entries, with its flags element when it has flags."""
    out = bytearray()
    _pack_len(out, n + (1 if flags else 0), 0x80, 0xDE, 0xDF)
    if flags:
        out += bytes((0xC7, 0, flags, 0xC0))
    return bytes(out)


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
        flags = value.flags if type(value) is FlaggedList else 0
        _pack_len(out, len(value) + (1 if flags else 0), 0x90, 0xDC, 0xDD)
        if flags:
            out += bytes((0xC7, 0, flags))
        for item in value:
            _pack_into(out, item)
    elif isinstance(value, dict):
        # the flags: an empty extension of that type, paired with nil
        out += map_header(len(value), map_flags(value))
        for k, v in value.items():
            _pack_into(out, k)
            _pack_into(out, v)
    else:
        raise TypeError(f"cannot msgpack a {type(value).__name__}")


def _pack_int(out: bytearray, value: int) -> None:
    """The shortest form, as a real node compacts integers (msgpack_compactify_element)."""
    if value >= 0:
        if value <= 0x7F:
            out.append(value)
        elif value <= 0xFF:
            out += bytes((0xCC, value))
        elif value <= 0xFFFF:
            out.append(0xCD)
            out += _H.pack(value)
        elif value <= 0xFFFFFFFF:
            out.append(0xCE)
            out += _I.pack(value)
        else:
            out.append(0xCF)
            out += _Q.pack(value)
    elif value >= -32:
        out += _b.pack(value)
    elif value >= -0x80:
        out.append(0xD0)
        out += _b.pack(value)
    elif value >= -0x8000:
        out.append(0xD1)
        out += _h.pack(value)
    elif value >= -0x80000000:
        out.append(0xD2)
        out += _i.pack(value)
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
