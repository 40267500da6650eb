"""What talks to the client: the connection of a store, its keys, policies and batch rows.

Nothing here knows about cache semantics (misses, fail-open, TTL rules):
that is the facade's (:mod:`.facade`) and the failure path's (:mod:`.failures`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

import aerospike

from ..connection import (
    CircuitBreaker,
    ClientEntry,
    build_client_config,
    forks,
    inherit,
    inspect_namespace,
    nsup_error,
    parse_hosts,
    registry,
)
from ..errors import CacheUnavailable, ConfigurationError, InvalidKeyError
from ..log import logger
from ..tags import TAG_BIN
from .expiry import DEADLINE_BIN, TTL_KEEP, VALUE_BIN, Deadlines
from .stats import info_values, parse_pairs

if TYPE_CHECKING:
    from ..serialization import Codec
    from .failures import FailurePath


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final[Any] = _Missing()
"""What the store returns for a miss (``None`` is a value that can be cached)."""

# Operation codes, inlined into op dicts built by hand: aerospike_helpers'
# builders cost a Python call per op on the hot path.
OP_READ: Final[int] = aerospike.OPERATOR_READ
OP_WRITE: Final[int] = aerospike.OPERATOR_WRITE
OP_INCR: Final[int] = aerospike.OPERATOR_INCR

Key = tuple[str, str | None, str | bytearray]


class Records:
    """One store's view of the cluster: a namespace and set on a shared client.

    Validates the options it owns (namespace, set, hosts, client config,
    timeouts, breaker); the client is resolved and connected on first use.
    """

    def __init__(
        self,
        hosts: Any,
        namespace: str,
        set_name: str | None,
        client: Any,
        client_config: Any,
        timeout_ms: int,
        connect_timeout_ms: int,
        store_keys: bool,
        breaker: tuple[int, float],
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
        CircuitBreaker(*breaker)  # validates the breaker options now, not at first failure
        self.namespace = namespace
        self.set_name = set_name or None
        #: the command timeout (seconds): the longest a call waits for the cluster
        self.timeout_s = timeout_ms / 1000
        self.user_client = client
        if client is None:
            self.config = build_client_config(
                parse_hosts(hosts), client_config, timeout_ms, connect_timeout_ms
            )
        else:
            if client_config:
                raise ConfigurationError(
                    "a pre-built client was given: its configuration is its own, "
                    "so do not pass client_config as well"
                )
            self.config = {"hosts": parse_hosts(hosts) if hosts else []}
        self._breaker = breaker
        self.entry: ClientEntry | None = None
        self.ttl_forbidden: bool | None = None
        self.suspect = False  # set off the common path; the failure path clears it
        self._forks = forks.generation
        self._on_fork: list[Callable[[], None]] = []
        self.store_keys = store_keys
        key_policy = aerospike.POLICY_KEY_SEND if store_keys else aerospike.POLICY_KEY_DIGEST
        self._key_policy = key_policy
        self._write_policies: dict[int, dict[str, Any]] = {}
        #: the namespace refuses replaces: entries are written as merges (see write_policy)
        self.replace_refused = False
        self._create_policies: dict[int, dict[str, Any]] = {}
        self.update_keep = {
            "key": key_policy,
            "ttl": TTL_KEEP,
            "exists": aerospike.POLICY_EXISTS_UPDATE,
        }
        self.key_only = {"key": key_policy}
        #: the policy of a remove: key_only, or after clear() one that answers
        #: "filtered out" for a record the truncate doomed (see removed_since)
        self.remove_policy: dict[str, Any] = self.key_only
        self.batch_remove_policy: dict[str, Any] | None = None

    # -- the client -----------------------------------------------------------

    def on_fork(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when this store is first used in a forked child."""
        self._on_fork.append(callback)

    def client(self) -> Any:
        """The connected client, or :class:`CacheUnavailable` when the circuit is open.

        The client's own errors (cannot connect, info failed) propagate for the
        failure path to classify.
        """
        entry = self.entry
        if (
            entry is not None
            and entry.client is not None
            and not entry.breaker.failures
            and self.ttl_forbidden is not None
            and self._forks == forks.generation
        ):
            return entry.client  # the common case: connected, inspected, healthy
        # Failures were counted: the next success must close the breaker.
        self.suspect = True
        if self._forks != forks.generation:
            # Forked: the parent's client is the parent's; build our own.
            self._forks = forks.generation
            if entry is not None:
                inherit([entry])  # freeing the parent's client in the child crashes it
            self.entry = entry = None
            self.ttl_forbidden = None
            for callback in self._on_fork:
                callback()
        if entry is None or entry.client is None:
            entry = self._resolve_entry()
        if entry.breaker.failures and not entry.breaker.allow():
            raise CacheUnavailable(
                f"Aerospike cluster {self.hosts_text()} is unreachable "
                "(circuit open after repeated failures; probing again shortly)"
            )
        client = entry.client
        if client is None:
            client = registry.connect(entry)
        if self.ttl_forbidden is None:
            self.ttl_forbidden = inspect_namespace(client, entry, self.namespace, self.hosts_text())
            # An Enterprise namespace resolving write conflicts (XDR bin convergence)
            # refuses record replaces: entries are then written as merges
            refused = entry.namespace_info[self.namespace].get("conflict-resolve-writes") == "true"
            if refused != self.replace_refused:
                self.replace_refused = refused
                self._write_policies.clear()
            if self.ttl_forbidden:
                logger.warning("aerospike-cache: %s", nsup_error(self.namespace))
        return client

    def _resolve_entry(self) -> ClientEntry:
        entry = self.entry
        if entry is None or (entry.client is None and self.user_client is None):
            if self.user_client is not None:
                entry = ClientEntry(config=self.config, client=self.user_client)
            else:
                entry = registry.entry(self.config)
            if entry.breaker.threshold != self._breaker[0]:
                entry.breaker = CircuitBreaker(*self._breaker)
            self.entry = entry
        return entry

    def shutdown(self) -> None:
        """Close the shared client (never a user-supplied one)."""
        if self.user_client is None and self.entry is not None:
            registry.discard(self.entry)
        self.entry = None
        self.ttl_forbidden = None

    def hosts_text(self) -> str:
        hosts = self.config.get("hosts") or []
        return ",".join(f"{h[0]}:{h[1]}" for h in hosts) or "(user client)"

    def check_ttl(self, ttl: int) -> None:
        """Raise :class:`NsupError` before a TTL write the namespace would refuse."""
        if ttl > 0 and self.ttl_forbidden:
            raise nsup_error(self.namespace)

    # -- keys and policies ------------------------------------------------------

    def key(self, key: str) -> Key:
        # isascii() is O(1) and the NUL search a memchr: the common key costs ~30 ns here
        if type(key) is str and key.isascii() and "\x00" not in key:
            return (self.namespace, self.set_name, key)
        return (self.namespace, self.set_name, user_key(key))

    def keys(self, keys: Iterable[str]) -> list[Key]:
        # key() inlined: a batch of 100 keys saves 100 calls; and its test made once
        # for the batch: every key is plain when the keys joined are
        ns, set_name = self.namespace, self.set_name
        keys = keys if isinstance(keys, list) else list(keys)
        try:
            joined = "".join(keys)
        except TypeError:  # a key that is not a str: user_key() says so
            joined = "\x00"
        if joined.isascii() and "\x00" not in joined:
            return [(ns, set_name, k) for k in keys]
        return [
            (ns, set_name, k)
            if type(k) is str and k.isascii() and "\x00" not in k
            else (ns, set_name, user_key(k))
            for k in keys
        ]

    def removed_since(self, threshold_ns: int | None) -> None:
        """After a truncate at ``threshold_ns``: removes answer "filtered out" for the
        records it doomed (a node's remove finds them in its index for a while)."""
        if threshold_ns is None:
            self.remove_policy, self.batch_remove_policy = self.key_only, None
            return
        from aerospike_helpers import expressions as exp

        alive = exp.GE(exp.LastUpdateTime(), threshold_ns).compile()
        self.remove_policy = {"key": self._key_policy, "expressions": alive}
        self.batch_remove_policy = {"expressions": alive}

    def write_policy(self, ttl: int) -> dict[str, Any]:
        """A write of a whole entry (its bins: see ``Deadlines.entry``): a create-or-replace,
        so a write drops what an older entry had (deadline, tags) without nil bins.
        A namespace that refuses replaces gets a merge, with nil bins (:meth:`whole`)."""
        pol = self._write_policies.get(ttl)
        if pol is None:
            pol = {"key": self._key_policy, "ttl": ttl}
            if not self.replace_refused:
                pol["exists"] = aerospike.POLICY_EXISTS_CREATE_OR_REPLACE
            if len(self._write_policies) < 256:
                self._write_policies[ttl] = pol
        return pol

    def whole(self, bins: dict[str, Any]) -> dict[str, Any]:
        """The bins of a whole entry as this namespace must be sent them (see
        :meth:`write_policy`): as they are, or with nil bins for a merge."""
        if self.replace_refused:
            return {DEADLINE_BIN: None, TAG_BIN: None, **bins}
        return bins

    def create_policy(self, ttl: int) -> dict[str, Any]:
        pol = self._create_policies.get(ttl)
        if pol is None:
            pol = {"key": self._key_policy, "ttl": ttl, "exists": aerospike.POLICY_EXISTS_CREATE}
            if len(self._create_policies) < 256:
                self._create_policies[ttl] = pol
        return pol

    def remove_if_policy(self, generation: int) -> dict[str, Any]:
        """A remove that applies only while the record is at ``generation``."""
        return {"key": self._key_policy, "gen": aerospike.POLICY_GEN_EQ, "generation": generation}

    def replace_if_policy(self, ttl: int) -> dict[str, Any]:
        """A put replacing the record only at the generation given in ``meta={"gen": g}``
        (where replaces are refused, a merge: send :meth:`whole` bins)."""
        if self.replace_refused:
            return {"key": self._key_policy, "ttl": ttl, "gen": aerospike.POLICY_GEN_EQ}
        return {
            "key": self._key_policy,
            "ttl": ttl,
            "exists": aerospike.POLICY_EXISTS_REPLACE,
            "gen": aerospike.POLICY_GEN_EQ,
        }

    def update_if_policy(self, ttl: int) -> dict[str, Any]:
        """An operate with a new ``ttl``, only at the generation given in ``meta={"gen": g}``."""
        return {"key": self._key_policy, "ttl": ttl, "gen": aerospike.POLICY_GEN_EQ}

    def write_rows(
        self,
        items: list[tuple[str, Any]],
        ttl: int,
        deadline: int | None,
        stored_tags: list[str] | None = None,
    ) -> list[Any]:
        """Batch write rows storing each ``(key, bin value)`` with ``ttl``, ``deadline``, tags."""
        from aerospike_helpers.batch.records import Write

        policy = self.write_policy(ttl)
        # the bins besides the value, as Deadlines.entry and the tags make them for a put
        end: dict[str, Any] = {} if deadline is None else {DEADLINE_BIN: deadline}
        if stored_tags:
            end[TAG_BIN] = stored_tags
        extra = [{"op": OP_WRITE, "bin": name, "val": v} for name, v in self.whole(end).items()]
        keys = self.keys([k for k, _ in items])
        return [
            Write(key, [{"op": OP_WRITE, "bin": VALUE_BIN, "val": v}, *extra], policy=policy)
            for key, (_, v) in zip(keys, items, strict=True)
        ]


