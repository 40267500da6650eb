"""Hosts parsing, the process-wide client registry, namespace inspection, fork safety.

An ``aerospike`` client runs a tend thread and connection pools of its own,
so there must be one per process and configuration, shared by every thread
and every cache instance (Django builds a backend per thread). The registry
here hands that one client out, builds it lazily on first use, and gives a
forked child a client of its own without touching the parent's.

Fork safety has one mechanism, :data:`forks`: a counter bumped in the child
at fork time, plus callbacks run there (the registry's, the I/O pool's).
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigurationError, NsupError

DEFAULT_PORT = 3000

Host = tuple[str, int] | tuple[str, int, str]

# Bounded defaults: a dead cluster must cost a request a second at most, not
# the client's own defaults (which let a read retry for longer).
DEFAULT_TIMEOUT_MS = 1000
DEFAULT_CONNECT_TIMEOUT_MS = 1000


def parse_hosts(location: Any) -> list[Host]:
    """Parse a seed list.

    Accepts ``"host[:port[:tls_name]][,host...]"`` (IPv6 as ``[::1]:3000``),
    a list of such strings, or ``(host, port[, tls_name])`` tuples where
    ``tls_name`` may be ``None`` (the aerospike-flask-cache style).
    """
    if location is None or location == "" or location == []:
        raise ConfigurationError(
            "no Aerospike hosts configured: set LOCATION (Django) or CACHE_AEROSPIKE_HOSTS "
            "(Flask), e.g. '127.0.0.1:3000'"
        )
    items: Iterable[Any]
    if isinstance(location, str):
        items = [part for part in location.replace(";", ",").split(",") if part.strip()]
    elif isinstance(location, tuple) and location and isinstance(location[0], str):
        # A single (host, port) tuple rather than a list of them.
        items = [location]
    elif isinstance(location, Iterable):
        items = location
    else:
        raise ConfigurationError(
            f"hosts must be a 'host:port' string or a list of them, got {location!r}"
        )
    hosts: list[Host] = []
    for item in items:
        hosts.append(_parse_one(item))
    if not hosts:
        raise ConfigurationError("no Aerospike hosts configured: the host list is empty")
    return hosts


def _parse_one(item: Any) -> Host:
    if isinstance(item, str):
        text = item.strip()
        if text.startswith("["):
            end = text.find("]")
            if end < 0:
                raise ConfigurationError(f"bad IPv6 host {item!r}: missing ']'")
            host, rest = text[1:end], text[end + 1 :]
            parts = rest.lstrip(":").split(":") if rest else []
        else:
            host, *parts = text.split(":")
        port: Any = parts[0] if parts else DEFAULT_PORT
        tls_name = parts[1] if len(parts) > 1 else None
        if len(parts) > 2:
            raise ConfigurationError(f"bad host {item!r}: use host[:port[:tls_name]]")
    elif isinstance(item, (tuple, list)) and 1 <= len(item) <= 3:
        host = item[0]
        port = item[1] if len(item) > 1 else DEFAULT_PORT
        tls_name = item[2] if len(item) > 2 else None
    else:
        raise ConfigurationError(
            f"bad host {item!r}: use 'host:port' or a (host, port[, tls_name]) tuple"
        )
    if not isinstance(host, str) or not host:
        raise ConfigurationError(f"bad host {item!r}: the host name is empty")
    try:
        port_num = int(port)
    except (TypeError, ValueError):
        raise ConfigurationError(f"bad host {item!r}: port {port!r} is not a number") from None
    if not 0 < port_num < 65536:
        raise ConfigurationError(f"bad host {item!r}: port {port_num} is out of range")
    if tls_name:
        return (host, port_num, str(tls_name))
    return (host, port_num)


def build_client_config(
    hosts: Sequence[Host],
    client_config: Mapping[str, Any] | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    connect_timeout_ms: int = DEFAULT_CONNECT_TIMEOUT_MS,
) -> dict[str, Any]:
    """The ``aerospike.client()`` configuration: the user's, over our bounded defaults.

    Anything the client accepts (``user``/``password``, ``tls``, ``policies``,
    ``cluster_name``, ``rack_aware``, ``max_error_rate``, ...) passes through
    ``client_config`` untouched; only keys it does not set get our defaults.
    """
    config: dict[str, Any] = copy.deepcopy(dict(client_config or {}))
    if "hosts" in config:
        raise ConfigurationError(
            "give the hosts once, as LOCATION / CACHE_AEROSPIKE_HOSTS, not inside the client config"
        )
    config["hosts"] = list(hosts)
    config.setdefault("connect_timeout", connect_timeout_ms)
    policies = config.setdefault("policies", {})
    if not isinstance(policies, dict):
        raise ConfigurationError(f"client config 'policies' must be a dict, got {policies!r}")
    for kind in ("read", "write", "operate", "remove", "batch", "batch_write", "batch_remove"):
        pol = policies.setdefault(kind, {})
        pol.setdefault("total_timeout", timeout_ms)
        pol.setdefault("socket_timeout", timeout_ms)
    policies.setdefault("info", {}).setdefault("timeout", timeout_ms)
    return config


def redact(config: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a client config safe to log or repr: secrets replaced by ``'***'``."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key in ("password", "keyfile_pw", "pk_file_pw") or "password" in key:
            out[key] = "***"
        elif isinstance(value, Mapping):
            out[key] = redact(value)
        else:
            out[key] = value
    return out


def config_fingerprint(config: Mapping[str, Any]) -> str:
    """A stable identity for a client configuration (secrets hashed, never kept in clear)."""
    digest = hashlib.sha256(repr(_canonical(config)).encode()).hexdigest()
    return digest[:24]


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    return repr(value)


@dataclass
class ClientEntry:
    """One shared client and what is known about it (per process and configuration)."""

    config: dict[str, Any] = field(repr=False)  # holds the password
    client: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # namespace -> namespace/<ns> info, read once per client
    namespace_info: dict[str, dict[str, str]] = field(default_factory=dict)
    breaker: CircuitBreaker = field(default_factory=lambda: CircuitBreaker())
    nodes: NodeHealth = field(default_factory=lambda: NodeHealth())


class NodeHealth:
    """What the calls of every store sharing a client have seen of its cluster's nodes.

    The failure path uses it to tell one lost node (the cluster answers other
    calls) from the whole cluster gone (see ``FailurePath.classify``).
    """

    #: how often the client is asked which nodes it knows
    RECHECK_S = 1.0

    def __init__(self) -> None:
        #: time.monotonic() of the last call the cluster answered (any thread or store)
        self.last_answer = 0.0
        #: node ("host:port", "" when unnamed) -> time.monotonic() of its last failure
        self.incidents: dict[str, float] = {}
        self._refused: dict[str, float] = {}  # node -> when it last refused a connection
        self._known: list[str] = []
        self._known_at = -self.RECHECK_S
        self._lock = threading.Lock()

    def one_node_fails(self, client: Any, refused_by: str | None, window_s: float) -> bool:
        """Whether a failure is one node's while the cluster answers.

        No when the client knows one node at most, when no call was answered
        within ``window_s``, or when every node the client knows refused a
        connection (``refused_by`` names the node of this failure, if it did)
        since the last answer.
        """
        now = time.monotonic()
        if refused_by:
            self._refused[refused_by] = now
        last = self.last_answer
        if not last or now - last >= window_s:
            return False
        known = self.known(client)
        return len(known) > 1 and not all(self._refused.get(n, 0.0) > last for n in known)

    def known(self, client: Any) -> list[str]:
        """``host:port`` of the nodes the client knows (asked at most every RECHECK_S)."""
        now = time.monotonic()
        if now - self._known_at >= self.RECHECK_S:
            self._known_at = now
            try:
                found = client.get_nodes() if client is not None else []
            except Exception:  # the client's own error: know nothing rather than fail
                found = []
            self._known = [f"{host}:{port}" for host, port, *_ in found]
        return self._known

    def incident(self, node: str) -> bool:
        """Record a failure of ``node``; True when it starts an incident."""
        with self._lock:
            new = node not in self.incidents
            self.incidents[node] = time.monotonic()
        return new

    def quiet(self, quiet_s: float) -> list[str]:
        """End (and return) the incidents with no failure for ``quiet_s`` seconds."""
        now = time.monotonic()
        with self._lock:
            over = [n for n, last in self.incidents.items() if now - last >= quiet_s]
            for node in over:
                del self.incidents[node]
        return over


class CircuitBreaker:
    """Stops a dead cluster from costing every call a full timeout.

    After ``threshold`` consecutive outage errors the circuit opens: calls fail
    at once for ``cooldown`` seconds; then one call at a time is let through
    as a probe, and the first success closes the circuit.
    """

    def __init__(self, threshold: int = 3, cooldown: float = 1.0) -> None:
        if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
            raise ConfigurationError(f"breaker_threshold must be >= 1, got {threshold!r}")
        if not isinstance(cooldown, (int, float)) or isinstance(cooldown, bool) or cooldown < 0:
            raise ConfigurationError(f"breaker_cooldown must be seconds >= 0, got {cooldown!r}")
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self.open_until = 0.0
        self._probing = False
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Whether a call may go to the cluster now (``False``: fail fast)."""
        if self.failures < self.threshold:
            return True
        now = time.monotonic()
        with self._lock:
            if now < self.open_until or self._probing:
                return False
            self._probing = True
            return True

    def success(self) -> None:
        if self.failures:
            with self._lock:
                self.failures = 0
                self._probing = False

    def failure(self) -> bool:
        """Record an outage error; ``True`` when this one opened the circuit."""
        with self._lock:
            self.failures += 1
            self._probing = False
            if self.failures >= self.threshold:
                opened = self.open_until <= time.monotonic()
                self.open_until = time.monotonic() + self.cooldown
                return opened and self.failures == self.threshold
            return False

    @property
    def is_open(self) -> bool:
        return self.failures >= self.threshold


