"""A tiny raw-protocol client for tests that need bytes the official client never sends.

The helpers speak the reference's wire format and assume nothing about our
server. Tests sending AS_MSG frames with them take the ``raw_target`` fixture:
a raw socket skips the client's partition routing and login, so they run on the
embedded server or a single-node real cluster; info frames run everywhere.
"""

from __future__ import annotations

import hashlib
import socket
import struct
import zlib
from dataclasses import dataclass
from dataclasses import field as dc_field

HEADER = struct.Struct(">BBBBBBIIIHH")
CITRUSLEAF_EPOCH = 1262304000


def digest(set_name: str, key: str) -> bytes:
    data = set_name.encode() + b"\x03" + key.encode()
    return hashlib.new("ripemd160", data).digest()


def field(ftype: int, data: bytes) -> bytes:
    return struct.pack(">IB", len(data) + 1, ftype) + data


def op(code: int, ptype: int, name: bytes, value: bytes) -> bytes:
    return (
        struct.pack(">IBBBB", 4 + len(name) + len(value), code, ptype, 0, len(name)) + name + value
    )


def key_fields(ns: str, set_name: str, user_key: str) -> list[bytes]:
    """NAMESPACE, SET and DIGEST fields of a string user key."""
    return [
        field(0, ns.encode()),
        field(1, set_name.encode()),
        field(4, digest(set_name, user_key)),
    ]


def message(
    info1: int,
    info2: int,
    info3: int,
    fields: list[bytes],
    ops: list[bytes],
    generation: int = 0,
    ttl: int = 0,
) -> bytes:
    body = HEADER.pack(22, info1, info2, info3, 0, 0, generation, ttl, 1000, len(fields), len(ops))
    body += b"".join(fields) + b"".join(ops)
    return struct.pack(">Q", (2 << 56) | (3 << 48) | len(body)) + body


def compressed(frame: bytes) -> bytes:
    """Wrap a whole type-3 frame (header included) as a type-4 frame."""
    body = struct.pack(">Q", len(frame)) + zlib.compress(frame)
    return struct.pack(">Q", (2 << 56) | (4 << 48) | len(body)) + body


def batch_index(rows: list[bytes], parent_flags: int = 0x0D) -> bytes:
    """The BATCH_INDEX field (41) holding ``rows`` (see :func:`batch_row`)."""
    return field(41, struct.pack(">IB", len(rows), parent_flags) + b"".join(rows))


def batch_row(
    index: int,
    row_digest: bytes,
    ns: str | None = None,
    set_name: str = "",
    info1: int = 0x03,
    info2: int = 0,
    info3: int = 0,
) -> bytes:
    """One batch row; ``ns=None`` makes it a REPEAT row (inherits the previous one)."""
    head = struct.pack(">I", index) + row_digest
    if ns is None:
        return head + b"\x01"
    fields = [field(0, ns.encode()), field(1, set_name.encode())]
    return (
        head
        + struct.pack(">BBBB", 0x02, info1, info2, info3)
        + struct.pack(">HH", len(fields), 0)
        + b"".join(fields)
    )


def recv_exact(sock: socket.socket, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed")
        out += chunk
    return bytes(out)


def _recv_frame(sock: socket.socket) -> tuple[int, int, bytes]:
    """(version, proto type, body) of one frame; type-4 bodies come back inflated."""
    (word,) = struct.unpack(">Q", recv_exact(sock, 8))
    body = recv_exact(sock, word & 0xFFFFFFFFFFFF)
    version, mtype = word >> 56, (word >> 48) & 0xFF
    if mtype == 4:
        body = zlib.decompress(body[8:])[8:]
    return version, mtype, body


def roundtrip(host: str, port: int, frame: bytes) -> tuple[int, int, bytes]:
    """Send one frame, return (proto type, result code of the first message, body)."""
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(frame)
        _v, mtype, body = _recv_frame(sock)
        rc = body[5] if mtype in (3, 4) and len(body) >= 22 else -1
        return mtype, rc, body


@dataclass
class Msg:
    """One parsed AS_MSG of a response."""

    info1: int
    info2: int
    info3: int
    result_code: int
    generation: int
    void_time: int
    transaction_ttl: int
    fields: list[tuple[int, bytes]] = dc_field(default_factory=list)
    #: (op code, particle type, bin name, value)
    ops: list[tuple[int, int, bytes, bytes]] = dc_field(default_factory=list)


def parse_messages(body: bytes) -> list[Msg]:
    out = []
    pos = 0
    while pos < len(body):
        hsz, i1, i2, i3, _i4, rc, gen, void, txttl, n_fields, n_ops = HEADER.unpack_from(body, pos)
        assert hsz == 22
        msg = Msg(i1, i2, i3, rc, gen, void, txttl)
        pos += 22
        for _ in range(n_fields):
            size, ftype = struct.unpack_from(">IB", body, pos)
            msg.fields.append((ftype, body[pos + 5 : pos + 4 + size]))
            pos += 4 + size
        for _ in range(n_ops):
            size, code, ptype, _flags, name_len = struct.unpack_from(">IBBBB", body, pos)
            name = body[pos + 8 : pos + 8 + name_len]
            msg.ops.append((code, ptype, name, body[pos + 8 + name_len : pos + 4 + size]))
            pos += 4 + size
        out.append(msg)
    return out


def request(host: str, port: int, frame: bytes, stream: bool = False) -> list[Msg]:
    """Send one AS_MSG frame and parse the answer.

    ``stream=True`` (batch, scan): read frames until a message with info3 LAST.
    """
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(frame)
        msgs: list[Msg] = []
        while True:
            _v, mtype, body = _recv_frame(sock)
            assert mtype in (3, 4), mtype
            msgs.extend(parse_messages(body))
            if not stream or (msgs and msgs[-1].info3 & 0x01):
                return msgs


def info(host: str, port: int, *commands: str) -> str:
    body = "".join(c + "\n" for c in commands).encode()
    frame = struct.pack(">Q", (2 << 56) | (1 << 48) | len(body)) + body
    _t, _rc, answer = roundtrip(host, port, frame)
    return answer.decode()