_CITRUSLEAF_EPOCH_MS = 1_262_304_000_000  # 2010-01-01, the epoch of the server's times


def truncate_threshold(client: Any, namespace: str, set_name: str | None) -> int | None:
    """The last truncate's threshold of the set (or namespace) in ns since the Unix epoch:
    the greatest any node reports, ``None`` if none reports one.

    A record last updated before it is truncated, whether or not the server
    has dropped it from its index yet (a real node takes about a second).
    """
    # a set's answer is colon-separated, a namespace's semicolon-separated (stats.merge_nodes)
    what, sep = (
        (f"sets/{namespace}/{set_name}", ":") if set_name else (f"namespace/{namespace}", ";")
    )
    found = 0
    for value in info_values(client.info_all(what)).values():
        lut = parse_pairs(value, sep).get("truncate_lut", "")
        if lut.isdigit():
            found = max(found, int(lut))
    return (found + _CITRUSLEAF_EPOCH_MS) * 1_000_000 if found else None


def user_key(key: Any) -> str | bytearray:
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


def stored_key(user: Any) -> str | None:
    """The cache key of a scanned record's stored user key (``None``: not one of ours)."""
    if isinstance(user, (bytes, bytearray)):  # a key holding a NUL (see user_key)
        user = bytes(user).decode("utf-8", "replace")
    return user if isinstance(user, str) else None


class StorePart:
    """An operation module of a store (batches, atomic operations): the pieces it shares."""

    def __init__(
        self, records: Records, failures: FailurePath, codec: Codec, deadlines: Deadlines
    ) -> None:
        self.records = records
        self.failures = failures
        self.codec = codec
        self.deadlines = deadlines
