"""AerospikeStore: the one module that talks to the ``aerospike`` client.

The store speaks one TTL language: a number of seconds (rounded up, clamped
to the server's 10-year maximum), ``None`` for "never expires", or zero or
less for "gone" (a write becomes a delete). The frontends map their
framework's timeout rules onto it.

Every operation is one round trip: ``get_many``/``set_many``/``delete_many``
are single batch calls, ``add`` is a create-only put, ``incr`` one
``operate``, ``has`` a metadata-only ``exists``, ``delete`` one ``remove``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar

import aerospike
from aerospike import exception as aex

from . import selection
from . import tags as tagging
from .connection import (
    DEFAULT_CONNECT_TIMEOUT_MS,
    DEFAULT_TIMEOUT_MS,
    CircuitBreaker,
    ClientEntry,
    build_client_config,
    parse_hosts,
    redact,
    registry,
)
from .errors import (
    CacheError,
    CacheOperationError,
    CacheUnavailable,
    ConfigurationError,
    InvalidKeyError,
    NsupError,
)
from .jobs import Job
from .patterns import KeyPattern, compile_glob
from .serialization import Codec
from .tags import TAG_BIN

logger = logging.getLogger("aerospike_cache")

T = TypeVar("T")


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final[Any] = _Missing()
"""Returned by :meth:`AerospikeStore.get` for a miss (``None`` is a value that can be cached)."""

VALUE_BIN = "v"
MAX_TTL = 315_360_000  # the server's ceiling: 10 years
TTL_NEVER = -1  # wire value: never expires
TTL_KEEP = -2  # wire value: keep the record's current TTL

# Result codes of outages: the cluster could not be reached or did not answer
# in time. These trip the circuit breaker; anything else is an answer.
_OUTAGE_CODES = frozenset({-15, -14, -12, -11, -10, -8, -7, -6, 7, 9, 11})

# Operations that write a TTL: a 22 (FAIL_FORBIDDEN) there is the nsup rule.
_TTL_WRITES: Final = frozenset({"set", "add", "set_many", "incr", "touch"})
# What fail-open makes of a failed operation, for the log line.
_FAIL_OPEN_OUTCOME: Final = {
    "get": "a miss",
    "get_many": "misses",
    "has": "absent",
    "ttl": "absent",
}

# Operation codes, inlined into op dicts built by hand: aerospike_helpers'
# builders cost a Python call per op on the hot path.
_OP_READ: Final[int] = aerospike.OPERATOR_READ
_OP_WRITE: Final[int] = aerospike.OPERATOR_WRITE
_OP_INCR: Final[int] = aerospike.OPERATOR_INCR


# Forks of this process, counted in the child at fork time: the hot path
# compares two ints instead of making a getpid() system call per command.
_forks = 0


def _count_fork() -> None:
    global _forks
    _forks += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_count_fork)


def wire_ttl(ttl: float | None) -> int:
    """Map the store's TTL onto the wire: ``None`` -> never, seconds rounded up and clamped.

    Callers handle "gone" (``ttl <= 0``) before calling.
    """
    if ttl is None:
        return TTL_NEVER
    seconds = math.ceil(ttl)
    return MAX_TTL if seconds > MAX_TTL else seconds


class _BatchFailure(Exception):
    """A batch that failed as a whole (or a failed row), shaped like a client exception.

    The client does not raise for these: it returns the batch with a status
    (-10 when a node is down, or the node's result code) and per-row codes.
    """

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(code, msg)
        self.code = code
        self.msg = msg


# Batch statuses whose rows are the answer: 0, and the client's -16 ("some
# rows failed", each row says how). Any other status is the batch failing.
_BATCH_ANSWERED: Final = frozenset({0, -16})


class AerospikeStore:
    """A cache in one Aerospike namespace and set, shared by any number of frontends.

    Nothing connects until the first operation. Every store with the same
    hosts and client configuration in a process shares one client; a store
    given ``client=`` uses that client as is and never closes it.

    Args:
        hosts: seed hosts (``"h:p,h:p"``, a list of strings or ``(host, port[, tls_name])``).
        namespace: the Aerospike namespace.
        set_name: the set (``None``/``""``: the namespace's null set).
        client: a connected ``aerospike`` client to use instead of building one.
        client_config: extra ``aerospike.client()`` configuration (``user``,
            ``password``, ``tls``, ``policies``, ``cluster_name``, ``rack_aware``,
            ``max_error_rate``, ...).
        timeout_ms: total and socket timeout of every command (default 1000).
        connect_timeout_ms: timeout of the initial connection (default 1000).
        serializer: ``"pickle"`` (default), ``"json"``, ``"msgpack"`` or an object.
        compressor: ``None`` (default), ``"zlib"``, ``"zstd"``, ``"lz4"`` or an object.
        compress_min_size: compress serialized values of at least this many bytes.
        signing_key: HMAC key; unsigned or tampered entries then read as misses.
        fail_open: turn outages and server errors into misses and no-op writes (logged).
        store_keys: store the user key with each record (needed by :meth:`keys`).
        allow_namespace_truncate: let :meth:`clear` truncate a whole namespace
            when no set is configured.
        breaker_threshold / breaker_cooldown: consecutive outage errors that open the
            circuit, and seconds it stays open before a probe.
    """

    def __init__(
        self,
        hosts: Any = None,
        *,
        namespace: str,
        set_name: str | None = "cache",
        client: Any = None,
        client_config: Mapping[str, Any] | None = None,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        connect_timeout_ms: int = DEFAULT_CONNECT_TIMEOUT_MS,
        serializer: Any = "pickle",
        compressor: Any = None,
        compress_min_size: int = 1024,
        signing_key: str | bytes | None = None,
        fail_open: bool = False,
        store_keys: bool = True,
        allow_namespace_truncate: bool = False,
        breaker_threshold: int = 3,
        breaker_cooldown: float = 1.0,
    ) -> None:
        if not isinstance(namespace, str) or not namespace or len(namespace) > 31:
            raise ConfigurationError(
                f"namespace must be a non-empty name of at most 31 characters, got {namespace!r}"
            )
        if set_name is not None and (not isinstance(set_name, str) or len(set_name) > 63):
            raise ConfigurationError(
                f"set must be a name of at most 63 characters or None, got {set_name!r}"
            )
        for name, value in (("timeout_ms", timeout_ms), ("connect_timeout_ms", connect_timeout_ms)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigurationError(f"{name} must be a positive whole number, got {value!r}")
        if not isinstance(breaker_threshold, int) or breaker_threshold < 1:
            raise ConfigurationError(f"breaker_threshold must be >= 1, got {breaker_threshold!r}")
        self.namespace = namespace
        self.set_name = set_name or None
        self.fail_open = bool(fail_open)
        self.allow_namespace_truncate = bool(allow_namespace_truncate)
        self.codec = Codec(serializer, compressor, compress_min_size, signing_key)
        self._user_client = client
        if client is None:
            self._config = build_client_config(
                parse_hosts(hosts), client_config, timeout_ms, connect_timeout_ms
            )
        else:
            if client_config:
                raise ConfigurationError(
                    "a pre-built client was given: its configuration is its own, "
                    "so do not pass client_config as well"
                )
            self._config = {"hosts": parse_hosts(hosts) if hosts else []}
        self._breaker_settings = (breaker_threshold, float(breaker_cooldown))
        self._entry: ClientEntry | None = None
        self._ttl_forbidden: bool | None = None
        self._last_log: dict[tuple[str, int | None], float] = {}
        self._coalescers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _ReadCoalescer] = (
            weakref.WeakKeyDictionary()
        )

        self._aerospike = aerospike
        self._aex = aex
        self._forks = _forks
        self._key_policy = aerospike.POLICY_KEY_SEND if store_keys else aerospike.POLICY_KEY_DIGEST
        self.store_keys = store_keys
        self._write_policies: dict[int, dict[str, Any]] = {}
        self._create_policies: dict[int, dict[str, Any]] = {}
        self._update_keep = {
            "key": self._key_policy,
            "ttl": TTL_KEEP,
            "exists": aerospike.POLICY_EXISTS_UPDATE,
        }
        self._remove_policy = {"key": self._key_policy}

    def __repr__(self) -> str:
        hosts = self._config.get("hosts")
        return (
            f"<AerospikeStore namespace={self.namespace!r} set={self.set_name!r} "
            f"hosts={hosts!r}{' (user client)' if self._user_client is not None else ''}>"
        )

    # -- connection ---------------------------------------------------------

    @property
    def client_config(self) -> dict[str, Any]:
        """The client configuration with secrets redacted (safe to log)."""
        return redact(self._config)

    def _resolve_entry(self) -> ClientEntry:
        entry = self._entry
        if entry is None or (entry.client is None and self._user_client is None):
            if self._user_client is not None:
                entry = ClientEntry(config=self._config, client=self._user_client)
            else:
                entry = registry.entry(self._config)
            if entry.breaker.threshold != self._breaker_settings[0]:
                entry.breaker = CircuitBreaker(*self._breaker_settings)
            self._entry = entry
        return entry

    def _client(self) -> Any:
        """The connected client, or :class:`CacheUnavailable` when the circuit is open."""
        entry = self._entry
        if self._forks != _forks:
            # Forked: the parent's client is the parent's; build our own.
            self._forks = _forks
            self._entry = entry = None
            self._ttl_forbidden = None
            self._coalescers = weakref.WeakKeyDictionary()
        if entry is None or entry.client is None:
            entry = self._resolve_entry()
        if entry.breaker.failures and not entry.breaker.allow():
            raise CacheUnavailable(
                f"Aerospike cluster {self._hosts_text()} is unreachable "
                "(circuit open after repeated failures; probing again shortly)"
            )
        client = entry.client
        if client is None:
            try:
                client = registry.connect(entry)
            except self._aex.AerospikeError as exc:
                raise self._outage(exc, "connect") from exc
        if self._ttl_forbidden is None:
            self._inspect_namespace(client, entry)
        return client

    def _inspect_namespace(self, client: Any, entry: ClientEntry) -> None:
        """Read ``namespace/<ns>`` once per client: does it exist, does it take TTLs?"""
        info = entry.namespace_info.get(self.namespace)
        if info is None:
            try:
                raw = client.info_random_node(f"namespace/{self.namespace}")
            except self._aex.AerospikeError as exc:
                raise self._outage(exc, "info") from exc
            info = _parse_info_pairs(raw)
            if "nsup-period" not in info:
                names = "?"
                with contextlib.suppress(self._aex.AerospikeError):
                    names = _info_value(client.info_random_node("namespaces")) or "none"
                raise ConfigurationError(
                    f"namespace {self.namespace!r} does not exist on the Aerospike cluster "
                    f"{self._hosts_text()} (its namespaces: {names.replace(';', ', ')}); "
                    "set the namespace option to one of them"
                )
            entry.namespace_info[self.namespace] = info
        nsup = info.get("nsup-period", "0")
        allow = info.get("allow-ttl-without-nsup", "false")
        self._ttl_forbidden = nsup == "0" and allow != "true"
        if self._ttl_forbidden:
            logger.warning("aerospike-cache: %s", self._nsup_message())

    def check_ttl_writes(self) -> None:
        """Connect now and raise if the namespace is missing or refuses writes with a TTL.

        Raises :class:`~aerospike_cache.errors.CacheUnavailable`,
        :class:`~aerospike_cache.errors.ConfigurationError` or
        :class:`~aerospike_cache.errors.NsupError` (whatever ``fail_open`` says).
        """
        self._client()
        if self._ttl_forbidden:
            raise NsupError(self._nsup_message())

    def _nsup_message(self) -> str:
        ns = self.namespace
        return (
            f"namespace {ns!r} refuses writes with a TTL (Aerospike error 22, FAIL_FORBIDDEN): "
            f"its nsup-period is 0 and allow-ttl-without-nsup is false. Fix the server: add "
            f"'nsup-period 120' to the 'namespace {ns} {{ ... }}' stanza of aerospike.conf "
            f"(or run: asinfo -v 'set-config:context=namespace;id={ns};nsup-period=120'), "
            f"or set allow-ttl-without-nsup true; or cache only with timeouts that never expire"
        )

    def _hosts_text(self) -> str:
        hosts = self._config.get("hosts") or []
        return ",".join(f"{h[0]}:{h[1]}" for h in hosts) or "(user client)"

    def _key(self, key: str) -> tuple[str, str | None, str | bytearray]:
        # isascii() is O(1) and the NUL search a memchr: the common key costs ~30 ns here
        if type(key) is str and key.isascii() and "\x00" not in key:
            return (self.namespace, self.set_name, key)
        return (self.namespace, self.set_name, _user_key(key))

    def _write_policy(self, ttl: int) -> dict[str, Any]:
        pol = self._write_policies.get(ttl)
        if pol is None:
            # Replace: a write drops the bins of the previous entry (its tags).
            pol = {
                "key": self._key_policy,
                "ttl": ttl,
                "exists": self._aerospike.POLICY_EXISTS_CREATE_OR_REPLACE,
            }
            if len(self._write_policies) < 256:
                self._write_policies[ttl] = pol
        return pol

    def _create_policy(self, ttl: int) -> dict[str, Any]:
        pol = self._create_policies.get(ttl)
        if pol is None:
            pol = {
                "key": self._key_policy,
                "ttl": ttl,
                "exists": self._aerospike.POLICY_EXISTS_CREATE,
            }
            if len(self._create_policies) < 256:
                self._create_policies[ttl] = pol
        return pol

    def _check_ttl(self, ttl: int) -> None:
        if ttl > 0 and self._ttl_forbidden:
            raise NsupError(self._nsup_message())

    # -- errors -------------------------------------------------------------

    def _outage(self, exc: BaseException, op: str) -> CacheError:
        """Map a client exception onto ours, tripping the breaker on outages."""
        code = getattr(exc, "code", None)
        msg = getattr(exc, "msg", None) or str(exc)
        if not _NODE_IN_MESSAGE.search(msg):
            # clients before 19.3 do not name the node that answered: name the seeds
            msg = f"{msg} (cluster {self._hosts_text()})"
        entry = self._entry
        if code in _OUTAGE_CODES:
            if entry is not None:
                first = entry.breaker.failures == 0
                entry.breaker.failure()
                if first:
                    logger.error(
                        "aerospike-cache: cluster %s unavailable during %s: code %s: %s",
                        self._hosts_text(),
                        op,
                        code,
                        msg,
                    )
            return CacheUnavailable(
                f"Aerospike cluster {self._hosts_text()} unavailable during {op}: "
                f"code {code}: {msg}"
            )
        if code == 22 and op in _TTL_WRITES:
            return NsupError(f"{self._nsup_message()} [{op}: {msg}]")
        if code == 20:
            return ConfigurationError(
                f"namespace {self.namespace!r} is not known to the cluster {self._hosts_text()}; "
                "set the namespace option to an existing namespace"
            )
        return CacheOperationError(f"Aerospike {op} failed: code {code}: {msg}", code)

    def _handle(self, op: str, exc: Exception, fallback: T) -> T:
        """Raise the package's error for ``exc``, or (fail-open) log it and return ``fallback``."""
        if isinstance(exc, CacheError):
            err: CacheError = exc
        else:
            err = self._outage(exc, op)
        if (
            not self.fail_open
            or isinstance(err, InvalidKeyError)
            or (isinstance(err, ConfigurationError) and not isinstance(err, NsupError))
        ):
            if err is exc:
                raise err
            raise err from exc
        outcome = _FAIL_OPEN_OUTCOME.get(op, "not done")
        self._log_limited(op, getattr(exc, "code", None), err, f"fail-open: {outcome}")
        return fallback

    def _log_limited(self, op: str, code: int | None, err: Exception, outcome: str) -> None:
        # Outages are logged once per incident by _outage; other errors at most
        # once a minute per operation and code.
        if isinstance(err, CacheUnavailable):
            return
        now = time.monotonic()
        mark = (op, code)
        if now - self._last_log.get(mark, -1e9) >= 60.0:
            self._last_log[mark] = now
            logger.error("aerospike-cache: %s failed (%s): %s", op, outcome, err)

    def _recovered(self) -> None:
        entry = self._entry
        if entry is not None and entry.breaker.failures:
            n = entry.breaker.failures
            entry.breaker.success()
            logger.warning(
                "aerospike-cache: cluster %s reachable again after %d failed calls",
                self._hosts_text(),
                n,
            )

    # -- reads --------------------------------------------------------------

    def get(self, key: str) -> Any:
        """The value of ``key``, or :data:`MISSING`."""
        try:
            client = self._client()
            _, _, bins = client.get(self._key(key))
        except self._aex.RecordNotFound:
            self._recovered()
            return MISSING
        except (self._aex.AerospikeError, CacheError) as exc:
            return self._handle("get", exc, MISSING)
        if self._entry is not None and self._entry.breaker.failures:
            self._recovered()
        found, value = self.codec.decode(key, bins.get(VALUE_BIN))
        return value if found else MISSING

    def get_with_ttl(self, key: str) -> tuple[Any, int | None]:
        """``(value, ttl)``: ttl in seconds, ``None`` if it never expires; ``(MISSING, None)``."""
        return self._entry_of(key)[:2]

    def _entry_of(self, key: str) -> tuple[Any, int | None, list[str]]:
        """``(value, ttl, stored tags)`` of ``key``, or ``(MISSING, None, [])``."""
        try:
            client = self._client()
            _, meta, bins = client.get(self._key(key))
        except self._aex.RecordNotFound:
            return MISSING, None, []
        except (self._aex.AerospikeError, CacheError) as exc:
            return self._handle("get", exc, (MISSING, None, []))
        self._recovered()
        found, value = self.codec.decode(key, bins.get(VALUE_BIN))
        if not found:
            return MISSING, None, []
        return value, _meta_ttl(meta), list(bins.get(TAG_BIN) or [])

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The values of the keys that are present, in one batch read."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return {}
        try:
            client = self._client()
            result = client.batch_read([self._key(k) for k in keys])
        except (self._aex.AerospikeError, CacheError) as exc:
            return self._handle("get_many", exc, {})
        out: dict[str, Any] = {}
        decode = self.codec.decode
        bad: list[tuple[str, int]] = []
        for key, row in zip(keys, result.batch_records, strict=True):
            if row.result == 0 and row.record is not None:
                found, value = decode(key, row.record[2].get(VALUE_BIN))
                if found:
                    out[key] = value
            elif row.result != 2:
                bad.append((key, row.result))
        # Rows are the answer even when the batch failed: a node that did not
        # answer leaves its rows at -15, the other nodes' rows are real.
        if result.result not in _BATCH_ANSWERED:
            return self._handle("get_many", self._batch_failure(result.result, len(keys)), out)
        if bad:
            # a read has no "failed keys" to report: strict raises, fail-open misses
            return self._handle("get_many", self._row_failure(bad, len(keys)), out)
        self._recovered()
        return out

    def has(self, key: str) -> bool:
        """Whether ``key`` is present (metadata only: the value is not read)."""
        try:
            _, meta = self._client().exists(self._key(key))
        except self._aex.RecordNotFound:
            return False
        except (self._aex.AerospikeError, CacheError) as exc:
            return self._handle("has", exc, False)
        self._recovered()
        return meta is not None

    def ttl(self, key: str) -> Any:
        """Seconds left for ``key``; ``None`` if it never expires; :data:`MISSING` if absent."""
        try:
            _, meta = self._client().exists(self._key(key))
        except self._aex.RecordNotFound:
            return MISSING
        except (self._aex.AerospikeError, CacheError) as exc:
            return self._handle("ttl", exc, MISSING)
        self._recovered()
        if meta is None:
            return MISSING
        return _meta_ttl(meta)

    # -- writes -------------------------------------------------------------

    def set(
        self,
        key: str,
        value: Any,
        ttl: float | None,
        tags: Iterable[str] | None = None,
        tag_prefix: str = "",
    ) -> bool:
        """Store ``value``; ``False`` if the cluster refused it (too big: the old entry is gone).

        ``tags`` (see :mod:`aerospike_cache.tags`) replace the entry's tags;
        ``tag_prefix`` namespaces them. Bad tags raise before anything is written.
        """
        stored_tags = tagging.scoped(tag_prefix, tagging.validate(tags)) if tags else []
        if ttl is not None and ttl <= 0:
            self.delete(key)
            return True
        return self._put(key, self._bins(key, value, stored_tags), ttl)

    def _bins(self, key: str, value: Any, stored_tags: list[str]) -> dict[str, Any]:
        bins: dict[str, Any] = {VALUE_BIN: self.codec.encode(key, value)}
        if stored_tags:
            bins[TAG_BIN] = stored_tags
        return bins

    def _put(self, key: str, bins: dict[str, Any], ttl: float | None) -> bool:
        wttl = wire_ttl(ttl)
        try:
            client = self._client()
            self._check_ttl(wttl)
            client.put(self._key(key), bins, None, self._write_policy(wttl))
        except self._aex.RecordTooBig:
            self._drop_oversized(key)
            return False
        except (self._aex.AerospikeError, CacheError) as exc:
            return self._handle("set", exc, False)
        self._recovered()
        return True

    def add(
        self,
        key: str,
        value: Any,
        ttl: float | None,
        tags: Iterable[str] | None = None,
        tag_prefix: str = "",
    ) -> bool:
        """Store ``value`` only if ``key`` is absent (one create-only write); ``True`` if stored."""
        stored_tags = tagging.scoped(tag_prefix, tagging.validate(tags)) if tags else []
        if ttl is not None and ttl <= 0:
            # Stored and gone at once: it "succeeds" exactly when the key is absent.
            return not self.has(key)
        bins = self._bins(key, value, stored_tags)
        wttl = wire_ttl(ttl)
        try:
            client = self._client()
            self._check_ttl(wttl)
            client.put(self._key(key), bins, None, self._create_policy(wttl))
        except self._aex.RecordExistsError:
            self._recovered()
            return False
        except self._aex.RecordTooBig:
            self._warn_oversized(key)
            return False
        except (self._aex.AerospikeError, CacheError) as exc:
            return self._handle("add", exc, False)
        self._recovered()
        return True

    def set_many(
        self,
        mapping: Mapping[str, Any],
        ttl: float | None,
        tags: Iterable[str] | None = None,
        tag_prefix: str = "",
    ) -> list[str]:
        """Store every item (each with ``tags``) in one batch; returns the keys that failed."""
        stored_tags = tagging.scoped(tag_prefix, tagging.validate(tags))
        if not mapping:
            return []
        if ttl is not None and ttl <= 0:
            self.delete_many(list(mapping))
            return []
        from aerospike_helpers.batch.records import BatchRecords, Write

        wttl = wire_ttl(ttl)
        policy = self._write_policy(wttl)
        encode = self.codec.encode
        keys = list(mapping)
        tag_ops = [{"op": _OP_WRITE, "bin": TAG_BIN, "val": stored_tags}] if stored_tags else []
        rows = [
            Write(
                self._key(k),
                [{"op": _OP_WRITE, "bin": VALUE_BIN, "val": encode(k, mapping[k])}, *tag_ops],
                policy=policy,
            )
            for k in keys
        ]
        try:
            client = self._client()
            self._check_ttl(wttl)
            status = client.batch_write(BatchRecords(rows)).result
        except (self._aex.AerospikeError, CacheError) as exc:
            return self._handle("set_many", exc, keys)
        failed: list[str] = []
        oversized: list[str] = []
        bad: list[tuple[str, int]] = []
        for key, row in zip(keys, rows, strict=True):
            if row.result != 0:
                failed.append(key)
                if row.result == 13:
                    oversized.append(key)
                else:
                    bad.append((key, row.result))
        self._rows_failed("set_many", status, bad, len(keys))
        if oversized:
            for key in oversized:
                self._warn_oversized(key)
            self.delete_many(oversized)
        return failed

    def delete(self, key: str) -> bool:
        """Remove ``key``; ``True`` if it existed."""
        try:
            self._client().remove(self._key(key), policy=self._remove_policy)
        except self._aex.RecordNotFound:
            self._recovered()
            return False
        except (self._aex.AerospikeError, CacheError) as exc:
            return self._handle("delete", exc, False)
        self._recovered()
        return True

    def delete_many(self, keys: Iterable[str]) -> list[str]:
        """Remove the keys in one batch; returns those that existed."""
        return self.remove_many(keys)[0]

    def remove_many(self, keys: Iterable[str]) -> tuple[list[str], list[str]]:
        """Remove the keys in one batch; returns ``(existed, failed)``.

        Keys in neither list were absent. A failed row (e.g. key busy) is
        logged; under fail-open, the keys of a node that did not answer are
        failed (every key, if the call itself failed).
        """
        keys = list(dict.fromkeys(keys))
        if not keys:
            return [], []
        try:
            result = self._client().batch_remove([self._key(k) for k in keys])
        except (self._aex.AerospikeError, CacheError) as exc:
            return self._handle("delete_many", exc, ([], keys))
        existed: list[str] = []
        failed: list[tuple[str, int]] = []
        for key, row in zip(keys, result.batch_records, strict=True):
            if row.result == 0:
                existed.append(key)
            elif row.result != 2:
                failed.append((key, row.result))
        self._rows_failed("delete_many", result.result, failed, len(keys))
        return existed, [key for key, _ in failed]

    def touch(self, key: str, ttl: float | None) -> bool:
        """Give ``key`` a new TTL; ``False`` if it is absent. ``ttl <= 0`` deletes it."""
        if ttl is not None and ttl <= 0:
            return self.delete(key)
        wttl = wire_ttl(ttl)
        try:
            client = self._client()
            self._check_ttl(wttl)
            client.touch(self._key(key), wttl, None, self._remove_policy)
        except self._aex.RecordNotFound:
            self._recovered()
            return False
        except (self._aex.AerospikeError, CacheError) as exc:
            return self._handle("touch", exc, False)
        self._recovered()
        return True

    def incr(
        self, key: str, delta: int = 1, *, create: bool = False, ttl: float | None = None
    ) -> int | None:
        """Add ``delta`` atomically on the server and return the new value; the TTL is kept.

        Raises ``KeyError`` if ``key`` is absent (unless ``create``: then it is
        created with ``delta`` and ``ttl``) and ``TypeError`` if its value is
        not an integer. Fail-open, an outage returns ``None``.
        """
        if type(delta) is not int:
            if isinstance(delta, int):  # bool and int subclasses
                delta = int(delta)
            else:
                raise TypeError(f"delta must be an int, got {type(delta).__name__}")
        k = self._key(key)
        ops = [
            {"op": _OP_INCR, "bin": VALUE_BIN, "val": delta},
            {"op": _OP_READ, "bin": VALUE_BIN},
        ]
        for _attempt in range(3):
            try:
                client = self._client()
                _, _, bins = client.operate(k, ops, None, self._update_keep)
            except self._aex.RecordNotFound:
                if not create:
                    self._recovered()
                    raise KeyError(key) from None
            except self._aex.BinIncompatibleType:
                raise TypeError(f"the value of key {key!r} is not an integer") from None
            except (self._aex.AerospikeError, CacheError) as exc:
                return self._handle("incr", exc, None)
            else:
                self._recovered()
                return int(bins[VALUE_BIN])
            # Absent and create: create it with its own TTL, or lose the race
            # to another creator and increment theirs.
            if ttl is not None and ttl <= 0:
                return delta
            wttl = wire_ttl(ttl)
            try:
                self._check_ttl(wttl)
                client.put(k, {VALUE_BIN: delta}, None, self._create_policy(wttl))
            except self._aex.RecordExistsError:
                continue
            except (self._aex.AerospikeError, CacheError) as exc:
                return self._handle("incr", exc, None)
            self._recovered()
            return delta
        raise CacheOperationError(f"incr of {key!r} kept racing with deletes; try again")

    def remove_if_equal(self, key: str, value: Any) -> bool:
        """Delete ``key`` only if it still holds ``value`` (generation-checked); ``True`` if so."""
        aex = self._aex
        try:
            client = self._client()
            record_key = self._key(key)
            _, meta, bins = client.get(record_key)
            found, current = self.codec.decode(key, bins.get(VALUE_BIN))
            if not found or current != value:
                return False
            client.remove(
                record_key,
                policy={
                    **self._remove_policy,
                    "gen": self._aerospike.POLICY_GEN_EQ,
                    "generation": meta["gen"],
                },
            )
        except (aex.RecordNotFound, aex.RecordGenerationError):
            return False
        except (aex.AerospikeError, CacheError) as exc:
            return self._handle("remove_if_equal", exc, False)
        self._recovered()
        return True

    def move(self, old: str, new: str) -> bool:
        """Move ``old``'s value to ``new`` with its TTL and tags; ``False`` if ``old`` is absent."""
        value, ttl, stored_tags = self._entry_of(old)
        if value is MISSING:
            return False
        if not self._put(new, self._bins(new, value, stored_tags), ttl):
            return False
        self.delete(old)
        return True

    def clear(self) -> bool:
        """Remove every entry of the set, synchronously in effect; ``False`` if it failed.

        Truncate spares records written in the very millisecond it runs, so
        it waits 2 ms first: every write acknowledged before ``clear()`` was
        called is then strictly older than the truncate threshold.
        """
        if self.set_name is None and not self.allow_namespace_truncate:
            raise ConfigurationError(
                f"clear() would truncate the whole namespace {self.namespace!r} because no set "
                "is configured; configure a set, or allow namespace truncation explicitly"
            )
        time.sleep(0.002)
        try:
            self._client().truncate(self.namespace, self.set_name, 0)
        except (self._aex.AerospikeError, CacheError) as exc:
            return self._handle("clear", exc, False)
        self._recovered()
        return True

    # -- server-side selection: patterns and tags ---------------------------

    def keys(self, pattern: str = "*", prefix: str = "") -> Iterator[str]:
        """Stored keys matching ``prefix`` (literal) + glob ``pattern``, streamed.

        The server filters on a regular expression of the stored key; each
        candidate is re-checked with :func:`fnmatch.fnmatchcase`.
        """
        match = self._pattern(pattern, prefix)
        for page in selection.pages(self, "keys", selection.key_filter(match)):
            for record_key in page:
                key = selection.user_key(record_key)
                if key is not None and match.matches(key):
                    yield key

    def delete_pattern(self, pattern: str, prefix: str = "", *, wait: bool = True) -> int | Job:
        """Remove the entries whose key matches ``prefix`` + ``pattern``; how many were removed.

        ``wait=False`` starts a background job on the server and returns its
        :class:`~aerospike_cache.jobs.Job` (keys holding a NUL are left to it).
        """
        match = self._pattern(pattern, prefix)
        if not wait:
            return self._job("delete_pattern", match, None)
        return selection.remove(
            self, "delete_pattern", selection.key_filter(match), _checked(match)
        )

    def touch_pattern(
        self, pattern: str, ttl: float | None, prefix: str = "", *, wait: bool = True
    ) -> int | Job:
        """Give the entries matching ``prefix`` + ``pattern`` a new TTL; how many were touched."""
        match = self._pattern(pattern, prefix)
        if ttl is not None and ttl <= 0:
            return self.delete_pattern(pattern, prefix, wait=wait)
        wttl = wire_ttl(ttl)
        self._client()
        self._check_ttl(wttl)
        if not wait:
            return self._job("touch_pattern", match, wttl)
        return selection.touch(
            self, "touch_pattern", selection.key_filter(match), wttl, _checked(match)
        )

    def invalidate_tags(
        self, tags: Iterable[str], tag_prefix: str = "", *, wait: bool = True
    ) -> int | Job:
        """Remove every entry carrying any of ``tags``; how many were removed.

        ``wait=False`` starts a background job on the server and returns its
        :class:`~aerospike_cache.jobs.Job`. Works on entries stored without
        their key too (they are removed by digest).
        """
        stored = tagging.scoped(tag_prefix, tagging.validate(tags))
        if not stored:
            return 0 if wait else Job(None, "invalidate_tags()", lambda _id: None)
        expression = tagging.any_of(stored)
        if not wait:
            what = f"invalidate_tags({', '.join(map(repr, stored))})"
            return selection.start_job(self, "invalidate_tags", what, expression)
        return selection.remove(self, "invalidate_tags", expression)

    def _pattern(self, pattern: str, prefix: str) -> KeyPattern:
        if not self.store_keys:
            raise ConfigurationError(
                "key patterns need stored keys: enable store_keys (entries written "
                "without their key are invisible to keys() and delete_pattern())"
            )
        return compile_glob(pattern, prefix)

    def _job(self, op: str, match: KeyPattern, ttl: int | None) -> Job:
        what = f"{op}({match.prefix + match.glob!r})"
        if match.never:
            return Job(None, what, lambda _id: None)
        expression = selection.key_filter(match, blob_keys=False)
        return selection.start_job(self, op, what, expression, ttl)

    def close(self) -> None:
        """Nothing to do per request: the client is shared by the process (see :meth:`shutdown`)."""

    def shutdown(self) -> None:
        """Close the shared client this store uses (never a user-supplied one)."""
        if self._user_client is None and self._entry is not None:
            registry.discard(self._entry)
        self._entry = None
        self._ttl_forbidden = None

    # -- helpers ------------------------------------------------------------

    def _drop_oversized(self, key: str) -> None:
        self._warn_oversized(key)
        # The new value was refused: the old one must not be served instead.
        self.delete(key)

    def _warn_oversized(self, key: str) -> None:
        logger.warning(
            "aerospike-cache: value for key %r is larger than the namespace's max-record-size "
            "(error 13); it was not cached",
            key,
        )

    def _batch_failure(self, status: int, total: int) -> _BatchFailure:
        return _BatchFailure(status, f"batch of {total} keys failed")

    def _row_failure(self, bad: list[tuple[str, int]], total: int) -> _BatchFailure:
        key, code = bad[0]
        return _BatchFailure(code, f"{len(bad)} of {total} keys failed, first {key!r}")

    def _rows_failed(self, op: str, status: int, bad: list[tuple[str, int]], total: int) -> None:
        """Rows of a write batch that failed; the caller reports their keys as failed.

        A batch status other than an answer (a node down), a 22 (the nsup rule)
        and outage codes go through :meth:`_handle` (raise, or log under
        fail-open, where the rows still say which keys failed). Other codes
        (key busy, ...) are logged, rate limited.
        """
        if status not in _BATCH_ANSWERED:
            self._handle(op, self._batch_failure(status, total), None)
            return
        if not bad:
            self._recovered()
            return
        serious = [(k, c) for k, c in bad if c == 22 or c in _OUTAGE_CODES]
        if serious:
            self._handle(op, self._row_failure(serious, total), None)
            return
        self._recovered()
        key, code = bad[0]
        what = f"{op}: {len(bad)} of {total} keys failed, first {key!r} with code {code}"
        self._log_limited(op, code, CacheOperationError(what, code), "keys reported failed")

    # -- async --------------------------------------------------------------

    async def aget(self, key: str) -> Any:
        """Like :meth:`get`; concurrent calls on one event loop are coalesced into one batch."""
        self._key(key)  # a bad key fails this caller alone, not the batch it would join
        loop = asyncio.get_running_loop()
        coalescer = self._coalescers.get(loop)
        if coalescer is None:
            coalescer = self._coalescers[loop] = _ReadCoalescer(self, loop)
        return await coalescer.get(key)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking store method on the shared I/O pool (real concurrency)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_executor(), functools.partial(fn, *args))


class _ReadCoalescer:
    """Gathers the ``aget`` calls made in one event-loop turn into one batch read."""

    def __init__(self, store: AerospikeStore, loop: asyncio.AbstractEventLoop) -> None:
        self.store = store
        self.loop = loop
        self.pending: dict[str, list[asyncio.Future[Any]]] = {}

    def get(self, key: str) -> asyncio.Future[Any]:
        fut: asyncio.Future[Any] = self.loop.create_future()
        if not self.pending:
            self.loop.call_soon(self._flush)
        self.pending.setdefault(key, []).append(fut)
        return fut

    def _flush(self) -> None:
        pending, self.pending = self.pending, {}
        keys = list(pending)
        store = self.store
        if len(keys) == 1:
            key = keys[0]
            job = self.loop.run_in_executor(_executor(), store.get, key)

            def done_one(f: asyncio.Future[Any]) -> None:
                exc = f.exception()
                for fut in pending[key]:
                    if fut.done():
                        continue
                    if exc is not None:
                        fut.set_exception(exc)
                    else:
                        fut.set_result(f.result())

            job.add_done_callback(done_one)
            return
        batch = self.loop.run_in_executor(_executor(), store.get_many, keys)

        def done_many(f: asyncio.Future[dict[str, Any]]) -> None:
            exc = f.exception()
            values = {} if exc is not None else f.result()
            for key, futs in pending.items():
                for fut in futs:
                    if fut.done():
                        continue
                    if exc is not None:
                        fut.set_exception(exc)
                    else:
                        fut.set_result(values.get(key, MISSING))

        batch.add_done_callback(done_many)


_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    """The process-wide pool async calls run on (the client releases the GIL on I/O)."""
    global _pool, _pool_pid
    pool = _pool
    if pool is None or _pool_pid != os.getpid():
        with _pool_lock:
            if _pool is None or _pool_pid != os.getpid():
                _pool = ThreadPoolExecutor(
                    max_workers=min(32, (os.cpu_count() or 1) * 4 + 4),
                    thread_name_prefix="aerospike-cache",
                )
                _pool_pid = os.getpid()
            pool = _pool
    return pool


def _checked(match: KeyPattern) -> Callable[[Any], bool]:
    """The exact re-check of a record key the server selected by regex."""

    def check(record_key: Any) -> bool:
        key = selection.user_key(record_key)
        return key is not None and match.matches(key)

    return check


def _meta_ttl(meta: Mapping[str, Any] | None) -> int | None:
    if not meta:
        return None
    ttl = meta.get("ttl")
    if ttl is None or ttl >= 0xFFFFFFFF or ttl < 0:
        return None
    return int(ttl)


def _info_value(raw: str) -> str:
    """The value of a one-line info answer ``"name\\tvalue\\n"``."""
    _, _, value = raw.partition("\t")
    return value.strip()


_NODE_IN_MESSAGE: Final = re.compile(r"\S+:\d+")


def _user_key(key: Any) -> str | bytearray:
    """The Aerospike user key for an unusual ``key``, or :class:`InvalidKeyError`.

    The client cuts string keys at the first NUL (so "a\\0x" and "a\\0y" would
    be one record) and crashes the process on strings that are not valid
    UTF-8; keys holding a NUL travel as a blob of their UTF-8 bytes instead.
    """
    if type(key) is not str:
        raise InvalidKeyError(
            f"cache keys must be str, got {type(key).__name__} {key!r}; convert the key first"
        )
    try:
        encoded = key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidKeyError(
            f"cache key {key!r} is not valid Unicode ({exc.reason}); "
            "lone surrogates cannot be sent to Aerospike"
        ) from None
    return bytearray(encoded) if "\x00" in key else key


def _parse_info_pairs(raw: str) -> dict[str, str]:
    value = _info_value(raw)
    if not value or value.startswith("ERROR"):
        return {}
    pairs = {}
    for item in value.split(";"):
        name, sep, val = item.partition("=")
        if sep:
            pairs[name] = val
    return pairs
