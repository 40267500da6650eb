"""Raw frames (reference sections 1, 4, 5, 6 and 10): what the answers look like on the wire.

The assertions are the reference's facts about a real server. The tests that
send AS_MSG frames take ``raw_target``: a raw socket goes to the seed node
whatever partition the digest belongs to and skips the client's routing, retries
and login, so they run on the embedded server and on a single-node real cluster
(on a larger one they would test the set-up, not the server). Info frames
(answered by any node) run everywhere.
"""

from __future__ import annotations

import socket
import struct
import time
from typing import Any

import aerospike
import pytest

from . import _wire

#: sends AS_MSG frames straight to the seed node (see the module docstring)
RAW_MSG = pytest.mark.usefixtures("raw_target")


def _now_2010() -> int:
    return int(time.time()) - _wire.CITRUSLEAF_EPOCH


def _addr(server: Any) -> tuple[str, int]:
    return server.host, server.port


def _int(value: int) -> bytes:
    return value.to_bytes(8, "big", signed=True)


def test_digest_is_ripemd160_of_set_type_and_key(ns: str) -> None:
    for set_name in ("cache", ""):
        assert _wire.digest(set_name, "k1") == bytes(aerospike.calc_digest(ns, set_name, "k1"))


def test_info_frame_header(aerospike_server: Any) -> None:
    with socket.create_connection(_addr(aerospike_server), timeout=5) as sock:
        sock.sendall(struct.pack(">Q", (2 << 56) | (1 << 48) | 6) + b"build\n")
        (word,) = struct.unpack(">Q", _wire.recv_exact(sock, 8))
        assert word >> 56 == 2  # version
        assert (word >> 48) & 0xFF == 1  # INFO
        body = _wire.recv_exact(sock, word & 0xFFFFFFFFFFFF)  # size excludes the 8 bytes
    assert body.startswith(b"build\t") and body.endswith(b"\n")


@RAW_MSG
def test_write_answer_is_a_bare_header(
    aerospike_server: Any, ns: str, aerospike_set: str, client: Any
) -> None:
    fields = _wire.key_fields(ns, aerospike_set, "w")
    frame = _wire.message(0, 0x01, 0, fields, [_wire.op(2, 1, b"n", _int(7))], ttl=1000)
    (msg,) = _wire.request(*_addr(aerospike_server), frame)
    assert (msg.result_code, msg.generation, msg.transaction_ttl) == (0, 1, 0)
    assert msg.fields == [] and msg.ops == []
    # record_ttl carries the void time: seconds since 2010-01-01
    assert abs(msg.void_time - (_now_2010() + 1000)) <= 5
    assert client.get((ns, aerospike_set, "w"))[2] == {"n": 7}


@RAW_MSG
def test_read_answer_has_no_fields_and_read_ops(
    aerospike_server: Any, ns: str, aerospike_set: str, client: Any
) -> None:
    client.put((ns, aerospike_set, "r"), {"n": 7, "s": "x"}, policy={"ttl": -1})
    frame = _wire.message(0x03, 0, 0, _wire.key_fields(ns, aerospike_set, "r"), [])
    (msg,) = _wire.request(*_addr(aerospike_server), frame)
    assert (msg.result_code, msg.generation, msg.void_time, msg.transaction_ttl) == (0, 1, 0, 0)
    assert msg.fields == []
    assert sorted(msg.ops) == [(1, 1, b"n", _int(7)), (1, 3, b"s", b"x")]


@RAW_MSG
def test_exists_answer_is_a_bare_header(
    aerospike_server: Any, ns: str, aerospike_set: str, client: Any
) -> None:
    client.put((ns, aerospike_set, "e"), {"n": 7})
    frame = _wire.message(0x21, 0, 0, _wire.key_fields(ns, aerospike_set, "e"), [])
    (msg,) = _wire.request(*_addr(aerospike_server), frame)
    assert (msg.result_code, msg.generation) == (0, 1)
    assert msg.fields == [] and msg.ops == []


@RAW_MSG
def test_write_that_deletes_the_record_answers_gen_0(
    aerospike_server: Any, ns: str, aerospike_set: str, client: Any
) -> None:
    client.put((ns, aerospike_set, "d"), {"n": 7}, policy={"ttl": 1000})
    ops = [_wire.op(2, 0, b"n", b"")]  # particle type 0: delete the bin
    frame = _wire.message(0, 0x01, 0, _wire.key_fields(ns, aerospike_set, "d"), ops)
    (msg,) = _wire.request(*_addr(aerospike_server), frame)
    assert (msg.result_code, msg.generation, msg.void_time) == (0, 0, 0)
    assert client.exists((ns, aerospike_set, "d"))[1] is None


@RAW_MSG
def test_missing_record_is_rc_2_with_a_bare_header(
    aerospike_server: Any, ns: str, aerospike_set: str
) -> None:
    frame = _wire.message(0x03, 0, 0, _wire.key_fields(ns, aerospike_set, "missing"), [])
    (msg,) = _wire.request(*_addr(aerospike_server), frame)
    assert msg.result_code == 2
    assert msg.fields == [] and msg.ops == []


