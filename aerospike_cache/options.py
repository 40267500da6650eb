"""The store's options in one table, shared by both frontends.

This table is the one source of the options' defaults: the store's
signature takes its defaults from it (:data:`DEFAULTS`), and a test checks
that every option is a keyword of the store. Each component validates the
values of the options it owns (the records their namespace, set, hosts and
timeouts; the circuit breaker its threshold and cooldown; the codec its
serializer, compressor and signing key); :func:`validate` checks names and
types only.

Django spells them in upper case in ``OPTIONS`` (``"NAMESPACE"``); Flask as
``CACHE_AEROSPIKE_<NAME>`` settings or lower case in ``CACHE_OPTIONS``. Each
frontend validates through :func:`validate`, so a wrong name or type fails at
startup with a message that lists what is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .connection import DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS
from .errors import ConfigurationError


@dataclass(frozen=True)
class Option:
    """One store option: its keyword, accepted types, default and meaning."""

    name: str
    types: tuple[type, ...]
    default: Any
    doc: str


_ANY = (object,)

STORE_OPTIONS: tuple[Option, ...] = (
    Option("namespace", (str,), "cache", "Aerospike namespace of the cache."),
    Option(
        "set_name",
        (str, type(None)),
        "cache",  # the store's; each frontend has its own (DEFAULT_SET)
        "Set of the cache; clear() truncates it. None: the null set.",
    ),
    Option(
        "client_config",
        (dict,),
        None,
        "Extra aerospike.client() configuration: user, password, tls, policies, "
        "cluster_name, rack_aware, max_error_rate, ...",
    ),
    Option("client", _ANY, None, "A pre-built aerospike client, used as is and never closed."),
    Option("timeout_ms", (int,), DEFAULT_TIMEOUT_MS, "Total and socket timeout of each command."),
    Option(
        "connect_timeout_ms",
        (int,),
        DEFAULT_CONNECT_TIMEOUT_MS,
        "Timeout of the initial connection to the cluster.",
    ),
    Option(
        "serializer",
        _ANY,
        "pickle",
        "'pickle', 'json', 'msgpack', a dotted path, or an object with dumps/loads.",
    ),
    Option("compressor", _ANY, None, "None, 'zlib', 'zstd', 'lz4', a dotted path, or an object."),
    Option("compress_min_size", (int,), 1024, "Compress serialized values of at least this size."),
    Option(
        "signing_key",
        (str, bytes, type(None)),
        None,
        "HMAC key (>= 16 bytes): unsigned or tampered entries read as misses (ints are native).",
    ),
    Option(
        "fail_open",
        (bool,),
        False,
        "Turn cluster outages and errors into misses and no-op writes (logged).",
    ),
    Option("store_keys", (bool,), True, "Store user keys with records (needed to list keys)."),
    Option(
        "allow_namespace_truncate",
        (bool,),
        False,
        "Let clear() truncate the whole namespace when no set is configured.",
    ),
    Option(
        "breaker_threshold",
        (int,),
        3,
        "Consecutive outage errors that open the circuit breaker.",
    ),
    Option(
        "breaker_cooldown",
        (int, float),
        1.0,
        "Seconds the circuit stays open before one probe call.",
    ),
)

BY_NAME: dict[str, Option] = {opt.name: opt for opt in STORE_OPTIONS}
DEFAULTS: dict[str, Any] = {opt.name: opt.default for opt in STORE_OPTIONS}
"""Option name -> default: the store's signature reads its defaults here."""


def validate(
    values: Mapping[str, Any],
    spell: Callable[[str], str],
    where: str,
    renames: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Check user-spelled options and return them as store keyword arguments.

    ``spell`` turns a store option name into the user's spelling (``"NAMESPACE"``);
    ``renames`` maps further user spellings onto store names; ``where`` names
    the setting in messages (``"CACHES['default']['OPTIONS']"``).
    """
    known = {spell(opt.name): opt for opt in STORE_OPTIONS}
    for alias, target in (renames or {}).items():
        known[alias] = BY_NAME[target]
    out: dict[str, Any] = {}
    for name, value in values.items():
        opt = known.get(name)
        if opt is None:
            raise ConfigurationError(
                f"unknown option {name!r} in {where}; valid options: {', '.join(sorted(known))}"
            )
        bad_bool = isinstance(value, bool) and bool not in opt.types and opt.types != _ANY
        wrong_type = not isinstance(value, opt.types) or bad_bool
        if wrong_type and not (value is None and opt.default is None):
            wanted = " or ".join(t.__name__ for t in opt.types)
            raise ConfigurationError(f"option {name!r} in {where} must be {wanted}, got {value!r}")
        out[opt.name] = value
    return out
