"""AerospikeStore: the cache semantics the frontends call.

Each method is a cache operation in the store's TTL language (see
:mod:`.expiry`), made of client calls through the one failure path
(:mod:`.failures`) on records addressed by :mod:`.records`. An entry expires
at its deadline, to the millisecond: every read checks it (:mod:`.expiry`).
The common path is one round trip: ``get_many``/``set_many``/``delete_many``
are single batch calls, ``get`` one read of the value and deadline bins,
``add`` a create-only put, ``incr`` one ``operate``, ``has``/``ttl`` a read
of the deadline bin only, ``delete`` one ``remove``. Read-modify-write paths
(:mod:`.atomic`) add a generation-checked round trip only when a record
exists (``add``), is past its deadline (``incr``), and for ``touch``.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

from aerospike import exception as aex

from .. import options
from .. import tags as tagging
from ..connection import nsup_error, redact
from ..errors import ConfigurationError, NamespaceFullError
from ..jobs import Job
from ..serialization import Codec
from ..tags import TAG_BIN
from . import aio
from .atomic import TOO_BIG, Atomic
from .batches import Batches
from .capacity import capacity_warnings, fullest
from .expiry import DEADLINE_BIN, VALUE_BIN, Deadlines, is_gone
from .failures import NO_ANSWERS, BatchFailure, FailurePath, Observer, warn_oversized
from .hooks import count_read, near_get, near_get_many, operation
from .near import NearCache
from .records import MISSING, Records, truncate_threshold
from .selection import Selection
from .stampede import Stampede
from .stats import Stats, server_figures, stats_of

if TYPE_CHECKING:
    from .collections import Collections

T = TypeVar("T")
_D = options.DEFAULTS

_ABSENT_IS_MISSING: Final = ((aex.RecordNotFound, MISSING),)
_ABSENT_IS_FALSE: Final = ((aex.RecordNotFound, False),)
# a remove's filter says "truncated by clear()": absent too (Records.removed_since)
_REMOVE_ANSWERS: Final = ((aex.RecordNotFound, False), (aex.FilteredOut, False))
_DEADLINE_ONLY: Final = [DEADLINE_BIN]
_TOO_BIG: Final = ((aex.RecordTooBig, TOO_BIG),)


class AerospikeStore:
    """A cache in one Aerospike namespace and set, shared by any number of frontends.

    Nothing connects until the first operation. Every store with the same
    hosts and client configuration in a process shares one client; a store
    given ``client=`` uses that client as is and never closes it. Defaults
    come from :mod:`aerospike_cache.options` (the README's table).

    Args:
        hosts: seed hosts (``"h:p,h:p"``, a list of strings or ``(host, port[, tls_name])``).
        namespace: the Aerospike namespace.
        set_name: the set (``None``/``""``: the namespace's null set).
        client: a connected ``aerospike`` client to use instead of building one.
        client_config: extra ``aerospike.client()`` configuration (``user``,
            ``password``, ``tls``, ``policies``, ``cluster_name``, ``rack_aware``,
            ``max_error_rate``, ...).
        timeout_ms: total and socket timeout of every command.
        connect_timeout_ms: timeout of the initial connection.
        serializer: ``"pickle"``, ``"json"``, ``"msgpack"`` or an object.
        compressor: ``None``, ``"zlib"``, ``"zstd"``, ``"lz4"`` or an object.
        compress_min_size: compress serialized values of at least this many bytes.
        signing_key: HMAC key; unsigned or tampered entries then read as misses.
        fail_open: turn outages and server errors into misses and no-op writes (logged).
        store_keys: store the user key with each record (needed by :meth:`keys`).
        allow_namespace_truncate: let :meth:`clear` truncate a whole namespace
            when no set is configured.
        breaker_threshold / breaker_cooldown: consecutive outage errors that open the
            circuit, and seconds it stays open before a probe.
        near_cache: ``{"max_entries", "ttl", "max_idle"}`` for an in-process near cache.
        stampede: protection of :meth:`get_or_set` (``True``, ``False`` or a dict).
        early_recompute: XFetch's beta for :meth:`get_or_set` (0: off).
    """

    def __init__(
        self,
        hosts: Any = None,
        *,
        namespace: str = _D["namespace"],
        set_name: str | None = _D["set_name"],
        client: Any = _D["client"],
        client_config: Mapping[str, Any] | None = _D["client_config"],
        timeout_ms: int = _D["timeout_ms"],
        connect_timeout_ms: int = _D["connect_timeout_ms"],
        serializer: Any = _D["serializer"],
        compressor: Any = _D["compressor"],
        compress_min_size: int = _D["compress_min_size"],
        signing_key: str | bytes | None = _D["signing_key"],
        fail_open: bool = _D["fail_open"],
        store_keys: bool = _D["store_keys"],
        allow_namespace_truncate: bool = _D["allow_namespace_truncate"],
        breaker_threshold: int = _D["breaker_threshold"],
        breaker_cooldown: float = _D["breaker_cooldown"],
        near_cache: Mapping[str, Any] | None = _D["near_cache"],
        stampede: bool | Mapping[str, Any] = _D["stampede"],
        early_recompute: float = _D["early_recompute"],
    ) -> None:
        self.records = Records(
            hosts,
            namespace,
            set_name,
            client,
            client_config,
            timeout_ms,
            connect_timeout_ms,
            bool(store_keys),
            (breaker_threshold, float(breaker_cooldown)),
        )
        self.failures = FailurePath(self.records, bool(fail_open))
        self.codec = Codec(
            serializer, compressor, compress_min_size, signing_key, self.failures.limiter
        )
        self.namespace = self.records.namespace
        self.set_name = self.records.set_name
        self.store_keys = self.records.store_keys
        self.allow_namespace_truncate = bool(allow_namespace_truncate)
        self._call = self.failures.call
        self._key = self.records.key
        self._get_fn = self._get
        self._deadlines = Deadlines()
        parts = (self.records, self.failures, self.codec, self._deadlines)
        self.batches = Batches(*parts)
        self._atomic = Atomic(*parts)
        self._selection = Selection(*parts)
        self._put = self._atomic.put
        self._set_put = self._replace_or_drop
        self._reads = aio.Coalescers(self)
        self.records.on_fork(self._reads.reset)
        self.metrics = Stats(self._breaker)
        self.failures.stats = self.metrics  # exact counts, sampled latency: no observer call
        self.near = NearCache.from_options(near_cache, "near_cache", clock=self._now)
        self.stampede = Stampede.from_options(self, MISSING, stampede, early_recompute, "stampede")

    def __repr__(self) -> str:
        hosts = self.records.config.get("hosts")
        user = " (user client)" if self.records.user_client is not None else ""
        return (
            f"<AerospikeStore namespace={self.namespace!r} set={self.set_name!r} "
            f"hosts={hosts!r}{user}>"
        )

    @functools.cached_property
    def collections(self) -> Collections:
        """Hashes, sets and sorted sets on map bins (see :mod:`.collections`).

        Made at first use: a store that never uses them does not import them (with
        ``aerospike_helpers.expressions``, about 18 ms of start-up).
        """
        from .collections import Collections

        return Collections(self)

    def _breaker(self) -> Any:
        entry = self.records.entry
        return None if entry is None else entry.breaker

    def _now(self) -> float:
        return self._deadlines.clock()  # looked up at each call: store.clock may be replaced

    @property
    def clock(self) -> Callable[[], float]:
        """The clock that decides expiry: seconds since the Unix epoch (``time.time``).

        The one place a test, or a framework's fake clock, makes the store's
        notion of "now": ``store.clock = lambda: fake_now``.
        """
        return self._deadlines.clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self._deadlines.clock = clock

    @property
    def fail_open(self) -> bool:
        """Whether outages and server errors turn into misses and no-op writes."""
        return self.failures.fail_open

    @property
    def client_config(self) -> dict[str, Any]:
        """The client configuration with secrets redacted (safe to log)."""
        return redact(self.records.config)

    def add_observer(self, observer: Observer) -> None:
        """Report every client call's outcome: ``observer(op, code, node, elapsed)``."""
        self.failures.add_observer(observer)

    def check_ttl_writes(self) -> None:
        """Connect now and raise if the namespace is missing or refuses writes with a TTL.

        Raises :class:`~aerospike_cache.errors.CacheUnavailable`,
        :class:`~aerospike_cache.errors.ConfigurationError` or
        :class:`~aerospike_cache.errors.NsupError` (whatever ``fail_open`` says).
        """
        self.failures.call_strict("connect", None, NO_ANSWERS, _nothing, None)
        if self.records.ttl_forbidden:
            raise nsup_error(self.namespace)

    def capacity_warnings(
        self, default_never_expires: bool, default_name: str
    ) -> list[tuple[str, str]]:
        """``(id, text)`` of what will make the namespace refuse writes (code 8) when
        it fills: eviction off or at/above stop-writes, data use already past
        eviction, a default timeout that never expires (see :mod:`.capacity`).

        Reads the namespace from every node now; raises like :meth:`check_ttl_writes`.
        """
        answers: dict[str, Any] = self.failures.call_strict(
            "info", {}, NO_ANSWERS, _namespace_answers, self.namespace
        )
        return capacity_warnings(
            self.namespace, fullest(answers), default_never_expires, default_name
        )

    # -- reads --------------------------------------------------------------

    def get(self, key: str) -> Any:
        """The value of ``key``, or :data:`MISSING` (also once past its deadline)."""
        near = self.near
        if near is not None:
            return near_get(self, near, key)
        value = self._call("get", MISSING, _ABSENT_IS_MISSING, self._get_fn, key)
        if value is MISSING:
            self.metrics.misses += 1
        else:
            self.metrics.hits += 1
        return value

    def _get(self, client: Any, key: str) -> Any:
        # The hot path: records.key() and the codec's common case inlined.
        if type(key) is str and key.isascii() and "\x00" not in key:
            bins = client.get((self.namespace, self.set_name, key))[2]
        else:
            bins = client.get(self._key(key))[2]
        deadline = bins.get(DEADLINE_BIN)
        if deadline is not None and deadline <= self._deadlines.clock() * 1000:
            return MISSING
        stored = bins.get(VALUE_BIN)
        codec = self.codec
        if type(stored) is bytes and stored and stored[0] == codec.plain_format:
            try:  # the common entry, inline; anything odd goes to decode()
                return codec.plain_loads(stored[1:])
            except Exception:
                pass
        found, value = codec.decode(key, stored)
        return value if found else MISSING

    def get_with_ttl(self, key: str) -> tuple[Any, float | None]:
        """``(value, seconds left)``, ``None`` if it never expires; ``(MISSING, None)``."""
        pair = self._entry(key)[:2]
        count_read(self, pair[0] is not MISSING, 1)
        return pair

    def _entry(self, key: str) -> tuple[Any, float | None, list[str]]:
        """``(value, seconds left, stored tags)``, or ``(MISSING, None, [])``."""
        absent: tuple[Any, float | None, list[str]] = (MISSING, None, [])
        return self._call("get", absent, ((aex.RecordNotFound, absent),), self._read_entry, key)

    def _read_entry(self, client: Any, key: str) -> tuple[Any, float | None, list[str]]:
        _, meta, bins = client.get(self._key(key))
        left = self._deadlines.left(bins.get(DEADLINE_BIN), meta)
        if left is not None and left <= 0:
            return MISSING, None, []
        found, value = self.codec.decode(key, bins.get(VALUE_BIN))
        if not found:
            return MISSING, None, []
        return value, left, list(bins.get(TAG_BIN) or ())

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The values of the keys that are present, in one batch read."""
        asked = list(keys) if isinstance(keys, dict) else list(dict.fromkeys(keys))
        near = self.near
        found = self.batches.get_many(asked) if near is None else near_get_many(self, near, asked)
        count_read(self, len(found), len(asked))
        return found

    def has(self, key: str) -> bool:
        """Whether ``key`` is present (its deadline is read, not its value)."""
        return self._call("has", False, _ABSENT_IS_FALSE, self._has, key)

    def _has(self, client: Any, key: str) -> bool:
        deadline = client.select(self._key(key), _DEADLINE_ONLY)[2].get(DEADLINE_BIN)
        # Deadlines.expired(), inlined on the hot path (as in _get)
        return deadline is None or deadline > self._deadlines.clock() * 1000

    def ttl(self, key: str) -> Any:
        """Whole seconds left for ``key`` (rounded up); ``None`` if it never expires;
        :data:`MISSING` if absent."""
        return self._call("ttl", MISSING, _ABSENT_IS_MISSING, self._ttl, key)

    def _ttl(self, client: Any, key: str) -> Any:
        _, meta, bins = client.select(self._key(key), _DEADLINE_ONLY)
        left = self._deadlines.whole_seconds_left(bins.get(DEADLINE_BIN), meta)
        return MISSING if left == 0 else left

    def pttl(self, key: str) -> Any:
        """Milliseconds left for ``key`` (rounded up); ``None`` if it never expires;
        :data:`MISSING` if absent."""
        return self._call("ttl", MISSING, _ABSENT_IS_MISSING, self._pttl, key)

    def _pttl(self, client: Any, key: str) -> Any:
        _, meta, bins = client.select(self._key(key), _DEADLINE_ONLY)
        left = self._deadlines.left(bins.get(DEADLINE_BIN), meta)
        if left is None:
            return None
        return MISSING if left <= 0 else max(1, math.ceil(left * 1000))

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
        A ``ttl`` <= 0 removes the entry instead and answers whether it existed.
        """
        try:
            stored_tags = tagging.stored(tags, tag_prefix) if tags else None
            if ttl is not None and ttl <= 0:  # is_gone(), inlined on the hot path
                return self.delete(key)
            return self._set(key, self.codec.encode(key, value), ttl, stored_tags)
        finally:  # what operation("set") does, inlined on the hot path
            if self.near is not None:
                self.near.drop((key,))
            self.metrics.sets += 1

    def _set(self, key: str, encoded: Any, ttl: float | None, stored_tags: Any) -> bool:
        bins, wttl = self._deadlines.entry(encoded, ttl)
        if stored_tags:
            bins[TAG_BIN] = stored_tags
        policy = self.records.write_policy(wttl)
        done = self._call("set", False, _TOO_BIG, self._set_put, (key, bins, wttl, policy, None))
        if done is TOO_BIG:
            warn_oversized(key)
            self.delete(key)  # the new value was refused: the old one must not be served
            return False
        return done

    def _replace_or_drop(self, client: Any, job: tuple[str, dict[str, Any], int, Any, Any]) -> bool:
        """A set's put; refused by a full namespace, the old entry is removed first
        (a remove works on a full namespace): a refused set never leaves the old value
        to be served, as with a value too big."""
        try:
            return self._put(client, job)
        except aex.ServerFull:
            with contextlib.suppress(aex.AerospikeError):  # the refusal is what to report
                client.remove(self._key(job[0]))
            raise

    def add(
        self,
        key: str,
        value: Any,
        ttl: float | None,
        tags: Iterable[str] | None = None,
        tag_prefix: str = "",
    ) -> bool:
        """Store ``value`` only if ``key`` is absent (or past its deadline); ``True`` if stored.

        One create-only write; only if the record exists, its deadline is
        read and an expired entry replaced, generation-checked (one winner).
        """
        try:
            stored_tags = tagging.stored(tags, tag_prefix) if tags else None
            if is_gone(ttl):
                # Stored and gone at once: it "succeeds" exactly when the key is absent.
                return not self.has(key)
            return self._atomic.add(key, self.codec.encode(key, value), ttl, stored_tags)
        finally:  # what operation("set") does, inlined on the hot path
            if self.near is not None:
                self.near.drop((key,))
            self.metrics.sets += 1

    def replace(
        self,
        key: str,
        value: Any,
        ttl: float | None,
        tags: Iterable[str] | None = None,
        tag_prefix: str = "",
    ) -> bool:
        """Store ``value`` only if ``key`` is present (and live); ``True`` if stored.

        One update-only write, filtered on the entry's deadline (Redis' ``SET
        XX``). ``ttl <= 0`` deletes a present entry (``True`` if there was one).
        """
        try:
            stored_tags = tagging.stored(tags, tag_prefix) if tags else None
            if is_gone(ttl):
                return self.delete(key)
            done = self._atomic.replace(key, self.codec.encode(key, value), ttl, stored_tags)
            if done is TOO_BIG:
                warn_oversized(key)
                self.delete(key)  # the new value was refused: the old one must not be served
                return False
            return bool(done)
        finally:  # what operation("set") does
            if self.near is not None:
                self.near.drop((key,))
            self.metrics.sets += 1

    def set_many(
        self,
        mapping: Mapping[str, Any],
        ttl: float | None,
        tags: Iterable[str] | None = None,
        tag_prefix: str = "",
    ) -> list[str]:
        """Store every item (each with ``tags``) in one batch; returns the keys that failed."""
        try:
            stored_tags = tagging.stored(tags, tag_prefix) if tags else None
            return self.batches.set_many(mapping, ttl, stored_tags)
        finally:  # what operation("set_many") does, inlined: a mapping names its keys
            if self.near is not None:
                self.near.drop(mapping)
            self.metrics.sets += len(mapping)

    def delete(self, key: str) -> bool:
        """Remove ``key``; ``True`` if the record existed.

        One ``remove``: a record past its deadline that the server has not
        evicted yet (at most about a second) still counts as existing here.
        After this store's :meth:`clear`, the remove carries a filter on the
        record's last-update time, so a record the truncate removed reads
        absent here too (a node keeps it in its index for about a second).
        """
        try:
            job = (self._key(key), self.records.remove_policy)
            return self._call("delete", False, _REMOVE_ANSWERS, _remove, job)
        finally:  # what operation("delete") does, inlined on the hot path
            if self.near is not None:
                self.near.drop((key,))
            self.metrics.deletes += 1

    @operation("delete_many")
    def delete_many(self, keys: Iterable[str]) -> list[str]:
        """Remove the keys in one batch; returns those that existed."""
        return self.batches.remove_many(keys)[0]

    @operation("delete_many")
    def remove_many(self, keys: Iterable[str]) -> tuple[list[str], list[str]]:
        """Remove the keys in one batch; returns ``(existed, failed)``.

        Keys in neither list were absent. A failed row (e.g. key busy) is
        logged; under fail-open, the keys of a node that did not answer are
        failed (every key, if the call itself failed). A record past its
        deadline but not yet evicted counts as existing here.
        """
        return self.batches.remove_many(keys)

    @operation("update")
    def touch(self, key: str, ttl: float | None) -> bool:
        """Give ``key`` a new TTL; ``False`` if it is absent. ``ttl <= 0`` deletes it."""
        if is_gone(ttl):
            return self.delete(key)
        return self._atomic.touch(key, ttl)

    def incr(
        self, key: str, delta: int = 1, *, create: bool = False, ttl: float | None = None
    ) -> int | None:
        """Add ``delta`` atomically on the server and return the new value; the TTL is kept.

        Raises ``KeyError`` if ``key`` is absent or past its deadline (unless
        ``create``: then it is created with ``delta`` and ``ttl``) and
        ``TypeError`` if its value is not an integer. Fail-open, an outage
        returns ``None``.
        """
        try:
            if type(delta) is not int:
                if not isinstance(delta, int):
                    raise TypeError(f"delta must be an int, got {type(delta).__name__}")
                delta = int(delta)  # bool and int subclasses
            return self._atomic.incr(key, delta, create, ttl)
        finally:  # what operation("update") does, inlined on the hot path
            if self.near is not None:
                self.near.drop((key,))

    @operation("delete")
    def remove_if_equal(self, key: str, value: Any) -> bool:
        """Delete ``key`` only if it still holds ``value`` (generation-checked); ``True`` if so."""
        return self._atomic.remove_if_equal(key, value)

    def move(self, old: str, new: str) -> bool:
        """Move ``old``'s value to ``new`` with its deadline and tags; ``False`` if it is absent."""
        value, ttl, stored_tags = self._entry(old)
        if value is MISSING:
            return False
        if not self._set(new, self.codec.encode(new, value), ttl, stored_tags):
            return False
        self.delete(old)
        return True

    @operation("clear")
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
        return self._call("clear", False, NO_ANSWERS, self._truncate, None)

    def _truncate(self, client: Any, _: None) -> bool:
        client.truncate(self.namespace, self.set_name, 0)
        try:
            threshold = truncate_threshold(client, self.namespace, self.set_name)
        except aex.AerospikeError:  # done: only delete's answer on doomed records is at stake
            threshold = None
        self.records.removed_since(threshold)
        return True

    # -- server-side selection: key patterns and tags (see .selection) -------

    def keys(self, pattern: str = "*", prefix: str = "") -> Iterator[str]:
        """Stored keys matching ``prefix`` (literal) + glob ``pattern``, streamed.

        The server filters on a regular expression of the stored key; a
        candidate the regex may have let through (a key stored as a blob, or
        a pattern with ``?`` or a negated class, which a non-ASCII character
        can fool) is re-checked with :func:`fnmatch.fnmatchcase`. On a
        cluster each partition is read once, from its master (a lost node's
        from a replica). If a node fails and none of its partitions has a
        live copy (replication factor 1, before the survivors take over),
        strict raises :class:`~aerospike_cache.errors.CacheUnavailable`
        naming the node; fail-open ends the listing early (logged): the keys
        the live nodes sent until then, the rest missed.
        """
        return self._selection.keys(pattern, prefix)

    @operation("invalidate")
    def delete_pattern(self, pattern: str, prefix: str = "", *, wait: bool = True) -> int | Job:
        """Remove the entries whose key matches ``prefix`` + ``pattern``; how many were removed.

        ``wait=False`` starts a background job on the server and returns its
        :class:`~aerospike_cache.jobs.Job` (keys holding a NUL are left to it).
        While a node is lost, as :meth:`keys` (and the removes are writes:
        with replicas, they fail until the cluster has re-formed); the count
        is what was removed.
        """
        return self._selection.delete_pattern(pattern, prefix, wait)

    @operation("invalidate")
    def touch_pattern(
        self, pattern: str, ttl: float | None, prefix: str = "", *, wait: bool = True
    ) -> int | Job:
        """Give the entries matching ``prefix`` + ``pattern`` a new TTL; how many were touched."""
        if is_gone(ttl):
            return self.delete_pattern(pattern, prefix, wait=wait)
        return self._selection.touch_pattern(pattern, ttl, prefix, wait)

    @operation("invalidate")
    def invalidate_tags(
        self, tags: Iterable[str], tag_prefix: str = "", *, wait: bool = True
    ) -> int | Job:
        """Remove every entry carrying any of ``tags``; how many were removed.

        ``wait=False`` starts a background job on the server and returns its
        :class:`~aerospike_cache.jobs.Job`. Entries stored without their key
        are found too (they are removed by digest).
        """
        return self._selection.invalidate_tags(tagging.stored(tags, tag_prefix), wait)

    def close(self) -> None:
        """Nothing to do per request: the client is shared by the process (see :meth:`shutdown`)."""

    def shutdown(self) -> None:
        """Close the shared client this store uses (never a user-supplied one)."""
        self.records.shutdown()

    # -- stampede protection and stats ----------------------------------------

    def get_or_set(self, key: str, compute: Callable[[], Any], ttl: float | None) -> Any:
        """The value of ``key``, or ``compute()`` stored with ``ttl``.

        With stampede protection on, a missing value is computed once across
        threads and processes (see :mod:`.stampede`). A full namespace (code
        8) refusing to store the value does not fail the call, strict or not:
        the computed value is returned.
        """
        if self.stampede is not None:
            return self.stampede.get_or_set(key, compute, ttl)
        value = self.get(key)
        if value is MISSING:
            value = compute()
            # a full namespace: counted and described by the failure path; the value is good
            with contextlib.suppress(NamespaceFullError):
                self.set(key, value, ttl)
        return value

    def stats(self) -> dict[str, Any]:
        """This process's figures: hits, misses, near hits, sets, deletes, errors by code,
        the breaker, latency percentiles per operation, the near cache's fill."""
        return stats_of(self)

    def reset_stats(self) -> None:
        """Start :meth:`stats` from zero."""
        self.metrics.reset()

    def server_stats(self) -> dict[str, Any]:
        """The cluster's figures for this namespace and set (objects, use, evictions, nsup)."""
        return self.failures.call_strict(
            "info", {}, NO_ANSWERS, _server_figures, (self.namespace, self.set_name)
        )

    # -- async --------------------------------------------------------------

    async def aget(self, key: str) -> Any:
        """Like :meth:`get`; concurrent calls on one event loop are coalesced into one batch."""
        self._key(key)  # a bad key fails this caller alone, not the batch it would join
        near = self.near
        if near is not None and near.get(key) is not None:
            return self.get(key)  # served from memory: no trip to the I/O pool
        return await self._reads.get(key)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking store method on the shared I/O pool (real concurrency)."""
        return await aio.run(fn, *args)


# Client calls with nothing to add: module functions, no closure per call.


def _nothing(client: Any, _: None) -> None:
    return None


def _remove(client: Any, job: tuple[Any, Any]) -> bool:
    client.remove(job[0], policy=job[1])
    return True


def _server_figures(client: Any, arg: tuple[str, str | None]) -> dict[str, Any]:
    return server_figures(client, *arg)


def _namespace_answers(client: Any, namespace: str) -> Any:
    return client.info_all(f"namespace/{namespace}")


__all__ = ["MISSING", "AerospikeStore", "BatchFailure"]