class ClientRegistry:
    """Process-wide ``config -> client`` map; a forked child starts with an empty one."""

    def __init__(self) -> None:
        self._entries: dict[str, ClientEntry] = {}
        self._lock = threading.Lock()
        self.clients_created = 0

    def entry(self, config: dict[str, Any]) -> ClientEntry:
        """The shared entry for ``config`` (no connection is made here)."""
        key = config_fingerprint(config)
        found = self._entries.get(key)
        if found is None:
            with self._lock:
                found = self._entries.get(key)
                if found is None:
                    found = ClientEntry(config=config)
                    self._entries[key] = found
        return found

    def connect(self, entry: ClientEntry) -> Any:
        """The entry's client, built and connected on first use."""
        client = entry.client
        if client is not None:
            return client
        with entry.lock:
            if entry.client is None:
                import aerospike

                entry.client = aerospike.client(entry.config)
                # 19.x connects in the constructor; connect() is a no-op then,
                # and connects older clients.
                if not entry.client.is_connected():
                    entry.client.connect()
                self.clients_created += 1
            return entry.client

    def discard(self, entry: ClientEntry) -> None:
        """Close and forget the entry's client (next use builds a new one)."""
        with entry.lock:
            client, entry.client = entry.client, None
            entry.namespace_info.clear()
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    def discard_hosts(self, hosts: Iterable[tuple[str, int]]) -> None:
        """Close and forget the clients seeded with any of these ``(host, port)``: their
        cluster is gone for good (a test's private server). A later server on a reused
        port would otherwise meet a client still holding the old node, and answer -8
        (no node for the partition) until a tend replaced it."""
        gone = {(host, port) for host, port in hosts}
        with self._lock:
            keys = [
                key
                for key, entry in self._entries.items()
                if any(tuple(h[:2]) in gone for h in entry.config.get("hosts", ()))
            ]
            entries = [self._entries.pop(key) for key in keys]
        for entry in entries:
            self.discard(entry)

    def close_all(self) -> None:
        """Close every client this process built (for tests and shutdown hooks)."""
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
        for entry in entries:
            self.discard(entry)

    def _after_fork(self) -> None:
        # The parent's clients belong to the parent: their sockets and tend
        # thread do not survive a fork, and closing them here could disturb
        # the parent. Forget them; the child builds its own. Never let them be
        # freed, though: freeing a client in the child crashes it (SIGSEGV).
        inherit(self._entries.values())
        self._entries = {}
        self._lock = threading.Lock()
        self.clients_created = 0


