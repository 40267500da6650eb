"""A tiny raw-protocol client for tests that need bytes the official client never sends."""

from __future__ import annotations

import hashlib
import socket
import struct

HEADER = struct.Struct(">BBBBBBIIIHH")


def digest(set_name: str, key: str) -> bytes:
    data = set_name.encode() + b"\x03" + key.encode()
    return hashlib.new("ripemd160", data).digest()


def field(ftype: int, data: bytes) -> bytes:
    return struct.pack(">IB", len(data) + 1, ftype) + data


def op(code: int, ptype: int, name: bytes, value: bytes) -> bytes:
    return (
        struct.pack(">IBBBB", 4 + len(name) + len(value), code, ptype, 0, len(name)) + name + value
    )


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


def recv_exact(sock: socket.socket, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed")
        out += chunk
    return bytes(out)


def roundtrip(host: str, port: int, frame: bytes) -> tuple[int, int, bytes]:
    """Send one frame, return (proto type, result code of the first message, body)."""
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(frame)
        (word,) = struct.unpack(">Q", recv_exact(sock, 8))
        body = recv_exact(sock, word & 0xFFFFFFFFFFFF)
        mtype = (word >> 48) & 0xFF
        rc = body[5] if mtype in (3, 4) and len(body) >= 22 else -1
        return mtype, rc, body


def info(host: str, port: int, *commands: str) -> str:
    body = "".join(c + "\n" for c in commands).encode()
    frame = struct.pack(">Q", (2 << 56) | (1 << 48) | len(body)) + body
    _t, _rc, answer = roundtrip(host, port, frame)
    return answer.decode()
