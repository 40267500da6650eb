"""Wire-level constants and encoders of the Aerospike protocol (the subset we speak).

See ``/work/shared/reference/aerospike-wire-protocol.md`` for the facts behind
every number here.
"""

from __future__ import annotations

import struct
import time

# -- proto header ------------------------------------------------------------

PROTO_VERSION = 2
TYPE_INFO = 1
TYPE_ADMIN = 2
TYPE_MSG = 3
TYPE_MSG_COMPRESSED = 4
MAX_PROTO_SIZE = 128 * 1024 * 1024

U64 = struct.Struct(">Q")
U32 = struct.Struct(">I")
U16 = struct.Struct(">H")
I64 = struct.Struct(">q")
F64 = struct.Struct(">d")

#: header_sz, info1, info2, info3, info4, result_code, generation, record_ttl,
#: transaction_ttl, n_fields, n_ops
MSG_HEADER = struct.Struct(">BBBBBBIIIHH")
MSG_HEADER_SIZE = 22
#: proto word + AS_MSG header in one go (responses)
PROTO_MSG_HEADER = struct.Struct(">QBBBBBBIIIHH")
FIELD_HEADER = struct.Struct(">IB")
OP_HEADER = struct.Struct(">IBBBB")

# -- info bits ---------------------------------------------------------------

INFO1_READ = 0x01
INFO1_GET_ALL = 0x02
INFO1_SHORT_QUERY = 0x04
INFO1_BATCH = 0x08
INFO1_NOBINDATA = 0x20
INFO1_READ_MODE_AP_ALL = 0x40
INFO1_COMPRESS_RESPONSE = 0x80

INFO2_WRITE = 0x01
INFO2_DELETE = 0x02
INFO2_GENERATION = 0x04
INFO2_GENERATION_GT = 0x08
INFO2_DURABLE_DELETE = 0x10
INFO2_CREATE_ONLY = 0x20
INFO2_RESPOND_ALL_OPS = 0x80

INFO3_LAST = 0x01
INFO3_COMMIT_MASTER = 0x02
INFO3_PARTITION_DONE = 0x04
INFO3_UPDATE_ONLY = 0x08
INFO3_CREATE_OR_REPLACE = 0x10
INFO3_REPLACE_ONLY = 0x20

# -- fields ------------------------------------------------------------------

FIELD_NAMESPACE = 0
FIELD_SET = 1
FIELD_KEY = 2
FIELD_RECORD_VERSION = 3
FIELD_DIGEST = 4
FIELD_TXN_ID = 5
FIELD_TXN_DEADLINE = 6
FIELD_TASK_ID = 7
FIELD_SOCKET_TIMEOUT = 9
FIELD_RPS = 10
FIELD_PID_ARRAY = 11
FIELD_DIGEST_ARRAY = 12
FIELD_MAX_RECORDS = 13
FIELD_BVAL_ARRAY = 15
FIELD_INDEX_NAME = 21
FIELD_INDEX_RANGE = 22
FIELD_INDEX_CONTEXT = 23
FIELD_INDEX_EXPRESSION = 24
FIELD_INDEX_TYPE = 26
FIELD_UDF_PACKAGE_NAME = 30
FIELD_UDF_FUNCTION = 31
FIELD_UDF_ARGLIST = 32
FIELD_UDF_OP = 33
FIELD_QUERY_BINS = 40
FIELD_BATCH_INDEX = 41
FIELD_BATCH_INDEX_WITH_SET = 42
FIELD_FILTER = 43

#: fields that mean "a feature we do not implement" when present
UNSUPPORTED_FIELDS = {
    FIELD_RECORD_VERSION: "multi-record transactions (record version)",
    FIELD_TXN_ID: "multi-record transactions",
    FIELD_TXN_DEADLINE: "multi-record transactions",
    FIELD_BVAL_ARRAY: "query bval resume",
    FIELD_INDEX_NAME: "secondary index queries",
    FIELD_INDEX_RANGE: "secondary index queries",
    FIELD_INDEX_CONTEXT: "secondary index queries",
    FIELD_INDEX_EXPRESSION: "secondary index queries",
    FIELD_INDEX_TYPE: "secondary index queries",
    FIELD_UDF_PACKAGE_NAME: "UDF",
    FIELD_UDF_FUNCTION: "UDF",
    FIELD_UDF_ARGLIST: "UDF",
    FIELD_UDF_OP: "UDF",
    FIELD_BATCH_INDEX_WITH_SET: "old batch protocol",
}

# -- ops ---------------------------------------------------------------------

OP_READ = 1
OP_WRITE = 2
OP_CDT_READ = 3
OP_CDT_MODIFY = 4
OP_INCR = 5
OP_EXP_READ = 7
OP_EXP_MODIFY = 8
OP_APPEND = 9
OP_PREPEND = 10
OP_TOUCH = 11
OP_BITS_READ = 12
OP_BITS_MODIFY = 13
OP_DELETE = 14
OP_HLL_READ = 15
OP_HLL_MODIFY = 16

OP_NAMES = {
    OP_CDT_READ: "CDT read",
    OP_CDT_MODIFY: "CDT modify",
    OP_EXP_READ: "expression read",
    OP_EXP_MODIFY: "expression modify",
    OP_BITS_READ: "bit read",
    OP_BITS_MODIFY: "bit modify",
    OP_HLL_READ: "HLL read",
    OP_HLL_MODIFY: "HLL modify",
}

# -- particle types ----------------------------------------------------------

PT_NULL = 0
PT_INTEGER = 1
PT_FLOAT = 2
PT_STRING = 3
PT_BLOB = 4
PT_BOOL = 17
PT_HLL = 18
PT_MAP = 19
PT_LIST = 20
PT_GEOJSON = 23