def inherit(entries: Iterable[Any]) -> None:
    """Keep a parent's clients alive in a forked child (freeing one crashes the child).

    Holding them in a list is not enough: the interpreter's exit clears module
    globals, and the client's deallocation then joins a tend thread that does
    not exist in the child (a hang) or frees its cluster (SIGSEGV). One
    reference more than any holder will ever give back keeps each client out
    of everyone's reach, the exit's included.
    """
    for entry in entries:
        if entry.client is not None:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(entry.client))


class Forks:
    """The one fork mechanism: a counter bumped in a forked child, and its callbacks.

    Process-wide state (the registry, the I/O pool) registers a callback with
    :meth:`on_fork`; per-store state compares :attr:`generation` with the one
    it saw (two ints on the hot path instead of a ``getpid()`` system call).
    """

    def __init__(self) -> None:
        self.generation = 0
        self._callbacks: list[Callable[[], None]] = []

    def on_fork(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` in every forked child, right after the fork."""
        self._callbacks.append(callback)

    def after_fork_in_child(self) -> None:
        self.generation += 1
        for callback in self._callbacks:
            callback()


forks = Forks()
registry = ClientRegistry()
forks.on_fork(registry._after_fork)

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=forks.after_fork_in_child)


# -- namespace inspection (cached per client in its registry entry) -----------


def inspect_namespace(client: Any, entry: ClientEntry, namespace: str, hosts_text: str) -> bool:
    """Read ``namespace/<ns>`` once per client; ``True`` if it refuses writes with a TTL.

    Raises :class:`ConfigurationError` if the namespace does not exist; the
    client's own errors (an outage) propagate for the caller's failure path.
    """
    info = entry.namespace_info.get(namespace)
    if info is None:
        from aerospike import exception as aex

        info = _parse_info_pairs(client.info_random_node(f"namespace/{namespace}"))
        if "nsup-period" not in info:
            names = "?"
            with contextlib.suppress(aex.AerospikeError):
                names = _info_value(client.info_random_node("namespaces")) or "none"
            raise ConfigurationError(
                f"namespace {namespace!r} does not exist on the Aerospike cluster "
                f"{hosts_text} (its namespaces: {names.replace(';', ', ')}); "
                "set the namespace option to one of them"
            )
        entry.namespace_info[namespace] = info
    forbidden = info.get("nsup-period", "0") == "0" and info.get("allow-ttl-without-nsup") != "true"
    return forbidden


def nsup_error(namespace: str, detail: str = "") -> NsupError:
    """The error for a namespace that refuses TTL writes, with the fix."""
    ns = namespace
    return NsupError(
        f"namespace {ns!r} refuses writes with a TTL (Aerospike error 22, FAIL_FORBIDDEN): "
        f"its nsup-period is 0 and allow-ttl-without-nsup is false. Fix the server: add "
        f"'nsup-period 120' to the 'namespace {ns} {{ ... }}' stanza of aerospike.conf "
        f"(or run: asinfo -v 'set-config:context=namespace;id={ns};nsup-period=120'), "
        f"or set allow-ttl-without-nsup true; or cache only with timeouts that never expire"
        f"{detail}"
    )


def _info_value(raw: str) -> str:
    """The value of a one-line info answer ``"name\\tvalue\\n"``."""
    _, _, value = raw.partition("\t")
    return value.strip()


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
