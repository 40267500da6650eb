"""How cache values are stored in an Aerospike bin.

An exact ``int`` within int64 is stored as an Aerospike integer, so that
increments are atomic on the server. Every other value goes through a
serializer into a blob whose first byte (the *format byte*) says how it was
written::

    bit 7      signed: an HMAC-SHA256 (32 bytes) follows the format byte
    bits 3..6  serializer id (1 pickle, 2 json, 3 msgpack, 8..15 user-defined)
    bits 0..2  compressor id (0 none, 1 zlib, 2 zstd, 3 lz4)

Because the format travels with the value, changing the serializer or the
compressor never makes old entries unreadable or wrong: they are read with the
serializer and compressor they were written with.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import hmac
import json
import pickle
import uuid
import zlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from .errors import ConfigurationError, PickleSerializationError, SerializationError
from .log import LogLimiter, logger

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

SIGNED_FLAG = 0x80
SIGNATURE_SIZE = 32


class _Unreadable(Exception):
    """An entry that must be treated as a miss (tampered, unknown format)."""


@runtime_checkable
class Serializer(Protocol):
    """Turns values into bytes and back. ``format_id`` identifies it in stored blobs."""

    format_id: int

    def dumps(self, value: Any) -> bytes: ...

    def loads(self, data: bytes) -> Any: ...


@runtime_checkable
class Compressor(Protocol):
    """Compresses blobs. ``format_id`` (1..7) identifies it in stored blobs."""

    format_id: int

    def compress(self, data: bytes) -> bytes: ...

    def decompress(self, data: bytes) -> bytes: ...


# --- serializers -----------------------------------------------------------


class PickleSerializer:
    """Pickle (the default): every picklable value round-trips exactly."""

    format_id = 1

    def __init__(self, protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
        self.protocol = protocol

    def dumps(self, value: Any) -> bytes:
        return pickle.dumps(value, self.protocol)

    def loads(self, data: bytes) -> Any:
        return pickle.loads(data)


# Types JSON and msgpack cannot say natively travel as tagged values, so that
# a tuple comes back a tuple and a datetime a datetime.
_TAG = "__aerospike_cache__"


def _tag_encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, float, str)):
        return value
    if isinstance(value, int):
        # msgpack stops at 64 bits; a tagged string keeps big ints exact in both formats
        return value if INT64_MIN <= value <= 0xFFFFFFFFFFFFFFFF else {_TAG: "int", "v": str(value)}
    if isinstance(value, list):
        return [_tag_encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and _TAG not in value:
            return {k: _tag_encode(v) for k, v in value.items()}
        return {_TAG: "dict", "v": [[_tag_encode(k), _tag_encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {_TAG: "tuple", "v": [_tag_encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {_TAG: "frozenset", "v": [_tag_encode(v) for v in value]}
    if isinstance(value, set):
        return {_TAG: "set", "v": [_tag_encode(v) for v in value]}
    if isinstance(value, (bytes, bytearray)):
        return {_TAG: "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime.datetime):
        return {_TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, datetime.date):
        return {_TAG: "date", "v": value.isoformat()}
    if isinstance(value, datetime.time):
        return {_TAG: "time", "v": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {_TAG: "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, decimal.Decimal):
        return {_TAG: "decimal", "v": str(value)}
    if isinstance(value, uuid.UUID):
        return {_TAG: "uuid", "v": str(value)}
    raise SerializationError(
        f"cannot serialize a value of type {type(value).__name__} with the json/msgpack "
        "serializer; use the pickle serializer or convert the value first"
    )


_TAG_DECODERS: dict[str, Callable[[Any], Any]] = {
    "int": int,
    "tuple": lambda v: tuple(_tag_decode(x) for x in v),
    "set": lambda v: {_tag_decode(x) for x in v},
    "frozenset": lambda v: frozenset(_tag_decode(x) for x in v),
    "dict": lambda v: {_tag_decode(k): _tag_decode(x) for k, x in v},
    "bytes": lambda v: base64.b64decode(v),
    "datetime": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "time": datetime.time.fromisoformat,
    "timedelta": lambda v: datetime.timedelta(days=v[0], seconds=v[1], microseconds=v[2]),
    "decimal": decimal.Decimal,
    "uuid": uuid.UUID,
}


def _tag_decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_tag_decode(v) for v in value]
    if isinstance(value, dict):
        tag = value.get(_TAG)
        if tag is not None:
            return _TAG_DECODERS[tag](value["v"])
        return {k: _tag_decode(v) for k, v in value.items()}
    return value


class JSONSerializer:
    """JSON, for sites that forbid pickle.

    Round-trips JSON types plus tuples, sets, bytes, dates and times,
    timedeltas, decimals and UUIDs (as tagged objects). Other objects raise
    :class:`~aerospike_cache.errors.SerializationError` and nothing is written.
    """

    format_id = 2

    def dumps(self, value: Any) -> bytes:
        return json.dumps(_tag_encode(value), separators=(",", ":"), allow_nan=True).encode()

    def loads(self, data: bytes) -> Any:
        return _tag_decode(json.loads(data))


class MsgpackSerializer:
    """msgpack (``pip install aerospike-cache[msgpack]``), for sites that forbid pickle.

    Round-trips the same values as :class:`JSONSerializer`, more compactly.
    """

    format_id = 3

    def __init__(self) -> None:
        try:
            import msgpack
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise ConfigurationError(
                "the msgpack serializer needs the msgpack package: "
                "pip install 'aerospike-cache[msgpack]'"
            ) from exc
        self._msgpack = msgpack

    def dumps(self, value: Any) -> bytes:
        data: bytes = self._msgpack.packb(_tag_encode(value), use_bin_type=True)
        return data

    def loads(self, data: bytes) -> Any:
        return _tag_decode(self._msgpack.unpackb(data, raw=False, strict_map_key=False))


# --- compressors -----------------------------------------------------------


class ZlibCompressor:
    """zlib from the standard library."""

    format_id = 1

    def __init__(self, level: int = 6) -> None:
        self.level = level

    def compress(self, data: bytes) -> bytes:
        return zlib.compress(data, self.level)

    def decompress(self, data: bytes) -> bytes:
        return zlib.decompress(data)


class ZstdCompressor:
    """Zstandard (``pip install aerospike-cache[zstd]``)."""

    format_id = 2

    def __init__(self, level: int = 3) -> None:
        try:
            import zstandard
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise ConfigurationError(
                "the zstd compressor needs the zstandard package: "
                "pip install 'aerospike-cache[zstd]'"
            ) from exc
        self._compressor = zstandard.ZstdCompressor(level=level)
        self._decompressor = zstandard.ZstdDecompressor()

    def compress(self, data: bytes) -> bytes:
        out: bytes = self._compressor.compress(data)
        return out

    def decompress(self, data: bytes) -> bytes:
        out: bytes = self._decompressor.decompress(data)
        return out


class Lz4Compressor:
    """LZ4 frames (``pip install aerospike-cache[lz4]``)."""

    format_id = 3

    def __init__(self) -> None:
        try:
            import lz4.frame
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise ConfigurationError(
                "the lz4 compressor needs the lz4 package: pip install 'aerospike-cache[lz4]'"
            ) from exc
        self._frame = lz4.frame

    def compress(self, data: bytes) -> bytes:
        out: bytes = self._frame.compress(data)
        return out

    def decompress(self, data: bytes) -> bytes:
        out: bytes = self._frame.decompress(data)
        return out


SERIALIZERS: dict[str, Callable[[], Serializer]] = {
    "pickle": PickleSerializer,
    "json": JSONSerializer,
    "msgpack": MsgpackSerializer,
}
COMPRESSORS: dict[str, Callable[[], Compressor]] = {
    "zlib": ZlibCompressor,
    "zstd": ZstdCompressor,
    "lz4": Lz4Compressor,
}
_BUILTIN_SERIALIZER_IDS = {1: "pickle", 2: "json", 3: "msgpack"}
_BUILTIN_COMPRESSOR_IDS = {1: "zlib", 2: "zstd", 3: "lz4"}


class _AdaptedSerializer:
    """A user object with ``dumps``/``loads`` (Flask-Caching style) but no format id."""

    format_id = 15

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def dumps(self, value: Any) -> bytes:
        data = self.inner.dumps(value)
        return data.encode() if isinstance(data, str) else bytes(data)

    def loads(self, data: bytes) -> Any:
        return self.inner.loads(data)


def resolve_serializer(spec: Any) -> Serializer:
    """Turn a name (``"pickle"``), a class, a dotted path or an instance into a serializer."""
    obj = _resolve(spec, SERIALIZERS, "serializer")
    if not (hasattr(obj, "dumps") and hasattr(obj, "loads")):
        raise ConfigurationError(
            f"serializer {spec!r} has no dumps()/loads(); pass 'pickle', 'json', 'msgpack', "
            "a dotted path to a class, or an object with dumps and loads"
        )
    fid = getattr(obj, "format_id", None)
    if fid is None:
        return _AdaptedSerializer(obj)
    if not isinstance(fid, int) or not 1 <= fid <= 15:
        raise ConfigurationError(f"serializer format_id must be an int in 1..15, got {fid!r}")
    return obj  # type: ignore[no-any-return]


def resolve_compressor(spec: Any) -> Compressor | None:
    """Turn ``None``, a name (``"zlib"``), a class, a dotted path or an object into a compressor."""
    if spec is None or spec is False or spec == "none":
        return None
    obj = _resolve(spec, COMPRESSORS, "compressor")
    fid = getattr(obj, "format_id", None)
    if not (hasattr(obj, "compress") and hasattr(obj, "decompress")) or not (
        isinstance(fid, int) and 1 <= fid <= 7
    ):
        raise ConfigurationError(
            f"compressor {spec!r} needs compress(), decompress() and a format_id in 1..7; "
            "pass 'zlib', 'zstd', 'lz4' or such an object"
        )
    return obj  # type: ignore[no-any-return]


def _resolve(spec: Any, names: Mapping[str, Callable[[], Any]], what: str) -> Any:
    if isinstance(spec, str):
        if spec in names:
            return names[spec]()
        if "." in spec:
            from importlib import import_module

            module_name, _, attr = spec.rpartition(".")
            try:
                spec = getattr(import_module(module_name), attr)
            except (ImportError, AttributeError) as exc:
                raise ConfigurationError(f"cannot import {what} {spec!r}: {exc}") from exc
        else:
            raise ConfigurationError(
                f"unknown {what} {spec!r}; choose one of {', '.join(sorted(names))} "
                "or give a dotted path"
            )
    if isinstance(spec, type):
        return spec()
    return spec


def _key_bytes(key: str) -> bytes:
    # never raises: a key the store cannot send is refused there, with a clear error
    return str(key).encode("utf-8", "surrogatepass")


class Codec:
    """Encodes values for the ``v`` bin and decodes them back.

    ``signing_key`` turns on HMAC-SHA256 signatures bound to the cache key:
    entries that are unsigned, tampered with or copied from another key are
    treated as misses and logged, never deserialized.
    """

    def __init__(
        self,
        serializer: Any = "pickle",
        compressor: Any = None,
        compress_min_size: int = 1024,
        signing_key: str | bytes | None = None,
        limiter: LogLimiter | None = None,
    ) -> None:
        self.serializer = resolve_serializer(serializer)
        self.compressor = resolve_compressor(compressor)
        if not isinstance(compress_min_size, int) or compress_min_size < 0:
            raise ConfigurationError(
                f"compress_min_size must be a whole number of bytes >= 0, got {compress_min_size!r}"
            )
        self.compress_min_size = compress_min_size
        if isinstance(signing_key, str):
            signing_key = signing_key.encode()
        if signing_key is not None and len(signing_key) < 16:
            raise ConfigurationError("signing_key must be at least 16 bytes long")
        self.signing_key = signing_key
        self._limiter = limiter or LogLimiter()
        self._serializers: dict[int, Serializer] = {self.serializer.format_id: self.serializer}
        self._compressors: dict[int, Compressor] = {}
        if self.compressor is not None:
            self._compressors[self.compressor.format_id] = self.compressor
        # The common entry, the configured serializer's, unsigned and uncompressed,
        # decodes without _decode_blob's copies and lookups.
        self.plain_head = (
            None if signing_key is not None else bytes((self.serializer.format_id << 3,))
        )
        # the same as the first byte's value (-1: none), for a compare without a slice
        self.plain_format = -1 if self.plain_head is None else self.plain_head[0]
        self._pickle = type(self.serializer) is PickleSerializer
        self.plain_loads: Callable[[bytes], Any] = (
            pickle.loads if self._pickle else self.serializer.loads
        )

    def encode(self, key: str, value: Any) -> int | bytes:
        """The bin value for ``value``: an int for exact int64, else a format-tagged blob."""
        if type(value) is int and INT64_MIN <= value <= INT64_MAX:
            return value
        try:
            if self._pickle:
                payload = pickle.dumps(value, self.serializer.protocol)  # type: ignore[attr-defined]
            else:
                payload = self.serializer.dumps(value)
        except SerializationError:
            raise
        except Exception as exc:
            pickling = isinstance(self.serializer, PickleSerializer) or isinstance(
                exc, pickle.PickleError
            )
            error = PickleSerializationError if pickling else SerializationError
            raise error(
                f"cannot serialize the value for key {key!r} "
                f"({type(value).__name__}): {exc}; nothing was written"
            ) from exc
        compressor = self.compressor
        if compressor is None and self.plain_head is not None:
            return self.plain_head + payload
        comp_id = 0
        if compressor is not None and len(payload) >= self.compress_min_size:
            packed = compressor.compress(payload)
            if len(packed) < len(payload):
                payload = packed
                comp_id = compressor.format_id
        fmt = (self.serializer.format_id << 3) | comp_id
        if self.signing_key is None:
            return bytes((fmt,)) + payload
        fmt |= SIGNED_FLAG
        head = bytes((fmt,))
        mac = hmac.new(self.signing_key, _key_bytes(key) + b"\0" + head + payload, hashlib.sha256)
        return head + mac.digest() + payload

    def encode_items(self, mapping: Mapping[str, Any]) -> list[tuple[str, int | bytes]]:
        """``[(key, encode(key, value))]`` for a batch: the plain pickle entry (no
        compressor, no signing) is made in the loop, without a call per value."""
        head, encode = self.plain_head, self.encode
        if not self._pickle or self.compressor is not None or head is None:
            return [(k, encode(k, v)) for k, v in mapping.items()]
        dumps, protocol = pickle.dumps, self.serializer.protocol  # type: ignore[attr-defined]
        items: list[tuple[str, int | bytes]] = []
        for key, value in mapping.items():
            if type(value) is int:
                items.append((key, encode(key, value)))  # stored natively when it fits
                continue
            try:
                items.append((key, head + dumps(value, protocol)))
            except Exception:
                items.append((key, encode(key, value)))  # raises the package's error
        return items

    def decode(self, key: str, stored: Any) -> tuple[bool, Any]:
        """``(True, value)`` for a readable entry, ``(False, None)`` for one to treat as a miss."""
        try:
            if type(stored) is bytes:
                if stored[:1] == self.plain_head:
                    return True, self.plain_loads(stored[1:])
                return True, self._decode_blob(key, stored)
            if type(stored) is int:
                # exact ints are stored natively (atomic incr), never signed
                return True, stored
            if not isinstance(stored, (bytes, bytearray)):
                # a bin written by another tool (a string, float, map...): as is,
                # unless entries must be signed
                if self.signing_key is not None:
                    raise _Unreadable(f"unsigned {type(stored).__name__} bin, signing is on")
                return True, stored
            return True, self._decode_blob(key, bytes(stored))
        except _Unreadable as exc:
            self._warn(key, str(exc))
            return False, None
        except Exception as exc:
            self._warn(key, "cannot decode it", f" ({type(exc).__name__}: {exc})")
            return False, None

    def _warn(self, key: str, reason: str, detail: str = "") -> None:
        # Rate limited per reason: a cache full of foreign or tampered
        # entries must not turn every read into a log line.
        if self._limiter.allow(("decode", reason)):
            logger.warning("aerospike-cache: treating key %r as a miss: %s%s", key, reason, detail)

    def _decode_blob(self, key: str, blob: bytes) -> Any:
        if not blob:
            raise _Unreadable("empty blob")
        fmt = blob[0]
        body = memoryview(blob)[1:]
        if fmt & SIGNED_FLAG:
            if self.signing_key is None:
                raise _Unreadable("entry is signed but no signing_key is configured")
            mac, body = body[:SIGNATURE_SIZE], body[SIGNATURE_SIZE:]
            expected = hmac.new(
                self.signing_key, _key_bytes(key) + b"\0" + blob[:1] + bytes(body), hashlib.sha256
            ).digest()
            if not hmac.compare_digest(bytes(mac), expected):
                raise _Unreadable("signature mismatch (tampered or written with another key)")
        elif self.signing_key is not None:
            raise _Unreadable("entry is not signed and signing_key is configured")
        ser_id = (fmt >> 3) & 0x0F
        comp_id = fmt & 0x07
        serializer = self._serializer_for(ser_id)
        data = bytes(body)
        if comp_id:
            data = self._compressor_for(comp_id).decompress(data)
        return serializer.loads(data)

    def _serializer_for(self, ser_id: int) -> Serializer:
        found = self._serializers.get(ser_id)
        if found is not None:
            return found
        name = _BUILTIN_SERIALIZER_IDS.get(ser_id)
        if name is None:
            raise _Unreadable(f"unknown serializer id {ser_id}")
        if name == "pickle" and self.signing_key is None:
            # A site that chose json/msgpack chose not to unpickle: an unsigned
            # pickle in its cache is foreign data.
            raise _Unreadable("pickled entry, but the configured serializer is not pickle")
        found = SERIALIZERS[name]()
        self._serializers[ser_id] = found
        return found

    def _compressor_for(self, comp_id: int) -> Compressor:
        found = self._compressors.get(comp_id)
        if found is None:
            name = _BUILTIN_COMPRESSOR_IDS.get(comp_id)
            if name is None:
                raise _Unreadable(f"unknown compressor id {comp_id}")
            found = COMPRESSORS[name]()
            self._compressors[comp_id] = found
        return found