# -- CDT result types (a list or map read's return type; INVERTED: the complement) --

INVERTED = 0x10000
RT_NONE, RT_INDEX, RT_REVINDEX, RT_RANK, RT_REVRANK, RT_COUNT = 0, 1, 2, 3, 4, 5
RT_KEY, RT_VALUE, RT_KEY_VALUE = 6, 7, 8
RT_INDEX_RANGE, RT_REVINDEX_RANGE, RT_RANK_RANGE, RT_REVRANK_RANGE = 9, 10, 11, 12
RT_EXISTS, RT_UNORDERED_MAP, RT_ORDERED_MAP = 13, 16, 17

# -- result codes ------------------------------------------------------------

RC_OK = 0
RC_SERVER_ERROR = 1
RC_NOT_FOUND = 2
RC_GENERATION = 3
RC_PARAMETER = 4
RC_EXISTS = 5
RC_BIN_EXISTS = 6
RC_SERVER_FULL = 8  # stop-writes: the namespace is full
RC_TIMEOUT = 9
RC_INCOMPATIBLE_TYPE = 12
RC_RECORD_TOO_BIG = 13
RC_UNSUPPORTED = 16
RC_BIN_NOT_FOUND = 17
RC_KEY_MISMATCH = 19
RC_NAMESPACE = 20
RC_BIN_NAME = 21
RC_FORBIDDEN = 22
RC_ENTERPRISE_ONLY = 25
RC_OP_NOT_APPLICABLE = 26
RC_FILTERED_OUT = 27
RC_SECURITY_NOT_ENABLED = 52

# -- errors ------------------------------------------------------------------


class UnsupportedError(Exception):
    """A request uses a feature the embedded server does not implement."""

    result_code = RC_UNSUPPORTED


class EnterpriseOnlyError(UnsupportedError):
    """An Enterprise Edition feature: a Community Edition server answers 25."""

    result_code = RC_ENTERPRISE_ONLY


# -- batch row flags ---------------------------------------------------------

BATCH_REPEAT = 0x01
BATCH_INFO = 0x02
BATCH_GEN = 0x04
BATCH_TTL = 0x08
BATCH_INFO4 = 0x10

# -- time --------------------------------------------------------------------

#: 2010-01-01T00:00:00Z, the epoch of void times and last-update times
CITRUSLEAF_EPOCH = 1262304000
CITRUSLEAF_EPOCH_MS = CITRUSLEAF_EPOCH * 1000
MAX_TTL = 315360000  # ten years
#: read-touch percent 0xFFFFFFFF on a read: never touch (overrides the namespace default)
READ_TOUCH_NEVER = 0xFFFFFFFF
#: longest bin name, in bytes
MAX_BIN_NAME = 15
TTL_NEVER = 0xFFFFFFFF
TTL_DONT_UPDATE = 0xFFFFFFFE

N_PARTITIONS = 4096


def now_ms() -> int:
    """Milliseconds since the citrusleaf epoch (2010-01-01 UTC)."""
    return time.time_ns() // 1_000_000 - CITRUSLEAF_EPOCH_MS


def partition_id(digest: bytes) -> int:
    return (digest[0] | (digest[1] << 8)) & (N_PARTITIONS - 1)


def proto_word(msg_type: int, size: int) -> int:
    return (PROTO_VERSION << 56) | (msg_type << 48) | size


#: one response bin: (name, particle type, value bytes)
ResponseBin = tuple[bytes, int, bytes]


def encode_message(
    result_code: int,
    generation: int,
    void_time: int,
    transaction_ttl: int,
    bins: list[ResponseBin] | None,
    info3: int = 0,
    fields: list[tuple[int, bytes]] | None = None,
) -> bytearray:
    """One AS_MSG (header + fields + ops), without the proto header."""
    out = bytearray(
        MSG_HEADER.pack(
            MSG_HEADER_SIZE,
            0,
            0,
            info3,
            0,
            result_code,
            generation,
            void_time,
            transaction_ttl,
            len(fields) if fields else 0,
            len(bins) if bins else 0,
        )
    )
    if fields:
        for ftype, data in fields:
            out += FIELD_HEADER.pack(len(data) + 1, ftype)
            out += data
    if bins:
        for name, ptype, value in bins:
            out += OP_HEADER.pack(4 + len(name) + len(value), OP_READ, ptype, 0, len(name))
            out += name
            out += value
    return out


def frame(msg_type: int, body: bytes | bytearray) -> bytes:
    """Prefix a body with its proto header."""
    return U64.pack(proto_word(msg_type, len(body))) + body


def single_response(
    result_code: int, generation: int = 0, void_time: int = 0, bins: list[ResponseBin] | None = None
) -> bytes:
    """A complete single-record answer frame (n_fields = 0)."""
    if not bins:
        return PROTO_MSG_HEADER.pack(
            proto_word(TYPE_MSG, MSG_HEADER_SIZE),
            MSG_HEADER_SIZE,
            0,
            0,
            0,
            0,
            result_code,
            generation,
            void_time,
            0,
            0,
            0,
        )
    return frame(TYPE_MSG, encode_message(result_code, generation, void_time, 0, bins))


def last_message(result_code: int = 0) -> bytearray:
    """The LAST message that ends a batch or scan stream (no proto header)."""
    out = bytearray(MSG_HEADER_SIZE)
    MSG_HEADER.pack_into(out, 0, MSG_HEADER_SIZE, 0, 0, INFO3_LAST, 0, result_code, 0, 0, 0, 0, 0)
    return out


def void_time_to_ttl(void_time: int) -> int:
    """What a client reports as ``ttl`` for a void time (for diagnostics)."""
    if void_time == 0:
        return TTL_NEVER
    return max(1, void_time - (now_ms() // 1000))