@RAW_MSG
def test_respond_all_ops_answers_one_bin_per_op(
    aerospike_server: Any, ns: str, aerospike_set: str
) -> None:
    ops = [_wire.op(2, 1, b"a", _int(5)), _wire.op(1, 0, b"a", b"")]
    frame = _wire.message(0x01, 0x81, 0, _wire.key_fields(ns, aerospike_set, "ra"), ops)
    (msg,) = _wire.request(*_addr(aerospike_server), frame)
    assert msg.result_code == 0
    assert len(msg.ops) == 2
    assert msg.ops[0][1] == 0  # the write answers an empty bin
    assert msg.ops[1][1:] == (1, b"a", _int(5))


@RAW_MSG
def test_python_blob_particle_type_reads_back_as_raw_bytes(
    aerospike_server: Any, ns: str, aerospike_set: str, client: Any
) -> None:
    ops = [_wire.op(2, 9, b"p", b"\x80\x04K\x07.")]  # particle type 9 = Python blob
    frame = _wire.message(0, 0x01, 0, _wire.key_fields(ns, aerospike_set, "py"), ops)
    assert _wire.request(*_addr(aerospike_server), frame)[0].result_code == 0
    value = client.get((ns, aerospike_set, "py"))[2]["p"]
    # stored and answered as given, never unpickled: the client hands type 9 back
    # as bytearray (19.3) or bytes (19.0)
    assert type(value) in (bytes, bytearray)
    assert bytes(value) == b"\x80\x04K\x07."


@RAW_MSG
def test_compressed_request(
    aerospike_server: Any, ns: str, aerospike_set: str, client: Any, edition: str
) -> None:
    value = b"z" * 4000
    inner = _wire.message(
        0, 0x01, 0, _wire.key_fields(ns, aerospike_set, "c"), [_wire.op(2, 4, b"v", value)]
    )
    (msg,) = _wire.request(*_addr(aerospike_server), _wire.compressed(inner))
    if edition == "community":  # an Enterprise feature
        assert msg.result_code == 25
        return
    assert msg.result_code == 0
    assert client.get((ns, aerospike_set, "c"))[2] == {"v": value}


@RAW_MSG
def test_batch_answer_rows_carry_their_index(
    aerospike_server: Any, ns: str, aerospike_set: str, client: Any
) -> None:
    client.put((ns, aerospike_set, "b0"), {"v": 0})
    client.put((ns, aerospike_set, "b2"), {"v": 2})
    rows = [
        _wire.batch_row(0, _wire.digest(aerospike_set, "b0"), ns, aerospike_set),
        _wire.batch_row(1, _wire.digest(aerospike_set, "nope")),  # REPEAT
        _wire.batch_row(2, _wire.digest(aerospike_set, "b2")),  # REPEAT
    ]
    frame = _wire.message(0x08, 0, 0, [_wire.batch_index(rows)], [])
    msgs = _wire.request(*_addr(aerospike_server), frame, stream=True)
    last = msgs.pop()
    assert last.info3 & 0x01 and last.result_code == 0
    by_index = {m.transaction_ttl: m for m in msgs}
    assert sorted(by_index) == [0, 1, 2]
    assert [by_index[i].result_code for i in range(3)] == [0, 2, 0]
    assert all(m.fields == [] for m in msgs)
    assert by_index[2].ops == [(1, 1, b"v", _int(2))]
    assert by_index[0].generation == 1


@RAW_MSG
def test_a_frame_over_128_mib_closes_the_connection(aerospike_server: Any) -> None:
    with socket.create_connection(_addr(aerospike_server), timeout=5) as sock:
        sock.sendall(struct.pack(">Q", (2 << 56) | (3 << 48) | (128 * 1024 * 1024 + 1)))
        try:
            data = sock.recv(8)  # a timeout here (the server waits for the body) fails
        except ConnectionResetError:
            data = b""
    assert data == b""


@RAW_MSG
@pytest.mark.parametrize(
    "wire",
    [
        pytest.param(b"\x93\x01", id="truncated"),
        pytest.param(b"\x92\xcc\xfa\x01", id="unknown-op"),
        pytest.param(b"\x93\x51\x02\xa1i", id="not-boolean"),  # IntBin("i") as a filter
    ],
)
def test_a_malformed_filter_expression_is_a_parameter_error(
    aerospike_server: Any, ns: str, aerospike_set: str, client: Any, wire: bytes
) -> None:
    client.put((ns, aerospike_set, "x"), {"i": 1})
    fields = [*_wire.key_fields(ns, aerospike_set, "x"), _wire.field(43, wire)]
    (msg,) = _wire.request(*_addr(aerospike_server), _wire.message(0x03, 0, 0, fields, []))
    assert msg.result_code == 4
